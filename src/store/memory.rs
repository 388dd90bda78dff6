//! The throwaway store behind `:memory:`, kept in plain Rust collections.
//!
//! An in-memory store is never reopened, so SQLite's pages, journal and statements
//! buy it nothing but cost: encoding every history event, and a table write of a few
//! microseconds per saga step. Here an engine event is kept as the engine made it
//! (shared, not copied) and serialised only when read, so the history reads back as
//! exactly the JSON the SQLite store returns; the rules (append-only histories, a
//! terminal event and final status written together, dates to the millisecond,
//! DynamoDB's conditional confirm and sort-key order) are the same, and the same store
//! tests run against both.

use super::compact_item::CompactItem;
use super::compact_record::{CompactRecord, Machines};
use super::events::NewEvent;
use super::executions::{ExecutionOutcome, ExecutionRecord, ExecutionStatus};
use super::items::item_keys;
use super::open_events::OpenEvents;
use super::packed_history::{History, Packed};
use super::{StoreError, StoreWrite};
use crate::fast_map::FastMap;
use chrono::{DateTime, Utc};
use saga_lambdas::Item;
use saga_lambdas::table::Confirmed;
use std::collections::BTreeMap;

/// What `:memory:` error messages name.
pub(super) const LOCATION: &str = ":memory:";

/// An in-memory store's table rows, by partition key, then sort key (byte order, as
/// DynamoDB sorts).
#[derive(Default)]
pub(super) struct Rows {
    items: FastMap<String, BTreeMap<Box<str>, CompactItem>>,
}

/// An in-memory store's executions and their histories.
#[derive(Default)]
pub(super) struct MemoryData {
    /// Executions by ARN.
    executions: FastMap<String, StoredExecution>,
    /// How many executions were ever inserted: breaks start-date ties in listings the
    /// way SQLite's rowid does.
    inserted: u64,
    /// The state machines the records share.
    machines: Machines,
    /// Executions that a batch ended whose histories wait to be packed together (see
    /// [`PACKED_TOGETHER`]).
    unpacked: Vec<String>,
}

/// How many ended histories a batch write packs together (see
/// [`Packed::together`]): four sagas' histories come to about 64 KiB unpacked, as far
/// back as LZ4 looks for a match. Until then, the few waiting stay as they were
/// written, and read the same.
const PACKED_TOGETHER: usize = 4;

struct StoredExecution {
    record: CompactRecord,
    /// Insertion order.
    seq: u64,
    /// The history, packed once the execution has ended.
    events: History,
}

/// A date as the store keeps it: to the millisecond, like the SQLite store.
fn to_millis(d: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(d.timestamp_millis()).unwrap_or(d)
}

impl Rows {
    /// [`super::Store::put_sync`].
    pub(super) fn put(&mut self, pk: &str, sk: &str, item: &Item) -> Result<(), StoreError> {
        let row = CompactItem::encode(item)?;
        match self.items.get_mut(pk) {
            Some(rows) => rows.insert(sk.into(), row),
            None => self
                .items
                .entry(pk.to_string())
                .or_default()
                .insert(sk.into(), row),
        };
        Ok(())
    }

    /// [`super::Store::confirm_sync`].
    pub(super) fn confirm(&mut self, pk: &str, sk: &str) -> Result<Confirmed, StoreError> {
        match self.items.get_mut(pk).and_then(|rows| rows.get_mut(sk)) {
            Some(row) => row.confirm().map_err(|detail| bad_row(pk, sk, detail)),
            None => Ok(Confirmed::NoPendingRow),
        }
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
    pub(super) fn get_item(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        self.items
            .get(pk)
            .and_then(|rows| rows.get(sk))
            .map(|row| row.decode().map_err(|detail| bad_row(pk, sk, detail)))
            .transpose()
    }

    /// [`super::Store::query_trip_sync`].
    pub(super) fn query_trip(&self, pk: &str) -> Result<Vec<Item>, StoreError> {
        self.items.get(pk).map_or(Ok(Vec::new()), |rows| {
            rows.iter()
                .map(|(sk, row)| row.decode().map_err(|detail| bad_row(pk, sk, detail)))
                .collect()
        })
    }
}

/// A row that does not decode: never written so, but said plainly if it ever is.
fn bad_row(pk: &str, sk: &str, detail: String) -> StoreError {
    StoreError::BadRow {
        location: LOCATION.to_string(),
        what: format!("item {pk} / {sk}"),
        detail,
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
        let mut history = History::default();
        add_events(&mut history, &record.execution_arn, events)?;
        if record.status.is_terminal() {
            pack(&mut history, &record.execution_arn);
        }
        let arn = &record.execution_arn;
        let mut record = CompactRecord::new(record, &mut self.machines);
        record.start_date = to_millis(record.start_date);
        record.stop_date = record.stop_date.map(to_millis);
        self.inserted += 1;
        self.executions.insert(
            arn.to_owned(),
            StoredExecution {
                record,
                seq: self.inserted,
                events: history,
            },
        );
        Ok(())
    }

    /// The execution, if it exists and is still running.
    fn running(&mut self, arn: &str) -> Result<&mut StoredExecution, StoreError> {
        let execution = self.existing(arn)?;
        match execution.record.status {
            ExecutionStatus::Running => Ok(execution),
            status => Err(StoreError::NotRunning {
                location: LOCATION.to_string(),
                arn: arn.to_string(),
                status,
            }),
        }
    }

    /// Appends events to a running execution (and records its outcome): all or nothing.
    pub(super) fn append(
        &mut self,
        arn: &str,
        events: &[NewEvent],
        outcome: Option<&ExecutionOutcome>,
    ) -> Result<(), StoreError> {
        if self.append_unpacked(arn, events, outcome)? {
            pack(&mut self.existing(arn)?.events, arn);
        }
        Ok(())
    }

    /// [`MemoryData::append`] without packing; whether the execution has now ended.
    fn append_unpacked(
        &mut self,
        arn: &str,
        events: &[NewEvent],
        outcome: Option<&ExecutionOutcome>,
    ) -> Result<bool, StoreError> {
        let execution = self.running(arn)?;
        add_events(&mut execution.events, arn, events)?;
        let Some(o) = outcome else {
            return Ok(false);
        };
        let r = &mut execution.record;
        r.status = o.status;
        r.output = o.output.as_deref().map(Into::into);
        r.error = o.error.as_deref().map(Into::into);
        r.cause = o.cause.as_deref().map(Into::into);
        r.stop_date = Some(to_millis(o.stop_date));
        Ok(o.status.is_terminal())
    }

    /// The execution, running or ended.
    fn existing(&mut self, arn: &str) -> Result<&mut StoredExecution, StoreError> {
        self.executions
            .get_mut(arn)
            .ok_or_else(|| StoreError::NoSuchExecution {
                location: LOCATION.to_string(),
                arn: arn.to_string(),
            })
    }

    /// [`super::Store::write_batch`]: each write all or nothing; the errors of those
    /// that could not be made, and the ended histories now to be packed together by
    /// [`pack_ended`] once the store's lock is let go of (packing is most of a batch's
    /// work, and the sagas' table writes wait for that lock).
    pub(super) fn write_batch(
        &mut self,
        rows: &std::sync::Mutex<Rows>,
        writes: &[StoreWrite],
    ) -> (Vec<StoreError>, Vec<Ended>) {
        let rows = || super::lock(rows);
        let mut finished = Vec::new();
        let errors = writes
            .iter()
            .filter_map(|w| {
                let done = match w {
                    StoreWrite::Start { record, events } => self.insert_with_events(record, events),
                    StoreWrite::Events { arn, events } => {
                        self.append_unpacked(arn, events, None).map(drop)
                    }
                    StoreWrite::Finish {
                        arn,
                        events,
                        outcome,
                    } => self
                        .append_unpacked(arn, events, Some(outcome))
                        .map(|now_ended| {
                            if now_ended {
                                finished.push(arn.clone());
                            }
                        }),
                    StoreWrite::PutItem { item } => {
                        item_keys(item).and_then(|(pk, sk)| rows().put(pk, sk, item))
                    }
                    StoreWrite::DeleteItem { pk, sk } => {
                        rows().delete(pk, sk);
                        Ok(())
                    }
                };
                done.err()
            })
            .collect();
        self.unpacked.extend(finished);
        // Whole groups only: the rest wait for the next batch's.
        let whole = self.unpacked.len() - self.unpacked.len() % PACKED_TOGETHER;
        if whole == 0 {
            return (errors, Vec::new());
        }
        let ended = self
            .unpacked
            .drain(..whole)
            .filter_map(|arn| {
                let events = self.executions.get(&arn)?.events.snapshot()?;
                Some(Ended { arn, events })
            })
            .collect();
        (errors, ended)
    }

    /// Puts packed histories in place; returns the events they replace, to be dropped
    /// after the lock is let go of.
    pub(super) fn install_packed(&mut self, packed: Vec<(String, Packed)>) -> Vec<OpenEvents> {
        packed
            .into_iter()
            .filter_map(|(arn, p)| self.executions.get_mut(&arn)?.events.install(p))
            .collect()
    }

    /// [`super::Store::get_execution`].
    pub(super) fn get_execution(&self, arn: &str) -> Option<ExecutionRecord> {
        self.executions.get(arn).map(|e| e.record.to_record(arn))
    }

    /// [`super::Store::list_executions`]: newest first, ties in insertion order reversed.
    pub(super) fn list_executions(&self, limit: usize) -> Vec<ExecutionRecord> {
        let mut all: Vec<(&String, &StoredExecution)> = self.executions.iter().collect();
        all.sort_unstable_by(|(_, a), (_, b)| {
            (b.record.start_date, b.seq).cmp(&(a.record.start_date, a.seq))
        });
        all.into_iter()
            .take(limit)
            .map(|(arn, e)| e.record.to_record(arn))
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
        execution.events.since(arn, after_id)
    }

    /// [`super::Store::event_count`].
    pub(super) fn event_count(&self, arn: &str) -> u64 {
        self.executions
            .get(arn)
            .map_or(0, |e| e.events.len() as u64)
    }

    /// [`super::Store::last_event_id`].
    pub(super) fn last_event_id(&self, arn: &str) -> Option<i64> {
        self.executions.get(arn).and_then(|e| e.events.last_id())
    }
}

/// Adds events to a history after checking every one: caller text must be JSON and
/// no id may repeat; on any failure nothing is added.
fn add_events(history: &mut History, arn: &str, events: &[NewEvent]) -> Result<(), StoreError> {
    for (i, e) in events.iter().enumerate() {
        e.check(arn)?;
        let id = e.id();
        if history.contains(id) || events[..i].iter().any(|o| o.id() == id) {
            return Err(StoreError::DuplicateEvent {
                location: LOCATION.to_string(),
                arn: arn.to_string(),
                id,
            });
        }
    }
    if events.is_empty() {
        return Ok(());
    }
    let history = history.open(arn)?;
    for e in events {
        history.insert(e.clone());
    }
    Ok(())
}

/// A history that a batch ended, as it was then: packed without the store's lock.
pub(super) struct Ended {
    arn: String,
    events: OpenEvents,
}

/// Packs ended histories, [`PACKED_TOGETHER`] to a block (a batch that ended hundreds
/// of executions would otherwise make one block of them all, and reading any one of
/// its histories would unpack every other); one that cannot be packed is kept as it is.
pub(super) fn pack_ended(ended: Vec<Ended>) -> Vec<(String, Packed)> {
    let packed: Vec<_> = ended
        .chunks(PACKED_TOGETHER)
        .flat_map(|group| {
            let histories: Vec<_> = group.iter().map(|e| &e.events).collect();
            Packed::together(&histories)
        })
        .collect();
    ended
        .into_iter()
        .zip(packed)
        .filter_map(|(e, packed)| match packed {
            Ok(p) => Some((e.arn, p)),
            Err(err) => {
                tracing::warn!(execution_arn = e.arn, error = %err, "an ended history stays unpacked");
                None
            }
        })
        .collect()
}

/// Packs an ended execution's history; one that cannot be packed is kept as it is.
fn pack(history: &mut History, arn: &str) {
    if let Err(e) = history.pack() {
        tracing::warn!(execution_arn = arn, error = %e, "an ended history stays unpacked");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::executions::ExecutionOutcome;
    use std::sync::Mutex;

    fn record(arn: &str) -> ExecutionRecord {
        ExecutionRecord {
            execution_arn: arn.to_string(),
            name: arn.rsplit(':').next().unwrap_or(arn).to_string(),
            state_machine_arn: "arn:aws:states:local:000000000000:stateMachine:saga".into(),
            state_machine_name: "saga".into(),
            status: ExecutionStatus::Running,
            input: "{}".into(),
            output: None,
            error: None,
            cause: None,
            start_date: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            stop_date: None,
            labels: serde_json::Value::Null,
        }
    }

    fn event(id: i64, ty: &str, n: usize) -> NewEvent {
        let text = format!(r#"{{"id":{id},"type":"{ty}","run":{n}}}"#);
        NewEvent::from_json(id, text)
    }

    fn arn(n: usize) -> String {
        format!("arn:aws:states:local:000000000000:execution:saga:{n}")
    }

    /// The write that starts execution `n`, as the recorder makes it.
    fn start(n: usize) -> StoreWrite {
        StoreWrite::Start {
            record: record(&arn(n)),
            events: vec![event(1, "ExecutionStarted", n)],
        }
    }

    /// The write that ends execution `n`, as the recorder makes it.
    fn finish(n: usize) -> StoreWrite {
        StoreWrite::Finish {
            arn: arn(n),
            events: vec![event(2, "ExecutionSucceeded", n)],
            outcome: ExecutionOutcome::succeeded("{}", record("a").start_date),
        }
    }

    /// Execution `n`'s history as the store reads it back.
    fn texts(data: &MemoryData, n: usize) -> Vec<(i64, String)> {
        data.events_since(&arn(n), 0).unwrap()
    }

    /// Where execution `n`'s packed history is kept; `None` while it is open.
    fn block(data: &MemoryData, n: usize) -> Option<*const u8> {
        match &data.executions[&arn(n)].events {
            History::Packed(p) => Some(p.block_ptr()),
            History::Open(_) => None,
        }
    }

    /// Execution `n`'s history as it was written.
    fn written(n: usize) -> Vec<(i64, String)> {
        [(1, "ExecutionStarted"), (2, "ExecutionSucceeded")]
            .map(|(id, ty)| (id, event(id, ty, n).to_json().unwrap()))
            .into()
    }

    /// Starts and ends an execution, one batch each, as the recorder writes them;
    /// packs what the end's batch hands back, as the store does.
    fn run(data: &mut MemoryData, rows: &Mutex<Rows>, n: usize) -> usize {
        let (errors, ended) = data.write_batch(rows, &[start(n)]);
        assert!(errors.is_empty() && ended.is_empty(), "{errors:?}");
        let (errors, ended) = data.write_batch(rows, &[finish(n)]);
        assert!(errors.is_empty(), "{errors:?}");
        let count = ended.len();
        let replaced = data.install_packed(pack_ended(ended));
        assert_eq!(replaced.len(), count);
        count
    }

    #[test]
    fn ended_histories_are_packed_together_and_read_the_same_before_and_after() {
        let (mut data, rows) = (MemoryData::default(), Mutex::new(Rows::default()));
        for n in 0..PACKED_TOGETHER - 1 {
            assert_eq!(run(&mut data, &rows, n), 0, "packed before enough ended");
            assert_eq!(texts(&data, n), written(n));
        }
        assert_eq!(run(&mut data, &rows, PACKED_TOGETHER - 1), PACKED_TOGETHER);
        let blocks: Vec<_> = (0..PACKED_TOGETHER)
            .map(|n| block(&data, n).expect("an ended history is still open"))
            .collect();
        assert!(blocks.iter().all(|b| *b == blocks[0]), "one block for all");
        for n in 0..PACKED_TOGETHER {
            assert_eq!(texts(&data, n), written(n));
        }
        // The next ones wait again.
        assert_eq!(run(&mut data, &rows, PACKED_TOGETHER), 0);
    }

    #[test]
    fn a_batch_that_ends_many_executions_packs_them_a_group_to_a_block() {
        let (mut data, rows) = (MemoryData::default(), Mutex::new(Rows::default()));
        let ended = 2 * PACKED_TOGETHER + 1;
        let starts: Vec<_> = (0..ended).map(start).collect();
        assert!(data.write_batch(&rows, &starts).0.is_empty());
        let finishes: Vec<_> = (0..ended).map(finish).collect();
        let (errors, to_pack) = data.write_batch(&rows, &finishes);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(to_pack.len(), 2 * PACKED_TOGETHER, "whole groups only");
        data.install_packed(pack_ended(to_pack));
        let blocks: Vec<_> = (0..ended).map(|n| block(&data, n)).collect();
        let (first, second) = blocks.split_at(PACKED_TOGETHER);
        assert!(first.iter().all(|b| b.is_some() && *b == first[0]));
        assert!(
            second[..PACKED_TOGETHER]
                .iter()
                .all(|b| b.is_some() && *b == second[0])
        );
        assert_ne!(first[0], second[0], "a block per group");
        assert_eq!(blocks[ended - 1], None, "the odd one out waits");
        for n in 0..ended {
            assert_eq!(texts(&data, n), written(n));
        }
    }
}
