//! The event loop: messages in, [`App::update`], commands out as tokio tasks, redraw.
//!
//! Generic over ratatui's [`Backend`] so whole sessions can run against a `TestBackend`.
//! The loop never awaits the backend: every call runs in its own task and its answer
//! comes back through the same channel as key presses. A timer drives polls,
//! countdowns and animation. [`Runner`] is the loop one message at a time, so a test
//! can drive the real loop and look at the app and the screen between two messages.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream, MouseEventKind};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::app::App;
use super::clipboard::Clipboard;
use super::msg::{Cmd, Msg};
use super::ui;
use crate::backend::{BackendError, Launch, SagaBackend, random_trip_id};
use crate::end_signal::{EndSignal, EndSignals};

/// How often the timer fires while it runs.
pub const TICK: Duration = Duration::from_millis(100);
/// How many executions the list shows.
pub const LIST_LIMIT: usize = 50;

/// Runs the UI until the user quits, the channel closes, or drawing fails.
pub async fn run_loop<B>(
    terminal: &mut Terminal<B>,
    app: App,
    backend: Arc<dyn SagaBackend>,
    tx: UnboundedSender<Msg>,
    rx: UnboundedReceiver<Msg>,
) -> anyhow::Result<App>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
{
    run_loop_with(terminal, app, backend, (tx, rx), Clipboard::Discard).await
}

/// [`run_loop`] with copies (`y`) going to `clipboard`.
pub async fn run_loop_with<B>(
    terminal: &mut Terminal<B>,
    app: App,
    backend: Arc<dyn SagaBackend>,
    (tx, rx): (UnboundedSender<Msg>, UnboundedReceiver<Msg>),
    clipboard: Clipboard,
) -> anyhow::Result<App>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
{
    let mut runner = Runner::new(terminal, app, backend, tx, rx)?;
    runner.set_clipboard(clipboard);
    while let Some(msg) = runner.next().await {
        if !runner.handle_waiting(msg)? {
            break;
        }
    }
    Ok(runner.into_app())
}

/// The loop one message at a time: [`run_loop`] turns it until the end, a test can turn
/// it itself and look at the app and the screen between two messages.
pub struct Runner<'t, B: Backend> {
    terminal: &'t mut Terminal<B>,
    app: App,
    backend: Arc<dyn SagaBackend>,
    tx: UnboundedSender<Msg>,
    rx: UnboundedReceiver<Msg>,
    start: Instant,
    ticker: tokio::time::Interval,
    /// Answers still owed by the backend calls made.
    owed: usize,
    /// Where copies go.
    clipboard: Clipboard,
}

impl<'t, B> Runner<'t, B>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
{
    /// Sizes the app to the terminal, asks for what the app needs first and draws the
    /// first frame. Must be called on a tokio runtime (the timer starts here).
    pub fn new(
        terminal: &'t mut Terminal<B>,
        mut app: App,
        backend: Arc<dyn SagaBackend>,
        tx: UnboundedSender<Msg>,
        rx: UnboundedReceiver<Msg>,
    ) -> anyhow::Result<Self> {
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        if let Ok(size) = terminal.size() {
            app.size = (size.width, size.height);
        }
        let startup = app.startup();
        let mut runner = Self {
            terminal,
            app,
            backend,
            tx,
            rx,
            start: Instant::now(),
            ticker,
            owed: 0,
            clipboard: Clipboard::Discard,
        };
        for cmd in startup {
            runner.perform(cmd);
        }
        runner.draw()?;
        Ok(runner)
    }

    /// The next message: one sent to the loop, or a tick of the timer; `None` once
    /// every sender is gone.
    pub async fn next(&mut self) -> Option<Msg> {
        tokio::select! {
            m = self.rx.recv() => m,
            _ = self.ticker.tick() => Some(Msg::Tick {
                now_ms: u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX),
                clock: self.backend.clock_now(),
            }),
        }
    }

    /// Applies one message, runs the commands it gives and redraws; `false` once the
    /// loop should end.
    pub fn handle(&mut self, msg: Msg) -> anyhow::Result<bool> {
        let redraw = needs_redraw(&msg);
        if !self.apply(msg) {
            return Ok(false);
        }
        if redraw {
            self.draw()?;
        }
        Ok(true)
    }

    /// Like [`Runner::handle`], then applies every message already waiting before it
    /// redraws once. Answers come in bursts (a tick polls every running execution at
    /// once), so a key pressed meanwhile waits for a few updates, not for a frame per
    /// answer.
    pub fn handle_waiting(&mut self, msg: Msg) -> anyhow::Result<bool> {
        let mut redraw = false;
        let mut next = Some(msg);
        while let Some(msg) = next {
            redraw |= needs_redraw(&msg);
            if !self.apply(msg) {
                return Ok(false);
            }
            next = self.rx.try_recv().ok();
        }
        if redraw {
            self.draw()?;
        }
        Ok(true)
    }

    /// Applies one message and starts the work it asks for; `false` once the UI quits.
    fn apply(&mut self, msg: Msg) -> bool {
        if msg.is_answer() {
            self.owed = self.owed.saturating_sub(1);
        }
        if matches!(msg, Msg::Tick { .. }) {
            // Looked at every tick: a fault arises in the store's writer, not in
            // an answer the loop waits for.
            let fault = self.backend.store_fault();
            if fault != self.app.store_fault {
                self.app.update(Msg::StoreFault(fault));
            }
        }
        tracing::trace!(?msg, "message");
        let mut quit = false;
        for cmd in self.app.update(msg) {
            if cmd == Cmd::Quit {
                quit = true;
            } else {
                self.perform(cmd);
            }
        }
        !(quit || self.app.quitting)
    }

    /// Sends copies (`y`) to `clipboard` from now on (nowhere, until set).
    pub fn set_clipboard(&mut self, clipboard: Clipboard) {
        self.clipboard = clipboard;
    }

    /// How many backend answers are still to come: none means every call made so far
    /// was answered and its answer applied.
    pub fn owed(&self) -> usize {
        self.owed
    }

    /// The app as the last message left it.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// The terminal, holding the frame drawn after the last message.
    pub fn terminal(&self) -> &Terminal<B> {
        self.terminal
    }

    /// The app, once the loop is over.
    pub fn into_app(self) -> App {
        self.app
    }

    fn perform(&mut self, cmd: Cmd) {
        if let Cmd::Copy(text) = &cmd {
            if let Err(e) = self.clipboard.copy(text) {
                tracing::warn!("copy to the terminal's clipboard failed: {e}");
            }
            return;
        }
        if cmd.is_answered() {
            self.owed += 1;
        }
        perform(cmd, &self.backend, &self.tx);
    }

    fn draw(&mut self) -> anyhow::Result<()> {
        let app = &self.app;
        self.terminal.draw(|f| ui::draw(f, app))?;
        Ok(())
    }
}

/// Whether a message can change the screen (a mouse move cannot).
fn needs_redraw(msg: &Msg) -> bool {
    !matches!(msg, Msg::Mouse(m) if m.kind == MouseEventKind::Moved)
}

/// Runs one command: backend calls in a task whose answer is sent back as a message.
pub fn perform(cmd: Cmd, backend: &Arc<dyn SagaBackend>, tx: &UnboundedSender<Msg>) {
    let b = backend.clone();
    let tx = tx.clone();
    match cmd {
        Cmd::LoadDefinition => {
            tokio::spawn(async move {
                let definition = b.definition(None).await;
                // A deployed stack's resources are known once its outputs were read,
                // which loading the definition did: the header and lists use them.
                if definition.is_ok() {
                    let _ = tx.send(Msg::Info(b.info()));
                }
                let _ = tx.send(Msg::Definition(definition));
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
                let result = b.start_on(request.machine, launch.clone()).await;
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
        Cmd::FetchRowsAt(at) => {
            tokio::spawn(async move {
                let result = b.rows_at(&at.trip_id, &at.arn, at.event_id).await;
                let _ = tx.send(Msg::RowsAt { at, result });
            });
        }
        Cmd::Stop(arn) => {
            tokio::spawn(async move {
                let result = b.stop(&arn).await;
                let _ = tx.send(Msg::Stopped { arn, result });
            });
        }
        Cmd::Redrive(arn) => {
            tokio::spawn(async move {
                let result = b.redrive(&arn).await;
                let _ = tx.send(Msg::Redriven { arn, result });
            });
        }
        Cmd::SetCancelFailureRate(rate) => {
            tokio::spawn(async move {
                let result = b.set_cancel_failure_rate(rate).await;
                let _ = tx.send(Msg::RateSet { rate, result });
            });
        }
        Cmd::Decide {
            arn,
            trip_id,
            decision,
        } => {
            tokio::spawn(async move {
                let result =
                    crate::backend::approval::decide(b.as_ref(), &arn, &trip_id, decision).await;
                let _ = tx.send(Msg::Decided {
                    arn,
                    decision,
                    result,
                });
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
        Cmd::Export { arn, dir } => {
            tokio::spawn(async move {
                let result = export(b.as_ref(), &arn, dir).await;
                let _ = tx.send(Msg::Exported { arn, result });
            });
        }
        Cmd::StartLoad { id, plan } => {
            tokio::spawn(super::load::run(b, id, plan, tx));
        }
        // The loop's own business (see `Runner::perform`).
        Cmd::Copy(_) | Cmd::Quit => {}
    }
}

/// Saves one execution to a new file in `dir`; the path written, or why not.
async fn export(
    backend: &dyn SagaBackend,
    arn: &str,
    dir: std::path::PathBuf,
) -> Result<std::path::PathBuf, String> {
    let shared = backend.export(arn).await.map_err(|e| e.to_string())?;
    let text = shared
        .to_json()
        .map_err(|e| format!("cannot write the execution as JSON: {e}"))?;
    let name = shared.execution.name.clone();
    let written = tokio::task::spawn_blocking(move || {
        crate::share::write_new(&dir, &name, &text)
            .map_err(|e| format!("cannot write to {}: {e}", dir.display()))
    })
    .await
    .map_err(|e| format!("the save failed: {e}"))??;
    // Shown as an absolute path: the notice says exactly where the file is.
    Ok(std::path::absolute(&written).unwrap_or(written))
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

/// Turns SIGINT, SIGTERM, SIGHUP or SIGQUIT into [`Msg::Terminate`], noting which one
/// in `caught` first so the process can end with its status once the terminal is
/// restored.
pub async fn forward_signals(
    mut signals: EndSignals,
    tx: UnboundedSender<Msg>,
    caught: Arc<std::sync::OnceLock<EndSignal>>,
) {
    let signal = signals.recv().await;
    tracing::info!("{} received; leaving", signal.name());
    let _ = caught.set(signal);
    let _ = tx.send(Msg::Terminate);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
    use crate::store::Store;
    use crate::tui::msg::LaunchRequest;

    /// Every command the loop counts as answered sends back exactly one answer, and
    /// the others none: [`Runner::owed`] relies on it.
    #[tokio::test]
    async fn each_answered_command_sends_back_exactly_one_answer() {
        let backend: Arc<dyn SagaBackend> = Arc::new(
            EmbeddedBackend::new(Store::open_in_memory().unwrap(), EmbeddedOptions::default())
                .unwrap(),
        );
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let arn = "arn:aws:states:us-east-1:123456789012:execution:BookingSaga:none";
        let cmds = [
            Cmd::LoadDefinition,
            Cmd::LoadExecutionDefinition(arn.into()),
            Cmd::ListExecutions,
            Cmd::Start(LaunchRequest {
                seq: 1,
                run_type: saga_lambdas::RunType::Success,
                machine: crate::backend::SagaMachine::Booking,
                trip_id: Some("answers".into()),
                cancel_failure_rate: 0.0,
            }),
            Cmd::PollHistory {
                arn: arn.into(),
                after_id: 0,
            },
            Cmd::FetchRows {
                trip_id: "answers".into(),
                for_verdict: None,
            },
            Cmd::FetchRowsAt(crate::tui::msg::RowsKey {
                trip_id: "answers".into(),
                arn: arn.into(),
                event_id: 1,
            }),
            Cmd::Stop(arn.into()),
            Cmd::SetSpeed(2.0),
            Cmd::SetPaused(true),
            Cmd::Step(arn.into()),
            Cmd::SetPaused(false),
            Cmd::Quit,
        ];
        for cmd in cmds {
            let answered = cmd.is_answered();
            perform(cmd.clone(), &backend, &tx);
            if answered {
                let mut msg = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                    .await
                    .unwrap_or_else(|_| panic!("no answer to {cmd:?}"))
                    .expect("the channel is open");
                // Loading the definition also tells what the backend learnt (not an
                // answer), before the answer itself.
                if matches!(cmd, Cmd::LoadDefinition) && matches!(msg, Msg::Info(_)) {
                    msg = rx.recv().await.expect("the channel is open");
                }
                assert!(msg.is_answer(), "{cmd:?} answered with {msg:?}");
            }
            tokio::task::yield_now().await;
            assert!(rx.try_recv().is_err(), "{cmd:?}: one answer at most");
        }
    }
}
