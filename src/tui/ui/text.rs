//! A lean line writer for the panels that show many lines every frame (history, rows,
//! executions, header, footer): one cell per character, no grapheme segmentation,
//! clipped to the area: ratatui's general paragraph layout costs far more than a
//! frame redrawn while animating can afford.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::text::Line;
use unicode_width::UnicodeWidthChar;

/// Writes `lines` top-down into `area`, one line per row, cutting what does not fit.
/// A line's own style covers its whole row (used for the cursor highlight).
pub fn render_lines(buf: &mut Buffer, area: Rect, lines: &[Line<'_>]) {
    let right = area.x.saturating_add(area.width);
    for (line, y) in lines.iter().zip(area.y..area.y.saturating_add(area.height)) {
        if line.style != ratatui::style::Style::default() {
            buf.set_style(Rect::new(area.x, y, area.width, 1), line.style);
        }
        let mut x = area.x;
        'spans: for span in &line.spans {
            let style = line.style.patch(span.style);
            for ch in span.content.chars() {
                let w = if ch.is_ascii() {
                    u16::from(!ch.is_ascii_control())
                } else {
                    u16::try_from(ch.width().unwrap_or(0)).unwrap_or(1)
                };
                if w == 0 {
                    continue;
                }
                if x + w > right {
                    break 'spans;
                }
                if let Some(cell) = buf.cell_mut(Position::new(x, y)) {
                    cell.set_char(ch).set_style(style);
                }
                for extra in 1..w {
                    if let Some(cell) = buf.cell_mut(Position::new(x + extra, y)) {
                        cell.reset();
                        cell.set_symbol("");
                    }
                }
                x += w;
            }
        }
    }
}
