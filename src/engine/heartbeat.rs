//! A task's `HeartbeatSeconds` at run time, with `HeartbeatSecondsPath` read from the
//! task's input. The path's value obeys the load-time rules of
//! [`crate::asl::heartbeat`]: a positive integer below the task's timeout.

use serde_json::Value;

use super::context::Scope;
use super::dataflow::select_parameter;
use super::error::StatesError;
use crate::asl::heartbeat::DEFAULT_TASK_TIMEOUT_SECONDS;
use crate::asl::model::TaskState;

/// The heartbeat limit of one attempt of `task`, given its resolved `timeout`.
pub(crate) fn resolve(
    task: &TaskState,
    input: &Value,
    scope: &Scope<'_>,
    timeout: Option<u64>,
) -> Result<Option<u64>, StatesError> {
    if let Some(s) = task.heartbeat_seconds {
        return Ok(Some(s));
    }
    let Some(path) = &task.heartbeat_seconds_path else {
        return Ok(None);
    };
    let value = select_parameter("HeartbeatSecondsPath", path, input, scope)?;
    let limit = timeout.unwrap_or(DEFAULT_TASK_TIMEOUT_SECONDS);
    value
        .as_u64()
        .filter(|n| *n > 0 && *n < limit)
        .map(Some)
        .ok_or_else(|| {
            StatesError::runtime(format!(
                "The HeartbeatSecondsPath parameter does not reference a positive integer smaller than the timeout ({limit}): {} == {}",
                path.text(),
                value
            ))
        })
}
