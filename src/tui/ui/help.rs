//! Help overlay: the help text (see [`crate::tui::help`]) in a scrolling window, with
//! where it is in the text and which way there is more.

use ratatui::Frame;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear};

use crate::tui::app::App;
use crate::tui::help::{HelpLine, HelpPage, Tone};
use crate::tui::keymap::{self, Action, Context};
use crate::tui::theme::Palette;

fn style(p: &Palette, tone: Tone) -> Style {
    match tone {
        Tone::Heading => p.title,
        Tone::Key => p.key,
        Tone::Text => p.text,
        Tone::Dim => p.dim,
        Tone::Ok => p.ok,
        Tone::Warn => p.warn,
        Tone::Error => p.error,
        Tone::RowNew => p.row_new,
        Tone::RowChanged => p.row_changed,
        Tone::RowDeleted => p.row_deleted,
    }
}

fn line<'a>(p: &Palette, help: &'a HelpLine) -> Line<'a> {
    Line::from(
        help.iter()
            .map(|piece| Span::styled(piece.text.as_str(), style(p, piece.tone)))
            .collect::<Vec<_>>(),
    )
}

/// Where the window is in the text, for the bottom border: which way there is more
/// and which lines show, or nothing when it all shows.
pub fn position(scroll: usize, visible: usize, total: usize) -> Option<String> {
    if total <= visible {
        return None;
    }
    let last = (scroll + visible).min(total);
    let arrows = match (scroll > 0, last < total) {
        (true, true) => "↑↓",
        (true, false) => "↑",
        _ => "↓",
    };
    Some(format!("{arrows} more · {}–{last} of {total}", scroll + 1))
}

/// Draws the help overlay, its first line at `scroll` (kept within the text).
pub fn draw(frame: &mut Frame, app: &App, scroll: usize) {
    let p = &app.palette;
    let page = HelpPage::of(app.size, app.focus);
    let scroll = scroll.min(page.max_scroll());
    let close = keymap::label(Context::Help, Action::Close);
    let bottom = match position(scroll, page.visible, page.text.lines.len()) {
        Some(at) => format!(" {at} · {close} closes "),
        None => format!(" {close} closes "),
    };
    frame.render_widget(Clear, page.area);
    // Clear resets to the terminal's colours: paint the theme's background again.
    let block = Block::default()
        .style(p.base)
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(p.border_focused)
        .title(Line::styled(" Help ", p.title))
        .title_bottom(Line::styled(bottom, p.dim));
    let inner = block.inner(page.area);
    frame.render_widget(block, page.area);
    let lines: Vec<Line> = page
        .text
        .lines
        .iter()
        .skip(scroll)
        .take(page.visible)
        .map(|l| line(p, l))
        .collect();
    super::text::render_lines(frame.buffer_mut(), inner, &lines);
}

#[cfg(test)]
mod tests {
    use super::position;

    #[test]
    fn the_position_says_which_way_there_is_more() {
        assert_eq!(position(0, 20, 20), None);
        assert_eq!(position(0, 20, 90).as_deref(), Some("↓ more · 1–20 of 90"));
        assert_eq!(position(5, 20, 90).as_deref(), Some("↑↓ more · 6–25 of 90"));
        assert_eq!(
            position(70, 20, 90).as_deref(),
            Some("↑ more · 71–90 of 90")
        );
    }
}
