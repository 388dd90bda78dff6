//! Closing the histories of executions whose process exited mid-run.
//!
//! An execution is run by the sagaview process that started it; if that process dies,
//! the execution can never progress. On the next open (by a process that is the
//! database's only user) each such execution gets what Step Functions shows for a
//! stopped execution: status `ABORTED` and a final `ExecutionAborted` event.

use crate::store::StoreError;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::json;

/// The error recorded on an execution whose process exited before it finished.
pub const INTERRUPTED_ERROR: &str = "sagaview.Interrupted";

/// The cause recorded with [`INTERRUPTED_ERROR`].
pub const INTERRUPTED_CAUSE: &str = "The sagaview process running this execution exited \
     before the execution finished; it was marked aborted when the database was next opened.";

/// Marks every `RUNNING` execution `ABORTED` with a final `ExecutionAborted` event, one
/// transaction per execution, and returns their ARNs.
pub(super) fn recover_interrupted(
    conn: &mut Connection,
    location: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let sql_err = |op| {
        move |source| StoreError::Sqlite {
            location: location.to_string(),
            op,
            source,
        }
    };
    let running: Vec<String> = {
        let mut st = conn
            .prepare("SELECT execution_arn FROM executions WHERE status = 'RUNNING'")
            .map_err(sql_err("finding interrupted executions"))?;
        st.query_map([], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(sql_err("finding interrupted executions"))?
    };
    // Stored dates have millisecond precision; the event's timestamp must match them.
    let now = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
    let timestamp = now.to_rfc3339_opts(SecondsFormat::Millis, true);

    let mut recovered = Vec::with_capacity(running.len());
    for arn in running {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_err("starting to recover an execution"))?;
        // Another process may have recovered it between the scan and now.
        let still_running = tx
            .query_row(
                "SELECT 1 FROM executions WHERE execution_arn = ?1 AND status = 'RUNNING'",
                [&arn],
                |_| Ok(()),
            )
            .optional()
            .map_err(sql_err("recovering an execution"))?
            .is_some();
        if !still_running {
            continue;
        }
        let last_id: i64 = tx
            .query_row(
                "SELECT coalesce(max(id), 0) FROM events WHERE execution_arn = ?1",
                [&arn],
                |r| r.get(0),
            )
            .map_err(sql_err("recovering an execution"))?;
        let id = last_id + 1;
        let event = json!({
            "timestamp": timestamp,
            "type": "ExecutionAborted",
            "id": id,
            "previousEventId": last_id,
            "executionAbortedEventDetails": {
                "error": INTERRUPTED_ERROR,
                "cause": INTERRUPTED_CAUSE,
            },
        });
        tx.execute(
            "INSERT INTO events (execution_arn, id, event) VALUES (?1, ?2, ?3)",
            params![arn, id, event.to_string()],
        )
        .map_err(sql_err("appending the ExecutionAborted event"))?;
        tx.execute(
            "UPDATE executions
             SET status = 'ABORTED', error = ?2, cause = ?3, stop_ms = ?4
             WHERE execution_arn = ?1",
            params![
                arn,
                INTERRUPTED_ERROR,
                INTERRUPTED_CAUSE,
                now.timestamp_millis()
            ],
        )
        .map_err(sql_err("marking an interrupted execution aborted"))?;
        tx.commit()
            .map_err(sql_err("committing an execution's recovery"))?;
        recovered.push(arn);
    }
    Ok(recovered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ExecutionRecord, ExecutionStatus};

    #[test]
    fn an_execution_without_events_gets_event_one() {
        let (_dir, store) = crate::store::temp_file_store();
        let location = store.location().to_string();
        store
            .insert_execution(&ExecutionRecord {
                execution_arn: "a".into(),
                labels: json!({}),
                ..Default::default()
            })
            .unwrap();
        let now = DateTime::from_timestamp_millis(1_700_000_000_123).unwrap();
        let recovered = recover_interrupted(&mut store.conn().unwrap(), &location, now).unwrap();
        assert_eq!(recovered, vec!["a".to_string()]);

        let events = store.events_since("a", 0).unwrap();
        assert_eq!(events.len(), 1);
        let ev: serde_json::Value = serde_json::from_str(&events[0].1).unwrap();
        assert_eq!(ev["id"], 1);
        assert_eq!(ev["previousEventId"], 0);
        assert_eq!(ev["timestamp"], "2023-11-14T22:13:20.123Z");
        let rec = store.get_execution("a").unwrap().unwrap();
        assert_eq!(rec.status, ExecutionStatus::Aborted);
        assert_eq!(rec.stop_date, Some(now));

        // Nothing is left to recover the second time.
        assert!(
            recover_interrupted(&mut store.conn().unwrap(), &location, now)
                .unwrap()
                .is_empty()
        );
    }
}
