//! `prune` and `reclaim_space` on a file: see [`crate::store::PruneRule`].

use super::SqliteStore;
use crate::store::{PruneRule, Pruned, Reclaimed, StoreError};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use std::collections::HashSet;

/// The trip an execution books, from the labels the recorder stores.
const TRIP_OF: &str = "json_extract(labels, '$.trip_id')";

impl SqliteStore {
    /// `Store::prune`.
    pub(in crate::store) fn prune(&self, rule: &PruneRule) -> Result<Pruned, StoreError> {
        let mut conn = self.writer();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.sql_err("starting to prune"))?;
        let doomed: Vec<(String, Option<String>)> = {
            let mut st = tx
                .prepare(DOOMED)
                .map_err(self.sql_err("choosing the executions to prune"))?;
            let keep = rule
                .keep_newest
                .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
            let before = rule.ended_before.map(|d| d.timestamp_millis());
            st.query_map(params![keep, before], |r| Ok((r.get(0)?, r.get(1)?)))
                .and_then(|rows| rows.collect())
                .map_err(self.sql_err("choosing the executions to prune"))?
        };
        let mut pruned = Pruned::default();
        {
            let mut events = tx
                .prepare("DELETE FROM events WHERE execution_arn = ?1")
                .map_err(self.sql_err("removing a pruned execution's events"))?;
            let mut execution = tx
                .prepare("DELETE FROM executions WHERE execution_arn = ?1")
                .map_err(self.sql_err("removing a pruned execution"))?;
            // Its tasks write its trip's rows, found by the trip's index; without a
            // trip, every version is looked at. A version that is still a row (the
            // latest of its key) stays: another execution may book the trip.
            let mut of_trip = tx
                .prepare(&format!(
                    "DELETE FROM item_versions {SUPERSEDED} AND pk = ?2"
                ))
                .map_err(self.sql_err("removing a pruned execution's row versions"))?;
            let mut anywhere = tx
                .prepare(&format!("DELETE FROM item_versions {SUPERSEDED}"))
                .map_err(self.sql_err("removing a pruned execution's row versions"))?;
            for (arn, trip) in &doomed {
                match trip {
                    Some(trip) => of_trip.execute(params![arn, trip]),
                    None => anywhere.execute([arn]),
                }
                .map_err(self.sql_err("removing a pruned execution's row versions"))?;
                pruned.events += count(
                    events
                        .execute([arn])
                        .map_err(self.sql_err("removing a pruned execution's events"))?,
                );
                pruned.executions += count(
                    execution
                        .execute([arn])
                        .map_err(self.sql_err("removing a pruned execution"))?,
                );
            }
        }
        let booked: HashSet<String> = tx
            .prepare(&format!(
                "SELECT DISTINCT {TRIP_OF} FROM executions WHERE {TRIP_OF} IS NOT NULL"
            ))
            .and_then(|mut st| {
                st.query_map([], |r| r.get::<_, String>(0))
                    .and_then(|rows| rows.collect())
            })
            .map_err(self.sql_err("listing the trips still booked"))?;
        let gone: HashSet<&str> = doomed
            .iter()
            .filter_map(|(_, trip)| trip.as_deref())
            .filter(|trip| !booked.contains(*trip))
            .collect();
        {
            let mut rows = tx
                .prepare(
                    "SELECT count(*) FROM item_versions v WHERE pk = ?1 AND item IS NOT NULL
                       AND seq = (SELECT max(seq) FROM item_versions
                                  WHERE pk = v.pk AND sk = v.sk)",
                )
                .map_err(self.sql_err("counting a pruned trip's rows"))?;
            // The rows and whatever is left of their past.
            let mut versions = tx
                .prepare("DELETE FROM item_versions WHERE pk = ?1")
                .map_err(self.sql_err("removing a pruned trip's rows"))?;
            for trip in gone {
                let n: i64 = rows
                    .query_row([trip], |r| r.get(0))
                    .map_err(self.sql_err("counting a pruned trip's rows"))?;
                versions
                    .execute([trip])
                    .map_err(self.sql_err("removing a pruned trip's rows"))?;
                if n > 0 {
                    pruned.trips += 1;
                    pruned.rows += u64::try_from(n).unwrap_or(0);
                }
            }
        }
        tx.commit().map_err(self.sql_err("committing the prune"))?;
        Ok(pruned)
    }

    /// `Store::reclaim_space`.
    pub(in crate::store) fn reclaim_space(&self) -> Result<Reclaimed, StoreError> {
        let conn = self.writer();
        conn.execute_batch("VACUUM")
            .map_err(self.sql_err("reclaiming free space (VACUUM)"))?;
        // In WAL mode the rewritten file is in the WAL until a checkpoint copies it
        // back, which is also when the database file is cut to its new size.
        let busy: Option<i64> = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .optional()
            .map_err(self.sql_err("emptying the WAL after reclaiming space"))?;
        Ok(match busy {
            Some(0) | None => Reclaimed::Done,
            Some(_) => Reclaimed::WalInUse,
        })
    }
}

/// The executions a rule lets go, with their trips: `?1` is how many of the newest to
/// keep (negative: no such rule), `?2` the end date in unix ms before which they go
/// (NULL: no such rule).
const DOOMED: &str = "
    SELECT execution_arn, json_extract(labels, '$.trip_id') FROM executions
    WHERE status <> 'RUNNING'
      AND (?1 < 0 OR execution_arn NOT IN (
              SELECT execution_arn FROM executions
              ORDER BY start_ms DESC, rowid DESC LIMIT ?1))
      AND (?2 IS NULL OR coalesce(stop_ms, start_ms) < ?2)";

/// An execution's versions (`?1`) that are no longer a row: a later version of the
/// same key exists.
const SUPERSEDED: &str = "WHERE execution_arn = ?1 AND seq < (
        SELECT max(seq) FROM item_versions w WHERE w.pk = item_versions.pk
                                              AND w.sk = item_versions.sk)";

/// A count of rows SQLite changed.
fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use crate::store::{ExecutionOutcome, ExecutionRecord, PruneRule, Pruned, Reclaimed, Store};

    fn ended(store: &Store, arn: &str, trip: &str) {
        store
            .insert_execution(&ExecutionRecord {
                execution_arn: arn.to_string(),
                labels: serde_json::json!({"trip_id": trip}),
                ..Default::default()
            })
            .unwrap();
        store.append_event(arn, 1, r#"{"id":1}"#).unwrap();
        store
            .finish_execution(arn, &ExecutionOutcome::succeeded("{}", chrono::Utc::now()))
            .unwrap();
        let row =
            saga_lambdas::item::string_item([("pk", trip.to_string()), ("sk", format!("S#{arn}"))]);
        store.put_sync(&row).unwrap();
    }

    #[test]
    fn a_memory_store_has_nothing_to_prune() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.prune(&PruneRule::default()).unwrap(), None);
        assert_eq!(store.reclaim_space().unwrap(), None);
    }

    #[test]
    fn without_a_rule_every_ended_execution_goes_and_none_that_runs() {
        let (_dir, store) = crate::store::temp_file_store();
        ended(&store, "a", "t1");
        ended(&store, "b", "t1");
        ended(&store, "c", "t2");
        store
            .insert_execution(&ExecutionRecord {
                execution_arn: "running".into(),
                labels: serde_json::json!({"trip_id": "t3"}),
                ..Default::default()
            })
            .unwrap();
        let pruned = store.prune(&PruneRule::default()).unwrap();
        assert_eq!(
            pruned,
            Some(Pruned {
                executions: 3,
                events: 3,
                trips: 2,
                rows: 3
            })
        );
        let left = store.list_executions(10).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].execution_arn, "running");
        assert_eq!(store.reclaim_space().unwrap(), Some(Reclaimed::Done));
        assert_eq!(
            store.prune(&PruneRule::default()).unwrap(),
            Some(Pruned::default())
        );
    }
}
