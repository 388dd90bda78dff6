//! Help overlay: every key binding, the run types behind `1`–`6` and the glyph legend.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};
use saga_lambdas::RunType;

use super::centered;
use crate::tui::app::App;
use crate::tui::keymap::{self, Action, Context};
use crate::tui::theme::LEGEND;

/// Draws the help overlay over `screen`.
pub fn draw(frame: &mut Frame, app: &App, screen: Rect) {
    let p = &app.palette;
    let keys = keymap::help();
    let height = u16::try_from(keys.len()).unwrap_or(u16::MAX) + 2;
    let area = centered(screen, 78, height.max(18));
    frame.render_widget(Clear, area);
    // Clear resets to the terminal's colours: paint the theme's background again.
    let block = Block::default()
        .style(p.base)
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(p.border_focused)
        .title(Line::styled(" Help: keys ", p.title))
        .title_bottom(Line::styled(
            format!(" {} closes ", keymap::label(Context::Help, Action::Close)),
            p.dim,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [left, right] =
        Layout::horizontal([Constraint::Min(48), Constraint::Length(28)]).areas(inner);
    let key_lines: Vec<Line> = keys
        .iter()
        .map(|(k, h)| {
            Line::from(vec![
                Span::styled(format!(" {k:<10}"), p.key),
                Span::styled(h.to_string(), p.text),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(key_lines), left);
    let mut side = vec![Line::styled("run types", p.title)];
    for (i, r) in RunType::ALL.iter().enumerate() {
        side.push(Line::from(vec![
            Span::styled(format!("{} ", i + 1), p.key),
            Span::styled(r.as_str(), p.text),
        ]));
    }
    side.push(Line::styled("graph", p.title));
    for (glyph, meaning) in LEGEND {
        side.push(Line::from(vec![
            Span::styled(format!("{glyph:>3} "), p.key),
            Span::styled(meaning, p.text),
        ]));
    }
    frame.render_widget(Paragraph::new(side), right);
}
