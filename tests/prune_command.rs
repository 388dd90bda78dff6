//! `sagaview prune`, as a user runs it: which executions go, what goes with them, the
//! file shrinking, and bad input refused.

use chrono::{DateTime, TimeDelta, Utc};
use saga_lambdas::item::string_item;
use sagaview::store::{ExecutionOutcome, ExecutionRecord, Store};
use serde_json::json;
use std::path::Path;
use std::process::{Command, Output};

fn sagaview(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sagaview"))
        .args(args)
        .output()
        .expect("run sagaview")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The ARN of execution `n`.
fn arn(n: usize) -> String {
    format!("arn:aws:states:us-east-1:123456789012:execution:BookingSaga:run-{n}")
}

/// Stores execution `n` of trip `trip`, started at `start`, with a history of sizeable
/// events and three rows for its trip; it ends at `stop`, or runs on without one.
fn execution(
    store: &Store,
    n: usize,
    trip: &str,
    start: DateTime<Utc>,
    stop: Option<DateTime<Utc>>,
) {
    let arn = arn(n);
    store
        .insert_execution(&ExecutionRecord {
            execution_arn: arn.clone(),
            name: format!("run-{n}"),
            state_machine_arn: "arn:sm".into(),
            state_machine_name: "BookingSaga".into(),
            input: "{}".into(),
            start_date: start,
            labels: json!({"run_type": "success", "trip_id": trip}),
            ..Default::default()
        })
        .expect("an execution is stored");
    let payload = format!("{n}-").repeat(4000);
    let events: Vec<String> = (1..=6)
        .map(|id| {
            json!({"timestamp": "2023-11-14T22:13:20.000Z", "type": "PassStateEntered",
                   "id": id, "previousEventId": id - 1,
                   "stateEnteredEventDetails": {"name": "S", "input": payload}})
            .to_string()
        })
        .collect();
    let events: Vec<(i64, &str)> = (1..).zip(events.iter().map(String::as_str)).collect();
    match stop {
        Some(stop) => store
            .append_events_and_finish(&arn, events, &ExecutionOutcome::succeeded("{}", stop))
            .expect("a history is stored"),
        None => store
            .append_events(&arn, events)
            .expect("a history is stored"),
    }
    for step in ["FLIGHT", "HOTEL", "PAYMENT"] {
        store
            .put_sync(&string_item([
                ("pk", trip.to_string()),
                ("sk", format!("{step}#{n}")),
            ]))
            .expect("a row is stored");
    }
}

/// The database file's size with its WAL's.
fn file_size(db: &Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    [db, Path::new(&wal)]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

#[test]
fn keep_removes_all_but_the_newest_with_their_events_and_rows_and_shrinks_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("prune.db");
    let t0 = Utc::now() - TimeDelta::days(1);
    // Held open throughout, as the process running the running execution holds it.
    let store = Store::open(&db).expect("the file opens");
    // The oldest still runs: it is never removed.
    execution(&store, 0, "trip-0", t0, None);
    for n in 1..=30 {
        let start = t0 + TimeDelta::seconds(n as i64);
        execution(&store, n, &format!("trip-{n}"), start, Some(start));
    }
    // An old execution whose trip a kept one books again: its rows stay.
    execution(&store, 31, "trip-30", t0, Some(t0));
    let before = file_size(&db);

    let out = sagaview(&["prune", "--db", db.to_str().unwrap(), "--keep", "5"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = text(&out);
    assert!(
        report.contains("removed 26 executions, 156 history events, 75 rows of 25 trips"),
        "{report}"
    );
    assert!(
        report.contains("before") && report.contains("after"),
        "{report}"
    );

    let mut kept: Vec<String> = store
        .list_executions(usize::MAX)
        .expect("the list reads")
        .into_iter()
        .map(|e| e.execution_arn)
        .collect();
    kept.sort();
    let mut expected: Vec<String> = [0, 26, 27, 28, 29, 30].into_iter().map(arn).collect();
    expected.sort();
    assert_eq!(kept, expected, "the 5 newest and the running one");
    for n in 1..=25 {
        assert_eq!(store.event_count(&arn(n)).unwrap(), 0, "events of run {n}");
        assert!(
            store
                .query_trip_sync(&format!("trip-{n}"))
                .unwrap()
                .is_empty()
        );
    }
    assert_eq!(store.event_count(&arn(31)).unwrap(), 0);
    for n in [0, 26, 27, 28, 29] {
        assert_eq!(store.event_count(&arn(n)).unwrap(), 6, "events of run {n}");
        assert_eq!(
            store.query_trip_sync(&format!("trip-{n}")).unwrap().len(),
            3
        );
    }
    assert_eq!(store.events_since(&arn(30), 0).unwrap().len(), 6);
    assert_eq!(
        store.query_trip_sync("trip-30").unwrap().len(),
        6,
        "the rows of a trip a kept execution books stay, the pruned one's too"
    );
    let after = file_size(&db);
    assert!(
        after * 3 < before,
        "the file shrinks: {before} bytes before, {after} after"
    );
}

#[test]
fn older_than_removes_only_what_ended_before_and_never_a_running_execution() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("age.db");
    let now = Utc::now();
    {
        // Held open throughout, as the process running the running execution holds it.
        let store = Store::open(&db).expect("the file opens");
        let long_ago = now - TimeDelta::days(10);
        execution(&store, 1, "old-1", long_ago, Some(long_ago));
        execution(&store, 2, "old-2", long_ago, Some(now - TimeDelta::days(8)));
        // Started long ago, ended recently: kept.
        execution(
            &store,
            3,
            "recent",
            long_ago,
            Some(now - TimeDelta::hours(1)),
        );
        execution(&store, 4, "running", long_ago, None);
        let out = sagaview(&["prune", "--db", db.to_str().unwrap(), "--older-than", "7d"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(
            text(&out).contains("removed 2 executions"),
            "{}",
            text(&out)
        );
        assert!(store.get_execution(&arn(1)).unwrap().is_none());
        assert!(store.get_execution(&arn(2)).unwrap().is_none());
        assert!(store.query_trip_sync("old-2").unwrap().is_empty());
        assert_eq!(store.event_count(&arn(3)).unwrap(), 6);
        assert_eq!(store.query_trip_sync("recent").unwrap().len(), 3);
        // Both rules: removed only when neither keeps it.
        let out = sagaview(&[
            "prune",
            "--db",
            db.to_str().unwrap(),
            "--older-than",
            "0s",
            "--keep",
            "0",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(
            text(&out).contains("removed 1 execution,"),
            "{}",
            text(&out)
        );
        let left = store.list_executions(usize::MAX).unwrap();
        assert_eq!(left.len(), 1, "the running execution stays");
        assert_eq!(left[0].execution_arn, arn(4));
        assert_eq!(store.event_count(&arn(4)).unwrap(), 6);
    }
}

#[test]
fn bad_input_exits_2_with_a_message_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing.db");
    let missing = missing.to_str().unwrap();
    let existing = dir.path().join("existing.db");
    drop(Store::open(&existing).expect("the file opens"));
    let existing = existing.to_str().unwrap();

    let cases: [(&[&str], &str); 8] = [
        (&["prune", "--db", existing], "required"),
        (
            &["prune", "--db", existing, "--older-than", "7x"],
            "not an age",
        ),
        (
            &["prune", "--db", existing, "--older-than", "7"],
            "not an age",
        ),
        (
            &["prune", "--db", existing, "--older-than=-1d"],
            "not an age",
        ),
        (&["prune", "--db", existing, "--keep=-1"], "--keep"),
        (&["prune", "--db", existing, "--keep", "ten"], "--keep"),
        (&["prune", "--db", missing, "--keep", "1"], "missing.db"),
        (&["prune", "--db", ":memory:", "--keep", "1"], "in-memory"),
    ];
    for (args, says) in cases {
        let out = sagaview(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(says), "{args:?}: {}", text(&out));
    }
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("missing")),
        "nothing created for the missing file"
    );

    let not_a_database = dir.path().join("notes.txt");
    std::fs::write(
        &not_a_database,
        "not a database, just some text ".repeat(200),
    )
    .unwrap();
    let out = sagaview(&[
        "prune",
        "--db",
        not_a_database.to_str().unwrap(),
        "--keep",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("notes.txt"), "{}", text(&out));
}

#[test]
fn help_explains_the_rules() {
    let out = sagaview(&["prune", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out);
    for says in [
        "--keep",
        "--older-than",
        "running executions are never removed",
        "12h",
    ] {
        assert!(help.contains(says), "{says}: {help}");
    }
}
