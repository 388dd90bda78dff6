//! The executions API on the virtual clock: retries, catch, history links,
//! stop, timeouts, observers and concurrent runs.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use sagaview::asl::load_definition_value;
use sagaview::engine::{
    Clock, Engine, EngineConfig, ExecutionDescription, ExecutionObserver, FunctionRegistry,
    InvokeRequest, Payload, RequestPayload, TaskFailure,
};
use sagaview::history::{EventDetails, EventType, ExecutionStatus, HistoryEvent};

fn start_time() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap()
}

fn engine_with(registry: FunctionRegistry) -> Engine {
    let config = EngineConfig {
        seed: Some(1),
        ..EngineConfig::default()
    };
    Engine::new(
        config,
        Clock::virtual_from(start_time()),
        Arc::new(registry),
    )
}

fn registry() -> FunctionRegistry {
    let mut r = FunctionRegistry::new();
    r.register_fn("echo", Ok);
    r.register_fn("always-fails", |_| {
        Err(TaskFailure::from_message("HotelUnavailable", "no rooms"))
    });
    r
}

async fn run(
    engine: &Engine,
    definition: Value,
    input: &str,
) -> (ExecutionDescription, Vec<HistoryEvent>) {
    let definition = load_definition_value(&definition).expect("valid definition");
    let machine = engine.state_machine("test", definition);
    let arn = engine.start(&machine, None, input).expect("started");
    let description = engine.wait(&arn).await.unwrap();
    let history = engine.history_since(&arn, 0).unwrap();
    (description, history)
}

fn types(history: &[HistoryEvent]) -> Vec<&'static str> {
    history.iter().map(|e| e.event_type.as_str()).collect()
}

fn lambda_arn(name: &str) -> String {
    format!("arn:aws:lambda:us-east-1:123456789012:function:{name}")
}

#[tokio::test]
async fn retries_back_off_1_2_4_seconds_then_fail() {
    let engine = engine_with(registry());
    let (d, history) = run(
        &engine,
        json!({"StartAt": "Book", "States": {"Book": {
            "Type": "Task", "Resource": lambda_arn("always-fails"),
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2.0}],
            "End": true}}}),
        "{}",
    )
    .await;
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(d.error.as_deref(), Some("HotelUnavailable"));
    let scheduled: Vec<&HistoryEvent> = history
        .iter()
        .filter(|e| e.event_type == EventType::LambdaFunctionScheduled)
        .collect();
    assert_eq!(scheduled.len(), 4, "one attempt plus three retries");
    let offsets: Vec<i64> = scheduled
        .iter()
        .map(|e| (e.timestamp - start_time()).num_seconds())
        .collect();
    assert_eq!(offsets, vec![0, 1, 3, 7]);
    // After a retry wait, the next attempt points back at the failure that caused it.
    for e in &scheduled[1..] {
        let previous = &history[(e.previous_event_id - 1) as usize];
        assert_eq!(previous.event_type, EventType::LambdaFunctionFailed);
    }
    assert_eq!(
        history.last().unwrap().event_type,
        EventType::ExecutionFailed
    );
    assert_eq!(
        history.last().unwrap().previous_event_id,
        history[history.len() - 2].id,
        "an uncaught error goes straight to ExecutionFailed"
    );
}

/// A function that keeps every payload it is handed and echoes it.
fn recording(seen: Arc<Mutex<Vec<RequestPayload>>>) -> FunctionRegistry {
    let mut r = FunctionRegistry::new();
    r.register(
        "keep",
        Arc::new(move |req: InvokeRequest| {
            let doc = req.payload.to_value().into_owned();
            seen.lock().unwrap().push(req.payload);
            Box::pin(async move { Ok(Payload::Json(doc)) })
        }),
    );
    r
}

#[tokio::test]
async fn a_task_passing_its_whole_input_hands_the_function_its_text() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let engine = engine_with(recording(seen.clone()));
    let task = |payload: Value, next: Value| {
        let mut t = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "keep", "Extra": 1},
            "ResultSelector": {"echo.$": "$.Payload"}, "ResultPath": "$.r"});
        t["Parameters"]
            .as_object_mut()
            .unwrap()
            .extend(payload.as_object().unwrap().clone());
        t.as_object_mut()
            .unwrap()
            .extend(next.as_object().unwrap().clone());
        t
    };
    let input = r#"{"trip":{"id":"T1","n":[1,2.5,null]},"quote":"a\"b"}"#;
    let (d, history) = run(
        &engine,
        json!({"StartAt": "First", "States": {
            "First": task(json!({"Payload.$": "$"}), json!({"Next": "Whole"})),
            "Whole": task(json!({"Payload.$": "$"}), json!({"Next": "Part"})),
            "Part": task(json!({"Payload.$": "$.trip"}), json!({"Next": "Constant"})),
            "Constant": task(json!({"Payload": {"fixed": true}}), json!({"End": true}))}}),
        input,
    )
    .await;
    assert_eq!(d.status, ExecutionStatus::Succeeded, "{d:?}");
    let seen = seen.lock().unwrap();
    let doc: Value = serde_json::from_str(input).unwrap();
    // The whole input goes as its text, once the flow has written that text itself
    // (the execution's input is kept as it was given); anything else as a document.
    assert_eq!(seen[0], RequestPayload::Value(doc.clone()));
    let mut second = doc.clone();
    second["r"] = json!({"echo": doc});
    assert_eq!(seen[1], RequestPayload::Text(second.to_string()));
    assert_eq!(seen[2], RequestPayload::Value(doc["trip"].clone()));
    assert_eq!(seen[3], RequestPayload::Value(json!({"fixed": true})));
    // The history and the output are as if the document had been handed over.
    let scheduled: Vec<Value> = history
        .iter()
        .filter_map(|e| match &e.details {
            Some(EventDetails::TaskScheduled(s)) => {
                Some(serde_json::from_str(&s.parameters).unwrap())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        scheduled[1],
        json!({"FunctionName": "keep", "Extra": 1, "Payload": second})
    );
    let output: Value = serde_json::from_str(d.output.as_deref().unwrap()).unwrap();
    assert_eq!(output["r"]["echo"], json!({"fixed": true}));
    assert_eq!(output["trip"], doc["trip"]);
}

#[tokio::test]
async fn catch_puts_error_and_cause_at_result_path() {
    let engine = engine_with(registry());
    let (d, history) = run(
        &engine,
        json!({"StartAt": "Book", "States": {
            "Book": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                     "Parameters": {"FunctionName": "always-fails", "Payload.$": "$"},
                     "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Undo"}],
                     "End": true},
            "Undo": {"Type": "Pass", "End": true}}}),
        r#"{"trip": 7}"#,
    )
    .await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    let output: Value = serde_json::from_str(d.output.as_deref().unwrap()).unwrap();
    assert_eq!(output["trip"], 7);
    assert_eq!(output["error"]["Error"], "HotelUnavailable");
    assert_eq!(
        output["error"]["Cause"],
        r#"{"errorMessage":"no rooms","errorType":"HotelUnavailable"}"#
    );
    assert_eq!(
        types(&history),
        vec![
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "TaskStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
}

#[tokio::test]
async fn previous_event_ids_follow_the_flow() {
    let engine = engine_with(registry());
    let (_, history) = run(
        &engine,
        json!({"StartAt": "Call", "States": {
            "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                     "Parameters": {"FunctionName": "echo", "Payload.$": "$"}, "Next": "Done"},
            "Done": {"Type": "Succeed"}}}),
        "{}",
    )
    .await;
    let links: Vec<(u64, u64)> = history
        .iter()
        .map(|e| (e.id, e.previous_event_id))
        .collect();
    assert_eq!(
        links,
        vec![
            (1, 0),
            (2, 0),
            (3, 2),
            (4, 3),
            (5, 4),
            (6, 5),
            (7, 6),
            (8, 7),
            (9, 8)
        ]
    );
    match &history[4].details {
        Some(EventDetails::TaskSucceeded(d)) => {
            let out: Value = serde_json::from_str(&d.output).unwrap();
            assert_eq!(out["StatusCode"], 200);
            assert_eq!(out["Payload"], json!({}));
        }
        other => panic!("unexpected details {other:?}"),
    }
}

#[tokio::test]
async fn stop_aborts_a_waiting_execution() {
    let engine = engine_with(registry());
    let definition = load_definition_value(&json!({"StartAt": "Nap", "States": {
        "Nap": {"Type": "Wait", "Seconds": 3600, "End": true}}}))
    .unwrap();
    let machine = engine.state_machine("napper", definition);
    let arn = engine.start(&machine, Some("nap-1"), "{}").unwrap();
    assert!(arn.ends_with(":execution:napper:nap-1"));
    let d = engine.stop(&arn).await.unwrap();
    assert_eq!(d.status, ExecutionStatus::Aborted);
    let history = engine.history_since(&arn, 0).unwrap();
    assert_eq!(
        history.last().unwrap().event_type,
        EventType::ExecutionAborted
    );
    assert!(
        engine.start(&machine, Some("nap-1"), "{}").is_err(),
        "names are unique"
    );
}

#[tokio::test]
async fn execution_timeout_ends_timed_out() {
    let engine = engine_with(registry());
    let (d, history) = run(
        &engine,
        json!({"TimeoutSeconds": 5, "StartAt": "Nap", "States": {
            "Nap": {"Type": "Wait", "Seconds": 60, "End": true}}}),
        "{}",
    )
    .await;
    assert_eq!(d.status, ExecutionStatus::TimedOut);
    let last = history.last().unwrap();
    assert_eq!(last.event_type, EventType::ExecutionTimedOut);
    assert_eq!((last.timestamp - start_time()).num_seconds(), 5);
}

#[derive(Default)]
struct Collector {
    events: Mutex<Vec<(String, u64)>>,
    finished: Mutex<Vec<ExecutionStatus>>,
}

impl ExecutionObserver for Collector {
    fn on_event(&self, execution_arn: &str, event: &HistoryEvent) {
        self.events
            .lock()
            .unwrap()
            .push((execution_arn.to_owned(), event.id));
    }
    fn on_finished(&self, description: &ExecutionDescription) {
        self.finished.lock().unwrap().push(description.status);
    }
}

#[tokio::test]
async fn observers_and_incremental_history_see_every_event_once() {
    let collector = Arc::new(Collector::default());
    let engine = Engine::with_observers(
        EngineConfig::default(),
        Clock::virtual_from(start_time()),
        Arc::new(registry()),
        vec![collector.clone()],
    );
    let definition = load_definition_value(&json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.a", "Next": "B"},
        "B": {"Type": "Wait", "Seconds": 2, "Next": "C"},
        "C": {"Type": "Pass", "End": true}}}))
    .unwrap();
    let machine = engine.state_machine("m", definition);
    let arns: Vec<String> = (0..5)
        .map(|i| {
            engine
                .start(&machine, Some(&format!("run-{i}")), "{}")
                .unwrap()
        })
        .collect();
    for arn in &arns {
        let d = engine.wait(arn).await.unwrap();
        assert_eq!(d.status, ExecutionStatus::Succeeded);
        assert_eq!(d.output.as_deref(), Some(r#"{"a":{"x":1}}"#));
    }
    assert_eq!(engine.list().len(), 5);
    let all = engine.history_since(&arns[0], 0).unwrap();
    let tail = engine.history_since(&arns[0], 3).unwrap();
    assert_eq!(tail.first().unwrap().id, 4);
    assert_eq!(tail.len(), all.len() - 3);
    let seen = collector.events.lock().unwrap();
    let for_first: Vec<u64> = seen
        .iter()
        .filter(|(arn, _)| arn == &arns[0])
        .map(|(_, id)| *id)
        .collect();
    assert_eq!(for_first, (1..=all.len() as u64).collect::<Vec<_>>());
    assert_eq!(collector.finished.lock().unwrap().len(), 5);
}

/// Keeps whole events, as a store does.
#[derive(Default)]
struct Keeper {
    events: Mutex<Vec<HistoryEvent>>,
}

impl ExecutionObserver for Keeper {
    fn on_event(&self, _: &str, event: &HistoryEvent) {
        self.events.lock().unwrap().push(event.clone());
    }
    fn on_finished(&self, _: &ExecutionDescription) {}
}

#[tokio::test]
async fn an_engine_that_leaves_the_history_to_its_observer_still_hands_it_every_event() {
    let definition = json!({"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Parameters": {"FunctionName": "always-fails", "Payload.$": "$"},
                 "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
                 "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}],
                 "Next": "Done"},
        "Done": {"Type": "Pass", "End": true}}});
    // What an engine that keeps the history records.
    let (kept, expected) = run(&engine_with(registry()), definition.clone(), "{}").await;

    let keeper = Arc::new(Keeper::default());
    let engine = Engine::with_observers(
        EngineConfig {
            seed: Some(1),
            keep_history: false,
            ..EngineConfig::default()
        },
        Clock::virtual_from(start_time()),
        Arc::new(registry()),
        vec![keeper.clone()],
    );
    let machine = engine.state_machine("test", load_definition_value(&definition).unwrap());
    let arn = engine.start(&machine, None, "{}").unwrap();
    let d = engine.wait(&arn).await.unwrap();
    assert_eq!((d.status, d.output), (kept.status, kept.output));
    let seen = keeper.events.lock().unwrap();
    let shape = |events: &[HistoryEvent]| -> Vec<(u64, u64, &'static str)> {
        events
            .iter()
            .map(|e| (e.id, e.previous_event_id, e.event_type.as_str()))
            .collect()
    };
    assert_eq!(shape(&seen), shape(&expected));
    assert!(seen.len() > 10, "retries and the catch are in it: {seen:?}");
    let refused = engine.history_since(&arn, 0).unwrap_err().to_string();
    assert!(
        refused.contains("kept by the engine's observer"),
        "{refused}"
    );
}

#[tokio::test]
async fn an_engine_that_forgets_ended_executions_keeps_only_running_ones() {
    let keeper = Arc::new(Keeper::default());
    let engine = Engine::with_observers(
        EngineConfig {
            seed: Some(1),
            keep_history: false,
            forget_ended: true,
            ..EngineConfig::default()
        },
        Clock::virtual_from(start_time()),
        Arc::new(registry()),
        vec![keeper.clone()],
    );
    // The test's steps run on the clock too, so the 60 s wait does not pass under them.
    let clock = engine.clock().clone();
    clock
        .track(async {
            let quick =
                json!({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}});
            let slow = json!({"StartAt": "Hold", "States": {
        "Hold": {"Type": "Wait", "Seconds": 60, "End": true}}});
            let quick = engine.state_machine("quick", load_definition_value(&quick).unwrap());
            let slow = engine.state_machine("slow", load_definition_value(&slow).unwrap());
            let waiting = engine.start(&slow, Some("waiting"), "{}").unwrap();
            let ended = engine.start(&quick, Some("ended"), "{}").unwrap();
            let d = engine.wait(&ended).await.unwrap();
            assert_eq!(d.status, ExecutionStatus::Succeeded);
            tokio::task::yield_now().await;

            let listed: Vec<String> = engine.list().into_iter().map(|d| d.name).collect();
            assert_eq!(listed, ["waiting"]);
            assert!(
                engine.describe(&ended).is_err(),
                "the ended run is let go of"
            );
            assert_eq!(
                engine.describe(&waiting).unwrap().status,
                ExecutionStatus::Running
            );
            // The observer still saw the ended run's whole history.
            let seen = keeper.events.lock().unwrap().len();
            assert!(seen >= 5, "{seen} events");

            engine.wait_ended(&waiting).await.unwrap();
            tokio::task::yield_now().await;
            assert!(engine.list().is_empty());
        })
        .await;
}

#[tokio::test]
async fn missing_function_reports_the_aws_error() {
    let engine = engine_with(registry());
    let (d, _) = run(
        &engine,
        json!({"StartAt": "Call", "States": {
            "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                     "Parameters": {"FunctionName": "nope"}, "End": true}}}),
        "{}",
    )
    .await;
    assert_eq!(d.error.as_deref(), Some("Lambda.ResourceNotFoundException"));
    assert!(d.cause.unwrap().starts_with(
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope:$LATEST"
    ));
}

#[tokio::test]
async fn a_document_started_as_it_is_records_the_history_its_text_would() {
    let invoke = |name: &str, next: Option<&str>| {
        let mut state = json!({
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "echo", "Payload.$": "$"},
            "ResultSelector": {"Payload.$": "$.Payload"},
            "ResultPath": format!("$.{name}Result"),
        });
        match next {
            Some(n) => state["Next"] = json!(n),
            None => state["End"] = json!(true),
        }
        state
    };
    let definition = json!({"StartAt": "First", "States": {
        "First": invoke("First", Some("Second")),
        "Second": invoke("Second", None),
    }});
    let document = json!({"trip_id": "t-1", "nested": {"n": [1, 2.5, "x\"y"]}});
    let definition = load_definition_value(&definition).expect("valid definition");

    let by_text = engine_with(registry());
    let machine = by_text.state_machine("test", definition.clone());
    let arn = by_text
        .start(&machine, None, &document.to_string())
        .expect("started");
    by_text.wait(&arn).await.unwrap();
    let from_text = by_text.history_since(&arn, 0).unwrap();

    let by_document = engine_with(registry());
    let machine = by_document.state_machine("test", definition);
    let arn = by_document
        .start_document(&machine, None, document.clone())
        .expect("started");
    let d = by_document.wait(&arn).await.unwrap();
    let from_document = by_document.history_since(&arn, 0).unwrap();

    assert_eq!(d.status, ExecutionStatus::Succeeded);
    assert_eq!(d.input, document.to_string());
    let output: Value = serde_json::from_str(d.output.as_deref().unwrap()).unwrap();
    assert_eq!(
        output["SecondResult"]["Payload"]["FirstResult"]["Payload"],
        document
    );
    assert_eq!(from_document.len(), from_text.len());
    for (a, b) in from_document.iter().zip(&from_text) {
        assert_eq!(
            serde_json::to_string(a).unwrap(),
            serde_json::to_string(b).unwrap()
        );
    }
}

#[tokio::test]
async fn a_placed_result_too_large_for_the_output_is_caught_with_the_input_kept() {
    let mut r = registry();
    r.register_fn("big", |_| Ok(json!("r".repeat(150_000))));
    let engine = engine_with(r);
    let definition = json!({"StartAt": "Book", "States": {
        "Book": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "big", "Payload.$": "$"},
            "ResultSelector": {"Payload.$": "$.Payload"},
            "ResultPath": "$.BookResult",
            "Catch": [{"ErrorEquals": ["States.DataLimitExceeded"], "ResultPath": "$.error", "Next": "Caught"}],
            "End": true},
        "Caught": {"Type": "Pass", "End": true}
    }});
    let machine = engine.state_machine("test", load_definition_value(&definition).unwrap());
    // Each part is under the limit; the input with the result placed in it is not.
    let input = json!({"trip_id": "t-1", "padding": "i".repeat(150_000)});
    let arn = engine
        .start_document(&machine, None, input.clone())
        .expect("started");
    let d = engine.wait(&arn).await.unwrap();
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    let output: Value = serde_json::from_str(d.output.as_deref().unwrap()).unwrap();
    assert_eq!(output["error"]["Error"], "States.DataLimitExceeded");
    assert_eq!(output["padding"], input["padding"]);
    assert!(
        output.get("BookResult").is_none(),
        "{}",
        &d.output.unwrap()[..80]
    );
}

/// On virtual time every transition costs `pace::INSTANT_TRANSITION`: a loop of states
/// that never waits still moves the clock, and the execution's TimeoutSeconds ends it.
#[tokio::test]
async fn a_loop_of_states_moves_virtual_time_until_its_timeout() {
    let engine = engine_with(registry());
    let def = json!({"TimeoutSeconds": 2, "StartAt": "Again", "States": {
        "Again": {"Type": "Pass", "Next": "Again"}}});
    let (d, history) = run(&engine, def, "{}").await;
    assert_eq!(d.status, ExecutionStatus::TimedOut);
    let entered = history
        .iter()
        .filter(|e| e.event_type.as_str() == "PassStateEntered")
        .count();
    let per_transition = sagaview::engine::pace::INSTANT_TRANSITION.as_millis() as usize;
    // Two seconds of transitions, give or take the lag an execution may run ahead by.
    assert!(
        (1_800 / per_transition..=2_000 / per_transition + 1).contains(&entered),
        "{entered} transitions"
    );
    let last = history.last().expect("events");
    assert_eq!(last.event_type.as_str(), "ExecutionTimedOut");
    let took = last.timestamp - history[0].timestamp;
    assert!((1_900..=2_100).contains(&took.num_milliseconds()), "{took}");
}
