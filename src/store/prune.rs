//! Removing old executions, so a file used for months does not keep every history
//! ever run: which executions go, and what was removed.

use super::{Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::ErrorCode;

/// Which executions [`Store::prune`] removes: an execution goes when it has ended
/// (one still running never goes, whichever process runs it) and no given rule keeps
/// it. With no rule at all, every ended execution goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneRule {
    /// Keeps the executions among this many most recently started ones, running ones
    /// counted: what the UI's list shows first.
    pub keep_newest: Option<usize>,
    /// Keeps the executions that ended at or after this date.
    pub ended_before: Option<DateTime<Utc>>,
}

/// What [`Store::prune`] removed, for the user to check against what they meant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Executions removed.
    pub executions: u64,
    /// Their history events.
    pub events: u64,
    /// Trips whose rows were removed: those of removed executions that no remaining
    /// execution books.
    pub trips: u64,
    /// The table rows of those trips.
    pub rows: u64,
}

/// How [`Store::reclaim_space`] left the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reclaimed {
    /// The file was rewritten without its free pages and the WAL emptied.
    Done,
    /// The file was rewritten, but another process was still reading an older state
    /// of it, so the WAL could not be emptied yet; it is, by the next writer's
    /// checkpoint once that reader is done.
    WalInUse,
}

impl Store {
    /// Removes the ended executions `rule` does not keep, with their history events,
    /// the row versions they wrote and the rows (and versions) of their trips that no
    /// remaining execution books, in one transaction; `None` for an in-memory store,
    /// which is thrown away whole instead.
    ///
    /// The space they took stays in the file, free for new writes, until
    /// [`Store::reclaim_space`].
    pub fn prune(&self, rule: &PruneRule) -> Result<Option<Pruned>, StoreError> {
        self.sqlite().map(|s| s.prune(rule)).transpose()
    }

    /// Rewrites the file without its free pages (SQLite's `VACUUM`), then empties the
    /// WAL, so the file shrinks to what it holds; `None` for an in-memory store.
    ///
    /// Needs a moment when no other process writes: waits for one that is writing
    /// for as long as any write waits, then fails with an error for which
    /// [`StoreError::is_busy`] holds.
    pub fn reclaim_space(&self) -> Result<Option<Reclaimed>, StoreError> {
        self.sqlite().map(|s| s.reclaim_space()).transpose()
    }
}

impl StoreError {
    /// Whether the operation failed only because another process kept the database
    /// busy (writing, or holding the file) for longer than a write waits: worth
    /// trying again later, nothing is wrong with the file.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite { source, .. }
                if matches!(
                    source.sqlite_error_code(),
                    Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
                )
        )
    }
}
