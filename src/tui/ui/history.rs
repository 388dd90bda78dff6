//! Event history panel: the selected execution's events as they arrive, with offsets
//! from the start, the attempt of task events and error + cause of failures.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::panel;
use crate::history::HistoryEvent;
use crate::tui::app::{App, Mode};
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

/// The title: the count, the filter (as it is being typed, or kept) and follow mode.
fn title<'a>(app: &App, count: usize) -> Line<'a> {
    let p = &app.palette;
    let mut spans = vec![Span::raw(" Event history ")];
    if app.history_filtered() || matches!(app.mode, Mode::Filter { .. }) {
        spans.push(Span::styled(
            format!("{}/{count} ", app.history_entries()),
            p.dim,
        ));
        let typing = matches!(app.mode, Mode::Filter { .. });
        spans.push(Span::styled(
            format!("/{}{} ", app.history_filter, if typing { "▏" } else { "" }),
            if typing {
                p.key.add_modifier(Modifier::UNDERLINED)
            } else {
                p.key
            },
        ));
    } else {
        spans.push(Span::styled(format!("{count} "), p.dim));
    }
    if app.follow {
        spans.push(Span::styled("follow ", p.key));
    }
    Line::from(spans)
}

/// The selected execution's ARN for the bottom border, cut in the middle to fit: its
/// end (the execution's name) says the most.
fn arn_line<'a>(app: &App, arn: &str, width: u16) -> Line<'a> {
    let p = &app.palette;
    let copy = keymap::label(Context::Panel(Focus::History), Action::CopyArn);
    // Two corners, a space each side of the ARN, " copies " and a cell of border.
    let room = usize::from(width).saturating_sub(copy.width() + 13);
    Line::from(vec![
        Span::styled(format!(" {} ", truncate_middle(arn, room)), p.dim),
        Span::styled(copy, p.key),
        Span::styled(" copies ", p.dim),
    ])
}

/// Draws the history panel.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let p = &app.palette;
    let execution = app.selected_execution();
    let count = execution.map_or(0, |e| e.view.events.len());
    let mut block = panel(app, Focus::History, title(app, count));
    if let Some(e) = execution {
        block = block.title_bottom(arn_line(app, &e.arn, area.width));
    }
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
    let shown = app.history_entries();
    if shown == 0 && count > 0 {
        let clear = keymap::label(Context::Panel(Focus::History), Action::ClearFilter);
        let lines = [
            Line::styled(format!(" no event matches /{}", app.history_filter), p.dim),
            Line::styled(format!(" {clear} shows every event"), p.dim),
        ];
        super::text::render_lines(frame.buffer_mut(), inner, &lines);
        return;
    }
    let window = geometry::list_window(
        inner.height,
        geometry::header_lines(Focus::History),
        app.history_position(),
        shown,
    );
    let lines: Vec<Line> = (window.first..window.first + window.visible)
        .filter_map(|k| Some((k, app.history_entry(k)?)))
        .filter_map(|(k, i)| {
            let (event, note) = (e.view.events.get(i)?, e.view.notes.get(i)?);
            let l = line(app, e.view.offset_secs(event), event, note);
            Some(if k == window.cursor && app.focus == Focus::History {
                l.style(p.selected)
            } else {
                l
            })
        })
        .collect();
    super::text::render_lines(frame.buffer_mut(), inner, &lines);
}

/// `text` cut to `width` columns by an ellipsis in the middle, keeping a third of the
/// room for its start and the rest for its end.
pub fn truncate_middle(text: &str, width: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let head = (width - 1) / 3;
    let tail = width - 1 - head;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::truncate_middle;

    #[test]
    fn the_middle_goes_first() {
        let arn = "arn:aws:states:us-east-1:123456789012:execution:BookingSaga:run-7";
        assert_eq!(truncate_middle(arn, 200), arn);
        let cut = truncate_middle(arn, 30);
        assert_eq!(cut.chars().count(), 30);
        assert!(cut.starts_with("arn:aws:"), "{cut}");
        assert!(cut.ends_with("BookingSaga:run-7"), "{cut}");
        assert!(cut.contains('…'));
        assert_eq!(truncate_middle(arn, 1), "…");
        assert_eq!(truncate_middle(arn, 0), "");
    }
}
