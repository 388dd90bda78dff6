//! Backend answers: each one updates the state and may ask for more (a verdict's rows,
//! a selected execution's history); errors become notices, never crashes.

use std::cmp::Ordering;
use std::sync::Arc;

use saga_lambdas::Item;

use super::{App, Execution, GraphModel, KEPT_HISTORIES};
use crate::asl::Definition;
use crate::backend::{BackendError, ExecutionSummary, Launch};
use crate::history::{EventDetails, EventType, HistoryEvent};
use crate::tui::msg::Cmd;
use crate::view::{VerdictLevel, judge};

impl App {
    pub(super) fn on_definition(
        &mut self,
        result: Result<Arc<Definition>, BackendError>,
    ) -> Vec<Cmd> {
        let def = match result {
            Ok(def) => def,
            Err(e) => {
                self.definition_poll.failed(self.now_ms);
                return self.notify(VerdictLevel::Error, format!("definition: {e}"));
            }
        };
        self.definition_poll.done();
        self.saga_definition = Some(def.clone());
        for e in self
            .executions
            .iter_mut()
            .filter(|e| e.definition.is_none())
        {
            e.use_definition(&def);
        }
        let own = self.selected_execution().and_then(|e| e.definition.clone());
        self.graph = Some(GraphModel::new(own.unwrap_or(def)));
        vec![]
    }

    pub(super) fn on_execution_definition(
        &mut self,
        arn: &str,
        result: Result<Arc<Definition>, BackendError>,
    ) -> Vec<Cmd> {
        match result {
            Ok(def) => {
                if let Some(e) = self.execution_mut(arn) {
                    e.use_definition(&def);
                    e.definition = Some(def);
                }
                self.show_selected_definition();
                vec![]
            }
            Err(e) => self.notify(VerdictLevel::Error, format!("definition: {e}")),
        }
    }

    pub(super) fn on_started(
        &mut self,
        seq: u64,
        launch: Launch,
        result: Result<String, BackendError>,
    ) -> Vec<Cmd> {
        let arn = match result {
            Ok(arn) => arn,
            Err(e) => {
                return self.notify(
                    VerdictLevel::Error,
                    format!("launch {}: {e}", launch.run_type),
                );
            }
        };
        let run_type = Some(launch.run_type.as_str().to_string());
        let trip_id = Some(launch.trip_id.clone());
        if let Some(e) = self.execution_mut(&arn) {
            // The list told of it first (a fast run): it is this launch all the same,
            // judged once its history shows it ended.
            if e.view.events.is_empty() && e.verdict.is_none() {
                e.verdict_requested = false;
                e.ended_before_seen = false;
            }
            e.run_type = run_type;
            e.trip_id = trip_id;
        } else {
            let def = self.graph.as_ref().map(|g| g.definition.clone());
            let mut e = Execution::new(arn.clone(), def.as_deref());
            e.run_type = run_type;
            e.trip_id = trip_id;
            self.executions.insert(0, e);
            self.reindex();
        }
        // Launches answer in any order: the screen follows the last key pressed, the
        // latest launch unless an execution was picked since.
        if seq == self.launches && self.launch_selects {
            self.select(arn)
        } else {
            self.exec_cursor = self
                .selected
                .as_deref()
                .and_then(|s| self.position(s))
                .unwrap_or(0);
            vec![]
        }
    }

    pub(super) fn on_history(
        &mut self,
        arn: &str,
        result: Result<Vec<HistoryEvent>, BackendError>,
    ) -> Vec<Cmd> {
        let selected = self.selected.as_deref() == Some(arn);
        let follow = self.follow;
        let definition = self.graph.as_ref().map(|g| g.definition.clone());
        let Some(e) = self.execution_mut(arn) else {
            return vec![];
        };
        e.poll.done();
        let events = match result {
            Ok(events) => events,
            Err(err) => return self.notify(VerdictLevel::Error, format!("history: {err}")),
        };
        e.view.apply(&events);
        // The redrive's events are in (a fast one may have ended again already).
        if e.redriving
            && events
                .iter()
                .any(|ev| ev.event_type == EventType::ExecutionRedriven)
        {
            e.redriving = false;
        }
        if (e.run_type.is_none() || e.trip_id.is_none())
            && let Some(first) = e.view.events.first()
            && let Some(EventDetails::ExecutionStarted(d)) = &first.details
        {
            let (run_type, trip) = ExecutionSummary::labels_from_input(&d.input);
            e.run_type = e.run_type.take().or(run_type);
            e.trip_id = e.trip_id.take().or(trip);
        }
        let len = e.view.events.len();
        let trip = e.trip_id.clone();
        if !events.is_empty() || e.narration.is_none() {
            e.refresh_narration(definition.as_deref());
        }
        let mut cmds = Vec::new();
        if e.view.is_finished() && !e.verdict_requested && !e.redriving {
            e.verdict_requested = true;
            if let Some(trip_id) = e.trip_id.clone() {
                cmds.push(Cmd::FetchRows {
                    trip_id,
                    for_verdict: Some(e.arn.clone()),
                });
            }
        }
        if selected && follow {
            self.history_cursor = len.saturating_sub(1);
        }
        if selected {
            // Listed executions may tell their trip only through their input.
            cmds.extend(self.show_rows_of(trip));
        }
        self.release_old_histories();
        cmds
    }

    /// Keeps the histories of the selected execution, the running ones, the ones still
    /// waiting for a verdict and the [`KEPT_HISTORIES`] newest others.
    fn release_old_histories(&mut self) {
        let definition = self.graph.as_ref().map(|g| g.definition.clone());
        let selected = self.selected.clone();
        let mut kept = 0;
        for e in &mut self.executions {
            let releasable = !e.view.events.is_empty()
                && e.view.is_finished()
                && !e.poll.in_flight()
                && e.verdict.is_some()
                && selected.as_deref() != Some(e.arn.as_str());
            if !releasable {
                continue;
            }
            kept += 1;
            if kept > KEPT_HISTORIES {
                e.release_history(definition.as_deref());
            }
        }
    }

    pub(super) fn on_executions(
        &mut self,
        result: Result<Vec<ExecutionSummary>, BackendError>,
    ) -> Vec<Cmd> {
        self.list_poll.done();
        let list = match result {
            Ok(list) => list,
            Err(e) => return self.notify(VerdictLevel::Error, format!("list: {e}")),
        };
        let def = self.graph.as_ref().map(|g| g.definition.clone());
        for s in list {
            if let Some(e) = self.execution_mut(&s.execution_arn) {
                e.listed_status = s.status;
                e.start = e.start.or(Some(s.start_date));
                e.stop = s.stop_date;
                e.redrive = s.redrive;
                continue;
            }
            let mut e = Execution::new(s.execution_arn.clone(), def.as_deref());
            e.name = s.name;
            e.run_type = s.run_type;
            e.trip_id = s.trip_id;
            e.listed_status = s.status;
            e.start = Some(s.start_date);
            e.stop = s.stop_date;
            e.redrive = s.redrive;
            // Earlier executions are not judged: their rows may have changed since.
            e.verdict_requested = s.status.is_terminal();
            e.ended_before_seen = s.status.is_terminal();
            self.positions.insert(e.arn.clone(), self.executions.len());
            self.executions.push(e);
        }
        self.executions.sort_by(newest_first);
        self.reindex();
        if let Some(arn) = &self.selected {
            if let Some(i) = self.position(arn) {
                self.exec_cursor = i;
            }
        } else if let Some(first) = self.executions.first() {
            let arn = first.arn.clone();
            return self.select(arn);
        }
        vec![]
    }

    pub(super) fn on_rows(
        &mut self,
        trip_id: String,
        for_verdict: Option<String>,
        result: Result<Vec<Item>, BackendError>,
    ) -> Vec<Cmd> {
        if for_verdict.is_none() {
            self.rows_poll.done();
        }
        let rows = match result {
            Ok(rows) => rows,
            Err(e) => return self.notify(VerdictLevel::Error, format!("rows: {e}")),
        };
        if trip_id == self.rows.trip_id && self.rows.past.is_none() && self.travel().is_none() {
            self.rows.apply_snapshot(rows.clone(), self.now_ms);
        }
        if let Some(arn) = for_verdict {
            let graph = self.graph.as_ref().map(|g| g.graph.clone());
            if let (Some(graph), Some(e)) = (graph, self.execution_mut(&arn))
                && let Some(v) = judge(&e.view, &graph, &rows)
            {
                e.verdict = Some(v);
            }
            self.release_old_histories();
        }
        vec![]
    }

    pub(super) fn on_paused(&mut self, result: Result<bool, BackendError>) -> Vec<Cmd> {
        match result {
            Ok(paused) => {
                self.paused = paused;
                vec![]
            }
            Err(e) => self.notify(VerdictLevel::Warning, e.to_string()),
        }
    }

    pub(super) fn on_stepped(&mut self, arn: &str, result: Result<(), BackendError>) -> Vec<Cmd> {
        match result {
            Ok(()) => {
                let mut cmds = self.poll_now(arn);
                if !self.rows_poll.in_flight() {
                    cmds.extend(self.fetch_rows());
                }
                cmds
            }
            Err(e) => self.notify(VerdictLevel::Warning, format!("step: {e}")),
        }
    }

    pub(super) fn on_stopped(&mut self, arn: &str, result: Result<(), BackendError>) -> Vec<Cmd> {
        match result {
            Ok(()) => self.poll_now(arn),
            Err(e) => self.notify(VerdictLevel::Error, format!("stop: {e}")),
        }
    }
}

/// Newest start first; a launch whose start is not known yet (neither listed nor
/// started in its history) is newer than any listed one, and launches keep the order
/// they were answered in.
fn newest_first(a: &Execution, b: &Execution) -> Ordering {
    let start = |e: &Execution| e.start.or(e.view.started_at);
    match (start(a), start(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => y.cmp(&x).then_with(|| b.arn.cmp(&a.arn)),
    }
}
