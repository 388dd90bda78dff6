//! The small table interface the handlers need.
//!
//! Two implementations exist: DynamoDB (deployed functions) and sagaview's embedded
//! store. Keeping the surface this small keeps them behaving alike.

use crate::item::Item;
use std::future::Future;

/// A failure of the table itself (not of the saga's business rules).
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The backing service or database failed; the text says which and why.
    #[error("{0}")]
    Backend(String),
}

/// Outcome of a conditional confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    /// The row was `pending` and is now `confirmed`.
    Yes,
    /// No `pending` row with that key exists; nothing changed.
    NoPendingRow,
}

/// The operations the saga performs on its single table (keys `pk`, `sk`).
pub trait Table: Send + Sync {
    /// Writes (or overwrites) a row; rewriting the same key never duplicates it.
    fn put(&self, item: Item) -> impl Future<Output = Result<(), TableError>> + Send;

    /// Sets `transaction_status` to `confirmed` only when the row exists and is `pending`.
    fn confirm(
        &self,
        pk: &str,
        sk: &str,
    ) -> impl Future<Output = Result<Confirmed, TableError>> + Send;

    /// Deletes a row; deleting a missing row succeeds (compensations are idempotent).
    fn delete(&self, pk: &str, sk: &str) -> impl Future<Output = Result<(), TableError>> + Send;

    /// All rows of one trip (`pk = trip_id`), ordered by `sk`.
    fn query_trip(&self, pk: &str) -> impl Future<Output = Result<Vec<Item>, TableError>> + Send;
}
