//! Time travel: with follow off, the screen shows the selected execution as it was
//! right after the history cursor's event — its graph, narration, verdict so far and
//! rows — rather than as it is now.
//!
//! The view at the cursor is reduced from the events up to it once per cursor move
//! and kept ([`Travel`]); the drawing code asks [`App::shown_view`] for "the view
//! shown" and never tells the two cases apart. The rows are asked of the backend for
//! (trip, execution, event id) once per cursor position, and the polls of the current
//! rows are held off meanwhile, so the panel never flickers back to the present.

use chrono::{DateTime, Utc};

use super::App;
use crate::backend::{BackendError, RowsAt};
use crate::tui::msg::{Cmd, RowsKey};
use crate::view::{ExecutionView, Narration, VerdictLevel, narrate};

/// The selected execution as it was right after one event.
#[derive(Debug, Clone)]
pub struct Travel {
    /// The execution.
    pub arn: String,
    /// The cursor's place in the history.
    pub index: usize,
    /// The cursor event's id.
    pub event_id: u64,
    /// When that event happened: what countdowns in the narration count against.
    pub at: DateTime<Utc>,
    /// The history reduced up to and including the event.
    pub view: ExecutionView,
    /// Its narration.
    pub narration: Option<Narration>,
    /// The definition it was reduced against, to notice a change of graph.
    definition: usize,
}

impl App {
    /// Where the screen is in time: `None` while following the latest event.
    pub fn travel(&self) -> Option<&Travel> {
        let t = self.travel.as_ref()?;
        (self.selected.as_deref() == Some(t.arn.as_str()) && !self.follow).then_some(t)
    }

    /// The selected execution's view the screen shows: as it was right after the
    /// cursor's event while travelling, the whole of it otherwise.
    pub fn shown_view(&self) -> Option<&ExecutionView> {
        match self.travel() {
            Some(t) => Some(&t.view),
            None => self.selected_execution().map(|e| &e.view),
        }
    }

    /// The narration that goes with [`App::shown_view`].
    pub fn shown_narration(&self) -> Option<&Narration> {
        match self.travel() {
            Some(t) => t.narration.as_ref(),
            None => self.selected_execution()?.narration.as_ref(),
        }
    }

    /// `[` / `]`: one event back or forward, follow off.
    pub(super) fn travel_by(&mut self, delta: i64) -> Vec<Cmd> {
        // Through the events the history lists: with a `/` filter, from one kept event
        // to the next.
        let len = self.history_entries();
        if len == 0 {
            return vec![];
        }
        let target = i64::try_from(self.history_position())
            .unwrap_or(i64::MAX)
            .saturating_add(delta);
        self.history_move_to(usize::try_from(target.max(0)).unwrap_or(0));
        self.follow = false;
        self.select_cursor_state();
        vec![]
    }

    /// Brings the travelled view and rows in line with the cursor and follow mode,
    /// after every update: what to fetch for them.
    pub(super) fn sync_travel(&mut self) -> Vec<Cmd> {
        let want = match self.selected_execution() {
            Some(e) if !self.follow && !e.view.events.is_empty() => Some((
                e.arn.clone(),
                self.history_cursor.min(e.view.events.len() - 1),
            )),
            _ => None,
        };
        let Some((arn, index)) = want else {
            self.travel = None;
            self.rows_at_asked = None;
            if self.rows.past.take().is_some() {
                // Back in the present: the current rows again.
                self.rows.note = None;
                return self.fetch_rows().into_iter().collect();
            }
            return vec![];
        };
        let definition = self
            .selected_execution()
            .and_then(|e| e.definition.clone())
            .or_else(|| self.graph.as_ref().map(|g| g.definition.clone()));
        let def_id = definition
            .as_ref()
            .map_or(0, |d| std::sync::Arc::as_ptr(d) as usize);
        let fresh = self
            .travel
            .as_ref()
            .is_some_and(|t| t.arn == arn && t.index == index && t.definition == def_id);
        if !fresh && let Some(e) = self.selected_execution() {
            let mut view = ExecutionView::new(definition.as_deref());
            view.apply(&e.view.events[..=index]);
            let narration = definition.as_deref().and_then(|d| narrate(&view, d));
            let event = &e.view.events[index];
            self.travel = Some(Travel {
                arn: arn.clone(),
                index,
                event_id: event.id,
                at: event.timestamp,
                view,
                narration,
                definition: def_id,
            });
        }
        let Some(t) = &self.travel else {
            return vec![];
        };
        if self.rows.trip_id.is_empty() {
            return vec![];
        }
        let key = RowsKey {
            trip_id: self.rows.trip_id.clone(),
            arn,
            event_id: t.event_id,
        };
        if self.rows.past.as_ref() == Some(&key) || self.rows_at_asked.as_ref() == Some(&key) {
            return vec![];
        }
        self.rows_at_asked = Some(key.clone());
        vec![Cmd::FetchRowsAt(key)]
    }

    /// Past rows arrived: shown if they are still the ones the cursor wants.
    pub(super) fn on_rows_at(
        &mut self,
        at: RowsKey,
        result: Result<RowsAt, BackendError>,
    ) -> Vec<Cmd> {
        if self.rows_at_asked.as_ref() == Some(&at) {
            self.rows_at_asked = None;
        }
        let wanted = self.travel().is_some_and(|t| {
            t.event_id == at.event_id && t.arn == at.arn && self.rows.trip_id == at.trip_id
        });
        if !wanted {
            return vec![];
        }
        let (rows, note) = match result {
            Ok(RowsAt::Past(rows)) => (rows, None),
            Ok(RowsAt::Current { rows, why }) => (rows, Some(why)),
            Err(e) => return self.notify(VerdictLevel::Error, format!("rows: {e}")),
        };
        // A step forward marks what the step changed, as it was seen live; a step back
        // (or from the present into the past) shows the rows as they were, unmarked.
        let forward = self.rows.past.as_ref().is_some_and(|shown| {
            shown.arn == at.arn && shown.trip_id == at.trip_id && shown.event_id < at.event_id
        });
        if forward {
            self.rows.apply_snapshot(rows, self.now_ms);
        } else {
            self.rows.replace_unmarked(rows, self.now_ms);
        }
        self.rows.past = Some(at);
        self.rows.note = note;
        vec![]
    }
}
