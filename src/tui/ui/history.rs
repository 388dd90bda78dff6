//! Event history panel: the selected execution's events as they arrive, with offsets
//! from the start, the attempt of task events and error + cause of failures.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::panel;
use crate::history::HistoryEvent;
use crate::tui::app::App;
use crate::tui::geometry;
use crate::tui::keymap::{self, Action, Context, Focus};
use crate::view::reducer::EventNote;

fn line<'a>(app: &App, offset: f64, event: &HistoryEvent, note: &EventNote) -> Line<'a> {
    let p = &app.palette;
    let failure = event.failure_text();
    let type_style = if failure.is_some() {
        p.error
    } else if event.event_type.as_str().starts_with("Execution") {
        p.title
    } else {
        p.text
    };
    let mut spans = vec![
        Span::styled(format!("{:>8} ", format!("+{offset:.3}s")), p.dim),
        Span::styled(event.event_type.as_str().to_string(), type_style),
    ];
    if let Some(state) = &note.state {
        spans.push(Span::styled(format!(" {state}"), p.header));
    }
    if let Some(attempt) = note.attempt {
        spans.push(Span::styled(format!(" #{attempt}"), p.warn));
    }
    if let Some(text) = failure {
        spans.push(Span::styled(format!(" {text}"), p.error));
    }
    Line::from(spans)
}

/// Draws the history panel.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let p = &app.palette;
    let execution = app.selected_execution();
    let count = execution.map_or(0, |e| e.view.events.len());
    let title = Line::from(vec![
        Span::raw(" Event history "),
        Span::styled(format!("{count} "), p.dim),
        Span::styled(if app.follow { "follow " } else { "" }, p.key),
    ]);
    let block = panel(app, Focus::History, title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(e) = execution else {
        frame.render_widget(
            Paragraph::new(vec![
                Line::styled(" no execution selected", p.dim),
                Line::styled(
                    format!(
                        " press {} to launch one",
                        keymap::label(Context::Panel(Focus::History), Action::Launch)
                    ),
                    p.dim,
                ),
            ]),
            inner,
        );
        return;
    };
    let window = geometry::list_window(
        inner.height,
        geometry::header_lines(Focus::History),
        app.history_cursor,
        count,
    );
    let lines: Vec<Line> = e
        .view
        .events
        .iter()
        .zip(&e.view.notes)
        .enumerate()
        .skip(window.first)
        .take(window.visible)
        .map(|(i, (event, note))| {
            let l = line(app, e.view.offset_secs(event), event, note);
            if i == window.cursor && app.focus == Focus::History {
                l.style(p.selected)
            } else {
                l
            }
        })
        .collect();
    super::text::render_lines(frame.buffer_mut(), inner, &lines);
}
