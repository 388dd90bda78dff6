//! Persists what the engine does, event by event, into the embedded store.
//!
//! The engine hands every event over complete; the recorder writes each in its own
//! transaction, and the terminal event together with the final status in one, so a
//! reader (the UI, or the next process after a crash) never sees half an execution end.

use crate::engine::{ExecutionDescription, ExecutionObserver};
use crate::history::{EventDetails, EventType, HistoryEvent};
use crate::store::{ExecutionOutcome, ExecutionRecord, ExecutionStatus, Store};
use std::collections::HashMap;
use std::sync::Mutex;

/// An [`ExecutionObserver`] writing into a [`Store`].
pub struct StoreRecorder {
    store: Store,
    state_machine_arn: String,
    state_machine_name: String,
    /// Terminal events held back until `on_finished` writes them with the status.
    terminal: Mutex<HashMap<String, (i64, String)>>,
}

impl StoreRecorder {
    /// Records executions of one state machine.
    pub fn new(store: Store, state_machine_arn: String, state_machine_name: String) -> Self {
        Self {
            store,
            state_machine_arn,
            state_machine_name,
            terminal: Mutex::new(HashMap::new()),
        }
    }

    fn record_started(&self, arn: &str, event: &HistoryEvent) -> Result<(), String> {
        let input = match &event.details {
            Some(EventDetails::ExecutionStarted(d)) => d.input.clone(),
            _ => "{}".to_string(),
        };
        let labels: serde_json::Value = serde_json::from_str::<serde_json::Value>(&input)
            .ok()
            .map(|v| {
                let pick = |k: &str| v.get(k).cloned().unwrap_or(serde_json::Value::Null);
                serde_json::json!({"run_type": pick("run_type"), "trip_id": pick("trip_id")})
            })
            .unwrap_or_default();
        let record = ExecutionRecord {
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
        };
        self.store
            .insert_execution(&record)
            .map_err(|e| e.to_string())
    }

    fn write_event(&self, arn: &str, event: &HistoryEvent) -> Result<(), String> {
        let json = serde_json::to_string(event).map_err(|e| e.to_string())?;
        let id = i64::try_from(event.id).map_err(|e| e.to_string())?;
        match event.event_type {
            EventType::ExecutionStarted => {
                self.record_started(arn, event)?;
                self.store
                    .append_event(arn, id, &json)
                    .map_err(|e| e.to_string())
            }
            EventType::ExecutionSucceeded
            | EventType::ExecutionFailed
            | EventType::ExecutionAborted
            | EventType::ExecutionTimedOut => {
                self.terminal
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(arn.to_string(), (id, json));
                Ok(())
            }
            _ => self
                .store
                .append_event(arn, id, &json)
                .map_err(|e| e.to_string()),
        }
    }
}

impl ExecutionObserver for StoreRecorder {
    fn on_event(&self, execution_arn: &str, event: &HistoryEvent) {
        if let Err(e) = self.write_event(execution_arn, event) {
            tracing::error!(execution_arn, event_id = event.id, error = %e, "could not store a history event");
        }
    }

    fn on_finished(&self, d: &ExecutionDescription) {
        let terminal = self
            .terminal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&d.execution_arn);
        let status = match d.status.as_str().parse::<ExecutionStatus>() {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "unknown execution status");
                return;
            }
        };
        let stop = d.stop_date.unwrap_or(d.start_date);
        let outcome = match status {
            ExecutionStatus::Succeeded => {
                ExecutionOutcome::succeeded(d.output.clone().unwrap_or_default(), stop)
            }
            other => ExecutionOutcome::ended(other, d.error.clone(), d.cause.clone(), stop),
        };
        let events = terminal.as_ref().map(|(id, json)| (*id, json.as_str()));
        if let Err(e) = self
            .store
            .append_events_and_finish(&d.execution_arn, events, &outcome)
        {
            tracing::error!(execution_arn = %d.execution_arn, error = %e, "could not store an execution's end");
        }
    }
}
