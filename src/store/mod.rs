//! The embedded store: the saga's table rows and every execution's history.
//!
//! One interface ([`Store`]) over two stores side by side:
//! * [`sqlite`]: the durable store, one SQLite file, what the app opens by default;
//! * [`memory`]: `:memory:`, a private, throwaway store in plain Rust collections for
//!   tests, demos and benchmarks, since nothing of it outlives the process.
//!
//! Both keep the same rules, and the same store tests run against both: histories are
//! append-only while the execution runs, a terminal event and the final status are
//! written together, dates are kept to the millisecond, rows come back in DynamoDB's
//! sort-key order, and a row is updated conditionally as DynamoDB does it.

mod batch;
mod error;
mod events;
mod executions;
mod items;
mod memory;
mod prune;
mod sqlite;
mod versions;

pub use batch::StoreWrite;
pub use error::StoreError;
pub use events::NewEvent;
pub use executions::{ExecutionOutcome, ExecutionRecord, ExecutionStatus, Redrive, UnknownStatus};
pub use items::SetIf;
pub(crate) use items::item_keys;
pub use prune::{PruneRule, Pruned, Reclaimed};
pub use sqlite::{Checkpointer, INTERRUPTED_CAUSE, INTERRUPTED_ERROR};
pub use versions::RowWriter;

use saga_lambdas::Item;
use sqlite::SqliteStore;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The path that opens a private in-memory store instead of a file.
const MEMORY: &str = ":memory:";

/// What a store does: the operations [`Store`]'s methods make, each on the store's
/// own terms (a file store's transactions, a memory store's maps).
trait Backend: Send + Sync {
    /// The file path, or `:memory:`, for error messages.
    fn location(&self) -> &str;
    /// The database file, if there is one.
    fn path(&self) -> Option<&Path> {
        None
    }
    /// Executions marked aborted on open.
    fn recovered_on_open(&self) -> &[String] {
        &[]
    }
    /// The first failure of the file itself, if it has failed (see [`Store::fault`]).
    fn fault(&self) -> Option<&str> {
        None
    }
    /// Writes (or overwrites) a row whose keys were checked, keeping its version.
    fn put(&self, item: Item, by: RowWriter<'_>) -> Result<(), StoreError>;
    fn update_if(
        &self,
        pk: &str,
        sk: &str,
        update: &SetIf,
        by: RowWriter<'_>,
    ) -> Result<bool, StoreError>;
    fn delete(&self, pk: &str, sk: &str, by: RowWriter<'_>) -> Result<(), StoreError>;
    /// See [`Store::rows_after_event`].
    fn rows_after_event(
        &self,
        pk: &str,
        execution_arn: &str,
        event_id: i64,
    ) -> Result<Option<Vec<Item>>, StoreError>;
    fn get_item(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError>;
    /// One partition's rows, by sort key.
    fn query(&self, pk: &str) -> Result<Vec<Item>, StoreError>;
    fn insert_execution(&self, record: &ExecutionRecord) -> Result<(), StoreError>;
    /// Appends events to a running execution, and records its outcome if given: all
    /// or nothing.
    fn append(
        &self,
        arn: &str,
        events: &[NewEvent],
        outcome: Option<&ExecutionOutcome>,
    ) -> Result<(), StoreError>;
    /// Applies the writes; the errors of those that could not be made.
    fn write_batch(&self, writes: &[StoreWrite]) -> Vec<StoreError>;
    fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>, StoreError>;
    fn list_executions(&self, limit: usize) -> Result<Vec<ExecutionRecord>, StoreError>;
    fn events_since(&self, arn: &str, after_id: i64) -> Result<Vec<(i64, String)>, StoreError>;
    fn event_count(&self, arn: &str) -> Result<u64, StoreError>;
    fn last_event_id(&self, arn: &str) -> Result<Option<i64>, StoreError>;
}

/// A handle on one store; clones share it, so the engine, its tasks and the UI can all
/// hold one cheaply.
///
/// Every call holds a lock only for its own short, synchronous work, never across an
/// `.await`.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Kind>,
}

/// Which store a [`Store`] is.
enum Kind {
    /// Boxed: an open file is far larger than the memory store's handle.
    Sqlite(Box<SqliteStore>),
    Memory(memory::MemoryStore),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.location())
            .field("recovered", &self.recovered_on_open().len())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path`, or a private in-memory one
    /// for `:memory:`.
    ///
    /// Creates missing parent folders, refuses files that are not sagaview databases
    /// with an error naming the file, migrates older schemas, and marks executions left
    /// `RUNNING` by a process that has since exited as `ABORTED` (see
    /// [`Store::recovered_on_open`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref();
        if path.as_os_str() == MEMORY {
            return Store::open_in_memory();
        }
        let sqlite = Box::new(SqliteStore::open(path)?);
        Ok(Store {
            inner: Arc::new(Kind::Sqlite(sqlite)),
        })
    }

    /// Opens a private, empty, throwaway store; two calls never share data.
    /// Infallible today; the `Result` keeps callers' code the same as for a file.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Ok(Store {
            inner: Arc::new(Kind::Memory(memory::MemoryStore::default())),
        })
    }

    /// Where sagaview keeps its database by default: `sagaview/sagaview.db` in the
    /// user's data directory (e.g. `~/.local/share` on Linux).
    pub fn default_path() -> Result<PathBuf, StoreError> {
        let base = dirs::data_dir().ok_or(StoreError::NoDataDir)?;
        Ok(base.join("sagaview").join("sagaview.db"))
    }

    /// The store itself: the one place that tells the two apart.
    fn backend(&self) -> &dyn Backend {
        match &*self.inner {
            Kind::Sqlite(s) => s.as_ref(),
            Kind::Memory(m) => m,
        }
    }

    /// The file store, for what only it has (its WAL).
    fn sqlite(&self) -> Option<&SqliteStore> {
        match &*self.inner {
            Kind::Sqlite(s) => Some(s.as_ref()),
            Kind::Memory(_) => None,
        }
    }

    /// The database's file path, or `:memory:`: what error messages and the UI name.
    pub fn location(&self) -> &str {
        self.backend().location()
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.backend().path()
    }

    /// ARNs of the executions that were still `RUNNING` when this store was opened (the
    /// process running them had exited) and were therefore marked `ABORTED`, so the app
    /// can tell the user.
    pub fn recovered_on_open(&self) -> &[String] {
        self.backend().recovered_on_open()
    }

    /// "the store failed: <file>: <OS error>" once the file has failed under a read or
    /// a write (disk full, a file-size limit, an I/O error, a damaged page): the first
    /// such failure, kept while the store is open, so whoever records into the store
    /// can stop and the user is told, rather than later writes landing after lost ones.
    pub fn fault(&self) -> Option<&str> {
        self.backend().fault()
    }

    /// Writes (or overwrites) a row; its `pk` and `sk` must be strings.
    pub fn put_sync(&self, item: &Item) -> Result<(), StoreError> {
        self.put_by_sync(item.clone(), None)
    }

    /// Updates an existing row if its attribute holds the expected value (see
    /// [`SetIf`]); whether it did. A missing row changes nothing, as in DynamoDB.
    pub fn update_if_sync(&self, pk: &str, sk: &str, update: &SetIf) -> Result<bool, StoreError> {
        self.update_if_by_sync(pk, sk, update, None)
    }

    /// Deletes a row; a missing row is not an error.
    pub fn delete_sync(&self, pk: &str, sk: &str) -> Result<(), StoreError> {
        self.delete_by_sync(pk, sk, None)
    }

    /// One row, or `None` if there is none.
    pub fn get_item_sync(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        self.backend().get_item(pk, sk)
    }

    /// All rows of one trip ordered by `sk` (byte order, as DynamoDB sorts), for the UI
    /// (which polls from plain code) and the handlers' table.
    pub fn query_trip_sync(&self, pk: &str) -> Result<Vec<Item>, StoreError> {
        self.backend().query(pk)
    }

    /// Records a new execution (normally `RUNNING`, before its first event).
    pub fn insert_execution(&self, record: &ExecutionRecord) -> Result<(), StoreError> {
        self.backend().insert_execution(record)
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

    /// [`Store::append_events`] for events already made.
    pub fn append_new_events(&self, arn: &str, events: &[NewEvent]) -> Result<(), StoreError> {
        self.backend().append(arn, events, None)
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
    /// and records the outcome at once, so readers see the terminal event and the final
    /// status together; on any failure neither is written.
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
        self.backend()
            .append(arn, &owned_events(events), Some(outcome))
    }

    /// Runs an ended execution again (see [`StoreWrite::Redrive`]): refused for an
    /// execution that is running or succeeded, as RedriveExecution refuses it.
    pub fn redrive_execution(
        &self,
        arn: &str,
        events: &[NewEvent],
        redrive: &Redrive,
    ) -> Result<(), StoreError> {
        let write = StoreWrite::Redrive {
            arn: arn.to_owned(),
            events: events.to_vec(),
            redrive: redrive.clone(),
        };
        match self
            .write_batch(std::slice::from_ref(&write))
            .into_iter()
            .next()
        {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Applies the writes, each all or nothing (a file store commits them in one
    /// transaction); the errors of the writes that could not be made.
    pub fn write_batch(&self, writes: &[StoreWrite]) -> Vec<StoreError> {
        if writes.is_empty() {
            return Vec::new();
        }
        self.backend().write_batch(writes)
    }

    /// One execution, or `None` if it is not stored.
    pub fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>, StoreError> {
        self.backend().get_execution(arn)
    }

    /// The `limit` most recently started executions, newest first.
    pub fn list_executions(&self, limit: usize) -> Result<Vec<ExecutionRecord>, StoreError> {
        self.backend().list_executions(limit)
    }

    /// The events with an id above `after_id`, in id order, as `(id, JSON text)`: what
    /// a viewer polls with the last id it has seen (0 for all).
    pub fn events_since(&self, arn: &str, after_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
        self.backend().events_since(arn, after_id)
    }

    /// How many events the execution has (0 for an unknown execution).
    pub fn event_count(&self, arn: &str) -> Result<u64, StoreError> {
        self.backend().event_count(arn)
    }

    /// The highest event id of the execution, or `None` if it has no events.
    pub fn last_event_id(&self, arn: &str) -> Result<Option<i64>, StoreError> {
        self.backend().last_event_id(arn)
    }

    /// The file store's write connection, for tests that look at SQLite itself.
    #[cfg(test)]
    fn conn(&self) -> Option<MutexGuard<'_, rusqlite::Connection>> {
        self.sqlite().map(SqliteStore::writer)
    }
}

/// A caller's `(id, JSON text)` events, ready to store.
fn owned_events<'a>(events: impl IntoIterator<Item = (i64, &'a str)>) -> Vec<NewEvent> {
    events
        .into_iter()
        .map(|(id, json)| NewEvent::from_json(id, json))
        .collect()
}

/// A file store in a temporary folder, for tests that look at SQLite itself.
#[cfg(test)]
pub(crate) fn temp_file_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let store = Store::open(dir.path().join("test.db")).expect("file store");
    (dir, store)
}

/// Takes a lock of a store's. A poisoned lock only means another call panicked; any
/// transaction it had open was rolled back when it unwound, and the in-memory data
/// changes only after every check has passed, so the data is still consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
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
