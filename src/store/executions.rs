//! Executions and their event histories, stored as faithfully as Step Functions
//! reports them.
//!
//! Histories are append-only and close when the execution finishes: events can only be
//! appended while the execution is `RUNNING`, and the terminal event can be written in
//! the same transaction as the final status ([`Store::append_events_and_finish`]), so a
//! reader never sees one without the other.

use super::events::{Encoded, NewEvent, encode_events, read_payload, reassemble};
use super::{Locked, Store, StoreError};
pub use crate::engine::{ExecutionStatus, UnknownStatus};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, ffi, params};

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

const EXECUTION_COLUMNS: &str = "execution_arn, name, state_machine_arn, state_machine_name, \
     status, input, output, error, cause, start_ms, stop_ms, labels";

/// An `executions` row as SQLite returns it, before validation.
struct RawExecution {
    execution_arn: String,
    name: String,
    state_machine_arn: String,
    state_machine_name: String,
    status: String,
    input: String,
    output: Option<String>,
    error: Option<String>,
    cause: Option<String>,
    start_ms: i64,
    stop_ms: Option<i64>,
    labels: String,
}

impl RawExecution {
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(RawExecution {
            execution_arn: r.get(0)?,
            name: r.get(1)?,
            state_machine_arn: r.get(2)?,
            state_machine_name: r.get(3)?,
            status: r.get(4)?,
            input: r.get(5)?,
            output: r.get(6)?,
            error: r.get(7)?,
            cause: r.get(8)?,
            start_ms: r.get(9)?,
            stop_ms: r.get(10)?,
            labels: r.get(11)?,
        })
    }

    fn decode(self, location: &str) -> Result<ExecutionRecord, StoreError> {
        let bad = |detail: String| StoreError::BadRow {
            location: location.to_string(),
            what: format!("execution {}", self.execution_arn),
            detail,
        };
        let status = self
            .status
            .parse()
            .map_err(|e: UnknownStatus| bad(e.to_string()))?;
        let start_date =
            from_millis(self.start_ms).ok_or_else(|| bad("start date out of range".into()))?;
        let stop_date = match self.stop_ms {
            Some(ms) => Some(from_millis(ms).ok_or_else(|| bad("stop date out of range".into()))?),
            None => None,
        };
        let labels = serde_json::from_str(&self.labels).map_err(|e| bad(format!("labels: {e}")))?;
        Ok(ExecutionRecord {
            execution_arn: self.execution_arn,
            name: self.name,
            state_machine_arn: self.state_machine_arn,
            state_machine_name: self.state_machine_name,
            status,
            input: self.input,
            output: self.output,
            error: self.error,
            cause: self.cause,
            start_date,
            stop_date,
            labels,
        })
    }
}

/// A caller's `(id, JSON text)` events, ready to store.
fn owned_events<'a>(events: impl IntoIterator<Item = (i64, &'a str)>) -> Vec<NewEvent> {
    events
        .into_iter()
        .map(|(id, json)| NewEvent::from_json(id, json))
        .collect()
}

fn from_millis(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

/// Whether an SQLite error is a violated primary key or unique constraint.
fn is_duplicate_key(e: &rusqlite::Error) -> bool {
    e.sqlite_error().is_some_and(|f| {
        f.code == ErrorCode::ConstraintViolation
            && matches!(
                f.extended_code,
                ffi::SQLITE_CONSTRAINT_PRIMARYKEY | ffi::SQLITE_CONSTRAINT_UNIQUE
            )
    })
}

impl Store {
    /// Records a new execution (normally `RUNNING`, before its first event).
    pub fn insert_execution(&self, record: &ExecutionRecord) -> Result<(), StoreError> {
        match self.lock() {
            Locked::Sqlite(conn) => self.insert_execution_in(&conn, record),
            Locked::Memory(mut m) => m.insert_execution(record),
        }
    }

    /// Inserts an execution inside the caller's connection or transaction.
    pub(super) fn insert_execution_in(
        &self,
        conn: &Connection,
        record: &ExecutionRecord,
    ) -> Result<(), StoreError> {
        let labels =
            serde_json::to_string(&record.labels).map_err(|source| StoreError::Encode {
                what: "execution labels",
                source,
            })?;
        let inserted = conn
            .prepare_cached(&format!(
                "INSERT INTO executions ({EXECUTION_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
            ))
            .and_then(|mut st| {
                st.execute(params![
                    record.execution_arn,
                    record.name,
                    record.state_machine_arn,
                    record.state_machine_name,
                    record.status.as_str(),
                    record.input,
                    record.output,
                    record.error,
                    record.cause,
                    record.start_date.timestamp_millis(),
                    record.stop_date.map(|d| d.timestamp_millis()),
                    labels,
                ])
            });
        match inserted {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate_key(&e) => Err(StoreError::ExecutionExists {
                location: self.location().to_string(),
                arn: record.execution_arn.clone(),
            }),
            Err(e) => Err(self.sql_err("inserting an execution")(e)),
        }
    }

    /// Appends one history event (its id and its full `GetExecutionHistory` JSON) to a
    /// running execution.
    pub fn append_event(&self, arn: &str, id: i64, event_json: &str) -> Result<(), StoreError> {
        self.append_events(arn, [(id, event_json)])
    }

    /// Appends several events in one transaction: all of them or none.
    pub fn append_events<'a>(
        &self,
        arn: &str,
        events: impl IntoIterator<Item = (i64, &'a str)>,
    ) -> Result<(), StoreError> {
        self.append_new_events(arn, &owned_events(events))
    }

    /// [`Store::append_events`] for events already made: what a recorder writing each
    /// event as it comes calls, some thirty times a saga, with no batch around it.
    pub fn append_new_events(&self, arn: &str, events: &[NewEvent]) -> Result<(), StoreError> {
        let mut conn = match self.lock() {
            Locked::Sqlite(conn) => conn,
            Locked::Memory(mut m) => return m.append(arn, events, None),
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.sql_err("starting to append events"))?;
        self.require_running(&tx, arn)?;
        self.insert_events(&tx, arn, &encode_events(arn, events)?)?;
        tx.commit().map_err(self.sql_err("committing events"))
    }

    /// Records how a running execution ended.
    pub fn finish_execution(
        &self,
        arn: &str,
        outcome: &ExecutionOutcome,
    ) -> Result<(), StoreError> {
        self.append_events_and_finish(arn, [], outcome)
    }

    /// Appends the last events (normally ending with the terminal `Execution*` event)
    /// and records the outcome in ONE transaction, so readers see the terminal event and
    /// the final status together; on any failure neither is written.
    pub fn append_events_and_finish<'a>(
        &self,
        arn: &str,
        events: impl IntoIterator<Item = (i64, &'a str)>,
        outcome: &ExecutionOutcome,
    ) -> Result<(), StoreError> {
        if !outcome.status.is_terminal() {
            return Err(StoreError::NotTerminal {
                arn: arn.to_string(),
            });
        }
        let events = owned_events(events);
        let mut conn = match self.lock() {
            Locked::Sqlite(conn) => conn,
            Locked::Memory(mut m) => return m.append(arn, &events, Some(outcome)),
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.sql_err("starting to finish an execution"))?;
        self.require_running(&tx, arn)?;
        self.insert_events(&tx, arn, &encode_events(arn, &events)?)?;
        self.record_outcome_in(&tx, arn, outcome)?;
        tx.commit()
            .map_err(self.sql_err("committing an execution's outcome"))
    }

    /// Records an outcome inside the caller's transaction.
    pub(super) fn record_outcome_in(
        &self,
        tx: &Connection,
        arn: &str,
        outcome: &ExecutionOutcome,
    ) -> Result<(), StoreError> {
        tx.prepare_cached(
            "UPDATE executions SET status = ?2, output = ?3, error = ?4, cause = ?5, stop_ms = ?6
             WHERE execution_arn = ?1",
        )
        .and_then(|mut st| {
            st.execute(params![
                arn,
                outcome.status.as_str(),
                outcome.output,
                outcome.error,
                outcome.cause,
                outcome.stop_date.timestamp_millis(),
            ])
        })
        .map_err(self.sql_err("recording an execution's outcome"))?;
        Ok(())
    }

    /// One execution, or `None` if it is not stored.
    pub fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>, StoreError> {
        let raw = {
            let conn = match self.read_lock() {
                Locked::Sqlite(conn) => conn,
                Locked::Memory(m) => return Ok(m.get_execution(arn)),
            };
            conn.prepare_cached(&format!(
                "SELECT {EXECUTION_COLUMNS} FROM executions WHERE execution_arn = ?1"
            ))
            .and_then(|mut st| st.query_row([arn], RawExecution::from_row).optional())
            .map_err(self.sql_err("reading an execution"))?
        };
        raw.map(|r| r.decode(self.location())).transpose()
    }

    /// The `limit` most recently started executions, newest first.
    pub fn list_executions(&self, limit: usize) -> Result<Vec<ExecutionRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let raws: Vec<RawExecution> = {
            let conn = match self.read_lock() {
                Locked::Sqlite(conn) => conn,
                Locked::Memory(m) => {
                    return Ok(m.list_executions(usize::try_from(limit).unwrap_or(usize::MAX)));
                }
            };
            let mut st = conn
                .prepare_cached(&format!(
                    "SELECT {EXECUTION_COLUMNS} FROM executions
                     ORDER BY start_ms DESC, rowid DESC LIMIT ?1"
                ))
                .map_err(self.sql_err("listing executions"))?;
            st.query_map([limit], RawExecution::from_row)
                .and_then(|rows| rows.collect())
                .map_err(self.sql_err("listing executions"))?
        };
        raws.into_iter()
            .map(|r| r.decode(self.location()))
            .collect()
    }

    /// The events with an id above `after_id`, in id order, as `(id, JSON text)`: what
    /// a viewer polls with the last id it has seen (0 for all).
    pub fn events_since(&self, arn: &str, after_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
        type Row = (i64, String, Result<Option<String>, String>, Option<i64>);
        let rows: Vec<Row> = {
            let conn = match self.read_lock() {
                Locked::Sqlite(conn) => conn,
                Locked::Memory(m) => return m.events_since(arn, after_id),
            };
            let mut st = conn
                .prepare_cached(
                    "SELECT id, event, payload, payload_at FROM events
                     WHERE execution_arn = ?1 AND id > ?2 ORDER BY id",
                )
                .map_err(self.sql_err("reading events"))?;
            st.query_map(params![arn, after_id], |r| {
                Ok((r.get(0)?, r.get(1)?, read_payload(r.get_ref(2)?), r.get(3)?))
            })
            .and_then(|rows| rows.collect())
            .map_err(self.sql_err("reading events"))?
        };
        rows.into_iter()
            .map(|(id, text, payload, at)| {
                payload
                    .and_then(|payload| reassemble(text, payload.as_deref(), at))
                    .map(|json| (id, json))
                    .map_err(|detail| StoreError::BadRow {
                        location: self.location().to_string(),
                        what: format!("event {id} of execution {arn}"),
                        detail,
                    })
            })
            .collect()
    }

    /// How many events the execution has (0 for an unknown execution).
    pub fn event_count(&self, arn: &str) -> Result<u64, StoreError> {
        let conn = match self.read_lock() {
            Locked::Sqlite(conn) => conn,
            Locked::Memory(m) => return Ok(m.event_count(arn)),
        };
        let n: i64 = conn
            .prepare_cached("SELECT count(*) FROM events WHERE execution_arn = ?1")
            .and_then(|mut st| st.query_row([arn], |r| r.get(0)))
            .map_err(self.sql_err("counting events"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The highest event id of the execution, or `None` if it has no events.
    pub fn last_event_id(&self, arn: &str) -> Result<Option<i64>, StoreError> {
        let conn = match self.read_lock() {
            Locked::Sqlite(conn) => conn,
            Locked::Memory(m) => return Ok(m.last_event_id(arn)),
        };
        conn.prepare_cached("SELECT max(id) FROM events WHERE execution_arn = ?1")
            .and_then(|mut st| st.query_row([arn], |r| r.get(0)))
            .map_err(self.sql_err("reading the last event id"))
    }

    /// Fails unless the execution exists and is still running.
    pub(super) fn require_running(&self, conn: &Connection, arn: &str) -> Result<(), StoreError> {
        let status: Option<String> = conn
            .prepare_cached("SELECT status FROM executions WHERE execution_arn = ?1")
            .and_then(|mut st| st.query_row([arn], |r| r.get(0)).optional())
            .map_err(self.sql_err("reading an execution's status"))?;
        let location = || self.location().to_string();
        let Some(status) = status else {
            return Err(StoreError::NoSuchExecution {
                location: location(),
                arn: arn.to_string(),
            });
        };
        match status.parse::<ExecutionStatus>() {
            Ok(ExecutionStatus::Running) => Ok(()),
            Ok(status) => Err(StoreError::NotRunning {
                location: location(),
                arn: arn.to_string(),
                status,
            }),
            Err(e) => Err(StoreError::BadRow {
                location: location(),
                what: format!("execution {arn}"),
                detail: e.to_string(),
            }),
        }
    }

    /// Inserts encoded events inside the caller's transaction.
    pub(super) fn insert_events(
        &self,
        conn: &Connection,
        arn: &str,
        events: &[Encoded<'_>],
    ) -> Result<(), StoreError> {
        let mut st = conn
            .prepare_cached(
                "INSERT INTO events (execution_arn, id, event, payload, payload_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(self.sql_err("appending an event"))?;
        for e in events {
            let id = e.id;
            match st.execute(params![arn, id, e.event, e.payload, e.payload_at]) {
                Ok(_) => {}
                Err(e) if is_duplicate_key(&e) => {
                    return Err(StoreError::DuplicateEvent {
                        location: self.location().to_string(),
                        arn: arn.to_string(),
                        id,
                    });
                }
                Err(e) => return Err(self.sql_err("appending an event")(e)),
            }
        }
        Ok(())
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
    fn finishing_with_running_is_refused() {
        let store = Store::open_in_memory().unwrap();
        let outcome = ExecutionOutcome::ended(ExecutionStatus::Running, None, None, Utc::now());
        assert!(matches!(
            store.finish_execution("a", &outcome),
            Err(StoreError::NotTerminal { .. })
        ));
    }
}
