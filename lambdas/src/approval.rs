//! The approval machine's `request-approval` step: a person decides, outside the saga,
//! whether the trip may be paid for.
//!
//! Step Functions hands the step a task token (`$$.Task.Token`) and waits until someone
//! sends it back with SendTaskSuccess or SendTaskFailure. The function only records the
//! pending approval and its token as a row of the trip, where whoever decides finds it;
//! once decided (or timed out) the state machine calls it again to remove that row, so
//! no token outlives its task.

use crate::error::SagaError;
use crate::item::{Item, string_item};
use crate::table::Table;
use crate::trip::TripRequest;
use serde::Deserialize;
use serde_json::{Value, json};

/// The sort key prefix of approval rows: `APPROVAL#<execution name>`.
pub const APPROVAL_PREFIX: &str = "APPROVAL#";
/// The `type` of an approval row.
pub const APPROVAL_TYPE: &str = "Approval";
/// The attribute holding the task token to answer.
pub const TASK_TOKEN_ATTRIBUTE: &str = "task_token";
/// The attribute naming the execution that waits.
pub const EXECUTION_ATTRIBUTE: &str = "execution_arn";

/// The approval-specific members of the step's event, beside the trip.
#[derive(Debug, Deserialize)]
struct ApprovalEvent {
    /// `$$.Execution.Id`: which execution waits (a trip may be booked twice).
    execution: String,
    /// `$$.Task.Token`, when the step asks for an approval.
    #[serde(default)]
    task_token: Option<String>,
    /// How the approval was decided, when the step removes the record.
    #[serde(default)]
    decision: Option<String>,
}

/// The sort key of the approval row an execution's request writes: the execution's
/// name, unique per state machine and valid as a key.
pub fn approval_sk(execution_arn: &str) -> String {
    let name = execution_arn.rsplit(':').next().unwrap_or(execution_arn);
    [APPROVAL_PREFIX, name].concat()
}

/// Whether a row is an approval record rather than a booking: the verdict passes over
/// it, since it is bookkeeping of the wait, not something the saga books.
pub fn is_approval_row(item: &Item) -> bool {
    let sk = item.get("sk").and_then(|v| v.as_s()).unwrap_or("");
    let kind = item.get("type").and_then(|v| v.as_s()).unwrap_or("");
    sk.starts_with(APPROVAL_PREFIX) || kind == APPROVAL_TYPE
}

/// The task token recorded for `execution_arn` among a trip's rows, if it waits.
pub fn pending_token<'a>(rows: &'a [Item], execution_arn: &str) -> Option<&'a str> {
    let sk = approval_sk(execution_arn);
    rows.iter()
        .find(|r| r.get("sk").and_then(|v| v.as_s()) == Some(sk.as_str()))
        .and_then(|r| r.get(TASK_TOKEN_ATTRIBUTE))
        .and_then(|v| v.as_s())
}

/// The approval row for a trip, an execution and its token.
pub fn approval_item(trip: &TripRequest, execution_arn: &str, task_token: &str) -> Item {
    string_item([
        ("pk", trip.trip_id.clone()),
        ("sk", approval_sk(execution_arn)),
        ("trip_id", trip.trip_id.clone()),
        ("type", APPROVAL_TYPE.to_string()),
        (EXECUTION_ATTRIBUTE, execution_arn.to_string()),
        (TASK_TOKEN_ATTRIBUTE, task_token.to_string()),
        ("transaction_status", crate::handlers::PENDING.to_string()),
    ])
}

/// Runs the step: `{"trip": …, "execution": …, "task_token": …}` records the pending
/// approval, `{"trip": …, "execution": …, "decision": …}` removes it. An event without a
/// `trip` member is read as the trip itself, so a malformed one is refused in the very
/// words every other step uses.
pub async fn handle<T: Table>(table: &T, event: &Value) -> Result<Value, SagaError> {
    let trip = TripRequest::from_event(event.get("trip").unwrap_or(event))?;
    let approval =
        ApprovalEvent::deserialize(event).map_err(|e| SagaError::InvalidInput(e.to_string()))?;
    let sk = approval_sk(&approval.execution);
    match (approval.task_token, approval.decision) {
        (Some(token), None) => {
            table
                .put(approval_item(&trip, &approval.execution, &token))
                .await?;
            Ok(json!({"status": "ok", "approval": sk, "recorded": true}))
        }
        (None, Some(decision)) => {
            table.delete(&trip.trip_id, &sk).await?;
            Ok(json!({"status": "ok", "approval": sk, "decision": decision}))
        }
        _ => Err(SagaError::InvalidInput(
            "request-approval needs either `task_token` (to record the approval) or `decision` (to remove it)".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_row_key_is_the_execution_name() {
        let arn =
            "arn:aws:states:us-east-1:123456789012:execution:BookingSagaWithApproval:trip-1-abc";
        assert_eq!(approval_sk(arn), "APPROVAL#trip-1-abc");
        let trip = TripRequest::example("trip-1", crate::RunType::Success, 0.0);
        let row = approval_item(&trip, arn, "tok");
        assert!(is_approval_row(&row));
        assert_eq!(pending_token(&[row], arn), Some("tok"));
        assert_eq!(pending_token(&[], arn), None);
    }
}
