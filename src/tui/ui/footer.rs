//! Footer: the keys that work right now (from the keymap, filtered by focus and mode).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::key_hint;
use crate::tui::app::{App, Mode};
use crate::tui::keymap;

/// Draws the footer line.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let p = &app.palette;
    let hints: Vec<(&str, &str)> = match app.mode {
        Mode::Normal => keymap::footer(app.focus),
        Mode::EditTrip { .. } => vec![("Enter", "accept"), ("Esc", "cancel"), ("⌫", "delete")],
        Mode::Help => vec![("Esc/?", "close")],
        Mode::Event { .. } => vec![("↑↓/jk", "scroll"), ("Esc", "close")],
    };
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1usize;
    for (key, text) in hints {
        let w = key.chars().count() + text.chars().count() + 3;
        if used + w > usize::from(area.width) {
            break;
        }
        used += w;
        spans.extend(key_hint(key, text, p.key, p.dim));
    }
    super::text::render_lines(frame.buffer_mut(), area, &[Line::from(spans)]);
}
