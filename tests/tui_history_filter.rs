//! The history's `/` filter and `y` (the selected execution's ARN, shown and copied),
//! on fixed histories and through the real loop.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use insta::assert_snapshot;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagaview::backend::SagaBackend;
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::engine::Pace;
use sagaview::store::Store;
use sagaview::tui::clipboard::{Clipboard, osc52};
use sagaview::tui::demo::{self, DemoScreen};
use sagaview::tui::keymap::Focus;
use sagaview::tui::runner::Runner;
use sagaview::tui::{App, Cmd, Msg, TuiOptions};
use sagaview::view::sample::{self, Scenario};
use support::tui::{key, screen, turn_until};

fn press(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn drawn(app: &App, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    terminal
        .draw(|f| sagaview::tui::draw(f, app))
        .expect("drawn");
    terminal.backend().to_string()
}

/// A compensation that gave up, the history filtered to what failed.
fn exhausted(w: u16, h: u16) -> App {
    demo::app(
        DemoScreen::CompensationExhausted,
        &demo::options(false),
        w,
        h,
    )
}

/// The event types and states of the history entries listed, in order.
fn listed(app: &App) -> Vec<String> {
    let e = app.selected_execution().expect("selected");
    (0..app.history_entries())
        .map(|k| {
            let i = app.history_entry(k).expect("an entry");
            let note = e.view.notes[i].state.as_deref().unwrap_or("-");
            format!("{} {note}", e.view.events[i].event_type.as_str())
        })
        .collect()
}

#[test]
fn a_filtered_history_120x40() {
    let mut app = exhausted(120, 40);
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.focus, Focus::History, "the filter shows what it keeps");
    type_text(&mut app, "type:failed");
    let typing = drawn(&app, 120, 40);
    assert!(typing.contains("/type:failed▏"), "{typing}");
    press(&mut app, KeyCode::Enter);
    let kept = listed(&app);
    // Four attempts of CancelFlightReservation, TakePayment's one, and the end.
    assert_eq!(
        kept,
        [
            "TaskFailed TakePayment",
            "TaskFailed CancelFlightReservation",
            "TaskFailed CancelFlightReservation",
            "TaskFailed CancelFlightReservation",
            "TaskFailed CancelFlightReservation",
            "ExecutionFailed -",
        ]
    );
    let text = drawn(&app, 120, 40);
    let total = app
        .selected_execution()
        .expect("selected")
        .view
        .events
        .len();
    assert!(
        text.contains(&format!("Event history 6/{total} /type:failed")),
        "{text}"
    );
    assert_snapshot!(text);
}

#[test]
fn the_cursor_moves_between_the_events_kept() {
    let mut app = exhausted(120, 40);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "state:cancelflight type:taskfailed");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.history_entries(), 4);
    // Following: the cursor is on the last event kept.
    let last = app.history_entry(3).expect("four kept");
    assert_eq!(app.history_cursor, last);
    press(&mut app, KeyCode::Up);
    assert!(!app.follow);
    assert_eq!(app.history_cursor, app.history_entry(2).expect("kept"));
    press(&mut app, KeyCode::Home);
    let first = app.history_entry(0).expect("kept");
    assert_eq!(app.history_cursor, first);
    // [ and ] travel from one kept event to the next.
    press(&mut app, KeyCode::Char(']'));
    assert_eq!(app.history_cursor, app.history_entry(1).expect("kept"));
    press(&mut app, KeyCode::Char(']'));
    assert_eq!(app.history_cursor, app.history_entry(2).expect("kept"));
    press(&mut app, KeyCode::Char('['));
    press(&mut app, KeyCode::Char('['));
    assert_eq!(app.history_cursor, first);
    // Enter opens the event under the cursor, one the filter kept.
    press(&mut app, KeyCode::Enter);
    let text = drawn(&app, 120, 40);
    assert!(text.contains("TaskFailed"), "{text}");
    press(&mut app, KeyCode::Esc);
    // Esc in the history shows every event again, the cursor where it was.
    press(&mut app, KeyCode::Esc);
    assert!(!app.history_filtered());
    assert_eq!(app.history_cursor, first);
    assert_eq!(
        app.history_entries(),
        app.selected_execution()
            .expect("selected")
            .view
            .events
            .len()
    );
}

#[test]
fn esc_while_typing_gives_back_the_filter_before() {
    let mut app = exhausted(120, 40);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "refund");
    press(&mut app, KeyCode::Enter);
    let refund = listed(&app);
    assert!(!refund.is_empty());
    assert!(
        refund.iter().all(|l| l.ends_with("RefundPayment")),
        "{refund:?}"
    );
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, " nothing-matches-this");
    assert_eq!(app.history_entries(), 0, "applied while typed");
    let text = drawn(&app, 120, 40);
    assert!(text.contains("no event matches"), "{text}");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.history_filter, "refund");
    assert_eq!(listed(&app), refund);
    // Ctrl-U clears what is typed: every event again.
    press(&mut app, KeyCode::Char('/'));
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    press(&mut app, KeyCode::Enter);
    assert!(!app.history_filtered());
}

#[test]
fn a_growing_history_is_filtered_as_it_arrives() {
    let mut app = demo::app(DemoScreen::Idle, &demo::options(false), 120, 40);
    let arn = "arn:aws:states:us-east-1:123456789012:execution:BookingSaga:grow";
    let events = sample::history(Scenario::CleanRollback);
    app.launches += 1;
    demo::started(
        &mut app,
        arn,
        saga_lambdas::RunType::FailPayment,
        sample::TRIP_ID,
        events[..10].to_vec(),
    );
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "state:refund");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.history_entries(), 0, "RefundPayment has not run yet");
    app.update(Msg::History {
        arn: arn.into(),
        result: Ok(events[10..].to_vec()),
    });
    let kept = listed(&app);
    assert!(!kept.is_empty());
    assert!(
        kept.iter().all(|l| l.ends_with("RefundPayment")),
        "{kept:?}"
    );
    let last = app.history_entry(kept.len() - 1).expect("kept");
    assert_eq!(app.history_cursor, last, "following the last event kept");
}

#[test]
fn y_copies_the_selected_arn_and_says_which() {
    let mut idle = demo::app(DemoScreen::Idle, &demo::options(false), 120, 40);
    assert_eq!(press(&mut idle, KeyCode::Char('y')), vec![]);
    let text = drawn(&idle, 120, 40);
    assert!(text.contains("no execution selected to copy"), "{text}");

    let mut app = exhausted(120, 40);
    let arn = app.selected.clone().expect("selected");
    let text = drawn(&app, 120, 40);
    assert!(
        text.contains("BookingSaga:run-0001 y copies"),
        "the ARN's end is shown: {text}"
    );
    assert_eq!(
        press(&mut app, KeyCode::Char('y')),
        vec![Cmd::Copy(arn.clone())]
    );
    let text = drawn(&app, 120, 40);
    assert!(
        text.contains(&format!("⧉ copied (OSC 52): {arn}")),
        "the whole ARN, for a terminal that ignores the copy: {text}"
    );
    // At 80 columns the ARN keeps its whole width.
    app.update(Msg::Resize(80, 24));
    let text = drawn(&app, 80, 24);
    assert!(text.contains(&format!("⧉ {arn}")), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn the_loop_writes_the_arn_to_the_terminal_as_osc_52() {
    let backend: Arc<dyn SagaBackend> = Arc::new(
        EmbeddedBackend::new(
            Store::open_in_memory().expect("memory store"),
            EmbeddedOptions {
                seed: Some(3),
                pace: Pace::Instant,
                speed: 1.0,
            },
        )
        .expect("embedded backend"),
    );
    let options = TuiOptions {
        trip_id: Some("trip-copy".into()),
        ..demo::options(true)
    };
    let app = App::new(backend.info(), &options);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut runner = Runner::new(&mut terminal, app, backend, tx.clone(), rx).expect("drawn");
    let written = Arc::new(Mutex::new(Vec::new()));
    runner.set_clipboard(Clipboard::Capture(written.clone()));
    tx.send(key('1')).expect("listening");
    turn_until(
        &mut runner,
        Duration::from_secs(60),
        "a selected run",
        |r| r.app().selected.is_some(),
    )
    .await;
    let arn = runner.app().selected.clone().expect("selected");
    tx.send(key('y')).expect("listening");
    turn_until(&mut runner, Duration::from_secs(60), "the copy", |_| {
        !written.lock().expect("lock").is_empty()
    })
    .await;
    let bytes = written.lock().expect("lock").clone();
    assert_eq!(String::from_utf8(bytes).expect("utf-8"), osc52(&arn));
    let text = screen(&runner).join("\n");
    assert!(text.contains(&format!("⧉ {arn}")), "{text}");
}
