//! The embedded, durable database: the saga's table rows and every execution's
//! history, kept in one SQLite file.
//!
//! Why SQLite (bundled, so nothing has to be installed):
//! * one ordinary file the user can copy, inspect or delete, and no server to start;
//! * real transactions, so an execution's terminal event and its final status become
//!   visible together or not at all;
//! * crash safety: in WAL mode a process that dies mid-write leaves the last committed
//!   state intact, and the next open recovers it automatically.
//!
//! `:memory:` opens a private, throwaway store for tests, demos and benchmarks; it
//! keeps the same data under the same rules in plain Rust collections instead (see
//! `memory`), since nothing of it outlives the process.
//!
//! Three tables hold the data:
//! * `items (pk, sk, item)`: the saga's rows, `item` being the whole row as DynamoDB JSON
//!   (`{"pk":{"S":"t1"},...}`) so attribute types survive exactly;
//! * `executions`: one row per execution, with the fields `DescribeExecution` shows plus
//!   free-form `labels`;
//! * `events (execution_arn, id, event, payload, payload_at)`: each history event as the
//!   JSON text of its `GetExecutionHistory` shape, with its big payload member kept
//!   aside unescaped (see [`NewEvent`]) and put back when read.
//!
//! Dates are stored as INTEGER unix milliseconds (UTC): Step Functions reports dates at
//! millisecond precision, integers sort and compare cheaply in SQL, and there is no
//! time-zone text to misparse. The API takes and returns [`chrono::DateTime<Utc>`].

mod batch;
mod checkpoint;
mod error;
mod events;
mod executions;
mod items;
mod memory;
mod open;
mod recovery;
mod schema;

pub use batch::StoreWrite;
pub use checkpoint::Checkpointer;
pub use error::StoreError;
pub use events::NewEvent;
pub use executions::{ExecutionOutcome, ExecutionRecord, ExecutionStatus, UnknownStatus};
pub use items::SetIf;
pub(crate) use items::item_keys;
pub use recovery::{INTERRUPTED_CAUSE, INTERRUPTED_ERROR};

use memory::{MemoryData, Rows};
use rusqlite::Connection;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// A handle on one sagaview database; clones share the same connections (one for
/// writes, one for reads), so the engine, its tasks and the UI can all hold one cheaply.
///
/// Every call takes a connection's lock only for its own short, synchronous SQLite
/// work, never across an `.await`.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    data: Data,
    /// The file path, or `:memory:`, for error messages.
    location: String,
    /// `None` for an in-memory store.
    path: Option<PathBuf>,
    /// Executions found still running on open and marked aborted.
    recovered: Vec<String>,
    /// Shared lock on `<db>.lock`, held while this store is open, so another process
    /// opening the same file knows these executions are alive and leaves them alone.
    _owner_lock: Option<File>,
}

/// Where a store keeps its data.
enum Data {
    /// An SQLite database file.
    Sqlite {
        /// Every write goes through this connection.
        writer: Mutex<Connection>,
        /// Reads only. In WAL mode a reader sees the last commit without waiting for a
        /// write transaction in progress, so a saga (or the UI) reading a row or a
        /// status never queues behind a large batch of history being committed.
        reader: Mutex<Connection>,
    },
    /// Rust collections, for `:memory:`: table rows and executions under separate
    /// locks, so a saga step writing its row never waits for a batch of history.
    Memory {
        rows: Mutex<Rows>,
        runs: Mutex<MemoryData>,
    },
}

/// A store's data, locked for one short piece of work.
enum Locked<'a> {
    Sqlite(MutexGuard<'a, Connection>),
    Memory(MutexGuard<'a, MemoryData>),
}

/// A store's table rows, locked for one short piece of work.
enum LockedRows<'a> {
    Sqlite(MutexGuard<'a, Connection>),
    Memory(MutexGuard<'a, Rows>),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.inner.location)
            .field("recovered", &self.inner.recovered.len())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// The database's file path, or `:memory:`: what error messages and the UI name.
    pub fn location(&self) -> &str {
        &self.inner.location
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// ARNs of the executions that were still `RUNNING` when this store was opened (the
    /// process running them had exited) and were therefore marked `ABORTED`, so the app
    /// can tell the user.
    pub fn recovered_on_open(&self) -> &[String] {
        &self.inner.recovered
    }

    /// The data, for one short piece of work.
    fn lock(&self) -> Locked<'_> {
        // A poisoned lock only means another call panicked; any transaction it had open
        // was rolled back when it unwound, so the connection is still consistent, and
        // the in-memory data changes only after every check has passed.
        match &self.inner.data {
            Data::Sqlite { writer, .. } => Locked::Sqlite(lock(writer)),
            Data::Memory { runs, .. } => Locked::Memory(lock(runs)),
        }
    }

    /// The table rows, for one short piece of work.
    fn lock_rows(&self) -> LockedRows<'_> {
        match &self.inner.data {
            Data::Sqlite { writer, .. } => LockedRows::Sqlite(lock(writer)),
            Data::Memory { rows, .. } => LockedRows::Memory(lock(rows)),
        }
    }

    /// The table rows, for one short read (see [`Store::read_lock`]).
    fn read_lock_rows(&self) -> LockedRows<'_> {
        match &self.inner.data {
            Data::Sqlite { reader, .. } => LockedRows::Sqlite(lock(reader)),
            Data::Memory { rows, .. } => LockedRows::Memory(lock(rows)),
        }
    }

    /// The data, for one short read: a file store's read-only connection, which does
    /// not wait for the writer.
    fn read_lock(&self) -> Locked<'_> {
        match &self.inner.data {
            Data::Sqlite { reader, .. } => Locked::Sqlite(lock(reader)),
            Data::Memory { runs, .. } => Locked::Memory(lock(runs)),
        }
    }

    /// The SQLite connection of a file store, `None` for an in-memory one.
    fn conn(&self) -> Option<MutexGuard<'_, Connection>> {
        match self.lock() {
            Locked::Sqlite(c) => Some(c),
            Locked::Memory(_) => None,
        }
    }

    /// Wraps an SQLite failure with the database and the operation that failed.
    fn sql_err(&self, op: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite {
            location: self.inner.location.clone(),
            op,
            source,
        }
    }
}

/// A file store in a temporary folder, for tests that look at SQLite itself.
#[cfg(test)]
pub(crate) fn temp_file_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let store = Store::open(dir.path().join("test.db")).expect("file store");
    (dir, store)
}

/// Takes a lock of the store's. A poisoned lock only means another call panicked (see
/// [`Store::lock`]).
pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_is_shareable_across_tasks() {
        fn assert_send_sync_static<T: Send + Sync + Clone + 'static>() {}
        assert_send_sync_static::<Store>();
    }

    #[test]
    fn debug_names_the_location() {
        let store = Store::open(":memory:").unwrap();
        assert!(format!("{store:?}").contains(":memory:"));
        assert_eq!(store.path(), None);
    }
}
