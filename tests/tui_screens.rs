//! Whole-screen snapshots of the terminal UI (ratatui `TestBackend` + insta).
//!
//! Every screen is built from fixed histories and rows (`sagaview::tui::demo`), so the
//! text is reproducible: fixed trip id, fixed timestamps, spinner frame 0.

use insta::assert_snapshot;
use sagaview::backend::Launch;
use sagaview::tui::Msg;
use sagaview::tui::demo::{self, DemoScreen};
use sagaview::view::sample::{self, HistoryBuilder};

fn screen(s: DemoScreen, w: u16, h: u16) -> String {
    demo::terminal(s, w, h).backend().to_string()
}

#[test]
fn idle_start_120x40() {
    assert_snapshot!(demo::terminal(DemoScreen::Idle, 120, 40).backend());
}

#[test]
fn idle_start_80x24() {
    assert_snapshot!(demo::terminal(DemoScreen::Idle, 80, 24).backend());
}

#[test]
fn success_finished_120x40() {
    let text = screen(DemoScreen::SuccessFinished, 120, 40);
    assert!(text.contains("booking complete"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn success_finished_80x24() {
    assert_snapshot!(demo::terminal(DemoScreen::SuccessFinished, 80, 24).backend());
}

#[test]
fn fail_payment_compensation_retrying_120x40() {
    let text = screen(DemoScreen::CompensationRetrying, 120, 40);
    assert!(text.contains("↻2 RefundPayment"), "{text}");
    assert!(text.contains("⤳ TakePayment"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn fail_payment_compensation_retrying_80x24() {
    let text = screen(DemoScreen::CompensationRetrying, 80, 24);
    assert!(text.contains("↻2"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn compensation_exhausted_names_orphans_120x40() {
    let text = screen(DemoScreen::CompensationExhausted, 120, 40);
    assert!(text.contains("✗↻3 CancelFlightReservation"), "{text}");
    assert!(text.contains("orphaned: FLIGHT#"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn compensation_exhausted_80x24() {
    assert_snapshot!(demo::terminal(DemoScreen::CompensationExhausted, 80, 24).backend());
}

#[test]
fn help_overlay_120x40() {
    let text = screen(DemoScreen::Help, 120, 40);
    assert!(
        text.contains("failFlightsConfirmation") && text.contains("Ctrl-C"),
        "{text}"
    );
    assert_snapshot!(text);
}

#[test]
fn help_overlay_80x24() {
    assert_snapshot!(demo::terminal(DemoScreen::Help, 80, 24).backend());
}

fn footer(s: DemoScreen, w: u16, h: u16) -> String {
    let text = screen(s, w, h);
    let last = text.lines().last().unwrap_or_default();
    last.trim_matches('"').trim_end().to_string()
}

/// Help and quit are always offered; the rest of the line goes by priority, and a hint
/// that does not fit is left out whole.
#[test]
fn the_footer_fits_by_priority_at_80_and_120_columns() {
    assert_eq!(
        footer(DemoScreen::Idle, 80, 24),
        " 1-6 launch  Enter relaunch  t trip  p pause  . step  s stop  ? help  q quit"
    );
    assert_eq!(
        footer(DemoScreen::Idle, 120, 40),
        " 1-6 launch  Enter relaunch  t trip  p pause  . step  z zoom  c fail rate  \
         Tab panel  ←→/hl pan  s stop  ? help  q quit"
    );
    assert_eq!(footer(DemoScreen::Help, 80, 24), " Esc/? close");
}

#[test]
fn below_80x24_says_too_small() {
    let text = screen(DemoScreen::Idle, 79, 24);
    assert!(text.contains("terminal too small"), "{text}");
    let text = screen(DemoScreen::Idle, 80, 23);
    assert!(text.contains("terminal too small"), "{text}");
    let text = screen(DemoScreen::Idle, 80, 24);
    assert!(!text.contains("terminal too small"), "{text}");
}

/// failPayment where RefundPayment failed twice and then succeeded; the next
/// compensation has just been entered.
fn recovered_after_two_retries() -> Vec<sagaview::history::HistoryEvent> {
    let cause = "refund-payment failed at random";
    let mut b = HistoryBuilder::start(sample::epoch(), &serde_json::json!({}));
    b.task_ok("ReserveHotel").task_ok("ReserveFlight");
    b.enter("Task", "TakePayment")
        .attempt("TakePayment", Some(("PaymentFailed", "on purpose")))
        .exit("Task", "TakePayment");
    b.enter("Task", "RefundPayment")
        .attempt("RefundPayment", Some(("InternalServerError", cause)))
        .wait(1000)
        .attempt("RefundPayment", Some(("InternalServerError", cause)))
        .wait(2000)
        .attempt("RefundPayment", None)
        .exit("Task", "RefundPayment");
    b.enter("Task", "CancelFlightReservation");
    b.build()
}

#[test]
fn a_step_that_succeeded_after_retries_keeps_its_mark_120x40() {
    let (w, h) = (120, 40);
    let mut app = demo::app(DemoScreen::Idle, &demo::options(false), w, h);
    let arn = "arn:aws:states:us-east-1:123456789012:execution:BookingSaga:run-0001".to_string();
    app.update(Msg::Started {
        seq: app.launches,
        launch: Launch {
            run_type: saga_lambdas::RunType::FailPayment,
            trip_id: sample::TRIP_ID.into(),
            cancel_failure_rate: 0.4,
        },
        result: Ok(arn.clone()),
    });
    app.update(Msg::History {
        arn,
        result: Ok(recovered_after_two_retries()),
    });
    let text = demo::to_text(&demo::render(&app, w, h));
    assert!(text.contains("✓↻2 RefundPayment"), "{text}");
    assert!(
        text.contains("  ✓ ReserveHotel"),
        "no retries, no count: {text}"
    );
    assert_snapshot!(text);
}
