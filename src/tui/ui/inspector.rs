//! The state inspector overlay: the document of [`crate::tui::inspector`], its cursor
//! line highlighted, wrapped or scrolled sideways. Payload colours are shared with
//! the event overlay.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};

use crate::tui::app::App;
use crate::tui::inspector::{self, Inspector, Look};
use crate::tui::keymap::{self, Action, Context};
use crate::tui::theme::Palette;
use crate::view::json::Tone;

/// How a piece of a payload is coloured.
pub fn tone_style(p: &Palette, tone: Tone) -> Style {
    match tone {
        Tone::Punct | Tone::Note => p.dim,
        Tone::Key => p.header,
        Tone::Str => p.ok,
        Tone::Number => p.warn,
        Tone::Literal => p.caught,
        Tone::Text => p.text,
    }
}

fn look_style(p: &Palette, look: Look) -> Style {
    match look {
        Look::Json(t) => tone_style(p, t),
        Look::Heading => p.title,
        Look::Label => p.key,
        Look::Text => p.text,
        Look::Dim => p.dim,
        Look::Ok => p.ok,
        Look::Warn => p.warn,
        Look::Error => p.error,
    }
}

/// A row of styled pieces as a line.
pub fn styled<T: Copy>(row: &[(String, T)], style: impl Fn(T) -> Style) -> Line<'static> {
    Line::from(
        row.iter()
            .map(|(s, t)| Span::styled(s.clone(), style(*t)))
            .collect::<Vec<_>>(),
    )
}

/// Draws the inspector over the screen.
pub fn draw(frame: &mut Frame, app: &App, screen: Rect, insp: &Inspector) {
    let p = &app.palette;
    let area = inspector::overlay(screen);
    frame.render_widget(Clear, area);
    let label = |a| keymap::label(Context::Inspect, a);
    let wrap = if insp.wrap {
        format!("{} scroll sideways", label(Action::ToggleWrap))
    } else {
        format!(
            "{} sideways · {} wrap",
            label(Action::Left),
            label(Action::ToggleWrap)
        )
    };
    let keys = format!(
        " {} move · {} fold · {wrap} · {} closes ",
        label(Action::Up),
        label(Action::Fold),
        label(Action::Close),
    );
    let block = Block::default()
        .style(p.base)
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(p.border_focused)
        .title(Line::styled(format!(" Inspect {} ", insp.state), p.title))
        .title_bottom(Line::styled(keys, p.dim));
    let inner = block.inner(area);
    let lines = inspector::document(app, insp);
    let rows = inspector::rows(&lines, inner.width, insp.wrap);
    let cursor = insp.cursor.min(lines.len().saturating_sub(1));
    let start: usize = rows[..cursor].iter().map(Vec::len).sum();
    let end = start + rows.get(cursor).map_or(1, Vec::len);
    let height = usize::from(inner.height);
    let top = inspector::keep_in_view(insp.top, start, end, height);
    let text: Vec<Line> = rows
        .iter()
        .enumerate()
        .flat_map(|(i, line_rows)| {
            line_rows.iter().map(move |row| {
                let line = styled(row, |look| look_style(p, look));
                if i == cursor {
                    line.style(p.selected)
                } else {
                    line
                }
            })
        })
        .skip(top)
        .take(height)
        .collect();
    let hscroll = if insp.wrap { 0 } else { insp.hscroll };
    frame.render_widget(Paragraph::new(text).block(block).scroll((0, hscroll)), area);
}
