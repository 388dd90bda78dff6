//! Time to columns, and the axis under the bars: tick steps a reader can count in
//! (1, 2, 5 of a unit), labelled in the unit that suits the span, from milliseconds
//! for a quick saga to hours for one that waited.

use chrono::{DateTime, Utc};

use super::ms_between;

/// The shortest span an axis covers: a history of one instant still gets a scale.
pub const MIN_SPAN_MS: f64 = 10.0;

/// Blank columns at least between one tick's label and the next, so they read apart.
const GAP: usize = 2;

/// Maps instants to columns of a chart `cols` wide starting at `start`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// The instant at column 0.
    pub start: DateTime<Utc>,
    /// Milliseconds one column stands for.
    pub ms_per_col: f64,
    /// Columns of the chart.
    pub cols: u16,
}

impl Scale {
    /// A scale fitting `span_ms` into `cols` columns (at least one).
    pub fn new(start: DateTime<Utc>, span_ms: f64, cols: u16) -> Self {
        let cols = cols.max(1);
        Self {
            start,
            ms_per_col: span_ms.max(MIN_SPAN_MS) / f64::from(cols),
            cols,
        }
    }

    /// Where `t` falls, in columns (fractional, unclamped).
    pub fn col_f(&self, t: DateTime<Utc>) -> f64 {
        ms_between(self.start, t) / self.ms_per_col
    }

    /// The column whose stretch of time holds `t`, clamped to the chart.
    pub fn col(&self, t: DateTime<Utc>) -> u16 {
        clamp_col(self.col_f(t).floor(), self.cols)
    }

    /// The last column a stretch ending at `t` reaches (its end is exclusive).
    pub fn last_col(&self, t: DateTime<Utc>) -> u16 {
        clamp_col(self.col_f(t).ceil() - 1.0, self.cols)
    }
}

fn clamp_col(c: f64, cols: u16) -> u16 {
    // `as` saturates and maps NaN to 0, which the clamp keeps in the chart.
    (c.max(0.0) as u16).min(cols.saturating_sub(1))
}

/// The unit an axis labels its ticks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// `20ms`.
    Millis,
    /// `1.5s`, `30s`.
    Seconds,
    /// `5min`.
    Minutes,
    /// `2h`.
    Hours,
}

const SECOND: u64 = 1_000;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// Steps a reader counts in, in milliseconds, smallest first; days continue 1, 2, 5.
const STEPS: [u64; 27] = [
    1,
    2,
    5,
    10,
    20,
    50,
    100,
    200,
    500,
    SECOND,
    2 * SECOND,
    5 * SECOND,
    10 * SECOND,
    15 * SECOND,
    30 * SECOND,
    MINUTE,
    2 * MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
];

impl Unit {
    /// The unit ticks `step_ms` apart read best in.
    pub fn for_step(step_ms: u64) -> Self {
        if step_ms < 100 {
            Unit::Millis
        } else if step_ms < MINUTE {
            Unit::Seconds
        } else if step_ms < HOUR {
            Unit::Minutes
        } else {
            Unit::Hours
        }
    }

    /// A tick's label: `0` at the origin, else the value in this unit, with a decimal
    /// only where the step needs one.
    pub fn label(self, value_ms: u64, step_ms: u64) -> String {
        if value_ms == 0 {
            return "0".into();
        }
        match self {
            Unit::Millis => format!("{value_ms}ms"),
            Unit::Seconds if step_ms.is_multiple_of(SECOND) => format!("{}s", value_ms / SECOND),
            Unit::Seconds => format!("{:.1}s", value_ms as f64 / SECOND as f64),
            Unit::Minutes => format!("{}min", value_ms / MINUTE),
            Unit::Hours => format!("{}h", value_ms / HOUR),
        }
    }
}

/// A labelled tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    /// Its column.
    pub col: u16,
    /// Its label, written from that column on.
    pub label: String,
}

/// The ticks of one scale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axis {
    /// Milliseconds between ticks.
    pub step_ms: u64,
    /// The unit of their labels.
    pub unit: Unit,
    /// Every tick whose label fits, left to right.
    pub ticks: Vec<Tick>,
}

impl Axis {
    /// The finest step whose labels do not touch at this scale, and its ticks.
    pub fn new(scale: &Scale) -> Self {
        let span_ms = scale.ms_per_col * f64::from(scale.cols);
        let step_ms = candidate_steps()
            .find(|&step| {
                let unit = Unit::for_step(step);
                let widest = last_tick(span_ms, step);
                let room = unit.label(widest, step).chars().count() + GAP;
                step as f64 / scale.ms_per_col >= room as f64
            })
            .unwrap_or(u64::MAX);
        let unit = Unit::for_step(step_ms);
        let mut ticks = Vec::new();
        let mut value = 0u64;
        while (value as f64) <= span_ms {
            let col_f = value as f64 / scale.ms_per_col;
            let label = unit.label(value, step_ms);
            let fits = col_f + label.chars().count() as f64 <= f64::from(scale.cols);
            if fits {
                ticks.push(Tick {
                    col: clamp_col(col_f.floor(), scale.cols),
                    label,
                });
            }
            let Some(next) = value.checked_add(step_ms) else {
                break;
            };
            value = next;
        }
        Self {
            step_ms,
            unit,
            ticks,
        }
    }
}

/// The nice steps, then whole days 2, 5, 10, 20, 50, ...
fn candidate_steps() -> impl Iterator<Item = u64> {
    const DAYS: [u64; 9] = [2, 5, 10, 20, 50, 100, 200, 500, 1000];
    STEPS.into_iter().chain(DAYS.into_iter().map(|d| d * DAY))
}

/// The largest multiple of `step` within the span: the widest label it needs.
fn last_tick(span_ms: f64, step: u64) -> u64 {
    let n = (span_ms / step as f64).floor();
    (n as u64).saturating_mul(step)
}
