//! One execution as the UI knows it: what the list said, the history reduced so far,
//! its verdict, and the state of the requests about it.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::asl::Definition;
use crate::backend::RedriveFacts;
use crate::history::ExecutionStatus;
use crate::tui::msg::Cmd;
use crate::tui::poll::Poll;
use crate::view::{ExecutionView, Narration, Verdict, narrate};

/// One execution the UI knows about.
#[derive(Debug, Clone)]
pub struct Execution {
    /// ARN.
    pub arn: String,
    /// Name (last part of the ARN).
    pub name: String,
    /// Run type from the input.
    pub run_type: Option<String>,
    /// Trip id from the input.
    pub trip_id: Option<String>,
    /// Status from the list, until the history says more.
    pub listed_status: ExecutionStatus,
    /// Start from the list.
    pub start: Option<DateTime<Utc>>,
    /// Stop from the list.
    pub stop: Option<DateTime<Utc>>,
    /// The reduced history.
    pub view: ExecutionView,
    /// The verdict, once judged.
    pub verdict: Option<Verdict>,
    /// What it just did, in one line (kept from the last history page: a frame only
    /// renders its countdown).
    pub narration: Option<Narration>,
    /// Rows were asked for to judge it (or it is never judged).
    pub(super) verdict_requested: bool,
    /// It had ended when first listed: it is never judged, its rows may have changed
    /// since.
    pub(super) ended_before_seen: bool,
    /// Its history requests.
    pub(super) poll: Poll,
    /// The definition this execution runs, when asked for it (AWS: it may differ from
    /// the state machine's current one).
    pub(super) definition: Option<Arc<Definition>>,
    pub(super) definition_requested: bool,
    /// What the list last said about redriving it.
    pub redrive: RedriveFacts,
    /// Redriven, its redrive's events not read yet: its ended history is polled on.
    pub(super) redriving: bool,
}

impl Execution {
    /// A running execution known only by its ARN, reduced against `definition`.
    pub(super) fn new(arn: String, definition: Option<&Definition>) -> Self {
        let name = crate::arn::name(&arn).to_owned();
        Self {
            arn,
            name,
            run_type: None,
            trip_id: None,
            listed_status: ExecutionStatus::Running,
            start: None,
            stop: None,
            view: ExecutionView::new(definition),
            verdict: None,
            narration: None,
            verdict_requested: false,
            ended_before_seen: false,
            poll: Poll::default(),
            definition: None,
            definition_requested: false,
            redrive: RedriveFacts::default(),
            redriving: false,
        }
    }

    /// Re-reduces the history with another definition.
    pub(super) fn use_definition(&mut self, definition: &Definition) {
        let events = std::mem::take(&mut self.view.events);
        self.view = ExecutionView::new(Some(definition));
        self.view.apply(&events);
        self.refresh_narration(Some(definition));
    }

    /// Narrates the history as it now stands against `definition` (its own, when it
    /// has one).
    pub(super) fn refresh_narration(&mut self, definition: Option<&Definition>) {
        let definition = self.definition.as_deref().or(definition);
        self.narration = definition.and_then(|d| narrate(&self.view, d));
    }

    /// Whether its verdict is on its way: it ended while watched and its rows were
    /// asked for, but have not answered yet.
    pub fn judging(&self) -> bool {
        self.verdict_requested && !self.ended_before_seen && self.verdict.is_none()
    }

    /// Status: from the history when it has one, else from the list.
    pub fn status(&self) -> ExecutionStatus {
        self.view.status.unwrap_or(self.listed_status)
    }

    /// Whether it still runs, as its history (or, before its first events, the list)
    /// says.
    pub fn is_running(&self) -> bool {
        self.status() == ExecutionStatus::Running
    }

    /// Whether its history is still to be read: it runs, or its history was asked for
    /// and has not reached the end yet (the list can tell of the end first, when a run
    /// ends between two polls before its first events were read).
    pub fn history_pending(&self) -> bool {
        self.is_running() || self.redriving || (self.poll.asked() && !self.view.is_finished())
    }

    /// Seconds run so far (to the stop, or to the latest event while running).
    pub fn duration_secs(&self) -> Option<f64> {
        let start = self.view.started_at.or(self.start)?;
        let end = self
            .view
            .stopped_at
            .or(self.stop)
            .or_else(|| self.view.events.last().map(|e| e.timestamp))?;
        Some((end - start).num_milliseconds() as f64 / 1000.0)
    }

    /// Asks for the events after the last one seen.
    pub(super) fn poll_history(&mut self, now_ms: u64) -> Cmd {
        self.poll.start(now_ms);
        Cmd::PollHistory {
            arn: self.arn.clone(),
            after_id: self.view.last_event_id(),
        }
    }

    /// Drops the history of a finished, judged execution, keeping what the list shows;
    /// selecting it again reloads the history from the backend.
    pub(super) fn release_history(&mut self, definition: Option<&Definition>) {
        self.listed_status = self.status();
        self.start = self.start.or(self.view.started_at);
        self.stop = self.stop.or(self.view.stopped_at);
        self.view = ExecutionView::new(self.definition.as_deref().or(definition));
        self.narration = None;
        self.poll = Poll::default();
    }
}
