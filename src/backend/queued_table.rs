//! The saga handlers' table on the embedded store, with a file store's writes queued
//! behind the history instead of committed one by one.
//!
//! A saga step's row write used to be its own SQLite transaction on the runtime's
//! thread, waiting for the store writer's batch whenever one was being committed. Here
//! a write goes into the recorder's queue and is committed in the writer's next batch,
//! in order with the events around it, so a crash leaves rows and history that agree.
//! Until then the row is kept in [`Pending`], and every read (the next step's
//! condition, the UI's rows) sees it at once, as DynamoDB's consistent reads would.
//!
//! An in-memory store gains nothing from queuing (its writes are a map insert), so
//! there the table writes straight through.

use super::recorder::StoreRecorder;
use crate::store::{RowWriter, SetIf, Store, StoreError, StoreWrite};
use saga_lambdas::handlers::{CONFIRMED, PENDING};
use saga_lambdas::table::Confirmed;
use saga_lambdas::{AttrValue, Item, Table, TableError};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The handlers' table for the embedded backend.
pub struct QueuedTable {
    store: Store,
    /// `None` for an in-memory store: writes go straight to it.
    queue: Option<Queue>,
}

struct Queue {
    recorder: Arc<StoreRecorder>,
    pending: Mutex<Pending>,
}

/// Rows written but perhaps not yet committed; `None` marks a deletion.
#[derive(Default)]
struct Pending {
    /// By partition key, then sort key: each row's latest queued write and its place
    /// in the recorder's queue.
    rows: HashMap<String, BTreeMap<String, (u64, Option<Item>)>>,
    /// Every queued write's place and key, oldest first, to let go of committed ones.
    order: VecDeque<(u64, String, String)>,
}

impl Pending {
    /// Forgets the writes the writer has committed: the store has them now.
    fn settle(&mut self, committed: u64) {
        while let Some((seq, _, _)) = self.order.front() {
            if *seq > committed {
                break;
            }
            let Some((seq, pk, sk)) = self.order.pop_front() else {
                break;
            };
            if let Some(rows) = self.rows.get_mut(&pk) {
                // A later write of the same row is still pending: keep it.
                if rows.get(&sk).is_some_and(|(s, _)| *s == seq) {
                    rows.remove(&sk);
                }
                if rows.is_empty() {
                    self.rows.remove(&pk);
                }
            }
        }
    }

    fn note(&mut self, seq: u64, pk: &str, sk: &str, row: Option<Item>) {
        self.rows
            .entry(pk.to_string())
            .or_default()
            .insert(sk.to_string(), (seq, row));
        self.order.push_back((seq, pk.to_string(), sk.to_string()));
    }

    /// The pending state of one row: `Some(None)` if it is being deleted, `None` if
    /// nothing is pending for it.
    fn get(&self, pk: &str, sk: &str) -> Option<Option<&Item>> {
        self.rows
            .get(pk)
            .and_then(|rows| rows.get(sk))
            .map(|(_, row)| row.as_ref())
    }
}

impl QueuedTable {
    /// The table over `store`, queuing a file store's writes through `recorder` (which
    /// must write into the same store).
    pub fn new(store: Store, recorder: Arc<StoreRecorder>) -> Self {
        let queue = store.path().is_some().then(|| Queue {
            recorder,
            pending: Mutex::new(Pending::default()),
        });
        Self { store, queue }
    }

    /// All rows of one trip ordered by `sk`, queued writes included.
    pub fn query_trip_sync(&self, pk: &str) -> Result<Vec<Item>, StoreError> {
        let Some(queue) = &self.queue else {
            return self.store.query_trip_sync(pk);
        };
        // The pending rows stay locked while the store is read, so a write cannot be
        // committed and let go of in between, unseen by both.
        let pending = queue.lock();
        let mut rows = self.store.query_trip_sync(pk)?;
        if let Some(queued) = pending.rows.get(pk) {
            let mut by_sk: BTreeMap<String, Item> = rows
                .drain(..)
                .filter_map(|item| {
                    let sk = crate::store::item_keys(&item).ok()?.1.to_string();
                    Some((sk, item))
                })
                .collect();
            for (sk, (_, row)) in queued {
                match row {
                    Some(item) => by_sk.insert(sk.clone(), item.clone()),
                    None => by_sk.remove(sk),
                };
            }
            rows = by_sk.into_values().collect();
        }
        Ok(rows)
    }

    /// The table as one execution's task writes it: every write tagged with it.
    pub fn for_task<'a>(&'a self, execution_arn: &'a str) -> TaskTable<'a> {
        TaskTable {
            table: self,
            by: execution_arn,
        }
    }

    fn put_sync(&self, item: Item, by: RowWriter<'_>) -> Result<(), StoreError> {
        let Some(queue) = &self.queue else {
            return self.store.put_by_sync(item, by);
        };
        let (pk, sk) = crate::store::item_keys(&item)?;
        let (pk, sk) = (pk.to_string(), sk.to_string());
        let mut pending = queue.lock();
        queue.write(&mut pending, &pk, &sk, Some(item), by);
        Ok(())
    }

    fn delete_sync(&self, pk: &str, sk: &str, by: RowWriter<'_>) -> Result<(), StoreError> {
        let Some(queue) = &self.queue else {
            return self.store.delete_by_sync(pk, sk, by);
        };
        let mut pending = queue.lock();
        queue.write(&mut pending, pk, sk, None, by);
        Ok(())
    }

    fn confirm_sync(&self, pk: &str, sk: &str, by: RowWriter<'_>) -> Result<Confirmed, StoreError> {
        let Some(queue) = &self.queue else {
            return confirm_in(&self.store, pk, sk, by);
        };
        let mut pending = queue.lock();
        let current = match pending.get(pk, sk) {
            Some(row) => row.cloned(),
            None => self.store.get_item_sync(pk, sk)?,
        };
        let Some(mut item) = current else {
            return Ok(Confirmed::NoPendingRow);
        };
        if !confirm_update().apply(&mut item) {
            return Ok(Confirmed::NoPendingRow);
        }
        queue.write(&mut pending, pk, sk, Some(item), by);
        Ok(Confirmed::Yes)
    }
}

/// The handlers' table as one execution's task sees it: the same rows, with every
/// write tagged with the execution (see [`crate::store::RowWriter`]), so the store can
/// tell which of its events the write came after.
pub struct TaskTable<'a> {
    table: &'a QueuedTable,
    by: &'a str,
}

impl Table for TaskTable<'_> {
    async fn put(&self, item: Item) -> Result<(), TableError> {
        Ok(self.table.put_sync(item, Some(self.by))?)
    }

    async fn confirm(&self, pk: &str, sk: &str) -> Result<Confirmed, TableError> {
        Ok(self.table.confirm_sync(pk, sk, Some(self.by))?)
    }

    async fn delete(&self, pk: &str, sk: &str) -> Result<(), TableError> {
        Ok(self.table.delete_sync(pk, sk, Some(self.by))?)
    }

    async fn query_trip(&self, pk: &str) -> Result<Vec<Item>, TableError> {
        Ok(self.table.query_trip_sync(pk)?)
    }
}

/// The saga's confirm as its DynamoDB table makes it: `transaction_status` set to
/// `confirmed` on condition that it is the string `pending`.
fn confirm_update() -> SetIf {
    SetIf {
        attr: "transaction_status".into(),
        expected: AttrValue::S(PENDING.into()),
        new: AttrValue::S(CONFIRMED.into()),
    }
}

/// [`Table::confirm`] made directly on a store.
fn confirm_in(
    store: &Store,
    pk: &str,
    sk: &str,
    by: RowWriter<'_>,
) -> Result<Confirmed, StoreError> {
    Ok(if store.update_if_by_sync(pk, sk, &confirm_update(), by)? {
        Confirmed::Yes
    } else {
        Confirmed::NoPendingRow
    })
}

/// The handlers' table straight on the store, every write committed at once: what a
/// caller without a recorder (a test, a tool) uses.
impl Table for Store {
    async fn put(&self, item: Item) -> Result<(), TableError> {
        Ok(self.put_sync(&item)?)
    }

    async fn confirm(&self, pk: &str, sk: &str) -> Result<Confirmed, TableError> {
        Ok(confirm_in(self, pk, sk, None)?)
    }

    async fn delete(&self, pk: &str, sk: &str) -> Result<(), TableError> {
        Ok(self.delete_sync(pk, sk)?)
    }

    async fn query_trip(&self, pk: &str) -> Result<Vec<Item>, TableError> {
        Ok(self.query_trip_sync(pk)?)
    }
}

impl Queue {
    /// The pending rows, with the committed ones already let go of.
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // Every change to the pending rows is complete before the lock is released.
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending.settle(self.recorder.committed_writes());
        pending
    }

    /// Queues one row's write, keeping it readable until it is committed.
    fn write(
        &self,
        pending: &mut Pending,
        pk: &str,
        sk: &str,
        row: Option<Item>,
        by: RowWriter<'_>,
    ) {
        let by = by.map(str::to_owned);
        let write = match &row {
            Some(item) => StoreWrite::PutItem {
                item: item.clone(),
                by,
            },
            None => StoreWrite::DeleteItem {
                pk: pk.to_string(),
                sk: sk.to_string(),
                by,
            },
        };
        // With the writer gone the write is lost (and logged); so is the history, and
        // the row is kept readable for the rest of this process like everything else.
        let seq = self.recorder.send(write).unwrap_or(u64::MAX);
        pending.note(seq, pk, sk, row);
    }
}

/// The same handler code as on AWS, against the embedded store, by no execution
/// (a task writes through [`QueuedTable::for_task`]).
impl Table for QueuedTable {
    async fn put(&self, item: Item) -> Result<(), TableError> {
        Ok(self.put_sync(item, None)?)
    }

    async fn confirm(&self, pk: &str, sk: &str) -> Result<Confirmed, TableError> {
        Ok(self.confirm_sync(pk, sk, None)?)
    }

    async fn delete(&self, pk: &str, sk: &str) -> Result<(), TableError> {
        Ok(self.delete_sync(pk, sk, None)?)
    }

    async fn query_trip(&self, pk: &str) -> Result<Vec<Item>, TableError> {
        Ok(self.query_trip_sync(pk)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use saga_lambdas::item::string_item;

    fn row(pk: &str, sk: &str, status: &str) -> Item {
        string_item([
            ("pk", pk.to_string()),
            ("sk", sk.to_string()),
            ("transaction_status", status.to_string()),
        ])
    }

    fn confirmed(mut item: Item) -> Item {
        item.insert("transaction_status".into(), AttrValue::S(CONFIRMED.into()));
        item
    }

    /// A file store with its recorder and queued table.
    fn file_table(dir: &tempfile::TempDir) -> (Arc<StoreRecorder>, QueuedTable) {
        let store = Store::open(dir.path().join("t.db")).unwrap();
        let recorder =
            Arc::new(StoreRecorder::new(store.clone(), "arn".into(), "m".into()).unwrap());
        let table = QueuedTable::new(store, recorder.clone());
        (recorder, table)
    }

    #[test]
    fn a_file_store_queues_and_a_memory_store_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let (_recorder, table) = file_table(&dir);
        assert!(table.queue.is_some());
        let memory = Store::open_in_memory().unwrap();
        let recorder =
            Arc::new(StoreRecorder::new(memory.clone(), "arn".into(), "m".into()).unwrap());
        assert!(QueuedTable::new(memory, recorder).queue.is_none());
    }

    #[tokio::test]
    async fn queued_writes_read_back_at_once_and_reach_the_file() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (recorder, table) = file_table(&dir);
            table.put(row("t", "b", PENDING)).await.unwrap();
            table.put(row("t", "a", PENDING)).await.unwrap();
            table.put(row("t", "c", "other")).await.unwrap();
            table.put(row("u", "a", PENDING)).await.unwrap();
            // Conditions see the queued rows, whether committed yet or not.
            assert_eq!(table.confirm("t", "a").await.unwrap(), Confirmed::Yes);
            assert_eq!(
                table.confirm("t", "a").await.unwrap(),
                Confirmed::NoPendingRow
            );
            assert_eq!(
                table.confirm("t", "c").await.unwrap(),
                Confirmed::NoPendingRow
            );
            assert_eq!(
                table.confirm("t", "x").await.unwrap(),
                Confirmed::NoPendingRow
            );
            table.delete("t", "b").await.unwrap();
            let want = vec![confirmed(row("t", "a", PENDING)), row("t", "c", "other")];
            assert_eq!(table.query_trip("t").await.unwrap(), want);
            recorder.flush().await;
            // Committed: the same rows, now from the file.
            assert_eq!(table.query_trip("t").await.unwrap(), want);
            assert!(table.queue.as_ref().unwrap().lock().rows.is_empty());
            // A committed row is still found by a condition.
            assert_eq!(table.confirm("u", "a").await.unwrap(), Confirmed::Yes);
        }
        // Dropping the recorder commits the rest; a new process sees it all.
        let store = Store::open(dir.path().join("t.db")).unwrap();
        assert_eq!(
            store.query_trip_sync("t").unwrap(),
            vec![confirmed(row("t", "a", PENDING)), row("t", "c", "other")]
        );
        assert_eq!(
            store.query_trip_sync("u").unwrap(),
            vec![confirmed(row("u", "a", PENDING))]
        );
    }

    #[tokio::test]
    async fn a_queued_delete_hides_a_committed_row() {
        let dir = tempfile::tempdir().unwrap();
        let (recorder, table) = file_table(&dir);
        table.put(row("t", "a", PENDING)).await.unwrap();
        recorder.flush().await;
        table.delete("t", "a").await.unwrap();
        assert_eq!(table.query_trip("t").await.unwrap(), vec![]);
        assert_eq!(
            table.confirm("t", "a").await.unwrap(),
            Confirmed::NoPendingRow
        );
        recorder.flush().await;
        assert_eq!(table.store.query_trip_sync("t").unwrap(), vec![]);
    }

    #[test]
    fn settling_keeps_a_later_write_of_the_same_row() {
        let mut pending = Pending::default();
        pending.note(1, "t", "a", Some(row("t", "a", PENDING)));
        pending.note(2, "t", "a", None);
        pending.note(3, "t", "b", Some(row("t", "b", PENDING)));
        pending.settle(1);
        assert_eq!(pending.get("t", "a"), Some(None));
        pending.settle(2);
        assert_eq!(pending.get("t", "a"), None);
        assert!(pending.get("t", "b").is_some());
        pending.settle(3);
        assert!(pending.rows.is_empty() && pending.order.is_empty());
    }

    #[tokio::test]
    async fn rows_without_string_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (_recorder, table) = file_table(&dir);
        let mut item = row("t", "s", PENDING);
        item.insert("sk".into(), AttrValue::N("1".into()));
        assert!(table.put(item).await.is_err());
        assert_eq!(table.query_trip("t").await.unwrap(), vec![]);
    }
}
