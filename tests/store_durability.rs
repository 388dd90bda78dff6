//! Opening, durability across reopen, crash recovery and refusing unusable files.

use chrono::{DateTime, Utc};
use saga_lambdas::Table;
use saga_lambdas::item::string_item;
use sagaview::store::{
    ExecutionOutcome, ExecutionRecord, ExecutionStatus, INTERRUPTED_CAUSE, INTERRUPTED_ERROR,
    Store, StoreError,
};
use serde_json::{Value, json};

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_700_000_000_000 + ms).unwrap()
}

fn running(arn: &str) -> ExecutionRecord {
    ExecutionRecord {
        execution_arn: arn.to_string(),
        name: arn.to_string(),
        state_machine_arn: "arn:sm".into(),
        state_machine_name: "saga".into(),
        input: "{}".into(),
        start_date: at(0),
        labels: json!({"trip_id": "t1"}),
        ..Default::default()
    }
}

fn event(id: i64, ty: &str) -> String {
    json!({"timestamp": "2023-11-14T22:13:20.000Z", "type": ty, "id": id, "previousEventId": id - 1})
        .to_string()
}

#[tokio::test]
async fn everything_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/sagaview.db");
    {
        let store = Store::open(&path).unwrap();
        assert_eq!(store.path(), Some(path.as_path()));
        store.insert_execution(&running("done")).unwrap();
        store
            .append_event("done", 1, &event(1, "ExecutionStarted"))
            .unwrap();
        let last = event(2, "ExecutionSucceeded");
        store
            .append_events_and_finish(
                "done",
                [(2, last.as_str())],
                &ExecutionOutcome::succeeded("{\"ok\":1}", at(7)),
            )
            .unwrap();
        store
            .put(string_item([
                ("pk", "t1".to_string()),
                ("sk", "HOTEL#1".to_string()),
                ("transaction_status", "pending".to_string()),
            ]))
            .await
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert!(store.recovered_on_open().is_empty());
    let rec = store.get_execution("done").unwrap().unwrap();
    assert_eq!(rec.status, ExecutionStatus::Succeeded);
    assert_eq!(rec.stop_date, Some(at(7)));
    assert_eq!(rec.labels, json!({"trip_id": "t1"}));
    assert_eq!(
        store.events_since("done", 0).unwrap(),
        vec![
            (1, event(1, "ExecutionStarted")),
            (2, event(2, "ExecutionSucceeded"))
        ]
    );
    let rows = store.query_trip("t1").await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["sk"].as_s(), Some("HOTEL#1"));
}

#[test]
fn a_running_execution_is_aborted_on_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    {
        let store = Store::open(&path).unwrap();
        store.insert_execution(&running("interrupted")).unwrap();
        store
            .append_events(
                "interrupted",
                [
                    (1, event(1, "ExecutionStarted").as_str()),
                    (2, event(2, "TaskStateEntered").as_str()),
                ],
            )
            .unwrap();
        store.insert_execution(&running("finished")).unwrap();
        store
            .append_event("finished", 1, &event(1, "ExecutionStarted"))
            .unwrap();
        store
            .finish_execution(
                "finished",
                &ExecutionOutcome::ended(ExecutionStatus::Failed, Some("E".into()), None, at(3)),
            )
            .unwrap();
        // Dropped without finishing: as if the process had exited.
    }
    let before = Utc::now();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.recovered_on_open(), ["interrupted".to_string()]);

    let rec = store.get_execution("interrupted").unwrap().unwrap();
    assert_eq!(rec.status, ExecutionStatus::Aborted);
    assert_eq!(rec.error.as_deref(), Some(INTERRUPTED_ERROR));
    assert_eq!(rec.error.as_deref(), Some("sagaview.Interrupted"));
    assert_eq!(rec.cause.as_deref(), Some(INTERRUPTED_CAUSE));
    let stop = rec.stop_date.expect("a stop date");
    assert!(stop >= before - chrono::Duration::milliseconds(1), "{stop}");

    let events = store.events_since("interrupted", 0).unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].0, 3);
    let ev: Value = serde_json::from_str(&events[2].1).unwrap();
    assert_eq!(ev["type"], "ExecutionAborted");
    assert_eq!(ev["id"], 3);
    assert_eq!(ev["previousEventId"], 2);
    assert_eq!(
        ev["executionAbortedEventDetails"],
        json!({"error": "sagaview.Interrupted", "cause": INTERRUPTED_CAUSE})
    );
    // ISO-8601 UTC with milliseconds, the same instant as the stop date.
    let ts = ev["timestamp"].as_str().unwrap();
    assert_eq!(ts.len(), "2023-11-14T22:13:20.000Z".len(), "{ts}");
    assert!(ts.ends_with('Z'), "{ts}");
    assert_eq!(DateTime::parse_from_rfc3339(ts).unwrap(), stop);

    // The finished execution is untouched.
    let done = store.get_execution("finished").unwrap().unwrap();
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("E"));
    assert_eq!(done.stop_date, Some(at(3)));
    assert_eq!(store.event_count("finished").unwrap(), 1);

    // Recovery happens once.
    drop(store);
    let store = Store::open(&path).unwrap();
    assert!(store.recovered_on_open().is_empty());
    assert_eq!(store.event_count("interrupted").unwrap(), 3);
}

#[test]
fn a_second_open_leaves_a_live_stores_executions_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let first = Store::open(&path).unwrap();
    first.insert_execution(&running("live")).unwrap();

    let second = Store::open(&path).unwrap();
    assert!(second.recovered_on_open().is_empty());
    assert_eq!(
        second.get_execution("live").unwrap().unwrap().status,
        ExecutionStatus::Running
    );
    // Both see each other's writes.
    second
        .append_event("live", 1, &event(1, "ExecutionStarted"))
        .unwrap();
    assert_eq!(first.event_count("live").unwrap(), 1);

    drop(first);
    // The second store is still open, so a third open must not recover either.
    let third = Store::open(&path).unwrap();
    assert!(third.recovered_on_open().is_empty());
    drop(second);
    drop(third);
    let last = Store::open(&path).unwrap();
    assert_eq!(last.recovered_on_open(), ["live".to_string()]);
}

#[test]
fn garbage_is_not_a_usable_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.db");
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &bytes).unwrap();

    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NotUsable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("is not a usable sagaview database"), "{text}");
    // The file is left as it was.
    assert_eq!(std::fs::read(&path).unwrap(), bytes);

    let short = dir.path().join("notes.txt");
    std::fs::write(
        &short,
        "hello, this is text and not a database at all\n".repeat(20),
    )
    .unwrap();
    let text = Store::open(&short).unwrap_err().to_string();
    assert!(
        text.contains("notes.txt") && text.contains("not a usable sagaview database"),
        "{text}"
    );
}

#[test]
fn an_unwritable_location_names_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    // A path "inside" a regular file cannot have its folder created.
    let err = Store::open(file.join("sub/s.db")).unwrap_err();
    assert!(matches!(err, StoreError::CreateDir { .. }), "{err:?}");
    assert!(err.to_string().contains("plain-file"), "{err}");
}

#[test]
fn memory_stores_are_private_and_throwaway() {
    let a = Store::open(":memory:").unwrap();
    let b = Store::open(":memory:").unwrap();
    assert_eq!(a.location(), ":memory:");
    a.insert_execution(&running("x")).unwrap();
    assert!(a.get_execution("x").unwrap().is_some());
    assert!(b.get_execution("x").unwrap().is_none());
    // Clones share.
    assert!(a.clone().get_execution("x").unwrap().is_some());
    // Nothing was written to a file called ":memory:".
    assert!(!std::path::Path::new(":memory:").exists());
}
