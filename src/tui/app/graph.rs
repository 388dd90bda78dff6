//! The definition as a graph: states, edges and layouts derived once per definition,
//! and which part of the drawing the graph panel looks at.

use std::sync::Arc;

use ratatui::layout::Rect;

use super::App;
use crate::asl::Definition;
use crate::tui::geometry::{self, Follow};
use crate::view::{ExecutionView, GraphLayout, LayoutSet, StateGraph};

/// The definition with everything derived from it once.
#[derive(Debug, Clone)]
pub struct GraphModel {
    /// The definition.
    pub definition: Arc<Definition>,
    /// Its states and edges.
    pub graph: StateGraph,
    /// Its layouts.
    pub layouts: LayoutSet,
}

impl GraphModel {
    /// Derives graph and layouts from a definition.
    pub fn new(definition: Arc<Definition>) -> Self {
        let graph = StateGraph::from_definition(&definition);
        let layouts = LayoutSet::new(&graph);
        Self {
            definition,
            graph,
            layouts,
        }
    }

    /// The graph box that shows the named state: its own, or for a state nested in a
    /// Parallel or Map, the box listing it.
    pub fn box_of(&self, name: &str) -> Option<usize> {
        self.graph.index_of(name).or_else(|| {
            self.graph
                .states
                .iter()
                .position(|s| s.branches.iter().any(|b| b.iter().any(|n| n == name)))
        })
    }

    /// The layout that suits a window of `view` size and where the window starts: at
    /// the user's `pan`, or following the state `execution` is in. With
    /// `whole_names`, no name is shortened and the window pans over what does not fit.
    pub fn viewport(
        &self,
        view: (u16, u16),
        whole_names: bool,
        pan: Option<(u16, u16)>,
        execution: Option<&ExecutionView>,
    ) -> (&GraphLayout, (u16, u16)) {
        let layout = if whole_names {
            self.layouts.choose_whole(view.0, view.1)
        } else {
            self.layouts.choose(view.0, view.1)
        };
        let keep = match pan {
            Some(_) => None,
            None => execution
                .and_then(latest_state)
                .and_then(|name| self.graph.index_of(&name))
                .and_then(|i| layout.node(i))
                .map(|n| Follow {
                    node: Rect {
                        x: n.x,
                        y: n.y,
                        width: n.width,
                        height: n.height,
                    },
                    name_x: n.label_x(layout.style),
                }),
        };
        let content = (layout.width, layout.height);
        (layout, geometry::graph_offset(content, view, pan, keep))
    }
}

/// The state the execution is in, or entered last.
pub(super) fn latest_state(view: &ExecutionView) -> Option<String> {
    view.events
        .iter()
        .zip(&view.notes)
        .rev()
        .find(|(e, _)| e.event_type.is_state_entered())
        .and_then(|(_, n)| n.state.clone())
}

impl App {
    /// The graph panel's layout and window start for a panel inside of `view` size,
    /// once the definition is loaded; drawing and panning both start from it. Names
    /// stay whole on screens of [`geometry::WHOLE_NAMES_MIN_WIDTH`] columns and more.
    pub fn graph_viewport(&self, view: (u16, u16)) -> Option<(&GraphLayout, (u16, u16))> {
        let model = self.graph.as_ref()?;
        let execution = self.selected_execution().map(|e| &e.view);
        let whole = geometry::whole_names(self.size);
        Some(model.viewport(view, whole, self.graph_pan, execution))
    }
}
