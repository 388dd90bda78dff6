//! WAL checkpoints run beside the writes instead of inside them.
//!
//! SQLite normally checkpoints (copies the WAL back into the database file, with its
//! fsyncs) inside whichever commit happens to fill the WAL past 1000 pages: with the
//! history written from a writer thread, that is as likely to be a saga handler's small
//! table write on the runtime's thread. A [`Checkpointer`] turns that off for the
//! store's connection and checkpoints from a connection of its own, which SQLite lets
//! run while the other connection keeps writing.

use crate::store::error::sql_error;
use crate::store::{Store, StoreError};
use rusqlite::Connection;

/// Bytes written between two checkpoints. A short WAL keeps each checkpoint small and
/// lets SQLite restart the WAL from its beginning while its pages are still cached,
/// which the durable saga benchmark shows faster than SQLite's own 1000 pages (4 MiB).
const CHECKPOINT_EVERY: usize = 256 * 1024;

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
    fn drop(&mut self) {
        let Some(sqlite) = self.store.sqlite() else {
            return;
        };
        if let Err(e) = sqlite
            .writer()
            .pragma_update(None, "wal_autocheckpoint", 1000)
        {
            tracing::warn!(error = %e, "could not turn automatic checkpoints back on");
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
}
