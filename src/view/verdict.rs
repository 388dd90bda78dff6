//! After an execution ends: does the table agree with what the saga promises?
//!
//! A saga is only correct if its outcome and its data agree: a success leaves a
//! confirmed hotel, a confirmed flight and a payment; a compensated failure leaves
//! nothing; a compensation that gave up leaves orphaned bookings, which we name.
//! An approval record (the approval machine's pending approval and its task token) is
//! bookkeeping of a wait, not a booking: it is never counted, whatever the outcome.

use saga_lambdas::Item;

use super::graph::StateGraph;
use super::reducer::{ExecutionView, StateStatus};
use crate::history::ExecutionStatus;

/// How good the outcome is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictLevel {
    /// The data matches the outcome.
    Ok,
    /// Not wrong, but not a finished saga either (stopped, timed out).
    Warning,
    /// The data contradicts the outcome, or rows were orphaned.
    Error,
}

/// A row that should not be there any more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrphanRow {
    /// The row's sort key (`FLIGHT#…`).
    pub sk: String,
    /// The row's `type` (`Flight`).
    pub kind: String,
}

/// The judgement on one finished execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Ok / warning / error.
    pub level: VerdictLevel,
    /// One line for the header.
    pub text: String,
    /// Rows left behind by an incomplete rollback.
    pub orphans: Vec<OrphanRow>,
}

fn attr<'a>(item: &'a Item, name: &str) -> &'a str {
    item.get(name).and_then(|v| v.as_s()).unwrap_or("")
}

/// The row's kind: its `type`, or the `sk` prefix when the row has no type.
fn kind_of(item: &Item) -> String {
    match attr(item, "type") {
        "" => {
            let sk = attr(item, "sk");
            let prefix = sk.split('#').next().unwrap_or(sk);
            let mut chars = prefix.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect()
            })
        }
        t => t.to_string(),
    }
}

fn orphans(rows: &[Item]) -> Vec<OrphanRow> {
    rows.iter()
        .filter(|r| !saga_lambdas::approval::is_approval_row(r))
        .map(|r| OrphanRow {
            sk: attr(r, "sk").to_string(),
            kind: kind_of(r),
        })
        .collect()
}

fn names(orphans: &[OrphanRow]) -> String {
    orphans
        .iter()
        .map(|o| format!("{} ({})", o.sk, o.kind))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Judges a finished execution against the trip's rows; `None` while it runs.
pub fn judge(view: &ExecutionView, graph: &StateGraph, rows: &[Item]) -> Option<Verdict> {
    let status = view.status.filter(|s| s.is_terminal())?;
    let verdict = |level, text: String, orphans| Verdict {
        level,
        text,
        orphans,
    };
    Some(match status {
        ExecutionStatus::Succeeded => {
            let confirmed = |kind: &str| {
                rows.iter()
                    .any(|r| kind_of(r) == kind && attr(r, "transaction_status") == "confirmed")
            };
            let missing: Vec<&str> = [("Hotel", "confirmed hotel"), ("Flight", "confirmed flight")]
                .into_iter()
                .filter(|(k, _)| !confirmed(k))
                .map(|(_, what)| what)
                .chain((!rows.iter().any(|r| kind_of(r) == "Payment")).then_some("payment"))
                .collect();
            if missing.is_empty() {
                verdict(
                    VerdictLevel::Ok,
                    "booking complete: hotel and flight confirmed, payment taken".into(),
                    vec![],
                )
            } else {
                verdict(
                    VerdictLevel::Error,
                    format!("succeeded, but the table lacks: {}", missing.join(", ")),
                    vec![],
                )
            }
        }
        ExecutionStatus::Failed => {
            let failed_compensation = graph
                .states
                .iter()
                .zip(&graph.compensation)
                .filter(|(s, comp)| {
                    **comp
                        && s.type_name != "Fail"
                        && view.status_of(&s.name) == StateStatus::Failed
                })
                .map(|(s, _)| s.name.clone())
                .next();
            let left = orphans(rows);
            match (failed_compensation, left.is_empty()) {
                (Some(state), false) => {
                    let error = view.error.as_deref().unwrap_or("an error");
                    verdict(
                        VerdictLevel::Error,
                        format!(
                            "compensation {state} exhausted its retries ({error}); orphaned: {}",
                            names(&left)
                        ),
                        left,
                    )
                }
                (Some(state), true) => verdict(
                    VerdictLevel::Warning,
                    format!("compensation {state} failed, but no rows remain"),
                    vec![],
                ),
                (None, true) => verdict(
                    VerdictLevel::Ok,
                    "rolled back cleanly: no rows remain".into(),
                    vec![],
                ),
                (None, false) => verdict(
                    VerdictLevel::Error,
                    format!("failed, rows left behind: {}", names(&left)),
                    left,
                ),
            }
        }
        ExecutionStatus::Aborted | ExecutionStatus::TimedOut => {
            let what = if status == ExecutionStatus::Aborted {
                "stopped"
            } else {
                "timed out"
            };
            let left = orphans(rows);
            if left.is_empty() {
                verdict(
                    VerdictLevel::Warning,
                    format!("{what}; no rows remain"),
                    vec![],
                )
            } else {
                verdict(
                    VerdictLevel::Warning,
                    format!("{what}; rows left: {}", names(&left)),
                    left,
                )
            }
        }
        ExecutionStatus::Running => return None,
    })
}
