//! Writes handed to a store in batches (group commit).
//!
//! An execution produces a history event every few microseconds; committing each alone
//! makes SQLite's per-transaction work the bottleneck. The recorder queues writes and
//! hands a file store them in batches; a batch is one transaction, so it still becomes
//! visible all at once or not at all.

use super::events::NewEvent;
use super::executions::{ExecutionOutcome, ExecutionRecord, Redrive};
use saga_lambdas::Item;

/// One queued write.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreWrite {
    /// A new execution and its first events.
    Start {
        /// The execution.
        record: ExecutionRecord,
        /// Its first events.
        events: Vec<NewEvent>,
    },
    /// More events of a running execution.
    Events {
        /// The execution.
        arn: String,
        /// The events.
        events: Vec<NewEvent>,
    },
    /// The last events and the outcome, which must become visible together.
    Finish {
        /// The execution.
        arn: String,
        /// The last events (normally the terminal one).
        events: Vec<NewEvent>,
        /// How it ended.
        outcome: ExecutionOutcome,
    },
    /// An ended execution running again (RedriveExecution): its status back to
    /// `RUNNING`, its outcome cleared, its redrive count and date recorded, and its
    /// history continued with `events`, all at once.
    Redrive {
        /// The execution.
        arn: String,
        /// The first events of the redrive (`ExecutionRedriven` first).
        events: Vec<NewEvent>,
        /// The redrive's count and date.
        redrive: Redrive,
    },
    /// A table row written whole (or overwritten), queued behind the history so that
    /// the rows and the events that explain them are committed in the order they
    /// happened.
    PutItem {
        /// The row; its `pk` and `sk` are strings (checked when it is written).
        item: Item,
        /// The execution whose task wrote it, which tags its version (see
        /// [`crate::store::RowWriter`]); not held back when that execution's own
        /// writes are refused.
        by: Option<String>,
    },
    /// A table row deleted (a missing row is not an error).
    DeleteItem {
        /// Partition key.
        pk: String,
        /// Sort key.
        sk: String,
        /// The execution whose task deleted it.
        by: Option<String>,
    },
}

/// About how many bytes a table row takes in the WAL.
const ITEM_SIZE: usize = 512;

impl StoreWrite {
    /// The execution written to, for error messages and for holding back an
    /// execution's later writes after one failed (empty for a table row).
    pub fn arn(&self) -> &str {
        match self {
            StoreWrite::Start { record, .. } => &record.execution_arn,
            StoreWrite::Events { arn, .. }
            | StoreWrite::Finish { arn, .. }
            | StoreWrite::Redrive { arn, .. } => arn,
            StoreWrite::PutItem { .. } | StoreWrite::DeleteItem { .. } => "",
        }
    }

    /// The events written.
    pub(super) fn events(&self) -> &[NewEvent] {
        match self {
            StoreWrite::Start { events, .. }
            | StoreWrite::Events { events, .. }
            | StoreWrite::Finish { events, .. }
            | StoreWrite::Redrive { events, .. } => events,
            StoreWrite::PutItem { .. } | StoreWrite::DeleteItem { .. } => &[],
        }
    }

    /// About how many bytes the write stores.
    pub fn size(&self) -> usize {
        let extra = match self {
            StoreWrite::Start { record, .. } => record.input.len() + 256,
            StoreWrite::Finish { outcome, .. } => {
                outcome.output.as_ref().map_or(0, String::len) + 64
            }
            StoreWrite::Events { .. } | StoreWrite::Redrive { .. } => 0,
            StoreWrite::PutItem { .. } | StoreWrite::DeleteItem { .. } => ITEM_SIZE,
        };
        self.events().iter().map(NewEvent::size).sum::<usize>() + extra
    }
}
