//! RedriveExecution on the embedded runtime: a compensation that gave up is run again
//! once the "outage" is over, as the Step Functions developer guide describes redrive
//! (see `conformance/documented-behaviour.md`, "Redriving executions").

use saga_lambdas::RunType;
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::backend::{Launch, SagaBackend};
use sagaview::engine::Pace;
use sagaview::headless::{RunReport, redrive_once, run_once};
use sagaview::history::{EventDetails, EventType, ExecutionStatus, HistoryEvent};
use sagaview::store::Store;
use sagaview::view::verdict::VerdictLevel;
use std::time::Duration;

const POLL: Duration = Duration::from_millis(5);

fn backend(store: Store) -> EmbeddedBackend {
    let options = EmbeddedOptions {
        seed: Some(7),
        pace: Pace::Instant,
        ..EmbeddedOptions::default()
    };
    EmbeddedBackend::new(store, options).expect("embedded backend")
}

/// A saga whose every compensation attempt fails: it ends FAILED, its verdict not
/// clean (orphans, or for a hotel that was never reserved, a failed compensation).
async fn failed_saga(b: &EmbeddedBackend, run_type: RunType, trip: &str) -> RunReport {
    b.set_cancel_failure_rate(1.0).await.expect("rate set");
    let launch = Launch {
        run_type,
        trip_id: trip.to_owned(),
        cancel_failure_rate: 1.0,
    };
    let report = run_once(b, launch, POLL).await.expect("the saga runs");
    assert_eq!(report.summary.status, ExecutionStatus::Failed);
    let verdict = report.verdict.as_ref().expect("a verdict");
    assert_ne!(verdict.level, VerdictLevel::Ok, "{}", verdict.text);
    report
}

/// The events after the last `ExecutionRedriven`, with its redrive count.
fn after_redrive(events: &[HistoryEvent]) -> (u32, &[HistoryEvent]) {
    let at = events
        .iter()
        .rposition(|e| e.event_type == EventType::ExecutionRedriven)
        .expect("an ExecutionRedriven event");
    let count = match &events[at].details {
        Some(EventDetails::ExecutionRedriven(d)) => d.redrive_count,
        other => panic!("ExecutionRedriven without its details: {other:?}"),
    };
    (count, &events[at + 1..])
}

fn entered(events: &[HistoryEvent]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|e| match &e.details {
            Some(EventDetails::StateEntered(d)) => Some(d.name.as_str()),
            _ => None,
        })
        .collect()
}

/// How many times `state`'s task was scheduled among `events`.
fn attempts(events: &[HistoryEvent], state: &str) -> usize {
    let mut current = None;
    let mut n = 0;
    for e in events {
        if let Some(EventDetails::StateEntered(d)) = &e.details {
            current = Some(d.name.clone());
        }
        if e.event_type == EventType::TaskScheduled && current.as_deref() == Some(state) {
            n += 1;
        }
    }
    n
}

#[tokio::test]
async fn each_compensation_redriven_at_rate_zero_completes_the_rollback() {
    let cases = [
        (
            RunType::FailPayment,
            "RefundPayment",
            &[
                "RefundPayment",
                "CancelFlightReservation",
                "CancelHotelReservation",
            ][..],
        ),
        (
            RunType::FailFlightsReservation,
            "CancelFlightReservation",
            &["CancelFlightReservation", "CancelHotelReservation"][..],
        ),
        (
            RunType::FailHotelReservation,
            "CancelHotelReservation",
            &["CancelHotelReservation"][..],
        ),
    ];
    for (i, (run_type, gave_up, rest)) in cases.into_iter().enumerate() {
        let b = backend(Store::open_in_memory().unwrap());
        let trip = format!("trip-redrive-{i}");
        let first = failed_saga(&b, run_type, &trip).await;
        let last_before = first.events.last().unwrap().id;
        assert!(first.verdict.unwrap().text.contains(gave_up));
        // The first attempt ran the compensation once and retried it three times.
        assert_eq!(attempts(&first.events, gave_up), 4, "{gave_up}");

        b.set_cancel_failure_rate(0.0).await.unwrap();
        let arn = first.summary.execution_arn.clone();
        let again = redrive_once(&b, &arn, POLL).await.expect("redriven");
        assert_eq!(again.summary.execution_arn, arn, "the same ARN");
        let verdict = again.verdict.clone().expect("a verdict");
        assert_eq!(verdict.level, VerdictLevel::Ok, "{}", verdict.text);
        assert!(verdict.orphans.is_empty());
        // The rollback ends where a clean one ends: the saga's Fail state.
        assert_eq!(again.summary.status, ExecutionStatus::Failed);

        // The history goes on from the first attempt's, ids unbroken.
        assert_eq!(&again.events[..first.events.len()], &first.events[..]);
        let (count, after) = after_redrive(&again.events);
        assert_eq!(again.events[first.events.len()].id, last_before + 1);
        assert_eq!(count, 1);
        // The state that gave up is entered again with the input it had, and the
        // compensations after it run; nothing before it runs again.
        let names = entered(after);
        assert_eq!(&names[..rest.len()], rest, "{gave_up}");
        let entered_before = first.events.iter().rev().find_map(|e| match &e.details {
            Some(EventDetails::StateEntered(d)) if d.name == gave_up => Some(d.input.clone()),
            _ => None,
        });
        let entered_after = after.iter().find_map(|e| match &e.details {
            Some(EventDetails::StateEntered(d)) => Some(d.input.clone()),
            _ => None,
        });
        assert_eq!(entered_after, entered_before);
        assert_eq!(attempts(after, gave_up), 1);

        let described = b.describe(&arn).await.unwrap();
        assert_eq!(described.redrive.count, 1);
        assert!(described.redrive.date.is_some());
        assert_eq!(described.redrive.status.as_deref(), Some("REDRIVABLE"));
    }
}

#[tokio::test]
async fn retry_counts_restart_and_each_redrive_is_counted() {
    let b = backend(Store::open_in_memory().unwrap());
    let first = failed_saga(&b, RunType::FailPayment, "trip-twice").await;
    let arn = first.summary.execution_arn;
    // Still an outage: the redrive retries RefundPayment as many times as the first
    // attempt did ("the retry attempt count ... is reset to 0").
    let second = redrive_once(&b, &arn, POLL).await.unwrap();
    assert_eq!(second.summary.status, ExecutionStatus::Failed);
    let (count, after) = after_redrive(&second.events);
    assert_eq!(count, 1);
    assert_eq!(attempts(after, "RefundPayment"), 4);
    assert_eq!(second.verdict.unwrap().level, VerdictLevel::Error);

    b.set_cancel_failure_rate(0.0).await.unwrap();
    let third = redrive_once(&b, &arn, POLL).await.unwrap();
    let (count, _) = after_redrive(&third.events);
    assert_eq!(count, 2);
    let redriven = third
        .events
        .iter()
        .filter(|e| e.event_type == EventType::ExecutionRedriven)
        .count();
    assert_eq!(redriven, 2);
    assert_eq!(third.verdict.unwrap().level, VerdictLevel::Ok);
    assert_eq!(b.describe(&arn).await.unwrap().redrive.count, 2);
}

#[tokio::test]
async fn a_succeeded_or_unknown_execution_is_not_redriven() {
    let b = backend(Store::open_in_memory().unwrap());
    let launch = Launch {
        run_type: RunType::Success,
        trip_id: "trip-ok".into(),
        cancel_failure_rate: 0.0,
    };
    let done = run_once(&b, launch, POLL).await.unwrap();
    let arn = done.summary.execution_arn;
    let described = b.describe(&arn).await.unwrap();
    assert_eq!(described.redrive.status.as_deref(), Some("NOT_REDRIVABLE"));
    assert_eq!(
        described.redrive.status_reason.as_deref(),
        Some("Execution is SUCCEEDED and cannot be redriven.")
    );
    let err = b.redrive(&arn).await.unwrap_err().to_string();
    assert!(
        err.contains("ExecutionNotRedrivable: Execution is SUCCEEDED and cannot be redriven."),
        "{err}"
    );
    let err = b.redrive("arn:nope").await.unwrap_err().to_string();
    assert!(err.contains("no execution arn:nope"), "{err}");
}

#[tokio::test]
async fn an_execution_recorded_by_an_earlier_process_is_redriven() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("saga.db");
    let arn = {
        let b = backend(Store::open(&path).unwrap());
        failed_saga(&b, RunType::FailPayment, "trip-earlier")
            .await
            .summary
            .execution_arn
    };
    let b = backend(Store::open(&path).unwrap());
    b.set_cancel_failure_rate(0.0).await.unwrap();
    let again = redrive_once(&b, &arn, POLL).await.unwrap();
    assert_eq!(again.verdict.unwrap().level, VerdictLevel::Ok);
    assert_eq!(b.describe(&arn).await.unwrap().redrive.count, 1);
    drop(b);
    // And the redrive is in the file for the next process.
    let store = Store::open(&path).unwrap();
    let record = store.get_execution(&arn).unwrap().unwrap();
    assert_eq!(record.redrive_count, 1);
    assert_eq!(record.status, ExecutionStatus::Failed);
}

mod engine {
    //! The runtime on its own: the context object, the Fail state and the execution's
    //! TimeoutSeconds after a redrive.

    use super::*;
    use chrono::{DateTime, Utc};
    use sagaview::asl::load_definition_value;
    use sagaview::engine::{Clock, Engine, EngineConfig, FunctionRegistry, TaskFailure};
    use serde_json::{Value, json};
    use std::sync::Arc;

    fn engine() -> Engine {
        let mut r = FunctionRegistry::new();
        // Fails until the execution has been redriven.
        r.register_fn("first-time-fails", |payload: Value| {
            if payload["redrives"] == json!(0) {
                Err(TaskFailure::from_message("Outage", "not yet"))
            } else {
                Ok(payload)
            }
        });
        r.register_fn("map-item", |payload: Value| {
            MAP_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if payload["item"] == json!(1) && payload["redrives"] == json!(0) {
                Err(TaskFailure::from_message("Outage", "item 1"))
            } else {
                Ok(payload)
            }
        });
        r.register_fn("count-a", |payload: Value| {
            BRANCH_A_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(payload)
        });
        let config = EngineConfig {
            seed: Some(1),
            ..EngineConfig::default()
        };
        let start = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        Engine::new(config, Clock::virtual_from(start), Arc::new(r))
    }

    async fn run_then_redrive(
        definition: Value,
    ) -> (ExecutionStatus, ExecutionStatus, Vec<HistoryEvent>) {
        let engine = engine();
        let machine = engine.state_machine("m", load_definition_value(&definition).unwrap());
        let arn = engine
            .start(&machine, None, r#"{"k": 1, "items": [0, 1, 2]}"#)
            .unwrap();
        let first = engine.wait(&arn).await.unwrap().status;
        engine.redrive_kept(&machine, &arn).expect("redriven");
        let second = engine.wait(&arn).await.unwrap();
        assert_eq!(second.redrive_count, 1);
        (first, second.status, engine.history_since(&arn, 0).unwrap())
    }

    #[tokio::test]
    async fn the_context_object_counts_redrives() {
        let (first, second, history) = run_then_redrive(json!({
            "StartAt": "Work",
            "States": {"Work": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {
                    "FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:first-time-fails",
                    "Payload": {"redrives.$": "$$.Execution.RedriveCount", "at.$": "$$.Execution.RedriveTime"}
                },
                "End": true
            }}
        }))
        .await;
        // RedriveTime is only there once redriven: the first attempt's path misses.
        assert_eq!(first, ExecutionStatus::Failed);
        assert_eq!(second, ExecutionStatus::Succeeded);
        let (_, after) = after_redrive(&history);
        let scheduled = after
            .iter()
            .find_map(|e| match &e.details {
                Some(EventDetails::TaskScheduled(d)) => Some(d.parameters.clone()),
                _ => None,
            })
            .expect("the task is scheduled again");
        let params: Value = serde_json::from_str(&scheduled).unwrap();
        assert_eq!(params["Payload"]["redrives"], json!(1));
        assert!(params["Payload"]["at"].is_string());
    }

    /// How many times `count-a` ran.
    static BRANCH_A_RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    #[tokio::test]
    async fn only_the_failed_branches_of_a_parallel_state_run_again() {
        let (first, second, history) = run_then_redrive(json!({
            "StartAt": "Both",
            "States": {"Both": {
                "Type": "Parallel",
                "End": true,
                "Branches": [
                    {"StartAt": "A", "States": {"A": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {
                            "FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:count-a",
                            "Payload": {"branch": "a"}
                        },
                        "OutputPath": "$.Payload",
                        "End": true
                    }}},
                    {"StartAt": "B", "States": {"B": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {
                            "FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:first-time-fails",
                            "Payload": {"redrives.$": "$$.Execution.RedriveCount"}
                        },
                        "OutputPath": "$.Payload",
                        "End": true
                    }}}
                ]
            }}
        }))
        .await;
        assert_eq!(
            (first, second),
            (ExecutionStatus::Failed, ExecutionStatus::Succeeded)
        );
        // Branch A succeeded the first time: "Reschedules and redrives only those
        // branches that failed or aborted."
        assert_eq!(BRANCH_A_RUNS.load(std::sync::atomic::Ordering::SeqCst), 1);
        let (_, after) = after_redrive(&history);
        assert_eq!(entered(after), ["Both", "B"]);
        let output = match &history.last().unwrap().details {
            Some(EventDetails::ExecutionSucceeded(d)) => d.output.clone(),
            other => panic!("{other:?}"),
        };
        let output: Value = serde_json::from_str(&output).unwrap();
        assert_eq!(output, json!([{"branch": "a"}, {"redrives": 1}]));
    }

    /// How many times `map-item` ran.
    static MAP_RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    #[tokio::test]
    async fn only_the_failed_iterations_of_a_map_state_run_again() {
        let (first, second, history) = run_then_redrive(json!({
            "StartAt": "Each",
            "States": {"Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 1,
                "ItemSelector": {"item.$": "$$.Map.Item.Value"},
                "ItemProcessor": {"StartAt": "Work", "States": {"Work": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {
                        "FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:map-item",
                        "Payload": {"item.$": "$.item", "redrives.$": "$$.Execution.RedriveCount"}
                    },
                    "OutputPath": "$.Payload",
                    "End": true
                }}},
                "End": true
            }}
        }))
        .await;
        assert_eq!(
            (first, second),
            (ExecutionStatus::Failed, ExecutionStatus::Succeeded)
        );
        // Item 0 ran once, item 1 twice, item 2 once (after the redrive, or before it if
        // it had already succeeded): "Reschedules and redrives only those iterations
        // that failed or aborted."
        assert_eq!(MAP_RUNS.load(std::sync::atomic::Ordering::SeqCst), 4);
        let output = match &history.last().unwrap().details {
            Some(EventDetails::ExecutionSucceeded(d)) => d.output.clone(),
            other => panic!("{other:?}"),
        };
        let output: Value = serde_json::from_str(&output).unwrap();
        assert_eq!(output[0], json!({"item": 0, "redrives": 0}));
        assert_eq!(output[1], json!({"item": 1, "redrives": 1}));
        assert_eq!(output[2]["item"], json!(2));
        let (_, after) = after_redrive(&history);
        let iterations = after
            .iter()
            .filter(|e| e.event_type == EventType::MapIterationStarted)
            .count();
        assert!(iterations <= 2, "{iterations}");
    }

    #[tokio::test]
    async fn a_fail_state_fails_again() {
        let (first, second, history) = run_then_redrive(json!({
            "StartAt": "P",
            "States": {
                "P": {"Type": "Pass", "Next": "F"},
                "F": {"Type": "Fail", "Error": "Nope"}
            }
        }))
        .await;
        assert_eq!(
            (first, second),
            (ExecutionStatus::Failed, ExecutionStatus::Failed)
        );
        let (_, after) = after_redrive(&history);
        let types: Vec<_> = after.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(types, ["FailStateEntered", "ExecutionFailed"]);
    }

    #[tokio::test]
    async fn a_timed_out_execution_gets_its_whole_timeout_again() {
        let (first, second, history) = run_then_redrive(json!({
            "StartAt": "W",
            "TimeoutSeconds": 5,
            "States": {"W": {"Type": "Wait", "Seconds": 60, "End": true}}
        }))
        .await;
        assert_eq!(
            (first, second),
            (ExecutionStatus::TimedOut, ExecutionStatus::TimedOut)
        );
        let at = |t: EventType| {
            history
                .iter()
                .rev()
                .find(|e| e.event_type == t)
                .unwrap()
                .timestamp
        };
        let ran = at(EventType::ExecutionTimedOut) - at(EventType::ExecutionRedriven);
        assert_eq!(ran.num_seconds(), 5);
        let (_, after) = after_redrive(&history);
        assert_eq!(after[0].event_type, EventType::WaitStateEntered);
    }
}

mod command {
    //! `sagaview run --redrive ARN`, as a user runs it.

    use std::process::Command;

    fn sagaview(args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_sagaview"))
            .args(args)
            .output()
            .expect("run sagaview")
    }

    #[test]
    fn run_redrive_ends_the_outage_and_reports_the_whole_history() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("saga.db");
        let db = db.to_str().unwrap();
        let first = sagaview(&[
            "run",
            "--db",
            db,
            "--instant",
            "--run-type",
            "failPayment",
            "--cancel-failure-rate",
            "1",
            "--trip-id",
            "cli-redrive",
            "--json",
        ]);
        assert_eq!(first.status.code(), Some(1));
        let doc: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
        assert_eq!(doc["verdict"]["level"], "error");
        let arn = doc["executionArn"].as_str().unwrap().to_owned();

        let again = sagaview(&[
            "run",
            "--db",
            db,
            "--instant",
            "--redrive",
            &arn,
            "--cancel-failure-rate",
            "0",
        ]);
        let text = String::from_utf8_lossy(&again.stdout);
        // A clean rollback still ends FAILED: exit 1, as `run` exits.
        assert_eq!(again.status.code(), Some(1), "{text}");
        assert!(text.contains(&format!("execution {arn}")), "{text}");
        assert!(text.contains("ExecutionRedriven"), "{text}");
        assert!(text.contains("rows of trip cli-redrive: none"), "{text}");
        assert!(text.contains("verdict: ok: rolled back cleanly"), "{text}");

        // A saga that succeeded is not redriven.
        let ok = sagaview(&["run", "--db", db, "--instant", "--json"]);
        let doc: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
        let ok_arn = doc["executionArn"].as_str().unwrap().to_owned();
        let refused = sagaview(&["run", "--db", db, "--redrive", &ok_arn]);
        let err = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(1), "{err}");
        assert!(
            err.contains("Execution is SUCCEEDED and cannot be redriven."),
            "{err}"
        );
    }

    #[test]
    fn redrive_takes_no_run_type() {
        let out = sagaview(&[
            "run",
            "--db",
            ":memory:",
            "--redrive",
            "arn:x",
            "--run-type",
            "failPayment",
        ]);
        assert_eq!(out.status.code(), Some(2));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_execution_runs_only_the_states_it_had_not_completed() {
    let options = EmbeddedOptions {
        seed: Some(3),
        pace: Pace::Demo,
        // Slow enough that the stop lands long before the saga would end.
        speed: 20.0,
    };
    let b = EmbeddedBackend::new(Store::open_in_memory().unwrap(), options).unwrap();
    b.set_cancel_failure_rate(0.0).await.unwrap();
    let launch = Launch {
        run_type: RunType::Success,
        trip_id: "trip-stopped".into(),
        cancel_failure_rate: 0.0,
    };
    let arn = b.start(launch).await.unwrap();
    // Stopped once a state has been entered.
    loop {
        let events = b.history_since(&arn, 0).await.unwrap();
        if !entered(&events).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    b.stop(&arn).await.unwrap();
    let stopped = b.history_since(&arn, 0).await.unwrap();
    assert_eq!(
        b.describe(&arn).await.unwrap().status,
        ExecutionStatus::Aborted
    );
    let done: Vec<String> = stopped
        .iter()
        .filter_map(|e| match &e.details {
            Some(EventDetails::StateExited(d)) => Some(d.name.clone()),
            _ => None,
        })
        .collect();

    let again = redrive_once(&b, &arn, POLL).await.unwrap();
    assert_eq!(
        again.summary.status,
        ExecutionStatus::Succeeded,
        "{:?}",
        again
            .events
            .iter()
            .map(|e| (e.event_type, e.failure_text()))
            .collect::<Vec<_>>()
    );
    let (count, after) = after_redrive(&again.events);
    assert_eq!(count, 1);
    // The states that completed before the stop are not run again; the rest are.
    let rerun = entered(after);
    assert!(
        done.iter().all(|d| !rerun.contains(&d.as_str())),
        "{done:?} {rerun:?}"
    );
    assert_eq!(done.len() + rerun.len(), 6, "{done:?} {rerun:?}");
    assert_eq!(again.verdict.unwrap().level, VerdictLevel::Ok);
}
