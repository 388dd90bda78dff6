//! The graph panel's timeline (`v`): whole-screen snapshots built from fixed histories
//! (`sagaview::tui::demo`, `sagaview::view::sample`), and how it scrolls, follows the
//! history cursor and zooms.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use insta::assert_snapshot;
use saga_lambdas::RunType;
use sagaview::history::HistoryEvent;
use sagaview::tui::demo::{self, DemoScreen};
use sagaview::tui::{App, Msg};
use sagaview::view::sample::{self, HistoryBuilder};

const ARN: &str = "arn:aws:states:us-east-1:123456789012:execution:BookingSaga:run-0001";

fn key(app: &mut App, code: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn text(app: &App, w: u16, h: u16) -> String {
    demo::to_text(&demo::render(app, w, h))
}

/// A demo screen with the graph panel turned to the timeline.
fn timeline_of(screen: DemoScreen, w: u16, h: u16) -> App {
    let mut app = demo::app(screen, &demo::options(false), w, h);
    key(&mut app, KeyCode::Char('v'));
    app
}

/// failPayment where RefundPayment failed three times, each retry after its backoff
/// (1 s, 2 s, 4 s), then succeeded; the other compensations ran and the saga failed.
fn retried_app(w: u16, h: u16) -> App {
    demo::app(DemoScreen::Timeline, &demo::options(false), w, h)
}

/// Rows of the graph panel (the left 60% of rows 3.. of the screen).
fn panel_lines(text: &str) -> Vec<&str> {
    text.lines().skip(3).collect()
}

#[test]
fn success_timeline_80x24() {
    let app = timeline_of(DemoScreen::SuccessFinished, 80, 24);
    let text = text(&app, 80, 24);
    assert!(text.contains("Timeline success SUCCEEDED"), "{text}");
    for name in ["ReserveHotel", "TakePayment", "ConfirmFlight"] {
        assert!(text.contains(name), "{name}: {text}");
    }
    let bars: String = panel_lines(&text)
        .iter()
        .take(9)
        .map(|l| &l[..l.len().min(140)])
        .collect();
    assert!(
        !bars.contains('✗') && !bars.contains('┄'),
        "no failure, no wait: {text}"
    );
    assert_snapshot!(text);
}

#[test]
fn success_timeline_120x40() {
    let app = timeline_of(DemoScreen::SuccessFinished, 120, 40);
    assert_snapshot!(text(&app, 120, 40));
}

#[test]
fn compensation_retried_three_times_80x24() {
    let app = retried_app(80, 24);
    let text = text(&app, 80, 24);
    let refund = panel_lines(&text)
        .into_iter()
        .find(|l| l.contains("RefundPayment"))
        .unwrap_or_default()
        .to_string();
    assert_eq!(refund.matches('✗').count(), 3, "{text}");
    assert!(refund.contains("✗┄"), "backoff after each failure: {text}");
    assert!(text.contains("RefundPayment ↻3"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn compensation_retried_three_times_120x40() {
    let app = retried_app(120, 40);
    assert_snapshot!(text(&app, 120, 40));
}

#[test]
fn a_pending_retry_shows_when_it_is_due_80x24() {
    let app = timeline_of(DemoScreen::CompensationRetrying, 80, 24);
    let text = text(&app, 80, 24);
    assert!(text.contains('↻'), "{text}");
    assert_snapshot!(text);
}

#[test]
fn the_timeline_zooms_with_the_panel_80x24() {
    let mut app = timeline_of(DemoScreen::CompensationExhausted, 80, 24);
    key(&mut app, KeyCode::Char('z'));
    let text = text(&app, 80, 24);
    assert!(text.contains("CancelFlightReservation ↻3"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn v_toggles_back_to_the_graph_in_every_panel() {
    let mut app = timeline_of(DemoScreen::SuccessFinished, 80, 24);
    for _ in 0..4 {
        assert!(app.timeline);
        assert!(text(&app, 80, 24).contains("Timeline"));
        key(&mut app, KeyCode::Char('v'));
        assert!(!app.timeline);
        assert!(text(&app, 80, 24).contains("State graph"));
        key(&mut app, KeyCode::Char('v'));
        key(&mut app, KeyCode::Tab);
    }
}

/// The column of the cursor marker on the axis line (the `▲`), in chars.
fn cursor_column(text: &str) -> Option<usize> {
    text.lines().find_map(|l| l.chars().position(|c| c == '▲'))
}

#[test]
fn the_cursor_marker_moves_with_the_history_cursor() {
    let mut app = timeline_of(DemoScreen::SuccessFinished, 80, 24);
    let end = cursor_column(&text(&app, 80, 24)).expect("a cursor on the axis");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Home);
    assert!(!app.follow);
    let start = text(&app, 80, 24);
    assert_eq!(cursor_column(&start), Some(2), "at the start: {start}");
    assert!(start.contains("│ +0.000s"), "{start}");
    assert!(end > 30, "following: the marker is at the last event");
    // Moving the cursor to a state's event marks that state's row.
    key(&mut app, KeyCode::Down);
    let one = text(&app, 80, 24);
    let marked: Vec<&str> = one
        .lines()
        .filter(|l| l.chars().nth(1) == Some('▸'))
        .collect();
    assert_eq!(marked.len(), 1, "{one}");
    assert!(marked[0].contains("ReserveHotel"), "{one}");
}

/// An execution that visits many states: a Pass loop of `n` visits.
fn many_visits(n: usize) -> Vec<HistoryEvent> {
    let mut b = HistoryBuilder::start(sample::epoch(), &serde_json::json!({}));
    for i in 0..n {
        let name = if i % 2 == 0 {
            "ReserveHotel"
        } else {
            "ReserveFlight"
        };
        b.wait(10).task_ok(name);
    }
    b.build()
}

#[test]
fn many_visits_scroll_with_up_and_down_in_the_graph_panel() {
    let mut app = app_with(many_visits(30), 80, 24);
    let following = text(&app, 80, 24);
    assert!(
        following.contains("22-30 of 30 ▲"),
        "the latest in view: {following}"
    );
    key(&mut app, KeyCode::Home);
    let top = text(&app, 80, 24);
    assert!(top.contains("1-9 of 30 ▼"), "{top}");
    key(&mut app, KeyCode::Down);
    let down = text(&app, 80, 24);
    assert!(down.contains("2-10 of 30 ▲▼"), "{down}");
    key(&mut app, KeyCode::End);
    assert!(text(&app, 80, 24).contains("22-30 of 30 ▲"));
    // Left and right have nothing to pan.
    key(&mut app, KeyCode::Right);
    assert!(text(&app, 80, 24).contains("22-30 of 30 ▲"));
}

fn mouse(app: &mut App, kind: MouseEventKind, column: u16, row: u16) {
    app.update(Msg::Mouse(MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }));
}

#[test]
fn a_click_on_a_visit_moves_the_history_cursor_to_it_and_the_wheel_scrolls() {
    let mut app = retried_app(80, 24);
    // Row 4 of the screen is the panel's first visit row: ReserveHotel.
    mouse(&mut app, MouseEventKind::Down(MouseButton::Left), 10, 4);
    assert!(!app.follow);
    let view = &app.selected_execution().expect("selected").view;
    let note = &view.notes[app.history_cursor];
    assert_eq!(note.state.as_deref(), Some("ReserveHotel"));
    assert!(
        view.events[app.history_cursor]
            .event_type
            .is_state_entered()
    );
    // RefundPayment, three rows further down.
    mouse(&mut app, MouseEventKind::Down(MouseButton::Left), 10, 7);
    let view = &app.selected_execution().expect("selected").view;
    assert_eq!(
        view.notes[app.history_cursor].state.as_deref(),
        Some("RefundPayment")
    );
    let text = text(&app, 80, 24);
    let marked: Vec<&str> = text
        .lines()
        .filter(|l| l.chars().nth(1) == Some('▸'))
        .collect();
    assert_eq!(marked.len(), 1, "{text}");
    assert!(marked[0].contains("RefundPayment"), "{text}");
    // The axis rows select nothing.
    let before = app.history_cursor;
    mouse(&mut app, MouseEventKind::Down(MouseButton::Left), 10, 14);
    assert_eq!(app.history_cursor, before);
}

#[test]
fn the_wheel_scrolls_many_visits() {
    let mut app = app_with(many_visits(30), 80, 24);
    mouse(&mut app, MouseEventKind::ScrollUp, 10, 8);
    assert!(text(&app, 80, 24).contains("19-27 of 30 ▲▼"));
}

/// An app showing the timeline of `events` (a success run's, on a fresh trip).
fn app_with(events: Vec<HistoryEvent>, w: u16, h: u16) -> App {
    let mut app = demo::app(DemoScreen::Idle, &demo::options(false), w, h);
    app.launches += 1;
    demo::started(&mut app, ARN, RunType::Success, "trip-0009", events);
    key(&mut app, KeyCode::Char('v'));
    app
}

/// The axis labels line of the graph panel.
fn axis_labels(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let axis = lines
        .iter()
        .position(|l| l.contains('┬'))
        .expect("an axis line");
    lines[axis + 1].chars().take(48).collect()
}

#[test]
fn the_axis_counts_in_minutes_and_hours_when_a_run_waits() {
    for (wait_ms, unit) in [(12 * 60_000, "min"), (5 * 3_600_000, "h")] {
        let mut b = HistoryBuilder::start(sample::epoch(), &serde_json::json!({}));
        b.wait(20)
            .enter("Wait", "Hold")
            .wait(wait_ms)
            .exit("Wait", "Hold");
        b.task_ok("ReserveHotel").succeeded();
        let app = app_with(b.build(), 80, 24);
        let text = text(&app, 80, 24);
        let labels = axis_labels(&text);
        assert!(labels.contains(&format!("2{unit}")), "{labels}\n{text}");
        assert!(text.contains("Hold"), "{text}");
    }
}

#[test]
fn a_running_bar_grows_to_the_backend_clock() {
    let mut b = HistoryBuilder::start(sample::epoch(), &serde_json::json!({}));
    b.wait(20)
        .task_ok("ReserveHotel")
        .enter("Task", "ReserveFlight");
    let events = b.build();
    let last = events.last().expect("events").timestamp;
    let mut app = app_with(events, 80, 24);
    let before = text(&app, 80, 24);
    app.update(Msg::Tick {
        now_ms: 1_000,
        clock: last + chrono::Duration::seconds(10),
    });
    let after = text(&app, 80, 24);
    let bar = |t: &str, name: &str| {
        t.lines()
            .find(|l| l.starts_with('┃') && l.contains(name))
            .map(|l| l.matches('█').count())
            .unwrap_or_default()
    };
    // The finished step shrinks as the running one reaches the clock.
    assert!(
        bar(&after, "ReserveHotel") < bar(&before, "ReserveHotel") / 4,
        "{before}\n{after}"
    );
    assert!(bar(&after, "ReserveFlight") > 20, "{after}");
    assert!(after.contains('▶'), "{after}");
    assert!(axis_labels(&after).contains("8s"), "{after}");
}
