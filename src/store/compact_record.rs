//! An execution's record as the in-memory store keeps it.
//!
//! A store of a hundred thousand runs keeps a record per run for good, and on a fresh
//! page every byte of it costs a page fault's share, so the record holds only what
//! differs between runs: the ARN is the store's key, the name is the ARN's last part
//! (unless it is not), the state machine is shared by all of its runs, and the labels
//! are their compact JSON text rather than a map. [`CompactRecord::to_record`] gives
//! back exactly the [`ExecutionRecord`] that was stored.

use super::executions::{ExecutionRecord, ExecutionStatus};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// A state machine's ARN and name, shared by the records of its executions.
#[derive(PartialEq, Eq)]
pub(super) struct Machine {
    arn: String,
    name: String,
}

/// The state machines the store's records point at: a handful, so a list will do.
#[derive(Default)]
pub(super) struct Machines(Vec<Arc<Machine>>);

impl Machines {
    fn get(&mut self, arn: &str, name: &str) -> Arc<Machine> {
        if let Some(m) = self.0.iter().find(|m| m.arn == arn && m.name == name) {
            return m.clone();
        }
        let m = Arc::new(Machine {
            arn: arn.to_owned(),
            name: name.to_owned(),
        });
        self.0.push(m.clone());
        m
    }
}

/// An [`ExecutionRecord`] without its ARN (the store's key).
pub(super) struct CompactRecord {
    /// `None` when the name is the ARN's last part, as it is for every execution the
    /// runtime starts.
    name: Option<Box<str>>,
    machine: Arc<Machine>,
    pub(super) status: ExecutionStatus,
    input: Box<str>,
    pub(super) output: Option<Box<str>>,
    pub(super) error: Option<Box<str>>,
    pub(super) cause: Option<Box<str>>,
    pub(super) start_date: DateTime<Utc>,
    pub(super) stop_date: Option<DateTime<Utc>>,
    /// The labels' compact JSON text; `None` for `null`.
    labels: Option<Box<str>>,
}

/// The last part of an execution ARN: its name.
fn arn_name(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

impl CompactRecord {
    /// The record to keep for `record`, its state machine shared through `machines`.
    pub(super) fn new(record: &ExecutionRecord, machines: &mut Machines) -> Self {
        let r = record;
        CompactRecord {
            name: (r.name != arn_name(&r.execution_arn)).then(|| r.name.as_str().into()),
            machine: machines.get(&r.state_machine_arn, &r.state_machine_name),
            status: r.status,
            input: r.input.as_str().into(),
            output: r.output.as_deref().map(Into::into),
            error: r.error.as_deref().map(Into::into),
            cause: r.cause.as_deref().map(Into::into),
            start_date: r.start_date,
            stop_date: r.stop_date,
            // Written straight into a buffer (`Display` would go through a formatter).
            labels: (!r.labels.is_null())
                .then(|| serde_json::to_string(&r.labels).ok())
                .flatten()
                .map(Into::into),
        }
    }

    /// The whole record of the execution `arn`.
    pub(super) fn to_record(&self, arn: &str) -> ExecutionRecord {
        let text = |s: &Option<Box<str>>| s.as_deref().map(str::to_owned);
        ExecutionRecord {
            execution_arn: arn.to_owned(),
            name: self.name.as_deref().unwrap_or(arn_name(arn)).to_owned(),
            state_machine_arn: self.machine.arn.clone(),
            state_machine_name: self.machine.name.clone(),
            status: self.status,
            input: self.input.as_ref().to_owned(),
            output: text(&self.output),
            error: text(&self.error),
            cause: text(&self.cause),
            start_date: self.start_date,
            stop_date: self.stop_date,
            // Written from a `Value` just above: it reads back as that value.
            labels: self
                .labels
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(arn: &str, name: &str, labels: serde_json::Value) -> ExecutionRecord {
        ExecutionRecord {
            execution_arn: arn.into(),
            name: name.into(),
            state_machine_arn: "arn:aws:states:us-east-1:1:stateMachine:m".into(),
            state_machine_name: "m".into(),
            status: ExecutionStatus::Failed,
            input: r#"{"trip_id":"t1"}"#.into(),
            output: None,
            error: Some("BookingFailed".into()),
            cause: Some("no \"rooms\"".into()),
            start_date: DateTime::from_timestamp_millis(1_700_000_000_123).unwrap(),
            stop_date: Some(DateTime::from_timestamp_millis(1_700_000_009_456).unwrap()),
            labels,
        }
    }

    #[test]
    fn a_record_reads_back_exactly_as_it_was_stored() {
        let mut machines = Machines::default();
        let arn = "arn:aws:states:us-east-1:1:execution:m:run-1";
        for r in [
            record(
                arn,
                "run-1",
                json!({"run_type": "failPayment", "trip_id": "t1"}),
            ),
            // A name that is not the ARN's last part, and no labels.
            record(arn, "another", serde_json::Value::Null),
            // Labels with member order and awkward text kept.
            record(arn, "run-1", json!({"z": 1, "a": ["é", null, 2.5]})),
        ] {
            let kept = CompactRecord::new(&r, &mut machines);
            assert_eq!(kept.to_record(arn), r);
        }
    }

    #[test]
    fn the_records_of_one_machine_share_it() {
        let mut machines = Machines::default();
        let a = CompactRecord::new(&record("arn:x:a", "a", json!(null)), &mut machines);
        let b = CompactRecord::new(&record("arn:x:b", "b", json!(null)), &mut machines);
        assert!(Arc::ptr_eq(&a.machine, &b.machine));
        let mut other = record("arn:x:c", "c", json!(null));
        other.state_machine_name = "n".into();
        let c = CompactRecord::new(&other, &mut machines);
        assert!(!Arc::ptr_eq(&a.machine, &c.machine));
        assert_eq!(c.to_record("arn:x:c"), other);
    }
}
