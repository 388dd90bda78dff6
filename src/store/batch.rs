//! Group commit: many executions' writes in one transaction.
//!
//! An execution produces a history event every few microseconds; committing each alone
//! makes SQLite's per-transaction work the bottleneck. The recorder queues writes and
//! hands them over in batches; a batch is one transaction, so it still becomes visible
//! all at once or not at all.

use super::events::{Encoded, NewEvent, encode_events};
use super::executions::{ExecutionOutcome, ExecutionRecord};
use super::{Data, Store, StoreError};
use rusqlite::{Connection, TransactionBehavior};
use saga_lambdas::Item;
use std::collections::HashSet;

/// One queued write.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreWrite {
    /// A new execution and its first events.
    Start {
        /// The execution.
        record: ExecutionRecord,
        /// Its first events.
        events: Vec<NewEvent>,
    },
    /// More events of a running execution.
    Events {
        /// The execution.
        arn: String,
        /// The events.
        events: Vec<NewEvent>,
    },
    /// The last events and the outcome, which must become visible together.
    Finish {
        /// The execution.
        arn: String,
        /// The last events (normally the terminal one).
        events: Vec<NewEvent>,
        /// How it ended.
        outcome: ExecutionOutcome,
    },
    /// A table row written whole (or overwritten), queued behind the history so that
    /// the rows and the events that explain them are committed in the order they
    /// happened.
    PutItem {
        /// The row; its `pk` and `sk` are strings (checked when it is written).
        item: Item,
    },
    /// A table row deleted (a missing row is not an error).
    DeleteItem {
        /// Partition key.
        pk: String,
        /// Sort key.
        sk: String,
    },
}

/// About how many bytes a table row takes in the WAL.
const ITEM_SIZE: usize = 512;

impl StoreWrite {
    /// The execution written to, for error messages (none for a table row).
    fn arn(&self) -> &str {
        match self {
            StoreWrite::Start { record, .. } => &record.execution_arn,
            StoreWrite::Events { arn, .. } | StoreWrite::Finish { arn, .. } => arn,
            StoreWrite::PutItem { .. } | StoreWrite::DeleteItem { .. } => "",
        }
    }

    /// The events written.
    fn events(&self) -> &[NewEvent] {
        match self {
            StoreWrite::Start { events, .. }
            | StoreWrite::Events { events, .. }
            | StoreWrite::Finish { events, .. } => events,
            StoreWrite::PutItem { .. } | StoreWrite::DeleteItem { .. } => &[],
        }
    }

    /// About how many bytes the write stores.
    pub fn size(&self) -> usize {
        let extra = match self {
            StoreWrite::Start { record, .. } => record.input.len() + 256,
            StoreWrite::Finish { outcome, .. } => {
                outcome.output.as_ref().map_or(0, String::len) + 64
            }
            StoreWrite::Events { .. } => 0,
            StoreWrite::PutItem { .. } | StoreWrite::DeleteItem { .. } => ITEM_SIZE,
        };
        self.events().iter().map(NewEvent::size).sum::<usize>() + extra
    }
}

impl Store {
    /// Applies the writes in one transaction. If that fails (one bad write), each write
    /// is retried on its own so the good ones are not lost; the errors of the writes
    /// that still fail are returned.
    pub fn write_batch(&self, writes: &[StoreWrite]) -> Vec<StoreError> {
        if writes.is_empty() {
            return Vec::new();
        }
        let conn = match &self.inner.data {
            Data::Sqlite { writer, .. } => writer,
            Data::Memory { rows, runs } => return super::lock(runs).write_batch(rows, writes),
        };
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
        let mut conn = super::lock(conn);
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
                    if record.status == super::ExecutionStatus::Running {
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
