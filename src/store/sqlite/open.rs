//! Opening a database: locating it, refusing files that are not sagaview's, tuning
//! SQLite for durability, migrating the schema and recovering interrupted executions.

use super::checkpoint::JOURNAL_SIZE_LIMIT;
use super::schema::{self, APPLICATION_ID};
use super::{SqliteStore, fault, recovery};
use crate::store::StoreError;
use crate::store::error::sql_error;
use rusqlite::{Connection, ErrorCode};
use std::ffi::OsString;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// How long a write waits for another process's write transaction to finish.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Enough cached statements for every query this module prepares.
const STATEMENT_CACHE: usize = 32;

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`: see
    /// [`crate::store::Store::open`].
    ///
    /// Files use WAL journaling with `synchronous = NORMAL`: in WAL mode every commit
    /// survives the process crashing, and an OS crash or power cut can at worst lose the
    /// last few commits but never corrupt the file. `FULL` would add an fsync to every
    /// history event for protection this local tool does not need.
    pub(in crate::store) fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let location = path.display().to_string();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                dir: dir.to_path_buf(),
                source,
            })?;
        }
        let mut conn =
            Connection::open(path).map_err(sql_error(&location, "opening the database"))?;
        prepare(&mut conn, &location).map_err(|e| fault::at_open(&conn, &location, e))?;

        let lock = OwnerLock::acquire(path)?;
        let recovered = if lock.sole_user {
            recovery::recover_interrupted(&mut conn, &location, chrono::Utc::now())?
        } else {
            Vec::new()
        };
        let lock = lock.into_shared()?;
        let reader = open_reader(path, &location)?;

        Ok(SqliteStore {
            writer: Mutex::new(conn),
            reader: Mutex::new(reader),
            location,
            path: path.to_path_buf(),
            recovered,
            fault: Default::default(),
            _owner_lock: lock,
        })
    }
}
/// Checks the file is usable, sets the connection up and migrates the schema.
fn prepare(conn: &mut Connection, location: &str) -> Result<(), StoreError> {
    let sql_err = |op| sql_error(location, op);
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(sql_err("setting the busy timeout"))?;
    check_ownership(conn, location)?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(sql_err("switching to WAL journaling"))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::NotUsable {
            location: location.to_string(),
            reason: format!("SQLite cannot use WAL journaling here (it stays in {mode} mode)"),
        });
    }
    check_pages(conn, location)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(sql_err("setting synchronous = NORMAL"))?;
    conn.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT)
        .map_err(sql_err("limiting the WAL's size"))?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(sql_err("enabling foreign keys"))?;
    stable_plans(conn, location)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    schema::migrate(conn, location)
}

/// Refuses a file with damaged pages, naming it and what to do. SQLite's quick check
/// reads every page but skips the costly index cross-checks: a damaged page found now
/// is a clear message, found later it fails whichever read or write meets it.
fn check_pages(conn: &Connection, location: &str) -> Result<(), StoreError> {
    let damaged = |detail: String| StoreError::Damaged {
        location: location.to_string(),
        detail,
    };
    let first: rusqlite::Result<String> = conn.query_row("PRAGMA quick_check(1)", [], |r| r.get(0));
    match first {
        Ok(report) if report == "ok" => Ok(()),
        // One line: the report starts with a heading line naming the schema.
        Ok(report) => Err(damaged(
            report
                .lines()
                .filter(|l| !l.starts_with("***"))
                .collect::<Vec<_>>()
                .join("; "),
        )),
        Err(e) => match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
                Err(damaged(e.to_string()))
            }
            _ => Err(StoreError::Sqlite {
                location: location.to_string(),
                op: "checking the database's pages",
                source: e,
            }),
        },
    }
}

/// The store's second connection, for reads: it refuses to write, so nothing can
/// bypass the writer's transactions.
fn open_reader(path: &Path, location: &str) -> Result<Connection, StoreError> {
    let sql_err = |op| sql_error(location, op);
    let conn = Connection::open(path).map_err(sql_err("opening the read connection"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(sql_err("setting the read connection's busy timeout"))?;
    conn.pragma_update(None, "query_only", true)
        .map_err(sql_err("making the read connection read-only"))?;
    stable_plans(&conn, location)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// Keeps each cached statement's plan whatever values are bound to it: otherwise
/// SQLite may plan a statement again for each new value of a parameter it compares
/// (a row write's ARN), which costs more than the write. The store's queries are
/// simple lookups by key, whose plan no value changes.
fn stable_plans(conn: &Connection, location: &str) -> Result<(), StoreError> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(sql_error(location, "keeping query plans stable"))?;
    Ok(())
}

/// Reads the file's header and refuses anything that is neither empty nor sagaview's.
fn check_ownership(conn: &Connection, location: &str) -> Result<(), StoreError> {
    let not_usable = |reason: String| StoreError::NotUsable {
        location: location.to_string(),
        reason,
    };
    let header = (|| -> rusqlite::Result<(i64, i64, i64)> {
        let app: i64 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let objects: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
        Ok((app, version, objects))
    })();
    let (app, version, objects) = match header {
        Ok(h) => h,
        Err(e) => {
            return Err(match e.sqlite_error_code() {
                Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
                    not_usable(format!("SQLite says: {e}"))
                }
                _ => StoreError::Sqlite {
                    location: location.to_string(),
                    op: "reading the database header",
                    source: e,
                },
            });
        }
    };
    match app {
        APPLICATION_ID => Ok(()),
        0 if objects == 0 && version == 0 => Ok(()),
        0 => Err(not_usable(
            "it is an SQLite database of another program: it has tables but no sagaview marker"
                .to_string(),
        )),
        other => Err(not_usable(format!(
            "it is an SQLite database of another program (application_id {other:#x})"
        ))),
    }
}

/// An OS file lock on `<db>.lock` telling processes that share a database whether
/// anyone else has it open.
///
/// Every open store holds it shared. Opening takes it exclusively first: success means
/// no live process has the database open, so any execution still `RUNNING` was left by
/// a process that exited and may be recovered. The OS drops the lock of a process
/// that dies, however it dies.
struct OwnerLock {
    path: PathBuf,
    /// `None` where the file system cannot lock (some network file systems).
    file: Option<File>,
    /// Whether this process holds the lock exclusively: it is the database's only user.
    sole_user: bool,
}

impl OwnerLock {
    /// Opens the lock file and tries the exclusive lock. Where locking is unsupported a
    /// single user is assumed.
    fn acquire(db: &Path) -> Result<OwnerLock, StoreError> {
        let mut name = OsString::from(db.as_os_str());
        name.push(".lock");
        let path = PathBuf::from(name);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| StoreError::Lock {
                path: path.clone(),
                source,
            })?;
        let (file, sole_user) = match file.try_lock() {
            Ok(()) => (Some(file), true),
            Err(TryLockError::WouldBlock) => (Some(file), false),
            Err(TryLockError::Error(_)) => (None, true),
        };
        Ok(OwnerLock {
            path,
            file,
            sole_user,
        })
    }

    /// Turns the lock into the shared one an open store holds for its lifetime.
    fn into_shared(self) -> Result<Option<File>, StoreError> {
        let Some(file) = self.file else {
            return Ok(None);
        };
        let err = |source| StoreError::Lock {
            path: self.path.clone(),
            source,
        };
        if self.sole_user {
            file.unlock().map_err(err)?;
        }
        // Waits only while another process is recovering during its own open.
        file.lock_shared().map_err(err)?;
        Ok(Some(file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    const MEMORY: &str = ":memory:";

    #[test]
    fn default_path_ends_in_sagaview_db() {
        // Only meaningful where the system knows a data directory.
        if let Ok(p) = Store::default_path() {
            assert!(p.ends_with("sagaview/sagaview.db"), "{}", p.display());
        }
    }

    #[test]
    fn file_stores_use_wal_and_normal_sync() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("a/b/s.db")).unwrap();
        let conn = store.conn().unwrap();
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 1, "NORMAL is 1");
        let fk: i64 = conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
    }

    #[test]
    fn refuses_another_programs_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("CREATE TABLE t (x)").unwrap();
        }
        let err = Store::open(&path).unwrap_err();
        assert!(matches!(err, StoreError::NotUsable { .. }), "{err}");
        assert!(err.to_string().contains("another program"), "{err}");

        let path = dir.path().join("marked.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "application_id", 7).unwrap();
        }
        let err = Store::open(&path).unwrap_err().to_string();
        assert!(err.contains("application_id 0x7"), "{err}");
    }

    #[test]
    fn in_memory_stores_are_private() {
        let a = Store::open(MEMORY).unwrap();
        let b = Store::open_in_memory().unwrap();
        let item = saga_lambdas::item::string_item([("pk", "t".into()), ("sk", "s".into())]);
        a.put_sync(&item).unwrap();
        assert_eq!(a.query_trip_sync("t").unwrap(), vec![item]);
        assert!(b.query_trip_sync("t").unwrap().is_empty());
        assert_eq!(a.location(), MEMORY);
    }

    #[test]
    fn opens_an_existing_empty_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.db");
        std::fs::write(&path, b"").unwrap();
        let store = Store::open(&path).unwrap();
        assert_eq!(store.event_count("nope").unwrap(), 0);
    }
}
