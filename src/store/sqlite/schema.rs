//! The database schema and its versioned migrations.
//!
//! The version lives in SQLite's `user_version`, and `application_id` marks the file as
//! sagaview's, so another program's database is refused rather than altered. Each
//! migration runs in its own transaction together with the version bump, so an
//! interrupted upgrade leaves the previous version intact.

use crate::store::StoreError;
use crate::store::error::sql_error;
use rusqlite::{Connection, TransactionBehavior};

/// `application_id` of every sagaview database ("SAGA" in ASCII).
pub(super) const APPLICATION_ID: i64 = 0x5341_4741;

/// Migrations in order; migration `i` brings the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    // Version 1.
    "
    CREATE TABLE items (
        pk   TEXT NOT NULL,
        sk   TEXT NOT NULL,
        item TEXT NOT NULL CHECK (json_valid(item)),
        PRIMARY KEY (pk, sk)
    ) WITHOUT ROWID;

    CREATE TABLE executions (
        execution_arn      TEXT PRIMARY KEY NOT NULL,
        name               TEXT NOT NULL,
        state_machine_arn  TEXT NOT NULL,
        state_machine_name TEXT NOT NULL,
        status             TEXT NOT NULL CHECK (status IN
                               ('RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED')),
        input              TEXT NOT NULL,
        output             TEXT,
        error              TEXT,
        cause              TEXT,
        start_ms           INTEGER NOT NULL,
        stop_ms            INTEGER,
        labels             TEXT NOT NULL CHECK (json_valid(labels))
    );
    CREATE INDEX executions_newest_first ON executions (start_ms DESC);
    CREATE INDEX executions_running ON executions (status) WHERE status = 'RUNNING';

    CREATE TABLE events (
        execution_arn TEXT NOT NULL
                      REFERENCES executions (execution_arn) ON DELETE CASCADE,
        id            INTEGER NOT NULL,
        event         TEXT NOT NULL CHECK (json_valid(event)),
        PRIMARY KEY (execution_arn, id)
    ) WITHOUT ROWID;
    ",
    // Version 2: events keep their big payload unescaped beside the event JSON (see
    // `events.rs`), in a rowid table, since SQLite stores rows of many kilobytes
    // poorly in a WITHOUT ROWID b-tree. Neither events nor items are checked with
    // json_valid by SQLite any more: the store writes only JSON it serialised itself
    // (or, for events handed in as text, has parsed), and the check cost a parse of
    // every row written.
    "
    CREATE TABLE items_v2 (
        pk   TEXT NOT NULL,
        sk   TEXT NOT NULL,
        item TEXT NOT NULL,
        PRIMARY KEY (pk, sk)
    ) WITHOUT ROWID;
    INSERT INTO items_v2 (pk, sk, item) SELECT pk, sk, item FROM items;
    DROP TABLE items;
    ALTER TABLE items_v2 RENAME TO items;

    CREATE TABLE events_v2 (
        execution_arn TEXT NOT NULL
                      REFERENCES executions (execution_arn) ON DELETE CASCADE,
        id            INTEGER NOT NULL,
        event         TEXT NOT NULL,
        -- The payload's text, or (long ones) its LZ4 compression as a BLOB.
        payload,
        payload_at    INTEGER,
        UNIQUE (execution_arn, id)
    );
    INSERT INTO events_v2 (execution_arn, id, event)
        SELECT execution_arn, id, event FROM events ORDER BY execution_arn, id;
    DROP TABLE events;
    ALTER TABLE events_v2 RENAME TO events;
    ",
    // Version 3: the table's rows become versions: every row write is a version,
    // tagged with the execution that made it and the last event of that execution
    // recorded before it, and a row is its latest version (a NULL `item` is a
    // deletion), so a write is still one insert. Each execution notes the last version
    // written before it started (see `store::versions`), so a trip's rows can be read
    // as they stood after any event. `seq` never reuses a pruned version's number,
    // since executions compare against it. The rows so far become versions written
    // by no execution; executions recorded before this version have no
    // `rows_before`: their past rows are unknown.
    "
    CREATE TABLE item_versions (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
        pk            TEXT NOT NULL,
        sk            TEXT NOT NULL,
        execution_arn TEXT,
        tag           INTEGER NOT NULL,
        item          TEXT
    );
    -- One index only, every row write paying for each: it finds a row's latest
    -- version, a trip's rows, and (under its trip) an execution's versions.
    CREATE INDEX item_versions_by_row ON item_versions (pk, sk, seq);
    INSERT INTO item_versions (pk, sk, tag, item)
        SELECT pk, sk, 0, item FROM items ORDER BY pk, sk;
    DROP TABLE items;
    ALTER TABLE executions ADD COLUMN rows_before INTEGER;
    ",
    // Version 4: an execution can be redriven (RedriveExecution): how many times, and
    // when last, as DescribeExecution reports them.
    "
    ALTER TABLE executions ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE executions ADD COLUMN redrive_ms INTEGER;
    ",
];

/// The schema version this build writes.
pub(super) const LATEST: i64 = MIGRATIONS.len() as i64;

/// Brings the schema up to [`LATEST`].
///
/// The version is re-read inside each write transaction, so two processes opening a
/// fresh file at once migrate it exactly once.
pub(super) fn migrate(conn: &mut Connection, location: &str) -> Result<(), StoreError> {
    let sql_err = |op| sql_error(location, op);
    loop {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err("starting the schema migration"))?;
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(sql_err("reading the schema version"))?;
        if version > LATEST {
            return Err(StoreError::TooNew {
                location: location.to_string(),
                found: version,
                known: LATEST,
            });
        }
        let Some(step) = usize::try_from(version)
            .ok()
            .and_then(|v| MIGRATIONS.get(v))
        else {
            // Up to date (or a negative version, which only a foreign file has and
            // which the open checks have already refused).
            return Ok(());
        };
        tx.execute_batch(step)
            .map_err(sql_err("creating the schema"))?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(sql_err("marking the file as a sagaview database"))?;
        tx.pragma_update(None, "user_version", version + 1)
            .map_err(sql_err("recording the schema version"))?;
        tx.commit()
            .map_err(sql_err("committing the schema migration"))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn migrates_a_fresh_database_once_and_marks_it() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, ":memory:").unwrap();
        assert_eq!(version(&conn), LATEST);
        let app: i64 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap();
        assert_eq!(app, APPLICATION_ID);
        // A second run is a no-op, not a "table already exists" failure.
        migrate(&mut conn, ":memory:").unwrap();
        assert_eq!(version(&conn), LATEST);
    }

    #[test]
    fn version_1_histories_survive_the_upgrade() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO executions VALUES ('a', 'a', 'm', 'm', 'RUNNING', '{}', NULL, NULL,
                 NULL, 0, NULL, '{}');
             INSERT INTO events VALUES ('a', 1, '{\"id\":1}'), ('a', 2, '{\"id\":2}');
             INSERT INTO items VALUES ('t', 's', '{\"pk\":{\"S\":\"t\"}}');",
        )
        .unwrap();
        migrate(&mut conn, ":memory:").unwrap();
        assert_eq!(version(&conn), LATEST);
        let rows: Vec<(i64, String, Option<String>)> = conn
            .prepare("SELECT id, event, payload FROM events ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            [
                (1, r#"{"id":1}"#.to_string(), None),
                (2, r#"{"id":2}"#.to_string(), None)
            ]
        );
        let item: String = conn
            .query_row(
                "SELECT item FROM item_versions WHERE pk = 't' AND sk = 's'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(item, r#"{"pk":{"S":"t"}}"#);
    }

    #[test]
    fn version_2_executions_and_rows_survive_with_no_past_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            for step in &MIGRATIONS[..2] {
                conn.execute_batch(step).unwrap();
            }
            conn.pragma_update(None, "user_version", 2).unwrap();
            conn.pragma_update(None, "application_id", APPLICATION_ID)
                .unwrap();
            conn.execute_batch(
                "INSERT INTO executions VALUES ('old', 'old', 'm', 'm', 'SUCCEEDED', '{}',
                     '{}', NULL, NULL, 0, 1, '{\"trip_id\":\"t\"}');
                 INSERT INTO events (execution_arn, id, event) VALUES ('old', 1, '{\"id\":1}');
                 INSERT INTO items VALUES ('t', 's', '{\"pk\":{\"S\":\"t\"},\"sk\":{\"S\":\"s\"}}');",
            )
            .unwrap();
            migrate(&mut conn, "v2.db").unwrap();
            assert_eq!(version(&conn), LATEST);
        }
        let store = crate::store::Store::open(&path).unwrap();
        assert_eq!(store.query_trip_sync("t").unwrap().len(), 1);
        assert_eq!(store.events_since("old", 0).unwrap().len(), 1);
        // Never redriven, as every execution recorded before version 4.
        let old = store.get_execution("old").unwrap().unwrap();
        assert_eq!((old.redrive_count, old.redrive_date), (0, None));
        // Recorded before versions were kept: its past rows are unknown.
        assert_eq!(store.rows_after_event("t", "old", 1).unwrap(), None);
        // A new execution on the migrated file has them, the old row as its base.
        store
            .insert_execution(&crate::store::ExecutionRecord {
                execution_arn: "new".into(),
                ..Default::default()
            })
            .unwrap();
        store.append_event("new", 1, r#"{"id":1}"#).unwrap();
        let old = store.query_trip_sync("t").unwrap();
        assert_eq!(
            store.rows_after_event("t", "new", 1).unwrap(),
            Some(old.clone())
        );
        let row = saga_lambdas::item::string_item(
            [("pk", "t"), ("sk", "n")].map(|(k, v)| (k, v.to_string())),
        );
        store.put_by_sync(row.clone(), Some("new")).unwrap();
        store.append_event("new", 2, r#"{"id":2}"#).unwrap();
        let mut both = vec![row];
        both.extend(old);
        assert_eq!(store.rows_after_event("t", "new", 2).unwrap(), Some(both));
    }

    #[test]
    fn refuses_a_newer_schema() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", LATEST + 1)
            .unwrap();
        let err = migrate(&mut conn, "x.db").unwrap_err();
        assert!(matches!(err, StoreError::TooNew { found, .. } if found == LATEST + 1));
        assert!(err.to_string().contains("x.db"), "{err}");
    }
}
