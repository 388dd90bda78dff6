//! Executions and their event histories, stored as faithfully as Step Functions
//! reports them.
//!
//! Histories are append-only and close when the execution finishes: events can only be
//! appended while the execution is `RUNNING`, and the terminal event can be written in
//! the same transaction as the final status ([`Store::append_events_and_finish`]), so a
//! reader never sees one without the other.

#[cfg(test)]
use super::{Store, StoreError};
pub use crate::history::{ExecutionStatus, UnknownStatus};
use chrono::{DateTime, Utc};

/// One execution as `DescribeExecution` describes it, plus free-form labels.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExecutionRecord {
    /// The execution's ARN: its identity.
    pub execution_arn: String,
    /// The execution's name (the ARN's last part).
    pub name: String,
    /// The state machine it runs.
    pub state_machine_arn: String,
    /// The state machine's name, so a list needs no ARN parsing.
    pub state_machine_name: String,
    /// Where it stands.
    pub status: ExecutionStatus,
    /// The input, as JSON text.
    pub input: String,
    /// The output (JSON text) of a succeeded execution.
    pub output: Option<String>,
    /// The error name of a failed, timed-out or aborted execution.
    pub error: Option<String>,
    /// The cause text that goes with `error`.
    pub cause: Option<String>,
    /// When it started (stored to the millisecond).
    pub start_date: DateTime<Utc>,
    /// When it finished (stored to the millisecond).
    pub stop_date: Option<DateTime<Utc>>,
    /// Anything a list wants to show without parsing the input, e.g.
    /// `{"run_type": "failPayment", "trip_id": "t1"}`.
    pub labels: serde_json::Value,
    /// How many times it was redriven (DescribeExecution's `redriveCount`).
    pub redrive_count: u32,
    /// When it was last redriven (`redriveDate`), stored to the millisecond.
    pub redrive_date: Option<DateTime<Utc>>,
}

/// A redrive as the store records it: the ended execution runs again, its history
/// continuing with `events` (the `ExecutionRedriven` event first).
#[derive(Debug, Clone, PartialEq)]
pub struct Redrive {
    /// How many times the execution has now been redriven.
    pub count: u32,
    /// When.
    pub date: DateTime<Utc>,
}

/// How an execution ended: what [`Store::finish_execution`] records.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionOutcome {
    /// The final status; never `RUNNING`.
    pub status: ExecutionStatus,
    /// The output (JSON text), for `SUCCEEDED`.
    pub output: Option<String>,
    /// The error name, for the other statuses.
    pub error: Option<String>,
    /// The cause text.
    pub cause: Option<String>,
    /// When it finished.
    pub stop_date: DateTime<Utc>,
}

impl ExecutionOutcome {
    /// A success with its output.
    pub fn succeeded(output: impl Into<String>, stop_date: DateTime<Utc>) -> Self {
        ExecutionOutcome {
            status: ExecutionStatus::Succeeded,
            output: Some(output.into()),
            error: None,
            cause: None,
            stop_date,
        }
    }

    /// A failure, time-out or abort, with the error and cause if there are any (Step
    /// Functions allows either to be absent).
    pub fn ended(
        status: ExecutionStatus,
        error: Option<String>,
        cause: Option<String>,
        stop_date: DateTime<Utc>,
    ) -> Self {
        ExecutionOutcome {
            status,
            output: None,
            error,
            cause,
            stop_date,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_round_trip() {
        for s in [
            ExecutionStatus::Running,
            ExecutionStatus::Succeeded,
            ExecutionStatus::Failed,
            ExecutionStatus::TimedOut,
            ExecutionStatus::Aborted,
        ] {
            assert_eq!(s.as_str().parse::<ExecutionStatus>().unwrap(), s);
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
        assert!("DONE".parse::<ExecutionStatus>().is_err());
    }

    #[test]
    fn an_unknown_stored_status_is_reported_not_unwrapped() {
        let (_dir, store) = crate::store::temp_file_store();
        store
            .insert_execution(&ExecutionRecord {
                execution_arn: "a".into(),
                labels: serde_json::json!({}),
                ..Default::default()
            })
            .unwrap();
        // Bypass the CHECK constraint as a hand edit could.
        {
            let conn = store.conn().unwrap();
            conn.execute_batch(
                "PRAGMA ignore_check_constraints = ON;
                 UPDATE executions SET status = 'DONE';
                 PRAGMA ignore_check_constraints = OFF;",
            )
            .unwrap();
        }
        let err = store.get_execution("a").unwrap_err().to_string();
        assert!(err.contains("DONE") && err.contains("test.db"), "{err}");
    }

    #[test]
    fn events_need_a_known_running_execution() {
        let (_dir, file) = crate::store::temp_file_store();
        for store in [Store::open_in_memory().unwrap(), file] {
            let err = store.append_event("nope", 1, "{}").unwrap_err();
            assert!(matches!(err, StoreError::NoSuchExecution { .. }), "{err}");
            store
                .insert_execution(&ExecutionRecord {
                    execution_arn: "a".into(),
                    status: ExecutionStatus::Succeeded,
                    labels: serde_json::json!({}),
                    ..Default::default()
                })
                .unwrap();
            let err = store.append_event("a", 1, "{}").unwrap_err();
            assert!(matches!(err, StoreError::NotRunning { .. }), "{err}");
        }
    }

    #[test]
    fn a_redrive_reopens_an_unsuccessful_execution_only() {
        let (_dir, file) = crate::store::temp_file_store();
        let at = |s: i64| DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap();
        let event = |id: i64| {
            format!(
                r#"{{"timestamp":"2023-11-14T22:13:20Z","type":"PassStateEntered","id":{id},"previousEventId":0}}"#
            )
        };
        for store in [Store::open_in_memory().unwrap(), file] {
            for (arn, status) in [
                ("f", ExecutionStatus::Failed),
                ("s", ExecutionStatus::Succeeded),
            ] {
                store
                    .insert_execution(&ExecutionRecord {
                        execution_arn: arn.into(),
                        labels: serde_json::json!({}),
                        ..Default::default()
                    })
                    .unwrap();
                store.append_event(arn, 1, &event(1)).unwrap();
                let outcome = ExecutionOutcome::ended(status, Some("E".into()), None, at(1));
                store.finish_execution(arn, &outcome).unwrap();
            }
            let redrive = Redrive {
                count: 1,
                date: at(5),
            };
            let second = [crate::store::NewEvent::from_json(2, event(2))];
            store.redrive_execution("f", &second, &redrive).unwrap();
            let r = store.get_execution("f").unwrap().unwrap();
            assert_eq!(r.status, ExecutionStatus::Running);
            assert_eq!((r.error, r.stop_date), (None, None));
            assert_eq!((r.redrive_count, r.redrive_date), (1, Some(at(5))));
            assert_eq!(store.event_count("f").unwrap(), 2);
            // Running again, it appends and finishes as any execution does.
            store.append_event("f", 3, &event(3)).unwrap();
            let err = store.redrive_execution("f", &[], &redrive).unwrap_err();
            assert!(matches!(err, StoreError::NotRedrivable { .. }), "{err}");
            let err = store.redrive_execution("s", &[], &redrive).unwrap_err();
            assert!(matches!(err, StoreError::NotRedrivable { .. }), "{err}");
            assert_eq!(
                store.get_execution("s").unwrap().unwrap().status,
                ExecutionStatus::Succeeded
            );
        }
    }

    #[test]
    fn finishing_with_running_is_refused() {
        let store = Store::open_in_memory().unwrap();
        let outcome = ExecutionOutcome::ended(ExecutionStatus::Running, None, None, Utc::now());
        assert!(matches!(
            store.finish_execution("a", &outcome),
            Err(StoreError::NotTerminal { .. })
        ));
    }
}
