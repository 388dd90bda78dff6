//! Telling a failing file apart from a refused write, and keeping the first failure.
//!
//! A full disk, a file-size limit, an OS I/O error or a damaged page fails every write
//! that follows alike; retrying only commits later writes after earlier ones were lost.
//! Such an error becomes a [`StoreError::Fault`] naming the file and the OS error, and
//! the first one is kept for as long as the store is open: the recorder stops writing,
//! `run` exits and the UI says so.

use super::SqliteStore;
use crate::store::StoreError;
use rusqlite::{Connection, ErrorCode};

/// The first fault of one open store.
#[derive(Default)]
pub(super) struct FirstFault(std::sync::OnceLock<String>);

impl FirstFault {
    /// The fault's line, if the store has failed.
    pub(super) fn get(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }
}

/// Whether SQLite's error is about the file itself rather than one statement.
fn is_file_fault(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(
            ErrorCode::SystemIoFailure
                | ErrorCode::DiskFull
                | ErrorCode::DatabaseCorrupt
                | ErrorCode::NotADatabase
                | ErrorCode::CannotOpen
                | ErrorCode::ReadOnly
                | ErrorCode::FileLockingProtocolFailed
        )
    )
}

/// The OS error behind the connection's last failure, if SQLite kept one.
fn os_error(conn: &Connection) -> Option<std::io::Error> {
    // SAFETY: the handle belongs to `conn`, which stays borrowed (and open) for the
    // call; sqlite3_system_errno only reads a field of it.
    let errno = unsafe { rusqlite::ffi::sqlite3_system_errno(conn.handle()) };
    (errno != 0).then(|| std::io::Error::from_raw_os_error(errno))
}

/// The words after "the store failed: <file>: ".
fn detail(conn: &Connection, op: &str, source: &rusqlite::Error) -> String {
    let damaged = matches!(
        source.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
    );
    if damaged {
        return format!(
            "the file is damaged (SQLite: {source}, {op}); move it aside and sagaview \
             starts a new one"
        );
    }
    match os_error(conn) {
        Some(os) => format!("{os} (SQLite: {source}, {op})"),
        // SQLite keeps no OS error for a full disk: it is the one it expects.
        None if source.sqlite_error_code() == Some(ErrorCode::DiskFull) => {
            format!("the disk is full (SQLite: {source}, {op})")
        }
        None => format!("SQLite: {source}, {op}"),
    }
}

/// An error met while opening, with the OS error when the file itself failed (a
/// file-size limit on the shared-memory file, say): there is no store yet to keep it.
pub(super) fn at_open(conn: &Connection, location: &str, e: StoreError) -> StoreError {
    match &e {
        StoreError::Sqlite { op, source, .. } if is_file_fault(source) => StoreError::Fault {
            location: location.to_string(),
            detail: detail(conn, op, source),
        },
        _ => e,
    }
}

impl SqliteStore {
    /// `e` as a store fault if the file failed (kept if it is the first), else `e`
    /// unchanged. `conn` is the connection that failed, asked for the OS error.
    pub(super) fn fault_of(&self, conn: &Connection, e: StoreError) -> StoreError {
        match &e {
            StoreError::Sqlite { op, source, .. } if is_file_fault(source) => {
                self.fault_with(detail(conn, op, source))
            }
            _ => e,
        }
    }

    /// A fault that is not an SQLite error about the file (another process holding the
    /// lock past the busy timeout): the whole batch failed, and so will the next.
    pub(super) fn fault_from(&self, conn: &Connection, e: &StoreError) -> StoreError {
        match e {
            StoreError::Fault { detail, .. } => self.fault_with(detail.clone()),
            StoreError::Sqlite { op, source, .. } => self.fault_with(detail(conn, op, source)),
            other => self.fault_with(other.to_string()),
        }
    }

    fn fault_with(&self, detail: String) -> StoreError {
        let fault = StoreError::Fault {
            location: self.location.clone(),
            detail,
        };
        let line = fault.to_string();
        if self.fault.0.set(line.clone()).is_ok() {
            tracing::error!(fault = %line, "the store failed; nothing more is recorded");
        }
        fault
    }

    /// A read's result, with a failing file turned into a store fault.
    pub(super) fn watch_read<T>(&self, r: Result<T, StoreError>) -> Result<T, StoreError> {
        r.map_err(|e| self.fault_of(&self.reader(), e))
    }

    /// A single write's result, with a failing file turned into a store fault.
    pub(super) fn watch_write<T>(&self, r: Result<T, StoreError>) -> Result<T, StoreError> {
        r.map_err(|e| self.fault_of(&self.writer(), e))
    }
}
