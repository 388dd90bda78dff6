//! The durable store: the saga's table rows and every execution's history in one
//! SQLite file.
//!
//! Why SQLite (bundled, so nothing has to be installed):
//! * one ordinary file the user can copy, inspect or delete, and no server to start;
//! * real transactions, so an execution's terminal event and its final status become
//!   visible together or not at all;
//! * crash safety: in WAL mode a process that dies mid-write leaves the last committed
//!   state intact, and the next open recovers it automatically.
//!
//! Three tables hold the data:
//! * `item_versions (seq, pk, sk, execution_arn, tag, item)`: every write of the
//!   table's rows, `item` being the whole row as DynamoDB JSON
//!   (`{"pk":{"S":"t1"},...}`) so attribute types survive exactly, NULL for a
//!   deletion; a row is its key's latest version (see `store::versions`);
//! * `executions`: one row per execution, with the fields `DescribeExecution` shows plus
//!   free-form `labels`;
//! * `events (execution_arn, id, event, payload, payload_at)`: each history event as the
//!   JSON text of its `GetExecutionHistory` shape, with its big payload member kept
//!   aside unescaped (see [`event_rows`]) and put back when read.
//!
//! Dates are stored as INTEGER unix milliseconds (UTC): Step Functions reports dates at
//! millisecond precision, integers sort and compare cheaply in SQL, and there is no
//! time-zone text to misparse.

mod batch;
mod checkpoint;
mod event_rows;
mod executions;
mod fault;
mod items;
mod open;
mod prune;
mod recovery;
mod schema;

pub use checkpoint::Checkpointer;
pub(super) use event_rows::payload_of;
pub use recovery::{INTERRUPTED_CAUSE, INTERRUPTED_ERROR};

use super::items::SetIf;
use super::versions::RowWriter;
use super::{Backend, ExecutionOutcome, ExecutionRecord, NewEvent, StoreError, StoreWrite};
use rusqlite::Connection;
use saga_lambdas::Item;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// An open database file.
pub(super) struct SqliteStore {
    /// Every write goes through this connection.
    writer: Mutex<Connection>,
    /// Reads only. In WAL mode a reader sees the last commit without waiting for a
    /// write transaction in progress, so a saga (or the UI) reading a row or a status
    /// never queues behind a large batch of history being committed.
    reader: Mutex<Connection>,
    /// The file path, for error messages.
    location: String,
    path: PathBuf,
    /// Executions found still running on open and marked aborted.
    recovered: Vec<String>,
    /// The first failure of the file itself, kept while the store is open.
    fault: fault::FirstFault,
    /// Shared lock on `<db>.lock`, held while this store is open, so another process
    /// opening the same file knows these executions are alive and leaves them alone.
    _owner_lock: Option<File>,
}

impl SqliteStore {
    /// The write connection, for one short piece of work.
    pub(super) fn writer(&self) -> MutexGuard<'_, Connection> {
        super::lock(&self.writer)
    }

    /// The read connection, which does not wait for the writer.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        super::lock(&self.reader)
    }

    fn location(&self) -> &str {
        &self.location
    }

    /// Runs `work` in one write transaction: a row and its version are written
    /// together or not at all.
    fn in_transaction<T>(
        &self,
        op: &'static str,
        work: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.writer();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(self.sql_err(op))?;
        let done = work(&tx)?;
        tx.commit().map_err(self.sql_err(op))?;
        Ok(done)
    }

    /// Wraps an SQLite failure with the database and the operation that failed.
    fn sql_err(&self, op: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
        super::error::sql_error(&self.location, op)
    }
}

impl Backend for SqliteStore {
    fn location(&self) -> &str {
        &self.location
    }

    fn path(&self) -> Option<&Path> {
        Some(&self.path)
    }

    fn recovered_on_open(&self) -> &[String] {
        &self.recovered
    }

    fn fault(&self) -> Option<&str> {
        self.fault.get()
    }

    fn put(&self, item: Item, by: RowWriter<'_>) -> Result<(), StoreError> {
        let put = self.in_transaction("writing a table item", |conn| {
            self.put_item_in(conn, &item, by)
        });
        self.watch_write(put)
    }

    fn update_if(
        &self,
        pk: &str,
        sk: &str,
        update: &SetIf,
        by: RowWriter<'_>,
    ) -> Result<bool, StoreError> {
        self.watch_write(SqliteStore::update_if(self, pk, sk, update, by))
    }

    fn delete(&self, pk: &str, sk: &str, by: RowWriter<'_>) -> Result<(), StoreError> {
        let deleted = self.in_transaction("deleting a table item", |conn| {
            self.delete_item_in(conn, pk, sk, by)
        });
        self.watch_write(deleted)
    }

    fn rows_after_event(
        &self,
        pk: &str,
        execution_arn: &str,
        event_id: i64,
    ) -> Result<Option<Vec<Item>>, StoreError> {
        self.watch_read(SqliteStore::rows_after_event(
            self,
            pk,
            execution_arn,
            event_id,
        ))
    }

    fn get_item(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        self.watch_read(SqliteStore::get_item(self, pk, sk))
    }

    fn query(&self, pk: &str) -> Result<Vec<Item>, StoreError> {
        self.watch_read(SqliteStore::query(self, pk))
    }

    fn insert_execution(&self, record: &ExecutionRecord) -> Result<(), StoreError> {
        let inserted = self.insert_execution_in(&self.writer(), record);
        self.watch_write(inserted)
    }

    fn append(
        &self,
        arn: &str,
        events: &[NewEvent],
        outcome: Option<&ExecutionOutcome>,
    ) -> Result<(), StoreError> {
        self.watch_write(SqliteStore::append(self, arn, events, outcome))
    }

    fn write_batch(&self, writes: &[StoreWrite]) -> Vec<StoreError> {
        SqliteStore::write_batch(self, writes)
    }

    fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>, StoreError> {
        self.watch_read(SqliteStore::get_execution(self, arn))
    }

    fn list_executions(&self, limit: usize) -> Result<Vec<ExecutionRecord>, StoreError> {
        self.watch_read(SqliteStore::list_executions(self, limit))
    }

    fn events_since(&self, arn: &str, after_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
        self.watch_read(SqliteStore::events_since(self, arn, after_id))
    }

    fn event_count(&self, arn: &str) -> Result<u64, StoreError> {
        self.watch_read(SqliteStore::event_count(self, arn))
    }

    fn last_event_id(&self, arn: &str) -> Result<Option<i64>, StoreError> {
        self.watch_read(SqliteStore::last_event_id(self, arn))
    }
}
