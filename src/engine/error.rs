//! Errors raised while an execution runs (the `Error`/`Cause` pairs of ASL).

use crate::asl::path::{JsonPath, PathMiss};

/// A Step Functions error: a name such as `States.Timeout` and an optional cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatesError {
    /// The error name matched by `ErrorEquals`.
    pub error: String,
    /// Human-readable (often JSON) explanation.
    pub cause: Option<String>,
}

/// Error names with a fixed meaning.
pub mod names {
    /// A runtime problem in the definition's data handling; never retried or caught.
    pub const RUNTIME: &str = "States.Runtime";
    /// Task or execution timeout.
    pub const TIMEOUT: &str = "States.Timeout";
    /// A task went longer than its HeartbeatSeconds without a heartbeat. The AWS
    /// developer guide ("Error names") defines it, and counts it as a `States.Timeout`
    /// too ("ran longer than the TimeoutSeconds value, or failed to send a heartbeat
    /// for a period longer than the HeartbeatSeconds value").
    pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
    /// Payload above the 256 KiB service limit ([`crate::asl::limits::MAX_PAYLOAD_BYTES`]).
    pub const DATA_LIMIT: &str = "States.DataLimitExceeded";
    /// Matches every error (except `States.Runtime`).
    pub const ALL: &str = "States.ALL";
    /// Matches every error except `States.Timeout` (and `States.Runtime`).
    pub const TASK_FAILED: &str = "States.TaskFailed";
    /// Bad intrinsic function arguments.
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
}

impl StatesError {
    /// An error with a cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: Some(cause.into()),
        }
    }

    /// A `States.Runtime` error (the state prefix is added by the interpreter).
    pub fn runtime(cause: impl Into<String>) -> Self {
        Self::new(names::RUNTIME, cause)
    }

    /// `States.Timeout` as a task reports it: AWS records no cause.
    pub fn timeout() -> Self {
        Self {
            error: names::TIMEOUT.into(),
            cause: None,
        }
    }

    /// `States.HeartbeatTimeout`, without a cause like [`StatesError::timeout`].
    pub fn heartbeat_timeout() -> Self {
        Self {
            error: names::HEARTBEAT_TIMEOUT.into(),
            cause: None,
        }
    }

    /// `States.DataLimitExceeded` for the named state or task.
    pub fn data_limit(what: &str) -> Self {
        Self::new(
            names::DATA_LIMIT,
            format!(
                "The state/task '{what}' returned a result with a size exceeding the maximum number of bytes service limit."
            ),
        )
    }

    /// The `Invalid path` error of InputPath/OutputPath/ItemsPath.
    pub fn invalid_path(path: &JsonPath, miss: &PathMiss, last_segment_missing: bool) -> Self {
        let detail = if last_segment_missing {
            format!("No results for path: {}", miss.missing)
        } else {
            format!("Missing property in path {}", miss.missing)
        };
        Self::runtime(format!("Invalid path '{}' : {detail}", path.text()))
    }

    /// The error of a `.$` field whose path matched nothing.
    pub fn field_not_found(path: &JsonPath, field: &str, input: &serde_json::Value) -> Self {
        Self::runtime(format!(
            "The JSONPath '{}' specified for the field '{field}' could not be found in the input '{input}'",
            path.text()
        ))
    }

    /// Whether a retrier or catcher with this `ErrorEquals` handles the error.
    pub fn matches(&self, error_equals: &[String]) -> bool {
        if self.error == names::RUNTIME {
            return false;
        }
        let timeout = self.error == names::TIMEOUT || self.error == names::HEARTBEAT_TIMEOUT;
        error_equals.iter().any(|e| {
            e == &self.error
                || e == names::ALL
                || (e == names::TASK_FAILED && !timeout)
                || (e == names::TIMEOUT && timeout)
        })
    }

    /// The `{Error, Cause}` object a catcher hands to its next state; an absent error
    /// (empty name) or cause stays absent, as AWS omits absent members
    /// (`conformance/known-differences.md`, `fixture:map-fail-catch`).
    pub fn to_catch_output(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        if !self.error.is_empty() {
            map.insert("Error".into(), self.error.clone().into());
        }
        if let Some(cause) = &self.cause {
            map.insert("Cause".into(), cause.clone().into());
        }
        serde_json::Value::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_errors_are_never_matched() {
        let e = StatesError::runtime("x");
        assert!(!e.matches(&["States.ALL".into()]));
        assert!(!e.matches(&["States.Runtime".into()]));
    }

    #[test]
    fn task_failed_does_not_match_timeouts() {
        let t = StatesError::new(names::TIMEOUT, "t");
        assert!(!t.matches(&["States.TaskFailed".into()]));
        assert!(t.matches(&["States.ALL".into()]));
        let f = StatesError::new("Exception", "boom");
        assert!(f.matches(&["States.TaskFailed".into()]));
        assert!(f.matches(&["Exception".into()]));
        assert!(!f.matches(&["Lambda.Unknown".into()]));
    }
}
