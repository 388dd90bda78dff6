//! One execution on a time axis: a bar per state visit, split into its attempts and
//! the backoff waits between them, so a room can see where the time went and how a
//! retried compensation spent it.
//!
//! Built from the reduced view's events and notes alone (the reducer already says which
//! state each event belongs to), so it reads any history, live or finished.

mod axis;
mod paint;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::history::EventType;
use crate::view::{ExecutionView, StateGraph};

pub use axis::{Axis, Scale, Tick, Unit};
pub use paint::{Cell, CellKind, Label, Row, paint};

/// Which lane a state belongs to, as the graph colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// The forward path: the saga's steps.
    Forward,
    /// Reachable only through a `Catch`: the saga's compensations.
    Compensation,
}

/// How one attempt ended (or that it has not yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Still working at the timeline's end.
    Running,
    /// Ended normally.
    Succeeded,
    /// Failed or timed out (a retry, a catch or the execution's end follows).
    Failed,
    /// Cut short by a stop or timeout of the execution.
    Aborted,
}

/// What a stretch of a visit was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentKind {
    /// The `number`th attempt (1-based); states without attempts have just one.
    Attempt {
        /// Which attempt.
        number: u32,
        /// How it ended.
        outcome: Outcome,
    },
    /// The wait a `Retry` imposed between a failure and the next attempt.
    Backoff,
}

/// A stretch of a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// What it was.
    pub kind: SegmentKind,
    /// When it began.
    pub start: DateTime<Utc>,
    /// When it ended, or the timeline's end while it lasts.
    pub end: DateTime<Utc>,
    /// Whether it lasts past the timeline's end.
    pub open: bool,
}

/// One entry into a state and everything until it left.
#[derive(Debug, Clone, PartialEq)]
pub struct Visit {
    /// The state's name.
    pub state: String,
    /// Its lane.
    pub lane: Lane,
    /// When it was entered.
    pub start: DateTime<Utc>,
    /// When it was left, or the timeline's end while it lasts.
    pub end: DateTime<Utc>,
    /// Whether it lasts past the timeline's end.
    pub open: bool,
    /// Attempts and backoffs, in time order and end to end.
    pub segments: Vec<Segment>,
    /// When the pending retry is due, while one waits.
    pub retry_due: Option<DateTime<Utc>>,
    /// Index of its first event in the view's events.
    pub first_event: usize,
    /// Index of its last event so far.
    pub last_event: usize,
}

impl Visit {
    /// Attempts made.
    pub fn attempts(&self) -> u32 {
        self.segments
            .iter()
            .filter_map(|s| match s.kind {
                SegmentKind::Attempt { number, .. } => Some(number),
                SegmentKind::Backoff => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// Retries made or pending: the label's `↻n`, as the graph counts them.
    pub fn retries(&self) -> u32 {
        let backoffs = self
            .segments
            .iter()
            .filter(|s| s.kind == SegmentKind::Backoff)
            .count();
        u32::try_from(backoffs).unwrap_or(u32::MAX)
    }

    /// Whether any attempt failed.
    pub fn failed(&self) -> bool {
        self.segments.iter().any(|s| {
            matches!(
                s.kind,
                SegmentKind::Attempt {
                    outcome: Outcome::Failed,
                    ..
                }
            )
        })
    }

    fn last_attempt_mut(&mut self) -> Option<&mut Segment> {
        self.segments
            .iter_mut()
            .rev()
            .find(|s| matches!(s.kind, SegmentKind::Attempt { .. }))
    }
}

/// One execution's visits between its start and its end (or now).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Timeline {
    /// The execution's start (the axis's zero).
    pub start: DateTime<Utc>,
    /// Its end, or now while it runs; later when a pending retry is due after that.
    pub end: DateTime<Utc>,
    /// Every visit, in the order entered.
    pub visits: Vec<Visit>,
}

impl Timeline {
    /// The timeline of an execution. `graph` places states in lanes (without it every
    /// state is forward); `now` is where a running execution's bars end (at least its
    /// last event).
    pub fn build(
        view: &ExecutionView,
        graph: Option<&StateGraph>,
        now: Option<DateTime<Utc>>,
    ) -> Self {
        let Some(first) = view.events.first() else {
            return Self::default();
        };
        let start = view.started_at.unwrap_or(first.timestamp);
        let last = view.events.last().map_or(start, |e| e.timestamp);
        let end = match view.stopped_at {
            Some(stop) => stop,
            None => now.map_or(last, |n| n.max(last)),
        };
        let mut b = Builder {
            visits: Vec::new(),
            open: HashMap::new(),
            graph,
        };
        for (i, (ev, note)) in view.events.iter().zip(&view.notes).enumerate() {
            match note.state.as_deref() {
                Some(name) => b.state_event(i, ev.event_type, ev.timestamp, name),
                None => b.execution_event(ev.event_type, ev.timestamp),
            }
        }
        let mut visits = b.visits;
        for v in visits.iter_mut().filter(|v| v.open) {
            v.end = end;
            for s in v.segments.iter_mut().filter(|s| s.open) {
                s.end = end;
            }
        }
        if view.stopped_at.is_none() {
            pending_retries(view, &mut visits);
        }
        let end = visits
            .iter()
            .filter_map(|v| v.retry_due)
            .fold(end, DateTime::max);
        Self { start, end, visits }
    }

    /// Milliseconds the axis spans.
    pub fn span_ms(&self) -> f64 {
        ms_between(self.start, self.end)
    }

    /// The visit event `index` belongs to (the latest such visit), if any.
    pub fn visit_of_event(&self, view: &ExecutionView, index: usize) -> Option<usize> {
        let name = view.notes.get(index)?.state.as_deref()?;
        self.visits
            .iter()
            .rposition(|v| v.state == name && v.first_event <= index && index <= v.last_event)
    }
}

/// Milliseconds from `a` to `b` (negative when `b` is earlier).
pub fn ms_between(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_microseconds().map_or(0.0, |us| us as f64 / 1e3)
}

/// Marks the retry each state's latest visit waits for, as the reducer granted it.
fn pending_retries(view: &ExecutionView, visits: &mut [Visit]) {
    let mut seen = std::collections::HashSet::new();
    for v in visits.iter_mut().rev() {
        if !seen.insert(v.state.clone()) || !v.open {
            continue;
        }
        let Some(grant) = view.state(&v.state).and_then(|s| s.retry.as_ref()) else {
            continue;
        };
        if grant.started {
            continue;
        }
        let end = v.end;
        v.segments.push(Segment {
            kind: SegmentKind::Backoff,
            start: grant.failed_at,
            end,
            open: true,
        });
        v.retry_due = Some(grant.due());
    }
}

struct Builder<'a> {
    visits: Vec<Visit>,
    /// Open visits per state name, innermost last.
    open: HashMap<String, Vec<usize>>,
    graph: Option<&'a StateGraph>,
}

impl Builder<'_> {
    fn lane(&self, name: &str) -> Lane {
        if self.graph.is_some_and(|g| g.is_compensation(name)) {
            Lane::Compensation
        } else {
            Lane::Forward
        }
    }

    fn state_event(&mut self, i: usize, t: EventType, at: DateTime<Utc>, name: &str) {
        if t.is_state_entered() {
            self.open
                .entry(name.to_string())
                .or_default()
                .push(self.visits.len());
            self.visits.push(Visit {
                state: name.to_string(),
                lane: self.lane(name),
                start: at,
                end: at,
                open: true,
                segments: vec![Segment {
                    kind: SegmentKind::Attempt {
                        number: 1,
                        outcome: Outcome::Running,
                    },
                    start: at,
                    end: at,
                    open: true,
                }],
                retry_due: None,
                first_event: i,
                last_event: i,
            });
            return;
        }
        let exited = t.is_state_exited();
        let index = if exited {
            self.open.get_mut(name).and_then(Vec::pop)
        } else {
            self.open.get(name).and_then(|s| s.last().copied())
        };
        let Some(v) = index.and_then(|i| self.visits.get_mut(i)) else {
            return;
        };
        v.last_event = i;
        if exited {
            v.end = at;
            v.open = false;
            if let Some(s) = v.segments.last_mut().filter(|s| s.open) {
                s.end = at;
                s.open = false;
                if let SegmentKind::Attempt { outcome, .. } = &mut s.kind
                    && *outcome == Outcome::Running
                {
                    *outcome = Outcome::Succeeded;
                }
            }
        } else if starts_attempt(t) {
            attempt_started(v, at);
        } else if let Some(outcome) = ends_attempt(t)
            && let Some(s) = v.last_attempt_mut().filter(|s| s.open)
        {
            s.end = at;
            if let SegmentKind::Attempt { outcome: o, .. } = &mut s.kind {
                *o = outcome;
            }
            // A success still runs until the state exits; a failure is over.
            s.open = outcome != Outcome::Failed;
        }
    }

    fn execution_event(&mut self, t: EventType, at: DateTime<Utc>) {
        let outcome = match t {
            EventType::ExecutionSucceeded => Outcome::Succeeded,
            EventType::ExecutionFailed => Outcome::Failed,
            EventType::ExecutionAborted | EventType::ExecutionTimedOut => Outcome::Aborted,
            _ => return,
        };
        for i in self.open.drain().flat_map(|(_, v)| v) {
            let v = &mut self.visits[i];
            v.end = at;
            v.open = false;
            for s in v.segments.iter_mut().filter(|s| s.open) {
                s.end = at;
                s.open = false;
                if let SegmentKind::Attempt { outcome: o, .. } = &mut s.kind
                    && *o == Outcome::Running
                {
                    *o = outcome;
                }
            }
        }
    }
}

/// A new attempt: the first only says the state's work began (the visit's first
/// segment already stands for it); a later one ends a backoff.
fn attempt_started(v: &mut Visit, at: DateTime<Utc>) {
    let Some(last) = v.segments.last().copied() else {
        return;
    };
    let SegmentKind::Attempt { number, outcome } = last.kind else {
        return;
    };
    if outcome == Outcome::Running && last.open {
        return;
    }
    v.segments.push(Segment {
        kind: SegmentKind::Backoff,
        start: last.end,
        end: at,
        open: false,
    });
    v.segments.push(Segment {
        kind: SegmentKind::Attempt {
            number: number + 1,
            outcome: Outcome::Running,
        },
        start: at,
        end: at,
        open: true,
    });
}

/// Events that begin an attempt, as the reducer counts them.
fn starts_attempt(t: EventType) -> bool {
    use EventType as T;
    matches!(
        t,
        T::TaskScheduled
            | T::LambdaFunctionScheduled
            | T::ParallelStateStarted
            | T::MapStateStarted
    )
}

/// How an event ends an attempt, if it does.
fn ends_attempt(t: EventType) -> Option<Outcome> {
    use EventType as T;
    match t {
        T::TaskSucceeded
        | T::LambdaFunctionSucceeded
        | T::ParallelStateSucceeded
        | T::MapStateSucceeded => Some(Outcome::Succeeded),
        T::TaskFailed
        | T::TaskTimedOut
        | T::LambdaFunctionFailed
        | T::LambdaFunctionTimedOut
        | T::ParallelStateFailed
        | T::MapStateFailed => Some(Outcome::Failed),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
