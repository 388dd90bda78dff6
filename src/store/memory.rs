//! The throwaway store behind `:memory:`, kept in plain Rust collections.
//!
//! An in-memory store is never reopened, so SQLite's pages, journal and statements
//! would buy it nothing but cost. Table rows are kept as the handlers wrote them, by
//! partition key then sort key; each history is the engine's own events, shared with
//! the engine rather than copied, and serialised only when read, so it reads back as
//! exactly the JSON the SQLite store returns. The rules (append-only histories, a
//! terminal event and final status written together, dates to the millisecond,
//! DynamoDB's sort-key order) are the same, and the same store tests run against both.

use super::events::NewEvent;
use super::executions::{ExecutionOutcome, ExecutionRecord, ExecutionStatus};
use super::items::{SetIf, item_keys};
use super::{StoreError, StoreWrite};
use crate::fast_map::FastMap;
use chrono::{DateTime, Utc};
use saga_lambdas::Item;
use std::collections::BTreeMap;

/// What `:memory:` error messages name.
pub(super) const LOCATION: &str = ":memory:";

/// An in-memory store's table rows, by partition key, then sort key (byte order, as
/// DynamoDB sorts).
#[derive(Default)]
pub(super) struct Rows {
    items: FastMap<String, BTreeMap<String, Item>>,
}

/// An in-memory store's executions and their histories.
#[derive(Default)]
pub(super) struct MemoryData {
    /// Executions by ARN.
    executions: FastMap<String, StoredExecution>,
    /// How many executions were ever inserted: breaks start-date ties in listings the
    /// way SQLite's rowid does.
    inserted: u64,
}

struct StoredExecution {
    record: ExecutionRecord,
    /// Insertion order.
    seq: u64,
    /// The history, by ascending id.
    events: Vec<NewEvent>,
}

/// A date as the store keeps it: to the millisecond, like the SQLite store.
fn to_millis(d: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(d.timestamp_millis()).unwrap_or(d)
}

impl Rows {
    /// [`super::Store::put_sync`].
    pub(super) fn put(&mut self, pk: &str, sk: &str, item: &Item) {
        self.items
            .entry(pk.to_string())
            .or_default()
            .insert(sk.to_string(), item.clone());
    }

    /// [`super::Store::update_if_sync`].
    pub(super) fn update_if(&mut self, pk: &str, sk: &str, update: &SetIf) -> bool {
        self.items
            .get_mut(pk)
            .and_then(|rows| rows.get_mut(sk))
            .is_some_and(|row| update.apply(row))
    }

    /// [`super::Store::delete_sync`].
    pub(super) fn delete(&mut self, pk: &str, sk: &str) {
        if let Some(rows) = self.items.get_mut(pk) {
            rows.remove(sk);
            if rows.is_empty() {
                self.items.remove(pk);
            }
        }
    }

    /// [`super::Store::get_item_sync`].
    pub(super) fn get_item(&self, pk: &str, sk: &str) -> Option<Item> {
        self.items.get(pk).and_then(|rows| rows.get(sk)).cloned()
    }

    /// [`super::Store::query_trip_sync`].
    pub(super) fn query_trip(&self, pk: &str) -> Vec<Item> {
        self.items
            .get(pk)
            .map_or_else(Vec::new, |rows| rows.values().cloned().collect())
    }
}

impl MemoryData {
    /// [`super::Store::insert_execution`].
    pub(super) fn insert_execution(&mut self, record: &ExecutionRecord) -> Result<(), StoreError> {
        self.insert_with_events(record, &[])
    }

    fn insert_with_events(
        &mut self,
        record: &ExecutionRecord,
        events: &[NewEvent],
    ) -> Result<(), StoreError> {
        if self.executions.contains_key(&record.execution_arn) {
            return Err(StoreError::ExecutionExists {
                location: LOCATION.to_string(),
                arn: record.execution_arn.clone(),
            });
        }
        let mut history = Vec::with_capacity(events.len());
        add_events(&mut history, &record.execution_arn, events)?;
        let mut record = record.clone();
        record.start_date = to_millis(record.start_date);
        record.stop_date = record.stop_date.map(to_millis);
        self.inserted += 1;
        self.executions.insert(
            record.execution_arn.clone(),
            StoredExecution {
                record,
                seq: self.inserted,
                events: history,
            },
        );
        Ok(())
    }

    /// Appends events to a running execution (and records its outcome): all or nothing.
    pub(super) fn append(
        &mut self,
        arn: &str,
        events: &[NewEvent],
        outcome: Option<&ExecutionOutcome>,
    ) -> Result<(), StoreError> {
        let execution =
            self.executions
                .get_mut(arn)
                .ok_or_else(|| StoreError::NoSuchExecution {
                    location: LOCATION.to_string(),
                    arn: arn.to_string(),
                })?;
        if execution.record.status != ExecutionStatus::Running {
            return Err(StoreError::NotRunning {
                location: LOCATION.to_string(),
                arn: arn.to_string(),
                status: execution.record.status,
            });
        }
        add_events(&mut execution.events, arn, events)?;
        if let Some(o) = outcome {
            let r = &mut execution.record;
            r.status = o.status;
            r.output.clone_from(&o.output);
            r.error.clone_from(&o.error);
            r.cause.clone_from(&o.cause);
            r.stop_date = Some(to_millis(o.stop_date));
        }
        Ok(())
    }

    /// [`super::Store::write_batch`]: each write all or nothing; the errors of those
    /// that could not be made.
    pub(super) fn write_batch(
        &mut self,
        rows: &std::sync::Mutex<Rows>,
        writes: &[StoreWrite],
    ) -> Vec<StoreError> {
        let rows = || super::lock(rows);
        writes
            .iter()
            .filter_map(|w| {
                let done = match w {
                    StoreWrite::Start { record, events } => self.insert_with_events(record, events),
                    StoreWrite::Events { arn, events } => self.append(arn, events, None),
                    StoreWrite::Finish {
                        arn,
                        events,
                        outcome,
                    } => self.append(arn, events, Some(outcome)),
                    StoreWrite::PutItem { item } => {
                        item_keys(item).map(|(pk, sk)| rows().put(pk, sk, item))
                    }
                    StoreWrite::DeleteItem { pk, sk } => {
                        rows().delete(pk, sk);
                        Ok(())
                    }
                };
                done.err()
            })
            .collect()
    }

    /// [`super::Store::get_execution`].
    pub(super) fn get_execution(&self, arn: &str) -> Option<ExecutionRecord> {
        self.executions.get(arn).map(|e| e.record.clone())
    }

    /// [`super::Store::list_executions`]: newest first, ties in insertion order reversed.
    pub(super) fn list_executions(&self, limit: usize) -> Vec<ExecutionRecord> {
        let mut all: Vec<&StoredExecution> = self.executions.values().collect();
        all.sort_unstable_by(|a, b| {
            (b.record.start_date, b.seq).cmp(&(a.record.start_date, a.seq))
        });
        all.into_iter()
            .take(limit)
            .map(|e| e.record.clone())
            .collect()
    }

    /// [`super::Store::events_since`].
    pub(super) fn events_since(
        &self,
        arn: &str,
        after_id: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let Some(execution) = self.executions.get(arn) else {
            return Ok(Vec::new());
        };
        let from = execution.events.partition_point(|e| e.id() <= after_id);
        execution.events[from..]
            .iter()
            .map(|e| Ok((e.id(), e.to_json()?)))
            .collect()
    }

    /// [`super::Store::event_count`].
    pub(super) fn event_count(&self, arn: &str) -> u64 {
        self.executions
            .get(arn)
            .map_or(0, |e| e.events.len() as u64)
    }

    /// [`super::Store::last_event_id`].
    pub(super) fn last_event_id(&self, arn: &str) -> Option<i64> {
        self.executions
            .get(arn)
            .and_then(|e| e.events.last())
            .map(NewEvent::id)
    }
}

/// Adds events to a history, each in its id's place, after checking every one:
/// caller text must be JSON and no id may repeat; on any failure nothing is added.
fn add_events(
    history: &mut Vec<NewEvent>,
    arn: &str,
    events: &[NewEvent],
) -> Result<(), StoreError> {
    for (i, e) in events.iter().enumerate() {
        e.check(arn)?;
        let id = e.id();
        let known = history.binary_search_by_key(&id, NewEvent::id).is_ok();
        if known || events[..i].iter().any(|o| o.id() == id) {
            return Err(StoreError::DuplicateEvent {
                location: LOCATION.to_string(),
                arn: arn.to_string(),
                id,
            });
        }
    }
    for e in events {
        // The engine hands events over in id order: almost always a push.
        let at = history.partition_point(|o| o.id() < e.id());
        history.insert(at, e.clone());
    }
    Ok(())
}
