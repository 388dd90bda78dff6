//! The two vocabularies of the UI loop: what happened ([`Msg`]) and what to do ([`Cmd`]).
//!
//! Input and backend results arrive as messages; [`crate::tui::App::update`] answers
//! with commands, which the loop runs as tokio tasks whose results come back as messages.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};
use saga_lambdas::{Item, RunType};

use crate::asl::Definition;
use crate::backend::approval::Decision;
use crate::backend::{BackendError, BackendInfo, ExecutionSummary, Launch, RowsAt, SagaMachine};
use crate::history::HistoryEvent;

/// Something that happened: input, time, or a backend answer.
#[derive(Debug, Clone)]
pub enum Msg {
    /// A key was pressed.
    Key(KeyEvent),
    /// A mouse click or wheel.
    Mouse(MouseEvent),
    /// The terminal was resized.
    Resize(u16, u16),
    /// Time passed; `now_ms` counts from the UI's start (drives polls and animation).
    Tick {
        /// Milliseconds since start.
        now_ms: u64,
        /// The backend's execution time now, what countdowns count against (the
        /// embedded runtime's clock may run at a speed, or be paused).
        clock: DateTime<Utc>,
    },
    /// The saga definition, for the graph.
    Definition(Result<Arc<Definition>, BackendError>),
    /// The definition one execution runs (AWS: DescribeStateMachineForExecution).
    ExecutionDefinition {
        /// The execution.
        arn: String,
        /// Its definition.
        result: Result<Arc<Definition>, BackendError>,
    },
    /// A launch was answered.
    Started {
        /// Which launch, in the order they were asked for.
        seq: u64,
        /// What was started (with the trip id it got).
        launch: Launch,
        /// The execution ARN.
        result: Result<String, BackendError>,
    },
    /// New history events of one execution.
    History {
        /// The execution.
        arn: String,
        /// Events after the id asked for.
        result: Result<Vec<HistoryEvent>, BackendError>,
    },
    /// The store's fault changed (see `SagaBackend::store_fault`): `Some` once the
    /// store has failed.
    StoreFault(Option<String>),
    /// The execution list.
    Executions(Result<Vec<ExecutionSummary>, BackendError>),
    /// A trip's rows.
    Rows {
        /// Whose rows.
        trip_id: String,
        /// Fetched after this execution ended, to judge it.
        for_verdict: Option<String>,
        /// The rows, ordered by `sk`.
        result: Result<Vec<Item>, BackendError>,
    },
    /// A trip's rows right after one event of an execution (time travel).
    RowsAt {
        /// Which rows were asked for.
        at: RowsKey,
        /// The rows, or the current ones with why.
        result: Result<RowsAt, BackendError>,
    },
    /// A stop was answered.
    Stopped {
        /// The execution.
        arn: String,
        /// Whether it worked.
        result: Result<(), BackendError>,
    },
    /// A redrive was answered.
    Redriven {
        /// The execution.
        arn: String,
        /// Whether it runs again.
        result: Result<(), BackendError>,
    },
    /// Setting the live failure rate was answered.
    RateSet {
        /// The rate asked for.
        rate: f64,
        /// Whether the backend took it.
        result: Result<(), BackendError>,
    },
    /// Pausing or resuming was answered: whether time is now paused.
    Paused(Result<bool, BackendError>),
    /// A step was answered.
    Stepped {
        /// The execution stepped.
        arn: String,
        /// Whether it moved.
        result: Result<(), BackendError>,
    },
    /// A save (`x`) was answered: the file written, or why not.
    Exported {
        /// The execution saved.
        arn: String,
        /// The file's path.
        result: Result<std::path::PathBuf, String>,
    },
    /// How the crowd of sagas `L` started stands: sent while it runs and once at the
    /// end (not an answer: one command brings many).
    Load {
        /// Which load; only the latest one asked for is shown.
        id: u64,
        /// The crowd so far, or why the load ended early.
        update: Result<LoadUpdate, BackendError>,
    },
    /// An approval was answered (`a` / `r`).
    Decided {
        /// The execution that waited.
        arn: String,
        /// Approve or reject.
        decision: Decision,
        /// Whether the answer was taken.
        result: Result<(), BackendError>,
    },
    /// The connection facts as the backend knows them now (a stack's outputs are read
    /// on first use, after the UI started).
    Info(BackendInfo),
    /// The process was asked to end (SIGTERM, SIGHUP).
    Terminate,
}

/// A crowd of sagas as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadUpdate {
    /// Its numbers.
    pub summary: crate::view::crowd::CrowdSummary,
    /// Whether every saga has ended (the last update).
    pub done: bool,
}

impl Msg {
    /// Whether this is the answer to a backend call (one per [`Cmd::is_answered`]
    /// command), rather than input or time.
    pub fn is_answer(&self) -> bool {
        match self {
            Msg::Definition(_)
            | Msg::ExecutionDefinition { .. }
            | Msg::Started { .. }
            | Msg::History { .. }
            | Msg::Executions(_)
            | Msg::Rows { .. }
            | Msg::RowsAt { .. }
            | Msg::Stopped { .. }
            | Msg::Redriven { .. }
            | Msg::RateSet { .. }
            | Msg::Paused(_)
            | Msg::Stepped { .. }
            | Msg::Exported { .. }
            | Msg::Decided { .. } => true,
            Msg::Key(_)
            | Msg::Mouse(_)
            | Msg::Resize(..)
            | Msg::Tick { .. }
            | Msg::StoreFault(_)
            | Msg::Load { .. }
            | Msg::Info(_)
            | Msg::Terminate => false,
        }
    }
}

/// Work for the loop: backend calls (run in tasks) and loop control.
#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    /// Fetch the saga definition.
    LoadDefinition,
    /// Fetch the definition one execution runs.
    LoadExecutionDefinition(String),
    /// Fetch recent executions.
    ListExecutions,
    /// Start an execution.
    Start(LaunchRequest),
    /// Fetch history events after `after_id`.
    PollHistory {
        /// The execution.
        arn: String,
        /// Last event id already seen.
        after_id: u64,
    },
    /// Fetch a trip's rows.
    FetchRows {
        /// Whose rows.
        trip_id: String,
        /// Set when the rows judge a finished execution.
        for_verdict: Option<String>,
    },
    /// Fetch a trip's rows right after one event of an execution.
    FetchRowsAt(RowsKey),
    /// Stop an execution.
    Stop(String),
    /// Redrive an ended execution.
    Redrive(String),
    /// Set the compensations' failure rate for every execution from now on.
    SetCancelFailureRate(f64),
    /// Change how fast the backend's paced time runs.
    SetSpeed(f64),
    /// Pause (`true`) or resume the backend's execution time.
    SetPaused(bool),
    /// Advance a paused execution by one history event.
    Step(String),
    /// Put text on the terminal's clipboard (OSC 52).
    Copy(String),
    /// Save an execution to a new file in `dir`.
    Export {
        /// The execution.
        arn: String,
        /// The directory the file goes to.
        dir: std::path::PathBuf,
    },
    /// Run a crowd of sagas, reporting with [`Msg::Load`].
    StartLoad {
        /// Which load this is.
        id: u64,
        /// What it runs.
        plan: crate::load::LoadPlan,
    },
    /// Approve or reject the approval an execution waits for.
    Decide {
        /// The execution.
        arn: String,
        /// Its trip, whose approval row holds the token.
        trip_id: String,
        /// Approve or reject.
        decision: Decision,
    },
    /// Leave the loop.
    Quit,
}

impl Cmd {
    /// Whether the loop gets a message back for it (exactly one, see
    /// [`Msg::is_answer`]).
    pub fn is_answered(&self) -> bool {
        match self {
            Cmd::LoadDefinition
            | Cmd::LoadExecutionDefinition(_)
            | Cmd::ListExecutions
            | Cmd::Start(_)
            | Cmd::PollHistory { .. }
            | Cmd::FetchRows { .. }
            | Cmd::FetchRowsAt(_)
            | Cmd::Stop(_)
            | Cmd::Redrive(_)
            | Cmd::SetCancelFailureRate(_)
            | Cmd::SetPaused(_)
            | Cmd::Step(_)
            | Cmd::Export { .. }
            | Cmd::Decide { .. } => true,
            Cmd::SetSpeed(_) | Cmd::Copy(_) | Cmd::StartLoad { .. } | Cmd::Quit => false,
        }
    }
}

/// Which past rows: trip `trip_id` right after event `event_id` of `arn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowsKey {
    /// Whose rows.
    pub trip_id: String,
    /// The execution travelled through.
    pub arn: String,
    /// The event the rows are right after.
    pub event_id: u64,
}

/// A launch as the UI asks for it: the trip is chosen by the loop when the UI leaves
/// it open (each launch then gets a fresh one), so `update` stays free of randomness.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchRequest {
    /// Which launch this is; only the latest one asked for is selected when answered.
    pub seq: u64,
    /// The scenario.
    pub run_type: RunType,
    /// The state machine it runs on.
    pub machine: SagaMachine,
    /// The trip, when fixed (`--trip-id`, `t`); `None` for a fresh one.
    pub trip_id: Option<String>,
    /// Probability that a compensation fails.
    pub cancel_failure_rate: f64,
}
