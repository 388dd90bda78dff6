//! One visit as a row of character cells: its attempts as bars, the backoffs between
//! them dotted, a failed attempt ending in `✗`, and the state's name where it fits. Pure,
//! so the drawing code only picks colours.

use unicode_width::UnicodeWidthStr;

use super::{Lane, Outcome, Scale, SegmentKind, Visit};
use crate::view::layout::truncate;

/// What a cell shows, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// Nothing.
    Blank,
    /// Part of an attempt.
    Attempt {
        /// The state's lane.
        lane: Lane,
        /// How the attempt ended.
        outcome: Outcome,
    },
    /// Part of a backoff.
    Backoff,
    /// Between now and when a pending retry is due, or the due instant itself.
    Due,
}

/// One cell of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// The character drawn.
    pub ch: char,
    /// What it stands for.
    pub kind: CellKind,
}

impl Cell {
    const BLANK: Cell = Cell {
        ch: ' ',
        kind: CellKind::Blank,
    };
}

/// A visit's name, where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// First column.
    pub x: u16,
    /// The text (the name, shortened with `…` when the row is too tight).
    pub text: String,
    /// Whether it is written over the visit's own bar.
    pub inside: bool,
}

/// A visit painted: one cell per column, and its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// One per column of the scale.
    pub cells: Vec<Cell>,
    /// The name, unless the row has no room at all.
    pub label: Option<Label>,
}

impl Row {
    /// The row as plain text (label included), for tests and reading.
    pub fn text(&self) -> String {
        let mut chars: Vec<char> = self.cells.iter().map(|c| c.ch).collect();
        if let Some(label) = &self.label {
            for (i, ch) in label.text.chars().enumerate() {
                if let Some(c) = chars.get_mut(usize::from(label.x) + i) {
                    *c = ch;
                }
            }
        }
        chars.into_iter().collect()
    }
}

/// Bar glyph of a lane: shaded for compensations, so the lanes differ without colour.
pub fn bar_glyph(lane: Lane) -> char {
    match lane {
        Lane::Forward => '█',
        Lane::Compensation => '▓',
    }
}

/// Paints a visit at a scale. Every segment gets at least one cell, and a segment never
/// covers the one before it, so a fast retry still shows its failure and its wait.
pub fn paint(visit: &Visit, scale: &Scale) -> Row {
    let cols = usize::from(scale.cols);
    let mut cells = vec![Cell::BLANK; cols];
    let last_col = scale.cols.saturating_sub(1);
    let mut next_free: Option<u16> = None;
    let (mut first, mut last) = (None::<u16>, 0u16);
    for seg in &visit.segments {
        let from = scale.col(seg.start);
        let from = next_free.map_or(from, |n| from.max(n)).min(last_col);
        let to = scale.last_col(seg.end).max(from);
        let (fill, end_mark, kind) = match seg.kind {
            SegmentKind::Backoff => ('┄', None, CellKind::Backoff),
            SegmentKind::Attempt { outcome, .. } => {
                let mark = match outcome {
                    Outcome::Failed => Some('✗'),
                    Outcome::Aborted => Some('⊘'),
                    Outcome::Running if seg.open => Some('▶'),
                    Outcome::Running | Outcome::Succeeded => None,
                };
                let kind = CellKind::Attempt {
                    lane: visit.lane,
                    outcome,
                };
                (bar_glyph(visit.lane), mark, kind)
            }
        };
        for x in from..=to {
            cells[usize::from(x)] = Cell { ch: fill, kind };
        }
        if let Some(ch) = end_mark {
            cells[usize::from(to)] = Cell { ch, kind };
        }
        first.get_or_insert(from);
        last = last.max(to);
        next_free = Some(to.saturating_add(1));
    }
    if let Some(due) = visit.retry_due {
        let from = next_free.unwrap_or(0).min(last_col);
        let to = scale.col(due).max(from);
        if usize::from(to) < cols && cells[usize::from(to)].kind == CellKind::Blank {
            for x in from..to {
                cells[usize::from(x)] = Cell {
                    ch: '·',
                    kind: CellKind::Due,
                };
            }
            cells[usize::from(to)] = Cell {
                ch: '↻',
                kind: CellKind::Due,
            };
            last = last.max(to);
        }
    }
    let label = first.and_then(|first| {
        place_label(
            &label_text(visit),
            longest_plain_run(&cells),
            first,
            last,
            scale.cols,
        )
    });
    Row { cells, label }
}

/// The name, with `↻n` after a state that retried.
fn label_text(visit: &Visit) -> String {
    match visit.retries() {
        0 => visit.state.clone(),
        n => format!("{} ↻{n}", visit.state),
    }
}

/// The longest stretch of bar, backoff or wait for a retry without a mark (`✗`, `▶`,
/// `↻`, ...): where a label can sit without hiding how an attempt ended or when the
/// next is due. `(first column, length)`.
fn longest_plain_run(cells: &[Cell]) -> (u16, u16) {
    let plain = |c: &Cell| matches!(c.ch, '█' | '▓' | '┄' | '·');
    let mut best = (0u16, 0u16);
    let mut run: Option<(u16, u16)> = None;
    for (x, cell) in cells.iter().enumerate() {
        let x = u16::try_from(x).unwrap_or(u16::MAX);
        run = if plain(cell) {
            Some(run.map_or((x, 1), |(start, n)| (start, n + 1)))
        } else {
            None
        };
        if let Some(r) = run
            && r.1 > best.1
        {
            best = r;
        }
    }
    best
}

/// Where a label goes for a bar over columns `first..=last`: over the bar when a plain
/// stretch of it is long enough, else after it, else before it, else shortened on the
/// roomier side (over the bar when neither side has room for a few letters).
fn place_label(text: &str, run: (u16, u16), first: u16, last: u16, cols: u16) -> Option<Label> {
    let w = u16::try_from(text.width()).unwrap_or(u16::MAX);
    let label = |x: u16, text: String, inside: bool| Some(Label { x, text, inside });
    if run.1 >= w.saturating_add(2) {
        return label(run.0 + 1, text.to_string(), true);
    }
    let after = last.saturating_add(2);
    let right_room = cols.saturating_sub(after);
    let left_room = first.saturating_sub(1);
    if right_room >= w {
        return label(after, text.to_string(), false);
    }
    if left_room >= w {
        return label(first - 1 - w, text.to_string(), false);
    }
    const FEW: u16 = 4;
    if right_room.max(left_room) >= FEW {
        if right_room >= left_room {
            return label(after, truncate(text, usize::from(right_room)), false);
        }
        return label(0, truncate(text, usize::from(left_room)), false);
    }
    (cols >= FEW).then(|| Label {
        x: 0,
        text: truncate(text, usize::from(cols)),
        inside: true,
    })
}
