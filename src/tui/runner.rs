//! The event loop: messages in, [`App::update`], commands out as tokio tasks, redraw.
//!
//! Generic over ratatui's [`Backend`] so whole sessions can run against a `TestBackend`.
//! The loop never awaits the backend: every call runs in its own task and its answer
//! comes back through the same channel as key presses. A timer drives polls,
//! countdowns and animation.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream, MouseEventKind};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::app::App;
use super::msg::{Cmd, Msg};
use super::ui;
use crate::backend::{BackendError, Launch, SagaBackend, random_trip_id};

/// How often the timer fires while it runs.
pub const TICK: Duration = Duration::from_millis(100);
/// How many executions the list shows.
pub const LIST_LIMIT: usize = 50;

/// Runs the UI until the user quits, the channel closes, or drawing fails.
pub async fn run_loop<B>(
    terminal: &mut Terminal<B>,
    mut app: App,
    backend: Arc<dyn SagaBackend>,
    tx: UnboundedSender<Msg>,
    mut rx: UnboundedReceiver<Msg>,
) -> anyhow::Result<App>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
{
    let start = Instant::now();
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    if let Ok(size) = terminal.size() {
        app.size = (size.width, size.height);
    }
    for cmd in app.startup() {
        perform(cmd, &backend, &tx);
    }
    terminal.draw(|f| ui::draw(f, &app))?;
    loop {
        let msg = tokio::select! {
            m = rx.recv() => match m {
                Some(m) => m,
                None => break,
            },
            _ = ticker.tick() => Msg::Tick {
                now_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
                clock: backend.clock_now(),
            },
        };
        // Answers come in bursts (a tick polls every running execution at once): every
        // message already waiting is handled before the one redraw, so a key pressed
        // meanwhile waits for a few updates, not for a frame per answer.
        let mut redraw = false;
        let mut next = Some(msg);
        while let Some(msg) = next {
            redraw |= !matches!(&msg, Msg::Mouse(m) if m.kind == MouseEventKind::Moved);
            if !handle(&mut app, msg, &backend, &tx) {
                return Ok(app);
            }
            next = rx.try_recv().ok();
        }
        if redraw {
            terminal.draw(|f| ui::draw(f, &app))?;
        }
    }
    Ok(app)
}

/// Applies one message and starts the work it asks for; `false` once the UI quits.
fn handle(
    app: &mut App,
    msg: Msg,
    backend: &Arc<dyn SagaBackend>,
    tx: &UnboundedSender<Msg>,
) -> bool {
    tracing::trace!(?msg, "message");
    let mut quit = false;
    for cmd in app.update(msg) {
        if cmd == Cmd::Quit {
            quit = true;
        } else {
            perform(cmd, backend, tx);
        }
    }
    !(quit || app.quitting)
}

/// Runs one command: backend calls in a task whose answer is sent back as a message.
pub fn perform(cmd: Cmd, backend: &Arc<dyn SagaBackend>, tx: &UnboundedSender<Msg>) {
    let b = backend.clone();
    let tx = tx.clone();
    match cmd {
        Cmd::LoadDefinition => {
            tokio::spawn(async move {
                let _ = tx.send(Msg::Definition(b.definition(None).await));
            });
        }
        Cmd::LoadExecutionDefinition(arn) => {
            tokio::spawn(async move {
                let result = b.definition(Some(&arn)).await;
                let _ = tx.send(Msg::ExecutionDefinition { arn, result });
            });
        }
        Cmd::ListExecutions => {
            tokio::spawn(async move {
                let _ = tx.send(Msg::Executions(b.list_executions(LIST_LIMIT).await));
            });
        }
        Cmd::Start(request) => {
            tokio::spawn(async move {
                let launch = Launch {
                    run_type: request.run_type,
                    trip_id: request.trip_id.unwrap_or_else(random_trip_id),
                    cancel_failure_rate: request.cancel_failure_rate,
                };
                tracing::info!(run_type = %launch.run_type, trip = %launch.trip_id, "launch");
                let result = b.start(launch.clone()).await;
                let _ = tx.send(Msg::Started {
                    seq: request.seq,
                    launch,
                    result,
                });
            });
        }
        Cmd::PollHistory { arn, after_id } => {
            tokio::spawn(async move {
                let result = b.history_since(&arn, after_id).await;
                let _ = tx.send(Msg::History { arn, result });
            });
        }
        Cmd::FetchRows {
            trip_id,
            for_verdict,
        } => {
            tokio::spawn(async move {
                let result = b.rows(&trip_id).await;
                let _ = tx.send(Msg::Rows {
                    trip_id,
                    for_verdict,
                    result,
                });
            });
        }
        Cmd::Stop(arn) => {
            tokio::spawn(async move {
                let result = b.stop(&arn).await;
                let _ = tx.send(Msg::Stopped { arn, result });
            });
        }
        Cmd::SetSpeed(speed) => b.set_speed(speed),
        Cmd::SetPaused(paused) => {
            let answer = match b.clock_control() {
                Some(c) => {
                    c.set_paused(paused);
                    Ok(c.is_paused())
                }
                None => Err(BackendError::Failed(NOT_PAUSABLE.into())),
            };
            let _ = tx.send(Msg::Paused(answer));
        }
        Cmd::Step(arn) => {
            tokio::spawn(async move {
                let result = match b.clock_control() {
                    Some(c) => c.step(&arn).await,
                    None => Err(BackendError::Failed(NOT_PAUSABLE.into())),
                };
                let _ = tx.send(Msg::Stepped { arn, result });
            });
        }
        Cmd::Quit => {}
    }
}

/// Why pause and step do nothing against a backend whose time is real.
pub const NOT_PAUSABLE: &str =
    "pause and step need the embedded runtime: AWS runs executions in real time";

/// Forwards terminal input to the loop until the loop goes away.
pub async fn forward_input(tx: UnboundedSender<Msg>) {
    let mut events = EventStream::new();
    while let Some(event) = events.next().await {
        let msg = match event {
            Ok(Event::Key(k)) => Msg::Key(k),
            Ok(Event::Mouse(m)) if m.kind != MouseEventKind::Moved => Msg::Mouse(m),
            Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
            Ok(_) => continue,
            Err(e) => {
                tracing::warn!("terminal input failed: {e}");
                let _ = tx.send(Msg::Terminate);
                break;
            }
        };
        if tx.send(msg).is_err() {
            break;
        }
    }
}

/// Turns SIGTERM / SIGHUP / SIGINT into [`Msg::Terminate`].
pub async fn forward_signals(tx: UnboundedSender<Msg>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
            signal(SignalKind::interrupt()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = hup.recv() => {}
            _ = int.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
    }
    tracing::info!("signal received; leaving");
    let _ = tx.send(Msg::Terminate);
}
