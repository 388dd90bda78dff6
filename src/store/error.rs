//! What can go wrong with the database, always naming the file and the operation.

use super::executions::ExecutionStatus;
use std::path::PathBuf;

/// Wraps an SQLite failure with the database and the operation that failed, for code
/// that has a connection but no [`super::Store`] yet.
pub(super) fn sql_error<'a>(
    location: &'a str,
    op: &'static str,
) -> impl FnOnce(rusqlite::Error) -> StoreError + 'a {
    move |source| StoreError::Sqlite {
        location: location.to_string(),
        op,
        source,
    }
}

/// A failure of the embedded database. Every variant names the database (its path or
/// `:memory:`) so a message read on its own still says where to look.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The system reports no per-user data directory to put the default database in.
    #[error(
        "no user data directory is known on this system (is HOME set?), so there is no \
         default place for the sagaview database; give a database path explicitly"
    )]
    NoDataDir,

    /// The folder that should hold the database could not be created.
    #[error("cannot create the folder {} for the sagaview database: {source}", dir.display())]
    CreateDir {
        /// The folder.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },

    /// The file exists but is not an SQLite database sagaview can use (garbage bytes,
    /// a damaged file, or another program's database).
    #[error(
        "{location} is not a usable sagaview database ({reason}); move it aside or \
         choose another database file"
    )]
    NotUsable {
        /// The file.
        location: String,
        /// What was found instead.
        reason: String,
    },

    /// The file's pages fail SQLite's check at open: it was damaged (by a disk, a copy
    /// cut short, or bytes overwritten). Refused at once, since working on a damaged
    /// page can fail any later read or write.
    #[error(
        "{location} is damaged (SQLite: {detail}); move it aside and sagaview starts a \
         new one"
    )]
    Damaged {
        /// The file.
        location: String,
        /// What SQLite's check reported first.
        detail: String,
    },

    /// The file failed under a read or a write: the disk is full, a file-size limit was
    /// reached, the OS reported an I/O error, or a damaged page was met. The first one
    /// is kept by the store (see `Store::fault`) and nothing more is recorded into it,
    /// so what the file holds stays a consistent prefix of what happened.
    #[error("the store failed: {location}: {detail}")]
    Fault {
        /// The file.
        location: String,
        /// The OS error (or SQLite's own words when there is none) and the operation.
        detail: String,
    },

    /// A write not attempted because an earlier write of the same execution in the
    /// batch failed: a history never continues past a gap.
    #[error("a write of execution {arn} was skipped: an earlier write of it failed")]
    EarlierWriteFailed {
        /// The execution.
        arn: String,
    },

    /// The database was written by a newer sagaview whose schema this build does not know.
    #[error(
        "{location} was written by a newer sagaview (schema version {found}, this build \
         knows up to {known}); use a newer sagaview or another database file"
    )]
    TooNew {
        /// The file.
        location: String,
        /// Schema version in the file.
        found: i64,
        /// Newest schema version this build knows.
        known: i64,
    },

    /// The lock file beside the database could not be opened or locked.
    #[error("cannot use the lock file {} of the sagaview database: {source}", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },

    /// SQLite itself failed.
    #[error("{op} in {location} failed: {source}")]
    Sqlite {
        /// The file or `:memory:`.
        location: String,
        /// What was being done, e.g. `appending event`.
        op: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },

    /// A stored row does not decode (edited by hand, or damaged).
    #[error("{location} holds a malformed {what}: {detail}")]
    BadRow {
        /// The file or `:memory:`.
        location: String,
        /// Which kind of row, e.g. `item of trip t1`.
        what: String,
        /// What is wrong with it.
        detail: String,
    },

    /// `insert_execution` with an ARN that is already stored (AWS: ExecutionAlreadyExists).
    #[error("execution {arn} already exists in {location}")]
    ExecutionExists {
        /// The file or `:memory:`.
        location: String,
        /// The execution.
        arn: String,
    },

    /// The execution named is not stored.
    #[error("execution {arn} does not exist in {location}")]
    NoSuchExecution {
        /// The file or `:memory:`.
        location: String,
        /// The execution.
        arn: String,
    },

    /// An event id the execution already has: histories are append-only.
    #[error("event {id} of execution {arn} already exists in {location}")]
    DuplicateEvent {
        /// The file or `:memory:`.
        location: String,
        /// The execution.
        arn: String,
        /// The event id.
        id: i64,
    },

    /// Events or a final status for an execution that has already finished.
    #[error("execution {arn} in {location} has already finished ({status}); its history is closed")]
    NotRunning {
        /// The file or `:memory:`.
        location: String,
        /// The execution.
        arn: String,
        /// Its final status.
        status: ExecutionStatus,
    },

    /// A redrive of an execution that has not ended unsuccessfully.
    #[error(
        "execution {arn} in {location} is {status}: only a failed, timed-out or aborted execution can be redriven"
    )]
    NotRedrivable {
        /// The file or `:memory:`.
        location: String,
        /// The execution.
        arn: String,
        /// Its status.
        status: ExecutionStatus,
    },

    /// Finishing an execution with status `RUNNING`.
    #[error("execution {arn} cannot finish with status RUNNING; give a final status")]
    NotTerminal {
        /// The execution.
        arn: String,
    },

    /// A table row without the string key attributes `pk` and `sk`.
    #[error("the item has no string attribute {attr:?}; every row needs string pk and sk keys")]
    MissingKey {
        /// `pk` or `sk`.
        attr: &'static str,
    },

    /// Event text handed to the store that is not JSON.
    #[error("event {id} of execution {arn} is not JSON: {source}")]
    NotJson {
        /// The execution.
        arn: String,
        /// The event id.
        id: i64,
        /// serde_json's error.
        source: serde_json::Error,
    },

    /// An event id too large for the database's integer ids.
    #[error("history event id {id} is out of the database's range")]
    EventIdOutOfRange {
        /// The event id.
        id: u64,
    },

    /// A value could not be turned into JSON text for storage.
    #[error("cannot encode {what} as JSON: {source}")]
    Encode {
        /// What was being encoded.
        what: &'static str,
        /// serde_json's error.
        source: serde_json::Error,
    },
}

impl StoreError {
    /// The execution whose write was refused, when the error names one.
    pub fn execution(&self) -> Option<&str> {
        match self {
            StoreError::ExecutionExists { arn, .. }
            | StoreError::NoSuchExecution { arn, .. }
            | StoreError::DuplicateEvent { arn, .. }
            | StoreError::NotRunning { arn, .. }
            | StoreError::NotRedrivable { arn, .. }
            | StoreError::NotTerminal { arn }
            | StoreError::NotJson { arn, .. }
            | StoreError::EarlierWriteFailed { arn } => Some(arn),
            _ => None,
        }
    }

    /// Whether the error concerns one write only (a duplicate, a closed history, a bad
    /// value), so the other writes of its batch can still be made. Anything else (the
    /// file failing, another process holding the lock for too long) would fail them
    /// all alike.
    pub fn is_about_one_write(&self) -> bool {
        match self {
            StoreError::Sqlite { source, .. } => source
                .sqlite_error_code()
                .is_some_and(|c| c == rusqlite::ErrorCode::ConstraintViolation),
            StoreError::BadRow { .. }
            | StoreError::ExecutionExists { .. }
            | StoreError::NoSuchExecution { .. }
            | StoreError::DuplicateEvent { .. }
            | StoreError::NotRunning { .. }
            | StoreError::NotRedrivable { .. }
            | StoreError::NotTerminal { .. }
            | StoreError::MissingKey { .. }
            | StoreError::NotJson { .. }
            | StoreError::EventIdOutOfRange { .. }
            | StoreError::Encode { .. }
            | StoreError::EarlierWriteFailed { .. } => true,
            StoreError::NoDataDir
            | StoreError::CreateDir { .. }
            | StoreError::NotUsable { .. }
            | StoreError::Damaged { .. }
            | StoreError::Fault { .. }
            | StoreError::TooNew { .. }
            | StoreError::Lock { .. } => false,
        }
    }
}

impl From<StoreError> for saga_lambdas::TableError {
    fn from(e: StoreError) -> Self {
        saga_lambdas::TableError::Backend(e.to_string())
    }
}
