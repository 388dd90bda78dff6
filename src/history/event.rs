//! `HistoryEvent` with exactly the member names of `GetExecutionHistory`.
//!
//! Payloads (`input`, `output`, `parameters`, `cause`) are JSON *text*, as AWS
//! returns them, so a consumer sees byte for byte what the service would show.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One event of an execution history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEvent {
    /// When the event happened.
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
    ($($name:ident),* $(,)?) => {
        /// Every history event type the engine emits (AWS names).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[allow(missing_docs)]
        pub enum EventType { $($name),* }

        impl EventType {
            /// The AWS name, e.g. `"ExecutionStarted"`.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$name => stringify!($name)),* }
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
);

impl EventType {
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
    pub input_details: PayloadDetails,
    pub role_arn: String,
}

/// `executionSucceededEventDetails`, `lambdaFunctionSucceededEventDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct OutputDetails {
    pub output: String,
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
    pub input_details: PayloadDetails,
}

/// `stateExitedEventDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct StateExitedDetails {
    pub name: String,
    pub output: String,
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
    pub output_details: PayloadDetails,
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
}
