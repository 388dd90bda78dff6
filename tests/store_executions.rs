//! Executions and their histories: queries, atomic finishing, and the rules that keep
//! a history append-only.

use chrono::{DateTime, Duration, Utc};
use sagaview::store::{ExecutionOutcome, ExecutionRecord, ExecutionStatus, Store, StoreError};
use serde_json::json;

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_700_000_000_000 + ms).unwrap()
}

fn running(arn: &str, start: DateTime<Utc>) -> ExecutionRecord {
    ExecutionRecord {
        execution_arn: arn.to_string(),
        name: sagaview::arn::name(arn).to_owned(),
        state_machine_arn: "arn:aws:states:local:000000000000:stateMachine:saga".into(),
        state_machine_name: "saga".into(),
        status: ExecutionStatus::Running,
        input: r#"{"trip_id":"t1"}"#.into(),
        output: None,
        error: None,
        cause: None,
        start_date: start,
        stop_date: None,
        labels: json!({"run_type": "success", "trip_id": "t1"}),
        redrive_count: 0,
        redrive_date: None,
    }
}

fn event(id: i64, ty: &str) -> String {
    json!({
        "timestamp": "2023-11-14T22:13:20.000Z",
        "type": ty,
        "id": id,
        "previousEventId": id - 1,
    })
    .to_string()
}

const ARN: &str = "arn:aws:states:local:000000000000:execution:saga:one";

/// Both store implementations, so every rule here is checked on each: the in-memory
/// one and a file in a temporary folder (which lives as long as the returned guard).
fn stores() -> (tempfile::TempDir, [Store; 2]) {
    let dir = tempfile::tempdir().unwrap();
    let file = Store::open(dir.path().join("test.db")).unwrap();
    (dir, [Store::open_in_memory().unwrap(), file])
}
#[test]
fn an_execution_reads_back_exactly() {
    let (_dir, stores) = stores();
    for store in stores {
        let rec = running(ARN, at(123));
        store.insert_execution(&rec).unwrap();
        assert_eq!(store.get_execution(ARN).unwrap(), Some(rec));
        assert_eq!(store.get_execution("arn:other").unwrap(), None);
    }
}

#[test]
fn dates_are_kept_to_the_millisecond() {
    let (_dir, stores) = stores();
    for store in stores {
        let precise = at(5) + Duration::microseconds(999);
        store.insert_execution(&running(ARN, precise)).unwrap();
        let back = store.get_execution(ARN).unwrap().unwrap();
        assert_eq!(back.start_date, at(5));
    }
}

#[test]
fn inserting_the_same_arn_twice_is_refused() {
    let (_dir, stores) = stores();
    for store in stores {
        store.insert_execution(&running(ARN, at(0))).unwrap();
        let err = store.insert_execution(&running(ARN, at(1))).unwrap_err();
        assert!(matches!(err, StoreError::ExecutionExists { .. }), "{err}");
        assert!(err.to_string().contains(ARN), "{err}");
    }
}

#[test]
fn list_is_newest_first_and_limited() {
    let (_dir, stores) = stores();
    for store in stores {
        for (name, ms) in [("b", 20), ("a", 10), ("c", 30), ("d", 30)] {
            store
                .insert_execution(&running(&format!("arn:x:{name}"), at(ms)))
                .unwrap();
        }
        let names: Vec<String> = store
            .list_executions(10)
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
        // Equal start dates: the later insert first.
        assert_eq!(names, ["d", "c", "b", "a"]);
        assert_eq!(store.list_executions(2).unwrap().len(), 2);
        assert_eq!(store.list_executions(0).unwrap().len(), 0);
    }
}

#[test]
fn events_are_polled_incrementally_in_id_order() {
    let (_dir, stores) = stores();
    for store in stores {
        store.insert_execution(&running(ARN, at(0))).unwrap();
        store
            .append_event(ARN, 2, &event(2, "PassStateEntered"))
            .unwrap();
        store
            .append_event(ARN, 1, &event(1, "ExecutionStarted"))
            .unwrap();
        let e3 = event(3, "PassStateExited");
        store.append_events(ARN, [(3, e3.as_str())]).unwrap();

        let all = store.events_since(ARN, 0).unwrap();
        assert_eq!(all.iter().map(|e| e.0).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(all[0].1, event(1, "ExecutionStarted"));
        let later = store.events_since(ARN, 2).unwrap();
        assert_eq!(later, vec![(3, e3)]);
        assert!(store.events_since(ARN, 3).unwrap().is_empty());
        assert_eq!(store.event_count(ARN).unwrap(), 3);
        assert_eq!(store.last_event_id(ARN).unwrap(), Some(3));
        assert_eq!(store.event_count("arn:none").unwrap(), 0);
        assert_eq!(store.last_event_id("arn:none").unwrap(), None);
    }
}

#[test]
fn events_already_made_append_under_the_same_rules() {
    use sagaview::store::NewEvent;
    let (_dir, stores) = stores();
    for store in stores {
        store.insert_execution(&running(ARN, at(0))).unwrap();
        let made = |id: i64, ty: &str| NewEvent::from_json(id, event(id, ty));
        store
            .append_new_events(ARN, &[made(1, "ExecutionStarted")])
            .unwrap();
        store
            .append_new_events(
                ARN,
                &[made(2, "PassStateEntered"), made(3, "PassStateExited")],
            )
            .unwrap();
        let ids: Vec<i64> = store
            .events_since(ARN, 0)
            .unwrap()
            .iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(ids, [1, 2, 3]);
        assert_eq!(
            store.events_since(ARN, 2).unwrap()[0].1,
            event(3, "PassStateExited")
        );
        // All or nothing: a duplicate id refuses the whole append.
        let err = store
            .append_new_events(
                ARN,
                &[made(4, "PassStateEntered"), made(2, "PassStateEntered")],
            )
            .unwrap_err();
        assert!(
            matches!(err, StoreError::DuplicateEvent { id: 2, .. }),
            "{err}"
        );
        assert_eq!(store.event_count(ARN).unwrap(), 3);
        let err = store
            .append_new_events("arn:none", &[made(1, "ExecutionStarted")])
            .unwrap_err();
        assert!(err.to_string().contains("arn:none"), "{err}");
    }
}

#[test]
fn event_ids_are_unique_per_execution() {
    let (_dir, stores) = stores();
    for store in stores {
        store.insert_execution(&running(ARN, at(0))).unwrap();
        store
            .insert_execution(&running("arn:x:two", at(0)))
            .unwrap();
        store
            .append_event(ARN, 1, &event(1, "ExecutionStarted"))
            .unwrap();
        // The same id in another execution is fine.
        store
            .append_event("arn:x:two", 1, &event(1, "ExecutionStarted"))
            .unwrap();
        let err = store.append_event(ARN, 1, "{}").unwrap_err();
        assert!(
            matches!(err, StoreError::DuplicateEvent { id: 1, .. }),
            "{err}"
        );
        assert_eq!(
            store.events_since(ARN, 0).unwrap()[0].1,
            event(1, "ExecutionStarted")
        );
    }
}

#[test]
fn events_must_be_json() {
    let (_dir, stores) = stores();
    for store in stores {
        store.insert_execution(&running(ARN, at(0))).unwrap();
        assert!(store.append_event(ARN, 1, "not json").is_err());
        assert_eq!(store.event_count(ARN).unwrap(), 0);
    }
}

#[test]
fn finishing_records_the_outcome_and_closes_the_history() {
    let (_dir, stores) = stores();
    for store in stores {
        store.insert_execution(&running(ARN, at(0))).unwrap();
        store
            .append_event(ARN, 1, &event(1, "ExecutionStarted"))
            .unwrap();
        let done = event(2, "ExecutionSucceeded");
        store
            .append_events_and_finish(
                ARN,
                [(2, done.as_str())],
                &ExecutionOutcome::succeeded(r#"{"ok":true}"#, at(50)),
            )
            .unwrap();

        let rec = store.get_execution(ARN).unwrap().unwrap();
        assert_eq!(rec.status, ExecutionStatus::Succeeded);
        assert_eq!(rec.output.as_deref(), Some(r#"{"ok":true}"#));
        assert_eq!(rec.stop_date, Some(at(50)));
        assert_eq!(store.event_count(ARN).unwrap(), 2);

        // A finished history takes no more events and cannot finish again.
        let err = store
            .append_event(ARN, 3, &event(3, "PassStateEntered"))
            .unwrap_err();
        assert!(matches!(err, StoreError::NotRunning { .. }), "{err}");
        let again =
            ExecutionOutcome::ended(ExecutionStatus::Failed, Some("E".into()), None, at(60));
        let err = store.finish_execution(ARN, &again).unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NotRunning {
                    status: ExecutionStatus::Succeeded,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(
            store.get_execution(ARN).unwrap().unwrap().status,
            ExecutionStatus::Succeeded
        );
    }
}

#[test]
fn finish_execution_without_events() {
    let (_dir, stores) = stores();
    for store in stores {
        store.insert_execution(&running(ARN, at(0))).unwrap();
        let outcome = ExecutionOutcome::ended(
            ExecutionStatus::Failed,
            Some("PaymentFailed".into()),
            Some("no money".into()),
            at(9),
        );
        store.finish_execution(ARN, &outcome).unwrap();
        let rec = store.get_execution(ARN).unwrap().unwrap();
        assert_eq!(
            (
                rec.status,
                rec.error.as_deref(),
                rec.cause.as_deref(),
                rec.output
            ),
            (
                ExecutionStatus::Failed,
                Some("PaymentFailed"),
                Some("no money"),
                None
            )
        );
        let err = store.finish_execution("arn:none", &outcome).unwrap_err();
        assert!(matches!(err, StoreError::NoSuchExecution { .. }), "{err}");
    }
}

#[test]
fn a_failed_append_inside_finish_leaves_nothing_visible() {
    let (_dir, stores) = stores();
    for store in stores {
        store.insert_execution(&running(ARN, at(0))).unwrap();
        store
            .append_event(ARN, 1, &event(1, "ExecutionStarted"))
            .unwrap();
        store
            .append_event(ARN, 2, &event(2, "PassStateEntered"))
            .unwrap();

        // Event 3 is new, event 2 is a duplicate: the whole transaction must roll back.
        let e3 = event(3, "PassStateExited");
        let e2 = event(2, "ExecutionSucceeded");
        let err = store
            .append_events_and_finish(
                ARN,
                [(3, e3.as_str()), (2, e2.as_str())],
                &ExecutionOutcome::succeeded("{}", at(5)),
            )
            .unwrap_err();
        assert!(
            matches!(err, StoreError::DuplicateEvent { id: 2, .. }),
            "{err}"
        );

        assert_eq!(
            store.event_count(ARN).unwrap(),
            2,
            "event 3 must not be visible"
        );
        assert_eq!(
            store.events_since(ARN, 0).unwrap()[1].1,
            event(2, "PassStateEntered")
        );
        let rec = store.get_execution(ARN).unwrap().unwrap();
        assert_eq!(rec.status, ExecutionStatus::Running);
        assert_eq!((rec.output, rec.stop_date), (None, None));

        // The same for a multi-event append without finishing.
        let err = store
            .append_events(ARN, [(3, e3.as_str()), (1, e3.as_str())])
            .unwrap_err();
        assert!(
            matches!(err, StoreError::DuplicateEvent { id: 1, .. }),
            "{err}"
        );
        assert_eq!(store.event_count(ARN).unwrap(), 2);

        // And the execution can still finish properly afterwards.
        store
            .append_events_and_finish(
                ARN,
                [(3, e2.as_str())],
                &ExecutionOutcome::succeeded("{}", at(6)),
            )
            .unwrap();
        assert_eq!(store.event_count(ARN).unwrap(), 3);
    }
}

#[test]
fn many_events_in_one_transaction() {
    let (_dir, stores) = stores();
    for store in stores {
        store.insert_execution(&running(ARN, at(0))).unwrap();
        let events: Vec<(i64, String)> = (1..=2000)
            .map(|i| (i, event(i, "PassStateEntered")))
            .collect();
        store
            .append_events(ARN, events.iter().map(|(i, e)| (*i, e.as_str())))
            .unwrap();
        assert_eq!(store.event_count(ARN).unwrap(), 2000);
        assert_eq!(store.events_since(ARN, 1990).unwrap().len(), 10);
    }
}

#[test]
fn a_batch_commits_many_executions_and_a_bad_write_loses_only_itself() {
    use sagaview::store::StoreWrite;
    let (_dir, stores) = stores();
    for store in stores {
        let a = "arn:aws:states:local:000000000000:execution:saga:a";
        let b = "arn:aws:states:local:000000000000:execution:saga:b";
        let writes = vec![
            StoreWrite::Start {
                record: running(a, at(0)),
                events: vec![(1, event(1, "ExecutionStarted")).into()],
            },
            StoreWrite::Start {
                record: running(b, at(1)),
                events: vec![(1, event(1, "ExecutionStarted")).into()],
            },
            StoreWrite::Events {
                arn: a.into(),
                events: vec![(2, event(2, "PassStateEntered")).into()],
            },
            StoreWrite::Finish {
                arn: a.into(),
                events: vec![(3, event(3, "ExecutionSucceeded")).into()],
                outcome: ExecutionOutcome::succeeded("{}", at(5)),
            },
            // Refused: b has no event 1 twice.
            StoreWrite::Events {
                arn: b.into(),
                events: vec![(1, event(1, "PassStateEntered")).into()],
            },
        ];
        let errors = store.write_batch(&writes);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            matches!(errors[0], StoreError::DuplicateEvent { .. }),
            "{errors:?}"
        );
        let got = store.get_execution(a).unwrap().unwrap();
        assert_eq!(got.status, ExecutionStatus::Succeeded);
        assert_eq!(store.event_count(a).unwrap(), 3);
        assert_eq!(store.event_count(b).unwrap(), 1);
        // The history the batch ended reads back as written.
        let types: Vec<String> = store
            .events_since(a, 0)
            .unwrap()
            .iter()
            .map(|(_, t)| serde_json::from_str::<serde_json::Value>(t).unwrap()["type"].to_string())
            .collect();
        assert_eq!(
            types,
            [
                r#""ExecutionStarted""#,
                r#""PassStateEntered""#,
                r#""ExecutionSucceeded""#
            ],
            "{}",
            store.location()
        );
    }
}

#[test]
fn an_ended_history_reads_back_the_same() {
    let (_dir, stores) = stores();
    for store in stores {
        let other = "arn:aws:states:local:000000000000:execution:saga:two";
        let first: Vec<String> = (1..=5).map(|id| event(id, "PassStateEntered")).collect();
        for arn in [ARN, other] {
            store.insert_execution(&running(arn, at(1))).unwrap();
            store
                .append_events(arn, (1..).zip(first.iter().map(String::as_str)))
                .unwrap();
        }
        let last = event(6, "ExecutionSucceeded");
        store
            .append_events_and_finish(
                ARN,
                [(6, last.as_str())],
                &ExecutionOutcome::succeeded("{}", at(9)),
            )
            .unwrap();
        // The in-memory store packs an ended history; it reads back as it was written.
        let all = store.events_since(ARN, 0).unwrap();
        let texts: Vec<&str> = all.iter().map(|(_, t)| t.as_str()).collect();
        let mut want: Vec<&str> = first.iter().map(String::as_str).collect();
        want.push(&last);
        let parsed = |t: &[&str]| -> Vec<serde_json::Value> {
            t.iter().map(|t| serde_json::from_str(t).unwrap()).collect()
        };
        assert_eq!(parsed(&texts), parsed(&want), "{}", store.location());
        assert_eq!(store.events_since(ARN, 4).unwrap(), all[4..].to_vec());
        assert_eq!(store.events_since(ARN, 6).unwrap(), vec![]);
        assert_eq!(store.event_count(ARN).unwrap(), 6);
        assert_eq!(store.last_event_id(ARN).unwrap(), Some(6));
        // The running one still takes events; the ended one stays closed.
        store
            .append_events(other, [(6, event(6, "PassStateExited").as_str())])
            .unwrap();
        assert_eq!(store.event_count(other).unwrap(), 6);
        assert!(
            store
                .append_events(ARN, [(7, event(7, "PassStateEntered").as_str())])
                .is_err()
        );
    }
}

#[test]
fn after_a_refused_write_the_batch_makes_no_later_write_of_that_execution() {
    use sagaview::store::StoreWrite;
    let (_dir, stores) = stores();
    for store in stores {
        let a = "arn:aws:states:local:000000000000:execution:saga:a";
        let b = "arn:aws:states:local:000000000000:execution:saga:b";
        let writes = vec![
            StoreWrite::Start {
                record: running(a, at(0)),
                events: vec![(1, event(1, "ExecutionStarted")).into()],
            },
            StoreWrite::Start {
                record: running(b, at(1)),
                events: vec![(1, event(1, "ExecutionStarted")).into()],
            },
            // Refused: b already has event 1.
            StoreWrite::Events {
                arn: b.into(),
                events: vec![(1, event(1, "PassStateEntered")).into()],
            },
            // Would be fine on its own, but must not follow a lost write of b.
            StoreWrite::Events {
                arn: b.into(),
                events: vec![(2, event(2, "PassStateExited")).into()],
            },
            StoreWrite::Events {
                arn: a.into(),
                events: vec![(2, event(2, "PassStateEntered")).into()],
            },
        ];
        let errors = store.write_batch(&writes);
        assert_eq!(errors.len(), 2, "{}: {errors:?}", store.location());
        assert!(
            matches!(errors[0], StoreError::DuplicateEvent { .. }),
            "{errors:?}"
        );
        assert!(
            matches!(&errors[1], StoreError::EarlierWriteFailed { arn } if arn == b),
            "{errors:?}"
        );
        assert_eq!(store.event_count(a).unwrap(), 2, "{}", store.location());
        assert_eq!(store.event_count(b).unwrap(), 1, "{}", store.location());

        // Refused before the transaction (not JSON): the same holds.
        let errors = store.write_batch(&[
            StoreWrite::Events {
                arn: a.into(),
                events: vec![(3, "not json".to_string()).into()],
            },
            StoreWrite::Events {
                arn: a.into(),
                events: vec![(4, event(4, "PassStateExited")).into()],
            },
        ]);
        assert_eq!(errors.len(), 2, "{}: {errors:?}", store.location());
        assert!(
            matches!(&errors[1], StoreError::EarlierWriteFailed { arn } if arn == a),
            "{errors:?}"
        );
        assert_eq!(store.event_count(a).unwrap(), 2, "{}", store.location());
    }
}
