//! Not just the saga: a definition with Choice (and a loop), Wait, Pass, Parallel, Map,
//! a Catch, Succeed and Fail runs on the engine, reduces correctly and renders at every
//! size without panicking or overlapping boxes.

use std::sync::Arc;

use chrono::DateTime;
use serde_json::json;

use sagaview::asl::{Definition, load_definition_value};
use sagaview::backend::{ExecutionSummary, Launch};
use sagaview::engine::{Clock, Engine, EngineConfig, FunctionRegistry, TaskFailure};
use sagaview::headless::{RunReport, write_trace};
use sagaview::history::ExecutionStatus;
use sagaview::history::HistoryEvent;
use sagaview::tui::demo;
use sagaview::tui::{App, Msg};
use sagaview::view::{ExecutionView, LayoutSet, StateGraph, StateStatus, narrate};

fn definition() -> serde_json::Value {
    json!({
      "StartAt": "Check",
      "States": {
        "Check": {"Type": "Choice",
          "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 2, "Next": "Fan out"}],
          "Default": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Bump"},
        "Bump": {"Type": "Pass",
          "Parameters": {"n.$": "States.MathAdd($.n, 1)", "items.$": "$.items"},
          "Next": "Check"},
        "Fan out": {"Type": "Parallel", "ResultPath": "$.fan", "Branches": [
            {"StartAt": "Left", "States": {
              "Left": {"Type": "Pass", "Next": "Left 2"},
              "Left 2": {"Type": "Pass", "End": true}}},
            {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "End": true}}}
          ],
          "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items",
          "Iterator": {"StartAt": "Work", "States": {
            "Work": {"Type": "Task",
                     "Resource": "arn:aws:lambda:us-east-1:123456789012:function:always-fails",
                     "End": true}}},
          "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Oops"}],
          "Next": "Done"},
        "Done": {"Type": "Succeed"},
        "Oops": {"Type": "Pass", "Next": "Failed"},
        "Failed": {"Type": "Fail", "Error": "Gave up", "Cause": "every item failed"}
      }
    })
}

/// Runs the definition to its end on the engine: the definition, the execution's ARN
/// and its whole history.
async fn run_definition() -> (Arc<Definition>, String, Vec<HistoryEvent>) {
    let def = Arc::new(load_definition_value(&definition()).unwrap());
    let mut registry = FunctionRegistry::new();
    registry.register_fn("always-fails", |_| {
        Err(TaskFailure::from_message(
            "Broken",
            "the item could not be processed",
        ))
    });
    let engine = Engine::new(
        EngineConfig {
            seed: Some(1),
            ..EngineConfig::default()
        },
        Clock::virtual_from(DateTime::from_timestamp(1_700_000_000, 0).unwrap()),
        Arc::new(registry),
    );
    let machine = engine.state_machine("sink", (*def).clone());
    let arn = engine
        .start(&machine, None, r#"{"n": 0, "items": [1, 2]}"#)
        .unwrap();
    engine.wait(&arn).await.unwrap();
    let events = engine.history_since(&arn, 0).unwrap();
    (def, arn, events)
}

#[tokio::test]
async fn every_state_type_reduces_and_renders() {
    let (def, arn, events) = run_definition().await;

    let mut view = ExecutionView::new(Some(&def));
    view.apply(&events);
    assert_eq!(view.status, Some(ExecutionStatus::Failed));
    assert_eq!(view.state("Check").unwrap().visits, 3);
    assert_eq!(view.status_of("Pause"), StateStatus::Succeeded);
    assert_eq!(view.status_of("Fan out"), StateStatus::Succeeded);
    assert_eq!(view.status_of("Left 2"), StateStatus::Succeeded);
    assert_eq!(view.status_of("Right"), StateStatus::Succeeded);
    assert_eq!(view.status_of("Each"), StateStatus::Caught);
    assert_eq!(view.status_of("Failed"), StateStatus::Failed);
    assert_eq!(view.status_of("Done"), StateStatus::NotStarted);
    assert!(view.took("Bump", "Check"));
    assert!(view.took("Check", "Fan out"));
    let catch = view.taken.iter().find(|e| e.from == "Each").unwrap();
    assert_eq!(catch.to, "Oops");
    assert!(catch.via_catch);

    // The narration speaks for this definition too, at every moment of the run.
    let mut lines = Vec::new();
    let mut growing = ExecutionView::new(Some(&def));
    for event in &events {
        growing.apply(std::slice::from_ref(event));
        let told = narrate(&growing, &def).expect("a line once events exist");
        lines.push(told.line(event.timestamp));
    }
    for expected in [
        "Waiting 1 s in Pause; moves on in 1.0 s",
        "Fan out running 2 branches",
        "Each running over 2 items",
        "Work failed (Broken) and has no Catch: Each fails",
        "Each failed (Broken); its Catch sends the execution to Oops: compensating",
        "Each failed: compensated, then the execution failed (Gave up) at Failed",
    ] {
        assert!(
            lines.iter().any(|l| l == expected),
            "{expected:?} in {lines:#?}"
        );
    }
    assert_eq!(
        lines.last().map(String::as_str),
        Some("Each failed: compensated, then the execution failed (Gave up) at Failed")
    );
    if std::env::var_os("SHOW").is_some() {
        println!("{}", lines.join("\n"));
    }

    let graph = StateGraph::from_definition(&def);
    assert!(graph.is_compensation("Oops") && graph.is_compensation("Failed"));
    assert!(!graph.is_compensation("Done"));
    assert!(!LayoutSet::new(&graph).variants.is_empty());

    // Whole screens at many sizes, including too small ones.
    let mut app = App::new(demo::embedded_info(), &demo::options(false));
    app.update(Msg::Definition(Ok(def.clone())));
    app.update(Msg::Started {
        seq: app.launches,
        launch: Launch {
            run_type: saga_lambdas::RunType::Success,
            trip_id: "t".into(),
            cancel_failure_rate: 0.0,
        },
        result: Ok(arn.clone()),
    });
    app.update(Msg::History {
        arn,
        result: Ok(events),
    });
    for (w, h) in [
        (20, 5),
        (79, 23),
        (80, 24),
        (100, 30),
        (120, 40),
        (200, 60),
        (300, 90),
    ] {
        app.update(Msg::Resize(w, h));
        let text = demo::to_text(&demo::render(&app, w, h));
        if w >= 120 && h >= 40 {
            assert!(text.contains("Fan out"), "{text}");
            assert!(text.contains('‖'), "Parallel branches summarised:\n{text}");
        } else if w >= 80 && h >= 24 {
            assert!(text.contains("State graph"), "{text}");
        } else {
            assert!(text.contains("too small"), "{text}");
        }
    }
    let text = demo::to_text(&demo::render(&app, 200, 60));
    if std::env::var_os("SHOW").is_some() {
        println!("{text}");
    }
    assert!(text.contains("⤳ Each"), "{text}");
    assert!(text.contains("‖ ✓ Left › ✓ Left 2"), "{text}");
    assert!(text.contains("⟳ ✗ Work"), "{text}");
}

#[tokio::test]
async fn the_headless_trace_names_the_state_of_every_event() {
    let (_, arn, events) = run_definition().await;
    let report = RunReport {
        summary: ExecutionSummary {
            execution_arn: arn.clone(),
            name: sagaview::arn::name(&arn).to_owned(),
            status: ExecutionStatus::Failed,
            start_date: events[0].timestamp,
            stop_date: events.last().map(|e| e.timestamp),
            run_type: None,
            trip_id: None,
            error: Some("Gave up".into()),
            cause: Some("every item failed".into()),
            output: None,
            redrive: Default::default(),
        },
        events,
        rows: Vec::new(),
        verdict: None,
    };
    let mut out = Vec::new();
    write_trace(&mut out, &report).unwrap();
    let trace = String::from_utf8(out).unwrap();
    let state_of = |event_type: &str| -> Vec<String> {
        trace
            .lines()
            .filter_map(|l| {
                let mut words = l.split_whitespace().skip(1);
                (words.next() == Some(event_type)).then(|| words.collect::<Vec<_>>().join(" "))
            })
            .collect()
    };
    // A Parallel or Map state's own events belong to it, not to the nested state whose
    // exit they follow.
    assert_eq!(state_of("ParallelStateSucceeded"), ["Fan out"], "{trace}");
    assert_eq!(state_of("ParallelStateExited"), ["Fan out"], "{trace}");
    assert_eq!(state_of("MapStateExited"), ["Each"], "{trace}");
    for line in state_of("MapStateFailed") {
        assert!(line.starts_with("Each"), "{line:?} in {trace}");
    }
    for line in state_of("TaskFailed") {
        assert!(line.starts_with("Work"), "{line:?} in {trace}");
    }
}
