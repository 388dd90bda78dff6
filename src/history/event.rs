//! `HistoryEvent` with exactly the member names of `GetExecutionHistory`.
//!
//! Payloads (`input`, `output`, `parameters`, `cause`) are JSON *text*, as AWS
//! returns them, so a consumer sees byte for byte what the service would show.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One event of an execution history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEvent {
    /// When the event happened. Written as RFC 3339; read from that or from the epoch
    /// seconds the Step Functions wire protocol uses.
    #[serde(
        serialize_with = "wire_time::serialize",
        deserialize_with = "wire_time::deserialize"
    )]
    pub timestamp: DateTime<Utc>,
    /// The event type, e.g. `TaskStateEntered`.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// 1-based position in the history.
    pub id: u64,
    /// The event that caused this one (0 for none).
    #[serde(rename = "previousEventId")]
    pub previous_event_id: u64,
    /// The `*EventDetails` member, if the type has one.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub details: Option<EventDetails>,
}

macro_rules! event_types {
    ($($name:ident),* ; $(#[$attr:meta])* $last:ident) => {
        /// Every history event type the engine emits (AWS names).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[allow(missing_docs)]
        pub enum EventType { $($name,)* $(#[$attr])* $last }

        impl EventType {
            /// The AWS name, e.g. `"ExecutionStarted"`.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$name => stringify!($name),)* Self::$last => stringify!($last) }
            }
        }
    };
}

event_types!(
    ExecutionStarted,
    ExecutionSucceeded,
    ExecutionFailed,
    ExecutionAborted,
    ExecutionTimedOut,
    ExecutionRedriven,
    PassStateEntered,
    PassStateExited,
    TaskStateEntered,
    TaskStateExited,
    ChoiceStateEntered,
    ChoiceStateExited,
    WaitStateEntered,
    WaitStateExited,
    SucceedStateEntered,
    SucceedStateExited,
    FailStateEntered,
    ParallelStateEntered,
    ParallelStateExited,
    ParallelStateStarted,
    ParallelStateSucceeded,
    ParallelStateFailed,
    ParallelStateAborted,
    MapStateEntered,
    MapStateExited,
    MapStateStarted,
    MapStateSucceeded,
    MapStateFailed,
    MapStateAborted,
    MapIterationStarted,
    MapIterationSucceeded,
    MapIterationFailed,
    MapIterationAborted,
    TaskScheduled,
    TaskStarted,
    TaskSucceeded,
    TaskFailed,
    TaskTimedOut,
    LambdaFunctionScheduled,
    LambdaFunctionStarted,
    LambdaFunctionSucceeded,
    LambdaFunctionFailed,
    LambdaFunctionTimedOut,
    TaskSubmitted;
    /// A type this version does not model (AWS adds new ones); read, never emitted.
    #[serde(other)]
    Unrecognized
);

impl EventType {
    /// Whether the event ends its execution (succeeded, failed, aborted, timed out):
    /// the status is stored with it.
    pub fn ends_execution(self) -> bool {
        matches!(
            self,
            Self::ExecutionSucceeded
                | Self::ExecutionFailed
                | Self::ExecutionAborted
                | Self::ExecutionTimedOut
        )
    }

    /// Whether a state was entered (any `<Type>StateEntered`): where a state's visit starts.
    pub fn is_state_entered(self) -> bool {
        self.as_str().ends_with("StateEntered")
    }

    /// Whether a state was left (any `<Type>StateExited`).
    pub fn is_state_exited(self) -> bool {
        self.as_str().ends_with("StateExited")
    }

    /// `<Type>StateEntered` for a state type name (`"Pass"`, `"Task"`, ...).
    pub fn state_entered(state_type: &str) -> Self {
        match state_type {
            "Pass" => Self::PassStateEntered,
            "Task" => Self::TaskStateEntered,
            "Choice" => Self::ChoiceStateEntered,
            "Wait" => Self::WaitStateEntered,
            "Succeed" => Self::SucceedStateEntered,
            "Fail" => Self::FailStateEntered,
            "Parallel" => Self::ParallelStateEntered,
            _ => Self::MapStateEntered,
        }
    }

    /// `<Type>StateExited` for a state type name; Fail states never exit.
    pub fn state_exited(state_type: &str) -> Option<Self> {
        Some(match state_type {
            "Pass" => Self::PassStateExited,
            "Task" => Self::TaskStateExited,
            "Choice" => Self::ChoiceStateExited,
            "Wait" => Self::WaitStateExited,
            "Succeed" => Self::SucceedStateExited,
            "Parallel" => Self::ParallelStateExited,
            "Map" => Self::MapStateExited,
            _ => return None,
        })
    }
}

/// `inputDetails` / `outputDetails`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PayloadDetails {
    /// Whether the payload was truncated (never, here).
    pub truncated: bool,
}

impl PayloadDetails {
    /// A payload written whole (the engine never truncates one).
    pub const fn untruncated() -> Self {
        Self { truncated: false }
    }
}

/// The `*EventDetails` member, named as AWS names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum EventDetails {
    #[serde(rename = "executionStartedEventDetails")]
    ExecutionStarted(ExecutionStartedDetails),
    #[serde(rename = "executionSucceededEventDetails")]
    ExecutionSucceeded(OutputDetails),
    #[serde(rename = "executionFailedEventDetails")]
    ExecutionFailed(ErrorDetails),
    #[serde(rename = "executionAbortedEventDetails")]
    ExecutionAborted(ErrorDetails),
    #[serde(rename = "executionTimedOutEventDetails")]
    ExecutionTimedOut(ErrorDetails),
    #[serde(rename = "executionRedrivenEventDetails")]
    ExecutionRedriven(ExecutionRedrivenDetails),
    #[serde(rename = "stateEnteredEventDetails")]
    StateEntered(StateEnteredDetails),
    #[serde(rename = "stateExitedEventDetails")]
    StateExited(StateExitedDetails),
    #[serde(rename = "taskScheduledEventDetails")]
    TaskScheduled(TaskScheduledDetails),
    #[serde(rename = "taskStartedEventDetails")]
    TaskStarted(TaskResourceDetails),
    #[serde(rename = "taskSucceededEventDetails")]
    TaskSucceeded(TaskSucceededDetails),
    #[serde(rename = "taskSubmittedEventDetails")]
    TaskSubmitted(TaskSubmittedDetails),
    #[serde(rename = "taskFailedEventDetails")]
    TaskFailed(TaskErrorDetails),
    #[serde(rename = "taskTimedOutEventDetails")]
    TaskTimedOut(TaskErrorDetails),
    #[serde(rename = "lambdaFunctionScheduledEventDetails")]
    LambdaFunctionScheduled(LambdaScheduledDetails),
    #[serde(rename = "lambdaFunctionSucceededEventDetails")]
    LambdaFunctionSucceeded(OutputDetails),
    #[serde(rename = "lambdaFunctionFailedEventDetails")]
    LambdaFunctionFailed(ErrorDetails),
    #[serde(rename = "lambdaFunctionTimedOutEventDetails")]
    LambdaFunctionTimedOut(ErrorDetails),
    #[serde(rename = "mapStateStartedEventDetails")]
    MapStateStarted(MapStateStartedDetails),
    #[serde(rename = "mapIterationStartedEventDetails")]
    MapIterationStarted(MapIterationDetails),
    #[serde(rename = "mapIterationSucceededEventDetails")]
    MapIterationSucceeded(MapIterationDetails),
    #[serde(rename = "mapIterationFailedEventDetails")]
    MapIterationFailed(MapIterationDetails),
    #[serde(rename = "mapIterationAbortedEventDetails")]
    MapIterationAborted(MapIterationDetails),
}

/// `executionStartedEventDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct ExecutionStartedDetails {
    pub input: String,
    #[serde(default)]
    pub input_details: PayloadDetails,
    pub role_arn: String,
}

/// `executionRedrivenEventDetails`: which redrive of the execution this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct ExecutionRedrivenDetails {
    pub redrive_count: u32,
}

/// `executionSucceededEventDetails`, `lambdaFunctionSucceededEventDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct OutputDetails {
    pub output: String,
    #[serde(default)]
    pub output_details: PayloadDetails,
}

/// Error/cause pairs (`executionFailedEventDetails`, `lambdaFunctionFailedEventDetails`, ...).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ErrorDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

/// `stateEnteredEventDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct StateEnteredDetails {
    pub name: String,
    pub input: String,
    #[serde(default)]
    pub input_details: PayloadDetails,
}

/// `stateExitedEventDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct StateExitedDetails {
    pub name: String,
    pub output: String,
    #[serde(default)]
    pub output_details: PayloadDetails,
}

/// `taskScheduledEventDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct TaskScheduledDetails {
    pub resource_type: String,
    pub resource: String,
    pub region: String,
    pub parameters: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_in_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_in_seconds: Option<u64>,
}

/// `taskStartedEventDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct TaskResourceDetails {
    pub resource_type: String,
    pub resource: String,
}

/// `taskSucceededEventDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct TaskSucceededDetails {
    pub resource_type: String,
    pub resource: String,
    pub output: String,
    #[serde(default)]
    pub output_details: PayloadDetails,
}

/// `taskSubmittedEventDetails`. Unlike a succeeded task's, the output (the service's
/// response when the task was submitted) is optional in the API reference
/// (`TaskSubmittedEventDetails`: `output` and `outputDetails` are "Required: No"), so an
/// AWS event without it still parses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct TaskSubmittedDetails {
    pub resource_type: String,
    pub resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_details: Option<PayloadDetails>,
}

/// `taskFailedEventDetails`, `taskTimedOutEventDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct TaskErrorDetails {
    pub resource_type: String,
    pub resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

/// `lambdaFunctionScheduledEventDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct LambdaScheduledDetails {
    pub resource: String,
    pub input: String,
    #[serde(default)]
    pub input_details: PayloadDetails,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_in_seconds: Option<u64>,
}

/// `mapStateStartedEventDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct MapStateStartedDetails {
    pub length: u64,
}

/// `mapIteration*EventDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct MapIterationDetails {
    pub name: String,
    pub index: u64,
}

/// Timestamps as either side writes them: RFC 3339 text (AWS CLI output, the store) or
/// epoch seconds with a fraction (the awsJson wire protocol).
pub(crate) mod wire_time {
    use chrono::{DateTime, Datelike, Timelike, Utc};
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};

    /// Writes `value` as `width` decimal digits at `at`.
    fn put(buf: &mut [u8; 32], at: usize, mut value: u32, width: usize) {
        for slot in buf[at..at + width].iter_mut().rev() {
            *slot = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }

    /// Writes what chrono's own `Serialize` writes (RFC 3339, `Z`, as many fraction
    /// digits as the time needs), without its formatting machinery: every stored or
    /// listed event writes one.
    pub(crate) fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 32];
        match rfc3339(t, &mut buf).map(|n| std::str::from_utf8(&buf[..n])) {
            Some(Ok(text)) => s.serialize_str(text),
            // Years beyond four digits and leap seconds: chrono knows how.
            _ => t.serialize(s),
        }
    }

    fn written_here(year: i32, nano: u32) -> bool {
        (0..=9999).contains(&year) && nano < 1_000_000_000
    }

    /// The text into `buf`, returning its length; `None` for what chrono writes
    /// specially.
    pub(crate) fn rfc3339(t: &DateTime<Utc>, buf: &mut [u8; 32]) -> Option<usize> {
        // One calendar conversion: each of `DateTime`'s own accessors makes its own.
        let naive = t.naive_utc();
        let (date, time) = (naive.date(), naive.time());
        let nano = time.nanosecond();
        if !written_here(date.year(), nano) {
            return None;
        }
        let year = u32::try_from(date.year()).ok()?;
        let seconds = time.num_seconds_from_midnight();
        buf[..19].copy_from_slice(b"0000-00-00T00:00:00");
        put(buf, 0, year, 4);
        put(buf, 5, date.month(), 2);
        put(buf, 8, date.day(), 2);
        put(buf, 11, seconds / 3600, 2);
        put(buf, 14, seconds / 60 % 60, 2);
        put(buf, 17, seconds % 60, 2);
        let mut n = 19;
        let (fraction, width) = if nano == 0 {
            (0, 0)
        } else if nano.is_multiple_of(1_000_000) {
            (nano / 1_000_000, 3)
        } else if nano.is_multiple_of(1_000) {
            (nano / 1_000, 6)
        } else {
            (nano, 9)
        };
        if width > 0 {
            buf[n] = b'.';
            put(buf, n + 1, fraction, width);
            n += 1 + width;
        }
        buf[n] = b'Z';
        Some(n + 1)
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Wire {
        Seconds(f64),
        Text(String),
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        match Wire::deserialize(d)? {
            Wire::Seconds(s) if s.is_finite() => {
                let millis = (s * 1000.0).round() as i64;
                DateTime::from_timestamp_millis(millis)
                    .ok_or_else(|| D::Error::custom(format!("timestamp {s} is out of range")))
            }
            Wire::Seconds(s) => Err(D::Error::custom(format!("timestamp {s} is not a time"))),
            Wire::Text(t) => DateTime::parse_from_rfc3339(&t)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| D::Error::custom(format!("timestamp {t:?}: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_with_aws_member_names() {
        let event = HistoryEvent {
            timestamp: DateTime::from_timestamp(0, 0).unwrap(),
            event_type: EventType::TaskScheduled,
            id: 3,
            previous_event_id: 2,
            details: Some(EventDetails::TaskScheduled(TaskScheduledDetails {
                resource_type: "lambda".into(),
                resource: "invoke".into(),
                region: "us-east-1".into(),
                parameters: "{}".into(),
                timeout_in_seconds: None,
                heartbeat_in_seconds: None,
            })),
        };
        let v = serde_json::to_value(&event).unwrap();
        assert_eq!(v["type"], "TaskScheduled");
        assert_eq!(v["previousEventId"], 2);
        assert_eq!(v["taskScheduledEventDetails"]["resourceType"], "lambda");
        assert!(
            v["taskScheduledEventDetails"]
                .get("timeoutInSeconds")
                .is_none()
        );
        let back: HistoryEvent = serde_json::from_value(v).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn timestamps_are_written_as_chrono_writes_them() {
        let times = [
            DateTime::from_timestamp(0, 0).unwrap(),
            DateTime::from_timestamp_millis(1_795_698_104_234).unwrap(),
            DateTime::from_timestamp(1_795_698_104, 120_000).unwrap(),
            DateTime::from_timestamp(1_795_698_104, 7).unwrap(),
            DateTime::from_timestamp(1_795_698_104, 100_000_000).unwrap(),
            // A leap second, year 0, the last four-digit year, and beyond.
            DateTime::from_timestamp(1_483_228_799, 1_500_000_000).unwrap(),
            DateTime::parse_from_rfc3339("0000-01-01T00:00:00Z")
                .unwrap()
                .to_utc(),
            DateTime::parse_from_rfc3339("9999-12-31T23:59:59.999999999Z")
                .unwrap()
                .to_utc(),
            DateTime::from_timestamp(300_000_000_000, 5_000).unwrap(),
            DateTime::from_timestamp(-70_000_000_000, 0).unwrap(),
        ];
        let mut fast = 0;
        for t in times {
            let mut event = HistoryEvent {
                timestamp: t,
                event_type: EventType::PassStateEntered,
                id: 1,
                previous_event_id: 0,
                details: None,
            };
            let v = serde_json::to_value(&event).unwrap();
            assert_eq!(v["timestamp"], serde_json::to_value(t).unwrap(), "{t:?}");
            fast += usize::from(wire_time::rfc3339(&t, &mut [0; 32]).is_some());
            event.timestamp = serde_json::from_value(v["timestamp"].clone()).unwrap();
            assert_eq!(event.timestamp, t);
        }
        // Only the leap second and the five-digit years go to chrono.
        assert_eq!(fast, 7);
    }

    #[test]
    fn a_task_submitted_event_without_output_parses() {
        let text = r#"{"timestamp": 1700000000.5, "type": "TaskSubmitted", "id": 5,
            "previousEventId": 4, "taskSubmittedEventDetails":
            {"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken"}}"#;
        let event: HistoryEvent = serde_json::from_str(text).unwrap();
        let Some(EventDetails::TaskSubmitted(d)) = &event.details else {
            panic!("taskSubmittedEventDetails: {event:?}");
        };
        assert_eq!((d.output.as_deref(), d.output_details), (None, None));
        let back = serde_json::to_value(&event).unwrap();
        assert_eq!(
            back["taskSubmittedEventDetails"],
            serde_json::json!({"resourceType": "sqs", "resource": "sendMessage.waitForTaskToken"})
        );
    }

    #[test]
    fn events_without_details_have_no_details_member() {
        let event = HistoryEvent {
            timestamp: DateTime::from_timestamp(0, 0).unwrap(),
            event_type: EventType::LambdaFunctionStarted,
            id: 4,
            previous_event_id: 3,
            details: None,
        };
        let v = serde_json::to_value(&event).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 4);
    }

    #[test]
    fn reads_the_wire_shape_including_what_it_does_not_model() {
        let page = r#"[
          {"timestamp": 1795698104.234, "type": "ExecutionStarted", "id": 1, "previousEventId": 0,
           "executionStartedEventDetails": {"input": "{}", "inputDetails": {"truncated": false},
             "roleArn": "arn:aws:iam::123456789012:role/x"}},
          {"timestamp": 1795698105.5, "type": "ActivityScheduled", "id": 2, "previousEventId": 1,
           "activityScheduledEventDetails": {"resource": "x"}},
          {"timestamp": "2026-11-26T12:00:00.123Z", "type": "WaitStateEntered", "id": 3,
           "previousEventId": 2, "stateEnteredEventDetails": {"name": "W", "input": "{}"}}
        ]"#;
        let events: Vec<HistoryEvent> = serde_json::from_str(page).unwrap();
        assert_eq!(events[0].timestamp.timestamp_millis(), 1_795_698_104_234);
        assert_eq!(events[1].event_type, EventType::Unrecognized);
        assert_eq!(events[1].details, None);
        assert_eq!(events[2].timestamp.timestamp_millis() % 1000, 123);
        let bad = r#"{"timestamp": "yesterday", "type": "ExecutionStarted", "id": 1, "previousEventId": 0}"#;
        let err = serde_json::from_str::<HistoryEvent>(bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("yesterday"), "{err}");
    }
}
