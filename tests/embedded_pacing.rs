//! Paced runs on the embedded runtime: pause holds every execution between two events,
//! a step adds exactly one event, the history carries the paced times, and a seed
//! replays a demo's timing exactly.

use std::time::Duration;

use saga_lambdas::{AttrValue, Item, RunType};
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::backend::{ClockControl, Launch, SagaBackend};
use sagaview::engine::Pace;
use sagaview::history::ExecutionStatus;
use sagaview::history::{EventDetails, EventType, HistoryEvent};
use sagaview::store::Store;

fn backend(pace: Pace, seed: u64, speed: f64) -> EmbeddedBackend {
    let options = EmbeddedOptions {
        seed: Some(seed),
        pace,
        speed,
    };
    EmbeddedBackend::new(Store::open_in_memory().expect("memory store"), options)
        .expect("embedded backend")
}

fn controls(b: &EmbeddedBackend) -> &dyn ClockControl {
    b.clock_control()
        .expect("the embedded runtime owns its clock")
}

fn launch(run_type: RunType, trip: &str) -> Launch {
    Launch {
        run_type,
        trip_id: trip.to_owned(),
        cancel_failure_rate: 0.0,
    }
}

fn status(row: &Item) -> &str {
    match row.get("transaction_status") {
        Some(AttrValue::S(s)) => s,
        _ => "",
    }
}

fn row_status(rows: &[Item], kind: &str) -> Option<String> {
    rows.iter()
        .find(|r| matches!(r.get("type"), Some(AttrValue::S(t)) if t == kind))
        .map(|r| status(r).to_owned())
}

/// Steps a paused execution to its end, checking that each step adds exactly one
/// event; returns the history and the hotel row's status after each event.
async fn step_through(
    b: &EmbeddedBackend,
    arn: &str,
    trip: &str,
) -> (Vec<HistoryEvent>, Vec<Option<String>>) {
    let mut hotel = Vec::new();
    for n in 1..=200 {
        controls(b).step(arn).await.expect("a step");
        let events = b.history_since(arn, 0).await.expect("history");
        assert_eq!(events.len(), n, "step {n} added exactly one event");
        let rows = b.rows(trip).await.expect("rows");
        hotel.push(row_status(&rows, "Hotel"));
        if events
            .last()
            .is_some_and(|e| e.event_type.as_str().starts_with("Execution") && n > 1)
        {
            return (events, hotel);
        }
    }
    panic!("the execution did not end within 200 steps");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_run_holds_still_and_steps_one_event_at_a_time() {
    let b = backend(Pace::Demo, 1, 1.0);
    controls(&b).set_paused(true);
    let arn = b
        .start(launch(RunType::Success, "paused"))
        .await
        .expect("started");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        b.history_since(&arn, 0).await.expect("history").is_empty(),
        "nothing happens while paused"
    );
    let (events, hotel) = step_through(&b, &arn, "paused").await;
    assert_eq!(
        events.last().map(|e| e.event_type),
        Some(EventType::ExecutionSucceeded)
    );
    // The hotel row is seen pending for several events before it is confirmed.
    let pending = hotel
        .iter()
        .filter(|s| s.as_deref() == Some("pending"))
        .count();
    let first_confirmed = hotel.iter().position(|s| s.as_deref() == Some("confirmed"));
    let first_pending = hotel.iter().position(|s| s.as_deref() == Some("pending"));
    assert!(pending >= 10, "pending for {pending} events");
    assert!(first_pending < first_confirmed, "{hotel:?}");
    assert!(controls(&b).is_paused(), "stepping leaves the clock paused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_carries_the_demo_pace() {
    let b = backend(Pace::Demo, 2, 1.0);
    controls(&b).set_paused(true);
    let arn = b
        .start(launch(RunType::FailPayment, "paced"))
        .await
        .expect("started");
    let (events, _) = step_through(&b, &arn, "paced").await;
    let task_time = |state: &str| {
        let started = events.iter().position(
            |e| matches!(&e.details, Some(EventDetails::StateEntered(d)) if d.name == state),
        )?;
        let began = events[started..]
            .iter()
            .find(|e| e.event_type == EventType::TaskStarted)?;
        let ended = events[started..].iter().find(|e| {
            matches!(
                e.event_type,
                EventType::TaskSucceeded | EventType::TaskFailed
            )
        })?;
        Some((ended.timestamp - began.timestamp).num_milliseconds())
    };
    let forward = task_time("ReserveHotel").expect("ReserveHotel ran");
    let back = task_time("CancelHotelReservation").expect("CancelHotelReservation ran");
    assert!(
        (1200..1800).contains(&forward),
        "a forward step takes {forward} ms"
    );
    assert!((500..800).contains(&back), "a compensation takes {back} ms");
    let total = events.last().expect("events").timestamp - events[0].timestamp;
    assert!(total.num_seconds() >= 8, "{total}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_replays_the_same_timing() {
    let mut timings = Vec::new();
    for _ in 0..2 {
        let b = backend(Pace::Demo, 42, 1.0);
        controls(&b).set_paused(true);
        let arn = b
            .start(launch(RunType::FailFlightsReservation, "replay"))
            .await
            .expect("started");
        let (events, _) = step_through(&b, &arn, "replay").await;
        let start = events[0].timestamp;
        timings.push(
            events
                .iter()
                .map(|e| (e.event_type, (e.timestamp - start).num_milliseconds()))
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(timings[0], timings[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_execution_can_still_be_stopped() {
    let b = backend(Pace::Demo, 3, 1.0);
    controls(&b).set_paused(true);
    let arn = b
        .start(launch(RunType::Success, "stopped"))
        .await
        .expect("started");
    for _ in 0..4 {
        controls(&b).step(&arn).await.expect("a step");
    }
    tokio::time::timeout(Duration::from_secs(10), b.stop(&arn))
        .await
        .expect("the stop did not wait for the clock")
        .expect("stopped");
    let s = b.describe(&arn).await.expect("described");
    assert_eq!(s.status, ExecutionStatus::Aborted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_runs_to_the_end_at_the_speed_asked() {
    let b = backend(Pace::Demo, 4, 100.0);
    controls(&b).set_paused(true);
    let arn = b
        .start(launch(RunType::Success, "resumed"))
        .await
        .expect("started");
    controls(&b).step(&arn).await.expect("a step");
    controls(&b).set_paused(false);
    let s = tokio::time::timeout(Duration::from_secs(30), b.wait(&arn))
        .await
        .expect("ended")
        .expect("described");
    assert_eq!(s.status, ExecutionStatus::Succeeded);
}

#[tokio::test]
async fn stepping_needs_a_pause_and_a_running_execution() {
    let b = backend(Pace::Instant, 5, 1.0);
    let arn = b
        .start(launch(RunType::Success, "free"))
        .await
        .expect("started");
    let s = b.wait(&arn).await.expect("ended");
    assert_eq!(s.status, ExecutionStatus::Succeeded);
    let e = controls(&b).step(&arn).await.expect_err("not paused");
    assert!(e.to_string().contains("while paused"), "{e}");
    controls(&b).set_paused(true);
    let e = controls(&b).step(&arn).await.expect_err("ended");
    assert!(e.to_string().contains("ended"), "{e}");
}
