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

/// The selected execution's ARN for the bottom border, cut to fit (see [`fit_arn`]).
fn arn_line<'a>(app: &App, arn: &str, width: u16) -> Line<'a> {
    let p = &app.palette;
    let copy = keymap::label(Context::Panel(Focus::History), Action::CopyArn);
    // Two corners, a space each side of the ARN, " copies " and a cell of border.
    let room = usize::from(width).saturating_sub(copy.width() + 13);
    Line::from(vec![
        Span::styled(format!(" {} ", fit_arn(arn, room)), p.dim),
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

/// An ARN cut to `width` columns: whole when it fits; else what names the execution,
/// the state machine and the execution's name (after `:execution:`), or the name
/// alone, cut at the end if even that is too long. Its first characters say least:
/// every ARN starts alike.
pub fn fit_arn(arn: &str, width: usize) -> String {
    let fits = |s: &str| s.chars().count() <= width;
    if fits(arn) {
        return arn.to_owned();
    }
    let shown = match arn.split_once(":execution:") {
        Some((_, named)) => {
            let with_machine = format!("…{named}");
            if fits(&with_machine) {
                return with_machine;
            }
            format!("…{}", crate::arn::name(named))
        }
        None => arn.to_owned(),
    };
    if fits(&shown) {
        return shown;
    }
    let mut cut: String = shown.chars().take(width.saturating_sub(1)).collect();
    if width > 0 {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::fit_arn;

    #[test]
    fn an_arn_keeps_what_names_the_execution() {
        let arn = "arn:aws:states:us-east-1:123456789012:execution:BookingSaga:run-7";
        assert_eq!(fit_arn(arn, 200), arn);
        assert_eq!(fit_arn(arn, 30), "…BookingSaga:run-7");
        assert_eq!(fit_arn(arn, 12), "…run-7");
        assert_eq!(fit_arn(arn, 4), "…ru…");
        assert_eq!(fit_arn(arn, 1), "…");
        assert_eq!(fit_arn(arn, 0), "");
        // Not an execution ARN: cut at the end.
        assert_eq!(fit_arn("opened:a-long-file-name", 10), "opened:a-…");
    }
}
