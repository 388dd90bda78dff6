//! The two vocabularies of the UI loop: what happened ([`Msg`]) and what to do ([`Cmd`]).
//!
//! Input and backend results arrive as messages; [`crate::tui::App::update`] answers
//! with commands, which the loop runs as tokio tasks whose results come back as messages.

use std::sync::Arc;

use crossterm::event::{KeyEvent, MouseEvent};
use saga_lambdas::Item;

use crate::asl::Definition;
use crate::backend::{BackendError, ExecutionSummary, Launch};
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
        /// What was asked.
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
    /// A stop was answered.
    Stopped {
        /// The execution.
        arn: String,
        /// Whether it worked.
        result: Result<(), BackendError>,
    },
    /// A new random trip id was made.
    TripGenerated(String),
    /// The process was asked to end (SIGTERM, SIGHUP).
    Terminate,
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
    Start(Launch),
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
    /// Stop an execution.
    Stop(String),
    /// Change the backend's demo speed.
    SetSpeed(f64),
    /// Make a random trip id.
    NewTripId,
    /// Leave the loop.
    Quit,
}
