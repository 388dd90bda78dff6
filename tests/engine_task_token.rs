//! `.waitForTaskToken` on the embedded engine, on virtual time: `$$.Task.Token`, the
//! `TaskSubmitted` event, SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat and their
//! AWS error names.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::DateTime;
use serde_json::{Value, json};

use sagaview::asl::load_definition_value;
use sagaview::engine::{
    Clock, Engine, EngineConfig, FunctionRegistry, InvokeRequest, Payload, TaskTokenError,
};
use sagaview::history::ExecutionStatus;
use sagaview::history::{EventDetails, HistoryEvent};

/// An engine whose `notify` function remembers the token it was sent.
fn engine() -> (Engine, Arc<Mutex<Option<String>>>) {
    let seen = Arc::new(Mutex::new(None));
    let mut registry = FunctionRegistry::new();
    let keep = seen.clone();
    registry.register_fn("notify", move |payload: Value| {
        let token = payload["token"].as_str().map(str::to_owned);
        *keep.lock().unwrap_or_else(|p| p.into_inner()) = token;
        Ok(json!({"notified": true}))
    });
    let config = EngineConfig {
        seed: Some(7),
        ..EngineConfig::default()
    };
    let clock = Clock::virtual_from(DateTime::from_timestamp(1_700_000_000, 0).expect("a time"));
    (Engine::new(config, clock, Arc::new(registry)), seen)
}

/// An engine whose `notify` function remembers the token it was sent, then takes
/// `latency` (virtual) seconds to return, as a function that hands the token to a
/// worker and goes on with other work.
fn slow_engine(latency: u64) -> (Engine, Arc<Mutex<Option<String>>>) {
    let seen = Arc::new(Mutex::new(None));
    let keep = seen.clone();
    let clock = Clock::virtual_from(DateTime::from_timestamp(1_700_000_000, 0).expect("a time"));
    let slow = clock.clone();
    let mut registry = FunctionRegistry::new();
    registry.register(
        "notify",
        Arc::new(move |req: InvokeRequest| {
            let keep = keep.clone();
            let slow = slow.clone();
            Box::pin(async move {
                let token = req.payload.to_value()["token"].as_str().map(str::to_owned);
                *keep.lock().unwrap_or_else(|p| p.into_inner()) = token;
                slow.sleep(Duration::from_secs(latency)).await;
                Ok(Payload::Json(json!({"notified": true})))
            })
        }),
    );
    let config = EngineConfig {
        seed: Some(7),
        ..EngineConfig::default()
    };
    (Engine::new(config, clock, Arc::new(registry)), seen)
}

fn definition(extra: Value) -> Value {
    let mut task = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "notify",
                       "Payload": {"token.$": "$$.Task.Token", "order.$": "$.order"}},
        "HeartbeatSeconds": 10,
        "TimeoutSeconds": 100,
        "End": true
    });
    for (k, v) in extra.as_object().expect("an object") {
        task[k] = v.clone();
    }
    json!({"StartAt": "Approve", "States": {"Approve": task}})
}

/// Starts the execution and returns its ARN and the token once the function has it.
async fn start(engine: &Engine, seen: &Mutex<Option<String>>, extra: Value) -> (String, String) {
    let definition = load_definition_value(&definition(extra)).expect("valid definition");
    let machine = engine.state_machine("approval", definition);
    let arn = engine
        .start(&machine, None, r#"{"order": 42}"#)
        .expect("started");
    engine.clock().sleep(Duration::from_secs(1)).await;
    let token = seen
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .expect("the function received the token");
    (arn, token)
}

/// Runs a test's steps on the engine's virtual time: the clock waits for them whenever
/// they can run, as it waits for the executions.
async fn on_clock<F: std::future::Future>(engine: &Engine, steps: F) -> F::Output {
    engine.clock().track(steps).await
}

fn types(history: &[HistoryEvent]) -> Vec<&'static str> {
    history.iter().map(|e| e.event_type.as_str()).collect()
}

#[tokio::test]
async fn success_ends_the_wait_with_the_output_sent() {
    let (engine, seen) = engine();
    on_clock(&engine, async {
        let (arn, token) = start(&engine, &seen, json!({})).await;
        let waiting = engine.describe(&arn).expect("described");
        assert_eq!(waiting.status, ExecutionStatus::Running);
        engine
            .send_task_success(&token, r#"{"approved": true}"#)
            .expect("accepted");
        let d = engine.wait(&arn).await.expect("ended");
        assert_eq!(d.status, ExecutionStatus::Succeeded);
        assert_eq!(d.output.as_deref(), Some(r#"{"approved":true}"#));
        let history = engine.history_since(&arn, 0).expect("history");
        assert_eq!(
            types(&history),
            [
                "ExecutionStarted",
                "TaskStateEntered",
                "TaskScheduled",
                "TaskStarted",
                "TaskSubmitted",
                "TaskSucceeded",
                "TaskStateExited",
                "ExecutionSucceeded"
            ]
        );
        let scheduled = history
            .iter()
            .find_map(|e| match &e.details {
                Some(EventDetails::TaskScheduled(s)) => Some(s.clone()),
                _ => None,
            })
            .expect("TaskScheduled");
        assert_eq!(scheduled.resource, "invoke.waitForTaskToken");
        assert!(
            scheduled.parameters.contains(&token),
            "{}",
            scheduled.parameters
        );
        assert_eq!(scheduled.heartbeat_in_seconds, Some(10));
        // The token is spent: AWS answers TaskTimedOut for a closed task.
        assert!(matches!(
            engine.send_task_heartbeat(&token),
            Err(TaskTokenError::TaskTimedOut(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn heartbeats_keep_a_task_alive_past_its_heartbeat_seconds() {
    let (engine, seen) = engine();
    on_clock(&engine, async {
        let (arn, token) = start(&engine, &seen, json!({})).await;
        for _ in 0..3 {
            engine.clock().sleep(Duration::from_secs(8)).await;
            engine.send_task_heartbeat(&token).expect("accepted");
        }
        engine.clock().sleep(Duration::from_secs(8)).await;
        engine
            .send_task_success(&token, "\"done\"")
            .expect("accepted");
        let d = engine.wait(&arn).await.expect("ended");
        assert_eq!(d.status, ExecutionStatus::Succeeded);
    })
    .await;
}

#[tokio::test]
async fn a_silent_task_times_out_on_its_heartbeat() {
    let (engine, seen) = engine();
    on_clock(&engine, async {
        let (arn, token) = start(&engine, &seen, json!({})).await;
        let d = engine.wait(&arn).await.expect("ended");
        assert_eq!(d.error.as_deref(), Some("States.HeartbeatTimeout"));
        let history = engine.history_since(&arn, 0).expect("history");
        assert!(types(&history).contains(&"TaskTimedOut"));
        assert!(matches!(
            engine.send_task_success(&token, "{}"),
            Err(TaskTokenError::TaskTimedOut(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn timeout_seconds_bounds_the_wait_whatever_the_heartbeats() {
    let (engine, seen) = engine();
    on_clock(&engine, async {
        let (arn, token) = start(&engine, &seen, json!({"TimeoutSeconds": 20})).await;
        for _ in 0..4 {
            engine.clock().sleep(Duration::from_secs(8)).await;
            let _ = engine.send_task_heartbeat(&token);
        }
        let d = engine.wait(&arn).await.expect("ended");
        assert_eq!(d.error.as_deref(), Some("States.Timeout"));
    })
    .await;
}

#[tokio::test]
async fn failure_is_a_task_error_for_catchers() {
    let (engine, seen) = engine();
    on_clock(&engine, async {
        let mut def = definition(json!({
            "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.why", "Next": "Done"}]
        }));
        def["States"]["Approve"]
            .as_object_mut()
            .expect("an object")
            .remove("End");
        def["States"]["Approve"]["Next"] = json!("Done");
        def["States"]["Done"] = json!({"Type": "Pass", "End": true});
        let definition = load_definition_value(&def).expect("valid definition");
        let machine = engine.state_machine("approval", definition);
        let arn = engine
            .start(&machine, None, r#"{"order": 42}"#)
            .expect("started");
        engine.clock().sleep(Duration::from_secs(1)).await;
        let token = seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .expect("token");
        engine
            .send_task_failure(&token, Some("Rejected"), Some("too expensive"))
            .expect("accepted");
        let d = engine.wait(&arn).await.expect("ended");
        assert_eq!(d.status, ExecutionStatus::Succeeded);
        let output: Value =
            serde_json::from_str(d.output.as_deref().expect("output")).expect("json");
        assert_eq!(
            output,
            json!({"order": 42, "why": {"Error": "Rejected", "Cause": "too expensive"}})
        );
    })
    .await;
}

#[tokio::test]
async fn bad_tokens_and_outputs_get_the_aws_error_names() {
    let (engine, seen) = engine();
    on_clock(&engine, async {
        let (arn, token) = start(&engine, &seen, json!({})).await;
        let name = |r: Result<(), TaskTokenError>| r.map_err(|e| e.aws_name());
        assert_eq!(
            name(engine.send_task_heartbeat("not-a-token")),
            Err("InvalidToken")
        );
        assert_eq!(
            name(engine.send_task_heartbeat(&format!("{token}x"))),
            Err("TaskDoesNotExist")
        );
        assert_eq!(
            name(engine.send_task_success(&token, "{not json")),
            Err("InvalidOutput")
        );
        engine.send_task_success(&token, "1").expect("accepted");
        assert_eq!(
            engine.wait(&arn).await.expect("ended").status,
            ExecutionStatus::Succeeded
        );
    })
    .await;
}

/// SendTaskHeartbeat "resets the Heartbeat clock" (API reference), also while the Lambda
/// function is still running: a function slower than HeartbeatSeconds whose worker
/// heartbeats in time keeps its task alive.
#[tokio::test]
async fn heartbeats_sent_while_the_function_runs_keep_the_task_alive() {
    let (engine, seen) = slow_engine(15);
    on_clock(&engine, async {
        let (arn, token) = start(&engine, &seen, json!({})).await;
        // Heartbeats at t = 5, 9 and 13 (HeartbeatSeconds is 10); the function returns at 15.
        let mut beats = Vec::new();
        for _ in 0..3 {
            engine.clock().sleep(Duration::from_secs(4)).await;
            beats.push(engine.send_task_heartbeat(&token).map_err(|e| e.aws_name()));
        }
        engine.clock().sleep(Duration::from_secs(3)).await;
        let sent = engine
            .send_task_success(&token, "{}")
            .map_err(|e| e.aws_name());
        let d = engine.wait(&arn).await.expect("ended");
        assert_eq!(
            (beats, sent, d.status, d.error),
            (vec![Ok(()); 3], Ok(()), ExecutionStatus::Succeeded, None)
        );
    })
    .await;
}

/// The heartbeat clock starts at TaskStarted, not when the function returned: a silent
/// worker times out HeartbeatSeconds after TaskStarted.
#[tokio::test]
async fn the_heartbeat_clock_runs_from_task_started() {
    let (engine, seen) = slow_engine(6);
    on_clock(&engine, async {
        let (arn, _token) = start(&engine, &seen, json!({})).await;
        let d = engine.wait(&arn).await.expect("ended");
        assert_eq!(d.error.as_deref(), Some("States.HeartbeatTimeout"));
        let history = engine.history_since(&arn, 0).expect("history");
        let started = history
            .iter()
            .find(|e| e.event_type.as_str() == "TaskStarted")
            .expect("TaskStarted");
        let timed_out = history
            .iter()
            .find(|e| e.event_type.as_str() == "TaskTimedOut")
            .expect("TaskTimedOut");
        assert_eq!((timed_out.timestamp - started.timestamp).num_seconds(), 10);
    })
    .await;
}

/// A success sent before the function returned is held until it has: the task ends
/// with it right after `TaskSubmitted`.
#[tokio::test]
async fn a_success_sent_during_the_call_ends_the_task_after_it_returned() {
    let (engine, seen) = slow_engine(5);
    on_clock(&engine, async {
        let (arn, token) = start(&engine, &seen, json!({})).await;
        engine
            .send_task_success(&token, r#"{"early": true}"#)
            .expect("accepted");
        let d = engine.wait(&arn).await.expect("ended");
        assert_eq!(d.status, ExecutionStatus::Succeeded);
        assert_eq!(d.output.as_deref(), Some(r#"{"early":true}"#));
        let history = engine.history_since(&arn, 0).expect("history");
        assert_eq!(
            types(&history)[3..6],
            ["TaskStarted", "TaskSubmitted", "TaskSucceeded"]
        );
    })
    .await;
}

/// An answer sent at the very instant a timer runs out is either refused with
/// `TaskTimedOut`, and the task times out, or accepted, and the task ends with it:
/// never accepted and then lost.
#[tokio::test]
async fn an_answer_accepted_as_a_timer_runs_out_is_honoured() {
    // At t = 10 the heartbeat timer runs out; at t = 20 TimeoutSeconds does (a
    // heartbeat at t = 10 keeps the heartbeat timer from running out first).
    for timeout in [false, true] {
        let (engine, seen) = engine();
        let extra =
            json!({"HeartbeatSeconds": if timeout { 19 } else { 10 }, "TimeoutSeconds": 20});
        let (sent, d) = on_clock(&engine, async {
            let (arn, token) = start(&engine, &seen, extra).await;
            engine.clock().sleep(Duration::from_secs(9)).await;
            if timeout {
                engine.send_task_heartbeat(&token).expect("accepted");
                engine.clock().sleep(Duration::from_secs(10)).await;
            }
            let sent = engine.send_task_success(&token, r#""late""#);
            (sent, engine.wait(&arn).await.expect("ended"))
        })
        .await;
        match sent {
            Ok(()) => assert_eq!(d.output.as_deref(), Some(r#""late""#)),
            Err(e) => {
                assert_eq!(e.aws_name(), "TaskTimedOut");
                assert_eq!(d.status, ExecutionStatus::Failed);
            }
        }
    }
}

/// Stopping an execution while its task waits closes the task's token.
#[tokio::test]
async fn the_token_of_a_stopped_execution_answers_task_timed_out() {
    let (engine, seen) = engine();
    on_clock(&engine, async {
        let (arn, token) = start(&engine, &seen, json!({})).await;
        let d = engine.stop(&arn).await.expect("stopped");
        assert_eq!(d.status, ExecutionStatus::Aborted);
        assert_eq!(
            engine
                .send_task_success(&token, "{}")
                .map_err(|e| e.aws_name()),
            Err("TaskTimedOut")
        );
    })
    .await;
}

/// Each attempt of a retried task gets its own token; the token of a failed attempt
/// answers `TaskTimedOut`.
#[tokio::test]
async fn a_retried_task_gets_a_new_token_per_attempt() {
    let (engine, seen) = engine();
    on_clock(&engine, async {
        let retry = json!({"Retry": [{"ErrorEquals": ["Rejected"], "IntervalSeconds": 1}]});
        let (arn, first) = start(&engine, &seen, retry).await;
        engine
            .send_task_failure(&first, Some("Rejected"), None)
            .expect("accepted");
        engine.clock().sleep(Duration::from_secs(2)).await;
        let second = seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .expect("token");
        assert_ne!(first, second);
        assert_eq!(
            engine.send_task_heartbeat(&first).map_err(|e| e.aws_name()),
            Err("TaskTimedOut")
        );
        engine.send_task_success(&second, "2").expect("accepted");
        let d = engine.wait(&arn).await.expect("ended");
        assert_eq!(d.output.as_deref(), Some("2"));
    })
    .await;
}

/// The API reference bounds SendTaskSuccess `output` (262144 bytes) and SendTaskFailure
/// `error` (256) and `cause` (32768 characters): longer ones are refused and the task
/// keeps waiting.
#[tokio::test]
async fn parameters_over_the_api_limits_are_refused() {
    let (engine, seen) = engine();
    on_clock(&engine, async {
        let (arn, token) = start(&engine, &seen, json!({})).await;
        let name = |r: Result<(), TaskTokenError>| r.map_err(|e| e.aws_name());
        let big = serde_json::to_string(&"x".repeat(300 * 1024)).expect("json");
        assert_eq!(
            name(engine.send_task_success(&token, &big)),
            Err("ValidationException")
        );
        let long_error = "E".repeat(257);
        assert_eq!(
            name(engine.send_task_failure(&token, Some(&long_error), None)),
            Err("ValidationException")
        );
        let long_cause = "c".repeat(32_769);
        assert_eq!(
            name(engine.send_task_failure(&token, Some("E"), Some(&long_cause))),
            Err("ValidationException")
        );
        let at_limit = serde_json::to_string(&"x".repeat(262_142)).expect("json");
        assert_eq!(name(engine.send_task_success(&token, &at_limit)), Ok(()));
        let d = engine.wait(&arn).await.expect("ended");
        assert_eq!(d.status, ExecutionStatus::Succeeded);
    })
    .await;
}

/// SendTaskFailure without error or cause: both stay absent, in `TaskFailed` and in
/// what a catcher hands on (no `"error": ""` or `{"Error": ""}`).
#[tokio::test]
async fn a_failure_without_error_or_cause_leaves_them_absent() {
    let (engine, seen) = engine();
    on_clock(&engine, async {
        let mut def = definition(json!({
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.why", "Next": "Done"}]
        }));
        def["States"]["Approve"]
            .as_object_mut()
            .expect("an object")
            .remove("End");
        def["States"]["Approve"]["Next"] = json!("Done");
        def["States"]["Done"] = json!({"Type": "Pass", "End": true});
        let machine = engine.state_machine("approval", load_definition_value(&def).expect("valid"));
        let arn = engine
            .start(&machine, None, r#"{"order": 42}"#)
            .expect("started");
        engine.clock().sleep(Duration::from_secs(1)).await;
        let token = seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .expect("token");
        engine
            .send_task_failure(&token, None, None)
            .expect("accepted");
        let d = engine.wait(&arn).await.expect("ended");
        let output: Value =
            serde_json::from_str(d.output.as_deref().expect("output")).expect("json");
        assert_eq!(output, json!({"order": 42, "why": {}}));
        let history = engine.history_since(&arn, 0).expect("history");
        let failed = history
            .iter()
            .find_map(|e| match &e.details {
                Some(EventDetails::TaskFailed(f)) => Some(f.clone()),
                _ => None,
            })
            .expect("TaskFailed");
        assert_eq!((failed.error, failed.cause), (None, None));
    })
    .await;
}
