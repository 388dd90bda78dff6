//! The terminal UI: launch sagas by key and watch graph, history and rows change live.
//!
//! ```text
//! crossterm EventStream ─┐                       ┌─► tokio task ─► SagaBackend
//! signals ───────────────┼─► Msg ─► App::update ─┤        │
//! backend answers ◄──────┘          (pure)       └─ Cmd   └─► Msg (answer)
//!                                     │
//!                                     ▼
//!                              ui::draw(&App) (pure)
//! ```
//!
//! [`run`] is the entry point; [`App`], [`ui::draw`] and [`runner::run_loop`] are public
//! so whole screens and sessions can be tested with ratatui's `TestBackend`.

#![warn(missing_docs)]

pub mod app;
pub mod clipboard;
pub mod demo;
pub mod geometry;
pub mod help;
pub mod inspector;
pub mod keymap;
pub mod load;
pub mod logging;
pub mod msg;
pub mod poll;
pub mod rows;
pub mod run_choices;
pub mod runner;
pub mod terminal;
pub mod theme;
pub mod ui;

use std::path::PathBuf;
use std::sync::Arc;

use saga_lambdas::RunType;

pub use app::App;
pub use msg::{Cmd, Msg};
pub use theme::Theme;
pub use ui::draw;

use crate::backend::SagaBackend;
use crate::end_signal::{EndSignal, EndSignals};

/// How the UI starts.
#[derive(Debug, Clone, PartialEq)]
pub struct TuiOptions {
    /// The trip every launch books (1–64 of `[A-Za-z0-9_-]`); `None` gives each launch
    /// a fresh one.
    pub trip_id: Option<String>,
    /// The embedded runtime's pace, for the header; `None` where time is real (AWS).
    pub pace: Option<crate::engine::Pace>,
    /// The run type `Enter` launches until a digit key picks another.
    pub run_type: RunType,
    /// Probability that a compensation fails; `c` cycles it.
    pub cancel_failure_rate: f64,
    /// Demo speed shown (and changed with `+`/`-`).
    pub speed: f64,
    /// Colour scheme.
    pub theme: Theme,
    /// Log file; `None` logs to [`logging::default_log_path`].
    pub log_file: Option<PathBuf>,
    /// No colours at all (also forced by a non-empty `NO_COLOR`).
    pub no_color: bool,
    /// Where `x` saves executions; `None` is the current directory.
    pub export_dir: Option<PathBuf>,
}

impl Default for TuiOptions {
    fn default() -> Self {
        Self {
            trip_id: None,
            pace: None,
            run_type: RunType::Success,
            cancel_failure_rate: saga_lambdas::trip::DEFAULT_CANCEL_FAILURE_RATE,
            speed: 1.0,
            theme: Theme::Dark,
            log_file: None,
            no_color: no_color_from_env(),
            export_dir: None,
        }
    }
}

/// Whether `NO_COLOR` is set to something non-empty (<https://no-color.org>).
pub fn no_color_from_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Runs the UI on the real terminal until the user quits or SIGINT, SIGTERM, SIGHUP or
/// SIGQUIT arrives; returns the signal, if one ended it. The terminal is restored on
/// every way out, including errors and panics.
pub async fn run(
    backend: Arc<dyn SagaBackend>,
    mut options: TuiOptions,
) -> anyhow::Result<Option<EndSignal>> {
    let log_path = options
        .log_file
        .clone()
        .unwrap_or_else(logging::default_log_path);
    let _log_guard = logging::init(&log_path);
    options.no_color |= no_color_from_env();
    tracing::info!(trip = ?options.trip_id, "terminal UI starting");
    let app = App::new(backend.info(), &options);
    terminal::install_panic_hook();
    // Caught before raw mode, so none can end the process with the terminal left raw.
    let end_signals = EndSignals::catch()?;
    let (mut terminal, restore) = terminal::enter()?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let caught = Arc::new(std::sync::OnceLock::new());
    let input = tokio::spawn(runner::forward_input(tx.clone()));
    let signals = tokio::spawn(runner::forward_signals(
        end_signals,
        tx.clone(),
        caught.clone(),
    ));
    let result = runner::run_loop_with(
        &mut terminal,
        app,
        backend,
        (tx, rx),
        clipboard::Clipboard::Terminal,
    )
    .await;
    input.abort();
    signals.abort();
    drop(restore);
    match &result {
        Ok(_) => tracing::info!("terminal UI ended"),
        Err(e) => tracing::error!("terminal UI failed: {e:#}"),
    }
    result.map(|_| caught.get().copied())
}
