//! Executions and their histories in SQLite: one `executions` row per execution,
//! one `events` row per history event (see [`super::event_rows`]).

use super::SqliteStore;
use super::event_rows::{Encoded, encode_events, read_payload, reassemble};
use crate::store::executions::{
    ExecutionOutcome, ExecutionRecord, ExecutionStatus, Redrive, UnknownStatus,
};
use crate::store::{NewEvent, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, ffi, params};

const EXECUTION_COLUMNS: &str = "execution_arn, name, state_machine_arn, state_machine_name, \
     status, input, output, error, cause, start_ms, stop_ms, labels, redrive_count, redrive_ms";

/// An `executions` row, checked: a bad value is an error naming the execution and
/// the file, not a panic.
fn record_of(
    r: &rusqlite::Row<'_>,
    location: &str,
) -> rusqlite::Result<Result<ExecutionRecord, StoreError>> {
    let execution_arn: String = r.get(0)?;
    let (status, start_ms, stop_ms, labels): (String, i64, Option<i64>, String) =
        (r.get(4)?, r.get(9)?, r.get(10)?, r.get(11)?);
    let (redrive_count, redrive_ms): (i64, Option<i64>) = (r.get(12)?, r.get(13)?);
    let bad = |detail: String| StoreError::BadRow {
        location: location.to_string(),
        what: format!("execution {execution_arn}"),
        detail,
    };
    let checked = (|| {
        let status = status
            .parse()
            .map_err(|e: UnknownStatus| bad(e.to_string()))?;
        let date = |ms, which: &str| {
            from_millis(ms).ok_or_else(|| bad(format!("{which} date out of range")))
        };
        let stop_date = stop_ms.map(|ms| date(ms, "stop")).transpose()?;
        let redrive_date = redrive_ms.map(|ms| date(ms, "redrive")).transpose()?;
        let redrive_count = u32::try_from(redrive_count)
            .map_err(|_| bad(format!("redrive count {redrive_count} out of range")))?;
        let labels = serde_json::from_str(&labels).map_err(|e| bad(format!("labels: {e}")))?;
        let redrive = (redrive_count, redrive_date);
        Ok((status, date(start_ms, "start")?, stop_date, labels, redrive))
    })();
    let (status, start_date, stop_date, labels, (redrive_count, redrive_date)) = match checked {
        Ok(fields) => fields,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(ExecutionRecord {
        execution_arn,
        name: r.get(1)?,
        state_machine_arn: r.get(2)?,
        state_machine_name: r.get(3)?,
        status,
        input: r.get(5)?,
        output: r.get(6)?,
        error: r.get(7)?,
        cause: r.get(8)?,
        start_date,
        stop_date,
        labels,
        redrive_count,
        redrive_date,
    }))
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

impl SqliteStore {
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
                "INSERT INTO executions ({EXECUTION_COLUMNS}, rows_before)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,
                         coalesce((SELECT max(seq) FROM item_versions), 0))"
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
                    record.redrive_count,
                    record.redrive_date.map(|d| d.timestamp_millis()),
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

    /// `Backend::append`: one transaction, so a terminal event and the final status
    /// are seen together or not at all.
    pub(super) fn append(
        &self,
        arn: &str,
        events: &[NewEvent],
        outcome: Option<&ExecutionOutcome>,
    ) -> Result<(), StoreError> {
        let encoded = encode_events(arn, events)?;
        let mut conn = self.writer();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.sql_err("starting to append events"))?;
        self.require_running(&tx, arn)?;
        self.insert_events(&tx, arn, &encoded)?;
        if let Some(outcome) = outcome {
            self.record_outcome_in(&tx, arn, outcome)?;
        }
        tx.commit().map_err(self.sql_err("committing events"))
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

    /// Runs an ended, unsuccessful execution again, inside the caller's transaction:
    /// back to `RUNNING`, its outcome cleared, its redrive recorded.
    pub(super) fn reopen_in(
        &self,
        tx: &Connection,
        arn: &str,
        redrive: &Redrive,
    ) -> Result<(), StoreError> {
        let location = || self.location().to_string();
        match self.require_running(tx, arn) {
            Ok(()) => Err(StoreError::NotRedrivable {
                location: location(),
                arn: arn.to_string(),
                status: ExecutionStatus::Running,
            }),
            Err(StoreError::NotRunning { status, .. }) if status == ExecutionStatus::Succeeded => {
                Err(StoreError::NotRedrivable {
                    location: location(),
                    arn: arn.to_string(),
                    status,
                })
            }
            Err(StoreError::NotRunning { .. }) => {
                tx.prepare_cached(
                    "UPDATE executions SET status = 'RUNNING', output = NULL, error = NULL,
                         cause = NULL, stop_ms = NULL, redrive_count = ?2, redrive_ms = ?3
                     WHERE execution_arn = ?1",
                )
                .and_then(|mut st| {
                    st.execute(params![arn, redrive.count, redrive.date.timestamp_millis()])
                })
                .map_err(self.sql_err("redriving an execution"))?;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// `Backend::get_execution`.
    pub(super) fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>, StoreError> {
        let conn = self.reader();
        conn.prepare_cached(&format!(
            "SELECT {EXECUTION_COLUMNS} FROM executions WHERE execution_arn = ?1"
        ))
        .and_then(|mut st| {
            st.query_row([arn], |r| record_of(r, self.location()))
                .optional()
        })
        .map_err(self.sql_err("reading an execution"))?
        .transpose()
    }

    /// `Backend::list_executions`.
    pub(super) fn list_executions(&self, limit: usize) -> Result<Vec<ExecutionRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let conn = self.reader();
        let mut st = conn
            .prepare_cached(&format!(
                "SELECT {EXECUTION_COLUMNS} FROM executions
                 ORDER BY start_ms DESC, rowid DESC LIMIT ?1"
            ))
            .map_err(self.sql_err("listing executions"))?;
        let records: Vec<_> = st
            .query_map([limit], |r| record_of(r, self.location()))
            .and_then(|rows| rows.collect())
            .map_err(self.sql_err("listing executions"))?;
        records.into_iter().collect()
    }

    /// `Backend::events_since`.
    pub(super) fn events_since(
        &self,
        arn: &str,
        after_id: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        type Row = (i64, String, Result<Option<String>, String>, Option<i64>);
        let rows: Vec<Row> = {
            let conn = self.reader();
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

    /// `Backend::event_count`.
    pub(super) fn event_count(&self, arn: &str) -> Result<u64, StoreError> {
        let conn = self.reader();
        let n: i64 = conn
            .prepare_cached("SELECT count(*) FROM events WHERE execution_arn = ?1")
            .and_then(|mut st| st.query_row([arn], |r| r.get(0)))
            .map_err(self.sql_err("counting events"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// `Backend::last_event_id`.
    pub(super) fn last_event_id(&self, arn: &str) -> Result<Option<i64>, StoreError> {
        let conn = self.reader();
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
