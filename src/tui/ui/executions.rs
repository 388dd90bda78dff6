//! Executions panel: earlier and running executions; the viewed one is marked `▸`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::panel;
use crate::history::ExecutionStatus;
use crate::tui::app::App;
use crate::tui::geometry;
use crate::tui::keymap::{self, Action, Context, Focus};
use crate::tui::theme::{SPINNER, verdict_glyph};
use crate::view::StateStatus;
use crate::view::layout::truncate;

fn status_look(status: ExecutionStatus, frame_no: usize) -> (&'static str, StateStatus) {
    match status {
        ExecutionStatus::Running => (SPINNER[frame_no % SPINNER.len()], StateStatus::Running),
        ExecutionStatus::Succeeded => ("✓", StateStatus::Succeeded),
        ExecutionStatus::Failed => ("✗", StateStatus::Failed),
        ExecutionStatus::TimedOut | ExecutionStatus::Aborted => ("⊘", StateStatus::Aborted),
    }
}

/// Draws the executions panel.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let p = &app.palette;
    let running = app.running();
    let title = Line::from(vec![
        Span::raw(" Executions "),
        Span::styled(
            format!("{} · {running} running ", app.executions.len()),
            p.dim,
        ),
    ]);
    let block = panel(app, Focus::Executions, title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if app.executions.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!(
                    " none yet: press {}",
                    keymap::label(Context::Panel(Focus::Executions), Action::Launch)
                ),
                p.dim,
            )),
            inner,
        );
        return;
    }
    let width = usize::from(inner.width);
    // The status word only when there is room; the glyph says it too.
    let status_w = if width >= 40 { 10 } else { 0 };
    let run_w = width.saturating_sub(13 + status_w).clamp(6, 26);
    let frame_no = usize::try_from(app.now_ms / 120).unwrap_or(0);
    let mut lines = vec![Line::styled(
        format!(
            "    {:<status_w$}{:<run_w$} {:>8}",
            truncate("status", status_w),
            truncate("run type", run_w),
            "took"
        ),
        p.dim,
    )];
    let window = geometry::list_window(
        inner.height,
        geometry::header_lines(Focus::Executions),
        app.exec_cursor,
        app.executions.len(),
    );
    for (i, e) in app
        .executions
        .iter()
        .enumerate()
        .skip(window.first)
        .take(window.visible)
    {
        let status = e.status();
        let (glyph, look) = status_look(status, frame_no);
        let viewed = app.selected.as_deref() == Some(e.arn.as_str());
        let took = e
            .duration_secs()
            .map_or_else(String::new, |s| format!("{s:.1}s"));
        let mut spans = vec![
            Span::styled(if viewed { "▸ " } else { "  " }, p.key),
            Span::styled(format!("{glyph} "), p.status(look)),
            Span::styled(
                format!(
                    "{:<status_w$}",
                    truncate(&status.as_str().to_lowercase(), status_w)
                ),
                p.status(look),
            ),
            Span::styled(
                format!(
                    "{:<run_w$}",
                    truncate(app.run_label(e).as_deref().unwrap_or("?"), run_w)
                ),
                p.text,
            ),
            Span::styled(format!(" {took:>8}"), p.dim),
        ];
        if let Some(v) = &e.verdict {
            spans.push(Span::styled(
                format!(" {}", verdict_glyph(v.level)),
                p.verdict(v.level),
            ));
        }
        let mut line = Line::from(spans);
        if i == window.cursor && app.focus == Focus::Executions {
            line = line.style(p.selected);
        }
        lines.push(line);
    }
    super::text::render_lines(frame.buffer_mut(), inner, &lines);
}
