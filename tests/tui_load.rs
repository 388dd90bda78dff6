//! The load panel (`L`): snapshots from a fixed crowd, the keys that show and leave
//! it, AWS's question, and a real crowd through the loop whose counts equal the
//! executions the store recorded.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use insta::assert_snapshot;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use saga_lambdas::RunType;
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::backend::{BackendInfo, BackendKind, SagaBackend};
use sagaview::store::Store;
use sagaview::tui::app::{LOAD_COUNT, Mode};
use sagaview::tui::demo::{self, DemoScreen};
use sagaview::tui::msg::{Cmd, LoadUpdate};
use sagaview::tui::runner::Runner;
use sagaview::tui::{App, Msg, TuiOptions};
use sagaview::view::crowd::{Crowd, CrowdSummary, Mix, Outcome};
use sagaview::view::graph::StateGraph;
use sagaview::view::reducer::ExecutionView;
use sagaview::view::sample::{self, Scenario};
use sagaview::view::verdict::judge;
use support::tui::{key, screen, turn_until};

fn press(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// A crowd of 100 of which 40 ended, fed the sample histories: fixed numbers.
fn fixed_summary() -> CrowdSummary {
    let def = sagaview::backend::saga_definition::saga_definition(&Default::default()).unwrap();
    let graph = StateGraph::from_definition(&def);
    let mut crowd = Crowd::new(&def, 100, Mix::default(), 0.4);
    let scenarios = [
        (Scenario::Success, RunType::Success, 10),
        (Scenario::CleanRollback, RunType::FailPayment, 17),
        (Scenario::CompensationRecovered, RunType::FailPayment, 10),
        (Scenario::CompensationExhausted, RunType::FailPayment, 3),
    ];
    for (scenario, run_type, n) in scenarios {
        let mut view = ExecutionView::new(Some(&def));
        view.apply(&sample::history(scenario));
        let verdict = judge(&view, &graph, &sample::rows(scenario));
        for _ in 0..n {
            crowd.record(run_type, &view, verdict.as_ref());
        }
    }
    for _ in 0..60 {
        crowd.started();
    }
    crowd.summary()
}

fn load_app(w: u16, h: u16) -> App {
    let mut app = demo::app(DemoScreen::SuccessFinished, &demo::options(false), w, h);
    let cmds = press(&mut app, KeyCode::Char('L'));
    assert!(
        matches!(cmds.as_slice(), [Cmd::StartLoad { id: 1, plan }] if plan.count == LOAD_COUNT),
        "{cmds:?}"
    );
    app.update(Msg::Load {
        id: 1,
        update: Ok(LoadUpdate {
            summary: fixed_summary(),
            done: false,
        }),
    });
    app
}

fn text(app: &App, w: u16, h: u16) -> String {
    demo::to_text(&demo::render(app, w, h))
}

#[test]
fn load_panel_80x24() {
    let app = load_app(80, 24);
    let text = text(&app, 80, 24);
    assert!(text.contains("Crowd 40/100 ended · 20 running"), "{text}");
    assert!(text.contains("10 booked"), "{text}");
    assert!(text.contains("3 orphaned"), "{text}");
    assert!(text.contains("orphan rate 7.5% (3/40)"), "{text}");
    assert!(text.contains("CancelHotelReservati"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn load_panel_120x40() {
    let app = load_app(120, 40);
    let text = text(&app, 120, 40);
    assert!(text.contains("27 rolled back cleanly"), "{text}");
    assert!(text.contains("expected"), "{text}");
    assert!(text.contains("█"), "the outcome bar: {text}");
    assert_snapshot!(text);
}

#[test]
fn l_and_esc_leave_the_panel_and_l_shows_the_running_crowd_again() {
    let mut app = load_app(120, 40);
    assert!(app.load_shown);
    press(&mut app, KeyCode::Esc);
    assert!(!app.load_shown);
    // Still running: L shows it again rather than starting another.
    assert!(press(&mut app, KeyCode::Char('L')).is_empty());
    assert!(app.load_shown);
    press(&mut app, KeyCode::Char('L'));
    assert!(!app.load_shown);
    // Ended: L starts the next crowd.
    let summary = fixed_summary();
    app.update(Msg::Load {
        id: 1,
        update: Ok(LoadUpdate {
            summary,
            done: true,
        }),
    });
    let cmds = press(&mut app, KeyCode::Char('L'));
    assert!(
        matches!(cmds.as_slice(), [Cmd::StartLoad { id: 2, .. }]),
        "{cmds:?}"
    );
    // An update of the first crowd no longer counts.
    app.update(Msg::Load {
        id: 1,
        update: Ok(LoadUpdate {
            summary: fixed_summary(),
            done: true,
        }),
    });
    assert_eq!(app.load.as_ref().map(|l| l.summary.is_none()), Some(true));
}

#[test]
fn against_aws_l_asks_first() {
    let info = BackendInfo {
        kind: BackendKind::Aws {
            region: "us-east-1".into(),
        },
        state_machine_name: "BookingSaga".into(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:BookingSaga".into(),
        approval_state_machine_arn: None,
    };
    let mut app = App::new(info, &TuiOptions::default());
    app.update(Msg::Resize(120, 40));
    assert!(press(&mut app, KeyCode::Char('L')).is_empty());
    let Mode::Confirm { question, .. } = &app.mode else {
        panic!("no question: {:?}", app.mode);
    };
    assert!(question.contains("100 sagas on AWS"), "{question}");
    let text = text(&app, 120, 40);
    assert!(text.contains("billed execution"), "{text}");
    // No: nothing starts.
    assert!(press(&mut app, KeyCode::Char('n')).is_empty());
    assert!(app.load.is_none());
    press(&mut app, KeyCode::Char('L'));
    let cmds = press(&mut app, KeyCode::Char('y'));
    assert!(
        matches!(cmds.as_slice(), [Cmd::StartLoad { id: 1, .. }]),
        "{cmds:?}"
    );
    assert!(app.load_shown);
}

/// `L` through the real loop on the embedded runtime: the panel's counts, once the
/// crowd has ended, equal the executions the store recorded, judged on their rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panels_counts_equal_the_stores_executions() {
    let store = Store::open_in_memory().unwrap();
    let backend = Arc::new(
        EmbeddedBackend::new(
            store.clone(),
            EmbeddedOptions {
                seed: Some(3),
                ..EmbeddedOptions::default()
            },
        )
        .unwrap(),
    );
    let options = TuiOptions {
        cancel_failure_rate: 0.6,
        ..demo::options(true)
    };
    let mut app = App::new(backend.info(), &options);
    app.load_count = 36;
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let dyn_backend: Arc<dyn SagaBackend> = backend.clone();
    let mut runner = Runner::new(&mut terminal, app, dyn_backend, tx.clone(), rx).unwrap();
    tx.send(key('L')).unwrap();
    turn_until(
        &mut runner,
        Duration::from_secs(60),
        "the crowd to end",
        |r| r.app().load.as_ref().is_some_and(|l| l.done),
    )
    .await;
    let summary = runner.app().load.clone().unwrap().summary.unwrap();
    assert!(summary.all_ran(), "{summary:?}");
    let shown = screen(&runner).join("\n");
    assert!(shown.contains("Crowd 36 sagas · done"), "{shown}");
    let definition = backend.definition(None).await.unwrap();
    let graph = StateGraph::from_definition(&definition);
    let records = store.list_executions(1000).unwrap();
    assert_eq!(records.len(), 36);
    let mut counted: HashMap<Outcome, usize> = HashMap::new();
    for r in &records {
        let mut view = ExecutionView::new(Some(&definition));
        view.apply(&backend.history_since(&r.execution_arn, 0).await.unwrap());
        let trip = r.labels["trip_id"].as_str().unwrap();
        let rows = backend.rows(trip).await.unwrap();
        let outcome = Outcome::of(r.status, judge(&view, &graph, &rows).as_ref()).unwrap();
        *counted.entry(outcome).or_default() += 1;
    }
    for outcome in Outcome::ALL {
        let n = counted.get(&outcome).copied().unwrap_or(0);
        assert_eq!(summary.count(outcome), n, "{outcome:?}");
        assert!(
            shown.contains(&format!("{n} {}", outcome.label())),
            "{outcome:?} {n}: {shown}"
        );
    }
}
