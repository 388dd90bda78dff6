//! Every version of every row, so a trip's rows can be read as they stood at any
//! point of an execution's history (the UI's time travel).
//!
//! Each row write (a put, a conditional update that was made, a delete) keeps a
//! version beside the current row: the row as written, or its deletion; its place in
//! the store's one order of row writes; the execution that wrote it, if any; and its
//! **tag**, the id of the last event of that execution recorded before the write (0
//! when no execution wrote it). The recorder commits events and rows in one queue, in
//! the order they happened, and the store reads the tag from the history it holds when
//! it applies the write, so the tag is exact: a row a task writes is tagged with the
//! task's `TaskStarted`. Each execution also notes, when it is recorded, the place of
//! the last version written before it started.
//!
//! **The rows of trip T right after event N of execution E** are, for each sort key,
//! the latest of these versions:
//! * the versions written before E started, by anyone;
//! * E's own versions tagged below N, i.e. written before event N was recorded;
//!
//! and no row where that version is a deletion. So a row written during a task shows
//! from the event that ends the task on (not at its `TaskStarted`), and at the last
//! event the rows are those E left. Rows other executions write to the same trip while
//! E runs are left out: each launch books a trip of its own, and E's history cannot
//! place another execution's writes among its events.

use super::{Store, StoreError};
use saga_lambdas::Item;
use std::collections::BTreeMap;

/// Who made a row write: the ARN of the execution whose task made it, or `None` for a
/// write from outside any execution (a tool, a test).
pub type RowWriter<'a> = Option<&'a str>;

/// One version of one row, as a store hands it to [`latest_rows`].
pub(super) struct Version<'a> {
    /// The row's sort key.
    pub(super) sk: &'a str,
    /// The row written, or `None` for a deletion.
    pub(super) item: Option<Item>,
}

/// The rows left by versions given in write order: each sort key's latest version,
/// deletions dropped, ordered by sort key (byte order, as DynamoDB sorts).
pub(super) fn latest_rows<'a>(versions: impl IntoIterator<Item = Version<'a>>) -> Vec<Item> {
    let mut by_sk: BTreeMap<&str, Option<Item>> = BTreeMap::new();
    for v in versions {
        by_sk.insert(v.sk, v.item);
    }
    by_sk.into_values().flatten().collect()
}

impl Store {
    /// [`Store::put_sync`] by a writer, whose version is tagged (see the module); the
    /// row is handed over, since a store may keep it as it is.
    pub fn put_by_sync(&self, item: Item, by: RowWriter<'_>) -> Result<(), StoreError> {
        super::item_keys(&item)?;
        self.backend().put(item, by)
    }

    /// [`Store::delete_sync`] by a writer.
    pub fn delete_by_sync(&self, pk: &str, sk: &str, by: RowWriter<'_>) -> Result<(), StoreError> {
        self.backend().delete(pk, sk, by)
    }

    /// [`Store::update_if_sync`] by a writer.
    pub fn update_if_by_sync(
        &self,
        pk: &str,
        sk: &str,
        update: &super::SetIf,
        by: RowWriter<'_>,
    ) -> Result<bool, StoreError> {
        self.backend().update_if(pk, sk, update, by)
    }

    /// The rows of trip `pk` right after event `event_id` of `execution_arn` (defined
    /// in this module's documentation), ordered by sort key; `None` when the store
    /// cannot tell: the execution is unknown, or was recorded before the store kept
    /// row versions.
    pub fn rows_after_event(
        &self,
        pk: &str,
        execution_arn: &str,
        event_id: i64,
    ) -> Result<Option<Vec<Item>>, StoreError> {
        self.backend().rows_after_event(pk, execution_arn, event_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ExecutionOutcome, ExecutionRecord, SetIf, StoreWrite};
    use saga_lambdas::AttrValue;
    use saga_lambdas::item::string_item;

    fn row(sk: &str, status: &str) -> Item {
        string_item([
            ("pk", "t".to_string()),
            ("sk", sk.to_string()),
            ("status", status.to_string()),
        ])
    }

    fn start(store: &Store, arn: &str) {
        store
            .insert_execution(&ExecutionRecord {
                execution_arn: arn.to_string(),
                labels: serde_json::json!({"trip_id": "t"}),
                ..Default::default()
            })
            .unwrap();
    }

    fn event(store: &Store, arn: &str, id: i64) {
        store
            .append_event(arn, id, &format!(r#"{{"id":{id}}}"#))
            .unwrap();
    }

    fn confirm() -> SetIf {
        SetIf {
            attr: "status".into(),
            expected: AttrValue::S("pending".into()),
            new: AttrValue::S("confirmed".into()),
        }
    }

    /// Both stores, written the same way.
    fn stores() -> (tempfile::TempDir, Vec<Store>) {
        let (dir, file) = crate::store::temp_file_store();
        (dir, vec![Store::open_in_memory().unwrap(), file])
    }

    #[test]
    fn rows_after_an_event_are_the_writes_recorded_before_it() {
        let (_dir, stores) = stores();
        for store in stores {
            let at = |n| store.rows_after_event("t", "e", n).unwrap().unwrap();
            // Before the execution: a row by nobody, kept as the base.
            store.put_sync(&row("BASE", "pending")).unwrap();
            start(&store, "e");
            event(&store, "e", 1);
            event(&store, "e", 2);
            store.put_by_sync(row("A", "pending"), Some("e")).unwrap();
            event(&store, "e", 3);
            assert!(
                store
                    .update_if_by_sync("t", "A", &confirm(), Some("e"))
                    .unwrap()
            );
            store.delete_by_sync("t", "BASE", Some("e")).unwrap();
            event(&store, "e", 4);
            // Through the recorder's batches: the tag comes from the events before.
            let errors = store.write_batch(&[
                StoreWrite::Events {
                    arn: "e".into(),
                    events: vec![crate::store::NewEvent::from_json(5, r#"{"id":5}"#)],
                },
                StoreWrite::PutItem {
                    item: row("B", "pending"),
                    by: Some("e".into()),
                },
                StoreWrite::Finish {
                    arn: "e".into(),
                    events: vec![crate::store::NewEvent::from_json(6, r#"{"id":6}"#)],
                    outcome: ExecutionOutcome::succeeded("{}", chrono::Utc::now()),
                },
            ]);
            assert!(errors.is_empty(), "{errors:?}");
            let base = row("BASE", "pending");
            let mut confirmed = row("A", "pending");
            confirmed.insert("status".into(), AttrValue::S("confirmed".into()));
            let loc = store.location().to_string();
            assert_eq!(at(1), vec![base.clone()], "{loc}");
            // Written after event 2: not yet there right after it.
            assert_eq!(at(2), vec![base.clone()], "{loc}");
            assert_eq!(at(3), vec![row("A", "pending"), base.clone()], "{loc}");
            assert_eq!(at(4), vec![confirmed.clone()], "{loc}");
            assert_eq!(at(5), vec![confirmed.clone()], "{loc}");
            assert_eq!(at(6), vec![confirmed.clone(), row("B", "pending")], "{loc}");
            assert_eq!(at(6), store.query_trip_sync("t").unwrap(), "{loc}");
            // Another trip, an unknown execution.
            assert_eq!(store.rows_after_event("u", "e", 6).unwrap(), Some(vec![]));
            assert_eq!(store.rows_after_event("t", "nobody", 6).unwrap(), None);
        }
    }

    #[test]
    fn another_executions_writes_while_one_runs_are_not_its_past() {
        let (_dir, stores) = stores();
        for store in stores {
            start(&store, "first");
            event(&store, "first", 1);
            store
                .put_by_sync(row("A", "pending"), Some("first"))
                .unwrap();
            start(&store, "second");
            event(&store, "second", 1);
            event(&store, "first", 2);
            store
                .put_by_sync(row("B", "pending"), Some("first"))
                .unwrap();
            store
                .put_by_sync(row("C", "pending"), Some("second"))
                .unwrap();
            event(&store, "second", 2);
            event(&store, "first", 3);
            let first = store.rows_after_event("t", "first", 3).unwrap().unwrap();
            assert_eq!(first, vec![row("A", "pending"), row("B", "pending")]);
            // The second found A, written before it started.
            let second = store.rows_after_event("t", "second", 2).unwrap().unwrap();
            assert_eq!(second, vec![row("A", "pending"), row("C", "pending")]);
        }
    }

    #[test]
    fn a_write_by_an_unknown_execution_is_kept_untagged() {
        let (_dir, stores) = stores();
        for store in stores {
            store
                .put_by_sync(row("A", "pending"), Some("ghost"))
                .unwrap();
            start(&store, "e");
            event(&store, "e", 1);
            let rows = store.rows_after_event("t", "e", 1).unwrap().unwrap();
            assert_eq!(rows, vec![row("A", "pending")], "{}", store.location());
        }
    }

    #[test]
    fn pruning_drops_the_versions_of_pruned_executions_and_gone_trips() {
        let (_dir, store) = crate::store::temp_file_store();
        store.put_sync(&row("BASE", "pending")).unwrap();
        start(&store, "e");
        event(&store, "e", 1);
        store.put_by_sync(row("A", "pending"), Some("e")).unwrap();
        store
            .finish_execution("e", &ExecutionOutcome::succeeded("{}", chrono::Utc::now()))
            .unwrap();
        let count = || -> i64 {
            store
                .conn()
                .unwrap()
                .query_row("SELECT count(*) FROM item_versions", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(count(), 2);
        store.prune(&crate::store::PruneRule::default()).unwrap();
        assert_eq!(count(), 0);
        assert_eq!(store.rows_after_event("t", "e", 2).unwrap(), None);
    }

    #[test]
    fn pruning_keeps_the_rows_of_a_trip_still_booked() {
        let (_dir, store) = crate::store::temp_file_store();
        start(&store, "old");
        event(&store, "old", 1);
        store.put_by_sync(row("A", "pending"), Some("old")).unwrap();
        assert!(
            store
                .update_if_by_sync("t", "A", &confirm(), Some("old"))
                .unwrap()
        );
        store
            .finish_execution(
                "old",
                &ExecutionOutcome::succeeded("{}", chrono::Utc::now()),
            )
            .unwrap();
        start(&store, "kept");
        let rule = crate::store::PruneRule {
            keep_newest: Some(1),
            ended_before: None,
        };
        let before = store.query_trip_sync("t").unwrap();
        store.prune(&rule).unwrap();
        // The pruned execution's superseded version went; its row stays the trip's.
        assert_eq!(store.query_trip_sync("t").unwrap(), before);
        let versions: i64 = store
            .conn()
            .unwrap()
            .query_row("SELECT count(*) FROM item_versions", [], |r| r.get(0))
            .unwrap();
        assert_eq!(versions, 1);
    }
}
