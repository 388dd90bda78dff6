//! `a` / `r`: answer the approval the selected execution waits for. The keys only ask;
//! the loop reads the token from the approval row and sends it back (see
//! [`crate::backend::approval`]), and the history shows what the answer did.

use super::{App, Execution};
use crate::backend::BackendError;
use crate::backend::approval::Decision;
use crate::tui::msg::Cmd;
use crate::tui::run_choices::APPROVAL_LABEL_PREFIX;
use crate::view::VerdictLevel;
use crate::view::callback_wait::waiting_callback;

impl App {
    /// Whether the selected execution, running, waits for a task token (the footer then
    /// offers approve and reject).
    pub fn selected_waits_for_token(&self) -> bool {
        self.selected_execution()
            .is_some_and(|e| e.is_running() && waiting_callback(&e.view.events).is_some())
    }

    /// The run type as lists show it: `approval+` before it for an execution of the
    /// approval machine, so the two machines' runs tell apart; `None` when unknown.
    pub fn run_label(&self, e: &Execution) -> Option<String> {
        let run_type = e.run_type.as_deref()?;
        Some(if self.info.runs_approval(&e.arn) {
            [APPROVAL_LABEL_PREFIX, run_type].concat()
        } else {
            run_type.to_owned()
        })
    }

    /// Asks the loop to approve or reject, when the selected execution waits for a
    /// token; a notice saying why not otherwise.
    pub(super) fn decide(&mut self, decision: Decision) -> Vec<Cmd> {
        if self.read_only() {
            return self.refuse_read_only("nothing can be approved");
        }
        let Some(e) = self.selected_execution() else {
            return self.notify(
                VerdictLevel::Warning,
                "no execution selected: launch one waiting for approval with 7 or 8".into(),
            );
        };
        let waits = self.selected_waits_for_token();
        match (&e.trip_id, waits) {
            (Some(trip_id), true) => vec![Cmd::Decide {
                arn: e.arn.clone(),
                trip_id: trip_id.clone(),
                decision,
            }],
            _ => {
                let text = format!("{} does not wait for an approval", e.name);
                self.notify(VerdictLevel::Warning, text)
            }
        }
    }

    /// The answer was sent (the history will show its effect) or refused.
    pub(super) fn on_decided(
        &mut self,
        arn: &str,
        decision: Decision,
        result: Result<(), BackendError>,
    ) -> Vec<Cmd> {
        let name = crate::arn::name(arn).to_owned();
        match result {
            Ok(()) => {
                let mut cmds = self.notify(VerdictLevel::Ok, format!("{} {name}", decision.verb()));
                cmds.extend(self.poll_now(arn));
                cmds
            }
            Err(e) => self.notify(VerdictLevel::Error, format!("{}: {e}", decision.verb())),
        }
    }
}
