//! The graph panel's other face: the selected execution on a time axis, and which of
//! its visits the panel shows when they outnumber its rows.

use ratatui::layout::Rect;

use super::App;
use crate::tui::geometry;
use crate::view::Timeline;

/// Rows of the graph panel's inside the axis takes (its line and its labels).
pub const AXIS_ROWS: u16 = 2;

impl App {
    /// The selected execution's timeline: lanes from the graph, a running execution's
    /// bars reaching the backend's clock.
    pub fn timeline(&self) -> Option<Timeline> {
        let e = self.selected_execution()?;
        let graph = self.graph.as_ref().map(|m| &m.graph);
        let now = if e.view.is_finished() {
            None
        } else {
            self.clock
        };
        Some(Timeline::build(&e.view, graph, now))
    }

    /// The history cursor's event index, when the selected execution has events.
    pub fn cursor_event(&self) -> Option<usize> {
        let len = self.history_len();
        (len > 0).then(|| self.history_cursor.min(len - 1))
    }

    /// The first visit shown in `rows` rows: where the user scrolled, else so that the
    /// cursor's visit (the latest, while following) is in view.
    pub fn timeline_top(&self, timeline: &Timeline, rows: usize) -> usize {
        let max = timeline.visits.len().saturating_sub(rows);
        match self.timeline_scroll {
            Some(top) => top.min(max),
            None => {
                let view = self.selected_execution().map(|e| &e.view);
                let focus = view
                    .zip(self.cursor_event())
                    .and_then(|(v, i)| timeline.visit_of_event(v, i))
                    .unwrap_or(timeline.visits.len().saturating_sub(1));
                (focus + 1).saturating_sub(rows).min(max)
            }
        }
    }

    /// Visit rows the graph panel has room for, below which the axis goes.
    pub fn timeline_rows(&self) -> usize {
        let inside = geometry::inside(geometry::areas_of(self.size, self.zoom()).graph);
        usize::from(inside.height.saturating_sub(AXIS_ROWS))
    }

    /// Scrolls the visits by `delta` rows, from wherever they are shown now.
    pub(super) fn scroll_timeline(&mut self, delta: i64) {
        let Some(timeline) = self.timeline() else {
            return;
        };
        let rows = self.timeline_rows();
        let top = self.timeline_top(&timeline, rows);
        let max = timeline.visits.len().saturating_sub(rows);
        let at = i64::try_from(top).unwrap_or(i64::MAX);
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        self.timeline_scroll = usize::try_from(at.saturating_add(delta).clamp(0, max)).ok();
    }

    /// A click on row `y` of the timeline's inside: the history cursor goes to the
    /// visit drawn there (its entry), so the room sees that moment everywhere.
    pub(super) fn click_timeline(&mut self, inside: Rect, y: u16) {
        let Some(timeline) = self.timeline() else {
            return;
        };
        let rows = self.timeline_rows();
        let Some(row) = y.checked_sub(inside.y).map(usize::from) else {
            return;
        };
        if row >= rows {
            return;
        }
        let top = self.timeline_top(&timeline, rows);
        if let Some(visit) = timeline.visits.get(top + row) {
            self.timeline_scroll = Some(top);
            self.history_cursor = visit.first_event;
            self.follow = false;
        }
    }
}
