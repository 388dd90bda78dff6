//! `L`: a crowd of sagas, and the graph panel's third face, the load panel that sums
//! it up while it runs.

use super::{App, Mode, Pending};
use crate::backend::BackendError;
use crate::load::LoadPlan;
use crate::tui::msg::{Cmd, LoadUpdate};
use crate::view::VerdictLevel;
use crate::view::crowd::{CrowdSummary, Mix};

/// Sagas one `L` runs.
pub const LOAD_COUNT: usize = 100;
/// How many of them run at once.
pub const LOAD_CONCURRENCY: usize = 20;

/// The latest crowd `L` started.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadRun {
    /// Which load it is.
    pub id: u64,
    /// What it runs.
    pub plan: LoadPlan,
    /// Its numbers, once the first arrive.
    pub summary: Option<CrowdSummary>,
    /// Whether every saga has ended.
    pub done: bool,
    /// Why it ended early.
    pub error: Option<String>,
}

impl LoadRun {
    /// Whether sagas of it may still be running.
    pub fn is_running(&self) -> bool {
        !self.done && self.error.is_none()
    }
}

impl App {
    /// What `L` runs: the workshop's whole range of run types at the rate `c` set.
    pub fn load_plan(&self) -> LoadPlan {
        LoadPlan {
            count: self.load_count,
            concurrency: LOAD_CONCURRENCY,
            mix: Mix::default(),
            cancel_failure_rate: self.cancel_failure_rate,
        }
    }

    /// `L`: back to the graph when the panel is shown; else shows the crowd that runs,
    /// or starts one (against AWS, after a question: each saga is a billed execution).
    pub(super) fn toggle_load(&mut self) -> Vec<Cmd> {
        if self.load_shown {
            self.load_shown = false;
            return vec![];
        }
        if self.load.as_ref().is_some_and(LoadRun::is_running) {
            self.load_shown = true;
            return vec![];
        }
        if self.read_only() {
            return self.refuse_read_only("no saga can be started");
        }
        if self.store_fault.is_some() {
            return self.notify(
                VerdictLevel::Error,
                "no load: the store has failed (above); fix it, then restart sagaview".into(),
            );
        }
        let plan = self.load_plan();
        if self.is_aws() {
            self.mode = Mode::Confirm {
                question: format!(
                    "Start {} sagas on AWS ({} at once)? Each is a billed execution.",
                    plan.count, plan.concurrency
                ),
                on_yes: Pending::Load,
            };
            return vec![];
        }
        self.start_load()
    }

    /// Starts a crowd of [`App::load_plan`] and shows its panel.
    pub(super) fn start_load(&mut self) -> Vec<Cmd> {
        let id = self.load.as_ref().map_or(1, |l| l.id + 1);
        let plan = self.load_plan();
        self.load = Some(LoadRun {
            id,
            plan: plan.clone(),
            summary: None,
            done: false,
            error: None,
        });
        self.load_shown = true;
        vec![Cmd::StartLoad { id, plan }]
    }

    /// Esc: back to the graph; `false` when the load panel was not shown.
    pub(super) fn leave_load(&mut self) -> bool {
        std::mem::replace(&mut self.load_shown, false)
    }

    pub(super) fn on_load(
        &mut self,
        id: u64,
        update: Result<LoadUpdate, BackendError>,
    ) -> Vec<Cmd> {
        let Some(run) = self.load.as_mut().filter(|l| l.id == id) else {
            return vec![];
        };
        match update {
            Ok(u) => {
                run.done = u.done;
                run.summary = Some(u.summary);
            }
            Err(e) => {
                let text = format!("the load stopped: {e}");
                run.error = Some(text.clone());
                return self.notify(VerdictLevel::Error, text);
            }
        }
        vec![]
    }
}
