//! Step Functions' execution limits on the embedded runtime, in process: the history
//! limit, the one-year maximum, and the execution's time staying where it is when flows
//! run side by side. (`tests/hostile_definitions.rs` runs the hostile cases in child
//! processes with memory and time budgets.)

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use sagaview::asl::load_definition_value;
use sagaview::engine::limits::{HISTORY_LIMIT_CAUSE, MAX_HISTORY_EVENTS};
use sagaview::engine::{Clock, Engine, EngineConfig, EngineError, FunctionRegistry};
use sagaview::history::{ExecutionStatus, HistoryEvent};

fn start_time() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).expect("a date")
}

fn engine() -> Engine {
    let config = EngineConfig {
        seed: Some(1),
        ..EngineConfig::default()
    };
    Engine::new(
        config,
        Clock::virtual_from(start_time()),
        Arc::new(FunctionRegistry::new()),
    )
}

async fn run(
    engine: &Engine,
    definition: Value,
) -> (sagaview::engine::ExecutionDescription, Vec<HistoryEvent>) {
    let definition = load_definition_value(&definition).expect("valid definition");
    let machine = engine.state_machine("limits", definition);
    let arn = engine.start(&machine, None, "{}").expect("started");
    let description = engine.wait(&arn).await.expect("exists");
    let history = engine.history_since(&arn, 0).expect("kept");
    (description, history)
}

#[tokio::test]
async fn a_busy_loop_fails_at_the_history_limit_as_aws_reports_it() {
    let (d, history) = run(
        &engine(),
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "P"}}}),
    )
    .await;
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(d.error.as_deref(), Some("States.Runtime"));
    assert_eq!(d.cause.as_deref(), Some(HISTORY_LIMIT_CAUSE));
    assert_eq!(history.len() as u64, MAX_HISTORY_EVENTS);
    let last = history.last().expect("events");
    assert_eq!(last.event_type.as_str(), "ExecutionFailed");
    // Ids stay gap-free up to the last one.
    assert!(
        history
            .iter()
            .enumerate()
            .all(|(i, e)| e.id == i as u64 + 1)
    );
}

#[tokio::test]
async fn parallel_flows_pacing_side_by_side_keep_the_execution_time() {
    let (d, history) = run(
        &engine(),
        json!({"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "A", "States": {
                "A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "C"},
                "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "IsPresent": true, "Next": "D"}], "Default": "A"},
                "D": {"Type": "Succeed"}}},
            {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "Next": "W"}}}]}}}),
    )
    .await;
    assert_eq!(d.status, ExecutionStatus::Failed, "{:?}", d.cause);
    // Thousands of transitions of 1 ms and waits of 1 s: minutes of virtual time,
    // never the centuries a lag wrapped below zero gave.
    let last = history.last().expect("events").timestamp;
    assert!(last - start_time() < Duration::hours(1), "ended at {last}");
    assert!(
        history
            .iter()
            .all(|e| e.timestamp - start_time() < Duration::hours(1)),
        "an event was stamped centuries ahead"
    );
}

#[tokio::test]
async fn a_wait_past_the_one_year_maximum_times_the_execution_out_at_one_year() {
    let (d, history) = run(
        &engine(),
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 99_999_999, "End": true}}}),
    )
    .await;
    assert_eq!(d.status, ExecutionStatus::TimedOut);
    let last = history.last().expect("events");
    assert_eq!(last.event_type.as_str(), "ExecutionTimedOut");
    let ran = last.timestamp - start_time();
    assert!(
        ran >= Duration::days(366) && ran < Duration::days(367),
        "{ran}"
    );
}

#[tokio::test]
async fn an_input_over_the_payload_limit_is_refused_at_start() {
    let engine = engine();
    let definition = load_definition_value(
        &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
    )
    .expect("valid");
    let machine = engine.state_machine("limits", definition);
    let input = json!({ "s": "x".repeat(262_144) }).to_string();
    match engine.start(&machine, None, &input) {
        Err(EngineError::InputTooLarge(n)) => assert_eq!(n, input.len()),
        other => panic!("expected InputTooLarge, got {other:?}"),
    }
}
