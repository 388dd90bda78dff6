//! RedriveExecution: which ended executions may run again, and from where.
//!
//! As the Step Functions developer guide ("Restarting state machine executions with
//! redrive") describes it: a failed, aborted or timed-out execution continues from the
//! state that did not complete, with the input that state was entered with, keeping
//! its ARN, its definition and its history; the states that completed are not run
//! again (nor the branches or iterations of a Parallel or Map state that succeeded),
//! retry counts start from zero, and the execution's `TimeoutSeconds` counts from the
//! redrive. The quotes are in `conformance/documented-behaviour.md`.

use chrono::{DateTime, Utc};

use crate::asl::Definition;
use crate::asl::limits::{MAX_EXECUTION_TIME, MAX_HISTORY_EVENTS};
use crate::asl::model::{Catcher, ParallelState, StateKind, Transition};
use crate::engine::StatesError;
use crate::history::{EventDetails, EventType, ExecutionStatus, HistoryEvent};

/// How long after it ended an execution may be redriven ("the redrivable period of
/// 14 days").
pub const REDRIVABLE_PERIOD: chrono::Duration = chrono::Duration::days(14);

/// The history must have room for the `ExecutionRedriven` event and at least one more
/// ("The execution event history count is less than 24,999").
pub const MAX_EVENTS_TO_REDRIVE: u64 = MAX_HISTORY_EVENTS - 1;

/// `redriveStatusReason` when the execution is running.
pub const RUNNING_REASON: &str = "Execution is RUNNING and cannot be redriven.";
/// `redriveStatusReason` when the execution succeeded.
pub const SUCCEEDED_REASON: &str = "Execution is SUCCEEDED and cannot be redriven.";
/// `redriveStatusReason` when the history has no room left.
pub const HISTORY_LIMIT_REASON: &str = "Execution history event limit exceeded.";
/// `redriveStatusReason` when the execution has been open for longer than an
/// execution may run.
pub const MAX_TIME_REASON: &str = "Execution has exceeded the max execution time.";
/// `redriveStatusReason` when it ended too long ago.
pub const PERIOD_REASON: &str = "Execution redrivable period exceeded.";

/// An ended execution as it was recorded: what a redrive continues from.
#[derive(Debug, Clone)]
pub struct PastExecution {
    /// What DescribeExecution said of it when it ended.
    pub description: super::ExecutionDescription,
    /// Its whole history.
    pub events: Vec<HistoryEvent>,
}

/// Whether an execution may be redriven now, and if not, why, in the words of
/// DescribeExecution's `redriveStatusReason`.
pub fn redrivable(
    status: ExecutionStatus,
    start: DateTime<Utc>,
    stop: Option<DateTime<Utc>>,
    events: u64,
    now: DateTime<Utc>,
) -> Result<(), &'static str> {
    match status {
        ExecutionStatus::Running => return Err(RUNNING_REASON),
        ExecutionStatus::Succeeded => return Err(SUCCEEDED_REASON),
        _ => {}
    }
    if events >= MAX_EVENTS_TO_REDRIVE {
        return Err(HISTORY_LIMIT_REASON);
    }
    let max_time = chrono::Duration::from_std(MAX_EXECUTION_TIME).unwrap_or(chrono::Duration::MAX);
    if now.signed_duration_since(start) >= max_time {
        return Err(MAX_TIME_REASON);
    }
    if stop.is_some_and(|stop| now.signed_duration_since(stop) > REDRIVABLE_PERIOD) {
        return Err(PERIOD_REASON);
    }
    Ok(())
}

/// Where a redrive picks up: the top-level state to enter again and the input text it
/// was entered with.
#[derive(Debug, Clone, PartialEq)]
pub struct RestartPoint {
    /// The state's index in the definition.
    pub state: usize,
    /// The state's name.
    pub name: String,
    /// The input it is entered with.
    pub input: String,
    /// For a Parallel or Map state entered again: the output text of each branch or
    /// iteration that succeeded in the attempt before (`None` for one that failed, was
    /// aborted or did not start), which the redrive does not run again.
    pub succeeded: Option<Vec<Option<String>>>,
}

/// One visit of a top-level state, as the history tells it.
struct Visit<'a> {
    /// Where its entered event is in the history.
    at: usize,
    name: &'a str,
    input: &'a str,
    /// Its output once it was left, and the failure a Catch routed on, if one did
    /// (with its error when the history names it).
    exited: Option<(&'a str, Option<Option<String>>)>,
}

/// The error of a failure event of a top-level state's own work (a task attempt, a
/// Parallel or Map state); `Some(None)` for a failure whose error is not in the event.
fn failure_of(e: &HistoryEvent) -> Option<Option<String>> {
    match (&e.event_type, &e.details) {
        (
            EventType::TaskFailed | EventType::TaskTimedOut,
            Some(EventDetails::TaskFailed(d) | EventDetails::TaskTimedOut(d)),
        ) => Some(d.error.clone()),
        (
            EventType::LambdaFunctionFailed | EventType::LambdaFunctionTimedOut,
            Some(EventDetails::LambdaFunctionFailed(d) | EventDetails::LambdaFunctionTimedOut(d)),
        ) => Some(d.error.clone()),
        (
            EventType::TaskFailed
            | EventType::TaskTimedOut
            | EventType::LambdaFunctionFailed
            | EventType::LambdaFunctionTimedOut
            | EventType::ParallelStateFailed
            | EventType::MapStateFailed,
            _,
        ) => Some(None),
        _ => None,
    }
}

/// Where a redrive picks up, from the history's last top-level visit:
/// * a state entered and never left (the one that failed, or was running when the
///   execution was stopped or timed out) is entered again with its input;
/// * a Task, Parallel, Map, Pass or Wait state that was left (the execution was stopped
///   between two states) is not run again: its `Next` (or the `Next` of the Catch that
///   routed its error) is entered with its output;
/// * a Choice state that was left is evaluated again, as documented;
/// * with no state entered, the StartAt state with the execution's input;
/// * `None` when the state last visited is not in the definition.
///
/// Events inside a Parallel or Map state belong to its branches and iterations.
pub fn restart_point(
    definition: &Definition,
    execution_input: &str,
    events: &[HistoryEvent],
) -> Option<RestartPoint> {
    let mut depth = 0usize;
    let mut visit: Option<Visit<'_>> = None;
    // The failure of the open visit's latest attempt, cleared by a success.
    let mut failed: Option<Option<String>> = None;
    for (i, e) in events.iter().enumerate() {
        match e.event_type {
            EventType::ParallelStateStarted | EventType::MapStateStarted => depth += 1,
            EventType::ParallelStateSucceeded
            | EventType::ParallelStateAborted
            | EventType::MapStateSucceeded
            | EventType::MapStateAborted => depth = depth.saturating_sub(1),
            EventType::ParallelStateFailed | EventType::MapStateFailed => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    failed = failure_of(e);
                }
            }
            t if depth == 0 && t.is_state_entered() => {
                if let Some(EventDetails::StateEntered(d)) = &e.details {
                    visit = Some(Visit {
                        at: i,
                        name: &d.name,
                        input: &d.input,
                        exited: None,
                    });
                    failed = None;
                }
            }
            t if depth == 0 && t.is_state_exited() => {
                if let (Some(v), Some(EventDetails::StateExited(d))) = (&mut visit, &e.details) {
                    v.exited = Some((&d.output, failed.take()));
                }
            }
            EventType::TaskSucceeded | EventType::LambdaFunctionSucceeded if depth == 0 => {
                failed = None;
            }
            _ if depth == 0 => {
                if let Some(f) = failure_of(e) {
                    failed = Some(f);
                }
            }
            _ => {}
        }
    }
    let at = |state: usize, input: &str| RestartPoint {
        state,
        name: definition.states[state].name.clone(),
        input: input.to_owned(),
        succeeded: None,
    };
    let Some(v) = visit else {
        return Some(at(definition.start_at, execution_input));
    };
    // A state the definition does not have (a history recorded with another
    // definition): starting over would book everything again, which AWS never does.
    let &index = definition.index.get(v.name)?;
    let Some((output, error)) = v.exited else {
        let mut point = at(index, v.input);
        point.succeeded = match &definition.states[index].kind {
            StateKind::Parallel(p) => Some(branch_outputs(p, &events[v.at..])),
            StateKind::Map(_) => Some(iteration_outputs(&events[v.at..])),
            _ => None,
        };
        return Some(point);
    };
    let (transition, catchers) = match &definition.states[index].kind {
        StateKind::Task(t) => (t.transition, &t.catch),
        StateKind::Parallel(p) => (p.transition, &p.catch),
        StateKind::Map(m) => (m.transition, &m.catch),
        // "the Pass state is exited and isn't executed on redrive"; a Wait already
        // waited its time.
        StateKind::Pass(p) => (p.transition, &NO_CATCH),
        StateKind::Wait(w) => (w.transition, &NO_CATCH),
        _ => return Some(at(index, v.input)),
    };
    let next = match error {
        Some(Some(error)) => {
            let e = StatesError { error, cause: None };
            catchers
                .iter()
                .find(|c| e.matches(&c.error_equals))
                .map_or(transition, |c| Transition::Next(c.next))
        }
        // Caught, its error unrecorded (a Parallel or Map state): its first Catch.
        Some(None) => catchers
            .first()
            .map_or(transition, |c| Transition::Next(c.next)),
        None => transition,
    };
    Some(match next {
        Transition::Next(next) => at(next, output),
        // Left its last state: nothing is left to run but that state again.
        Transition::End => at(index, v.input),
    })
}

/// The catchers of a state that has none.
const NO_CATCH: Vec<Catcher> = Vec::new();

/// Whether a state ends its flow when it succeeds (`End`, or a Succeed state).
fn ends_flow(kind: &StateKind) -> bool {
    let end = |t: &Transition| matches!(t, Transition::End);
    match kind {
        StateKind::Succeed(_) => true,
        StateKind::Task(t) => end(&t.transition),
        StateKind::Pass(p) => end(&p.transition),
        StateKind::Wait(w) => end(&w.transition),
        StateKind::Parallel(p) => end(&p.transition),
        StateKind::Map(m) => end(&m.transition),
        StateKind::Choice(_) | StateKind::Fail(_) => false,
    }
}

/// The output of each branch of the Parallel state's last attempt in `visit` (the
/// history from the state's entered event on) that succeeded. A branch's events are
/// told apart by their causal links: its first event follows the attempt's
/// `ParallelStateStarted`, each later one an event of the same branch.
fn branch_outputs(p: &ParallelState, visit: &[HistoryEvent]) -> Vec<Option<String>> {
    let mut outputs = vec![None; p.branches.len()];
    let Some(started) = visit
        .iter()
        .rposition(|e| e.event_type == EventType::ParallelStateStarted)
    else {
        return outputs;
    };
    let started_id = visit[started].id;
    // The branch each event belongs to, by the id of the event.
    let mut branch_of: std::collections::HashMap<u64, usize> = Default::default();
    for e in &visit[started + 1..] {
        let branch = if e.previous_event_id == started_id {
            let Some(EventDetails::StateEntered(d)) = &e.details else {
                continue;
            };
            let mut starting = p
                .branches
                .iter()
                .enumerate()
                .filter(|(_, b)| b.states[b.start_at].name == d.name);
            match (starting.next(), starting.next()) {
                (Some((i, _)), None) => i,
                // Two branches start with a state of that name: neither is told apart.
                _ => continue,
            }
        } else {
            match branch_of.get(&e.previous_event_id) {
                Some(&b) => b,
                None => continue,
            }
        };
        branch_of.insert(e.id, branch);
        if let Some(EventDetails::StateExited(d)) = &e.details
            && let Some(state) = p.branches[branch].state(&d.name)
            && ends_flow(&state.kind)
        {
            outputs[branch] = Some(d.output.clone());
        }
    }
    outputs
}

/// The output of each iteration of the Map state's last attempt in `visit` that
/// succeeded: the state left just before its `MapIterationSucceeded`.
fn iteration_outputs(visit: &[HistoryEvent]) -> Vec<Option<String>> {
    let started = visit
        .iter()
        .rposition(|e| e.event_type == EventType::MapStateStarted);
    let Some(started) = started else {
        return Vec::new();
    };
    let attempt = &visit[started..];
    let length = match &attempt[0].details {
        Some(EventDetails::MapStateStarted(d)) => usize::try_from(d.length).unwrap_or(0),
        _ => 0,
    };
    let mut outputs = vec![None; length];
    for e in attempt {
        let Some(EventDetails::MapIterationSucceeded(d)) = &e.details else {
            continue;
        };
        let last = attempt.iter().find(|l| l.id == e.previous_event_id);
        if let (Some(slot), Some(EventDetails::StateExited(x))) = (
            usize::try_from(d.index)
                .ok()
                .and_then(|i| outputs.get_mut(i)),
            last.and_then(|l| l.details.as_ref()),
        ) {
            *slot = Some(x.output.clone());
        }
    }
    outputs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
    }

    #[test]
    fn only_an_unsuccessful_ended_execution_is_redrivable() {
        let r = |status| redrivable(status, at(0), Some(at(10)), 20, at(20));
        assert_eq!(r(ExecutionStatus::Running), Err(RUNNING_REASON));
        assert_eq!(r(ExecutionStatus::Succeeded), Err(SUCCEEDED_REASON));
        for ok in [
            ExecutionStatus::Failed,
            ExecutionStatus::TimedOut,
            ExecutionStatus::Aborted,
        ] {
            assert_eq!(r(ok), Ok(()));
        }
    }

    fn event(id: u64, event_type: EventType, details: Option<EventDetails>) -> HistoryEvent {
        HistoryEvent {
            timestamp: at(id as i64),
            event_type,
            id,
            previous_event_id: id - 1,
            details,
        }
    }

    fn entered(id: u64, t: EventType, name: &str, input: &str) -> HistoryEvent {
        let d = crate::history::event::StateEnteredDetails {
            name: name.into(),
            input: input.into(),
            input_details: Default::default(),
        };
        event(id, t, Some(EventDetails::StateEntered(d)))
    }

    fn exited(id: u64, t: EventType, name: &str, output: &str) -> HistoryEvent {
        let d = crate::history::event::StateExitedDetails {
            name: name.into(),
            output: output.into(),
            output_details: Default::default(),
        };
        event(id, t, Some(EventDetails::StateExited(d)))
    }

    fn task_failed(id: u64, error: &str) -> HistoryEvent {
        let d = crate::history::event::TaskErrorDetails {
            resource_type: "lambda".into(),
            resource: "invoke".into(),
            error: Some(error.into()),
            cause: None,
        };
        event(id, EventType::TaskFailed, Some(EventDetails::TaskFailed(d)))
    }

    fn saga() -> Definition {
        crate::backend::saga_definition::saga_definition(&crate::engine::EngineConfig::default())
            .unwrap()
    }

    fn point(def: &Definition, events: &[HistoryEvent]) -> (String, String) {
        let p = restart_point(def, "{\"start\":1}", events).expect("a restart point");
        assert_eq!(def.states[p.state].name, p.name);
        (p.name, p.input)
    }

    #[test]
    fn the_state_left_open_restarts_with_its_input() {
        use EventType as T;
        let def = saga();
        assert_eq!(
            point(&def, &[]),
            ("ReserveHotel".into(), "{\"start\":1}".into())
        );
        let events = [
            entered(1, T::TaskStateEntered, "ReserveHotel", "a"),
            exited(2, T::TaskStateExited, "ReserveHotel", "b"),
            entered(3, T::TaskStateEntered, "ReserveFlight", "b"),
            task_failed(4, "Lambda.ServiceException"),
        ];
        assert_eq!(point(&def, &events), ("ReserveFlight".into(), "b".into()));
        // Stopped between two states: the one left is not run again.
        assert_eq!(
            point(&def, &events[..2]),
            ("ReserveFlight".into(), "b".into())
        );
    }

    #[test]
    fn a_state_left_through_its_catch_goes_on_where_the_catch_leads() {
        use EventType as T;
        let def = saga();
        let events = [
            entered(1, T::TaskStateEntered, "TakePayment", "a"),
            task_failed(2, "PaymentFailed"),
            exited(3, T::TaskStateExited, "TakePayment", "caught"),
        ];
        assert_eq!(
            point(&def, &events),
            ("RefundPayment".into(), "caught".into())
        );
    }

    #[test]
    fn a_pass_or_wait_left_is_not_run_again_a_choice_is_and_an_unknown_state_refuses() {
        use EventType as T;
        let def = crate::asl::load_definition_value(&serde_json::json!({
            "StartAt": "P",
            "States": {
                "P": {"Type": "Pass", "Next": "W"},
                "W": {"Type": "Wait", "Seconds": 60, "Next": "C"},
                "C": {"Type": "Choice", "Default": "D",
                      "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "D"}]},
                "D": {"Type": "Succeed"}
            }
        }))
        .unwrap();
        let pass = [
            entered(1, T::PassStateEntered, "P", "in"),
            exited(2, T::PassStateExited, "P", "passed"),
        ];
        assert_eq!(point(&def, &pass), ("W".into(), "passed".into()));
        let wait = [
            entered(1, T::WaitStateEntered, "W", "in"),
            exited(2, T::WaitStateExited, "W", "waited"),
        ];
        assert_eq!(point(&def, &wait), ("C".into(), "waited".into()));
        let choice = [
            entered(1, T::ChoiceStateEntered, "C", "in"),
            exited(2, T::ChoiceStateExited, "C", "in"),
        ];
        assert_eq!(point(&def, &choice), ("C".into(), "in".into()));
        let unknown = [entered(1, T::TaskStateEntered, "Gone", "in")];
        assert!(restart_point(&def, "{}", &unknown).is_none());
    }

    #[test]
    fn branch_events_are_not_top_level_states() {
        use EventType as T;
        let def = crate::asl::load_definition_value(&serde_json::json!({
            "StartAt": "P",
            "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
                {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}
            ]}}
        }))
        .unwrap();
        let events = [
            entered(1, T::ParallelStateEntered, "P", "in"),
            event(2, T::ParallelStateStarted, None),
            entered(3, T::PassStateEntered, "B", "in"),
            exited(4, T::PassStateExited, "B", "in"),
            event(5, T::ParallelStateFailed, None),
        ];
        assert_eq!(point(&def, &events), ("P".into(), "in".into()));
    }

    #[test]
    fn the_documented_limits_refuse_a_redrive() {
        let failed = ExecutionStatus::Failed;
        let day = 86_400;
        assert_eq!(
            redrivable(failed, at(0), Some(at(0)), 24_999, at(1)),
            Err(HISTORY_LIMIT_REASON)
        );
        assert_eq!(
            redrivable(failed, at(0), Some(at(0)), 24_998, at(1)),
            Ok(())
        );
        assert_eq!(
            redrivable(failed, at(0), Some(at(1)), 5, at(1 + 14 * day + 1)),
            Err(PERIOD_REASON)
        );
        assert_eq!(
            redrivable(failed, at(0), Some(at(1)), 5, at(1 + 14 * day)),
            Ok(())
        );
        assert_eq!(
            redrivable(failed, at(0), Some(at(366 * day - 1)), 5, at(366 * day)),
            Err(MAX_TIME_REASON)
        );
    }
}
