//! Folds history events into an [`ExecutionView`]: per-state status, attempts,
//! errors, timings and the edges the execution took.
//!
//! Works incrementally (feed each new page of `history_since`; events already seen
//! are skipped) and only reads event types and links (`previousEventId`), never
//! state names, so any definition reduces the same way.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, TimeDelta, Utc};

use crate::asl::Definition;
use crate::asl::model::{Retrier, StateKind};
use crate::engine::StatesError;
use crate::history::ExecutionStatus;
use crate::history::{EventDetails, EventType, HistoryEvent};

/// Where one state stands, as the graph shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StateStatus {
    /// Not entered yet.
    #[default]
    NotStarted,
    /// Entered, working.
    Running,
    /// Failed and being retried; `n` is the retry in progress (after the 2nd failure, 2).
    Retrying(u32),
    /// Exited normally.
    Succeeded,
    /// Failed with nothing to handle it (or a Fail state ended the execution).
    Failed,
    /// Failed, and a `Catch` routed the flow on.
    Caught,
    /// Interrupted by a stop or timeout of the execution.
    Aborted,
}

impl StateStatus {
    /// Whether the state is doing something now (drawn animated).
    pub fn is_active(self) -> bool {
        matches!(self, Self::Running | Self::Retrying(_))
    }
}

/// Everything known about one state of one execution (its latest visit, plus totals).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StateView {
    /// Status of the latest visit.
    pub status: StateStatus,
    /// Attempts in the latest visit (1 + retries).
    pub attempts: u32,
    /// How often the state was entered.
    pub visits: u32,
    /// Last error name seen for the state.
    pub last_error: Option<String>,
    /// Last cause seen for the state.
    pub last_cause: Option<String>,
    /// When the latest visit began.
    pub entered_at: Option<DateTime<Utc>>,
    /// When the latest visit ended.
    pub exited_at: Option<DateTime<Utc>>,
    /// Retries in the latest visit: begun, or granted and pending. Kept after the visit
    /// ends, so a state that succeeded after retries can say so.
    pub retries: u32,
    /// The retry a `Retry` granted the latest failure, while it is pending or running.
    pub retry: Option<RetryGrant>,
    failures_this_visit: u32,
    last_attempt_failed: bool,
    retrier_counts: Vec<u32>,
}

impl StateView {
    /// Forgets the granted retry when the execution ended before it began: it never ran.
    fn drop_retry(&mut self) {
        if let Some(grant) = self.retry.take()
            && !grant.started
        {
            self.retries = self.retries.saturating_sub(1);
        }
    }
}

/// A retry that a state's `Retry` granted after a failure.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryGrant {
    /// The retrier whose `ErrorEquals` matched the failure.
    pub retrier: Retrier,
    /// Which retry of that retrier this is (1-based, at most its `MaxAttempts`).
    pub number: u32,
    /// When the attempt failed: the wait before the retry starts here.
    pub failed_at: DateTime<Utc>,
    /// Whether the retried attempt has started (else the retry is still waiting).
    pub started: bool,
}

impl RetryGrant {
    /// When the retry is due: the failure plus the retrier's delay. With full jitter the
    /// runtime picks a random part of that delay, so this is the latest it starts.
    pub fn due(&self) -> DateTime<Utc> {
        let micros = (self.retrier.delay_seconds(self.number) * 1e6).round();
        // `as` saturates; a delay beyond the calendar is "never" in practice.
        let delay = TimeDelta::microseconds(micros as i64);
        self.failed_at
            .checked_add_signed(delay)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

/// An edge the execution followed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TakenEdge {
    /// The state that exited.
    pub from: String,
    /// The state entered next.
    pub to: String,
    /// The source had failed and a `Catch` chose this edge.
    pub via_catch: bool,
}

/// What the reducer adds to each raw event, for the history panel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventNote {
    /// The state the event belongs to, if any.
    pub state: Option<String>,
    /// For task events: which attempt of the state it belongs to.
    pub attempt: Option<u32>,
}

/// One execution, reduced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExecutionView {
    /// Execution status (`Running` until a terminal event arrives).
    pub status: Option<ExecutionStatus>,
    /// `ExecutionStarted` time.
    pub started_at: Option<DateTime<Utc>>,
    /// Terminal event time.
    pub stopped_at: Option<DateTime<Utc>>,
    /// Error of a failed/aborted/timed-out execution.
    pub error: Option<String>,
    /// Cause of a failed/aborted/timed-out execution.
    pub cause: Option<String>,
    /// Per state name.
    pub states: HashMap<String, StateView>,
    /// Edges taken, in the order first taken.
    pub taken: Vec<TakenEdge>,
    /// Every event, in id order.
    pub events: Vec<HistoryEvent>,
    /// One note per event in `events`.
    pub notes: Vec<EventNote>,
    taken_set: HashSet<(String, String)>,
    owner: HashMap<u64, String>,
    exited_by: HashMap<u64, String>,
    open: Vec<(String, &'static str)>,
    retriers: HashMap<String, Vec<Retrier>>,
}

impl ExecutionView {
    /// An empty view. With the definition, a failure that a `Retry` will retry shows as
    /// retrying at once rather than when the next attempt is scheduled.
    pub fn new(definition: Option<&Definition>) -> Self {
        let mut retriers = HashMap::new();
        if let Some(def) = definition {
            collect_retriers(def, &mut retriers);
        }
        Self {
            retriers,
            ..Self::default()
        }
    }

    /// Id of the last event applied: the `after_id` of the next poll.
    pub fn last_event_id(&self) -> u64 {
        self.events.last().map_or(0, |e| e.id)
    }

    /// Whether a terminal event was seen.
    pub fn is_finished(&self) -> bool {
        self.status.is_some_and(ExecutionStatus::is_terminal)
    }

    /// The state's view, if it was ever entered.
    pub fn state(&self, name: &str) -> Option<&StateView> {
        self.states.get(name)
    }

    /// The state's status (`NotStarted` when never entered).
    pub fn status_of(&self, name: &str) -> StateStatus {
        self.states.get(name).map(|s| s.status).unwrap_or_default()
    }

    /// Whether the execution went from `from` to `to`.
    pub fn took(&self, from: &str, to: &str) -> bool {
        self.taken_set.contains(&(from.to_string(), to.to_string()))
    }

    /// Seconds from the execution start to an event, for `+1.234s` labels.
    pub fn offset_secs(&self, event: &HistoryEvent) -> f64 {
        let start = self
            .started_at
            .or_else(|| self.events.first().map(|e| e.timestamp));
        start.map_or(0.0, |s| {
            (event.timestamp - s).num_microseconds().unwrap_or(0) as f64 / 1e6
        })
    }

    /// Applies new events; events with an id already applied are ignored.
    pub fn apply(&mut self, events: &[HistoryEvent]) {
        for event in events {
            if event.id <= self.last_event_id() && !self.events.is_empty() {
                continue;
            }
            let note = self.apply_one(event);
            self.events.push(event.clone());
            self.notes.push(note);
        }
    }

    fn apply_one(&mut self, ev: &HistoryEvent) -> EventNote {
        use EventType as T;
        let t = ev.event_type;
        let at = ev.timestamp;
        match t {
            T::ExecutionStarted => {
                self.status = Some(ExecutionStatus::Running);
                self.started_at = Some(at);
                EventNote::default()
            }
            // Redriven: running again, the failed state about to be entered anew.
            T::ExecutionRedriven => {
                self.status = Some(ExecutionStatus::Running);
                self.stopped_at = None;
                self.error = None;
                self.cause = None;
                EventNote::default()
            }
            T::ExecutionSucceeded => {
                self.finish(ExecutionStatus::Succeeded, at, None, StateStatus::Succeeded);
                EventNote::default()
            }
            T::ExecutionFailed => {
                self.finish(
                    ExecutionStatus::Failed,
                    at,
                    error_of(ev),
                    StateStatus::Failed,
                );
                EventNote::default()
            }
            T::ExecutionAborted => {
                self.finish(
                    ExecutionStatus::Aborted,
                    at,
                    error_of(ev),
                    StateStatus::Aborted,
                );
                EventNote::default()
            }
            T::ExecutionTimedOut => {
                self.finish(
                    ExecutionStatus::TimedOut,
                    at,
                    error_of(ev),
                    StateStatus::Aborted,
                );
                EventNote::default()
            }
            _ if t.is_state_entered() => self.entered(ev),
            _ if t.is_state_exited() => self.exited(ev),
            _ => self.inside(ev),
        }
    }

    fn entered(&mut self, ev: &HistoryEvent) -> EventNote {
        let Some(EventDetails::StateEntered(d)) = &ev.details else {
            return EventNote::default();
        };
        let name = d.name.clone();
        if let Some(from) = self.exited_by.get(&ev.previous_event_id).cloned() {
            let via_catch = self.status_of(&from) == StateStatus::Caught;
            if self.taken_set.insert((from.clone(), name.clone())) {
                self.taken.push(TakenEdge {
                    from,
                    to: name.clone(),
                    via_catch,
                });
            }
        }
        let s = self.states.entry(name.clone()).or_default();
        s.status = StateStatus::Running;
        s.visits += 1;
        s.attempts = 0;
        s.entered_at = Some(ev.timestamp);
        s.exited_at = None;
        s.failures_this_visit = 0;
        s.last_attempt_failed = false;
        s.retrier_counts.clear();
        s.retries = 0;
        s.retry = None;
        self.open.push((name.clone(), type_prefix(ev.event_type)));
        self.owner.insert(ev.id, name.clone());
        EventNote {
            state: Some(name),
            attempt: None,
        }
    }

    fn exited(&mut self, ev: &HistoryEvent) -> EventNote {
        let Some(EventDetails::StateExited(d)) = &ev.details else {
            return EventNote::default();
        };
        let name = d.name.clone();
        let s = self.states.entry(name.clone()).or_default();
        s.status = if s.last_attempt_failed {
            StateStatus::Caught
        } else {
            StateStatus::Succeeded
        };
        s.exited_at = Some(ev.timestamp);
        s.retry = None;
        if let Some(i) = self.open.iter().rposition(|(n, _)| *n == name) {
            self.open.remove(i);
        }
        self.owner.insert(ev.id, name.clone());
        self.exited_by.insert(ev.id, name.clone());
        EventNote {
            state: Some(name),
            attempt: None,
        }
    }

    /// Task, Lambda, Parallel and Map events between a state's entry and exit.
    fn inside(&mut self, ev: &HistoryEvent) -> EventNote {
        use EventType as T;
        let t = ev.event_type;
        let prefix = type_prefix(t);
        // Task events chain from the state's previous event; Parallel/Map summary events
        // may chain from a nested state, so those go to the innermost open state of that type.
        let owner = if matches!(prefix, "Parallel" | "Map") {
            self.innermost_open(prefix)
        } else {
            self.owner
                .get(&ev.previous_event_id)
                .cloned()
                .or_else(|| self.innermost_open("Task"))
        };
        let Some(name) = owner else {
            return EventNote::default();
        };
        self.owner.insert(ev.id, name.clone());
        let retriers = self.retriers.get(&name).cloned().unwrap_or_default();
        let s = self.states.entry(name.clone()).or_default();
        match t {
            // A new attempt; a retried Parallel or Map state starts its branches again.
            T::TaskScheduled
            | T::LambdaFunctionScheduled
            | T::ParallelStateStarted
            | T::MapStateStarted => {
                if s.last_attempt_failed {
                    match &mut s.retry {
                        Some(grant) => grant.started = true,
                        // A retry the view did not foresee (no definition).
                        None => s.retries += 1,
                    }
                }
                s.attempts += 1;
                s.last_attempt_failed = false;
                if !matches!(s.status, StateStatus::Retrying(_)) {
                    s.status = StateStatus::Running;
                }
            }
            T::TaskFailed
            | T::TaskTimedOut
            | T::LambdaFunctionFailed
            | T::LambdaFunctionTimedOut
            | T::ParallelStateFailed
            | T::MapStateFailed => {
                let (error, cause) = error_of(ev).unwrap_or_default();
                let error = error.or_else(|| timeout_error(t));
                s.failures_this_visit += 1;
                s.last_attempt_failed = true;
                let grant = grant_retry(&retriers, s, error.as_deref().unwrap_or(""), ev.timestamp);
                s.status = if grant.is_some() {
                    s.retries += 1;
                    StateStatus::Retrying(s.failures_this_visit)
                } else {
                    StateStatus::Failed
                };
                s.retry = grant;
                s.last_error = error;
                s.last_cause = cause;
            }
            _ => {}
        }
        let attempt = (prefix == "Task" || prefix == "LambdaFunction").then_some(s.attempts);
        EventNote {
            state: Some(name),
            attempt: attempt.filter(|&a| a > 0),
        }
    }

    fn innermost_open(&self, type_name: &str) -> Option<String> {
        self.open
            .iter()
            .rev()
            .find(|(_, t)| *t == type_name)
            .map(|(n, _)| n.clone())
    }

    fn finish(
        &mut self,
        status: ExecutionStatus,
        at: DateTime<Utc>,
        error: Option<(Option<String>, Option<String>)>,
        open_becomes: StateStatus,
    ) {
        self.status = Some(status);
        self.stopped_at = Some(at);
        if let Some((error, cause)) = error {
            self.error = error;
            self.cause = cause;
        }
        for (name, _) in self.open.drain(..) {
            if let Some(s) = self.states.get_mut(&name)
                && (s.status.is_active() || s.status == StateStatus::Failed)
            {
                s.status = open_becomes;
                s.exited_at = Some(at);
                s.drop_retry();
            }
        }
        // A failure whose retry never came (the execution ended first) is final.
        if status != ExecutionStatus::Succeeded {
            for s in self.states.values_mut() {
                if s.status.is_active() {
                    s.status = open_becomes;
                    s.drop_retry();
                }
            }
        }
    }
}

/// `TaskStateEntered` → `Task`, `LambdaFunctionFailed` → `LambdaFunction`, ...
fn type_prefix(t: EventType) -> &'static str {
    let s = t.as_str();
    for prefix in [
        "Task",
        "LambdaFunction",
        "Parallel",
        "MapIteration",
        "Map",
        "Pass",
        "Choice",
        "Wait",
        "Succeed",
        "Fail",
    ] {
        if s.starts_with(prefix) {
            return if prefix == "MapIteration" {
                "Map"
            } else {
                prefix
            };
        }
    }
    ""
}

fn timeout_error(t: EventType) -> Option<String> {
    matches!(
        t,
        EventType::TaskTimedOut | EventType::LambdaFunctionTimedOut
    )
    .then(|| "States.Timeout".to_string())
}

/// Error and cause of any event that carries them, owned.
fn error_of(ev: &HistoryEvent) -> Option<(Option<String>, Option<String>)> {
    ev.error_and_cause()
        .map(|(e, c)| (e.map(str::to_string), c.map(str::to_string)))
}

/// Whether `ErrorEquals` names this error, by the runtime's own rule (`States.ALL`,
/// `States.TaskFailed`, `States.Timeout`; never `States.Runtime`).
pub(crate) fn error_matches(error_equals: &[String], error: &str) -> bool {
    StatesError {
        error: error.to_string(),
        cause: None,
    }
    .matches(error_equals)
}

/// The retry a `Retry` of the state grants this failure, if any; counts it if so. The
/// first retrier whose `ErrorEquals` matches decides, as at run time.
fn grant_retry(
    retriers: &[Retrier],
    s: &mut StateView,
    error: &str,
    failed_at: DateTime<Utc>,
) -> Option<RetryGrant> {
    let i = retriers
        .iter()
        .position(|r| error_matches(&r.error_equals, error))?;
    if s.retrier_counts.len() < retriers.len() {
        s.retrier_counts.resize(retriers.len(), 0);
    }
    s.retrier_counts[i] += 1;
    let number = s.retrier_counts[i];
    (number <= retriers[i].max_attempts).then(|| RetryGrant {
        retrier: retriers[i].clone(),
        number,
        failed_at,
        started: false,
    })
}

fn collect_retriers(def: &Definition, out: &mut HashMap<String, Vec<Retrier>>) {
    for state in &def.states {
        let retry = match &state.kind {
            StateKind::Task(t) => &t.retry,
            StateKind::Parallel(p) => {
                p.branches.iter().for_each(|b| collect_retriers(b, out));
                &p.retry
            }
            StateKind::Map(m) => {
                collect_retriers(&m.processor, out);
                &m.retry
            }
            _ => continue,
        };
        if !retry.is_empty() {
            out.insert(state.name.clone(), retry.clone());
        }
    }
}
