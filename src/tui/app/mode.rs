//! What has the keyboard besides the panels: an overlay, the trip editor or a question.

use crate::tui::inspector::Inspector;
use crate::tui::keymap::{Context, Focus};

/// Which overlay or input has the keyboard.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    /// Panels have the keyboard.
    #[default]
    Normal,
    /// Editing the trip id.
    EditTrip {
        /// What was typed.
        buffer: String,
        /// Why the last key or Enter was refused.
        error: Option<String>,
    },
    /// The help overlay.
    Help {
        /// First line shown.
        scroll: usize,
    },
    /// One event's payloads.
    Event {
        /// Index into the selected execution's events.
        index: usize,
        /// First line shown.
        scroll: u16,
    },
    /// Typing the history filter (applied as typed).
    Filter {
        /// The filter before, which Esc gives back.
        before: String,
    },
    /// One state's visits.
    Inspect(Inspector),
    /// A yes/no question before something that cannot be undone.
    Confirm {
        /// The question, one line.
        question: String,
        /// What a yes does.
        on_yes: Pending,
    },
}

/// An action held back until the user confirms it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// Leave the UI although executions run.
    Quit,
    /// Stop this execution (its ARN).
    Stop(String),
    /// Start a crowd of sagas (`L` against AWS).
    Load,
    /// Redrive this execution (its ARN).
    Redrive(String),
}

impl Mode {
    /// The keymap context: the focused panel, or the mode's own.
    pub fn context(&self, focus: Focus) -> Context {
        match self {
            Mode::Normal => Context::Panel(focus),
            Mode::EditTrip { .. } => Context::EditTrip,
            Mode::Help { .. } => Context::Help,
            Mode::Event { .. } => Context::Event,
            Mode::Inspect(_) => Context::Inspect,
            Mode::Confirm { .. } => Context::Confirm,
            Mode::Filter { .. } => Context::Filter,
        }
    }
}
