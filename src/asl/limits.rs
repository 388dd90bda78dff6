//! The limits Step Functions keeps, in one place, each with the AWS documentation that
//! sets it. The loader refuses a definition outside them (as CreateStateMachine
//! answers `InvalidDefinition`), and the runtime ends an execution that reaches one
//! with the error AWS names for it: a definition is the user's to write, and none may
//! make the runtime panic, overflow its stack or run without end.

use std::time::Duration;

/// The longest state name, in characters.
///
/// AWS Step Functions API reference, `StateEnteredEventDetails`: "name — The name of
/// the state. Type: String. Length Constraints: Minimum length of 1. Maximum length of
/// 80." (so also for `StateExitedEventDetails`).
pub const MAX_STATE_NAME_CHARS: usize = 80;

/// The largest payload (a state's input or output, a task's result, an execution's
/// input or output), in bytes of its UTF-8 text.
///
/// AWS developer guide, "Step Functions service quotas": "Maximum input or output size
/// for a task, state, or execution: 256 KiB of data as a UTF-8 encoded string." An
/// execution that goes over it fails with `States.DataLimitExceeded` (developer guide,
/// "Error names": reported when "the output of a state is larger than payload size
/// quota", "the output of a connector is larger than payload size quota", or "the
/// input of a state is larger than payload size quota after Parameters processing").
pub const MAX_PAYLOAD_BYTES: usize = 262_144;

/// The most events one execution's history may hold, its last event included.
///
/// AWS developer guide, "Step Functions service quotas": "Maximum execution history
/// size: 25,000 events in a single state machine execution history." An execution that
/// reaches it fails with `States.Runtime` and the cause [`HISTORY_LIMIT_CAUSE`], as
/// the service reports it.
pub const MAX_HISTORY_EVENTS: u64 = 25_000;

/// The cause of the failure of an execution that reached [`MAX_HISTORY_EVENTS`].
pub const HISTORY_LIMIT_CAUSE: &str =
    "The execution reached the maximum number of history events (25000).";

/// The longest an execution may run, whatever its `TimeoutSeconds`.
///
/// AWS developer guide, "Step Functions service quotas": "Maximum execution time:
/// 1 year. If an execution runs for more than the 1-year maximum, it will fail with a
/// States.Timeout error and emit a ExecutionsTimedOut CloudWatch metric." One year of
/// 366 days, as [`MAX_RETRY_DELAY_SECONDS`] counts it.
pub const MAX_EXECUTION_TIME: Duration = Duration::from_secs(31_622_400);

/// The largest value of `MaxAttempts`.
///
/// AWS developer guide, "Handling errors in Step Functions workflows": "A value of 0
/// specifies that the error or errors are never retried. MaxAttempts has a maximum
/// value of 99999999."
pub const MAX_RETRY_ATTEMPTS: u64 = 99_999_999;

/// The largest number of seconds the language takes anywhere a number of seconds is
/// written: `IntervalSeconds`, a Wait state's `Seconds`, `TimeoutSeconds` and
/// `HeartbeatSeconds`.
///
/// AWS developer guide, "Wait workflow state": "You must specify time as an integer
/// value from 0 to 99999999"; "Handling errors": "IntervalSeconds ... has a maximum
/// value of 99999999"; "Task workflow state": `TimeoutSeconds` defaults to 99999999.
pub const MAX_SECONDS: u64 = 99_999_999;

/// The largest `MaxDelaySeconds` of a retrier.
///
/// AWS developer guide, "Handling errors": "A positive integer that sets the maximum
/// value, in seconds, up to which a retry interval can increase. [...] You must
/// specify a value greater than 0 and less than 31622401 for MaxDelaySeconds. If you
/// don't specify this value, Step Functions doesn't limit the wait times between retry
/// attempts." (An unlimited wait still ends with the execution, at
/// [`MAX_EXECUTION_TIME`].)
pub const MAX_RETRY_DELAY_SECONDS: u64 = 31_622_400;

/// The most intrinsic functions one field may nest.
///
/// AWS developer guide, "Intrinsic functions for JSONPath states": "You can nest up to
/// 10 intrinsic functions within a field in your workflows."
pub const MAX_INTRINSIC_NESTING: usize = 10;

/// The longest array `States.ArrayRange` makes.
///
/// AWS developer guide, "Intrinsic functions": "The new array can contain up to 1000
/// elements"; "The newly generated array can't contain more than 1000 items."
pub const MAX_ARRAY_RANGE_ITEMS: usize = 1000;

/// The deepest a state's document may nest (objects and arrays within one another).
///
/// AWS documents no figure for this; the service's JSON reader refuses documents
/// nested deeper than this (the default of the Jackson library it is built on). Here
/// it keeps a loop of states that wraps its input in one more object at every step
/// (`"Parameters": {"x.$": "$"}`) from nesting a document so deep that writing,
/// reading or dropping it overflows the stack: such an execution fails with
/// `States.Runtime`.
pub const MAX_DOCUMENT_DEPTH: usize = 1000;

/// Whether `value` nests deeper than [`MAX_DOCUMENT_DEPTH`]; its recursion stops at
/// that depth, so it cannot itself overflow the stack.
pub fn too_deep(value: &serde_json::Value) -> bool {
    fn deeper(v: &serde_json::Value, budget: usize) -> bool {
        match v {
            serde_json::Value::Array(a) => budget == 0 || a.iter().any(|v| deeper(v, budget - 1)),
            serde_json::Value::Object(o) => {
                budget == 0 || o.values().any(|v| deeper(v, budget - 1))
            }
            _ => false,
        }
    }
    deeper(value, MAX_DOCUMENT_DEPTH)
}

/// The cause of the failure of a state whose document nests deeper than
/// [`MAX_DOCUMENT_DEPTH`].
pub fn too_deep_cause() -> String {
    format!("The state's document nests deeper than {MAX_DOCUMENT_DEPTH} levels.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn nested(depth: usize) -> Value {
        let mut v = json!(1);
        for _ in 0..depth {
            v = json!({ "x": v });
        }
        v
    }

    #[test]
    fn documents_up_to_the_depth_limit_pass() {
        assert!(!too_deep(&nested(MAX_DOCUMENT_DEPTH)));
        assert!(too_deep(&nested(MAX_DOCUMENT_DEPTH + 1)));
        assert!(!too_deep(&json!([[1], {"a": []}])));
    }
}
