//! What the passing of time asks for: history, rows and list polls at a pace the
//! backend can bear, a definition retry, and notices that fade.

use super::{App, Execution, NOTICE_MS};
use crate::backend::BackendKind;
use crate::tui::msg::Cmd;

/// How often a running execution's history and the trip's rows are polled (embedded).
pub const POLL_MS: u64 = 250;
/// The same against AWS, which throttles `GetExecutionHistory` to a few calls a second.
pub const AWS_POLL_MS: u64 = 1_000;
/// How often the execution list is refreshed against AWS while something runs, so
/// executions started elsewhere (the API, a colleague) appear.
pub const AWS_LIST_BUSY_MS: u64 = 5_000;
/// The same when nothing runs.
pub const AWS_LIST_IDLE_MS: u64 = 15_000;
/// How often the embedded store's execution list is read again, so executions other
/// processes start on the same database appear.
pub const LIST_MS: u64 = 2_000;
/// How long to wait before asking again for a definition that could not be loaded.
pub const DEFINITION_RETRY_MS: u64 = 5_000;

impl App {
    pub(super) fn on_tick(&mut self, now_ms: u64) -> Vec<Cmd> {
        self.now_ms = now_ms;
        self.rows.expire(now_ms);
        let faded = |at: u64| now_ms.saturating_sub(at) >= NOTICE_MS;
        if self.notice.as_ref().is_some_and(|(_, _, at)| faded(*at)) {
            self.notice = None;
        }
        if self.copied.as_ref().is_some_and(|(_, at)| faded(*at)) {
            self.copied = None;
        }
        let every = match self.info.kind {
            BackendKind::Embedded | BackendKind::File { .. } => POLL_MS,
            BackendKind::Aws { .. } => AWS_POLL_MS,
        };
        let mut cmds: Vec<Cmd> = self
            .executions
            .iter_mut()
            .filter(|e| e.history_pending() && e.poll.due(now_ms, every))
            .map(|e| e.poll_history(now_ms))
            .collect();
        if self.graph.is_none() && self.definition_poll.due(now_ms, DEFINITION_RETRY_MS) {
            self.definition_poll.start(now_ms);
            cmds.push(Cmd::LoadDefinition);
        }
        let list_every = match (
            self.is_aws(),
            self.executions.iter().any(Execution::is_running),
        ) {
            (true, true) => AWS_LIST_BUSY_MS,
            (true, false) => AWS_LIST_IDLE_MS,
            (false, _) => LIST_MS,
        };
        if self.list_poll.due(now_ms, list_every) {
            self.list_poll.start(now_ms);
            cmds.push(Cmd::ListExecutions);
        }
        if self.trip_running() && self.rows_poll.due(now_ms, every) {
            cmds.extend(self.fetch_rows());
        }
        cmds
    }

    /// Whether an execution that may write the shown trip's rows is running.
    fn trip_running(&self) -> bool {
        !self.rows.trip_id.is_empty()
            && self.executions.iter().any(|e| {
                e.is_running() && e.trip_id.as_deref().is_none_or(|t| t == self.rows.trip_id)
            })
    }
}
