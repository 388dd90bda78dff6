//! `sagaview load` and the crowd it runs: the JSON document's shape, exit statuses,
//! and counts that agree with the executions the store recorded.

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use saga_lambdas::RunType;
use sagaview::backend::SagaBackend;
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::history::ExecutionStatus;
use sagaview::load::{LoadPlan, run_load};
use sagaview::store::Store;
use sagaview::view::crowd::Outcome;
use sagaview::view::graph::StateGraph;
use sagaview::view::reducer::ExecutionView;
use sagaview::view::verdict::judge;

fn sagaview(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sagaview"))
        .args(args)
        .output()
        .expect("run sagaview")
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn json_has_the_outcomes_the_orphan_rates_latencies_and_retries() {
    let out = sagaview(&[
        "load",
        "--db",
        ":memory:",
        "--count",
        "24",
        "--concurrency",
        "5",
        "--mix",
        "success:1,failPayment:1,failHotelReservation:1",
        "--cancel-failure-rate",
        "1",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let j = json_of(&out);
    let outcomes = j["outcomes"].as_object().expect("outcomes");
    let keys: Vec<&str> = outcomes.keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 4, "{keys:?}");
    for key in ["booked", "rolled_back", "orphaned", "aborted"] {
        assert!(outcomes[key].is_u64(), "{key}: {j}");
    }
    // At rate 1 every compensation gives up: a failed payment orphans the hotel and
    // flight, a failed hotel reservation had booked nothing.
    assert_eq!(j["outcomes"]["booked"], 8, "{j}");
    assert_eq!(j["outcomes"]["orphaned"], 8, "{j}");
    assert_eq!(j["outcomes"]["rolled_back"], 8, "{j}");
    let third = 1.0 / 3.0;
    let observed = j["orphan_rate"]["observed"].as_f64().unwrap();
    let expected = j["orphan_rate"]["expected"].as_f64().unwrap();
    assert!((observed - third).abs() < 1e-9, "{j}");
    assert!((expected - third).abs() < 1e-9, "{j}");
    for p in ["p50", "p95", "p99"] {
        assert!(j["latency_ms"]["RefundPayment"][p].is_number(), "{j}");
    }
    // Each of the eight failed payments retried RefundPayment three times.
    assert_eq!(j["retries"]["RefundPayment"], 24, "{j}");
    assert_eq!(j["sagas"]["ended"], 24);
}

#[test]
fn rate_zero_orphans_nothing_and_the_table_names_every_outcome() {
    let out = sagaview(&[
        "load",
        "--db",
        ":memory:",
        "--count",
        "12",
        "--cancel-failure-rate",
        "0",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("orphaned 0"), "{text}");
    assert!(text.contains("booked 2"), "{text}");
    assert!(text.contains("rolled back cleanly 10"), "{text}");
    assert!(
        text.contains("orphan rate: observed 0.0% · expected 0.0%"),
        "{text}"
    );
    assert!(text.contains("CancelHotelReservation"), "{text}");
}

#[test]
fn a_bad_mix_or_count_is_a_usage_error() {
    for (args, says) in [
        (
            &["--mix", "success:1,failEverything:2"][..],
            "failEverything",
        ),
        (&["--mix", "success"][..], "TYPE:WEIGHT"),
        (&["--mix", "success:0"][..], "at least one run type"),
        (&["--mix", "success:1,success:1"][..], "twice"),
        (&["--count", "0"][..], "at least 1"),
        (
            &["--trip-id", "t1"][..],
            "each saga books a trip of its own",
        ),
    ] {
        let mut all = vec!["load", "--db", ":memory:"];
        all.extend_from_slice(args);
        let out = sagaview(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn more_than_a_hundred_sagas_on_aws_need_yes() {
    let out = sagaview(&[
        "load",
        "--aws",
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--count",
        "101",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--yes"), "{err}");
}

#[test]
fn a_crowd_on_aws_is_started_with_start_execution_only() {
    let out = sagaview(&[
        "load",
        "--aws",
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--launch-via",
        "api",
        "--count",
        "5",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--launch-via api does not apply to load"),
        "{err}"
    );
}

/// What the crowd counted equals what the store recorded: each execution's status,
/// and the verdict on its trip's rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crowds_counts_equal_the_stores_executions() {
    let store = Store::open_in_memory().unwrap();
    let backend = EmbeddedBackend::new(
        store.clone(),
        EmbeddedOptions {
            seed: Some(7),
            ..EmbeddedOptions::default()
        },
    )
    .unwrap();
    let plan = LoadPlan {
        count: 60,
        concurrency: 8,
        mix: Default::default(),
        cancel_failure_rate: 0.6,
    };
    let mut seen = 0;
    let crowd = run_load(
        &backend,
        &plan,
        Duration::from_millis(5),
        Duration::from_millis(1),
        |_| seen += 1,
    )
    .await
    .unwrap();
    assert!(seen >= 1);
    let summary = crowd.summary();
    assert!(summary.all_ran(), "{summary:?}");
    let records = store.list_executions(1000).unwrap();
    assert_eq!(records.len(), 60);
    let definition = backend.definition(None).await.unwrap();
    let graph = StateGraph::from_definition(&definition);
    let mut counted: HashMap<Outcome, usize> = HashMap::new();
    let mut run_types: HashMap<String, usize> = HashMap::new();
    for r in &records {
        let events = backend.history_since(&r.execution_arn, 0).await.unwrap();
        let mut view = ExecutionView::new(Some(&definition));
        view.apply(&events);
        let trip = r.labels["trip_id"].as_str().unwrap();
        let rows = backend.rows(trip).await.unwrap();
        let verdict = judge(&view, &graph, &rows);
        let outcome = Outcome::of(r.status, verdict.as_ref()).expect("ended");
        *counted.entry(outcome).or_default() += 1;
        *run_types
            .entry(r.labels["run_type"].as_str().unwrap().to_owned())
            .or_default() += 1;
        assert_ne!(r.status, ExecutionStatus::Running);
    }
    for outcome in Outcome::ALL {
        assert_eq!(
            summary.count(outcome),
            counted.get(&outcome).copied().unwrap_or(0),
            "{outcome:?}: {summary:?}"
        );
    }
    // The even mix: ten of each run type.
    for r in RunType::ALL {
        assert_eq!(run_types[r.as_str()], 10, "{r}");
    }
    assert!(summary.count(Outcome::Orphaned) > 0, "{summary:?}");
}

/// A rate left set live (an earlier `c`) does not hold for a crowd: it sets its own, so
/// what it expects is what happens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crowd_runs_at_its_own_rate_over_one_left_set_live() {
    let backend = EmbeddedBackend::new(
        Store::open_in_memory().unwrap(),
        EmbeddedOptions {
            seed: Some(11),
            ..EmbeddedOptions::default()
        },
    )
    .unwrap();
    backend.set_cancel_failure_rate(1.0).await.unwrap();
    let plan = LoadPlan {
        count: 12,
        concurrency: 4,
        mix: "failPayment:1".parse().unwrap(),
        cancel_failure_rate: 0.0,
    };
    let crowd = run_load(
        &backend,
        &plan,
        Duration::from_millis(5),
        Duration::from_millis(1),
        |_| {},
    )
    .await
    .unwrap();
    let summary = crowd.summary();
    assert_eq!(summary.count(Outcome::Orphaned), 0, "{summary:?}");
    assert_eq!(summary.count(Outcome::RolledBack), 12, "{summary:?}");
}
