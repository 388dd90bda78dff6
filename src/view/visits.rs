//! One state's visits, read out of a reduced execution: each time the state was
//! entered, what came in and went out, every attempt with its times and outcome,
//! and the events that belong to it. The inspector shows exactly this.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::ExecutionView;
use crate::history::{EventDetails, EventType};

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not ended yet (or the execution ended first).
    Open,
    /// It succeeded.
    Succeeded,
    /// It failed or timed out.
    Failed {
        /// The error name.
        error: Option<String>,
        /// The cause, often JSON text.
        cause: Option<String>,
    },
}

/// One attempt of a Task (or a Parallel or Map run): scheduled, started, ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// 1-based, within the visit.
    pub number: u32,
    /// When it was scheduled (a retry's backoff ends here).
    pub scheduled_at: DateTime<Utc>,
    /// When the work started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// How it ended.
    pub outcome: Outcome,
}

/// One entry into a state and what followed until it exited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    /// When the state was entered.
    pub entered_at: DateTime<Utc>,
    /// When it exited (`None` while in it, or when the execution ended in it).
    pub exited_at: Option<DateTime<Utc>>,
    /// The input it was entered with.
    pub input: Option<String>,
    /// The output it exited with.
    pub output: Option<String>,
    /// Its attempts, in order.
    pub attempts: Vec<Attempt>,
    /// The last failure of the visit (or of the execution, when it ended in the state).
    pub error: Option<String>,
    /// That failure's cause.
    pub cause: Option<String>,
    /// Its events, as indices into the execution's events.
    pub events: Vec<usize>,
}

/// Every visit of the state named `state`, in order. Events are given to the visit
/// they chain from (`previousEventId`), so visits that overlap (Map iterations) keep
/// their own events.
pub fn visits(view: &ExecutionView, state: &str) -> Vec<Visit> {
    let mut out: Vec<Visit> = Vec::new();
    let mut visit_of: HashMap<u64, usize> = HashMap::new();
    for (i, (ev, note)) in view.events.iter().zip(&view.notes).enumerate() {
        if note.state.as_deref() != Some(state) {
            continue;
        }
        let v = if ev.event_type.is_state_entered() {
            let input = match &ev.details {
                Some(EventDetails::StateEntered(d)) => Some(d.input.clone()),
                _ => None,
            };
            out.push(Visit {
                entered_at: ev.timestamp,
                exited_at: None,
                input,
                output: None,
                attempts: Vec::new(),
                error: None,
                cause: None,
                events: Vec::new(),
            });
            out.len() - 1
        } else {
            match visit_of.get(&ev.previous_event_id) {
                Some(&v) => v,
                None if !out.is_empty() => out.len() - 1,
                None => continue,
            }
        };
        visit_of.insert(ev.id, v);
        let visit = &mut out[v];
        visit.events.push(i);
        apply(visit, ev);
    }
    if view.is_finished() {
        for visit in out.iter_mut().filter(|v| v.exited_at.is_none()) {
            if visit.error.is_none() {
                visit.error.clone_from(&view.error);
                visit.cause.clone_from(&view.cause);
            }
        }
    }
    out
}

fn apply(visit: &mut Visit, ev: &crate::history::HistoryEvent) {
    use EventType as T;
    let at = ev.timestamp;
    match ev.event_type {
        t if t.is_state_exited() => {
            visit.exited_at = Some(at);
            if let Some(EventDetails::StateExited(d)) = &ev.details {
                visit.output = Some(d.output.clone());
            }
        }
        T::TaskScheduled
        | T::LambdaFunctionScheduled
        | T::ParallelStateStarted
        | T::MapStateStarted => {
            let number = u32::try_from(visit.attempts.len() + 1).unwrap_or(u32::MAX);
            let started_at =
                matches!(ev.event_type, T::ParallelStateStarted | T::MapStateStarted).then_some(at);
            visit.attempts.push(Attempt {
                number,
                scheduled_at: at,
                started_at,
                ended_at: None,
                outcome: Outcome::Open,
            });
        }
        T::TaskStarted | T::LambdaFunctionStarted => {
            if let Some(a) = visit.attempts.last_mut() {
                a.started_at = Some(at);
            }
        }
        T::TaskSucceeded
        | T::LambdaFunctionSucceeded
        | T::ParallelStateSucceeded
        | T::MapStateSucceeded => end(visit, at, Outcome::Succeeded),
        T::TaskFailed
        | T::TaskTimedOut
        | T::LambdaFunctionFailed
        | T::LambdaFunctionTimedOut
        | T::ParallelStateFailed
        | T::MapStateFailed => {
            let (error, cause) = ev.error_and_cause().unwrap_or_default();
            let timed_out = matches!(ev.event_type, T::TaskTimedOut | T::LambdaFunctionTimedOut);
            let error = error
                .map(str::to_string)
                .or_else(|| timed_out.then(|| "States.Timeout".to_string()));
            let cause = cause.map(str::to_string);
            visit.error.clone_from(&error);
            visit.cause.clone_from(&cause);
            end(visit, at, Outcome::Failed { error, cause });
        }
        _ => {}
    }
}

fn end(visit: &mut Visit, at: DateTime<Utc>, outcome: Outcome) {
    if let Some(a) = visit.attempts.last_mut()
        && a.outcome == Outcome::Open
    {
        a.ended_at = Some(at);
        a.outcome = outcome;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::sample::{self, HistoryBuilder, Scenario};
    use serde_json::json;

    fn reduce(events: &[crate::history::HistoryEvent]) -> ExecutionView {
        let mut view = ExecutionView::default();
        view.apply(events);
        view
    }

    #[test]
    fn a_successful_task_has_its_input_output_and_one_attempt() {
        let view = reduce(&sample::history(Scenario::Success));
        let v = visits(&view, "ReserveHotel");
        assert_eq!(v.len(), 1);
        let visit = &v[0];
        assert!(visit.input.as_deref().unwrap().contains("trip_id"));
        assert!(visit.output.is_some() && visit.exited_at.is_some());
        assert_eq!(visit.attempts.len(), 1);
        let a = &visit.attempts[0];
        assert_eq!(a.outcome, Outcome::Succeeded);
        assert!(a.scheduled_at <= a.started_at.unwrap() && a.started_at <= a.ended_at);
        assert_eq!(visit.error, None);
        let types: Vec<_> = visit
            .events
            .iter()
            .map(|&i| view.events[i].event_type)
            .collect();
        assert_eq!(types.first(), Some(&EventType::TaskStateEntered));
        assert_eq!(types.last(), Some(&EventType::TaskStateExited));
        assert!(visits(&view, "NoSuchState").is_empty());
    }

    #[test]
    fn a_retried_compensation_keeps_each_attempt_and_the_last_failure() {
        let view = reduce(&sample::history(Scenario::CompensationExhausted));
        let v = visits(&view, "CancelFlightReservation");
        assert_eq!(v.len(), 1);
        let visit = &v[0];
        assert!(visit.attempts.len() > 1, "{visit:?}");
        assert!(
            visit
                .attempts
                .iter()
                .all(|a| matches!(a.outcome, Outcome::Failed { .. }))
        );
        let numbers: Vec<u32> = visit.attempts.iter().map(|a| a.number).collect();
        assert_eq!(
            numbers,
            (1..=visit.attempts.len() as u32).collect::<Vec<_>>()
        );
        assert!(visit.error.is_some());
        assert_eq!(visit.exited_at, None, "the execution failed in it");
    }

    #[test]
    fn each_visit_of_a_loop_is_its_own() {
        let mut b = HistoryBuilder::start(sample::epoch(), &json!({"n": 0}));
        b.task_ok("Poll").wait(100).task_ok("Poll");
        b.enter("Task", "Poll")
            .attempt("Poll", Some(("Boom", "{\"errorMessage\":\"x\"}")));
        let view = reduce(&b.build());
        let v = visits(&view, "Poll");
        assert_eq!(v.len(), 3);
        assert!(v[0].entered_at < v[1].entered_at);
        assert_eq!(v[0].attempts.len(), 1);
        assert_eq!(v[2].exited_at, None);
        assert_eq!(v[2].error.as_deref(), Some("Boom"));
        assert!(v.iter().all(|visit| !visit.events.is_empty()));
        let all: usize = v.iter().map(|visit| visit.events.len()).sum();
        let owned = view
            .notes
            .iter()
            .filter(|n| n.state.as_deref() == Some("Poll"))
            .count();
        assert_eq!(all, owned, "every event of the state is in one visit");
    }
}
