//! Confirmation: a one-line question in a box over the panels, with its answers.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::centered;
use crate::tui::app::App;
use crate::tui::keymap::{self, Action, Context};

/// Draws the question over `screen`.
pub fn draw(frame: &mut Frame, app: &App, screen: Rect, question: &str) {
    let p = &app.palette;
    let answers = format!(
        " {} yes · {} no ",
        keymap::label(Context::Confirm, Action::Accept),
        keymap::label(Context::Confirm, Action::Close)
    );
    let text = format!(" {question} ");
    let inner_w = text.width().max(answers.width());
    let width = u16::try_from(inner_w + 2).unwrap_or(u16::MAX);
    let area = centered(screen, width, 3);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(p.warn)
        .title(Line::styled(" Confirm ", p.title))
        .title_bottom(Line::styled(answers, p.dim));
    frame.render_widget(
        Paragraph::new(Line::styled(text, p.warn)).block(block),
        area,
    );
}
