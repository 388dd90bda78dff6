use saga_lambdas::RunType;

use super::*;
use crate::backend::saga_definition::saga_definition;
use crate::engine::EngineConfig;
use crate::view::graph::StateGraph;
use crate::view::sample::{self, Scenario};
use crate::view::verdict::judge;

fn seed() -> Definition {
    saga_definition(&EngineConfig::default()).unwrap()
}

/// Reduces a sample scenario and judges it, as a crowd is fed.
fn ended(def: &Definition, scenario: Scenario) -> (ExecutionView, Option<Verdict>) {
    let mut view = ExecutionView::new(Some(def));
    view.apply(&sample::history(scenario));
    let verdict = judge(
        &view,
        &StateGraph::from_definition(def),
        &sample::rows(scenario),
    );
    (view, verdict)
}

#[test]
fn outcomes_follow_the_status_and_the_verdicts_orphans() {
    let def = seed();
    let mut crowd = Crowd::new(&def, 5, Mix::default(), 0.4);
    for (scenario, run_type) in [
        (Scenario::Success, RunType::Success),
        (Scenario::CleanRollback, RunType::FailPayment),
        (Scenario::CompensationRecovered, RunType::FailPayment),
        (Scenario::CompensationExhausted, RunType::FailPayment),
        // Still running: not counted.
        (Scenario::CompensationRetrying, RunType::FailPayment),
    ] {
        crowd.started();
        let (view, verdict) = ended(&def, scenario);
        crowd.record(run_type, &view, verdict.as_ref());
    }
    let s = crowd.summary();
    assert_eq!(s.count(Outcome::Booked), 1);
    assert_eq!(s.count(Outcome::RolledBack), 2);
    assert_eq!(s.count(Outcome::Orphaned), 1);
    assert_eq!(s.count(Outcome::Aborted), 0);
    assert_eq!((s.started, s.finished, s.running()), (5, 4, 1));
    assert_eq!(s.observed_orphan_rate, Some(0.25));
    assert!(!crowd.is_done());
    // Expected for one success and three failPayment at 0.4.
    let one = 1.0 - (1.0 - 0.4f64.powi(4)).powi(3);
    let expected = s.expected_orphan_rate.unwrap();
    assert!((expected - one * 3.0 / 4.0).abs() < 1e-12, "{expected}");
    let payment = s
        .by_run_type
        .iter()
        .find(|r| r.run_type == RunType::FailPayment)
        .unwrap();
    assert_eq!((payment.ended, payment.orphaned), (3, 1));
}

#[test]
fn latencies_and_retries_are_per_state_in_definition_order() {
    let def = seed();
    let mut crowd = Crowd::new(&def, 2, Mix::default(), 0.4);
    for scenario in [Scenario::CompensationRecovered, Scenario::CleanRollback] {
        let (view, verdict) = ended(&def, scenario);
        crowd.record(RunType::FailPayment, &view, verdict.as_ref());
    }
    let s = crowd.summary();
    let names: Vec<&str> = s.states.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names[0], "ReserveHotel");
    let refund = s.states.iter().find(|s| s.name == "RefundPayment").unwrap();
    assert_eq!(refund.visits, 2);
    assert_eq!(refund.retries, 3);
    // The recovered refund waited 1 + 2 + 4 s of backoff: it is the slow one.
    assert!(refund.p99_ms.unwrap() > 7000.0, "{refund:?}");
    assert!(refund.p50_ms.unwrap() < 1000.0, "{refund:?}");
    let hotel = s.states.iter().find(|s| s.name == "ReserveHotel").unwrap();
    assert_eq!(hotel.retries, 0);
}

#[test]
fn percentiles_take_the_nearest_rank() {
    let values: Vec<f64> = (1..=100).map(f64::from).collect();
    assert_eq!(percentile(&values, 50.0), Some(50.0));
    assert_eq!(percentile(&values, 95.0), Some(95.0));
    assert_eq!(percentile(&values, 99.0), Some(99.0));
    assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
    assert_eq!(percentile(&[], 50.0), None);
}

#[test]
fn before_anything_ends_the_expectation_is_the_plans() {
    let def = seed();
    let crowd = Crowd::new(&def, 4, "success:1,failPayment:1".parse().unwrap(), 1.0);
    let s = crowd.summary();
    assert_eq!(s.observed_orphan_rate, None);
    assert_eq!(s.expected_orphan_rate, Some(0.5));
}

#[test]
fn the_json_document_has_the_outcomes_rates_latencies_and_retries() {
    let def = seed();
    let mut crowd = Crowd::new(&def, 1, Mix::default(), 0.0);
    let (view, verdict) = ended(&def, Scenario::Success);
    crowd.started();
    crowd.record(RunType::Success, &view, verdict.as_ref());
    let j = crowd.summary().to_json();
    for key in ["booked", "rolled_back", "orphaned", "aborted"] {
        assert!(j["outcomes"][key].is_u64(), "{key}: {j}");
    }
    assert_eq!(j["outcomes"]["booked"], 1);
    assert_eq!(j["orphan_rate"]["observed"], 0.0);
    assert_eq!(j["orphan_rate"]["expected"], 0.0);
    assert!(j["latency_ms"]["ReserveHotel"]["p95"].is_number(), "{j}");
    assert_eq!(j["retries"]["ReserveHotel"], 0);
}
