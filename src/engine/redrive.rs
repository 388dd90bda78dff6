//! RedriveExecution: which ended executions may run again, and from where.
//!
//! As the Step Functions developer guide ("Restarting state machine executions with
//! redrive") describes it: a failed, aborted or timed-out execution continues from the
//! state that did not complete, with the input that state was entered with, keeping
//! its ARN, its definition and its history; the states that completed are not run
//! again, retry counts start from zero, and the execution's `TimeoutSeconds` counts
//! from the redrive. The quotes are in `conformance/documented-behaviour.md`.

use chrono::{DateTime, Utc};

use crate::asl::Definition;
use crate::asl::limits::{MAX_EXECUTION_TIME, MAX_HISTORY_EVENTS};
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
}

/// The top-level state that was entered and never left (the one that failed, or was
/// running when the execution was stopped or timed out), with its input; the StartAt
/// state with the execution's input when no state was entered. Events inside a
/// Parallel or Map state belong to its branches and iterations, not to the top level.
pub fn restart_point(
    definition: &Definition,
    execution_input: &str,
    events: &[HistoryEvent],
) -> RestartPoint {
    let mut depth = 0usize;
    let mut open: Option<(&str, &str)> = None;
    for e in events {
        match e.event_type {
            EventType::ParallelStateStarted | EventType::MapStateStarted => depth += 1,
            EventType::ParallelStateSucceeded
            | EventType::ParallelStateFailed
            | EventType::ParallelStateAborted
            | EventType::MapStateSucceeded
            | EventType::MapStateFailed
            | EventType::MapStateAborted => depth = depth.saturating_sub(1),
            t if depth == 0 && t.is_state_entered() => {
                if let Some(EventDetails::StateEntered(d)) = &e.details {
                    open = Some((&d.name, &d.input));
                }
            }
            t if depth == 0 && t.is_state_exited() => open = None,
            _ => {}
        }
    }
    let found = open.and_then(|(name, input)| {
        definition
            .index
            .get(name)
            .map(|&state| (state, name, input))
    });
    match found {
        Some((state, name, input)) => RestartPoint {
            state,
            name: name.to_owned(),
            input: input.to_owned(),
        },
        None => RestartPoint {
            state: definition.start_at,
            name: definition.states[definition.start_at].name.clone(),
            input: execution_input.to_owned(),
        },
    }
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
