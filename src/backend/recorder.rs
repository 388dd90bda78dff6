//! Persists what the engine does into the embedded store, off the execution's path.
//!
//! The engine hands every event over complete; the recorder turns it into a queued
//! write and a writer thread commits the queue in batches (group commit), so running
//! executions never wait for SQLite. The terminal event is written together with the
//! final status, so a reader (the UI, or the next process after a crash) never sees
//! half an execution end.
//!
//! Queuing a write does not wake the writer each time: it lets writes gather for up to
//! [`LINGER`] (or until [`MAX_BATCH`] are queued, or someone waits for a flush), so a
//! busy runtime commits a few large transactions instead of one per event.
//!
//! An in-memory store is written on the caller's thread instead (see `Writes::Inline`).
//!
//! What reaches the file when something fails:
//! * **The file fails** (disk full, a file-size limit, an I/O error, a damaged page: the
//!   store's [`Store::fault`]): the batch's transaction is rolled back and the writer
//!   commits nothing more, of any execution, rows included, until the process ends.
//!   The queue is one order for every execution and for the handlers' rows, so the
//!   file keeps a prefix of it, exactly what a crash at that point would leave: each
//!   history is a gap-free prefix, and every row committed was written by a step
//!   whose events up to then are committed too. Later writes are dropped (and settled,
//!   so flushes return); the executions left `RUNNING` are marked `ABORTED` by the
//!   next open. The fault stays until restart: the UI refuses launches and `run` exits.
//! * **One write is refused** (a duplicate event, a closed history: a bug, not the
//!   file): the other writes of its batch are still made, but no later write of the
//!   same execution is, in this batch or any later one. A row write names no
//!   execution and is not held back by such a refusal.

use crate::engine::{ExecutionDescription, ExecutionObserver};
use crate::fast_map::FastMap;
use crate::history::{EventDetails, EventType, HistoryEvent};
use crate::store::{
    ExecutionOutcome, ExecutionRecord, ExecutionStatus, NewEvent, Redrive, Store, StoreWrite,
};
use std::collections::HashSet;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Most writes committed in one transaction: bounds how long a reader waits for the lock.
const MAX_BATCH: usize = 1024;

/// How long queued writes may wait for company before they are committed, when nobody
/// is waiting for them: short enough for a watching UI to look live.
const LINGER: Duration = Duration::from_millis(10);

type Waiter = tokio::sync::oneshot::Sender<()>;

/// What the engine's side hands the writer thread.
#[derive(Default)]
struct Queue {
    writes: Vec<StoreWrite>,
    /// Answered once every write queued before them is committed.
    waiters: Vec<Waiter>,
    /// A waiter wants its answer now: commit without lingering.
    urgent: bool,
    /// The store has failed: writes are dropped, not queued (see the module's rules).
    failed: bool,
    /// The recorder is gone: commit what is left and stop.
    closed: bool,
    /// Writes queued since the recorder started.
    queued: u64,
    /// Of those, how many the writer has committed (or given up on, with an error
    /// logged, or dropped after a store fault): when it equals `queued` a flush has
    /// nothing to wait for.
    committed: u64,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Pushes and drains leave the queue consistent even if a holder panicked.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What an execution's input says about the run, kept with the execution to list it.
#[derive(serde::Deserialize)]
struct Labels {
    #[serde(default)]
    run_type: serde_json::Value,
    #[serde(default)]
    trip_id: serde_json::Value,
}

/// An [`ExecutionObserver`] writing into a [`Store`] through a writer thread.
pub struct StoreRecorder {
    state_machine_arn: String,
    state_machine_name: String,
    /// Further machines whose executions this recorder records, by name, with their ARN.
    other_machines: Vec<(String, String)>,
    shared: Arc<Shared>,
    /// Terminal events held back until `on_finished` writes them with the status.
    terminal: Mutex<FastMap<String, NewEvent>>,
    /// Where writes are applied.
    writes: Writes,
}

/// Where a recorder applies its writes.
enum Writes {
    /// Queued for a writer thread, committed in batches. The thread is joined on drop
    /// so that everything recorded is committed (and the store let go of) once the
    /// recorder is gone.
    Thread(Option<std::thread::JoinHandle<()>>),
    /// Applied to this in-memory store at once, on the thread that records them: a
    /// write is a map insert, which needs no batching, and handing each execution's
    /// writes to another thread would cost a wake-up across cores every time, more than
    /// the write itself.
    Inline(Store),
}

impl StoreRecorder {
    /// Records executions of one state machine: inline for an in-memory store, through
    /// a writer thread (started here) for a file store.
    pub fn new(
        store: Store,
        state_machine_arn: String,
        state_machine_name: String,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
        });
        let writes = if store.path().is_none() {
            Writes::Inline(store)
        } else {
            let for_writer = shared.clone();
            let writer = std::thread::Builder::new()
                .name("sagaview-store-writer".into())
                .spawn(move || writer(store, &for_writer))?;
            Writes::Thread(Some(writer))
        };
        Ok(Self {
            state_machine_arn,
            state_machine_name,
            other_machines: Vec::new(),
            shared,
            terminal: Mutex::new(FastMap::default()),
            writes,
        })
    }

    /// Records the executions of one more state machine (`name`, `arn`) under that
    /// machine: an execution's ARN names the machine it runs.
    pub fn with_machine(mut self, name: String, arn: String) -> Self {
        self.other_machines.push((name, arn));
        self
    }

    /// The machine an execution runs, as (ARN, name).
    fn machine_of(&self, execution_arn: &str) -> (&str, &str) {
        let name = crate::arn::execution_machine(execution_arn);
        self.other_machines
            .iter()
            .find(|(n, _)| Some(n.as_str()) == name)
            .map_or(
                (&self.state_machine_arn, &self.state_machine_name),
                |(n, a)| (a, n),
            )
    }

    /// Waits until everything recorded so far is committed, committing it now.
    pub async fn flush(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        {
            let mut q = self.shared.lock();
            // Everything is already in: no need for a round trip through the writer.
            if q.committed == q.queued {
                return;
            }
            q.waiters.push(tx);
            q.urgent = true;
        }
        self.shared.wake.notify_one();
        // An error means the writer is gone; there is nothing left to wait for.
        let _ = rx.await;
    }

    /// Queues a write behind everything queued before it; returns its place in the
    /// queue (see [`StoreRecorder::committed_writes`]), or `None` if the writer has
    /// stopped and the write is lost (which is logged).
    pub(super) fn send(&self, write: StoreWrite) -> Option<u64> {
        if let Writes::Inline(store) = &self.writes {
            for e in store.write_batch(std::slice::from_ref(&write)) {
                tracing::error!(error = %e, "could not store history");
            }
            return Some(self.written_inline());
        }
        let (seq, wake) = {
            let mut q = self.shared.lock();
            if q.closed {
                tracing::error!("the store writer has stopped; history is no longer recorded");
                return None;
            }
            if q.failed {
                // Settled at once: the store's fault says why it is not in the file.
                q.queued += 1;
                q.committed += 1;
                return Some(q.queued);
            }
            q.writes.push(write);
            q.queued += 1;
            // The first write starts the writer's linger; a full batch ends it.
            (q.queued, q.writes.len() == 1 || q.writes.len() >= MAX_BATCH)
        };
        if wake {
            self.shared.wake.notify_one();
        }
        Some(seq)
    }

    /// Counts a write made inline as queued and committed at once; its place.
    fn written_inline(&self) -> u64 {
        let mut q = self.shared.lock();
        q.queued += 1;
        q.committed += 1;
        q.queued
    }

    /// Queues one more event of a running execution. While the writes queued before it
    /// end with this execution's (an execution usually runs several states before
    /// yielding), the event joins that write: one write per burst, not one per event.
    /// Written inline, an event is its own write.
    fn send_event(&self, arn: &str, event: NewEvent) {
        if let Writes::Inline(store) = &self.writes {
            if let Err(e) = store.append_new_events(arn, std::slice::from_ref(&event)) {
                tracing::error!(error = %e, "could not store history");
            }
            self.written_inline();
            return;
        }
        {
            let mut q = self.shared.lock();
            if !q.closed
                && !q.failed
                && let Some(
                    StoreWrite::Events { arn: last, events }
                    | StoreWrite::Redrive {
                        arn: last, events, ..
                    }
                    | StoreWrite::Start {
                        record:
                            ExecutionRecord {
                                execution_arn: last,
                                ..
                            },
                        events,
                    },
                ) = q.writes.last_mut()
                && last == arn
            {
                events.push(event);
                return;
            }
        }
        self.send(StoreWrite::Events {
            arn: arn.to_string(),
            events: vec![event],
        });
    }

    /// How many queued writes are settled: the writes numbered up to this one are
    /// committed (or were given up on, with an error logged), since the writer takes
    /// them in queue order.
    pub(super) fn committed_writes(&self) -> u64 {
        self.shared.lock().committed
    }

    fn started(&self, arn: &str, event: &HistoryEvent, stored: NewEvent) -> StoreWrite {
        let input = match &event.details {
            Some(EventDetails::ExecutionStarted(d)) => d.input.clone(),
            _ => "{}".to_string(),
        };
        // Only two members are kept: the rest of the input is skipped, not built.
        let labels = serde_json::from_str::<Labels>(&input)
            .ok()
            .map(|l| serde_json::json!({"run_type": l.run_type, "trip_id": l.trip_id}))
            .unwrap_or_default();
        let (machine_arn, machine_name) = self.machine_of(arn);
        StoreWrite::Start {
            record: ExecutionRecord {
                execution_arn: arn.to_string(),
                name: crate::arn::name(arn).to_owned(),
                state_machine_arn: machine_arn.to_owned(),
                state_machine_name: machine_name.to_owned(),
                status: ExecutionStatus::Running,
                input,
                output: None,
                error: None,
                cause: None,
                start_date: event.timestamp,
                stop_date: None,
                labels,
                redrive_count: 0,
                redrive_date: None,
            },
            events: vec![stored],
        }
    }
}

impl Drop for StoreRecorder {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_one();
        if let Writes::Thread(writer) = &mut self.writes
            && let Some(writer) = writer.take()
            && writer.join().is_err()
        {
            tracing::error!("the store writer panicked; the last history may be missing");
        }
    }
}

/// Commits queued writes in batches until the recorder is dropped and the queue is
/// empty, with WAL checkpoints on a thread of their own.
fn writer(store: Store, shared: &Shared) {
    let checkpoints = Checkpoints::start(&store);
    commit_loop(&store, shared, |bytes| {
        if let Some(c) = &checkpoints {
            c.wrote(bytes);
        }
    });
    if let Some(c) = checkpoints {
        c.stop();
    }
}

/// A thread copying the WAL back into the database file while the writer goes on
/// committing: SQLite lets a checkpoint run beside a write, and a checkpoint on the
/// writer's own thread would hold every commit behind it.
struct Checkpoints {
    wrote: std::sync::mpsc::Sender<usize>,
    thread: std::thread::JoinHandle<()>,
}

impl Checkpoints {
    /// `None` for a store without a WAL, or if the thread cannot start (then the
    /// store's own commits checkpoint, as SQLite does by default).
    fn start(store: &Store) -> Option<Self> {
        let checkpointer = store.checkpointer().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "checkpoints stay with the store's own commits");
            None
        })?;
        let (wrote, committed) = std::sync::mpsc::channel::<usize>();
        let thread = std::thread::Builder::new()
            .name("sagaview-store-checkpoints".into())
            .spawn(move || {
                let mut checkpointer = checkpointer;
                while let Ok(mut bytes) = committed.recv() {
                    // Catch up on everything committed meanwhile in one checkpoint.
                    bytes += committed.try_iter().sum::<usize>();
                    if let Err(e) = checkpointer.wrote(bytes) {
                        tracing::warn!(error = %e, "could not checkpoint the store's WAL");
                    }
                }
            });
        match thread {
            Ok(thread) => Some(Self { wrote, thread }),
            Err(e) => {
                tracing::warn!(error = %e, "checkpoints stay with the store's own commits");
                None
            }
        }
    }

    /// Notes a commit of about `bytes`.
    fn wrote(&self, bytes: usize) {
        // The thread only ends once this sender is dropped.
        let _ = self.wrote.send(bytes);
    }

    /// Ends the thread, which hands checkpoints back to the store's commits.
    fn stop(self) {
        drop(self.wrote);
        if self.thread.join().is_err() {
            tracing::error!("the checkpoint thread panicked");
        }
    }
}

/// Commits queued writes in batches, reporting each batch's size, until the recorder
/// is dropped and the queue is empty.
fn commit_loop(store: &Store, shared: &Shared, mut committed: impl FnMut(usize)) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // Executions with a refused write: none of their later writes is made.
    let mut refused: HashSet<String> = HashSet::new();
    loop {
        let waiters = {
            let mut q = shared.lock();
            while q.writes.is_empty() && q.waiters.is_empty() {
                if q.closed {
                    return;
                }
                q = shared.wake.wait(q).unwrap_or_else(|e| e.into_inner());
            }
            let deadline = Instant::now() + LINGER;
            while !q.urgent && !q.closed && q.writes.len() < MAX_BATCH {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                q = shared
                    .wake
                    .wait_timeout(q, left)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            // Usually the whole queue: swapped out rather than moved, as the engine's
            // side waits for this lock.
            if q.writes.len() <= MAX_BATCH {
                std::mem::swap(&mut batch, &mut q.writes);
            } else {
                batch.extend(q.writes.drain(..MAX_BATCH));
            }
            if q.writes.is_empty() {
                q.urgent = false;
                std::mem::take(&mut q.waiters)
            } else {
                Vec::new()
            }
        };
        let done = batch.len() as u64;
        if !refused.is_empty() {
            batch.retain(|w| {
                let arn = w.arn();
                let keep = arn.is_empty() || !refused.contains(arn);
                if !keep {
                    tracing::error!(arn, "a write after a refused one is dropped");
                }
                keep
            });
        }
        // A fault a read met meanwhile (a damaged page) stops the writes as well.
        let errors = match store.fault() {
            None => store.write_batch(&batch),
            Some(_) => Vec::new(),
        };
        for e in errors {
            tracing::error!(error = %e, "could not store history");
            if let Some(arn) = e.execution() {
                refused.insert(arn.to_string());
            }
        }
        committed(batch.iter().map(StoreWrite::size).sum());
        batch.clear();
        {
            let mut q = shared.lock();
            q.committed += done;
            if store.fault().is_some() {
                stop_after_fault(&mut q);
            }
        }
        for w in waiters {
            let _ = w.send(());
        }
    }
}

/// Drops every queued write and every later one, settling them so that flushes
/// return: once the file has failed, nothing more may reach it (see the module's rules).
fn stop_after_fault(q: &mut Queue) {
    if !q.failed {
        tracing::error!(
            dropped = q.writes.len(),
            "the store failed: no more history or rows are recorded"
        );
    }
    q.failed = true;
    q.committed += q.writes.len() as u64;
    q.writes.clear();
}

impl ExecutionObserver for StoreRecorder {
    fn on_event(&self, execution_arn: &str, event: &HistoryEvent) {
        self.on_shared_event(execution_arn, &Arc::new(event.clone()));
    }

    fn on_shared_event(&self, execution_arn: &str, event: &Arc<HistoryEvent>) {
        let stored = match NewEvent::from_event(event.clone()) {
            Ok(stored) => stored,
            Err(e) => {
                tracing::error!(execution_arn, error = %e, "could not store a history event");
                return;
            }
        };
        let write = match (event.event_type, &event.details) {
            (EventType::ExecutionStarted, _) => self.started(execution_arn, event, stored),
            (EventType::ExecutionRedriven, Some(EventDetails::ExecutionRedriven(d))) => {
                StoreWrite::Redrive {
                    arn: execution_arn.to_string(),
                    events: vec![stored],
                    redrive: Redrive {
                        count: d.redrive_count,
                        date: event.timestamp,
                    },
                }
            }
            (t, _) if t.ends_execution() => {
                self.terminal
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(execution_arn.to_string(), stored);
                return;
            }
            _ => return self.send_event(execution_arn, stored),
        };
        self.send(write);
    }

    fn on_finished(&self, d: &ExecutionDescription) {
        let terminal = self
            .terminal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&d.execution_arn);
        let status = d.status;
        let stop = d.stop_date.unwrap_or(d.start_date);
        let outcome = match status {
            ExecutionStatus::Succeeded => {
                ExecutionOutcome::succeeded(d.output.clone().unwrap_or_default(), stop)
            }
            other => ExecutionOutcome::ended(other, d.error.clone(), d.cause.clone(), stop),
        };
        self.send(StoreWrite::Finish {
            arn: d.execution_arn.clone(),
            events: terminal.into_iter().collect(),
            outcome,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use saga_lambdas::item::string_item;

    /// A file store in a temporary folder, written through the writer thread.
    fn file_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("r.db")).unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn a_flush_is_answered_once_the_writer_has_committed() {
        let (_dir, store) = file_store();
        let recorder = StoreRecorder::new(store.clone(), "arn".into(), "m".into()).unwrap();
        // Nothing queued: answered at once.
        recorder.flush().await;
        let item = string_item([("pk", "t".to_string()), ("sk", "a".to_string())]);
        assert_eq!(
            recorder.send(StoreWrite::PutItem { item, by: None }),
            Some(1)
        );
        tokio::time::timeout(Duration::from_secs(5), recorder.flush())
            .await
            .expect("the writer answers a flush");
        assert_eq!(recorder.committed_writes(), 1);
        assert_eq!(store.query_trip_sync("t").unwrap().len(), 1);
    }

    fn event(id: u64, event_type: EventType) -> Arc<HistoryEvent> {
        use crate::history::event::{ExecutionStartedDetails, PayloadDetails};
        let details = (event_type == EventType::ExecutionStarted).then(|| {
            EventDetails::ExecutionStarted(ExecutionStartedDetails {
                input: r#"{"trip_id":"t"}"#.into(),
                input_details: PayloadDetails::default(),
                role_arn: "role".into(),
            })
        });
        Arc::new(HistoryEvent {
            timestamp: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            event_type,
            id,
            previous_event_id: id.saturating_sub(1),
            details,
        })
    }

    #[tokio::test]
    async fn an_executions_events_join_the_write_queued_just_before_them() {
        let (_dir, store) = file_store();
        let recorder = StoreRecorder::new(store.clone(), "m-arn".into(), "m".into()).unwrap();
        let (a, b) = ("arn:a", "arn:b");
        let row = string_item([("pk", "t".to_string()), ("sk", "x".to_string())]);
        recorder.on_shared_event(a, &event(1, EventType::ExecutionStarted));
        recorder.on_shared_event(a, &event(2, EventType::PassStateEntered));
        recorder.on_shared_event(a, &event(3, EventType::PassStateExited));
        recorder.on_shared_event(b, &event(1, EventType::ExecutionStarted));
        recorder.on_shared_event(a, &event(4, EventType::PassStateEntered));
        recorder.send(StoreWrite::PutItem {
            item: row,
            by: None,
        });
        recorder.on_shared_event(a, &event(5, EventType::PassStateExited));
        recorder.on_shared_event(b, &event(2, EventType::PassStateEntered));
        recorder.flush().await;
        let ids = |arn: &str| -> Vec<i64> {
            let events = store.events_since(arn, 0).unwrap();
            events.into_iter().map(|(id, _)| id).collect()
        };
        assert_eq!(ids(a), vec![1, 2, 3, 4, 5]);
        assert_eq!(ids(b), vec![1, 2]);
        // One write per event would be eight. The writer lingers for company after the
        // first, so it normally takes six: A(1-3), B(1), A(4), the row, A(5), B(2).
        assert!(
            recorder.committed_writes() < 8,
            "{}",
            recorder.committed_writes()
        );
    }

    #[tokio::test]
    async fn written_inline_every_event_and_ending_is_in_the_store_at_once() {
        let store = Store::open_in_memory().unwrap();
        let recorder = StoreRecorder::new(store.clone(), "m-arn".into(), "m".into()).unwrap();
        assert!(matches!(recorder.writes, Writes::Inline(_)));
        let arn = "arn:a";
        let stored = |arn: &str| -> Vec<i64> {
            let events = store.events_since(arn, 0).unwrap();
            events.into_iter().map(|(id, _)| id).collect()
        };
        recorder.on_shared_event(arn, &event(1, EventType::ExecutionStarted));
        recorder.on_shared_event(arn, &event(2, EventType::PassStateEntered));
        // No flush, no writer: each event is there as soon as it is recorded.
        assert_eq!(stored(arn), vec![1, 2]);
        assert_eq!(recorder.committed_writes(), 2);
        let row = string_item([("pk", "t".to_string()), ("sk", "x".to_string())]);
        recorder.send(StoreWrite::PutItem {
            item: row,
            by: None,
        });
        assert_eq!(store.query_trip_sync("t").unwrap().len(), 1);

        // The terminal event waits for the status, and both land together.
        recorder.on_shared_event(arn, &event(3, EventType::ExecutionSucceeded));
        assert_eq!(stored(arn), vec![1, 2]);
        let record = store.get_execution(arn).unwrap().unwrap();
        assert_eq!(record.status, ExecutionStatus::Running);
        let stop = chrono::DateTime::from_timestamp(1_700_000_005, 0).unwrap();
        recorder.on_finished(&ExecutionDescription {
            execution_arn: arn.into(),
            state_machine_arn: "m-arn".into(),
            name: "a".into(),
            status: ExecutionStatus::Succeeded,
            input: r#"{"trip_id":"t"}"#.into(),
            output: Some("{}".into()),
            error: None,
            cause: None,
            start_date: stop,
            stop_date: Some(stop),
            redrive_count: 0,
            redrive_date: None,
        });
        let record = store.get_execution(arn).unwrap().unwrap();
        assert_eq!(record.status, ExecutionStatus::Succeeded);
        assert_eq!(stored(arn), vec![1, 2, 3]);
        // Nothing is outstanding, so neither waits.
        tokio::time::timeout(Duration::from_secs(1), recorder.flush())
            .await
            .expect("an inline flush has nothing to wait for");
    }

    #[tokio::test]
    async fn after_a_refused_write_no_later_write_of_that_execution_is_made() {
        let (_dir, store) = file_store();
        let recorder = StoreRecorder::new(store.clone(), "m-arn".into(), "m".into()).unwrap();
        let (a, b) = ("arn:a", "arn:b");
        recorder.on_shared_event(a, &event(1, EventType::ExecutionStarted));
        recorder.on_shared_event(b, &event(1, EventType::ExecutionStarted));
        recorder.flush().await;
        // Refused: a already has event 1.
        recorder.on_shared_event(a, &event(1, EventType::PassStateEntered));
        recorder.flush().await;
        // Each in a batch of its own, after the refusal.
        recorder.on_shared_event(a, &event(2, EventType::PassStateEntered));
        recorder.on_shared_event(b, &event(2, EventType::PassStateEntered));
        recorder.flush().await;
        let ids = |arn: &str| -> Vec<i64> {
            let events = store.events_since(arn, 0).unwrap();
            events.into_iter().map(|(id, _)| id).collect()
        };
        assert_eq!(ids(a), vec![1]);
        assert_eq!(ids(b), vec![1, 2]);
        // A refusal is not the file failing.
        assert_eq!(store.fault(), None);
    }

    #[test]
    fn a_file_store_is_never_written_inline() {
        let (_dir, store) = file_store();
        let recorder = StoreRecorder::new(store, "m-arn".into(), "m".into()).unwrap();
        assert!(matches!(recorder.writes, Writes::Thread(Some(_))));
    }
}
