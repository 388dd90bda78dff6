//! Logs go to a file, never to the screen the UI owns.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Where logs go when the caller names no file.
pub fn default_log_path() -> PathBuf {
    std::env::temp_dir().join("sagaview-tui.log")
}

/// Sends `tracing` output to `path` (filter from `SAGAVIEW_LOG`, default `info`).
/// Keep the guard alive until the UI ends so buffered lines are written. Returns `None`
/// when the file cannot be opened or a subscriber is already installed.
pub fn init(path: &Path) -> Option<WorkerGuard> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = EnvFilter::try_from_env("SAGAVIEW_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}
