//! Narration of hand-built histories and of the saga's sample runs.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use super::*;
use crate::asl::load_definition;
use crate::history::EventType as T;
use crate::view::sample::{self, HistoryBuilder, Scenario};

fn saga() -> Definition {
    load_definition(include_str!("../../../infra/statemachine/saga.asl.json")).unwrap()
}

fn told(def: &Definition, events: &[HistoryEvent]) -> Narration {
    let mut v = ExecutionView::new(Some(def));
    v.apply(events);
    narrate(&v, def).expect("a narration once events exist")
}

/// The scenario's history, cut just after the first event matching `until`.
fn saga_until(scenario: Scenario, until: impl Fn(&HistoryEvent) -> bool) -> Vec<HistoryEvent> {
    let mut events = sample::history(scenario);
    let end = events.iter().position(until).expect("the cut point exists");
    events.truncate(end + 1);
    events
}

fn entered(name: &str) -> impl Fn(&HistoryEvent) -> bool {
    move |e| matches!(&e.details, Some(EventDetails::StateEntered(d)) if d.name == name)
}

fn ms(at: DateTime<Utc>, ms: i64) -> DateTime<Utc> {
    at + TimeDelta::milliseconds(ms)
}

fn start() -> HistoryBuilder {
    HistoryBuilder::start(sample::epoch(), &json!({}))
}

#[test]
fn nothing_to_tell_before_the_first_event() {
    let def = saga();
    assert_eq!(narrate(&ExecutionView::new(Some(&def)), &def), None);
    let n = told(&def, &start().build());
    assert_eq!(n.text, "the execution started");
    assert_eq!(n.level, NarrationLevel::Progress);
}

#[test]
fn a_running_task_says_its_attempt() {
    let def = saga();
    let mut b = start();
    b.enter("Task", "ReserveHotel").attempt("f", None);
    let mut events = b.build();
    events.pop(); // TaskSucceeded not yet
    let n = told(&def, &events);
    assert_eq!(n.line(sample::epoch()), "ReserveHotel running (attempt 1)");
    assert_eq!(n.level, NarrationLevel::Progress);
    assert_eq!(n.state.as_deref(), Some("ReserveHotel"));
    assert_eq!(n.countdown, None);
}

#[test]
fn fail_payment_tells_the_catch_and_the_compensation_it_starts() {
    let def = saga();
    let expected = "TakePayment failed (PaymentFailed); its Catch sends the execution to RefundPayment: \
         compensating";
    // Just caught: the Catch's target comes from the definition.
    let caught = saga_until(Scenario::CompensationRetrying, |e| {
        e.event_type == T::TaskStateExited
            && matches!(&e.details, Some(EventDetails::StateExited(d)) if d.name == "TakePayment")
    });
    let n = told(&def, &caught);
    assert_eq!(n.text, expected);
    assert_eq!(n.level, NarrationLevel::Warning);
    // While the compensation's first attempt runs, the line still says why it runs.
    let mut running = saga_until(Scenario::CompensationRetrying, entered("RefundPayment"));
    let n = told(&def, &running);
    assert_eq!(
        (n.text.as_str(), n.state.as_deref()),
        (expected, Some("TakePayment"))
    );
    running = saga_until(Scenario::CompensationRetrying, |e| {
        e.event_type == T::TaskStarted && e.id > running.len() as u64
    });
    assert_eq!(told(&def, &running).text, expected);
}

#[test]
fn a_pending_retry_counts_down_on_the_execution_clock() {
    let def = saga();
    let events = sample::history(Scenario::CompensationRetrying);
    let n = told(&def, &events);
    assert_eq!(
        n.text,
        "RefundPayment failed (InternalServerError); retry 2 of 3"
    );
    assert_eq!(n.level, NarrationLevel::Warning);
    let failed_at = events.last().unwrap().timestamp;
    // Retry 2 of the States.ALL retrier: IntervalSeconds 1 × BackoffRate 2.
    assert_eq!(n.countdown, Some(ms(failed_at, 2000)));
    assert!(!n.at_most);
    let line = |after: i64| n.line(ms(failed_at, after));
    assert_eq!(
        line(400),
        "RefundPayment failed (InternalServerError); retry 2 of 3 in 1.6 s"
    );
    assert_eq!(line(0), format!("{} in 2.0 s", n.text));
    assert_eq!(line(1950), format!("{} in 0.1 s", n.text));
    assert_eq!(line(2000), format!("{} now", n.text));
    assert_eq!(line(9000), format!("{} now", n.text), "never negative");
}

#[test]
fn countdowns_round_tenths_up_and_stop_at_now() {
    let due = sample::epoch();
    let n = Narration::new(NarrationLevel::Warning, None, "x".into()).due(due, false);
    let at = |before_ms: i64| n.countdown_text(ms(due, -before_ms));
    assert_eq!(at(1234).as_deref(), Some("in 1.3 s"));
    assert_eq!(at(1200).as_deref(), Some("in 1.2 s"));
    assert_eq!(at(1).as_deref(), Some("in 0.1 s"));
    assert_eq!(at(75_000).as_deref(), Some("in 75.0 s"));
    assert_eq!(at(0).as_deref(), Some("now"));
    assert_eq!(at(-500).as_deref(), Some("now"));
    let plain = Narration::new(NarrationLevel::Ok, None, "done".into());
    assert_eq!(plain.countdown_text(due), None);
    assert_eq!(plain.line(due), "done");
}

#[test]
fn a_running_retry_says_which_retry_runs() {
    let def = saga();
    let mut b = start();
    b.enter("Task", "RefundPayment")
        .attempt("f", Some(("InternalServerError", "c")))
        .wait(1000)
        .attempt("f", Some(("InternalServerError", "c")))
        .wait(2000)
        .attempt("f", None);
    let mut events = b.build();
    events.truncate(events.len() - 2); // only the third attempt's TaskScheduled
    let n = told(&def, &events);
    assert_eq!(
        n.text,
        "RefundPayment failed (InternalServerError); retry 2 of 3 running (attempt 3)"
    );
    assert_eq!(n.countdown, None);
}

#[test]
fn an_exhausted_compensation_fails_the_execution() {
    let n = told(&saga(), &sample::history(Scenario::CompensationExhausted));
    assert_eq!(
        n.text,
        "CancelFlightReservation failed (InternalServerError) after 3 retries and has no Catch: \
         the execution failed"
    );
    assert_eq!(n.level, NarrationLevel::Error);
    assert_eq!(n.state.as_deref(), Some("CancelFlightReservation"));
}

#[test]
fn the_saga_ends_told_by_its_outcome() {
    let def = saga();
    let n = told(&def, &sample::history(Scenario::Success));
    assert_eq!(
        (n.text.as_str(), n.level),
        ("the execution succeeded", NarrationLevel::Ok)
    );
    let n = told(&def, &sample::history(Scenario::CleanRollback));
    assert_eq!(
        n.text,
        "TakePayment failed (PaymentFailed): compensated, then the execution failed \
         (BookingFailed) at Sorry, We Couldn't make the booking"
    );
    assert_eq!(n.level, NarrationLevel::Warning);
}

#[test]
fn a_state_that_succeeded_after_retries_says_so_until_the_next_one_is_busy() {
    let def = saga();
    let mut b = start();
    b.enter("Task", "RefundPayment")
        .attempt("f", Some(("Boom", "c")))
        .wait(1000)
        .attempt("f", Some(("Boom", "c")))
        .wait(2000)
        .attempt("f", None)
        .exit("Task", "RefundPayment");
    let n = told(&def, &b.build());
    assert_eq!(n.text, "RefundPayment succeeded after 2 retries");
    assert_eq!(n.level, NarrationLevel::Ok);
    b.enter("Task", "CancelFlightReservation");
    assert_eq!(
        told(&def, &b.build()).text,
        "RefundPayment succeeded after 2 retries; CancelFlightReservation running (attempt 1)"
    );
    // Once that state has its own news, the retries are old news.
    b.attempt("g", Some(("Boom", "c")));
    assert!(
        told(&def, &b.build())
            .text
            .starts_with("CancelFlightReservation failed (Boom); retry 1 of 3")
    );
}

/// A Task with a capped, and a jittered, backoff; a Catch that only takes one error.
const RETRIES: &str = r#"{"StartAt": "Call", "States": {
    "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
      "Retry": [
        {"ErrorEquals": ["Slow"], "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 5,
         "MaxDelaySeconds": 3},
        {"ErrorEquals": ["Flaky"], "IntervalSeconds": 4, "MaxAttempts": 2,
         "JitterStrategy": "FULL"}
      ],
      "Catch": [{"ErrorEquals": ["Handled"], "Next": "Recover"}],
      "End": true},
    "Recover": {"Type": "Pass", "End": true}}}"#;

#[test]
fn backoff_is_capped_by_the_maximum_delay() {
    let def = load_definition(RETRIES).unwrap();
    let mut b = start();
    b.enter("Task", "Call");
    for _ in 0..3 {
        b.attempt("f", Some(("Slow", "c")));
    }
    let events = b.build();
    let n = told(&def, &events);
    assert_eq!(n.text, "Call failed (Slow); retry 3 of 5");
    // 1 × 2² = 4 s, capped at 3 s.
    assert_eq!(
        n.countdown,
        Some(ms(events.last().unwrap().timestamp, 3000))
    );
}

#[test]
fn a_jittered_retry_counts_down_to_its_latest_start() {
    let def = load_definition(RETRIES).unwrap();
    let mut b = start();
    b.enter("Task", "Call").attempt("f", Some(("Flaky", "c")));
    let events = b.build();
    let n = told(&def, &events);
    let failed_at = events.last().unwrap().timestamp;
    assert!(n.at_most);
    assert_eq!(
        n.line(ms(failed_at, 1500)),
        "Call failed (Flaky); retry 1 of 2 within 2.5 s"
    );
    assert_eq!(
        n.line(ms(failed_at, 4000)),
        "Call failed (Flaky); retry 1 of 2 now"
    );
}

#[test]
fn a_failure_no_catch_matches_says_so() {
    let def = load_definition(RETRIES).unwrap();
    let mut b = start();
    b.enter("Task", "Call")
        .attempt("f", Some(("Other", "c")))
        .failed("Other", "c");
    let n = told(&def, &b.build());
    assert_eq!(
        n.text,
        "Call failed (Other) and no Catch matches it: the execution failed"
    );
    assert_eq!(n.level, NarrationLevel::Error);
    // Before the execution ends, the state alone is failed.
    let mut events = b.build();
    events.pop();
    assert_eq!(
        told(&def, &events).text,
        "Call failed (Other) and no Catch matches it"
    );
}

#[test]
fn a_catch_outside_a_compensation_lane_does_not_say_compensating() {
    let def = load_definition(RETRIES).unwrap();
    let mut b = start();
    b.enter("Task", "Call")
        .attempt("f", Some(("Handled", "c")))
        .exit("Task", "Call");
    let n = told(&def, &b.build());
    assert_eq!(
        n.text,
        "Call failed (Handled); its Catch sends the execution to Recover: compensating"
    );
    // The same Catch into a state the flow also reaches without it: no compensation.
    let def = load_definition(
        r#"{"StartAt": "Call", "States": {
          "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "After"}], "Next": "After"},
          "After": {"Type": "Pass", "End": true}}}"#,
    )
    .unwrap();
    b.enter("Pass", "After");
    assert_eq!(
        told(&def, &b.build()).text,
        "Call failed (Handled); its Catch sends the execution to After"
    );
}

/// Every state type; `Check` loops through `Pause` until `n` reaches 2.
fn kitchen_sink() -> Definition {
    load_definition(crate::view::layout::tests::KITCHEN_SINK).unwrap()
}

#[test]
fn a_wait_counts_down_to_its_end() {
    let def = kitchen_sink();
    let mut b = start();
    b.enter("Choice", "Check").exit("Choice", "Check");
    b.wait(5).enter("Wait", "Pause");
    let events = b.build();
    let n = told(&def, &events);
    let entered_at = events.last().unwrap().timestamp;
    assert_eq!(n.text, "Waiting 1 s in Pause; moves on");
    assert_eq!(
        n.line(ms(entered_at, 400)),
        "Waiting 1 s in Pause; moves on in 0.6 s"
    );
    assert_eq!(
        n.line(ms(entered_at, 1000)),
        "Waiting 1 s in Pause; moves on now"
    );
    assert_eq!(n.level, NarrationLevel::Progress);
}

#[test]
fn a_wait_reads_its_seconds_or_timestamp_from_the_input() {
    let def = load_definition(
        r#"{"StartAt": "ByPath", "States": {
          "ByPath": {"Type": "Wait", "InputPath": "$.wait", "SecondsPath": "$.seconds",
                     "Next": "Until"},
          "Until": {"Type": "Wait", "TimestampPath": "$.at", "Next": "Broken"},
          "Broken": {"Type": "Wait", "SecondsPath": "$.missing", "End": true}}}"#,
    )
    .unwrap();
    let input = json!({"wait": {"seconds": 10}, "at": "2021-07-10T08:00:30Z"});
    let mut b = HistoryBuilder::start(sample::epoch(), &input);
    b.enter("Wait", "ByPath");
    let n = told(&def, &b.build());
    assert_eq!(
        n.line(ms(sample::epoch(), 2500)),
        "Waiting 10 s in ByPath; moves on in 7.5 s"
    );
    b.wait(10_000).exit("Wait", "ByPath").enter("Wait", "Until");
    let n = told(&def, &b.build());
    assert_eq!(
        n.text,
        "Waiting in Until until 2021-07-10T08:00:30Z; moves on"
    );
    assert_eq!(
        n.countdown,
        Some(DateTime::from_timestamp(1_625_904_030, 0).unwrap())
    );
    // An input the path cannot read: no countdown rather than a wrong one.
    b.input(&json!({}))
        .exit("Wait", "Until")
        .enter("Wait", "Broken");
    let n = told(&def, &b.build());
    assert_eq!((n.text.as_str(), n.countdown), ("Waiting in Broken", None));
}

#[test]
fn a_choice_says_what_it_chose_and_parallel_and_map_what_they_run() {
    let def = kitchen_sink();
    let mut b = start();
    b.enter("Choice", "Check").exit("Choice", "Check");
    b.enter("Parallel", "Fan out");
    assert_eq!(told(&def, &b.build()).text, "Choice Check chose Fan out");
    b.mark(T::ParallelStateStarted)
        .enter("Pass", "Left")
        .exit("Pass", "Left")
        .enter("Pass", "Right")
        .exit("Pass", "Right")
        .enter("Pass", "Left 2")
        .exit("Pass", "Left 2")
        .mark(T::ParallelStateSucceeded);
    assert_eq!(told(&def, &b.build()).text, "Fan out running 2 branches");
    b.exit("Parallel", "Fan out")
        .enter("Map", "Each")
        .map_started(3);
    assert_eq!(told(&def, &b.build()).text, "Each running over 3 items");
    b.enter("Pass", "Item").exit("Pass", "Item");
    assert_eq!(told(&def, &b.build()).text, "Item succeeded");
}

#[test]
fn a_caught_parallel_state_names_the_error_raised_inside_it() {
    let def = kitchen_sink();
    let mut b = start();
    b.enter("Choice", "Check").exit("Choice", "Check");
    // A branch's task fails; the Parallel's own failure event carries no error.
    b.enter("Parallel", "Fan out")
        .mark(T::ParallelStateStarted)
        .enter("Task", "Left")
        .attempt("f", Some(("Broken", "c")));
    assert_eq!(
        told(&def, &b.build()).text,
        "Left failed (Broken) and has no Catch: Fan out fails"
    );
    b.mark(T::ParallelStateFailed)
        .exit("Parallel", "Fan out")
        .enter("Pass", "Oops");
    let n = told(&def, &b.build());
    assert_eq!(
        n.text,
        "Fan out failed (Broken); its Catch sends the execution to Oops: compensating"
    );
}

#[test]
fn stops_and_timeouts_name_the_state_they_interrupted() {
    let def = saga();
    let mut b = start();
    b.task_ok("ReserveHotel").enter("Task", "ReserveFlight");
    let running = b.build();
    b.mark(T::ExecutionAborted);
    let n = told(&def, &b.build());
    assert_eq!(
        n.text,
        "the execution was aborted while ReserveFlight was running"
    );
    assert_eq!(n.level, NarrationLevel::Warning);
    let mut b = start();
    b.task_ok("ReserveHotel").enter("Task", "ReserveFlight");
    assert_eq!(b.build(), running);
    b.timed_out("States.Timeout", "the execution ran too long");
    let n = told(&def, &b.build());
    assert_eq!(
        n.text,
        "the execution timed out after 300 s while ReserveFlight was running"
    );
    assert_eq!(n.state.as_deref(), Some("ReserveFlight"));
}

#[test]
fn every_moment_of_every_saga_run_has_a_line() {
    let def = saga();
    let scenarios = [
        Scenario::Success,
        Scenario::CompensationRetrying,
        Scenario::CompensationExhausted,
        Scenario::CleanRollback,
    ];
    for scenario in scenarios {
        let events = sample::history(scenario);
        let mut v = ExecutionView::new(Some(&def));
        for (i, event) in events.iter().enumerate() {
            v.apply(std::slice::from_ref(event));
            let n = narrate(&v, &def).unwrap();
            let line = n.line(event.timestamp);
            assert!(
                !line.is_empty() && !line.contains("()"),
                "{scenario:?} @{i}: {line}"
            );
            if let Some(state) = &n.state {
                assert!(
                    line.contains(state.as_str()),
                    "{scenario:?} @{i}: {line} names {state}"
                );
            }
        }
    }
}
