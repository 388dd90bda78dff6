//! The saga on the embedded runtime: the same ASL file and handler code, the reference
//! flows, the table afterwards, retries on the (virtual) clock, and durability.

use saga_lambdas::{AttrValue, RunType};
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::backend::{Launch, SagaBackend};
use sagaview::engine::Pace;
use sagaview::headless::run_once;
use sagaview::history::ExecutionStatus;
use sagaview::history::{EventDetails, EventType, HistoryEvent};
use sagaview::store::Store;
use sagaview::view::verdict::VerdictLevel;
use std::time::Duration;

const SORRY: &str = "Sorry, We Couldn't make the booking";
const BOOKED: &str = "We have made your booking!";

fn backend(store: Store, seed: u64) -> EmbeddedBackend {
    let options = EmbeddedOptions {
        seed: Some(seed),
        pace: Pace::Instant,
        ..EmbeddedOptions::default()
    };
    EmbeddedBackend::new(store, options).expect("embedded backend")
}

/// Both ways a history is written: inline into an in-memory store, and through the
/// writer thread into a file store.
fn both_stores() -> (tempfile::TempDir, [Store; 2]) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = Store::open(dir.path().join("saga.db")).expect("file store");
    (dir, [Store::open_in_memory().expect("memory store"), file])
}

fn launch(run_type: RunType, trip: &str, rate: f64) -> Launch {
    Launch {
        run_type,
        trip_id: trip.to_string(),
        cancel_failure_rate: rate,
    }
}

fn entered(events: &[HistoryEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.details {
            Some(EventDetails::StateEntered(d)) => Some(d.name.clone()),
            _ => None,
        })
        .collect()
}

fn status_of(row: &saga_lambdas::Item) -> &str {
    match row.get("transaction_status") {
        Some(AttrValue::S(s)) => s,
        _ => "",
    }
}

#[tokio::test]
async fn every_run_type_follows_the_reference_flow() {
    let expected: [(RunType, &[&str]); 6] = [
        (
            RunType::Success,
            &[
                "ReserveHotel",
                "ReserveFlight",
                "TakePayment",
                "ConfirmHotelBooking",
                "ConfirmFlight",
                BOOKED,
            ],
        ),
        (
            RunType::FailHotelReservation,
            &["ReserveHotel", "CancelHotelReservation", SORRY],
        ),
        (
            RunType::FailFlightsReservation,
            &[
                "ReserveHotel",
                "ReserveFlight",
                "CancelFlightReservation",
                "CancelHotelReservation",
                SORRY,
            ],
        ),
        (
            RunType::FailPayment,
            &[
                "ReserveHotel",
                "ReserveFlight",
                "TakePayment",
                "RefundPayment",
                "CancelFlightReservation",
                "CancelHotelReservation",
                SORRY,
            ],
        ),
        (
            RunType::FailHotelConfirmation,
            &[
                "ReserveHotel",
                "ReserveFlight",
                "TakePayment",
                "ConfirmHotelBooking",
                "RefundPayment",
                "CancelFlightReservation",
                "CancelHotelReservation",
                SORRY,
            ],
        ),
        (
            RunType::FailFlightsConfirmation,
            &[
                "ReserveHotel",
                "ReserveFlight",
                "TakePayment",
                "ConfirmHotelBooking",
                "ConfirmFlight",
                "RefundPayment",
                "CancelFlightReservation",
                "CancelHotelReservation",
                SORRY,
            ],
        ),
    ];
    let (_dir, stores) = both_stores();
    for store in stores {
        let b = backend(store, 1);
        for (run_type, flow) in expected {
            check_reference_flow(&b, run_type, flow).await;
        }
    }
}

async fn check_reference_flow(b: &EmbeddedBackend, run_type: RunType, flow: &[&str]) {
    let trip = format!("trip-{run_type}");
    let report = run_once(b, launch(run_type, &trip, 0.0), Duration::from_millis(5))
        .await
        .unwrap();
    assert_eq!(entered(&report.events), flow, "{run_type}, {:?}", b.store());
    let verdict = report.verdict.expect("a finished run has a verdict");
    assert_eq!(
        verdict.level,
        VerdictLevel::Ok,
        "{run_type}: {}",
        verdict.text
    );
    if run_type == RunType::Success {
        assert_eq!(report.summary.status, ExecutionStatus::Succeeded);
        assert_eq!(report.rows.len(), 3);
        assert!(report.rows.iter().all(|r| status_of(r) == "confirmed"));
    } else {
        assert_eq!(report.summary.status, ExecutionStatus::Failed);
        assert_eq!(report.summary.error.as_deref(), Some("BookingFailed"));
        assert!(report.rows.is_empty(), "{run_type}: {:?}", report.rows);
        // The failing step was caught: it exited with the {Error, Cause} output.
        let last = report.events.last().unwrap();
        assert_eq!(last.event_type, EventType::ExecutionFailed);
    }
}

#[tokio::test]
async fn an_exhausted_compensation_waits_1_2_4_seconds_and_leaves_rows_behind() {
    let (_dir, stores) = both_stores();
    for store in stores {
        check_exhausted_compensation(store).await;
    }
}

async fn check_exhausted_compensation(store: Store) {
    let b = backend(store, 7);
    let report = run_once(
        &b,
        launch(RunType::FailPayment, "orphans", 1.0),
        Duration::from_millis(5),
    )
    .await
    .unwrap();
    assert_eq!(report.summary.status, ExecutionStatus::Failed);
    assert_eq!(report.summary.error.as_deref(), Some("InternalServerError"));
    // Four attempts of RefundPayment, then the execution fails in that state.
    let scheduled: Vec<&HistoryEvent> = report
        .events
        .iter()
        .filter(|e| e.event_type == EventType::TaskScheduled)
        .skip(3)
        .collect();
    assert_eq!(scheduled.len(), 4);
    let failed: Vec<&HistoryEvent> = report
        .events
        .iter()
        .filter(|e| e.event_type == EventType::TaskFailed)
        .skip(1)
        .collect();
    let waits: Vec<i64> = failed
        .iter()
        .zip(&scheduled[1..])
        .map(|(f, s)| (s.timestamp - f.timestamp).num_milliseconds())
        .collect();
    assert_eq!(waits, [1000, 2000, 4000]);
    // Retries stay inside one StateEntered … span: RefundPayment entered once, never exited.
    assert_eq!(
        entered(&report.events).last().map(String::as_str),
        Some("RefundPayment")
    );
    assert!(!report.events.iter().any(|e| matches!(&e.details,
        Some(EventDetails::StateExited(d)) if d.name == "RefundPayment")));
    assert_eq!(report.rows.len(), 2, "hotel and flight stay pending");
    let verdict = report.verdict.unwrap();
    assert_eq!(verdict.level, VerdictLevel::Error);
    assert_eq!(verdict.orphans.len(), 2);
    assert!(verdict.text.contains("RefundPayment"), "{}", verdict.text);
}

#[tokio::test]
async fn history_ids_and_causal_links_are_consistent() {
    let b = backend(Store::open_in_memory().unwrap(), 3);
    let report = run_once(
        &b,
        launch(RunType::FailPayment, "links", 0.0),
        Duration::from_millis(5),
    )
    .await
    .unwrap();
    for (i, e) in report.events.iter().enumerate() {
        assert_eq!(e.id, i as u64 + 1);
        assert!(e.previous_event_id < e.id);
    }
    // The caught TakePayment failure exits the state with {Error, Cause} at ResultPath.
    let exited = report
        .events
        .iter()
        .find_map(|e| match &e.details {
            Some(EventDetails::StateExited(d)) if d.name == "TakePayment" => Some(d.output.clone()),
            _ => None,
        })
        .expect("TakePayment exited");
    let out: serde_json::Value = serde_json::from_str(&exited).unwrap();
    assert_eq!(out["TakePaymentError"]["Error"], "PaymentFailed");
    assert!(
        out["TakePaymentError"]["Cause"]
            .as_str()
            .unwrap()
            .contains("errorMessage")
    );
}

#[tokio::test]
async fn the_same_seed_replays_the_same_compensation_failures() {
    let mut flows = Vec::new();
    for _ in 0..2 {
        let b = backend(Store::open_in_memory().unwrap(), 42);
        let report = run_once(
            &b,
            launch(RunType::FailPayment, "seeded", 0.5),
            Duration::from_millis(5),
        )
        .await
        .unwrap();
        let types: Vec<EventType> = report.events.iter().map(|e| e.event_type).collect();
        flows.push(types);
    }
    assert_eq!(flows[0], flows[1]);
}

#[test]
fn executions_and_rows_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("saga.db");
    let arn = {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let b = backend(Store::open(&path).unwrap(), 5);
            let r = run_once(
                &b,
                launch(RunType::Success, "durable", 0.0),
                Duration::from_millis(5),
            )
            .await
            .unwrap();
            r.summary.execution_arn
        })
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let b = backend(Store::open(&path).unwrap(), 5);
        let listed = b.list_executions(10).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].execution_arn, arn);
        assert_eq!(listed[0].status, ExecutionStatus::Succeeded);
        assert_eq!(listed[0].run_type.as_deref(), Some("success"));
        let events = b.history_since(&arn, 0).await.unwrap();
        assert_eq!(
            events.last().unwrap().event_type,
            EventType::ExecutionSucceeded
        );
        let tail = b
            .history_since(&arn, events.len() as u64 - 2)
            .await
            .unwrap();
        assert_eq!(
            tail.len(),
            2,
            "incremental polling returns only newer events"
        );
        assert_eq!(b.rows("durable").await.unwrap().len(), 3);
    });
}

#[tokio::test]
async fn a_running_execution_can_be_stopped() {
    // Paced real time, slowed down, so the retry backoff keeps the execution running.
    let options = EmbeddedOptions {
        seed: Some(1),
        pace: Pace::Aws,
        speed: 0.1,
    };
    let b = EmbeddedBackend::new(Store::open_in_memory().unwrap(), options).unwrap();
    let arn = b
        .start(launch(RunType::FailPayment, "stopme", 1.0))
        .await
        .unwrap();
    // Wait until the first compensation failed and is waiting to retry.
    for _ in 0..200 {
        let ev = b.history_since(&arn, 0).await.unwrap();
        if ev
            .iter()
            .filter(|e| e.event_type == EventType::TaskFailed)
            .count()
            >= 2
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    b.stop(&arn).await.unwrap();
    let s = b.describe(&arn).await.unwrap();
    assert_eq!(s.status, ExecutionStatus::Aborted);
    let events = b.history_since(&arn, 0).await.unwrap();
    assert_eq!(
        events.last().unwrap().event_type,
        EventType::ExecutionAborted
    );
}

#[tokio::test]
async fn an_ended_execution_always_comes_with_its_whole_history() {
    // Virtual time lets the run end before the store writer has committed anything;
    // the status must never say "ended" while the history is still missing.
    let dir = tempfile::tempdir().expect("temporary folder");
    for i in 0..40 {
        // A fresh backend each time: every other time a file store, whose writer
        // thread has only just started.
        let store = if i % 2 == 0 {
            Store::open(dir.path().join(format!("whole-{i}.db"))).expect("file store")
        } else {
            Store::open_in_memory().expect("memory store")
        };
        let b = backend(store, 5);
        let report = run_once(
            &b,
            launch(RunType::Success, &format!("whole-{i}"), 0.0),
            Duration::from_millis(20),
        )
        .await
        .unwrap();
        assert_eq!(report.summary.status, ExecutionStatus::Succeeded);
        assert_eq!(
            report.events.last().map(|e| e.event_type),
            Some(EventType::ExecutionSucceeded),
            "run {i} reported SUCCEEDED with {} events",
            report.events.len()
        );
        assert!(report.verdict.is_some(), "run {i} has no verdict");
    }
}
