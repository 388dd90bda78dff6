//! Rendering: a pure function of [`App`] into a frame, one module per panel.
//!
//! ```text
//! ┌ header (3 rows): what a launch does · the selected execution and its verdict · its narration ┐
//! ┌ State graph (60%) ───────────────────┐┌ Event history (40%) ──────────┐
//! │ forward lane ┄┄ catch ┄▶ compensation ││ +0.135s TaskFailed TakePayment │
//! └──────────────────────────────────────┘└───────────────────────────────┘
//! ┌ Rows (60%) ──────────────────────────┐┌ Executions (40%) ─────────────┐
//! └──────────────────────────────────────┘└───────────────────────────────┘
//!   footer (1 row): the keys that work now, as many as fit, most important first
//! ```
//!
//! Overlays (help, event payload, state inspector, a confirmation) draw over the
//! panels; the trip input takes the header's place. Geometry comes from
//! [`super::geometry`].

pub mod confirm;
pub mod event;
pub mod executions;
pub mod footer;
pub mod graph;
pub mod header;
pub mod help;
pub mod history;
pub mod inspector;
pub mod load;
pub mod narration;
pub mod rows;
pub mod text;
pub mod timeline;

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use super::app::{App, Mode};
use super::geometry::{self, MIN_SIZE};
use super::keymap::{self, Action, Context, Focus};

/// A panel frame; the focused one is highlighted.
pub fn panel<'a>(app: &App, focus: Focus, title: impl Into<Line<'a>>) -> Block<'a> {
    let p = &app.palette;
    let focused = app.focus == focus && app.mode == Mode::Normal;
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
    // The theme's own background, whatever the terminal's is.
    frame.buffer_mut().set_style(screen, app.palette.base);
    if geometry::too_small((screen.width, screen.height)) {
        draw_too_small(frame, app, screen);
        return;
    }
    let a = geometry::areas(screen, app.zoom());
    header::draw(frame, app, a.header);
    if app.load_shown {
        load::draw(frame, app, a.graph);
    } else if app.timeline {
        timeline::draw(frame, app, a.graph);
    } else {
        graph::draw(frame, app, a.graph);
    }
    history::draw(frame, app, a.history);
    rows::draw(frame, app, a.rows);
    executions::draw(frame, app, a.executions);
    footer::draw(frame, app, a.footer);
    match &app.mode {
        Mode::Help { scroll } => help::draw(frame, app, *scroll),
        Mode::Event { index, scroll } => event::draw(frame, app, screen, *index, *scroll),
        Mode::Inspect(insp) => inspector::draw(frame, app, screen, insp),
        Mode::Confirm { question, .. } => confirm::draw(frame, app, screen, question),
        Mode::EditTrip { .. } | Mode::Filter { .. } | Mode::Normal => {}
    }
}

fn draw_too_small(frame: &mut Frame, app: &App, screen: Rect) {
    let text = vec![
        Line::from(Span::styled("terminal too small", app.palette.error)),
        Line::from(format!(
            "need {}×{}, have {}×{}",
            MIN_SIZE.0, MIN_SIZE.1, screen.width, screen.height
        )),
        Line::from(Span::styled(
            format!(
                "{} quits",
                keymap::label(Context::Panel(app.focus), Action::Quit)
            ),
            app.palette.dim,
        )),
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
