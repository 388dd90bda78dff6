//! Entering and leaving the terminal's UI mode, and making sure we always leave it:
//! on quit, on error (the guard's `Drop`) and on panic (the hook).

use std::io::{self, Stdout, stdout};

use crossterm::cursor::Show;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Restores the terminal when dropped, however the UI ends.
#[derive(Debug)]
pub struct RestoreGuard;

impl Drop for RestoreGuard {
    fn drop(&mut self) {
        if let Err(e) = restore() {
            tracing::warn!("restoring the terminal failed: {e}");
        }
    }
}

/// Raw mode, alternate screen and mouse capture; the guard undoes them.
pub fn enter() -> io::Result<(Terminal<CrosstermBackend<Stdout>>, RestoreGuard)> {
    enable_raw_mode()?;
    let guard = RestoreGuard;
    execute!(stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    let terminal = Terminal::new(CrosstermBackend::new(stdout()))?;
    Ok((terminal, guard))
}

/// Leaves raw mode and the alternate screen, shows the cursor. Safe to call twice.
pub fn restore() -> io::Result<()> {
    let raw = disable_raw_mode();
    execute!(stdout(), DisableMouseCapture, LeaveAlternateScreen, Show)?;
    raw
}

/// Makes a panic restore the terminal before the message is printed, so it is readable.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = restore();
        tracing::error!("panic: {info}");
        previous(info);
    }));
}
