//! The graph's selected state and the inspector over it: arrows and clicks select a
//! state, moving the history cursor selects its event's, `Enter` (graph) or `i`
//! opens the selected state's visits.

use ratatui::layout::Rect;

use super::graph::latest_state;
use super::{App, Mode};
use crate::tui::geometry::{self, Direction};
use crate::tui::inspector::{self, Inspector};
use crate::tui::keymap::Action;
use crate::tui::msg::Cmd;
use crate::view::visits;

/// Columns a sideways scroll of the inspector moves.
const SIDEWAYS: u16 = 8;
/// Lines a page key moves the inspector's cursor.
const PAGE: i64 = 10;

impl App {
    /// The state the inspector opens on: the one selected, else the history cursor
    /// event's, else the one the execution is in (or entered last), else the start.
    pub fn state_in_focus(&self) -> Option<String> {
        if let Some(s) = &self.selected_state {
            return Some(s.clone());
        }
        let view = self.selected_execution().map(|e| &e.view);
        view.and_then(|v| v.notes.get(self.history_cursor)?.state.clone())
            .or_else(|| view.and_then(latest_state))
            .or_else(|| {
                let g = &self.graph.as_ref()?.graph;
                g.states.get(g.start).map(|s| s.name.clone())
            })
    }

    pub(super) fn open_inspector(&mut self) -> Vec<Cmd> {
        if let Some(state) = self.state_in_focus() {
            let insp = self.parsed(Inspector::new(state));
            self.mode = Mode::Inspect(insp);
        }
        vec![]
    }

    /// The inspector with its state's payloads parsed (new visits may have come).
    fn parsed(&self, mut insp: Inspector) -> Inspector {
        if let Some(e) = self.selected_execution() {
            insp.trees = insp.trees.refreshed(&visits::visits(&e.view, &insp.state));
        }
        insp
    }

    /// The graph panel's inside size.
    fn graph_view(&self) -> (u16, u16) {
        let inside = geometry::inside(geometry::areas_of(self.size, self.zoom()).graph);
        (inside.width, inside.height)
    }

    /// Selects a state and pans the graph, if need be, so its box shows whole.
    pub(super) fn select_state(&mut self, name: String) {
        let view = self.graph_view();
        let moved = self.graph.as_ref().and_then(|model| {
            let (layout, off) = self.graph_viewport(view)?;
            let node = layout.node(model.box_of(&name)?)?;
            let rect = Rect::new(node.x, node.y, node.width, node.height);
            let to = geometry::revealed(off, rect, (layout.width, layout.height), view);
            (to != off && view.0 > 0 && view.1 > 0).then_some(to)
        });
        if moved.is_some() {
            self.graph_pan = moved;
        }
        self.selected_state = Some(name);
    }

    /// Moves the selection to the nearest state in `dir` (from nothing selected: to
    /// the state in focus).
    pub(super) fn select_toward(&mut self, dir: Direction) -> Vec<Cmd> {
        let view = self.graph_view();
        let target = self.graph.as_ref().and_then(|model| {
            let from = self.selected_state.as_deref().and_then(|s| model.box_of(s));
            let Some(from) = from else {
                return self.state_in_focus();
            };
            let (layout, _) = self.graph_viewport(view)?;
            let rect = |n: &crate::view::layout::NodeBox| Rect::new(n.x, n.y, n.width, n.height);
            let boxes = layout.nodes.iter().map(|n| (n.state, rect(n)));
            let to = geometry::nearest(rect(layout.node(from)?), boxes, dir)?;
            model.graph.states.get(to).map(|s| s.name.clone())
        });
        if let Some(name) = target {
            self.select_state(name);
        }
        vec![]
    }

    /// Selects the state of the history cursor's event, if it has one: choosing an
    /// event shows where in the graph it happened.
    pub(super) fn select_cursor_state(&mut self) {
        let state = self
            .selected_execution()
            .and_then(|e| e.view.notes.get(self.history_cursor)?.state.clone());
        if let Some(state) = state {
            self.select_state(state);
        }
    }

    /// A click at (`x`, `y`) in the graph panel `rect`: selects the state whose box
    /// is drawn there.
    pub(super) fn click_graph(&mut self, rect: Rect, x: u16, y: u16) -> Vec<Cmd> {
        let inside = geometry::inside(rect);
        if !inside.contains(ratatui::layout::Position::new(x, y)) {
            return vec![];
        }
        let hit = self.graph.as_ref().and_then(|model| {
            let (layout, off) = self.graph_viewport((inside.width, inside.height))?;
            let (gx, gy) = (x - inside.x + off.0, y - inside.y + off.1);
            let node = layout.nodes.iter().find(|n| n.contains(gx, gy))?;
            model.graph.states.get(node.state).map(|s| s.name.clone())
        });
        if let Some(name) = hit {
            self.select_state(name);
        }
        vec![]
    }

    pub(super) fn on_inspect_action(&mut self, action: Action) -> Vec<Cmd> {
        let Mode::Inspect(insp) = &self.mode else {
            return vec![];
        };
        let mut insp = self.parsed(insp.clone());
        let lines = inspector::document(self, &insp);
        let last = lines.len().saturating_sub(1);
        let step = |by: i64| {
            let at = i64::try_from(insp.cursor).unwrap_or(i64::MAX);
            usize::try_from(at.saturating_add(by).max(0))
                .unwrap_or(0)
                .min(last)
        };
        match action {
            Action::Close => {
                self.mode = Mode::Normal;
                return vec![];
            }
            Action::Up => insp.cursor = step(-1),
            Action::Down => insp.cursor = step(1),
            Action::PageUp => insp.cursor = step(-PAGE),
            Action::PageDown => insp.cursor = step(PAGE),
            Action::Top => insp.cursor = 0,
            Action::Bottom => insp.cursor = last,
            Action::Fold => {
                if let Some(key) = lines.get(insp.cursor).and_then(|l| l.fold) {
                    flip(&mut insp, key);
                }
            }
            Action::FoldAll => {
                for key in lines.iter().filter(|l| !l.folded).filter_map(|l| l.fold) {
                    flip(&mut insp, key);
                }
            }
            Action::UnfoldAll => {
                // Unfolding shows what was folded inside: go on until nothing is.
                for _ in 0..64 {
                    let folded: Vec<_> = inspector::document(self, &insp)
                        .iter()
                        .filter(|l| l.folded)
                        .filter_map(|l| l.fold)
                        .collect();
                    if folded.is_empty() {
                        break;
                    }
                    folded.into_iter().for_each(|key| flip(&mut insp, key));
                }
            }
            Action::ToggleWrap => {
                insp.wrap = !insp.wrap;
                insp.hscroll = 0;
            }
            Action::Left if !insp.wrap => insp.hscroll = insp.hscroll.saturating_sub(SIDEWAYS),
            Action::Right if !insp.wrap => insp.hscroll = insp.hscroll.saturating_add(SIDEWAYS),
            _ => {}
        }
        self.mode = Mode::Inspect(self.scrolled(insp));
        vec![]
    }

    /// Moves the inspector's cursor by `delta` lines (the wheel).
    pub(super) fn scroll_inspector(&mut self, delta: i64) {
        let action = if delta < 0 { Action::Up } else { Action::Down };
        for _ in 0..delta.unsigned_abs() {
            self.on_inspect_action(action);
        }
    }

    /// The inspector with its window moved so the cursor's line shows.
    fn scrolled(&self, mut insp: Inspector) -> Inspector {
        let area = inspector::text_area(self.size);
        let lines = inspector::document(self, &insp);
        insp.cursor = insp.cursor.min(lines.len().saturating_sub(1));
        let rows = inspector::rows(&lines, area.width, insp.wrap);
        let start: usize = rows[..insp.cursor].iter().map(Vec::len).sum();
        let end = start + rows.get(insp.cursor).map_or(1, Vec::len);
        insp.top = inspector::keep_in_view(insp.top, start, end, usize::from(area.height));
        insp
    }
}

/// Folds what is unfolded, or the other way round.
fn flip(insp: &mut Inspector, key: inspector::FoldKey) {
    if !insp.toggled.remove(&key) {
        insp.toggled.insert(key);
    }
}
