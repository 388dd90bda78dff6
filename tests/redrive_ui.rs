//! `R` and `c` in the terminal UI: the confirmation, the refusals, and the story of a
//! compensation outage ended and its saga redriven, through the real loop.

mod support;

use std::sync::Arc;
use std::time::Duration;

use insta::assert_snapshot;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagaview::backend::SagaBackend;
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::engine::Pace;
use sagaview::history::{EventType, ExecutionStatus};
use sagaview::store::Store;
use sagaview::tui::demo::{self, DemoScreen};
use sagaview::tui::runner::Runner;
use sagaview::tui::{App, Cmd, TuiOptions};
use sagaview::view::VerdictLevel;
use support::tui::{key, screen, turn_until};

fn demo_app(screen: DemoScreen, w: u16, h: u16) -> App {
    demo::app(screen, &demo::options(true), w, h)
}

#[test]
fn r_asks_naming_the_state_the_redrive_restarts_from() {
    for (w, h) in [(120, 40), (80, 24)] {
        let mut app = demo_app(DemoScreen::CompensationExhausted, w, h);
        assert_eq!(app.update(key('R')), vec![]);
        let text = demo::to_text(&demo::render(&app, w, h));
        assert!(
            text.contains("Redrive from CancelFlightReservation the FAILED execution"),
            "{text}"
        );
        assert_snapshot!(format!("confirm_redrive_{w}x{h}"), text);
        let arn = app.selected.clone().expect("a selected execution");
        assert_eq!(app.update(key('y')), vec![Cmd::Redrive(arn)]);
    }
}

#[test]
fn r_is_refused_for_a_succeeded_execution_and_no_answer_is_no() {
    let mut app = demo_app(DemoScreen::SuccessFinished, 120, 40);
    let footer = demo::to_text(&demo::render(&app, 120, 40));
    assert!(!footer.contains("R redrive"), "{footer}");
    assert_eq!(app.update(key('R')), vec![]);
    let (level, text, _) = app.notice.clone().expect("a notice");
    assert_eq!(level, VerdictLevel::Warning);
    assert!(
        text.contains("Execution is SUCCEEDED and cannot be redriven."),
        "{text}"
    );
    let mut app = demo_app(DemoScreen::CompensationExhausted, 120, 40);
    app.update(key('R'));
    assert_eq!(app.update(key('n')), vec![]);
}

#[test]
fn c_sets_the_live_rate_too() {
    let mut app = demo_app(DemoScreen::Idle, 120, 40);
    assert_eq!(app.cancel_failure_rate, 0.4);
    assert_eq!(app.update(key('c')), vec![Cmd::SetCancelFailureRate(1.0)]);
    assert_eq!(app.update(key('c')), vec![Cmd::SetCancelFailureRate(0.0)]);
    let text = demo::to_text(&demo::render(&app, 120, 40));
    assert!(text.contains("cancel failure 0"), "{text}");
}

/// The story: `c` to 1, `4`, a compensation gives up and orphans show in red;
/// `c` to 0, `R`; the compensation completes, the execution ends and the verdict turns
/// clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_ended_and_the_saga_redriven_turns_the_verdict_clean() {
    let options = EmbeddedOptions {
        seed: Some(5),
        pace: Pace::Instant,
        ..EmbeddedOptions::default()
    };
    let backend = EmbeddedBackend::new(Store::open_in_memory().unwrap(), options).unwrap();
    let backend: Arc<dyn SagaBackend> = Arc::new(backend);
    let app = App::new(
        backend.info(),
        &TuiOptions {
            trip_id: Some("story".into()),
            cancel_failure_rate: 0.0,
            ..demo::options(true)
        },
    );
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut runner = Runner::new(&mut terminal, app, backend, tx, rx).unwrap();
    let limit = Duration::from_secs(30);
    turn_until(&mut runner, limit, "the definition", |r| {
        r.owed() == 0 && r.app().graph.is_some()
    })
    .await;
    for c in ['c', 'c'] {
        runner.handle(key(c)).unwrap();
    }
    assert_eq!(runner.app().cancel_failure_rate, 1.0);
    runner.handle(key('4')).unwrap();
    let verdict =
        |r: &Runner<'_, TestBackend>| r.app().selected_execution().and_then(|e| e.verdict.clone());
    turn_until(&mut runner, limit, "the first verdict", |r| {
        verdict(r).is_some()
    })
    .await;
    let first = verdict(&runner).unwrap();
    assert_eq!(first.level, VerdictLevel::Error, "{}", first.text);
    assert!(first.text.contains("RefundPayment"), "{}", first.text);
    assert!(!first.orphans.is_empty());

    let footer = |r: &Runner<'_, TestBackend>| screen(r).last().cloned().unwrap_or_default();
    assert!(footer(&runner).contains("R redrive"), "{}", footer(&runner));

    runner.handle(key('c')).unwrap();
    assert_eq!(runner.app().cancel_failure_rate, 0.0);
    runner.handle(key('R')).unwrap();
    let shown = screen(&runner).join("\n");
    assert!(
        shown.contains("Redrive from RefundPayment the FAILED"),
        "{shown}"
    );
    runner.handle(key('y')).unwrap();
    turn_until(&mut runner, limit, "the verdict after the redrive", |r| {
        verdict(r).is_some_and(|v| v.level == VerdictLevel::Ok)
    })
    .await;
    let e = runner.app().selected_execution().unwrap();
    assert_eq!(e.status(), ExecutionStatus::Failed);
    assert!(
        e.view
            .events
            .iter()
            .any(|ev| ev.event_type == EventType::ExecutionRedriven)
    );
    let shown = screen(&runner).join("\n");
    assert!(shown.contains("rolled back cleanly"), "{shown}");
    // It failed again, at the Fail state: redrivable still, as AWS has it.
    assert!(footer(&runner).contains("R redrive"), "{}", footer(&runner));
}
