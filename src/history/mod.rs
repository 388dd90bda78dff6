//! Execution histories in the exact shape of `GetExecutionHistory`.

pub mod event;

pub use event::{EventDetails, EventType, HistoryEvent, PayloadDetails};
