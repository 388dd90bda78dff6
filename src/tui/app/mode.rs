//! What has the keyboard besides the panels: an overlay or the trip editor.

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
        /// Why the last Enter was refused.
        error: Option<String>,
    },
    /// The help overlay.
    Help,
    /// One event's payloads.
    Event {
        /// Index into the selected execution's events.
        index: usize,
        /// First line shown.
        scroll: u16,
    },
}
