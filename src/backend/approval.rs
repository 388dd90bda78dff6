//! Deciding a waiting approval: the token is read from the approval row the
//! `request-approval` function wrote, then sent back with SendTaskSuccess (approve) or
//! SendTaskFailure (reject), the same two calls on every backend.

use super::{BackendError, SagaBackend};
use saga_lambdas::approval::pending_token;

/// The error name a rejection fails the approval task with; the state machine's
/// `States.ALL` catcher routes it to the compensations.
pub const REJECTED_ERROR: &str = "ApprovalRejected";

/// Approve or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// SendTaskSuccess: the saga goes on to TakePayment.
    Approve,
    /// SendTaskFailure: the saga compensates.
    Reject,
}

impl Decision {
    /// The verb, for notices.
    pub fn verb(self) -> &'static str {
        match self {
            Decision::Approve => "approved",
            Decision::Reject => "rejected",
        }
    }
}

/// Answers the approval `execution_arn` waits for, reading its token from the rows of
/// `trip_id`. Refused, saying so, when no approval of that execution is pending.
pub async fn decide(
    backend: &dyn SagaBackend,
    execution_arn: &str,
    trip_id: &str,
    decision: Decision,
) -> Result<(), BackendError> {
    let rows = backend.rows(trip_id).await?;
    let Some(token) = pending_token(&rows, execution_arn) else {
        return Err(BackendError::Failed(format!(
            "{} does not wait for an approval",
            crate::arn::name(execution_arn)
        )));
    };
    match decision {
        Decision::Approve => {
            backend
                .send_task_success(token, r#"{"approved":true,"by":"sagaview"}"#)
                .await
        }
        Decision::Reject => {
            backend
                .send_task_failure(
                    token,
                    Some(REJECTED_ERROR),
                    Some("the payment was rejected by a person in sagaview"),
                )
                .await
        }
    }
}
