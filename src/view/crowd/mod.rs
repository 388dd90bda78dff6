//! A crowd of sagas, summed up: how many ended which way, how often rows were
//! orphaned against how often the retry policy says they should be, how long each
//! state took and how often it was retried.
//!
//! Fed one ended execution at a time (its reduced history and the verdict on its
//! rows), so `sagaview load` and the UI's load panel count exactly alike.

pub mod expected;
pub mod mix;

use std::collections::HashMap;

use saga_lambdas::RunType;

pub use self::expected::ExpectedOrphans;
pub use self::mix::{Mix, MixError};
use super::reducer::ExecutionView;
use super::verdict::Verdict;
use crate::asl::Definition;
use crate::asl::model::StateKind;
use crate::history::ExecutionStatus;

/// How one saga of the crowd ended, as its verdict reads the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The booking succeeded.
    Booked,
    /// A step failed and no row remains.
    RolledBack,
    /// A compensation gave up and rows remain.
    Orphaned,
    /// Stopped or timed out.
    Aborted,
}

impl Outcome {
    /// Every outcome, in the order the panel and `--json` list them.
    pub const ALL: [Outcome; 4] = [
        Outcome::Booked,
        Outcome::RolledBack,
        Outcome::Orphaned,
        Outcome::Aborted,
    ];

    /// The `--json` key.
    pub fn key(self) -> &'static str {
        match self {
            Outcome::Booked => "booked",
            Outcome::RolledBack => "rolled_back",
            Outcome::Orphaned => "orphaned",
            Outcome::Aborted => "aborted",
        }
    }

    /// The panel's words.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Booked => "booked",
            Outcome::RolledBack => "rolled back cleanly",
            Outcome::Orphaned => "orphaned",
            Outcome::Aborted => "aborted",
        }
    }

    /// The outcome of an ended execution: its status, and the verdict's orphans for a
    /// failure. `None` while it runs.
    pub fn of(status: ExecutionStatus, verdict: Option<&Verdict>) -> Option<Outcome> {
        match status {
            ExecutionStatus::Running => None,
            ExecutionStatus::Succeeded => Some(Outcome::Booked),
            ExecutionStatus::Failed => Some(if verdict.is_some_and(|v| !v.orphans.is_empty()) {
                Outcome::Orphaned
            } else {
                Outcome::RolledBack
            }),
            ExecutionStatus::Aborted | ExecutionStatus::TimedOut => Some(Outcome::Aborted),
        }
    }
}

/// What one state did over the crowd so far.
#[derive(Debug, Clone, Default, PartialEq)]
struct StateTally {
    /// Milliseconds from entering to leaving, one per visit seen.
    latencies_ms: Vec<f64>,
    /// Retries begun.
    retries: u64,
}

/// The crowd as it stands: fed ended executions, summed up on demand.
#[derive(Debug, Clone)]
pub struct Crowd {
    planned: usize,
    started: usize,
    /// Sagas that could not be started or followed to their end, with the first reason.
    not_run: usize,
    first_not_run: Option<String>,
    outcomes: HashMap<Outcome, usize>,
    /// Ended sagas per run type, and how many of them orphaned rows.
    by_run_type: HashMap<RunType, (usize, usize)>,
    /// The top-level states that do work (Task, Parallel, Map), in definition order.
    order: Vec<String>,
    states: HashMap<String, StateTally>,
    expected: ExpectedOrphans,
    rate: f64,
    mix: Mix,
}

impl Crowd {
    /// An empty crowd of `planned` sagas of `mix`, run on `definition` with `rate`.
    pub fn new(definition: &Definition, planned: usize, mix: Mix, rate: f64) -> Self {
        Self {
            planned,
            started: 0,
            not_run: 0,
            first_not_run: None,
            outcomes: HashMap::new(),
            by_run_type: HashMap::new(),
            order: definition
                .states
                .iter()
                .filter(|s| does_work(&s.kind))
                .map(|s| s.name.clone())
                .collect(),
            states: HashMap::new(),
            expected: ExpectedOrphans::from_definition(definition, rate),
            rate,
            mix,
        }
    }

    /// One more saga started.
    pub fn started(&mut self) {
        self.started += 1;
    }

    /// A saga that was started (see [`Crowd::started`]) could not be, or could not be
    /// followed to its end: `why` says why.
    pub fn not_run(&mut self, why: &str) {
        self.not_run += 1;
        self.first_not_run.get_or_insert_with(|| why.to_owned());
    }

    /// One ended saga of `run_type`: its reduced history and the verdict on its rows.
    /// An execution still running is not counted.
    pub fn record(&mut self, run_type: RunType, view: &ExecutionView, verdict: Option<&Verdict>) {
        let Some(outcome) = view.status.and_then(|s| Outcome::of(s, verdict)) else {
            return;
        };
        *self.outcomes.entry(outcome).or_default() += 1;
        let tally = self.by_run_type.entry(run_type).or_default();
        tally.0 += 1;
        tally.1 += usize::from(outcome == Outcome::Orphaned);
        for (name, state) in &view.states {
            let Some(entered) = state.entered_at else {
                continue;
            };
            let Some(left) = state.exited_at.or(view.stopped_at) else {
                continue;
            };
            // Only the states that do work: a Succeed or Fail state takes no time.
            if !self.order.contains(name) {
                continue;
            }
            let t = self.states.entry(name.clone()).or_default();
            let micros = (left - entered).num_microseconds().unwrap_or(i64::MAX);
            t.latencies_ms.push(micros.max(0) as f64 / 1000.0);
            t.retries += u64::from(state.retries);
        }
    }

    /// Ended sagas.
    pub fn finished(&self) -> usize {
        self.outcomes.values().sum()
    }

    /// Whether every planned saga has ended (or could not be run).
    pub fn is_done(&self) -> bool {
        self.finished() + self.not_run >= self.planned
    }

    /// The numbers the panel and `--json` show.
    pub fn summary(&self) -> CrowdSummary {
        let finished = self.finished();
        let orphaned = self.outcomes.get(&Outcome::Orphaned).copied().unwrap_or(0);
        let ended_counts: Vec<(RunType, usize)> = self
            .by_run_type
            .iter()
            .map(|(&r, &(n, _))| (r, n))
            .collect();
        // Before any saga ends, what the whole plan should give.
        let expected = if finished == 0 {
            let dealt = self.mix.deal(self.planned.max(1));
            let mut counts: HashMap<RunType, usize> = HashMap::new();
            for r in dealt {
                *counts.entry(r).or_default() += 1;
            }
            self.expected.share(counts)
        } else {
            self.expected.share(ended_counts)
        };
        let states = self
            .order
            .iter()
            .filter_map(|name| {
                let t = self.states.get(name)?;
                let mut sorted = t.latencies_ms.clone();
                sorted.sort_by(f64::total_cmp);
                Some(StateSummary {
                    name: name.clone(),
                    visits: sorted.len(),
                    p50_ms: percentile(&sorted, 50.0),
                    p95_ms: percentile(&sorted, 95.0),
                    p99_ms: percentile(&sorted, 99.0),
                    retries: t.retries,
                })
            })
            .collect();
        let mut by_run_type: Vec<RunTypeSummary> = RunType::ALL
            .iter()
            .filter_map(|&r| {
                let &(ended, orphaned) = self.by_run_type.get(&r)?;
                Some(RunTypeSummary {
                    run_type: r,
                    ended,
                    orphaned,
                    expected_orphan_rate: self.expected.of(r),
                })
            })
            .collect();
        by_run_type.sort_by_key(|s| RunType::ALL.iter().position(|&r| r == s.run_type));
        CrowdSummary {
            planned: self.planned,
            started: self.started,
            finished,
            not_run: self.not_run,
            first_not_run: self.first_not_run.clone(),
            outcomes: Outcome::ALL.map(|o| (o, self.outcomes.get(&o).copied().unwrap_or(0))),
            observed_orphan_rate: (finished > 0).then(|| orphaned as f64 / finished as f64),
            expected_orphan_rate: expected,
            cancel_failure_rate: self.rate,
            mix: self.mix.to_string(),
            states,
            by_run_type,
        }
    }
}

/// Whether a state's time is worth measuring: it calls something, or runs branches.
fn does_work(kind: &StateKind) -> bool {
    matches!(
        kind,
        StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_)
    )
}

/// The nearest-rank percentile of sorted values; `None` for none.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// One state over the crowd.
#[derive(Debug, Clone, PartialEq)]
pub struct StateSummary {
    /// The state's name.
    pub name: String,
    /// Visits measured.
    pub visits: usize,
    /// Median time in the state, retries and their backoff included.
    pub p50_ms: Option<f64>,
    /// 95th percentile.
    pub p95_ms: Option<f64>,
    /// 99th percentile.
    pub p99_ms: Option<f64>,
    /// Retries begun, over every visit.
    pub retries: u64,
}

/// One run type over the crowd.
#[derive(Debug, Clone, PartialEq)]
pub struct RunTypeSummary {
    /// The run type.
    pub run_type: RunType,
    /// Its sagas that ended.
    pub ended: usize,
    /// Those that orphaned rows.
    pub orphaned: usize,
    /// The chance the definition gives it.
    pub expected_orphan_rate: Option<f64>,
}

/// The crowd summed up, for the panel and for `--json`.
#[derive(Debug, Clone, PartialEq)]
pub struct CrowdSummary {
    /// Sagas asked for.
    pub planned: usize,
    /// Sagas started.
    pub started: usize,
    /// Sagas ended.
    pub finished: usize,
    /// Sagas that could not be started or followed to their end.
    pub not_run: usize,
    /// Why the first of them could not.
    pub first_not_run: Option<String>,
    /// Ended sagas per outcome, in [`Outcome::ALL`] order.
    pub outcomes: [(Outcome, usize); 4],
    /// Orphaned among ended; `None` before any ended.
    pub observed_orphan_rate: Option<f64>,
    /// What the definition's retry policy predicts for the same run types.
    pub expected_orphan_rate: Option<f64>,
    /// The compensations' failure rate the crowd runs with.
    pub cancel_failure_rate: f64,
    /// The mix, as `--mix` writes it.
    pub mix: String,
    /// Per state, in definition order.
    pub states: Vec<StateSummary>,
    /// Per run type that ended.
    pub by_run_type: Vec<RunTypeSummary>,
}

impl CrowdSummary {
    /// Sagas started that have not ended.
    pub fn running(&self) -> usize {
        self.started.saturating_sub(self.finished + self.not_run)
    }

    /// Whether every planned saga ran to its end, whatever the outcome.
    pub fn all_ran(&self) -> bool {
        self.not_run == 0 && self.finished == self.planned
    }

    /// The count of one outcome.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.outcomes
            .iter()
            .find(|(o, _)| *o == outcome)
            .map_or(0, |(_, n)| *n)
    }

    /// The `--json` document: `{"outcomes": {...}, "orphan_rate": {...}, "latency_ms":
    /// {...}, "retries": {...}, ...}`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{Map, Value, json};
        let outcomes: Map<String, Value> = self
            .outcomes
            .iter()
            .map(|(o, n)| (o.key().to_owned(), json!(n)))
            .collect();
        let latency: Map<String, Value> = self
            .states
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    json!({"p50": s.p50_ms, "p95": s.p95_ms, "p99": s.p99_ms, "visits": s.visits}),
                )
            })
            .collect();
        let retries: Map<String, Value> = self
            .states
            .iter()
            .map(|s| (s.name.clone(), json!(s.retries)))
            .collect();
        let by_run_type: Map<String, Value> = self
            .by_run_type
            .iter()
            .map(|r| {
                (
                    r.run_type.to_string(),
                    json!({
                        "ended": r.ended,
                        "orphaned": r.orphaned,
                        "expected_orphan_rate": r.expected_orphan_rate,
                    }),
                )
            })
            .collect();
        json!({
            "outcomes": outcomes,
            "orphan_rate": {
                "observed": self.observed_orphan_rate,
                "expected": self.expected_orphan_rate,
            },
            "latency_ms": latency,
            "retries": retries,
            "sagas": {
                "planned": self.planned,
                "started": self.started,
                "ended": self.finished,
                "not_run": self.not_run,
            },
            "by_run_type": by_run_type,
            "cancel_failure_rate": self.cancel_failure_rate,
            "mix": self.mix,
        })
    }
}

#[cfg(test)]
mod tests;
