//! Rendering: a pure function of [`App`] into a frame, one module per panel.
//!
//! ```text
//! ┌ header (2 rows): backend · state machine · trip · run type / fail rate · speed · verdict ┐
//! ┌ State graph (60%) ───────────────────┐┌ Event history (40%) ──────────┐
//! │ forward lane ┄┄ catch ┄▶ compensation ││ +0.135s TaskFailed TakePayment │
//! └──────────────────────────────────────┘└───────────────────────────────┘
//! ┌ Rows (60%) ──────────────────────────┐┌ Executions (40%) ─────────────┐
//! └──────────────────────────────────────┘└───────────────────────────────┘
//!   footer (1 row): the keys that work in the focused panel
//! ```
//!
//! Overlays (help, event payload, trip input) draw over the panels.

pub mod event;
pub mod executions;
pub mod footer;
pub mod graph;
pub mod header;
pub mod help;
pub mod history;
pub mod narration;
pub mod rows;
pub mod text;

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use super::app::{App, MIN_SIZE};
use super::keymap::Focus;

/// Where each panel goes on a screen of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// Header bar.
    pub header: Rect,
    /// State graph panel.
    pub graph: Rect,
    /// Event history panel.
    pub history: Rect,
    /// Rows panel.
    pub rows: Rect,
    /// Executions panel.
    pub executions: Rect,
    /// Footer bar.
    pub footer: Rect,
}

impl Areas {
    /// The panel a screen position falls in (for mouse clicks).
    pub fn panel_at(&self, p: Position) -> Option<Focus> {
        Focus::ORDER.into_iter().find(|&f| self.rect(f).contains(p))
    }

    /// The rectangle of a panel.
    pub fn rect(&self, focus: Focus) -> Rect {
        match focus {
            Focus::Graph => self.graph,
            Focus::History => self.history,
            Focus::Rows => self.rows,
            Focus::Executions => self.executions,
        }
    }
}

/// Splits the screen (see the module diagram).
pub fn areas(screen: Rect) -> Areas {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(screen);
    let three_fifths = u16::try_from(u32::from(body.height) * 3 / 5).unwrap_or(u16::MAX);
    let top_h = three_fifths.max(13.min(body.height));
    let [top, bottom] =
        Layout::vertical([Constraint::Length(top_h), Constraint::Min(0)]).areas(body);
    let [graph, history] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(top);
    let [rows, executions] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(bottom);
    Areas {
        header,
        graph,
        history,
        rows,
        executions,
        footer,
    }
}

/// First visible entry of a list whose cursor must stay visible in `visible` lines.
pub fn list_offset(cursor: usize, visible: usize) -> usize {
    if visible == 0 {
        return cursor;
    }
    (cursor + 1).saturating_sub(visible)
}

/// A panel frame; the focused one is highlighted.
pub fn panel<'a>(app: &App, focus: Focus, title: impl Into<Line<'a>>) -> Block<'a> {
    let p = &app.palette;
    let focused = app.focus == focus && app.mode == super::app::Mode::Normal;
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(if focused { p.border_focused } else { p.border })
        .title(title.into().style(p.title))
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let screen = frame.area();
    if screen.width < MIN_SIZE.0 || screen.height < MIN_SIZE.1 {
        draw_too_small(frame, app, screen);
        return;
    }
    let a = areas(screen);
    header::draw(frame, app, a.header);
    graph::draw(frame, app, a.graph);
    history::draw(frame, app, a.history);
    rows::draw(frame, app, a.rows);
    executions::draw(frame, app, a.executions);
    footer::draw(frame, app, a.footer);
    match &app.mode {
        super::app::Mode::Help => help::draw(frame, app, screen),
        super::app::Mode::Event { index, scroll } => {
            event::draw(frame, app, screen, *index, *scroll)
        }
        super::app::Mode::EditTrip { .. } | super::app::Mode::Normal => {}
    }
}

fn draw_too_small(frame: &mut Frame, app: &App, screen: Rect) {
    let text = vec![
        Line::from(Span::styled("terminal too small", app.palette.error)),
        Line::from(format!(
            "need {}×{}, have {}×{}",
            MIN_SIZE.0, MIN_SIZE.1, screen.width, screen.height
        )),
        Line::from(Span::styled("q quits", app.palette.dim)),
    ];
    let y = screen.height.saturating_sub(3) / 2;
    let area = Rect::new(screen.x, screen.y + y, screen.width, 3.min(screen.height));
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        area,
    );
}

/// A centred rectangle of at most `w`×`h` inside `r`.
pub fn centered(r: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(r.width);
    let h = h.min(r.height);
    Rect::new(r.x + (r.width - w) / 2, r.y + (r.height - h) / 2, w, h)
}

/// Seconds as `1.234s`.
pub fn secs(s: f64) -> String {
    format!("{s:.3}s")
}

/// A key hint span pair.
pub fn key_hint<'a>(
    key: &'a str,
    text: &'a str,
    key_style: Style,
    text_style: Style,
) -> [Span<'a>; 2] {
    [
        Span::styled(key, key_style),
        Span::styled(format!(" {text}  "), text_style),
    ]
}
