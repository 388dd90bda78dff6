//! Timeline panel: the selected execution's visits as bars on a time axis, the history
//! cursor as a vertical marker, coloured by lane as the graph colours it.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthChar;

use super::{panel, secs};
use crate::tui::app::{AXIS_ROWS, App};
use crate::tui::keymap::Focus;
use crate::tui::theme::Palette;
use crate::view::timeline::{Axis, Cell, CellKind, Lane, Outcome, Row, Scale, paint};

/// What the glyphs mean, under the panel when it is wide enough.
const LEGEND: &str = " █ attempt ▓ compensation ┄ backoff ✗ failed │ cursor ";
/// The shorter legend of a narrow panel.
const LEGEND_SHORT: &str = " ▓ comp ┄ backoff ✗ fail │ cursor ";
/// Columns left of the bars: the mark of the cursor's visit.
const GUTTER: u16 = 1;

/// Draws the graph panel as a timeline.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let p = &app.palette;
    let selected = app.selected_execution();
    let view = selected.map(|e| &e.view);
    let cursor = app.cursor_event();
    let mut title = vec![Span::raw(" Timeline ")];
    let cursor_at = view
        .zip(cursor)
        .map(|(v, i)| format!("│ +{} ", secs(v.offset_secs(&v.events[i]))));
    if let Some(e) = selected {
        let status = e.status().as_str();
        let run_type = e.run_type.as_deref().unwrap_or("?");
        let room = usize::from(area.width.saturating_sub(2));
        let used = title_width(&title) + cursor_at.as_deref().map_or(0, |s| s.chars().count());
        // A narrow panel keeps the status and the cursor's time; the run type is in
        // the header already.
        let what = if used + run_type.len() + status.len() + 2 <= room {
            format!("{run_type} {status} ")
        } else {
            format!("{status} ")
        };
        title.push(Span::styled(what, p.dim));
    }
    if let Some(at) = cursor_at {
        title.push(Span::styled(at, p.key));
    }
    let mut block = panel(app, Focus::Graph, Line::from(title));
    let width = usize::from(area.width);
    for legend in [LEGEND, LEGEND_SHORT] {
        if width > legend.chars().count() + 4 {
            block = block.title_bottom(Line::styled(legend, p.dim));
            break;
        }
    }
    let inner = block.inner(area);
    let timeline = app.timeline().filter(|t| !t.visits.is_empty());
    let Some((timeline, view)) = timeline.zip(view) else {
        frame.render_widget(block, area);
        let text = if selected.is_some() {
            "waiting for the first state…"
        } else {
            "no execution yet: launch one with 1-8"
        };
        frame.render_widget(Paragraph::new(Line::styled(text, p.dim)), inner);
        return;
    };
    let rows = usize::from(inner.height.saturating_sub(AXIS_ROWS));
    let top = app.timeline_top(&timeline, rows);
    let shown = timeline.visits.len().min(top + rows) - top;
    let hidden: String = [(top > 0, '▲'), (top + shown < timeline.visits.len(), '▼')]
        .into_iter()
        .filter_map(|(h, arrow)| h.then_some(arrow))
        .collect();
    if !hidden.is_empty() {
        let counted = format!(
            " {}-{} of {} {hidden} ",
            top + 1,
            top + shown,
            timeline.visits.len()
        );
        block = block.title_top(Line::styled(counted, p.dim).right_aligned());
    }
    frame.render_widget(block, area);

    let cols = inner.width.saturating_sub(GUTTER);
    if cols == 0 || inner.height == 0 {
        return;
    }
    let scale = Scale::new(timeline.start, timeline.span_ms(), cols);
    let cursor_col = cursor.map(|i| scale.col(view.events[i].timestamp));
    let cursor_visit = cursor.and_then(|i| timeline.visit_of_event(view, i));
    let chart = Rect {
        x: inner.x + GUTTER,
        width: cols,
        ..inner
    };
    let buf = frame.buffer_mut();
    for (row_y, index) in (top..top + shown).enumerate() {
        let y = inner.y + u16::try_from(row_y).unwrap_or(u16::MAX);
        let row = paint(&timeline.visits[index], &scale);
        let current = cursor_visit == Some(index);
        if current {
            set(buf, inner.x, y, '▸', p.key);
        }
        draw_row(buf, chart, y, &row, cursor_col, current, p);
    }
    let axis_y = inner.y + u16::try_from(rows).unwrap_or(u16::MAX);
    draw_axis(buf, chart, axis_y, &scale, cursor_col, p);
}

fn title_width(spans: &[Span]) -> usize {
    spans.iter().map(Span::width).sum()
}

fn set(buf: &mut Buffer, x: u16, y: u16, ch: char, style: Style) {
    if let Some(cell) = buf.cell_mut(Position::new(x, y)) {
        cell.set_char(ch).set_style(style);
    }
}

/// The colour of a cell: lanes as the graph colours them, marks by what they say.
fn cell_style(cell: &Cell, p: &Palette) -> Style {
    match cell.kind {
        CellKind::Blank => p.text,
        CellKind::Backoff => p.warn,
        CellKind::Due => p.dim,
        CellKind::Attempt { lane, outcome } => match (cell.ch, outcome) {
            ('✗', _) => p.error,
            ('▶', _) | (_, Outcome::Running) => p.running,
            (_, Outcome::Aborted) => p.idle,
            _ => match lane {
                Lane::Forward => p.ok,
                Lane::Compensation => p.caught,
            },
        },
    }
}

fn draw_row(
    buf: &mut Buffer,
    chart: Rect,
    y: u16,
    row: &Row,
    cursor_col: Option<u16>,
    current: bool,
    p: &Palette,
) {
    if y >= chart.bottom() {
        return;
    }
    for (x, cell) in (chart.x..chart.right()).zip(&row.cells) {
        if cell.kind != CellKind::Blank {
            set(buf, x, y, cell.ch, cell_style(cell, p));
        } else if cursor_col.is_some_and(|c| chart.x + c == x) {
            set(buf, x, y, '│', p.key);
        }
    }
    let Some(label) = &row.label else {
        return;
    };
    let mut col = label.x;
    for ch in label.text.chars() {
        let w = u16::try_from(ch.width().unwrap_or(0)).unwrap_or(1);
        if w == 0 {
            continue;
        }
        if col + w > chart.width {
            break;
        }
        let under = row.cells.get(usize::from(col)).copied();
        let mut style = match under.map(|c| c.kind) {
            // Over its own bar the name reads reversed, in the bar's colour.
            Some(CellKind::Attempt { .. }) => under
                .map_or(p.text, |c| cell_style(&c, p))
                .add_modifier(Modifier::REVERSED),
            Some(CellKind::Backoff) => p.warn,
            Some(CellKind::Due) => p.dim,
            Some(CellKind::Blank) | None => p.text,
        };
        if current {
            style = style.add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
        }
        set(buf, chart.x + col, y, ch, style);
        col += w;
    }
}

/// The axis line with its ticks and the cursor, and the tick labels under it.
fn draw_axis(
    buf: &mut Buffer,
    chart: Rect,
    y: u16,
    scale: &Scale,
    cursor_col: Option<u16>,
    p: &Palette,
) {
    if y >= chart.bottom() {
        return;
    }
    let axis = Axis::new(scale);
    for x in chart.x..chart.right() {
        set(buf, x, y, '─', p.border);
    }
    for tick in &axis.ticks {
        set(buf, chart.x + tick.col, y, '┬', p.border);
    }
    if let Some(c) = cursor_col {
        set(buf, chart.x + c, y, '▲', p.key);
    }
    let label_y = y + 1;
    if label_y >= chart.bottom() {
        return;
    }
    for tick in &axis.ticks {
        for (i, ch) in tick.label.chars().enumerate() {
            let x = chart.x + tick.col + u16::try_from(i).unwrap_or(u16::MAX);
            if x < chart.right() {
                set(buf, x, label_y, ch, p.dim);
            }
        }
    }
}
