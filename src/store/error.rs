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

impl From<StoreError> for saga_lambdas::TableError {
    fn from(e: StoreError) -> Self {
        saga_lambdas::TableError::Backend(e.to_string())
    }
}
