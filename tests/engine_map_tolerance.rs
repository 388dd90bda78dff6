//! Inline Map failure thresholds (`ToleratedFailureCount`/`...Percentage` and their
//! `...Path` forms): tolerated failures keep their slot in the result, exceeding a
//! threshold fails the Map with `States.ExceedToleratedFailureThreshold`.

use std::sync::Arc;

use chrono::DateTime;
use serde_json::{Value, json};

use sagaview::asl::{DefinitionError, load_definition_value};
use sagaview::engine::{Clock, Engine, EngineConfig, ExecutionDescription, FunctionRegistry};
use sagaview::history::ExecutionStatus;
use sagaview::history::{EventType, HistoryEvent};

fn engine() -> Engine {
    let config = EngineConfig {
        seed: Some(1),
        ..EngineConfig::default()
    };
    let clock = Clock::virtual_from(DateTime::from_timestamp(1_700_000_000, 0).expect("a time"));
    Engine::new(config, clock, Arc::new(FunctionRegistry::new()))
}

/// A Map whose iterations fail for items with `"fail": true`, with extra Map fields.
fn map_definition(extra: Value) -> Value {
    let mut map = json!({
        "Type": "Map",
        "ItemsPath": "$.items",
        "MaxConcurrency": 1,
        "ItemProcessor": {"StartAt": "Check", "States": {
            "Check": {"Type": "Choice", "Choices": [
                {"Variable": "$.fail", "BooleanEquals": true, "Next": "Bad"}],
                "Default": "Good"},
            "Bad": {"Type": "Fail", "Error": "ItemFailed", "Cause": "bad item"},
            "Good": {"Type": "Pass", "Result": "ok", "End": true}
        }},
        "End": true
    });
    for (k, v) in extra.as_object().expect("an object") {
        map[k] = v.clone();
    }
    json!({"StartAt": "M", "States": {"M": map}})
}

fn items(failing: &[bool]) -> String {
    let items: Vec<Value> = failing.iter().map(|f| json!({"fail": f})).collect();
    json!({"items": items, "count": 1, "pct": 50}).to_string()
}

async fn run(definition: Value, input: &str) -> (ExecutionDescription, Vec<HistoryEvent>) {
    let engine = engine();
    let definition = load_definition_value(&definition).expect("valid definition");
    let machine = engine.state_machine("tolerance", definition);
    let arn = engine.start(&machine, None, input).expect("started");
    let description = engine.wait(&arn).await.expect("ended");
    let history = engine.history_since(&arn, 0).expect("history");
    (description, history)
}

fn count(history: &[HistoryEvent], ty: EventType) -> usize {
    history.iter().filter(|e| e.event_type == ty).count()
}

#[tokio::test]
async fn failures_within_the_count_keep_their_error_in_the_result() {
    let (d, history) = run(
        map_definition(json!({"ToleratedFailureCount": 1})),
        &items(&[false, true, false]),
    )
    .await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    let output: Value = serde_json::from_str(d.output.as_deref().expect("output")).expect("json");
    assert_eq!(
        output,
        json!(["ok", {"Error": "ItemFailed", "Cause": "bad item"}, "ok"])
    );
    assert_eq!(count(&history, EventType::MapIterationFailed), 1);
    assert_eq!(count(&history, EventType::MapIterationSucceeded), 2);
    assert_eq!(count(&history, EventType::MapStateSucceeded), 1);
}

#[tokio::test]
async fn exceeding_the_count_fails_the_map_with_the_threshold_error() {
    let (d, history) = run(
        map_definition(json!({"ToleratedFailureCountPath": "$.count"})),
        &items(&[true, false, true, false]),
    )
    .await;
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(
        d.error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );
    assert_eq!(count(&history, EventType::MapIterationFailed), 2);
    assert_eq!(count(&history, EventType::MapStateFailed), 1);
}

#[tokio::test]
async fn the_percentage_counts_failed_items_over_all_items() {
    let within = run(
        map_definition(json!({"ToleratedFailurePercentagePath": "$.pct"})),
        &items(&[true, false, true, false]),
    )
    .await
    .0;
    assert_eq!(within.status, ExecutionStatus::Succeeded);
    let over = run(
        map_definition(json!({"ToleratedFailurePercentage": 50})),
        &items(&[true, true, true, false]),
    )
    .await
    .0;
    assert_eq!(
        over.error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );
}

#[tokio::test]
async fn the_threshold_error_can_be_caught() {
    let mut definition = map_definition(json!({
        "ToleratedFailureCount": 0,
        "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Caught"}]
    }));
    definition["States"]["M"]
        .as_object_mut()
        .expect("an object")
        .remove("End");
    definition["States"]["M"]["Next"] = json!("Caught");
    definition["States"]["Caught"] = json!({"Type": "Pass", "End": true});
    let (d, _) = run(definition, &items(&[true])).await;
    assert_eq!(d.status, ExecutionStatus::Succeeded);
    let output: Value = serde_json::from_str(d.output.as_deref().expect("output")).expect("json");
    assert_eq!(output["Error"], "States.ExceedToleratedFailureThreshold");
}

#[tokio::test]
async fn without_thresholds_the_first_failure_fails_the_map_with_its_own_error() {
    let (d, _) = run(map_definition(json!({})), &items(&[false, true])).await;
    assert_eq!(d.error.as_deref(), Some("ItemFailed"));
}

#[tokio::test]
async fn a_path_to_a_bad_value_is_a_runtime_error() {
    let (d, _) = run(
        map_definition(json!({"ToleratedFailureCountPath": "$.items"})),
        &items(&[false]),
    )
    .await;
    assert_eq!(d.error.as_deref(), Some("States.Runtime"));
    assert!(
        d.cause
            .as_deref()
            .unwrap_or("")
            .contains("ToleratedFailureCountPath"),
        "{:?}",
        d.cause
    );
}

#[test]
fn bad_values_are_refused_at_load_with_the_state_and_the_reason() {
    for (extra, reason) in [
        (json!({"ToleratedFailureCount": -1}), "non-negative integer"),
        (
            json!({"ToleratedFailurePercentage": 150}),
            "between 0 and 100",
        ),
        (
            json!({"ToleratedFailurePercentage": 5, "ToleratedFailurePercentagePath": "$.p"}),
            "exclusive",
        ),
    ] {
        match load_definition_value(&map_definition(extra.clone())) {
            Err(DefinitionError::State { state, reason: r }) => {
                assert_eq!(state, "M");
                assert!(r.contains(reason), "{extra}: {r}");
            }
            other => panic!("{extra}: {other:?}"),
        }
    }
}
