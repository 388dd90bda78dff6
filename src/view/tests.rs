//! Reducer and verdict on saga-shaped histories.

use super::sample::{self, HistoryBuilder, Scenario};
use super::*;
use crate::asl::{Definition, load_definition};
use crate::history::ExecutionStatus;

fn saga() -> Definition {
    load_definition(include_str!("../../infra/statemachine/saga.asl.json")).unwrap()
}

fn reduce(scenario: Scenario) -> ExecutionView {
    let def = saga();
    let mut v = ExecutionView::new(Some(&def));
    v.apply(&sample::history(scenario));
    v
}

#[test]
fn success_marks_every_forward_state_succeeded() {
    let v = reduce(Scenario::Success);
    assert_eq!(v.status, Some(ExecutionStatus::Succeeded));
    for s in [
        "ReserveHotel",
        "ReserveFlight",
        "TakePayment",
        "ConfirmHotelBooking",
        "ConfirmFlight",
        "We have made your booking!",
    ] {
        assert_eq!(v.status_of(s), StateStatus::Succeeded, "{s}");
    }
    assert_eq!(v.status_of("RefundPayment"), StateStatus::NotStarted);
    assert!(v.took("ReserveHotel", "ReserveFlight"));
    assert!(!v.took("TakePayment", "RefundPayment"));
    assert_eq!(v.state("ReserveHotel").unwrap().attempts, 1);
}

#[test]
fn caught_failure_and_pending_retry_show_caught_and_retry_number() {
    let v = reduce(Scenario::CompensationRetrying);
    assert_eq!(v.status, Some(ExecutionStatus::Running));
    assert_eq!(v.status_of("TakePayment"), StateStatus::Caught);
    let tp = v.state("TakePayment").unwrap();
    assert_eq!(tp.last_error.as_deref(), Some("PaymentFailed"));
    assert!(tp.last_cause.as_deref().unwrap().contains("on purpose"));
    // Second failure of RefundPayment: retry 2 is pending.
    assert_eq!(v.status_of("RefundPayment"), StateStatus::Retrying(2));
    assert_eq!(v.state("RefundPayment").unwrap().attempts, 2);
    let edge = v
        .taken
        .iter()
        .find(|e| e.from == "TakePayment")
        .expect("edge out of TakePayment");
    assert_eq!(edge.to, "RefundPayment");
    assert!(edge.via_catch);
    assert!(
        !v.taken
            .iter()
            .find(|e| e.to == "ReserveFlight")
            .unwrap()
            .via_catch
    );
}

#[test]
fn retrying_is_derived_from_events_even_without_the_definition() {
    let mut v = ExecutionView::new(None);
    let mut b = HistoryBuilder::start(sample::epoch(), &serde_json::json!({}));
    b.enter("Task", "Anything")
        .attempt("f", Some(("Boom", "c")));
    v.apply(&b.build());
    // Without the Retry policy the failure looks final until the next attempt starts.
    assert_eq!(v.status_of("Anything"), StateStatus::Failed);
    let before = v.events.len();
    b.wait(1000).attempt("f", None);
    let all = b.build();
    v.apply(&all);
    assert_eq!(v.events.len(), all.len(), "only new events are applied");
    assert!(v.events.len() > before);
    assert_eq!(v.status_of("Anything"), StateStatus::Running);
    assert_eq!(v.state("Anything").unwrap().attempts, 2);
    b.exit("Task", "Anything");
    v.apply(&b.build());
    assert_eq!(v.status_of("Anything"), StateStatus::Succeeded);
}

#[test]
fn incremental_application_matches_a_single_pass() {
    let events = sample::history(Scenario::CompensationExhausted);
    let def = saga();
    let mut whole = ExecutionView::new(Some(&def));
    whole.apply(&events);
    let mut pieces = ExecutionView::new(Some(&def));
    for chunk in events.chunks(3) {
        pieces.apply(chunk);
        pieces.apply(chunk); // re-delivery is harmless
    }
    assert_eq!(whole, pieces);
}

#[test]
fn exhausted_compensation_fails_in_the_compensation_state() {
    let v = reduce(Scenario::CompensationExhausted);
    assert_eq!(v.status, Some(ExecutionStatus::Failed));
    assert_eq!(v.error.as_deref(), Some("InternalServerError"));
    assert_eq!(v.status_of("RefundPayment"), StateStatus::Succeeded);
    assert_eq!(v.status_of("CancelFlightReservation"), StateStatus::Failed);
    assert_eq!(v.state("CancelFlightReservation").unwrap().attempts, 4);
    assert_eq!(
        v.status_of("CancelHotelReservation"),
        StateStatus::NotStarted
    );
    let notes: Vec<_> = v
        .notes
        .iter()
        .filter(|n| n.state.as_deref() == Some("CancelFlightReservation"))
        .filter_map(|n| n.attempt)
        .collect();
    assert_eq!(notes.iter().max(), Some(&4));
}

#[test]
fn an_aborted_execution_aborts_the_running_state() {
    let mut b = HistoryBuilder::start(sample::epoch(), &serde_json::json!({}));
    b.enter("Task", "ReserveHotel");
    let mut events = b.build();
    events.push(crate::history::HistoryEvent {
        timestamp: sample::epoch(),
        event_type: crate::history::EventType::ExecutionAborted,
        id: events.len() as u64 + 1,
        previous_event_id: events.len() as u64,
        details: None,
    });
    let mut v = ExecutionView::new(None);
    v.apply(&events);
    assert_eq!(v.status, Some(ExecutionStatus::Aborted));
    assert_eq!(v.status_of("ReserveHotel"), StateStatus::Aborted);
}

#[test]
fn timings_and_offsets_come_from_timestamps() {
    let v = reduce(Scenario::Success);
    let last = v.events.last().unwrap();
    assert!(v.offset_secs(last) > 0.5);
    let s = v.state("TakePayment").unwrap();
    assert!(s.exited_at.unwrap() > s.entered_at.unwrap());
}

fn graph() -> StateGraph {
    StateGraph::from_definition(&saga())
}

#[test]
fn verdict_on_success_requires_confirmed_rows_and_payment() {
    let v = reduce(Scenario::Success);
    let ok = judge(&v, &graph(), &sample::rows(Scenario::Success)).unwrap();
    assert_eq!(ok.level, VerdictLevel::Ok);
    assert!(ok.text.contains("booking complete"));
    // Same execution, pending rows: the data contradicts the outcome.
    let bad = judge(&v, &graph(), &sample::rows(Scenario::CompensationRetrying)).unwrap();
    assert_eq!(bad.level, VerdictLevel::Error);
    assert!(bad.text.contains("confirmed hotel") && bad.text.contains("payment"));
}

#[test]
fn verdict_on_clean_rollback() {
    let v = reduce(Scenario::CleanRollback);
    let verdict = judge(&v, &graph(), &[]).unwrap();
    assert_eq!(verdict.level, VerdictLevel::Ok);
    assert!(verdict.text.contains("rolled back cleanly"));
    let left = judge(&v, &graph(), &sample::rows(Scenario::CompensationExhausted)).unwrap();
    assert_eq!(left.level, VerdictLevel::Error);
}

#[test]
fn verdict_names_orphaned_rows_of_an_exhausted_compensation() {
    let v = reduce(Scenario::CompensationExhausted);
    let rows = sample::rows(Scenario::CompensationExhausted);
    let verdict = judge(&v, &graph(), &rows).unwrap();
    assert_eq!(verdict.level, VerdictLevel::Error);
    assert!(
        verdict.text.contains("CancelFlightReservation"),
        "{}",
        verdict.text
    );
    assert_eq!(verdict.orphans.len(), 2);
    let kinds: Vec<&str> = verdict.orphans.iter().map(|o| o.kind.as_str()).collect();
    assert_eq!(kinds, ["Flight", "Hotel"]);
    assert!(verdict.orphans[0].sk.starts_with("FLIGHT#"));
    assert!(verdict.text.contains(&verdict.orphans[0].sk));
}

#[test]
fn no_verdict_while_running() {
    let v = reduce(Scenario::CompensationRetrying);
    assert!(judge(&v, &graph(), &[]).is_none());
}

#[test]
fn a_pending_retry_names_its_retrier_number_and_due_time() {
    let v = reduce(Scenario::CompensationRetrying);
    let refund = v.state("RefundPayment").unwrap();
    assert_eq!(refund.retries, 2);
    let grant = refund.retry.as_ref().expect("retry 2 granted");
    // InternalServerError is not a Lambda service error: the States.ALL retrier takes it.
    assert_eq!(grant.retrier.error_equals, ["States.ALL"]);
    assert_eq!((grant.number, grant.retrier.max_attempts), (2, 3));
    assert!(!grant.started);
    let last_failure = v
        .events
        .iter()
        .rfind(|e| e.event_type == crate::history::EventType::TaskFailed)
        .unwrap();
    assert_eq!(grant.failed_at, last_failure.timestamp);
    // IntervalSeconds 1, BackoffRate 2: the second retry waits 2 s.
    assert_eq!(grant.due() - grant.failed_at, chrono::TimeDelta::seconds(2));
}

#[test]
fn a_state_that_succeeded_after_retries_keeps_their_count() {
    let def = saga();
    let mut b = HistoryBuilder::start(sample::epoch(), &serde_json::json!({}));
    b.enter("Task", "RefundPayment")
        .attempt("f", Some(("Boom", "c")))
        .wait(1000)
        .attempt("f", Some(("Boom", "c")));
    let mut v = ExecutionView::new(Some(&def));
    v.apply(&b.build());
    assert!(
        !v.state("RefundPayment")
            .unwrap()
            .retry
            .as_ref()
            .unwrap()
            .started
    );
    b.wait(2000).attempt("f", None);
    v.apply(&b.build());
    let running = v.state("RefundPayment").unwrap();
    assert!(running.retry.as_ref().unwrap().started, "retry 2 runs");
    assert_eq!(running.status, StateStatus::Retrying(2));
    b.exit("Task", "RefundPayment");
    v.apply(&b.build());
    let done = v.state("RefundPayment").unwrap();
    assert_eq!(done.status, StateStatus::Succeeded);
    assert_eq!((done.retries, done.attempts), (2, 3));
    assert_eq!(done.retry, None);
    // A new visit starts counting again.
    b.enter("Task", "RefundPayment");
    v.apply(&b.build());
    assert_eq!(v.state("RefundPayment").unwrap().retries, 0);
}

#[test]
fn exhausted_retries_count_only_the_retries_that_ran() {
    let v = reduce(Scenario::CompensationExhausted);
    let cancel = v.state("CancelFlightReservation").unwrap();
    assert_eq!((cancel.retries, cancel.attempts), (3, 4));
    assert_eq!(cancel.retry, None);
}

#[test]
fn a_retry_the_execution_never_reached_is_not_counted() {
    let def = saga();
    let mut b = HistoryBuilder::start(sample::epoch(), &serde_json::json!({}));
    b.enter("Task", "RefundPayment")
        .attempt("f", Some(("Boom", "c")))
        .mark(crate::history::EventType::ExecutionAborted);
    let mut v = ExecutionView::new(Some(&def));
    v.apply(&b.build());
    let refund = v.state("RefundPayment").unwrap();
    assert_eq!(refund.status, StateStatus::Aborted);
    assert_eq!((refund.retries, refund.retry.is_none()), (0, true));
}

#[test]
fn a_retried_parallel_state_that_then_succeeds_is_succeeded() {
    let def = load_definition(
        r#"{"StartAt": "Fan", "States": {"Fan": {"Type": "Parallel",
            "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}],
            "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
            "End": true}}}"#,
    )
    .unwrap();
    use crate::history::EventType as T;
    let mut b = HistoryBuilder::start(sample::epoch(), &serde_json::json!({}));
    b.enter("Parallel", "Fan")
        .mark(T::ParallelStateStarted)
        .mark(T::ParallelStateFailed);
    let mut v = ExecutionView::new(Some(&def));
    v.apply(&b.build());
    assert_eq!(v.status_of("Fan"), StateStatus::Retrying(1));
    b.wait(1000)
        .mark(T::ParallelStateStarted)
        .enter("Pass", "A")
        .exit("Pass", "A")
        .mark(T::ParallelStateSucceeded)
        .exit("Parallel", "Fan");
    v.apply(&b.build());
    let fan = v.state("Fan").unwrap();
    assert_eq!(fan.status, StateStatus::Succeeded);
    assert_eq!((fan.retries, fan.attempts), (1, 2));
}
