//! `describe-execution` as the AWS CLI prints it, built from what any backend knows of
//! an execution (its summary and its history), and read back from a file.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::cli_json::serialize_timestamp;
use crate::backend::ExecutionSummary;
use crate::history::event::wire_time;
use crate::history::{EventDetails, ExecutionStatus, HistoryEvent};

/// `inputDetails` / `outputDetails` of DescribeExecution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Included {
    /// Whether the payload is in the response (always, for API calls).
    pub included: bool,
}

/// The DescribeExecution response, members in the API's order (the order the CLI
/// prints them). Members this version does not know are skipped when read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct DescribedExecution {
    pub execution_arn: String,
    pub state_machine_arn: String,
    #[serde(default)]
    pub name: String,
    /// Kept as text: AWS has statuses this version does not model (`PENDING_REDRIVE`).
    pub status: String,
    #[serde(
        serialize_with = "serialize_timestamp",
        deserialize_with = "wire_time::deserialize"
    )]
    pub start_date: DateTime<Utc>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_optional_timestamp",
        deserialize_with = "deserialize_optional_timestamp"
    )]
    pub stop_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_details: Option<Included>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_details: Option<Included>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_header: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_run_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_machine_version_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_machine_alias_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redrive_count: Option<u32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_optional_timestamp",
        deserialize_with = "deserialize_optional_timestamp"
    )]
    pub redrive_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redrive_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redrive_status_reason: Option<String>,
}

fn serialize_optional_timestamp<S: Serializer>(
    t: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => serialize_timestamp(t, s),
        None => s.serialize_none(),
    }
}

fn deserialize_optional_timestamp<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    wire_time::deserialize(d).map(Some)
}

/// The execution's input, as its `ExecutionStarted` event recorded it.
fn started_input(events: &[HistoryEvent]) -> Option<String> {
    events.iter().find_map(|e| match &e.details {
        Some(EventDetails::ExecutionStarted(d)) => Some(d.input.clone()),
        _ => None,
    })
}

impl DescribedExecution {
    /// What DescribeExecution answers for an execution a backend summarised: the input
    /// comes from the history (summaries leave it out); the redrive facts are the
    /// backend's where it states them, else follow the status as Step Functions words
    /// them for an execution that can be redriven if it ended unsuccessfully.
    pub fn from_summary(
        summary: &ExecutionSummary,
        state_machine_arn: &str,
        events: &[HistoryEvent],
    ) -> Self {
        let input = started_input(events);
        let redrive = &summary.redrive;
        let (redrive_status, reason) = match (&redrive.status, summary.status) {
            (Some(status), _) => (status.clone(), redrive.status_reason.clone()),
            (
                None,
                ExecutionStatus::Failed | ExecutionStatus::TimedOut | ExecutionStatus::Aborted,
            ) => ("REDRIVABLE".to_owned(), None),
            (None, status) => (
                "NOT_REDRIVABLE".to_owned(),
                Some(format!("Execution is {status} and cannot be redriven")),
            ),
        };
        Self {
            execution_arn: summary.execution_arn.clone(),
            state_machine_arn: state_machine_arn.to_string(),
            name: summary.name.clone(),
            status: summary.status.as_str().to_string(),
            start_date: summary.start_date,
            stop_date: summary.stop_date,
            input_details: input.as_ref().map(|_| Included { included: true }),
            input,
            output_details: summary.output.as_ref().map(|_| Included { included: true }),
            output: summary.output.clone(),
            trace_header: None,
            map_run_arn: None,
            error: summary.error.clone(),
            cause: summary.cause.clone(),
            state_machine_version_arn: None,
            state_machine_alias_arn: None,
            redrive_count: Some(redrive.count),
            redrive_date: redrive.date,
            redrive_status: Some(redrive_status),
            redrive_status_reason: reason,
        }
    }

    /// The summary lists show; a status newer than this version reads as running.
    pub fn summary(&self) -> ExecutionSummary {
        let (run_type, trip_id) =
            ExecutionSummary::labels_from_input(self.input.as_deref().unwrap_or(""));
        ExecutionSummary {
            execution_arn: self.execution_arn.clone(),
            name: self.name.clone(),
            status: self.status.parse().unwrap_or(ExecutionStatus::Running),
            start_date: self.start_date,
            stop_date: self.stop_date,
            run_type,
            trip_id,
            error: self.error.clone(),
            cause: self.cause.clone(),
            output: self.output.clone(),
            redrive: crate::backend::RedriveFacts {
                count: self.redrive_count.unwrap_or(0),
                date: self.redrive_date,
                status: self.redrive_status.clone(),
                status_reason: self.redrive_status_reason.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_cli_prints_in_either_timestamp_form() {
        for (start, stop) in [
            (
                r#""2024-05-01T12:00:00.123000+02:00""#,
                r#""2024-05-01T10:00:01+00:00""#,
            ),
            ("1714557600.123", "1714557601"),
        ] {
            let text = format!(
                r#"{{"executionArn": "arn:aws:states:us-east-1:1:execution:M:e", "stateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:M",
                "name": "e", "status": "SUCCEEDED", "startDate": {start}, "stopDate": {stop},
                "input": "{{}}", "inputDetails": {{"included": true}}, "traceHeader": "x", "redriveCount": 0}}"#
            );
            let d: DescribedExecution = serde_json::from_str(&text).unwrap();
            assert_eq!(d.start_date.timestamp_millis(), 1_714_557_600_123);
            assert_eq!(d.stop_date.unwrap().timestamp(), 1_714_557_601);
            assert_eq!(d.summary().status, ExecutionStatus::Succeeded);
        }
    }
}
