//! Footer: the keys that work right now, from the keymap's bindings for the current
//! context (the focused panel, an overlay or the trip editor).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::key_hint;
use crate::tui::app::App;
use crate::tui::keymap;

/// Draws the footer line.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let p = &app.palette;
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1usize;
    for h in keymap::footer(app.context()) {
        let w = h.label.chars().count() + h.text.chars().count() + 3;
        if used + w > usize::from(area.width) {
            break;
        }
        used += w;
        spans.extend(key_hint(h.label, h.text, p.key, p.dim));
    }
    super::text::render_lines(frame.buffer_mut(), area, &[Line::from(spans)]);
}
