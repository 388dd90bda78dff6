//! `R`: redriving the selected execution, and `c`'s live failure rate answered.
//!
//! A redrive is asked about first (naming the state it restarts from), then the UI
//! polls the execution again, although its history had ended, until the redrive's
//! events arrive; once it ends again it is judged again.

use super::{App, Pending};
use crate::backend::BackendError;
use crate::engine::redrive::{SUCCEEDED_REASON, restart_point};
use crate::history::{EventDetails, ExecutionStatus};
use crate::tui::app::Mode;
use crate::tui::msg::Cmd;
use crate::view::VerdictLevel;

/// The notice when `R` finds nothing selected.
const NOTHING_TO_REDRIVE: &str = "nothing selected to redrive";

impl App {
    /// Whether `R` would offer to redrive the selected execution: it ended unsuccessfully
    /// and the backend did not say it cannot be redriven (the footer offers `R` then).
    pub fn selected_can_redrive(&self) -> bool {
        !self.read_only()
            && self.selected_execution().is_some_and(|e| {
                let status = e.status();
                matches!(
                    status,
                    ExecutionStatus::Failed | ExecutionStatus::TimedOut | ExecutionStatus::Aborted
                ) && !(e.listed_status == status
                    && e.redrive.status.as_deref() == Some("NOT_REDRIVABLE"))
            })
    }

    /// Asks before redriving the selected execution; refuses, saying why, when it
    /// cannot be redriven (AWS's `redriveStatusReason` words).
    pub(super) fn ask_redrive(&mut self) -> Vec<Cmd> {
        let Some(e) = self.selected_execution() else {
            return self.notify(VerdictLevel::Warning, NOTHING_TO_REDRIVE.into());
        };
        let status = e.status();
        let refusal = match status {
            ExecutionStatus::Running => Some(crate::engine::redrive::RUNNING_REASON.to_owned()),
            ExecutionStatus::Succeeded => Some(SUCCEEDED_REASON.to_owned()),
            // What the backend last said, while it speaks of the same ending.
            _ if e.listed_status == status
                && e.redrive.status.as_deref() == Some("NOT_REDRIVABLE") =>
            {
                e.redrive.status_reason.clone()
            }
            _ => None,
        };
        if let Some(reason) = refusal {
            return self.notify(
                VerdictLevel::Warning,
                format!("cannot redrive {}: {reason}", e.name),
            );
        }
        let definition = e
            .definition
            .clone()
            .or_else(|| self.graph.as_ref().map(|g| g.definition.clone()));
        let input = e
            .view
            .events
            .first()
            .and_then(|first| match &first.details {
                Some(EventDetails::ExecutionStarted(d)) => Some(d.input.as_str()),
                _ => None,
            });
        let from = match (definition, input) {
            (Some(def), Some(input)) => restart_point(&def, input, &e.view.events)
                .map_or_else(|| "the state that did not complete".to_owned(), |p| p.name),
            _ => "the state that did not complete".to_owned(),
        };
        // The state first: a narrow screen cuts the long execution name, not the news.
        let question = format!(
            "Redrive from {from} the {} execution {}?",
            status.as_str(),
            e.name
        );
        let arn = e.arn.clone();
        self.mode = Mode::Confirm {
            question,
            on_yes: Pending::Redrive(arn),
        };
        vec![]
    }

    /// A redrive answered: the execution runs again, so its history is read again and
    /// its verdict waits for its new ending.
    pub(super) fn on_redriven(&mut self, arn: &str, result: Result<(), BackendError>) -> Vec<Cmd> {
        if let Err(e) = result {
            return self.notify(VerdictLevel::Error, format!("redrive: {e}"));
        }
        let Some(e) = self.execution_mut(arn) else {
            return vec![];
        };
        e.redriving = true;
        e.verdict = None;
        e.verdict_requested = false;
        // Judged when it ends again, even if it had ended before the UI saw it.
        e.ended_before_seen = false;
        // No notice: the header's verdict line says "running" at once, then the new
        // verdict.
        self.poll_now(arn)
    }

    /// `c` answered: the backend's live failure rate is what the header shows.
    pub(super) fn on_rate_set(&mut self, rate: f64, result: Result<(), BackendError>) -> Vec<Cmd> {
        match result {
            Ok(()) => vec![],
            Err(e) => self.notify(
                VerdictLevel::Error,
                format!("cancel failure rate {rate} not set: {e}"),
            ),
        }
    }
}
