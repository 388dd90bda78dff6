//! Stepping a paused embedded runtime one history event at a time.
//!
//! A step lets the paused clock jump from timer to timer (see
//! [`Clock::set_stepping`]) until the execution being stepped records an event. The
//! clock is held again *inside* the recording of that event, before the execution
//! can reach its next wait, so exactly one event of that execution is added. A step to
//! the execution's last event ends once the status is stored with it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::engine::{Clock, ExecutionDescription, ExecutionObserver};
use crate::history::HistoryEvent;

/// How long a step may take in real time before it is given up: an execution waiting
/// for a task token, with no timer of its own, has no next event to step to.
pub const STEP_LIMIT: Duration = Duration::from_secs(5);

/// Watches for the next event of the executions being stepped.
pub struct StepWatch {
    clock: Clock,
    /// Set while any step waits: the one check every event pays otherwise.
    active: AtomicBool,
    waiting: Mutex<HashMap<String, oneshot::Sender<()>>>,
}

impl StepWatch {
    /// A watch holding `clock` again once a stepped execution records its event.
    pub fn new(clock: Clock) -> Arc<Self> {
        Arc::new(Self {
            clock,
            active: AtomicBool::new(false),
            waiting: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<()>>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Steps the paused clock until `execution_arn` records one more event; answers
    /// whether it did within [`STEP_LIMIT`].
    pub async fn step(&self, execution_arn: &str) -> bool {
        let (tx, rx) = oneshot::channel();
        self.lock().insert(execution_arn.to_owned(), tx);
        self.active.store(true, Ordering::Release);
        self.clock.set_stepping(true);
        let stepped = matches!(tokio::time::timeout(STEP_LIMIT, rx).await, Ok(Ok(())));
        let mut waiting = self.lock();
        waiting.remove(execution_arn);
        if waiting.is_empty() {
            self.active.store(false, Ordering::Release);
            self.clock.set_stepping(false);
        }
        stepped
    }

    fn release(&self, execution_arn: &str) {
        if !self.active.load(Ordering::Acquire) {
            return;
        }
        let mut waiting = self.lock();
        if let Some(tx) = waiting.remove(execution_arn) {
            if waiting.is_empty() {
                self.active.store(false, Ordering::Release);
                self.clock.set_stepping(false);
            }
            let _ = tx.send(());
        }
    }
}

impl ExecutionObserver for StepWatch {
    fn on_event(&self, execution_arn: &str, event: &HistoryEvent) {
        // The last event is stored with the execution's status: the step ends then.
        if !event.event_type.ends_execution() {
            self.release(execution_arn);
        }
    }

    fn on_finished(&self, description: &ExecutionDescription) {
        self.release(&description.execution_arn);
    }
}
