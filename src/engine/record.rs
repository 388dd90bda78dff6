//! The live record of one execution: its history and status, shared between
//! the running task (the only writer) and API callers (readers).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::asl::limits::MAX_HISTORY_EVENTS;
use crate::history::{EventDetails, EventType, ExecutionStatus, HistoryEvent};

/// DescribeExecution for one execution.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionDescription {
    /// Execution ARN.
    pub execution_arn: String,
    /// State machine ARN.
    pub state_machine_arn: String,
    /// Execution name.
    pub name: String,
    /// Current status.
    pub status: ExecutionStatus,
    /// Input JSON text.
    pub input: String,
    /// Output JSON text, once succeeded.
    pub output: Option<String>,
    /// Error name, once failed/timed out/aborted (if any).
    pub error: Option<String>,
    /// Cause, once failed/timed out/aborted (if any).
    pub cause: Option<String>,
    /// When it started.
    pub start_date: DateTime<Utc>,
    /// When it ended.
    pub stop_date: Option<DateTime<Utc>>,
    /// How many times it was redriven.
    pub redrive_count: u32,
    /// When it was last redriven.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redrive_date: Option<DateTime<Utc>>,
}

/// Receives every event and the final status as they happen, e.g. to persist them.
///
/// Events arrive complete and in id order, each exactly once; `on_finished`
/// is called after the terminal event.  Calls come from the execution's task,
/// so implementations should be quick (hand work off to a channel if not).
/// `on_event` runs while the execution's record is locked, so that the event need
/// not be copied: it must not call back into the engine about the same execution.
pub trait ExecutionObserver: Send + Sync {
    /// A new history event of `execution_arn`.
    fn on_event(&self, execution_arn: &str, event: &HistoryEvent);
    /// The same, with the event as the engine keeps it: an observer that holds on to
    /// events (to write them elsewhere later) can keep this one without copying it.
    fn on_shared_event(&self, execution_arn: &str, event: &Arc<HistoryEvent>) {
        self.on_event(execution_arn, event);
    }
    /// The execution reached a terminal status.
    fn on_finished(&self, description: &ExecutionDescription);
}

/// An execution as it runs: its history so far and its description, written by the
/// execution's task and read by API callers while it runs (what a store keeps of it
/// once it has ended is the store's own record).
pub(crate) struct LiveExecution {
    inner: Mutex<RecordInner>,
    observers: Arc<[Arc<dyn ExecutionObserver>]>,
    pub(crate) abort: tokio::sync::Notify,
    /// Told once the history is full (see [`LiveExecution::history_full`]).
    pub(crate) full: tokio::sync::Notify,
    /// Whether an event was refused because the history was full.
    history_full: AtomicBool,
    finished: tokio::sync::watch::Sender<bool>,
}

struct RecordInner {
    description: ExecutionDescription,
    /// Shared, so observers can keep an event without copying its payloads; empty
    /// when the history is not kept (see [`super::EngineConfig::keep_history`]).
    events: Vec<Arc<HistoryEvent>>,
    /// Whether `events` is kept.
    keep_events: bool,
    /// The id of the latest event.
    last_id: u64,
}

impl LiveExecution {
    pub(crate) fn new(
        description: ExecutionDescription,
        observers: Arc<[Arc<dyn ExecutionObserver>]>,
        keep_events: bool,
    ) -> Self {
        Self::continuing(description, observers, keep_events, Vec::new())
    }

    /// A record whose history goes on from `past` (a redriven execution's): new
    /// events take the ids after the last of them.
    pub(crate) fn continuing(
        description: ExecutionDescription,
        observers: Arc<[Arc<dyn ExecutionObserver>]>,
        keep_events: bool,
        past: Vec<HistoryEvent>,
    ) -> Self {
        let last_id = past.last().map_or(0, |e| e.id);
        let events = if keep_events {
            let mut events = Vec::with_capacity(past.len() + 64);
            events.extend(past.into_iter().map(Arc::new));
            events
        } else {
            Vec::new()
        };
        Self {
            inner: Mutex::new(RecordInner {
                description,
                events,
                keep_events,
                last_id,
            }),
            observers,
            abort: tokio::sync::Notify::new(),
            full: tokio::sync::Notify::new(),
            history_full: AtomicBool::new(false),
            finished: tokio::sync::watch::channel(false).0,
        }
    }

    fn lock(&self) -> MutexGuard<'_, RecordInner> {
        // A panic elsewhere while holding the lock leaves consistent data (pushes are atomic).
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends an event and returns its id.
    ///
    /// The history holds at most [`MAX_HISTORY_EVENTS`] events: the last place is kept
    /// for the event that ends the execution, and any other event that would take it
    /// is refused (the id of the latest event is returned instead) and marks the
    /// history full, for the execution to end (see [`LiveExecution::history_full`]).
    pub(crate) fn emit(
        &self,
        timestamp: DateTime<Utc>,
        event_type: EventType,
        previous_event_id: u64,
        details: Option<EventDetails>,
    ) -> u64 {
        let mut inner = self.lock();
        if inner.last_id + 1 >= MAX_HISTORY_EVENTS && !event_type.ends_execution() {
            if !self.history_full.swap(true, Ordering::Relaxed) {
                self.full.notify_one();
            }
            return inner.last_id;
        }
        inner.last_id += 1;
        let id = inner.last_id;
        let event = HistoryEvent {
            timestamp,
            event_type,
            id,
            previous_event_id,
            details,
        };
        let event = Arc::new(event);
        if inner.keep_events {
            inner.events.push(event.clone());
        }
        // Observers share the event rather than copy its payloads:
        // they are called with the record locked (see `ExecutionObserver`).
        for o in self.observers.iter() {
            o.on_shared_event(&inner.description.execution_arn, &event);
        }
        id
    }

    /// Whether the history reached [`MAX_HISTORY_EVENTS`]: the execution then fails
    /// with `States.Runtime`, as AWS fails it, and its flows stop at their next step.
    pub(crate) fn history_full(&self) -> bool {
        self.history_full.load(Ordering::Relaxed)
    }

    pub(crate) fn last_event_id(&self) -> u64 {
        self.lock().last_id
    }

    /// Records the terminal status and wakes everyone waiting for it.
    pub(crate) fn finish(
        &self,
        status: ExecutionStatus,
        output: Option<String>,
        error: Option<String>,
        cause: Option<String>,
        stop_date: DateTime<Utc>,
    ) {
        let description = {
            let mut inner = self.lock();
            let d = &mut inner.description;
            d.status = status;
            d.output = output;
            d.error = error;
            d.cause = cause;
            d.stop_date = Some(stop_date);
            d.clone()
        };
        for o in self.observers.iter() {
            o.on_finished(&description);
        }
        self.finished.send_replace(true);
    }

    /// The status alone, without copying the description's payloads.
    pub(crate) fn status(&self) -> ExecutionStatus {
        self.lock().description.status
    }

    pub(crate) fn describe(&self) -> ExecutionDescription {
        self.lock().description.clone()
    }

    pub(crate) fn events_after(&self, after: u64) -> Vec<HistoryEvent> {
        let inner = self.lock();
        let start = usize::try_from(after)
            .unwrap_or(usize::MAX)
            .min(inner.events.len());
        inner.events[start..]
            .iter()
            .map(|e| (**e).clone())
            .collect()
    }

    pub(crate) async fn wait_finished(&self) {
        let mut rx = self.finished.subscribe();
        // The sender lives as long as `self`, so this only ends when finished.
        let _ = rx.wait_for(|done| *done).await;
    }
}
