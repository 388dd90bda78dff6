//! `HeartbeatSeconds` of a Task state, checked when the definition is loaded.
//!
//! The Amazon States Language specification and the AWS developer guide ("Task
//! workflow state") give the rules: `HeartbeatSeconds` is a positive integer smaller
//! than `TimeoutSeconds` (whose default for a task is 99999999 seconds), and it
//! excludes `HeartbeatSecondsPath`.

use serde_json::{Map, Value};

/// `TimeoutSeconds` of a task that does not set it (AWS developer guide, "Task workflow
/// state": "default 99999999").
pub const DEFAULT_TASK_TIMEOUT_SECONDS: u64 = 99_999_999;

/// Reads `HeartbeatSeconds` from a Task state object; `timeout_seconds` is its fixed
/// `TimeoutSeconds`, if any. The error names the field and the reason.
pub fn heartbeat_seconds(
    obj: &Map<String, Value>,
    timeout_seconds: Option<u64>,
) -> Result<Option<u64>, String> {
    let Some(v) = obj.get("HeartbeatSeconds") else {
        return Ok(None);
    };
    if obj.contains_key("HeartbeatSecondsPath") {
        return Err("'HeartbeatSeconds' and 'HeartbeatSecondsPath' are exclusive".into());
    }
    let seconds = v
        .as_u64()
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("'HeartbeatSeconds' must be a positive integer, not {v}"))?;
    let timeout = timeout_seconds.unwrap_or(DEFAULT_TASK_TIMEOUT_SECONDS);
    if seconds >= timeout {
        return Err(format!(
            "'HeartbeatSeconds' ({seconds}) must be smaller than 'TimeoutSeconds' ({timeout})"
        ));
    }
    Ok(Some(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value, timeout: Option<u64>) -> Result<Option<u64>, String> {
        heartbeat_seconds(v.as_object().expect("an object"), timeout)
    }

    #[test]
    fn accepts_a_heartbeat_below_the_timeout() {
        assert_eq!(read(json!({"HeartbeatSeconds": 5}), Some(10)), Ok(Some(5)));
        assert_eq!(read(json!({"HeartbeatSeconds": 5}), None), Ok(Some(5)));
        assert_eq!(read(json!({}), Some(10)), Ok(None));
    }

    #[test]
    fn refuses_bad_heartbeats_with_the_reason() {
        for (v, timeout, needle) in [
            (
                json!({"HeartbeatSeconds": 10}),
                Some(10),
                "smaller than 'TimeoutSeconds' (10)",
            ),
            (json!({"HeartbeatSeconds": 0}), None, "positive integer"),
            (json!({"HeartbeatSeconds": "5"}), None, "positive integer"),
            (json!({"HeartbeatSeconds": 100_000_000}), None, "99999999"),
            (
                json!({"HeartbeatSeconds": 5, "HeartbeatSecondsPath": "$.h"}),
                None,
                "exclusive",
            ),
        ] {
            let e = read(v.clone(), timeout).expect_err("invalid");
            assert!(e.contains(needle), "{v}: {e}");
        }
    }
}
