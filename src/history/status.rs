//! An execution's status: what a history's last event says of it, named as Step
//! Functions names it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An execution's status, with Step Functions' names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    /// Still going.
    #[default]
    Running,
    /// Reached a Succeed or end state.
    Succeeded,
    /// Reached a Fail state or an uncaught error.
    Failed,
    /// Exceeded its `TimeoutSeconds`.
    TimedOut,
    /// Stopped from outside, or interrupted by its process exiting.
    Aborted,
}

impl ExecutionStatus {
    /// The AWS name, e.g. `TIMED_OUT`, which is also what the database stores.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Running => "RUNNING",
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed => "FAILED",
            ExecutionStatus::TimedOut => "TIMED_OUT",
            ExecutionStatus::Aborted => "ABORTED",
        }
    }

    /// Whether the execution has finished (every status but `RUNNING`).
    pub fn is_terminal(self) -> bool {
        self != ExecutionStatus::Running
    }
}

impl fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status name Step Functions does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown execution status {0:?}; expected RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED"
)]
pub struct UnknownStatus(pub String);

impl FromStr for ExecutionStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "RUNNING" => ExecutionStatus::Running,
            "SUCCEEDED" => ExecutionStatus::Succeeded,
            "FAILED" => ExecutionStatus::Failed,
            "TIMED_OUT" => ExecutionStatus::TimedOut,
            "ABORTED" => ExecutionStatus::Aborted,
            _ => return Err(UnknownStatus(s.to_string())),
        })
    }
}
