//! Engine throughput: state transitions per second on a long Pass chain,
//! executions per second of a small saga-shaped definition with in-memory tasks,
//! and an inline Map over 10,000 items (which must take under a second).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

use sagaview::asl::load_definition_value;
use sagaview::engine::{Clock, Engine, EngineConfig, FunctionRegistry};

#[path = "support/pass_chain.rs"]
mod pass_chain;
use pass_chain::pass_chain;

fn saga() -> Value {
    let task = |name: &str, next: Option<&str>| {
        let mut t = json!({
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": name, "Payload.$": "$"},
            "ResultSelector": {"status.$": "$.Payload.status"},
            "ResultPath": format!("$.results.{name}"),
            "Retry": [{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 2}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}]
        });
        match next {
            Some(n) => t["Next"] = json!(n),
            None => t["End"] = json!(true),
        }
        t
    };
    json!({"StartAt": "ReserveHotel", "States": {
        "ReserveHotel": task("ReserveHotel", Some("ReserveFlight")),
        "ReserveFlight": task("ReserveFlight", Some("TakePayment")),
        "TakePayment": task("TakePayment", Some("ConfirmHotel")),
        "ConfirmHotel": task("ConfirmHotel", Some("ConfirmFlight")),
        "ConfirmFlight": task("ConfirmFlight", None),
        "Failed": {"Type": "Fail", "Error": "SagaFailed"}
    }})
}

fn engine() -> Engine {
    let mut registry = FunctionRegistry::new();
    for name in [
        "ReserveHotel",
        "ReserveFlight",
        "TakePayment",
        "ConfirmHotel",
        "ConfirmFlight",
    ] {
        registry.register_fn(name, |mut event: Value| {
            event["status"] = json!("ok");
            Ok(event)
        });
    }
    let config = EngineConfig {
        seed: Some(1),
        ..EngineConfig::default()
    };
    // Virtual time: the instant pace's per-transition cost is counted, not slept, so
    // the figures are the interpreter's own.
    Engine::new(
        config,
        Clock::virtual_from(chrono::Utc::now()),
        Arc::new(registry),
    )
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let engine = engine();

    const CHAIN: usize = 1000;
    let chain = engine.state_machine(
        "chain",
        load_definition_value(&pass_chain(CHAIN)).expect("valid"),
    );
    let mut group = c.benchmark_group("pass_chain");
    group.throughput(Throughput::Elements(CHAIN as u64));
    group.bench_function("1000_state_transitions", |b| {
        b.to_async(&rt).iter(|| async {
            let arn = engine
                .start(&chain, None, r#"{"trip":"t-1"}"#)
                .expect("start");
            let d = engine.wait(&arn).await.expect("wait");
            engine.forget(&arn);
            black_box(d)
        })
    });
    group.finish();

    let saga = engine.state_machine("saga", load_definition_value(&saga()).expect("valid"));
    let mut group = c.benchmark_group("saga");
    group.throughput(Throughput::Elements(1));
    group.bench_function("5_task_executions", |b| {
        b.to_async(&rt).iter(|| async {
            let arn = engine
                .start(&saga, None, r#"{"trip":"t-1","customer":"c-9"}"#)
                .expect("start");
            let d = engine.wait(&arn).await.expect("wait");
            engine.forget(&arn);
            black_box(d)
        })
    });
    group.finish();
}

/// An inline Map over `n` numbers whose iterator is a single Pass state.
fn map_of_passes() -> Value {
    json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map",
        "ItemsPath": "$.items",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": "Item",
            "States": {"Item": {"Type": "Pass", "End": true}}
        },
        "End": true
    }}})
}

fn map_benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let engine = engine();
    const ITEMS: usize = 10_000;
    let map = engine.state_machine(
        "map",
        load_definition_value(&map_of_passes()).expect("valid"),
    );
    let input = json!({"items": (0..ITEMS).collect::<Vec<_>>()}).to_string();
    let mut group = c.benchmark_group("map");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ITEMS as u64));
    group.bench_function("10000_items_pass_iterator", |b| {
        b.to_async(&rt).iter(|| async {
            let arn = engine.start(&map, None, &input).expect("start");
            let d = engine.wait(&arn).await.expect("wait");
            assert_eq!(
                d.status,
                sagaview::history::ExecutionStatus::Succeeded,
                "{d:?}"
            );
            engine.forget(&arn);
            black_box(d)
        })
    });
    group.finish();
}

criterion_group!(engine_benches, benches, map_benches);
criterion_main!(engine_benches);
