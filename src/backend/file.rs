//! A saved execution as a backend: the UI shows it with nothing running and no AWS
//! account, through the same calls a live backend answers. Whatever would change
//! something (launch, stop, task callbacks) is refused with a line that says why.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use saga_lambdas::Item;

use super::{BackendError, BackendInfo, BackendKind, ExecutionSummary, Launch, SagaBackend};
use crate::asl::Definition;
use crate::future::BoxFuture;
use crate::history::HistoryEvent;
use crate::share::{OpenedExecution, SharedExecution};

/// One opened execution.
#[derive(Debug)]
pub struct FileBackend {
    name: String,
    opened: OpenedExecution,
    summary: ExecutionSummary,
    definition: Arc<Definition>,
}

impl FileBackend {
    /// The backend for `opened`, read from the file called `name` (for the header).
    pub fn new(name: &str, opened: OpenedExecution) -> Self {
        let summary = opened.execution.summary();
        let definition = Arc::new(opened.definition.clone());
        Self {
            name: name.to_string(),
            opened,
            summary,
            definition,
        }
    }

    fn refused(&self, what: &str) -> BackendError {
        BackendError::Failed(format!(
            "read-only: {} is a saved execution, {what}",
            self.name
        ))
    }

    fn is_this(&self, execution_arn: &str) -> Result<(), BackendError> {
        if execution_arn == self.summary.execution_arn {
            Ok(())
        } else {
            Err(BackendError::NoSuchExecution(execution_arn.to_string()))
        }
    }
}

impl SagaBackend for FileBackend {
    fn info(&self) -> BackendInfo {
        let arn = self.opened.execution.state_machine_arn.clone();
        let name = Some(crate::arn::name(&arn))
            .filter(|n| !n.is_empty())
            .map_or_else(
                || {
                    if self.opened.synthesised {
                        "graph built from the history".to_string()
                    } else {
                        "state machine".to_string()
                    }
                },
                str::to_string,
            );
        BackendInfo {
            kind: BackendKind::File {
                name: self.name.clone(),
            },
            state_machine_name: name,
            state_machine_arn: arn,
            approval_state_machine_arn: None,
        }
    }

    fn definition<'a>(
        &'a self,
        _execution_arn: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Arc<Definition>, BackendError>> {
        let def = self.definition.clone();
        Box::pin(async move { Ok(def) })
    }

    fn start(&self, _launch: Launch) -> BoxFuture<'_, Result<String, BackendError>> {
        let e = self.refused("nothing can be launched");
        Box::pin(async move { Err(e) })
    }

    fn history_since<'a>(
        &'a self,
        execution_arn: &'a str,
        after_id: u64,
    ) -> BoxFuture<'a, Result<Vec<HistoryEvent>, BackendError>> {
        Box::pin(async move {
            self.is_this(execution_arn)?;
            Ok(self
                .opened
                .events
                .iter()
                .filter(|e| e.id > after_id)
                .cloned()
                .collect())
        })
    }

    fn describe<'a>(
        &'a self,
        execution_arn: &'a str,
    ) -> BoxFuture<'a, Result<ExecutionSummary, BackendError>> {
        Box::pin(async move {
            self.is_this(execution_arn)?;
            Ok(self.summary.clone())
        })
    }

    fn list_executions(
        &self,
        _limit: usize,
    ) -> BoxFuture<'_, Result<Vec<ExecutionSummary>, BackendError>> {
        let list = vec![self.summary.clone()];
        Box::pin(async move { Ok(list) })
    }

    /// A saved execution has no rows: the panel says so.
    fn rows<'a>(&'a self, _trip_id: &'a str) -> BoxFuture<'a, Result<Vec<Item>, BackendError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn stop<'a>(&'a self, _execution_arn: &'a str) -> BoxFuture<'a, Result<(), BackendError>> {
        let e = self.refused("nothing can be stopped");
        Box::pin(async move { Err(e) })
    }

    fn redrive<'a>(&'a self, _execution_arn: &'a str) -> BoxFuture<'a, Result<(), BackendError>> {
        let e = self.refused("nothing can be redriven");
        Box::pin(async move { Err(e) })
    }

    fn send_task_success<'a>(
        &'a self,
        _task_token: &'a str,
        _output: &'a str,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        let e = self.refused("no task waits on it");
        Box::pin(async move { Err(e) })
    }

    fn send_task_failure<'a>(
        &'a self,
        _task_token: &'a str,
        _error: Option<&'a str>,
        _cause: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        let e = self.refused("no task waits on it");
        Box::pin(async move { Err(e) })
    }

    fn send_task_heartbeat<'a>(
        &'a self,
        _task_token: &'a str,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        let e = self.refused("no task waits on it");
        Box::pin(async move { Err(e) })
    }

    fn definition_text<'a>(
        &'a self,
        _execution_arn: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, BackendError>> {
        let text = self.opened.definition_text.clone();
        Box::pin(async move { Ok(text) })
    }

    /// The file as read (a bare history gains the `execution` worked out from it).
    fn export<'a>(
        &'a self,
        execution_arn: &'a str,
    ) -> BoxFuture<'a, Result<SharedExecution, BackendError>> {
        Box::pin(async move {
            self.is_this(execution_arn)?;
            Ok(SharedExecution {
                events: self.opened.events.clone(),
                execution: self.opened.execution.clone(),
                definition: self.opened.definition_text.clone(),
            })
        })
    }

    /// Time stands at the last event: a running execution saved mid-way shows how long
    /// it had run when saved.
    fn clock_now(&self) -> DateTime<Utc> {
        self.opened
            .events
            .last()
            .map_or_else(Utc::now, |e| e.timestamp)
    }
}
