//! Keeping the WAL bounded, with its checkpoints beside the writes instead of inside them.
//!
//! A WAL shrinks back only when a checkpoint has copied all of it into the database
//! file and the next write starts it again from its beginning; SQLite deletes it only
//! when the last connection to the file closes. So while any process holds the file
//! (a UI left open), the WAL is recycled only if the processes that write checkpoint
//! it. The policy, in every process that opens a store:
//!
//! * **Whoever writes, checkpoints**, always `PASSIVE`: it neither waits for nor blocks
//!   readers and other writers, and copies whatever no reader still needs.
//!   - The history writer holds a [`Checkpointer`]: SQLite's own checkpoints are off
//!     for the store's write connection and a connection of its own checkpoints every
//!     [`CHECKPOINT_EVERY`] bytes, and once more when it stops, so a short-lived
//!     process (`sagaview run`) leaves nothing unchecked behind it.
//!   - Without one, the write connection checkpoints itself after
//!     [`AUTOCHECKPOINT_PAGES`] pages, as SQLite does by default.
//!   - Closing a store checkpoints what is left.
//! * **`journal_size_limit`** ([`JOURNAL_SIZE_LIMIT`]): when a restarted WAL is first
//!   written, a file that a burst (or a reader holding a checkpoint back) made bigger
//!   is truncated to the limit, so a peak does not stay on disk.
//! * **Short reads**: every read is one statement in autocommit, run to its end and
//!   reset before the connection is let go; no transaction or statement stays open
//!   between two reads (the UI polls). A reader's open snapshot would keep checkpoints
//!   from copying anything committed after it, and the WAL from restarting.
//!
//! What no process here can help: another program holding a read transaction open on
//! the file (say `sqlite3` inside `BEGIN`) pins the WAL until that transaction ends.
//!
//! Why a checkpoint thread: SQLite normally checkpoints (copies the WAL back, with its
//! fsyncs) inside whichever commit happens to fill the WAL past its threshold: with
//! the history written from a writer thread, that is as likely to be a saga handler's
//! small table write on the runtime's thread. SQLite lets a checkpoint on another
//! connection run while the store's connection keeps writing.

use super::SqliteStore;
use crate::store::error::sql_error;
use crate::store::{Store, StoreError};
use rusqlite::Connection;

/// Bytes written between two checkpoints. A short WAL keeps each checkpoint small and
/// lets SQLite restart the WAL from its beginning while its pages are still cached,
/// which the durable saga benchmark shows faster than SQLite's own 1000 pages (4 MiB).
const CHECKPOINT_EVERY: usize = 256 * 1024;

/// SQLite's own checkpoint threshold, in pages, for a write connection without a
/// [`Checkpointer`]: SQLite's default, a few megabytes of WAL.
const AUTOCHECKPOINT_PAGES: i64 = 1000;

/// The size a WAL file is cut back to once restarted: above what the writers leave
/// between two checkpoints, so a steady WAL is reused in place rather than cut and
/// regrown, yet small beside any history worth keeping.
pub(super) const JOURNAL_SIZE_LIMIT: i64 = 4 * 1024 * 1024;

/// Checkpoints a file store's WAL from its own connection; see the module docs.
pub struct Checkpointer {
    store: Store,
    conn: Connection,
    written: usize,
}

impl std::fmt::Debug for Checkpointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpointer")
            .field("store", &self.store)
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Takes WAL checkpoints off this store's own commits and returns what does them
    /// instead, for a writer that knows how much it writes; `None` for an in-memory
    /// store, which has no WAL. Dropping the checkpointer hands them back.
    pub fn checkpointer(&self) -> Result<Option<Checkpointer>, StoreError> {
        let Some(sqlite) = self.sqlite() else {
            return Ok(None);
        };
        let err = |op| sql_error(self.location(), op);
        let conn =
            Connection::open(&sqlite.path).map_err(err("opening a checkpoint connection"))?;
        conn.busy_timeout(super::open::BUSY_TIMEOUT)
            .map_err(err("setting the checkpoint connection's busy timeout"))?;
        sqlite
            .writer()
            .pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(err("turning off automatic checkpoints"))?;
        Ok(Some(Checkpointer {
            store: self.clone(),
            conn,
            written: 0,
        }))
    }
}

impl Checkpointer {
    /// Notes `bytes` more committed, and checkpoints once enough has accumulated.
    pub fn wrote(&mut self, bytes: usize) -> Result<(), StoreError> {
        self.written = self.written.saturating_add(bytes);
        if self.written < CHECKPOINT_EVERY {
            return Ok(());
        }
        self.written = 0;
        self.checkpoint()
    }

    /// Copies what the WAL holds into the database file, without waiting for anyone.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            .map_err(sql_error(self.store.location(), "checkpointing the WAL"))
    }
}

impl Drop for Checkpointer {
    /// Checkpoints what was written since the last checkpoint, so a process that
    /// stops writing leaves the WAL recyclable for the others, and hands checkpoints
    /// back to the store's commits.
    fn drop(&mut self) {
        if let Err(e) = self.checkpoint() {
            tracing::warn!(error = %e, "could not checkpoint the store's WAL");
        }
        let Some(sqlite) = self.store.sqlite() else {
            return;
        };
        if let Err(e) =
            sqlite
                .writer()
                .pragma_update(None, "wal_autocheckpoint", AUTOCHECKPOINT_PAGES)
        {
            tracing::warn!(error = %e, "could not turn automatic checkpoints back on");
        }
    }
}

impl Drop for SqliteStore {
    /// Checkpoints what is left: SQLite does so itself only when the last connection
    /// to the file closes, never while another process holds it.
    fn drop(&mut self) {
        let conn = self.writer();
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::debug!(error = %e, location = %self.location, "no checkpoint on close");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memory_store_has_no_checkpointer() {
        let store = Store::open_in_memory().unwrap();
        assert!(store.checkpointer().unwrap().is_none());
    }

    #[test]
    fn the_store_stops_checkpointing_until_the_checkpointer_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("c.db")).unwrap();
        let auto = |s: &Store| -> i64 {
            s.conn()
                .unwrap()
                .pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))
                .unwrap()
        };
        let mut cp = store.checkpointer().unwrap().unwrap();
        assert_eq!(auto(&store), 0);
        cp.wrote(CHECKPOINT_EVERY).unwrap();
        assert_eq!(cp.written, 0);
        drop(cp);
        assert_eq!(auto(&store), 1000);
    }

    #[test]
    fn each_writer_leaves_the_wal_recyclable_while_another_holds_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let wal = dir.path().join("w.db-wal");
        // Holds the file, so no closing connection ever checkpoints or deletes the WAL.
        let _holder = Store::open(&path).unwrap();
        let limit: i64 = _holder
            .conn()
            .unwrap()
            .pragma_query_value(None, "journal_size_limit", |r| r.get(0))
            .unwrap();
        assert_eq!(limit, JOURNAL_SIZE_LIMIT);
        let big = "x".repeat(64 * 1024);
        for round in 0..40 {
            let store = Store::open(&path).unwrap();
            let cp = store.checkpointer().unwrap();
            let item = saga_lambdas::item::string_item([
                ("pk", format!("t{round}")),
                ("sk", "s".to_string()),
                ("blob", big.clone()),
            ]);
            store.put_sync(&item).unwrap();
            drop(cp);
        }
        let wal = std::fs::metadata(wal).unwrap().len();
        assert!(wal < 40 * 64 * 1024 / 4, "the WAL grew to {wal} bytes");
    }

    /// Whether a checkpoint could copy the whole WAL back and empty it right now,
    /// without waiting: it cannot while any reader keeps an older snapshot open.
    fn wal_free(path: &std::path::Path) -> bool {
        let other = Connection::open(path).unwrap();
        other.busy_timeout(std::time::Duration::ZERO).unwrap();
        other
            .execute_batch("INSERT INTO item_versions (pk, sk, tag) VALUES ('other', 's', 0)")
            .unwrap();
        let busy: i64 = other
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .unwrap();
        other
            .execute_batch("DELETE FROM item_versions WHERE pk = 'other'")
            .unwrap();
        busy == 0
    }

    #[test]
    fn reads_leave_no_snapshot_open_between_polls() {
        use crate::store::{ExecutionOutcome, ExecutionRecord};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let store = Store::open(&path).unwrap();
        let write = || {
            store
                .insert_execution(&ExecutionRecord {
                    execution_arn: format!("a{}", store.list_executions(99).unwrap().len()),
                    labels: serde_json::json!({"trip_id": "t"}),
                    ..Default::default()
                })
                .unwrap();
        };
        write();
        let arn = "a0";
        store.append_event(arn, 1, r#"{"id":1}"#).unwrap();
        store.append_event(arn, 2, r#"{"id":2}"#).unwrap();
        store
            .finish_execution(arn, &ExecutionOutcome::succeeded("{}", chrono::Utc::now()))
            .unwrap();
        let item = saga_lambdas::item::string_item(
            [("pk", "t"), ("sk", "s")].map(|(k, v)| (k, v.to_string())),
        );
        store.put_sync(&item).unwrap();

        // A snapshot held open is seen: the check works.
        {
            let holder = Connection::open(&path).unwrap();
            holder
                .execute_batch("BEGIN; SELECT count(*) FROM item_versions;")
                .unwrap();
            write();
            assert!(!wal_free(&path), "an open read transaction holds the WAL");
            holder.execute_batch("COMMIT").unwrap();
        }

        // Every read the UI's polls make, each with commits in the WAL since the last
        // checkpoint, so a lingering read would pin them.
        let reads: [&dyn Fn(); 7] = [
            &|| {
                store.list_executions(1).unwrap();
            },
            &|| {
                store.get_execution(arn).unwrap();
            },
            &|| {
                store.events_since(arn, 0).unwrap();
            },
            &|| {
                store.event_count(arn).unwrap();
            },
            &|| {
                store.last_event_id(arn).unwrap();
            },
            &|| {
                store.get_item_sync("t", "s").unwrap();
            },
            &|| {
                store.query_trip_sync("t").unwrap();
            },
        ];
        for (i, read) in reads.iter().enumerate() {
            write();
            read();
            assert!(wal_free(&path), "read {i} left a snapshot open");
        }
    }
}
