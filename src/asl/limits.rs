//! The limits Step Functions keeps, in one place, each with the AWS documentation that
//! sets it. The loader refuses a definition outside them (as CreateStateMachine
//! answers `InvalidDefinition`), and the runtime ends an execution that reaches one
//! with the error AWS names for it: a definition is the user's to write, and none may
//! make the runtime panic, overflow its stack or run without end.

use std::time::Duration;

/// The largest definition, in bytes of its text.
///
/// AWS developer guide, "Step Functions service quotas": "Maximum size of state machine
/// definition: 1 MB (hard quota)"; taken as a mebibyte.
pub const MAX_DEFINITION_BYTES: usize = 1 << 20;

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

/// The deepest brackets and parentheses may nest in a JSONPath (filters within
/// filters, `$[?(@[?(@ ...`).
///
/// AWS documents no figure for this. Any path a definition would hold nests far less;
/// a deeper one is refused at load, before the query parser recurses into it: it
/// recurses once per level (thousands of levels overflow the stack) and, on nested
/// filters, takes about twice as long for each level more.
pub const MAX_PATH_NESTING: usize = 16;

/// The longest array `States.ArrayRange` makes.
///
/// AWS developer guide, "Intrinsic functions": "The new array can contain up to 1000
/// elements"; "The newly generated array can't contain more than 1000 items."
pub const MAX_ARRAY_RANGE_ITEMS: usize = 1000;

/// The most values a payload template (or an intrinsic call) may copy from its input
/// before the document it builds is measured as it grows.
///
/// A template that copies no more than this many is not measured: what it builds is
/// at most that many times a state's input, itself within [`MAX_PAYLOAD_BYTES`], and
/// the saga's templates stay free of the cost. Past it, the document is measured as
/// it is built, and building stops with `States.DataLimitExceeded` once it is over the
/// payload limit (see [`text_len_within`]): a definition of many `"k.$": "$"` members,
/// or of `States.Array($, $, ...)`, could otherwise copy a large input more times
/// than memory holds.
pub const UNMEASURED_COPIES: usize = 16;

/// The deepest a state's document may nest (objects and arrays within one another).
///
/// AWS documents no figure for this; 1000 is the nesting limit JSON readers commonly
/// default to (Jackson's `StreamReadConstraints`, for one). Here it keeps a loop of states that wraps its input in one more object at every step
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

/// The length of `value`'s compact JSON text, if it is at most `budget` bytes; `None`
/// as soon as it is found to be longer, without measuring the rest.
///
/// Measured short of the text (escapes and numbers' digits past the first are not
/// counted), so a value found too long certainly is: building a document from a
/// template can then be stopped at the first member that takes it over the payload
/// limit, before copying a large input once per member exhausts memory.
pub fn text_len_within(value: &serde_json::Value, budget: usize) -> Option<usize> {
    fn add(total: &mut usize, n: usize, budget: usize) -> Option<()> {
        *total = total.checked_add(n).filter(|t| *t <= budget)?;
        Some(())
    }
    fn walk(v: &serde_json::Value, total: &mut usize, budget: usize) -> Option<()> {
        use serde_json::Value;
        match v {
            Value::Null | Value::Bool(_) => add(total, 4, budget),
            Value::Number(_) => add(total, 1, budget),
            Value::String(s) => add(total, s.len() + 2, budget),
            Value::Array(items) => {
                add(total, 2 + items.len().saturating_sub(1), budget)?;
                items.iter().try_for_each(|v| walk(v, total, budget))
            }
            Value::Object(members) => {
                add(total, 2 + members.len().saturating_sub(1), budget)?;
                members.iter().try_for_each(|(k, v)| {
                    add(total, k.len() + 3, budget)?;
                    walk(v, total, budget)
                })
            }
        }
    }
    let mut total = 0;
    walk(value, &mut total, budget)?;
    Some(total)
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
    fn text_lengths_are_measured_short_of_the_text_and_stop_at_the_budget() {
        for v in [
            json!({"a": [1, 2.5, "x\"y", null, true, false, {}]}),
            json!([]),
            json!("é"),
        ] {
            let text = v.to_string().len();
            let measured = text_len_within(&v, usize::MAX).expect("within");
            assert!(measured <= text, "{v}: {measured} > {text}");
            assert_eq!(text_len_within(&v, measured), Some(measured));
            assert_eq!(text_len_within(&v, measured - 1), None);
        }
    }

    #[test]
    fn documents_up_to_the_depth_limit_pass() {
        assert!(!too_deep(&nested(MAX_DOCUMENT_DEPTH)));
        assert!(too_deep(&nested(MAX_DOCUMENT_DEPTH + 1)));
        assert!(!too_deep(&json!([[1], {"a": []}])));
    }
}
