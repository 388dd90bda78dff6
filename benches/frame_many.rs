//! One frame of a long-lived session: 200×60, 10,000 executions in the list, the viewed
//! one with 2,000 history events and 100 rows on its trip.
//! Target: median under 1 ms.
//!
//! The state is built the way the loop builds it, through `App::update`: the definition,
//! an execution list of 10,000 summaries (the newest 100 and the oldest running), then, in the
//! Executions panel, `End` and `Enter` to view the oldest one (the far end of every list
//! the UI keeps), its history page of 2,000 events and its trip's rows, and a tick.
//! What is timed is `ui::draw` into a 200×60 `TestBackend` through `Terminal::draw`:
//! every panel rendered, then diffed against the previous frame.

use std::hint::black_box;

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagaview::backend::ExecutionSummary;
use sagaview::history::ExecutionStatus;
use sagaview::tui::keymap::Focus;
use sagaview::tui::{App, Cmd, Msg, demo, ui};
use sagaview::view::sample;

const WIDTH: u16 = 200;
const HEIGHT: u16 = 60;
const EXECUTIONS: usize = 10_000;
const RUNNING: usize = 100;
const EVENTS: usize = 2_000;
const ROWS: usize = 100;

fn arn(n: usize) -> String {
    format!("arn:aws:states:us-east-1:123456789012:execution:BookingSaga:run-{n:05}")
}

/// Execution `n` of the list, started `n` minutes before the sample epoch: the newest
/// ones still run, the others ended one way or another. The oldest books the sample
/// trip, whose history and rows are shown: a compensation retried on and on, so it
/// runs too.
fn summary(n: usize) -> ExecutionSummary {
    let start: DateTime<Utc> = sample::epoch() - TimeDelta::minutes(n as i64);
    let status = match n {
        n if n < RUNNING || n == EXECUTIONS - 1 => ExecutionStatus::Running,
        n if n.is_multiple_of(3) => ExecutionStatus::Failed,
        _ => ExecutionStatus::Succeeded,
    };
    let trip = if n == EXECUTIONS - 1 {
        sample::TRIP_ID.to_string()
    } else {
        format!("trip-{n:08}")
    };
    ExecutionSummary {
        execution_arn: arn(n),
        name: format!("run-{n:05}"),
        status,
        start_date: start,
        stop_date: status
            .is_terminal()
            .then(|| start + TimeDelta::milliseconds(12_345)),
        run_type: Some(
            if n.is_multiple_of(3) {
                "failPayment"
            } else {
                "success"
            }
            .into(),
        ),
        trip_id: Some(trip),
        error: None,
        cause: None,
        output: None,
        redrive: Default::default(),
    }
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// The session's state, built through `App::update` as the loop would.
fn busy_session() -> App {
    let mut app = App::new(demo::embedded_info(), &demo::options(false));
    app.update(Msg::Resize(WIDTH, HEIGHT));
    app.startup();
    app.update(Msg::Definition(Ok(demo::saga_definition())));
    app.update(Msg::Executions(Ok((0..EXECUTIONS).map(summary).collect())));
    // To the Executions panel, its last entry, and view it.
    app.update(key(KeyCode::BackTab));
    app.update(key(KeyCode::End));
    let cmds = app.update(key(KeyCode::Enter));
    let oldest = arn(EXECUTIONS - 1);
    assert!(
        cmds.contains(&Cmd::PollHistory {
            arn: oldest.clone(),
            after_id: 0
        }),
        "viewing the oldest execution asks for its history: {cmds:?}"
    );
    let history = sample::long_history(EVENTS);
    let clock = history[history.len() - 1].timestamp + TimeDelta::milliseconds(400);
    app.update(Msg::History {
        arn: oldest,
        result: Ok(history),
    });
    app.update(Msg::Rows {
        trip_id: sample::TRIP_ID.into(),
        for_verdict: None,
        result: Ok(sample::many_rows(ROWS)),
    });
    app.update(Msg::Tick {
        now_ms: 1_000,
        clock,
    });
    app
}

fn frame(c: &mut Criterion) {
    let app = busy_session();
    assert_eq!(app.executions.len(), EXECUTIONS);
    assert_eq!(app.focus, Focus::Executions);
    assert_eq!(app.exec_cursor, EXECUTIONS - 1);
    let viewed = app.selected_execution().expect("an execution is viewed");
    assert_eq!(viewed.arn, arn(EXECUTIONS - 1));
    assert_eq!(viewed.view.events.len(), EVENTS);
    assert_eq!(app.rows.entries.len(), ROWS);
    assert_eq!(app.running(), RUNNING + 1);

    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test backend");
    terminal.draw(|f| ui::draw(f, &app)).expect("test backend");
    let shown = demo::to_text(terminal.backend().buffer());
    assert!(shown.contains("10000 · 101 running"), "{shown}");
    c.bench_function(
        "frame 200x60, 10000 executions, 2000 events, 100 rows",
        |b| {
            b.iter(|| {
                terminal
                    .draw(|f| ui::draw(f, black_box(&app)))
                    .expect("test backend");
            })
        },
    );
}

criterion_group!(benches, frame);
criterion_main!(benches);
