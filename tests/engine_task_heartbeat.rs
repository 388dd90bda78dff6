//! Task `HeartbeatSeconds`: checked at load, written to `TaskScheduled`, and a task that
//! goes longer without a heartbeat times out with `States.HeartbeatTimeout`.

use std::sync::Arc;
use std::time::Duration;

use chrono::DateTime;
use serde_json::{Value, json};

use sagaview::asl::{DefinitionError, load_definition_value};
use sagaview::engine::{
    Clock, Engine, EngineConfig, ExecutionDescription, FunctionRegistry, InvokeRequest, Payload,
};
use sagaview::history::ExecutionStatus;
use sagaview::history::{EventDetails, EventType, HistoryEvent};

/// An engine whose `echo` function takes `latency` seconds of virtual time.
fn engine(latency: u64) -> Engine {
    let config = EngineConfig {
        seed: Some(1),
        ..EngineConfig::default()
    };
    let clock = Clock::virtual_from(DateTime::from_timestamp(1_700_000_000, 0).expect("a time"));
    let mut registry = FunctionRegistry::new();
    let slow = clock.clone();
    registry.register(
        "echo",
        Arc::new(move |req: InvokeRequest| {
            let slow = slow.clone();
            Box::pin(async move {
                slow.sleep(Duration::from_secs(latency)).await;
                Ok(Payload::Json(req.payload.to_value().into_owned()))
            })
        }),
    );
    Engine::new(config, clock, Arc::new(registry))
}

fn task(extra: Value) -> Value {
    let mut task = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "echo", "Payload.$": "$"},
        "End": true
    });
    for (k, v) in extra.as_object().expect("an object") {
        task[k] = v.clone();
    }
    json!({"StartAt": "T", "States": {"T": task}})
}

async fn run(latency: u64, definition: Value) -> (ExecutionDescription, Vec<HistoryEvent>) {
    let engine = engine(latency);
    let definition = load_definition_value(&definition).expect("valid definition");
    let machine = engine.state_machine("heartbeat", definition);
    let arn = engine
        .start(&machine, None, r#"{"h": 3}"#)
        .expect("started");
    let description = engine.wait(&arn).await.expect("ended");
    let history = engine.history_since(&arn, 0).expect("history");
    (description, history)
}

#[tokio::test]
async fn a_task_quicker_than_its_heartbeat_succeeds_and_records_the_limit() {
    let (d, history) = run(
        2,
        task(json!({"HeartbeatSeconds": 5, "TimeoutSeconds": 60})),
    )
    .await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    let scheduled = history
        .iter()
        .find_map(|e| match &e.details {
            Some(EventDetails::TaskScheduled(s)) => Some(s.clone()),
            _ => None,
        })
        .expect("a TaskScheduled event");
    assert_eq!(scheduled.heartbeat_in_seconds, Some(5));
    assert_eq!(scheduled.timeout_in_seconds, Some(60));
}

#[tokio::test]
async fn a_silent_task_times_out_on_its_heartbeat() {
    let (d, history) = run(10, task(json!({"HeartbeatSecondsPath": "$.h"}))).await;
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(d.error.as_deref(), Some("States.HeartbeatTimeout"));
    let timed_out = history
        .iter()
        .find(|e| e.event_type == EventType::TaskTimedOut)
        .expect("a TaskTimedOut event");
    match &timed_out.details {
        Some(EventDetails::TaskTimedOut(t)) => {
            assert_eq!(t.error.as_deref(), Some("States.HeartbeatTimeout"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_heartbeat_timeout_is_a_states_timeout_for_retry_and_catch() {
    let definition = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:echo",
              "HeartbeatSeconds": 1,
              "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Caught"}],
              "End": true},
        "Caught": {"Type": "Pass", "End": true}}});
    let (d, history) = run(10, definition).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    assert!(
        history
            .iter()
            .any(|e| e.event_type == EventType::LambdaFunctionTimedOut)
    );
    let output: Value = serde_json::from_str(d.output.as_deref().expect("output")).expect("json");
    assert_eq!(output["Error"], "States.HeartbeatTimeout");
}

#[test]
fn a_heartbeat_not_below_the_timeout_is_refused_with_the_state_and_the_reason() {
    match load_definition_value(&task(json!({"HeartbeatSeconds": 60, "TimeoutSeconds": 60}))) {
        Err(DefinitionError::State { state, reason }) => {
            assert_eq!(state, "T");
            assert!(reason.contains("smaller than 'TimeoutSeconds'"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}
