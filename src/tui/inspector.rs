//! The state inspector's document: one state's visits (input, output, error and
//! cause, attempts with their times, events) as foldable lines, and the window onto
//! them. Keys and drawing both build it from the [`App`], so the line a key folds is
//! the line drawn under the cursor.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;

use super::app::App;
use super::ui::centered;
use crate::history::failure_line;
use crate::view::json::{self, JsonTree, Tone};
use crate::view::visits::{self, Attempt, Outcome, Visit};
use crate::view::{ExecutionView, StateStatus};

/// Visits shown, the latest ones: a loop can enter a state thousands of times.
pub const MAX_VISITS: usize = 50;
/// Events listed per visit (a Map's iterations each add a few).
pub const MAX_EVENTS: usize = 500;

/// What folds: `(block, node)`, a block being one visit's header or one payload of
/// it, the node the payload's container id (0 for a visit header).
pub type FoldKey = (u32, usize);

/// Blocks each visit numbers: its header, input, output, cause.
const SLOTS: u32 = 4;
const HEADER: u32 = 0;
const INPUT: u32 = 1;
const OUTPUT: u32 = 2;
const CAUSE: u32 = 3;

/// The inspector's state: which state, where the cursor is, how lines show.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inspector {
    /// The state inspected, by name (nested states included).
    pub state: String,
    /// The cursor's line.
    pub cursor: usize,
    /// The first row shown.
    pub top: usize,
    /// Whether long lines wrap (else the view scrolls sideways).
    pub wrap: bool,
    /// Columns scrolled sideways, when not wrapping.
    pub hscroll: u16,
    /// Folds the user flipped from how they start.
    pub toggled: BTreeSet<FoldKey>,
    /// The state's payloads, parsed.
    pub trees: TreeCache,
}

/// Payloads parsed once, by their text: every frame draws the inspector, and a
/// payload can be as large as the service allows. Not part of what the inspector
/// shows, so two inspectors equal whatever they have parsed.
#[derive(Debug, Clone, Default)]
pub struct TreeCache(Arc<HashMap<String, Arc<JsonTree>>>);

impl PartialEq for TreeCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for TreeCache {}

impl TreeCache {
    /// The parsed payload, from the cache or parsed now.
    fn tree(&self, text: &str) -> Arc<JsonTree> {
        self.0
            .get(text)
            .cloned()
            .unwrap_or_else(|| Arc::new(JsonTree::parse(text)))
    }

    /// The cache holding every payload of `visits` (the ones shown), parsing only what
    /// it did not hold; what is no longer shown is dropped.
    pub fn refreshed(&self, visits: &[Visit]) -> Self {
        let shown = &visits[visits.len().saturating_sub(MAX_VISITS)..];
        let texts = shown
            .iter()
            .flat_map(|v| [&v.input, &v.output, &v.cause])
            .flatten();
        let mut map = HashMap::new();
        for text in texts {
            if !map.contains_key(text) {
                map.insert(text.clone(), self.tree(text));
            }
        }
        Self(Arc::new(map))
    }
}

impl Inspector {
    /// The inspector opened on a state: wrapping, at the top.
    pub fn new(state: impl Into<String>) -> Self {
        Self {
            state: state.into(),
            wrap: true,
            ..Self::default()
        }
    }
}

/// How a piece of a line is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// Part of a payload.
    Json(Tone),
    /// A visit's header.
    Heading,
    /// A field's name (Input, Attempts, ...).
    Label,
    /// Plain text.
    Text,
    /// Times, counts, what is absent.
    Dim,
    /// Success.
    Ok,
    /// A retry, a wait.
    Warn,
    /// A failure.
    Error,
}

/// One line of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocLine {
    /// Columns of indentation.
    pub indent: u16,
    /// The text.
    pub segments: Vec<(String, Look)>,
    /// What `Space` folds on this line.
    pub fold: Option<FoldKey>,
    /// Whether that is folded now.
    pub folded: bool,
}

impl DocLine {
    fn new(indent: u16, segments: Vec<(String, Look)>) -> Self {
        Self {
            indent,
            segments,
            fold: None,
            folded: false,
        }
    }

    /// The line's text, for tests.
    pub fn text(&self) -> String {
        self.segments.iter().map(|(s, _)| s.as_str()).collect()
    }
}

fn seg(text: impl Into<String>, look: Look) -> (String, Look) {
    (text.into(), look)
}

/// Where the inspector is drawn on a screen.
pub fn overlay(screen: Rect) -> Rect {
    centered(
        screen,
        screen.width.saturating_sub(6),
        screen.height.saturating_sub(2),
    )
}

/// The inside of the overlay (its text area) on a screen of `size`.
pub fn text_area(size: (u16, u16)) -> Rect {
    let o = overlay(Rect::new(0, 0, size.0, size.1));
    crate::tui::geometry::inside(o)
}

/// The inspector's lines for the app's selected execution.
pub fn document(app: &App, insp: &Inspector) -> Vec<DocLine> {
    let mut out = Vec::new();
    let type_name = app.graph.as_ref().and_then(|g| {
        g.graph
            .index_of(&insp.state)
            .map(|i| g.graph.states[i].type_name)
    });
    let Some(execution) = app.selected_execution() else {
        out.push(DocLine::new(
            0,
            vec![seg("no execution is viewed", Look::Dim)],
        ));
        return out;
    };
    let view = &execution.view;
    let all = visits::visits(view, &insp.state);
    let mut summary = vec![seg(insp.state.clone(), Look::Heading)];
    if let Some(t) = type_name {
        summary.push(seg(format!("  {t}"), Look::Dim));
    }
    if all.is_empty() {
        summary.push(seg("  · not entered in this execution", Look::Dim));
        out.push(DocLine::new(0, summary));
        return out;
    }
    let status = view.status_of(&insp.state);
    summary.push(seg("  · ", Look::Dim));
    summary.push(seg(status_word(status), status_look(status)));
    let attempts: usize = all.iter().map(|v| v.attempts.len()).sum();
    summary.push(seg(
        format!(
            " · {} · {}",
            plural(all.len(), "visit"),
            plural(attempts, "attempt")
        ),
        Look::Dim,
    ));
    out.push(DocLine::new(0, summary));
    let skipped = all.len().saturating_sub(MAX_VISITS);
    if skipped > 0 {
        out.push(DocLine::new(
            0,
            vec![seg(
                format!("… {} not shown", plural(skipped, "earlier visit")),
                Look::Dim,
            )],
        ));
    }
    let n = all.len();
    let folded = |key: FoldKey| {
        let start_folded =
            key.1 == 0 && key.0 % SLOTS == HEADER && (key.0 / SLOTS) as usize + 1 < n;
        start_folded != insp.toggled.contains(&key)
    };
    for (v, visit) in all.iter().enumerate().skip(skipped) {
        visit_lines(&mut out, view, visit, v, n, &folded, &insp.trees);
    }
    out
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn status_word(s: StateStatus) -> String {
    match s {
        StateStatus::NotStarted => "not started".into(),
        StateStatus::Running => "running".into(),
        StateStatus::Retrying(n) => format!("retrying (retry {n})"),
        StateStatus::Succeeded => "✓ succeeded".into(),
        StateStatus::Failed => "✗ failed".into(),
        StateStatus::Caught => "⤳ failed, caught".into(),
        StateStatus::Aborted => "⊘ stopped".into(),
    }
}

fn status_look(s: StateStatus) -> Look {
    match s {
        StateStatus::Succeeded => Look::Ok,
        StateStatus::Failed | StateStatus::Aborted => Look::Error,
        StateStatus::Retrying(_) | StateStatus::Caught => Look::Warn,
        StateStatus::NotStarted | StateStatus::Running => Look::Text,
    }
}

/// `+1.234s` from the execution's start.
fn at(view: &ExecutionView, t: DateTime<Utc>) -> String {
    let start = view
        .started_at
        .or_else(|| view.events.first().map(|e| e.timestamp))
        .unwrap_or(t);
    format!("+{}", span(start, t))
}

/// `1.234s` between two times.
fn span(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let micros = (to - from).num_microseconds().unwrap_or(0);
    format!("{:.3}s", micros as f64 / 1e6)
}

fn visit_lines(
    out: &mut Vec<DocLine>,
    view: &ExecutionView,
    visit: &Visit,
    v: usize,
    n: usize,
    folded: &dyn Fn(FoldKey) -> bool,
    trees: &TreeCache,
) {
    let block = u32::try_from(v).unwrap_or(u32::MAX / SLOTS) * SLOTS;
    let key = (block + HEADER, 0);
    let is_folded = folded(key);
    let mut head = vec![
        seg(if is_folded { "▸ " } else { "▾ " }, Look::Dim),
        seg(format!("Visit {} of {n}", v + 1), Look::Heading),
        seg(
            format!(" · entered {}", at(view, visit.entered_at)),
            Look::Dim,
        ),
    ];
    match visit.exited_at {
        Some(t) => head.push(seg(
            format!(
                " · exited {} · took {}",
                at(view, t),
                span(visit.entered_at, t)
            ),
            Look::Dim,
        )),
        None => head.push(seg(" · not exited", Look::Dim)),
    }
    // A visit whose last attempt succeeded shows its earlier failures as retried.
    let recovered = matches!(
        visit.attempts.last(),
        Some(Attempt {
            outcome: Outcome::Succeeded,
            ..
        })
    );
    if let Some(e) = visit.error.as_ref().filter(|_| !recovered) {
        head.push(seg(format!(" · ✗ {e}"), Look::Error));
    }
    out.push(DocLine {
        fold: Some(key),
        folded: is_folded,
        ..DocLine::new(0, head)
    });
    if is_folded {
        return;
    }
    if !visit.attempts.is_empty() {
        out.push(DocLine::new(2, vec![seg("Attempts", Look::Label)]));
        let mut previous_end = None;
        for a in &visit.attempts {
            out.push(attempt_line(view, a, previous_end));
            previous_end = a.ended_at;
        }
    }
    if visit.error.is_some() || visit.cause.is_some() {
        let error = visit.error.as_deref().unwrap_or("(no error name)");
        let (label, look) = if recovered {
            ("Last failure, retried  ", Look::Warn)
        } else {
            ("Error  ", Look::Error)
        };
        out.push(DocLine::new(
            2,
            vec![seg(label, Look::Label), seg(error, look)],
        ));
        if let Some(cause) = &visit.cause {
            out.push(DocLine::new(2, vec![seg("Cause", Look::Label)]));
            payload(out, trees, cause, block + CAUSE, folded);
        }
    }
    out.push(DocLine::new(2, vec![seg("Input", Look::Label)]));
    match &visit.input {
        Some(input) => payload(out, trees, input, block + INPUT, folded),
        None => out.push(DocLine::new(4, vec![seg("—", Look::Dim)])),
    }
    out.push(DocLine::new(2, vec![seg("Output", Look::Label)]));
    match &visit.output {
        Some(output) => payload(out, trees, output, block + OUTPUT, folded),
        None => out.push(DocLine::new(
            4,
            vec![seg("— none: the state has not exited", Look::Dim)],
        )),
    }
    out.push(DocLine::new(
        2,
        vec![
            seg("Events", Look::Label),
            seg(format!("  {}", visit.events.len()), Look::Dim),
        ],
    ));
    for &i in visit.events.iter().take(MAX_EVENTS) {
        let (Some(ev), Some(note)) = (view.events.get(i), view.notes.get(i)) else {
            continue;
        };
        let mut line = vec![
            seg(format!("{:>4} ", ev.id), Look::Dim),
            seg(format!("{:>9} ", at(view, ev.timestamp)), Look::Dim),
            seg(ev.event_type.as_str(), Look::Text),
        ];
        if let Some(a) = note.attempt {
            line.push(seg(format!(" #{a}"), Look::Warn));
        }
        if let Some(f) = ev.failure_text() {
            line.push(seg(format!(" {f}"), Look::Error));
        }
        out.push(DocLine::new(4, line));
    }
    if visit.events.len() > MAX_EVENTS {
        out.push(DocLine::new(
            4,
            vec![seg(
                format!(
                    "… {} more",
                    plural(visit.events.len() - MAX_EVENTS, "event")
                ),
                Look::Dim,
            )],
        ));
    }
}

fn attempt_line(view: &ExecutionView, a: &Attempt, previous_end: Option<DateTime<Utc>>) -> DocLine {
    let mut line = vec![seg(format!("#{:<2} ", a.number), Look::Warn)];
    if let Some(end) = previous_end {
        line.push(seg(
            format!("after {} · ", span(end, a.scheduled_at)),
            Look::Dim,
        ));
    }
    line.push(seg(at(view, a.scheduled_at), Look::Dim));
    if let Some(end) = a.ended_at {
        line.push(seg(
            format!(" → {} ({})", at(view, end), span(a.scheduled_at, end)),
            Look::Dim,
        ));
    }
    match &a.outcome {
        Outcome::Open => line.push(seg("  … running", Look::Text)),
        Outcome::Succeeded => line.push(seg("  ✓ succeeded", Look::Ok)),
        Outcome::Failed { error, cause } => line.push(seg(
            format!("  ✗ {}", failure_line(error.as_deref(), cause.as_deref())),
            Look::Error,
        )),
    }
    DocLine::new(4, line)
}

/// A payload's lines, pretty-printed under a field.
fn payload(
    out: &mut Vec<DocLine>,
    trees: &TreeCache,
    text: &str,
    block: u32,
    folded: &dyn Fn(FoldKey) -> bool,
) {
    let tree = trees.tree(text);
    for line in tree.lines(&|id| folded((block, id))) {
        out.push(DocLine {
            indent: 4 + line.indent,
            segments: line
                .segments
                .into_iter()
                .map(|(s, t)| (s, Look::Json(t)))
                .collect(),
            fold: line.fold.map(|id| (block, id)),
            folded: line.folded,
        });
    }
}

/// Each line's rows at `width` (one per line when not wrapping).
pub fn rows(lines: &[DocLine], width: u16, wrap: bool) -> Vec<Vec<Vec<(String, Look)>>> {
    lines
        .iter()
        .map(|l| {
            if wrap {
                json::wrap(l.indent, &l.segments, width, Look::Text)
            } else {
                vec![json::unwrapped(l.indent, &l.segments, Look::Text)]
            }
        })
        .collect()
}

/// The first row to show so that the cursor's line (rows `start..end`) shows in a
/// window `height` rows high that started at `top`.
pub fn keep_in_view(top: usize, start: usize, end: usize, height: usize) -> usize {
    if start < top {
        start
    } else if end > top + height {
        (end.saturating_sub(height)).min(start)
    } else {
        top
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_follows_the_cursor_line() {
        assert_eq!(keep_in_view(0, 3, 4, 10), 0);
        assert_eq!(keep_in_view(5, 3, 4, 10), 3, "above: up to it");
        assert_eq!(
            keep_in_view(0, 12, 14, 10),
            4,
            "below: its last row at the bottom"
        );
        assert_eq!(
            keep_in_view(0, 12, 30, 10),
            12,
            "taller than the window: its start"
        );
    }
}
