//! One interface to whatever runs the saga: the embedded runtime or AWS.
//!
//! The UI and the headless runner only ever talk to a [`SagaBackend`], through the same
//! polling calls (`history since event id`, `rows of trip`) AWS forces on us, so the
//! embedded default exercises the code path a deployed stack uses.

use crate::asl::Definition;
use crate::future::BoxFuture;
use crate::history::ExecutionStatus;
use crate::history::HistoryEvent;
use chrono::{DateTime, Utc};
use saga_lambdas::{Item, RunType};
use std::sync::Arc;

pub mod approval;
pub mod aws;
pub mod embedded;
pub mod file;
mod queued_table;
mod recorder;
pub mod saga_definition;
pub mod step;

/// Which kind of backend is connected, for the header line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendKind {
    /// The in-process runtime with its embedded table.
    Embedded,
    /// A Step Functions / DynamoDB endpoint.
    Aws {
        /// The region in use.
        region: String,
    },
    /// A saved execution opened from a file: nothing runs, nothing can be started.
    File {
        /// The file's name (`stdin` for `-`), for the header.
        name: String,
    },
}

/// What the header shows about the connection.
#[derive(Debug, Clone)]
pub struct BackendInfo {
    /// Embedded or AWS.
    pub kind: BackendKind,
    /// The saga state machine's name.
    pub state_machine_name: String,
    /// The saga state machine's ARN.
    pub state_machine_arn: String,
    /// The approval machine's ARN, where the backend runs it: how a screen tells the
    /// executions of one machine from the other's.
    pub approval_state_machine_arn: Option<String>,
}

impl BackendInfo {
    /// Whether an execution runs the approval machine (its ARN names the machine).
    pub fn runs_approval(&self, execution_arn: &str) -> bool {
        self.approval_state_machine_arn
            .as_deref()
            .is_some_and(|approval| {
                crate::arn::execution_machine_arn(execution_arn).as_deref() == Some(approval)
            })
    }
}

/// What a launch asks for: the article's trip, one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    /// The scenario.
    pub run_type: RunType,
    /// The trip (partition key of its rows).
    pub trip_id: String,
    /// Probability that a compensation fails.
    pub cancel_failure_rate: f64,
}

/// Which of the two state machines a launch runs: the seed's saga, or the same saga with
/// a person approving the payment. Chosen beside a [`Launch`] (not in it) because the
/// trip and its input are the same for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SagaMachine {
    /// The seed's saga.
    #[default]
    Booking,
    /// The saga with a human approval before TakePayment.
    Approval,
}

/// A fresh trip id, `trip-` and eight random characters (valid for
/// `validate_trip_id`): each launch that was not given a trip books its own, so runs
/// never disturb each other's rows.
pub fn random_trip_id() -> String {
    use rand::RngExt;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let tail: String = (0..8)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    ["trip-", &tail].concat()
}

/// One execution as lists show it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionSummary {
    /// Execution ARN.
    pub execution_arn: String,
    /// Execution name.
    pub name: String,
    /// Status now.
    pub status: ExecutionStatus,
    /// Start time.
    pub start_date: DateTime<Utc>,
    /// Stop time, once ended.
    pub stop_date: Option<DateTime<Utc>>,
    /// The input's `run_type`, when the input had one.
    pub run_type: Option<String>,
    /// The input's `trip_id`, when the input had one.
    pub trip_id: Option<String>,
    /// Error name, once failed.
    pub error: Option<String>,
    /// Cause, once failed.
    pub cause: Option<String>,
    /// Output JSON text, once succeeded.
    pub output: Option<String>,
    /// How often it was redriven and whether it can be again.
    pub redrive: RedriveFacts,
}

/// What DescribeExecution says about redriving an execution (`redriveCount`,
/// `redriveDate`, `redriveStatus`, `redriveStatusReason`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedriveFacts {
    /// How many times it was redriven.
    pub count: u32,
    /// When it was last redriven.
    pub date: Option<DateTime<Utc>>,
    /// `REDRIVABLE`, `NOT_REDRIVABLE` or `REDRIVABLE_BY_MAP_RUN`, where the backend
    /// says; `None` where it does not (an older file, a backend that cannot redrive).
    pub status: Option<String>,
    /// Why it cannot be redriven, where it cannot.
    pub status_reason: Option<String>,
}

impl ExecutionSummary {
    /// Reads the run type and trip id out of an execution input, tolerating any input.
    pub fn labels_from_input(input: &str) -> (Option<String>, Option<String>) {
        let v: serde_json::Value = serde_json::from_str(input).unwrap_or_default();
        let get = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        (get("run_type"), get("trip_id"))
    }
}

/// A trip's rows at one point of an execution's history, as a backend can give them.
#[derive(Debug, Clone, PartialEq)]
pub enum RowsAt {
    /// The rows as they stood right after the event (see [`crate::store`]'s row
    /// versions for exactly which writes that includes).
    Past(Vec<Item>),
    /// The rows now, because the past ones cannot be read; `why` says so to the user.
    Current {
        /// The current rows.
        rows: Vec<Item>,
        /// Why they are not the past rows, e.g. "past rows cannot be read on AWS".
        why: String,
    },
}

/// Why an AWS backend shows the current rows while the user travels back in time.
pub const NO_PAST_ROWS_ON_AWS: &str = "past rows cannot be read on AWS";

/// A backend call that failed, worded for a status line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// No execution with that ARN.
    #[error("no execution {0}")]
    NoSuchExecution(String),
    /// The request was refused or failed; the text says what to do.
    #[error("{0}")]
    Failed(String),
    /// The store the backend records into has failed (see
    /// [`SagaBackend::store_fault`]): nothing more is recorded, so nothing is started
    /// and nothing waited for. Kept apart from [`BackendError::Failed`] so `run` can
    /// exit with a status of its own.
    #[error("{0}")]
    StoreFault(String),
}

/// Drives and watches sagas. Every call is a short request; callers poll.
pub trait SagaBackend: Send + Sync {
    /// Connection facts for the header.
    fn info(&self) -> BackendInfo;

    /// The definition an execution runs (or the saga's, for `None`), for the graph.
    fn definition<'a>(
        &'a self,
        execution_arn: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Arc<Definition>, BackendError>>;

    /// Starts one saga; returns the execution ARN.
    fn start(&self, launch: Launch) -> BoxFuture<'_, Result<String, BackendError>>;

    /// Starts one saga on `machine`: [`SagaBackend::start`] for the seed's; a backend
    /// without the approval machine says so.
    fn start_on(
        &self,
        machine: SagaMachine,
        launch: Launch,
    ) -> BoxFuture<'_, Result<String, BackendError>> {
        match machine {
            SagaMachine::Booking => self.start(launch),
            SagaMachine::Approval => Box::pin(async {
                Err(BackendError::Failed(
                    "this backend has no approval state machine".to_owned(),
                ))
            }),
        }
    }

    /// The events with id greater than `after_id`, in order.
    fn history_since<'a>(
        &'a self,
        execution_arn: &'a str,
        after_id: u64,
    ) -> BoxFuture<'a, Result<Vec<HistoryEvent>, BackendError>>;

    /// One execution's status.
    fn describe<'a>(
        &'a self,
        execution_arn: &'a str,
    ) -> BoxFuture<'a, Result<ExecutionSummary, BackendError>>;

    /// Recent executions, newest first.
    fn list_executions(
        &self,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<ExecutionSummary>, BackendError>>;

    /// The trip's table rows (`pk = trip_id`), ordered by `sk`.
    fn rows<'a>(&'a self, trip_id: &'a str) -> BoxFuture<'a, Result<Vec<Item>, BackendError>>;

    /// The trip's rows right after event `event_id` of `execution_arn` (time travel).
    /// A backend that keeps no past rows answers the current ones, saying so: the
    /// default, which is what AWS can do (DynamoDB keeps no versions).
    fn rows_at<'a>(
        &'a self,
        trip_id: &'a str,
        execution_arn: &'a str,
        event_id: u64,
    ) -> BoxFuture<'a, Result<RowsAt, BackendError>> {
        let _ = (execution_arn, event_id);
        Box::pin(async move {
            let rows = self.rows(trip_id).await?;
            Ok(RowsAt::Current {
                rows,
                why: NO_PAST_ROWS_ON_AWS.to_owned(),
            })
        })
    }

    /// Stops a running execution (it ends ABORTED).
    fn stop<'a>(&'a self, execution_arn: &'a str) -> BoxFuture<'a, Result<(), BackendError>>;

    /// SendTaskSuccess: a `.waitForTaskToken` task waiting on `task_token` succeeds with
    /// `output` (JSON text). The API for callers driving callback tasks on either
    /// backend; no screen calls it yet, an approval view can build on it.
    fn send_task_success<'a>(
        &'a self,
        task_token: &'a str,
        output: &'a str,
    ) -> BoxFuture<'a, Result<(), BackendError>>;

    /// SendTaskFailure: the task waiting on `task_token` fails with `error` and `cause`
    /// (the API for callers, as [`SagaBackend::send_task_success`]).
    fn send_task_failure<'a>(
        &'a self,
        task_token: &'a str,
        error: Option<&'a str>,
        cause: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), BackendError>>;

    /// SendTaskHeartbeat: the task waiting on `task_token` is still being worked on
    /// (restarts its HeartbeatSeconds timer).
    fn send_task_heartbeat<'a>(
        &'a self,
        task_token: &'a str,
    ) -> BoxFuture<'a, Result<(), BackendError>>;

    /// "the store failed: <file>: <OS error>" once the store this backend records
    /// into has failed (disk full, a file-size limit, an I/O error, a damaged page); it
    /// stays until the process ends. The UI shows it and refuses launches, `run` exits:
    /// executions would otherwise run on with nothing recorded. `None` for a backend
    /// without a store of its own (AWS).
    fn store_fault(&self) -> Option<String> {
        None
    }

    /// The ASL text of the definition an execution runs, for saving it with the
    /// execution; `None` where the backend does not keep the text.
    fn definition_text<'a>(
        &'a self,
        _execution_arn: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, BackendError>> {
        Box::pin(async { Ok(None) })
    }

    /// One execution whole, as `x` saves it: its full history, what DescribeExecution
    /// says of it, and its definition's text when the backend has it.
    fn export<'a>(
        &'a self,
        execution_arn: &'a str,
    ) -> BoxFuture<'a, Result<crate::share::SharedExecution, BackendError>> {
        Box::pin(async move {
            let events = self.history_since(execution_arn, 0).await?;
            let summary = self.describe(execution_arn).await?;
            let definition = self.definition_text(execution_arn).await?;
            // A backend running two machines: the execution's ARN names its own.
            let machine = crate::arn::execution_machine_arn(execution_arn)
                .unwrap_or_else(|| self.info().state_machine_arn);
            let execution =
                crate::share::DescribedExecution::from_summary(&summary, &machine, &events);
            Ok(crate::share::SharedExecution {
                events,
                execution,
                definition,
            })
        })
    }

    /// Sets the compensations' failure rate every saga uses from now on, running ones
    /// and redriven ones included, over the rate in their input: how an "outage" is
    /// started and ended while executions run (`c`, `--cancel-failure-rate`). The
    /// embedded runtime holds it in memory; a deployed stack keeps it in its table.
    fn set_cancel_failure_rate(&self, rate: f64) -> BoxFuture<'_, Result<(), BackendError>> {
        let _ = rate;
        Box::pin(async {
            Err(BackendError::Failed(
                "this backend runs nothing: there is no failure rate to set".to_owned(),
            ))
        })
    }

    /// Waits for an execution to end, asking every `poll`, and returns how it ended:
    /// what a crowd of sagas follows each saga with. A backend that can be told when
    /// an execution ends answers without polling.
    fn wait_ended<'a>(
        &'a self,
        execution_arn: &'a str,
        poll: std::time::Duration,
    ) -> BoxFuture<'a, Result<ExecutionSummary, BackendError>> {
        Box::pin(async move {
            loop {
                if let Some(fault) = self.store_fault() {
                    return Err(BackendError::StoreFault(fault));
                }
                let summary = self.describe(execution_arn).await?;
                if summary.status.is_terminal() {
                    return Ok(summary);
                }
                tokio::time::sleep(poll).await;
            }
        })
    }

    /// RedriveExecution: a FAILED, TIMED_OUT or ABORTED execution continues from the
    /// state that did not succeed, keeping its history and ARN, so an "outage" that made
    /// a compensation give up can be recovered from once it is over. The default says
    /// the backend cannot redrive.
    fn redrive<'a>(&'a self, execution_arn: &'a str) -> BoxFuture<'a, Result<(), BackendError>> {
        let _ = execution_arn;
        Box::pin(async {
            Err(BackendError::Failed(
                "this backend cannot redrive executions".to_owned(),
            ))
        })
    }

    /// Changes how fast paced time runs, for what is already waiting too; backends
    /// whose time is real (AWS) ignore it.
    fn set_speed(&self, _speed: f64) {}

    /// Execution time now, what history timestamps are compared with (countdowns):
    /// the wall clock, unless the backend keeps time of its own.
    fn clock_now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    /// Pausing and stepping, for a backend that owns its clock; `None` where time is
    /// real (AWS).
    fn clock_control(&self) -> Option<&dyn ClockControl> {
        None
    }
}

/// Holding and stepping a runtime's execution time.
pub trait ClockControl: Send + Sync {
    /// Pauses (`true`) or resumes (`false`) every execution: running tasks do not
    /// complete, waits and backoff do not elapse.
    fn set_paused(&self, paused: bool);

    /// Whether time is paused.
    fn is_paused(&self) -> bool;

    /// While paused: advances until `execution_arn` records its next history event.
    fn step<'a>(&'a self, execution_arn: &'a str) -> BoxFuture<'a, Result<(), BackendError>>;
}
