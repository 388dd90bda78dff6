//! A batch of writes as one SQLite transaction (see [`crate::store::StoreWrite`]).

use super::SqliteStore;
use super::event_rows::{Encoded, encode_events};
use crate::store::{ExecutionStatus, StoreError, StoreWrite};
use rusqlite::{Connection, TransactionBehavior};
use std::collections::HashSet;

impl SqliteStore {
    /// `Backend::write_batch`: the writes in one transaction. If that fails (one bad
    /// write), each write is retried on its own so the good ones are not lost; the
    /// errors of the writes that still fail are returned.
    pub(super) fn write_batch(&self, writes: &[StoreWrite]) -> Vec<StoreError> {
        // Encoding and compressing the events is most of a batch's work: done before
        // the lock is taken, so the sagas' table writes wait only for SQLite.
        let mut errors = Vec::new();
        let mut ready = Vec::with_capacity(writes.len());
        for w in writes {
            match encode_events(w.arn(), w.events()) {
                Ok(events) => ready.push((w, events)),
                Err(e) => errors.push(e),
            }
        }
        let mut conn = self.writer();
        if self.write_all(&mut conn, &ready).is_err() {
            errors.extend(
                ready
                    .iter()
                    .filter_map(|w| self.write_all(&mut conn, std::slice::from_ref(w)).err()),
            );
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
                StoreWrite::PutItem { item } => self.put_item_in(&tx, item)?,
                StoreWrite::DeleteItem { pk, sk } => self.delete_item_in(&tx, pk, sk)?,
            }
        }
        tx.commit()
            .map_err(self.sql_err("committing a batch of writes"))
    }
}
