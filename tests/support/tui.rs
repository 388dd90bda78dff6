//! One UI session through the real loop, drawn into a `TestBackend`, for any backend.

#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagaview::backend::SagaBackend;
use sagaview::tui::{App, Msg, TuiOptions, demo, runner};
use std::sync::Arc;
use std::time::Duration;

/// A key press as the terminal would send it.
pub fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

/// Runs the real loop on `backend` at 120x40 for trip `trip_id` (compensations never
/// fail), typing `script` (wait in ms, then key); the script must end with `q`, which
/// is confirmed with `y` when executions still run.
pub async fn session(
    backend: Arc<dyn SagaBackend>,
    trip_id: &str,
    script: Vec<(u64, char)>,
    timeout_secs: u64,
) -> (App, Terminal<TestBackend>) {
    let options = TuiOptions {
        trip_id: Some(trip_id.into()),
        cancel_failure_rate: 0.0,
        ..demo::options(true)
    };
    let app = App::new(backend.info(), &options);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let driver = {
        let tx = tx.clone();
        tokio::spawn(async move {
            for (wait_ms, c) in script {
                tokio::time::sleep(Duration::from_millis(wait_ms)).await;
                tx.send(key(c)).expect("the loop is listening");
            }
            // The answer to "Quit?"; the loop is gone when nothing ran.
            let _ = tx.send(key('y'));
        })
    };
    let app = tokio::time::timeout(
        Duration::from_secs(timeout_secs),
        runner::run_loop(&mut terminal, app, backend, tx, rx),
    )
    .await
    .expect("the loop ends on q")
    .expect("the loop runs");
    driver.await.expect("the script ran");
    (app, terminal)
}

/// The frame the runner drew last, one string per row (trailing spaces trimmed).
pub fn screen(runner: &runner::Runner<'_, TestBackend>) -> Vec<String> {
    demo::to_text(runner.terminal().backend().buffer())
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Turns the real loop, one message at a time, until `done` holds after a message;
/// fails with the screen when it does not within `limit`, or when the loop ends.
pub async fn turn_until(
    runner: &mut runner::Runner<'_, TestBackend>,
    limit: Duration,
    what: &str,
    mut done: impl FnMut(&runner::Runner<'_, TestBackend>) -> bool,
) {
    let deadline = tokio::time::Instant::now() + limit;
    while !done(runner) {
        let msg = tokio::time::timeout_at(deadline, runner.next())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "waited {limit:?} for {what}; the screen:\n{}",
                    screen(runner).join("\n")
                )
            })
            .expect("the loop's channel is open");
        assert!(
            runner.handle(msg).expect("the loop draws"),
            "the loop ended"
        );
    }
}
