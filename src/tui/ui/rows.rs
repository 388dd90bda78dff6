//! Rows panel: the trip's table rows, with recent changes marked
//! (`+` new, `→` status changed, `−` deleted and struck through, `!` orphaned).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::panel;
use crate::tui::app::App;
use crate::tui::geometry;
use crate::tui::keymap::Focus;
use crate::tui::rows::{RowEntry, RowMark};
use crate::view::layout::truncate;

/// The few fields that tell one booking from another.
pub fn key_fields(row: &RowEntry) -> String {
    match row.attr("type") {
        "Hotel" => format!(
            "{} {}",
            row.attr("hotel"),
            row.attr("check_in").get(..10).unwrap_or("")
        ),
        "Flight" => format!(
            "{}→{} {}",
            row.attr("depart"),
            row.attr("arrive"),
            row.attr("depart_at").get(..10).unwrap_or("")
        ),
        "Payment" => format!("{} {}", row.attr("amount"), row.attr("currency")),
        _ => row.attr("id").to_string(),
    }
}

fn pad(s: &str, w: usize) -> String {
    let t = truncate(s, w);
    let len = unicode_width::UnicodeWidthStr::width(t.as_str());
    format!("{t}{}", " ".repeat(w.saturating_sub(len)))
}

/// Draws the rows panel.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let p = &app.palette;
    let selected = app.selected_execution();
    let title = if app.rows.trip_id.is_empty() {
        Line::from(" Rows ")
    } else {
        let of = selected
            .and_then(|e| e.run_type.as_deref())
            .map_or_else(String::new, |r| format!(" ({r})"));
        let mut title = vec![
            Span::raw(" Rows of trip "),
            Span::styled(app.rows.trip_id.clone(), p.title),
            Span::styled(format!("{of} · {} ", app.rows.live_count()), p.dim),
        ];
        if let Some(at) = &app.rows.past
            && app.rows.note.is_none()
        {
            title.push(Span::styled(
                format!("⏪ after event {} ", at.event_id),
                p.warn,
            ));
        }
        Line::from(title)
    };
    // The verdict judges the end: not the rows of an earlier moment.
    let judged = app.travel().is_none_or(|t| t.view.is_finished());
    let orphans: Vec<&str> = selected
        .filter(|_| judged)
        .and_then(|e| e.verdict.as_ref())
        .into_iter()
        .flat_map(|v| v.orphans.iter().map(|o| o.sk.as_str()))
        .filter(|sk| app.rows.entries.iter().any(|e| e.sk == *sk))
        .collect();
    let mut block = panel(app, Focus::Rows, title);
    if let (Some(why), Some(_)) = (&app.rows.note, app.travel()) {
        block = block.title_bottom(Line::styled(format!(" current rows: {why} "), p.warn));
    }
    if !orphans.is_empty() {
        block = block.title_bottom(Line::styled(
            format!(" orphaned: {} ", orphans.join(", ")),
            p.error,
        ));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if app.rows.entries.is_empty() {
        let text = if app.read_only() {
            " no rows: a saved execution holds its history only"
        } else if app.rows.trip_id.is_empty() {
            " the selected execution's trip rows show here"
        } else if app.rows.loaded {
            " no rows for this trip"
        } else {
            " loading rows…"
        };
        frame.render_widget(Paragraph::new(Line::styled(text, p.dim)), inner);
        return;
    }
    let width = usize::from(inner.width);
    let wide = width >= 70;
    let sk_w = 24.min(width.saturating_sub(14));
    let status_w = 19;
    // Room for the longest type and a space (the approval machine's `Approval`).
    let type_w = app
        .rows
        .entries
        .iter()
        .map(|r| r.attr("type").chars().count() + 1)
        .max()
        .unwrap_or(0)
        .max(8);
    let mut lines = vec![Line::styled(
        format!(
            "  {}{}{}details",
            pad("sk", sk_w + 1),
            if wide {
                pad("type", type_w)
            } else {
                String::new()
            },
            pad("transaction_status", status_w + 1)
        ),
        p.dim,
    )];
    let visible = usize::from(
        inner
            .height
            .saturating_sub(geometry::header_lines(Focus::Rows)),
    );
    for row in app.rows.entries.iter().skip(app.rows.scroll).take(visible) {
        let orphan = orphans.contains(&row.sk.as_str()) && row.mark != Some(RowMark::Deleted);
        let (mark, mark_style, line_style): (&str, Style, Style) = match (&row.mark, orphan) {
            (Some(RowMark::Deleted), _) => ("−", p.error, p.row_deleted),
            (_, true) => ("!", p.error, p.error),
            (Some(RowMark::New), _) => ("+", p.row_new, p.row_new),
            (Some(RowMark::Changed { .. }), _) => ("→", p.row_changed, p.text),
            (None, _) => (" ", p.text, p.text),
        };
        let status = match &row.mark {
            Some(RowMark::Changed { from, to }) => format!("{from} → {to}"),
            _ => row.attr("transaction_status").to_string(),
        };
        let status_style = match (&row.mark, row.attr("transaction_status")) {
            (Some(RowMark::Deleted), _) => p.row_deleted,
            (Some(RowMark::Changed { .. }), _) => p.row_changed,
            (_, "confirmed") => p.ok,
            (_, "pending") => p.warn,
            _ => line_style,
        };
        let mut spans = vec![
            Span::styled(format!("{mark} "), mark_style),
            Span::styled(pad(&row.sk, sk_w + 1), line_style),
        ];
        if wide {
            spans.push(Span::styled(pad(row.attr("type"), type_w), line_style));
        }
        spans.push(Span::styled(pad(&status, status_w + 1), status_style));
        spans.push(Span::styled(key_fields(row), line_style));
        lines.push(Line::from(spans));
    }
    super::text::render_lines(frame.buffer_mut(), inner, &lines);
}
