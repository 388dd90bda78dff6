//! Persists what the engine does into the embedded store, off the execution's path.
//!
//! The engine hands every event over complete; the recorder turns it into a queued
//! write and a writer thread commits the queue in batches (group commit), so running
//! executions never wait for SQLite. The terminal event is written together with the
//! final status, so a reader (the UI, or the next process after a crash) never sees
//! half an execution end.

use crate::engine::{ExecutionDescription, ExecutionObserver};
use crate::history::{EventDetails, EventType, HistoryEvent};
use crate::store::{ExecutionOutcome, ExecutionRecord, ExecutionStatus, Store, StoreWrite};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};

/// Most writes committed in one transaction: bounds how long a reader waits for the lock.
const MAX_BATCH: usize = 1024;

enum Job {
    Write(Box<StoreWrite>),
    /// Answered once every write queued before it is committed.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// An [`ExecutionObserver`] writing into a [`Store`] through a writer thread.
pub struct StoreRecorder {
    state_machine_arn: String,
    state_machine_name: String,
    jobs: Mutex<Sender<Job>>,
    /// Terminal events held back until `on_finished` writes them with the status.
    terminal: Mutex<HashMap<String, (i64, String)>>,
}

impl StoreRecorder {
    /// Records executions of one state machine; starts the writer thread.
    pub fn new(
        store: Store,
        state_machine_arn: String,
        state_machine_name: String,
    ) -> std::io::Result<Self> {
        let (tx, rx) = channel();
        std::thread::Builder::new()
            .name("sagaview-store-writer".into())
            .spawn(move || writer(store, rx))?;
        Ok(Self {
            state_machine_arn,
            state_machine_name,
            jobs: Mutex::new(tx),
            terminal: Mutex::new(HashMap::new()),
        })
    }

    /// Waits until everything recorded so far is committed.
    pub async fn flush(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(Job::Flush(tx));
        // An error means the writer is gone; there is nothing left to wait for.
        let _ = rx.await;
    }

    fn send(&self, job: Job) {
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(job);
        if sent.is_err() {
            tracing::error!("the store writer has stopped; history is no longer recorded");
        }
    }

    fn started(&self, arn: &str, event: &HistoryEvent, json: String, id: i64) -> StoreWrite {
        let input = match &event.details {
            Some(EventDetails::ExecutionStarted(d)) => d.input.clone(),
            _ => "{}".to_string(),
        };
        let labels = serde_json::from_str::<serde_json::Value>(&input)
            .ok()
            .map(|v| {
                let pick = |k: &str| v.get(k).cloned().unwrap_or(serde_json::Value::Null);
                serde_json::json!({"run_type": pick("run_type"), "trip_id": pick("trip_id")})
            })
            .unwrap_or_default();
        StoreWrite::Start {
            record: ExecutionRecord {
                execution_arn: arn.to_string(),
                name: arn.rsplit(':').next().unwrap_or(arn).to_string(),
                state_machine_arn: self.state_machine_arn.clone(),
                state_machine_name: self.state_machine_name.clone(),
                status: ExecutionStatus::Running,
                input,
                output: None,
                error: None,
                cause: None,
                start_date: event.timestamp,
                stop_date: None,
                labels,
            },
            events: vec![(id, json)],
        }
    }
}

/// Commits queued writes in batches until every sender is gone.
fn writer(store: Store, jobs: Receiver<Job>) {
    let mut writes = Vec::with_capacity(MAX_BATCH);
    let mut flushes = Vec::new();
    while let Ok(first) = jobs.recv() {
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Write(w) => writes.push(*w),
                Job::Flush(f) => flushes.push(f),
            }
            if writes.len() < MAX_BATCH {
                next = jobs.try_recv().ok();
            }
        }
        for e in store.write_batch(&writes) {
            tracing::error!(error = %e, "could not store history");
        }
        writes.clear();
        for f in flushes.drain(..) {
            let _ = f.send(());
        }
    }
}

impl ExecutionObserver for StoreRecorder {
    fn on_event(&self, execution_arn: &str, event: &HistoryEvent) {
        let (json, id) = match (serde_json::to_string(event), i64::try_from(event.id)) {
            (Ok(json), Ok(id)) => (json, id),
            (Err(e), _) => {
                tracing::error!(execution_arn, error = %e, "could not encode a history event");
                return;
            }
            (_, Err(e)) => {
                tracing::error!(execution_arn, error = %e, "history event id out of range");
                return;
            }
        };
        let write = match event.event_type {
            EventType::ExecutionStarted => self.started(execution_arn, event, json, id),
            EventType::ExecutionSucceeded
            | EventType::ExecutionFailed
            | EventType::ExecutionAborted
            | EventType::ExecutionTimedOut => {
                self.terminal
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(execution_arn.to_string(), (id, json));
                return;
            }
            _ => StoreWrite::Events {
                arn: execution_arn.to_string(),
                events: vec![(id, json)],
            },
        };
        self.send(Job::Write(Box::new(write)));
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
        self.send(Job::Write(Box::new(StoreWrite::Finish {
            arn: d.execution_arn.clone(),
            events: terminal.into_iter().collect(),
            outcome,
        })));
    }
}
