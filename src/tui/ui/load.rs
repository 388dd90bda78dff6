//! The load panel (`L`): a crowd of sagas summed up in place of the graph: outcomes,
//! the orphan rate observed beside the one the retry policy predicts, and per state
//! the latency percentiles and retries.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::panel;
use crate::tui::app::{App, LoadRun};
use crate::tui::keymap::Focus;
use crate::tui::theme::Palette;
use crate::view::crowd::{CrowdSummary, Outcome};

/// Columns of each latency or retry figure.
const FIGURE: usize = 6;

/// Draws the graph panel as the load panel.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let p = &app.palette;
    let load = app.load.as_ref();
    let summary = load.and_then(|l| l.summary.as_ref());
    let mut title = vec![Span::raw(" Crowd ")];
    if let Some(l) = load {
        title.push(Span::styled(state_words(l, summary), p.dim));
    }
    let block = panel(app, Focus::Graph, Line::from(title))
        .title_bottom(Line::styled(" L/Esc: back to the graph ", p.dim));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines = match (load, summary) {
        (None, _) => vec![Line::styled("no crowd yet: L runs one", p.dim)],
        (Some(l), None) => vec![Line::styled(
            format!("starting {} sagas…", l.plan.count),
            p.dim,
        )],
        (Some(_), Some(s)) => lines(s, p, usize::from(inner.width), usize::from(inner.height)),
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

/// `42/100 ended · 20 running`, `done`, or why it stopped.
fn state_words(load: &LoadRun, summary: Option<&CrowdSummary>) -> String {
    let Some(s) = summary else {
        return "starting ".to_owned();
    };
    match (&load.error, load.done) {
        (Some(_), _) => format!("{}/{} ended · stopped ", s.finished, s.planned),
        (None, true) => format!("{} sagas · done ", s.planned),
        (None, false) => format!(
            "{}/{} ended · {} running ",
            s.finished,
            s.planned,
            s.running()
        ),
    }
}

fn outcome_style(p: &Palette, o: Outcome) -> Style {
    match o {
        Outcome::Booked => p.ok,
        Outcome::RolledBack => p.caught,
        Outcome::Orphaned => p.error,
        Outcome::Aborted => p.warn,
    }
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

/// A latency short enough for a narrow column: `850ms`, `1.25s`, `12.5s`.
fn duration(ms: Option<f64>) -> String {
    match ms {
        None => "–".to_owned(),
        Some(ms) if ms < 1000.0 => format!("{ms:.0}ms"),
        Some(ms) if ms < 10_000.0 => format!("{:.2}s", ms / 1000.0),
        Some(ms) => format!("{:.1}s", ms / 1000.0),
    }
}

/// The outcomes' line: whole labels when they fit, short ones when not.
fn outcomes_line<'a>(s: &CrowdSummary, p: &Palette, width: usize) -> Line<'a> {
    let whole: usize = Outcome::ALL
        .iter()
        .map(|&o| s.count(o).to_string().len() + o.label().len() + 3)
        .sum();
    let mut spans = Vec::new();
    for o in Outcome::ALL {
        let (label, gap) = if whole <= width {
            (o.label(), "  ")
        } else {
            (short_label(o), " ")
        };
        spans.push(Span::styled(
            format!("{} ", s.count(o)),
            outcome_style(p, o),
        ));
        spans.push(Span::styled(format!("{label}{gap}"), p.dim));
    }
    Line::from(spans)
}

fn short_label(o: Outcome) -> &'static str {
    match o {
        Outcome::RolledBack => "rolled back",
        o => o.label(),
    }
}

/// The outcomes in proportion to the crowd, the part not ended yet shaded.
fn outcome_bar<'a>(s: &CrowdSummary, p: &Palette, width: usize) -> Line<'a> {
    let mut bar = Vec::new();
    let mut used = 0;
    for o in Outcome::ALL {
        let cells = (s.count(o) * width)
            .div_ceil(s.planned.max(1))
            .min(width - used);
        used += cells;
        if cells > 0 {
            bar.push(Span::styled("█".repeat(cells), outcome_style(p, o)));
        }
    }
    bar.push(Span::styled("░".repeat(width - used), p.idle));
    Line::from(bar)
}

fn lines<'a>(s: &CrowdSummary, p: &Palette, width: usize, height: usize) -> Vec<Line<'a>> {
    let mut out = vec![outcomes_line(s, p, width)];
    // Rows for the outcomes, the orphan rate, the table's head and every state: the
    // bar comes when there is room to spare.
    let needed = 3 + s.states.len();
    if height > needed && width > 0 {
        out.push(outcome_bar(s, p, width));
    }
    let orphaned = s.count(Outcome::Orphaned);
    let observed_style = match (s.observed_orphan_rate, s.expected_orphan_rate) {
        (Some(o), Some(e)) if o > e * 1.5 + 0.02 => p.error,
        (Some(o), _) if o > 0.0 => p.warn,
        _ => p.ok,
    };
    let mut orphans = vec![
        Span::styled("orphan rate ", p.dim),
        Span::styled(
            format!(
                "{} ({orphaned}/{})",
                percent(s.observed_orphan_rate),
                s.finished
            ),
            observed_style,
        ),
        Span::styled("  expected ", p.dim),
        Span::styled(percent(s.expected_orphan_rate), p.text),
    ];
    let at_rate = format!(" at rate {}", s.cancel_failure_rate);
    if Line::from(orphans.clone()).width() + at_rate.len() <= width {
        orphans.push(Span::styled(at_rate, p.dim));
    }
    out.push(Line::from(orphans));
    let name_width = width.saturating_sub(4 * FIGURE).max(8);
    out.push(Line::styled(
        format!(
            "{:<name_width$}{:>FIGURE$}{:>FIGURE$}{:>FIGURE$}{:>FIGURE$}",
            "state", "p50", "p95", "p99", "retry"
        ),
        p.dim,
    ));
    // When not every state fits, the retried ones stay (compensations, mostly).
    let room = height.saturating_sub(out.len());
    let mut keep: Vec<usize> = (0..s.states.len()).collect();
    keep.sort_by_key(|&i| (s.states[i].retries == 0, i));
    keep.truncate(room);
    keep.sort_unstable();
    for st in keep.into_iter().map(|i| &s.states[i]) {
        let name: String = if st.name.chars().count() < name_width {
            st.name.clone()
        } else {
            let mut cut: String = st.name.chars().take(name_width - 2).collect();
            cut.push('…');
            cut
        };
        let retries = if st.retries > 0 { p.warn } else { p.dim };
        out.push(Line::from(vec![
            Span::styled(format!("{name:<name_width$}"), p.text),
            Span::raw(format!(
                "{:>FIGURE$}{:>FIGURE$}{:>FIGURE$}",
                duration(st.p50_ms),
                duration(st.p95_ms),
                duration(st.p99_ms)
            )),
            Span::styled(format!("{:>FIGURE$}", st.retries), retries),
        ]));
    }
    out
}
