use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::asl::{Definition, load_definition};
use crate::history::HistoryEvent;
use crate::view::sample::{self, HistoryBuilder, Scenario};

fn saga() -> Definition {
    load_definition(include_str!("../../../infra/statemachine/saga.asl.json")).unwrap()
}

fn timeline_of(events: &[HistoryEvent], now: Option<DateTime<Utc>>) -> (ExecutionView, Timeline) {
    let def = saga();
    let mut view = ExecutionView::new(Some(&def));
    view.apply(events);
    let graph = StateGraph::from_definition(&def);
    let t = Timeline::build(&view, Some(&graph), now);
    (view, t)
}

fn names(t: &Timeline) -> Vec<&str> {
    t.visits.iter().map(|v| v.state.as_str()).collect()
}

fn kinds(v: &Visit) -> Vec<String> {
    v.segments
        .iter()
        .map(|s| match s.kind {
            SegmentKind::Attempt { number, outcome } => format!("{number}:{outcome:?}"),
            SegmentKind::Backoff => "wait".into(),
        })
        .collect()
}

fn ms(s: &Segment) -> f64 {
    ms_between(s.start, s.end)
}

#[test]
fn a_success_is_one_closed_forward_visit_per_state() {
    let (_, t) = timeline_of(&sample::history(Scenario::Success), None);
    assert_eq!(
        names(&t),
        [
            "ReserveHotel",
            "ReserveFlight",
            "TakePayment",
            "ConfirmHotelBooking",
            "ConfirmFlight",
            "We have made your booking!"
        ]
    );
    for v in &t.visits {
        assert_eq!(v.lane, Lane::Forward, "{}", v.state);
        assert!(!v.open);
        assert_eq!(kinds(v), ["1:Succeeded"], "{}", v.state);
        assert_eq!(v.segments[0].start, v.start);
        assert_eq!(v.segments[0].end, v.end);
    }
    // Each task visit: 5 ms to schedule, 15 + 120 ms of attempt, 5 ms to exit.
    assert_eq!(ms_between(t.visits[0].start, t.visits[0].end), 145.0);
    assert!(t.end > t.visits[5].end);
}

#[test]
fn retries_are_attempts_with_the_backoff_between_them() {
    let (_, t) = timeline_of(&sample::history(Scenario::CompensationExhausted), None);
    assert_eq!(
        names(&t),
        [
            "ReserveHotel",
            "ReserveFlight",
            "TakePayment",
            "RefundPayment",
            "CancelFlightReservation"
        ]
    );
    let pay = &t.visits[2];
    assert_eq!(kinds(pay), ["1:Failed"], "caught: one failed attempt");
    assert!(!pay.open && pay.end > pay.segments[0].end);
    let cancel = &t.visits[4];
    assert_eq!(
        kinds(cancel),
        [
            "1:Failed", "wait", "2:Failed", "wait", "3:Failed", "wait", "4:Failed"
        ]
    );
    let waits: Vec<f64> = cancel
        .segments
        .iter()
        .filter(|s| s.kind == SegmentKind::Backoff)
        .map(ms)
        .collect();
    assert_eq!(waits, [1000.0, 2000.0, 4000.0]);
    for pair in cancel.segments.windows(2) {
        assert_eq!(pair[0].end, pair[1].start, "segments meet end to end");
    }
    assert_eq!(cancel.retries(), 3);
    assert_eq!(cancel.attempts(), 4);
    assert!(cancel.failed() && !cancel.open && cancel.retry_due.is_none());
    assert_eq!(cancel.end, t.end, "the execution's failure ends it");
}

#[test]
fn lanes_follow_the_graph_and_default_to_forward() {
    let events = sample::history(Scenario::CleanRollback);
    let (view, t) = timeline_of(&events, None);
    let lanes: Vec<(&str, Lane)> = t
        .visits
        .iter()
        .map(|v| (v.state.as_str(), v.lane))
        .collect();
    assert_eq!(
        lanes,
        [
            ("ReserveHotel", Lane::Forward),
            ("ReserveFlight", Lane::Forward),
            ("TakePayment", Lane::Forward),
            ("RefundPayment", Lane::Compensation),
            ("CancelFlightReservation", Lane::Compensation),
            ("CancelHotelReservation", Lane::Compensation),
            ("Sorry, We Couldn't make the booking", Lane::Compensation),
        ]
    );
    // The Fail state never exits: the execution's failure ends it, failed.
    assert_eq!(kinds(&t.visits[6]), ["1:Failed"]);
    let without = Timeline::build(&view, None, None);
    assert!(without.visits.iter().all(|v| v.lane == Lane::Forward));
}

#[test]
fn a_pending_retry_waits_open_and_the_axis_reaches_its_due_time() {
    let (view, t) = timeline_of(&sample::history(Scenario::CompensationRetrying), None);
    let refund = t.visits.last().unwrap();
    assert_eq!(refund.state, "RefundPayment");
    assert_eq!(kinds(refund), ["1:Failed", "wait", "2:Failed", "wait"]);
    let pending = refund.segments.last().unwrap();
    assert!(pending.open && refund.open);
    let due = refund.retry_due.unwrap();
    let grant = view.state("RefundPayment").unwrap().retry.clone().unwrap();
    assert_eq!(due, grant.due());
    assert_eq!(t.end, due, "the axis shows when the retry comes");
    let last = view.events.last().unwrap().timestamp;
    assert_eq!(pending.end, last, "without a clock, now is the last event");
}

#[test]
fn a_running_attempt_grows_to_now() {
    let mut b = HistoryBuilder::start(sample::epoch(), &serde_json::json!({}));
    b.wait(20).enter("Task", "ReserveHotel").wait(5);
    let events = b.build();
    let last = events.last().unwrap().timestamp;
    let now = last + Duration::seconds(3);
    let (_, t) = timeline_of(&events, Some(now));
    let v = &t.visits[0];
    assert_eq!(kinds(v), ["1:Running"]);
    assert!(v.open && v.segments[0].open);
    assert_eq!((v.end, t.end), (now, now));
    // A clock behind the history never shortens it.
    let (_, t) = timeline_of(&events, Some(last - Duration::seconds(1)));
    assert_eq!(t.end, last);
}

#[test]
fn a_stop_aborts_what_was_running() {
    let mut b = HistoryBuilder::start(sample::epoch(), &serde_json::json!({}));
    b.wait(20).enter("Task", "ReserveHotel").wait(505);
    b.mark(crate::history::EventType::ExecutionAborted);
    let (_, t) = timeline_of(&b.build(), None);
    assert_eq!(kinds(&t.visits[0]), ["1:Aborted"]);
    assert!(!t.visits[0].open);
    assert_eq!(t.visits[0].end, t.end);
}

#[test]
fn the_cursor_event_finds_its_visit() {
    let (view, t) = timeline_of(&sample::history(Scenario::CompensationExhausted), None);
    let last_attempt = view
        .events
        .iter()
        .rposition(|e| e.event_type == crate::history::EventType::TaskFailed)
        .unwrap();
    assert_eq!(t.visit_of_event(&view, last_attempt), Some(4));
    assert_eq!(
        t.visit_of_event(&view, 0),
        None,
        "ExecutionStarted has no state"
    );
    assert_eq!(t.visit_of_event(&view, 1), Some(0));
    assert_eq!(t.visit_of_event(&view, 10_000), None);
}

#[test]
fn an_empty_history_is_an_empty_timeline() {
    let t = Timeline::build(&ExecutionView::default(), None, None);
    assert!(t.visits.is_empty());
    assert_eq!(t.span_ms(), 0.0);
}

// The axis.

fn axis(span_ms: f64, cols: u16) -> Axis {
    Axis::new(&Scale::new(sample::epoch(), span_ms, cols))
}

fn labels(a: &Axis) -> Vec<&str> {
    a.ticks.iter().map(|t| t.label.as_str()).collect()
}

#[test]
fn the_axis_counts_milliseconds_for_a_fast_run() {
    let a = axis(50.0, 40);
    assert_eq!((a.unit, a.step_ms), (Unit::Millis, 10));
    assert_eq!(labels(&a), ["0", "10ms", "20ms", "30ms", "40ms"]);
    assert_eq!(a.ticks[1].col, 8);
}

#[test]
fn the_axis_counts_seconds_with_a_decimal_only_when_needed() {
    let a = axis(3_000.0, 40);
    assert_eq!((a.unit, a.step_ms), (Unit::Seconds, 500));
    assert_eq!(labels(&a), ["0", "0.5s", "1.0s", "1.5s", "2.0s", "2.5s"]);
    let a = axis(40_000.0, 40);
    assert_eq!((a.unit, a.step_ms), (Unit::Seconds, 5_000));
    assert_eq!(labels(&a)[..3], ["0", "5s", "10s"]);
}

#[test]
fn the_axis_counts_minutes_and_hours_for_long_runs() {
    let a = axis(10.0 * 60_000.0, 40);
    assert_eq!((a.unit, a.step_ms), (Unit::Minutes, 120_000));
    assert_eq!(labels(&a), ["0", "2min", "4min", "6min", "8min"]);
    let a = axis(5.0 * 3_600_000.0, 40);
    assert_eq!(a.unit, Unit::Hours);
    assert_eq!(labels(&a), ["0", "1h", "2h", "3h", "4h"]);
    let a = axis(30.0 * 86_400_000.0, 40);
    assert_eq!(a.unit, Unit::Hours);
    assert_eq!(a.step_ms % 86_400_000, 0, "days: whole days apart");
}

#[test]
fn labels_never_touch_and_stay_inside() {
    for span in [1.0, 7.0, 333.0, 2_345.0, 61_000.0, 3_599_000.0, 1e8, 1e11] {
        for cols in [10u16, 33, 46, 80, 200] {
            let a = axis(span, cols);
            assert!(!a.ticks.is_empty(), "{span} {cols}");
            assert_eq!(a.ticks[0].label, "0");
            for pair in a.ticks.windows(2) {
                let end = pair[0].col as usize + pair[0].label.chars().count();
                assert!(end < pair[1].col as usize, "{span} {cols}: {:?}", a.ticks);
            }
            let last = a.ticks.last().unwrap();
            assert!(last.col as usize + last.label.chars().count() <= cols as usize);
        }
    }
}

#[test]
fn the_scale_maps_instants_to_columns() {
    let s = Scale::new(sample::epoch(), 1_000.0, 10);
    let at = |ms| sample::epoch() + Duration::milliseconds(ms);
    assert_eq!((s.col(at(0)), s.col(at(99)), s.col(at(100))), (0, 0, 1));
    assert_eq!((s.last_col(at(100)), s.last_col(at(101))), (0, 1));
    assert_eq!(s.col(at(5_000)), 9, "clamped to the chart");
    assert_eq!(s.col(at(-5_000)), 0);
    let tiny = Scale::new(sample::epoch(), 0.0, 10);
    assert_eq!(
        tiny.ms_per_col, 1.0,
        "a one-instant history still has a scale"
    );
}

// Painting.

fn cell_texts(t: &Timeline, cols: u16) -> Vec<String> {
    let scale = Scale::new(t.start, t.span_ms(), cols);
    t.visits
        .iter()
        .map(|v| {
            let cells: String = paint(v, &scale).cells.iter().map(|c| c.ch).collect();
            cells.trim_end().to_string()
        })
        .collect()
}

fn row_texts(t: &Timeline, cols: u16) -> Vec<String> {
    let scale = Scale::new(t.start, t.span_ms(), cols);
    t.visits
        .iter()
        .map(|v| paint(v, &scale).text().trim_end().to_string())
        .collect()
}

#[test]
fn every_failure_and_every_wait_stays_visible() {
    let (_, t) = timeline_of(&sample::history(Scenario::CompensationExhausted), None);
    for cols in [20u16, 46, 100] {
        let rows = cell_texts(&t, cols);
        let cancel = &rows[4];
        assert_eq!(cancel.matches('✗').count(), 4, "{cols}: {cancel}");
        let mut bars = cancel.split('✗');
        let _ = bars.next();
        for gap in bars.take(3) {
            assert!(
                gap.starts_with('┄'),
                "{cols}: a wait after each retried failure: {cancel}"
            );
        }
        assert!(
            cols < 100 || cancel.contains('▓'),
            "compensations are shaded: {cancel}"
        );
        assert!(rows[0].contains('█'));
    }
}

#[test]
fn a_long_bar_holds_its_name_and_a_short_one_is_named_beside_it() {
    let (_, t) = timeline_of(&sample::history(Scenario::CompensationExhausted), None);
    let scale = Scale::new(t.start, t.span_ms(), 60);
    let cancel = paint(&t.visits[4], &scale);
    let label = cancel.label.clone().unwrap();
    assert!(label.inside, "{label:?}");
    assert_eq!(label.text, "CancelFlightReservation ↻3");
    let hotel = paint(&t.visits[0], &scale);
    let label = hotel.label.clone().unwrap();
    assert!(!label.inside);
    assert_eq!(label.text, "ReserveHotel");
    assert_eq!(hotel.text().trim_end(), "██ ReserveHotel");
    let text = cancel.text();
    assert_eq!(
        text.matches('✗').count(),
        4,
        "the name hides no failure: {text}"
    );
}

#[test]
fn a_bar_at_the_right_edge_is_named_before_it() {
    let (_, t) = timeline_of(&sample::history(Scenario::Success), None);
    let rows = row_texts(&t, 46);
    let last = rows.last().unwrap();
    assert!(last.ends_with("We have made your booking! █"), "{last}");
}

#[test]
fn a_pending_retry_is_dotted_to_its_due_column() {
    let (_, t) = timeline_of(&sample::history(Scenario::CompensationRetrying), None);
    let scale = Scale::new(t.start, t.span_ms(), 46);
    let row = paint(t.visits.last().unwrap(), &scale);
    let text: String = row.cells.iter().map(|c| c.ch).collect();
    let text = text.trim_end();
    assert!(text.ends_with('↻'), "{text}");
    assert_eq!(scale.col(t.end) as usize, text.chars().count() - 1);
    assert!(text.contains("✗┄"), "{text}");
    assert!(row.cells.iter().any(|c| c.kind == CellKind::Due));
}

#[test]
fn parallel_and_map_states_hold_their_nested_visits() {
    use crate::history::EventType as T;
    let mut b = HistoryBuilder::start(sample::epoch(), &serde_json::json!({}));
    b.wait(10)
        .enter("Parallel", "Both")
        .mark(T::ParallelStateStarted);
    b.wait(5).task_ok("Left");
    b.enter("Map", "Each").map_started(2);
    // Two iterations of one state at once: each exit closes one of them.
    b.enter("Task", "Item").enter("Task", "Item").wait(50);
    b.exit("Task", "Item").wait(50).exit("Task", "Item");
    b.mark(T::MapStateSucceeded).exit("Map", "Each");
    b.mark(T::ParallelStateSucceeded)
        .wait(5)
        .exit("Parallel", "Both");
    b.succeeded();
    let mut view = ExecutionView::new(None);
    view.apply(&b.build());
    let t = Timeline::build(&view, None, None);
    assert_eq!(names(&t), ["Both", "Left", "Each", "Item", "Item"]);
    assert!(t.visits.iter().all(|v| !v.open), "{:?}", t.visits);
    for v in &t.visits {
        assert_eq!(kinds(v), ["1:Succeeded"], "{}", v.state);
    }
    let both = &t.visits[0];
    assert!(both.start < t.visits[1].start && both.end > t.visits[2].end);
    let (first, second) = (&t.visits[3], &t.visits[4]);
    assert!(
        first.end > second.end,
        "the latest entered leaves first here"
    );
    let scale = Scale::new(t.start, t.span_ms(), 40);
    for v in &t.visits {
        assert!(paint(v, &scale).label.is_some(), "{}", v.state);
    }
}
