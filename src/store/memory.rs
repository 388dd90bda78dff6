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
use super::executions::{ExecutionOutcome, ExecutionRecord, ExecutionStatus, Redrive};
use super::items::{SetIf, item_keys};
use super::versions::{RowWriter, Version, latest_rows};
use super::{Backend, StoreError, StoreWrite, lock};
use crate::fast_map::FastMap;
use chrono::{DateTime, Utc};
use saga_lambdas::{AttrValue, Item};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// What `:memory:` error messages name.
const LOCATION: &str = ":memory:";

/// A private, throwaway store: table rows and executions under separate locks, so a
/// saga step writing its row never waits for a history being written.
#[derive(Default)]
pub(super) struct MemoryStore {
    rows: Mutex<Rows>,
    runs: Mutex<Runs>,
}

/// The table: its rows now and every version written (see `store::versions`).
#[derive(Default)]
struct Rows {
    /// Rows by partition key, then sort key (byte order, as DynamoDB sorts); shared
    /// with their version rather than copied.
    current: FastMap<String, BTreeMap<String, SharedRow>>,
    /// Every version of each partition's rows, in write order.
    versions: FastMap<String, Vec<StoredVersion>>,
    /// How many versions were ever written: the place of the latest.
    written: u64,
}

/// One version of a row.
struct StoredVersion {
    /// Its place in the order of row writes, from 1.
    seq: u64,
    /// The writing execution's `seq`, 0 for none.
    writer: u64,
    /// The last event of that execution recorded before the write (0 for none).
    tag: i64,
    row: VersionRow,
}

/// What a version holds: the row written (its sort key in it, not copied), or the
/// sort key of the row deleted.
enum VersionRow {
    Put(SharedRow),
    Deleted(Box<str>),
}

impl StoredVersion {
    fn sk(&self) -> &str {
        match &self.row {
            VersionRow::Put(row) => row.sk(),
            VersionRow::Deleted(sk) => sk,
        }
    }
}

/// A row as the memory store keeps it: the item a put wrote, shared by every version
/// since, and the attributes conditional updates set on it afterwards, so an update
/// keeps one attribute, not another copy of the row, for the version it leaves behind.
#[derive(Clone)]
struct SharedRow {
    base: Arc<Item>,
    /// In the order set; empty (unallocated) until an update.
    set: Vec<(String, AttrValue)>,
}

impl SharedRow {
    fn new(item: Item) -> Self {
        Self {
            base: Arc::new(item),
            set: Vec::new(),
        }
    }

    /// The row's sort key: keys are never updated.
    fn sk(&self) -> &str {
        item_keys(&self.base).map_or("", |(_, sk)| sk)
    }

    fn get(&self, attr: &str) -> Option<&AttrValue> {
        let set = self.set.iter().rev().find(|(a, _)| a == attr);
        set.map(|(_, v)| v).or_else(|| self.base.get(attr))
    }

    /// The whole row, as callers read it.
    fn to_item(&self) -> Item {
        let mut item = Item::clone(&self.base);
        for (attr, value) in &self.set {
            item.insert(attr.clone(), value.clone());
        }
        item
    }

    /// [`SetIf::apply`] on a copy: the updated row, if the condition held.
    fn updated(&self, update: &SetIf) -> Option<SharedRow> {
        if self.get(&update.attr) != Some(&update.expected) {
            return None;
        }
        let mut row = self.clone();
        row.set.push((update.attr.clone(), update.new.clone()));
        Some(row)
    }
}

/// Who wrote a version, as the memory store records it: `(execution seq, tag)`.
#[derive(Clone, Copy, Default)]
struct Writer {
    execution: u64,
    tag: i64,
}

impl Rows {
    /// Makes a write (`None` deletes) and keeps its version.
    fn write(&mut self, pk: &str, sk: &str, item: Option<SharedRow>, by: Writer) {
        let row = match item {
            Some(item) => {
                let partition = partition_of(&mut self.current, pk);
                // The key is copied only for a row not there yet.
                match partition.get_mut(sk) {
                    Some(current) => *current = item.clone(),
                    None => {
                        partition.insert(sk.to_string(), item.clone());
                    }
                }
                VersionRow::Put(item)
            }
            None => {
                if let Some(partition) = self.current.get_mut(pk) {
                    partition.remove(sk);
                    if partition.is_empty() {
                        self.current.remove(pk);
                    }
                }
                VersionRow::Deleted(sk.into())
            }
        };
        self.written += 1;
        let version = StoredVersion {
            seq: self.written,
            writer: by.execution,
            tag: by.tag,
            row,
        };
        partition_of(&mut self.versions, pk).push(version);
    }
}

/// A partition's entry, made on its first write (the key is copied only then).
fn partition_of<'a, V: Default>(map: &'a mut FastMap<String, V>, pk: &str) -> &'a mut V {
    if !map.contains_key(pk) {
        map.insert(pk.to_string(), V::default());
    }
    map.get_mut(pk).expect("inserted above")
}

/// The executions and their histories.
#[derive(Default)]
struct Runs {
    /// Executions by ARN.
    executions: FastMap<String, StoredExecution>,
    /// How many executions were ever inserted: breaks start-date ties in listings the
    /// way SQLite's rowid does.
    inserted: u64,
}

struct StoredExecution {
    record: ExecutionRecord,
    /// Insertion order, from 1.
    seq: u64,
    /// The place of the last row version written before it was inserted.
    rows_before: u64,
    /// The history, by ascending id.
    events: Vec<NewEvent>,
}

/// A date as the store keeps it: to the millisecond, like the SQLite store.
fn to_millis(d: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(d.timestamp_millis()).unwrap_or(d)
}

impl Backend for MemoryStore {
    fn location(&self) -> &str {
        LOCATION
    }

    fn put(&self, item: Item, by: RowWriter<'_>) -> Result<(), StoreError> {
        let by = lock(&self.runs).writer(by);
        self.put_by(item, by)
    }

    fn update_if(
        &self,
        pk: &str,
        sk: &str,
        update: &SetIf,
        by: RowWriter<'_>,
    ) -> Result<bool, StoreError> {
        let by = lock(&self.runs).writer(by);
        let mut rows = lock(&self.rows);
        let row = rows.current.get(pk).and_then(|rows| rows.get(sk));
        let Some(row) = row.and_then(|row| row.updated(update)) else {
            return Ok(false);
        };
        rows.write(pk, sk, Some(row), by);
        Ok(true)
    }

    fn delete(&self, pk: &str, sk: &str, by: RowWriter<'_>) -> Result<(), StoreError> {
        let by = lock(&self.runs).writer(by);
        lock(&self.rows).write(pk, sk, None, by);
        Ok(())
    }

    fn get_item(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let rows = lock(&self.rows);
        let row = rows.current.get(pk).and_then(|rows| rows.get(sk));
        Ok(row.map(SharedRow::to_item))
    }

    fn query(&self, pk: &str) -> Result<Vec<Item>, StoreError> {
        let rows = lock(&self.rows);
        Ok(rows.current.get(pk).map_or_else(Vec::new, |rows| {
            rows.values().map(SharedRow::to_item).collect()
        }))
    }

    fn rows_after_event(
        &self,
        pk: &str,
        execution_arn: &str,
        event_id: i64,
    ) -> Result<Option<Vec<Item>>, StoreError> {
        let (execution, rows_before) = {
            let runs = lock(&self.runs);
            match runs.executions.get(execution_arn) {
                Some(e) => (e.seq, e.rows_before),
                None => return Ok(None),
            }
        };
        let rows = lock(&self.rows);
        let versions = rows.versions.get(pk).map_or(&[][..], Vec::as_slice);
        let seen = versions
            .iter()
            .filter(|v| v.seq <= rows_before || (v.writer == execution && v.tag < event_id));
        Ok(Some(latest_rows(seen.map(|v| Version {
            sk: v.sk(),
            item: match &v.row {
                VersionRow::Put(row) => Some(row.to_item()),
                VersionRow::Deleted(_) => None,
            },
        }))))
    }

    fn insert_execution(&self, record: &ExecutionRecord) -> Result<(), StoreError> {
        let mut runs = lock(&self.runs);
        let rows_before = lock(&self.rows).written;
        runs.insert(record, &[], rows_before)
    }

    fn append(
        &self,
        arn: &str,
        events: &[NewEvent],
        outcome: Option<&ExecutionOutcome>,
    ) -> Result<(), StoreError> {
        lock(&self.runs).append(arn, events, outcome)
    }

    /// Each write all or nothing.
    fn write_batch(&self, writes: &[StoreWrite]) -> Vec<StoreError> {
        let mut runs = lock(&self.runs);
        // As a file store does: an execution's writes stop at its first failed one.
        let mut failed = std::collections::HashSet::new();
        let done = writes.iter().map(|w| {
            if !w.arn().is_empty() && failed.contains(w.arn()) {
                return Err(StoreError::EarlierWriteFailed {
                    arn: w.arn().to_string(),
                });
            }
            let done = match w {
                StoreWrite::Start { record, events } => {
                    let rows_before = lock(&self.rows).written;
                    runs.insert(record, events, rows_before)
                }
                StoreWrite::Events { arn, events } => runs.append(arn, events, None),
                StoreWrite::Finish {
                    arn,
                    events,
                    outcome,
                } => runs.append(arn, events, Some(outcome)),
                StoreWrite::Redrive {
                    arn,
                    events,
                    redrive,
                } => runs.redrive(arn, events, redrive),
                StoreWrite::PutItem { item, by } => {
                    self.put_by(item.clone(), runs.writer(by.as_deref()))
                }
                StoreWrite::DeleteItem { pk, sk, by } => {
                    let by = runs.writer(by.as_deref());
                    lock(&self.rows).write(pk, sk, None, by);
                    Ok(())
                }
            };
            if done.is_err() {
                failed.insert(w.arn());
            }
            done
        });
        done.filter_map(Result::err).collect()
    }

    fn get_execution(&self, arn: &str) -> Result<Option<ExecutionRecord>, StoreError> {
        let runs = lock(&self.runs);
        Ok(runs.executions.get(arn).map(|e| e.record.clone()))
    }

    /// Newest first, ties in insertion order reversed.
    fn list_executions(&self, limit: usize) -> Result<Vec<ExecutionRecord>, StoreError> {
        let runs = lock(&self.runs);
        let mut all: Vec<&StoredExecution> = runs.executions.values().collect();
        all.sort_unstable_by_key(|e| std::cmp::Reverse((e.record.start_date, e.seq)));
        Ok(all
            .into_iter()
            .take(limit)
            .map(|e| e.record.clone())
            .collect())
    }

    fn events_since(&self, arn: &str, after_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
        let runs = lock(&self.runs);
        let Some(execution) = runs.executions.get(arn) else {
            return Ok(Vec::new());
        };
        let from = execution.events.partition_point(|e| e.id() <= after_id);
        execution.events[from..]
            .iter()
            .map(|e| Ok((e.id(), e.to_json()?)))
            .collect()
    }

    fn event_count(&self, arn: &str) -> Result<u64, StoreError> {
        let runs = lock(&self.runs);
        Ok(runs
            .executions
            .get(arn)
            .map_or(0, |e| e.events.len() as u64))
    }

    fn last_event_id(&self, arn: &str) -> Result<Option<i64>, StoreError> {
        let runs = lock(&self.runs);
        let last = runs.executions.get(arn).and_then(|e| e.events.last());
        Ok(last.map(NewEvent::id))
    }
}

impl MemoryStore {
    /// Writes a row whose writer is known; the row is kept as handed over.
    fn put_by(&self, item: Item, by: Writer) -> Result<(), StoreError> {
        let row = SharedRow::new(item);
        let (pk, sk) = item_keys(&row.base)?;
        lock(&self.rows).write(pk, sk, Some(row.clone()), by);
        Ok(())
    }
}

impl Runs {
    /// A version's writer: the execution and its last event so far (see
    /// `store::versions`); no writer for an execution the store does not know.
    fn writer(&self, by: RowWriter<'_>) -> Writer {
        let Some(e) = by.and_then(|arn| self.executions.get(arn)) else {
            return Writer::default();
        };
        Writer {
            execution: e.seq,
            tag: e.events.last().map_or(0, NewEvent::id),
        }
    }

    /// A new execution with its first events: all or nothing. `rows_before` is the
    /// place of the last row version written before it.
    fn insert(
        &mut self,
        record: &ExecutionRecord,
        events: &[NewEvent],
        rows_before: u64,
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
        let execution = StoredExecution {
            record,
            seq: self.inserted,
            rows_before,
            events: history,
        };
        self.executions
            .insert(execution.record.execution_arn.clone(), execution);
        Ok(())
    }

    /// Runs an ended, unsuccessful execution again: all or nothing.
    fn redrive(
        &mut self,
        arn: &str,
        events: &[NewEvent],
        redrive: &Redrive,
    ) -> Result<(), StoreError> {
        let execution =
            self.executions
                .get_mut(arn)
                .ok_or_else(|| StoreError::NoSuchExecution {
                    location: LOCATION.to_string(),
                    arn: arn.to_string(),
                })?;
        let status = execution.record.status;
        if !status.is_terminal() || status == ExecutionStatus::Succeeded {
            return Err(StoreError::NotRedrivable {
                location: LOCATION.to_string(),
                arn: arn.to_string(),
                status,
            });
        }
        add_events(&mut execution.events, arn, events)?;
        let r = &mut execution.record;
        r.status = ExecutionStatus::Running;
        r.output = None;
        r.error = None;
        r.cause = None;
        r.stop_date = None;
        r.redrive_count = redrive.count;
        r.redrive_date = Some(to_millis(redrive.date));
        Ok(())
    }

    /// Appends events to a running execution (and records its outcome): all or nothing.
    fn append(
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
