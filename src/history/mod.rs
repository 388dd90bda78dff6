//! Execution histories in the exact shape of `GetExecutionHistory`.

pub mod event;
mod failure;
mod status;

pub use event::{EventDetails, EventType, HistoryEvent, PayloadDetails};
pub use failure::failure_line;
pub use status::{ExecutionStatus, UnknownStatus};
