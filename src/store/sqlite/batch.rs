//! A batch of writes as one SQLite transaction (see [`crate::store::StoreWrite`]).

use super::SqliteStore;
use super::event_rows::{Encoded, encode_events};
use crate::store::{ExecutionStatus, StoreError, StoreWrite};
use rusqlite::{Connection, ErrorCode, TransactionBehavior};
use std::collections::HashSet;

/// How many more times a batch is tried while another process holds the write lock,
/// each try waiting up to the busy timeout, before the store is taken to have failed.
const BUSY_RETRIES: u32 = 3;

/// Whether the error is another connection holding the lock.
fn is_busy(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Sqlite { source, .. } if matches!(
            source.sqlite_error_code(),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
        )
    )
}

impl SqliteStore {
    /// `Backend::write_batch`: the writes in one transaction. If that fails because of
    /// one bad write, each write is retried on its own so the good ones are not lost,
    /// except the writes of an execution after one of its own failed (a history never
    /// continues past a gap); the errors of the writes not made are returned. If it
    /// fails because the file does (see [`super::fault`]), nothing is retried: the
    /// last error returned is the store's fault. A batch kept waiting by another
    /// process's write lock is tried again whole a few times first.
    pub(super) fn write_batch(&self, writes: &[StoreWrite]) -> Vec<StoreError> {
        // Encoding and compressing the events is most of a batch's work: done before
        // the lock is taken, so the sagas' table writes wait only for SQLite.
        let mut errors = Vec::new();
        let mut failed: HashSet<&str> = HashSet::new();
        let mut ready = Vec::with_capacity(writes.len());
        for w in writes {
            let arn = w.arn();
            if !arn.is_empty() && failed.contains(arn) {
                errors.push(StoreError::EarlierWriteFailed {
                    arn: arn.to_string(),
                });
                continue;
            }
            match encode_events(arn, w.events()) {
                Ok(events) => ready.push((w, events)),
                Err(e) => {
                    failed.insert(arn);
                    errors.push(e);
                }
            }
        }
        let mut conn = self.writer();
        let mut waits = 0;
        let e = loop {
            match self.write_all(&mut conn, &ready) {
                Ok(()) => return errors,
                // Another process held the write lock past the busy timeout: the
                // whole batch is tried again, so its writes stay in order.
                Err(e) if is_busy(&e) && waits < BUSY_RETRIES => waits += 1,
                Err(e) => break e,
            }
        };
        if !e.is_about_one_write() {
            errors.push(self.fault_from(&conn, &e));
            return errors;
        }
        for w in &ready {
            let arn = w.0.arn();
            if !arn.is_empty() && failed.contains(arn) {
                errors.push(StoreError::EarlierWriteFailed {
                    arn: arn.to_string(),
                });
                continue;
            }
            match self.write_all(&mut conn, std::slice::from_ref(w)) {
                Ok(()) => {}
                Err(e) if e.is_about_one_write() => {
                    if !arn.is_empty() {
                        failed.insert(arn);
                    }
                    errors.push(e);
                }
                Err(e) => {
                    errors.push(self.fault_from(&conn, &e));
                    break;
                }
            }
        }
        errors
    }

    fn write_all(
        &self,
        conn: &mut Connection,
        writes: &[(&StoreWrite, Vec<Encoded<'_>>)],
    ) -> Result<(), StoreError> {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.sql_err("starting a batch of writes"))?;
        // Executions this transaction has already seen running: an execution appends
        // many times per batch, and only its own `Finish` can end it meanwhile.
        let mut running: HashSet<&str> = HashSet::new();
        for (w, events) in writes {
            match w {
                StoreWrite::Start { record, .. } => {
                    self.insert_execution_in(&tx, record)?;
                    self.insert_events(&tx, &record.execution_arn, events)?;
                    if record.status == ExecutionStatus::Running {
                        running.insert(&record.execution_arn);
                    }
                }
                StoreWrite::Events { arn, .. } => {
                    if !running.contains(arn.as_str()) {
                        self.require_running(&tx, arn)?;
                        running.insert(arn);
                    }
                    self.insert_events(&tx, arn, events)?;
                }
                StoreWrite::Finish { arn, outcome, .. } => {
                    if !running.remove(arn.as_str()) {
                        self.require_running(&tx, arn)?;
                    }
                    self.insert_events(&tx, arn, events)?;
                    self.record_outcome_in(&tx, arn, outcome)?;
                }
                StoreWrite::Redrive { arn, redrive, .. } => {
                    self.reopen_in(&tx, arn, redrive)?;
                    self.insert_events(&tx, arn, events)?;
                    running.insert(arn);
                }
                StoreWrite::PutItem { item, by } => self.put_item_in(&tx, item, by.as_deref())?,
                StoreWrite::DeleteItem { pk, sk, by } => {
                    self.delete_item_in(&tx, pk, sk, by.as_deref())?;
                }
            }
        }
        tx.commit()
            .map_err(self.sql_err("committing a batch of writes"))
    }
}
