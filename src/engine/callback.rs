//! The wait of a `.waitForTaskToken` task after its Lambda function returned: until a
//! SendTaskSuccess / SendTaskFailure arrives, or TimeoutSeconds or HeartbeatSeconds
//! runs out (SendTaskHeartbeat restarts the heartbeat timer; the SendTaskHeartbeat
//! reference: "This action resets the Heartbeat clock").

use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use chrono::{DateTime, Utc};

use super::error::{StatesError, names};
use super::run::{Run, StateCtx, untruncated};
use super::task_token::Callback;
use crate::history::event::{EventDetails, EventType, TaskSucceededDetails};

const RESOURCE_TYPE: &str = "lambda";
const RESOURCE: &str = "invoke.waitForTaskToken";

/// How the wait ended.
pub(crate) enum Waited {
    /// SendTaskSuccess: the output as a value and as sent.
    Succeeded(Value, String),
    /// SendTaskFailure.
    Failed {
        error: Option<String>,
        cause: Option<String>,
    },
    /// TimeoutSeconds ran out.
    TimedOut,
    /// HeartbeatSeconds went by without a heartbeat.
    HeartbeatTimedOut,
}

impl Run {
    /// After the Lambda function of a `.waitForTaskToken` task returned `output`:
    /// records `TaskSubmitted` with it (as AWS does for the callback pattern; its
    /// `taskSubmittedEventDetails` carry the service's response), then waits for the
    /// token's answer within what is left of TimeoutSeconds, and records how the task
    /// ended (`TaskSucceeded` with the output sent, `TaskFailed` with the error and cause
    /// sent, or `TaskTimedOut`).
    pub(crate) async fn wait_for_token(
        &self,
        rx: &mut mpsc::UnboundedReceiver<Callback>,
        output: String,
        scheduled_at: DateTime<Utc>,
        limits: (Option<u64>, Option<u64>),
        ctx: &StateCtx<'_>,
        prev: &mut u64,
    ) -> Result<Value, StatesError> {
        *prev = self.emit_event(
            EventType::TaskSubmitted,
            *prev,
            Some(EventDetails::TaskSubmitted(TaskSucceededDetails {
                resource_type: RESOURCE_TYPE.into(),
                resource: RESOURCE.into(),
                output,
                output_details: untruncated(),
            })),
        );
        let (timeout, heartbeat) = limits;
        let left = timeout.map(|s| {
            let spent = (self.shared.clock.now() - scheduled_at)
                .to_std()
                .unwrap_or(Duration::ZERO);
            Duration::from_secs(s).saturating_sub(spent)
        });
        // The sent output is not necessarily compact: never splice it.
        ctx.set_result_text(None);
        match self.await_callback(rx, left, heartbeat).await {
            Waited::Succeeded(value, text) => {
                *prev = self.emit_event(
                    EventType::TaskSucceeded,
                    *prev,
                    Some(EventDetails::TaskSucceeded(TaskSucceededDetails {
                        resource_type: RESOURCE_TYPE.into(),
                        resource: RESOURCE.into(),
                        output: text,
                        output_details: untruncated(),
                    })),
                );
                Ok(value)
            }
            Waited::Failed { error, cause } => {
                let e = StatesError {
                    error: error.unwrap_or_default(),
                    cause,
                };
                self.task_failed(prev, EventType::TaskFailed, e, RESOURCE)
            }
            Waited::TimedOut => {
                let e = StatesError {
                    error: names::TIMEOUT.into(),
                    cause: None,
                };
                self.task_failed(prev, EventType::TaskTimedOut, e, RESOURCE)
            }
            Waited::HeartbeatTimedOut => {
                let e = StatesError {
                    error: names::HEARTBEAT_TIMEOUT.into(),
                    cause: None,
                };
                self.task_failed(prev, EventType::TaskTimedOut, e, RESOURCE)
            }
        }
    }

    /// Waits on `rx` for at most `timeout` in all and `heartbeat` between messages.
    pub(crate) async fn await_callback(
        &self,
        rx: &mut mpsc::UnboundedReceiver<Callback>,
        timeout: Option<Duration>,
        heartbeat: Option<u64>,
    ) -> Waited {
        let deadline = async {
            match timeout {
                Some(d) => self.shared.clock.sleep(d).await,
                None => std::future::pending().await,
            }
        };
        // Pinned once: the deadline runs across heartbeats.
        let mut deadline = std::pin::pin!(deadline);
        loop {
            let beat = async {
                match heartbeat {
                    Some(s) => self.shared.clock.sleep(Duration::from_secs(s)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                message = rx.recv() => match message {
                    Some(Callback::Heartbeat) => continue,
                    Some(Callback::Success(value, text)) => return Waited::Succeeded(value, text),
                    Some(Callback::Failure { error, cause }) => return Waited::Failed { error, cause },
                    // The token was closed without an answer (it stays open while its
                    // task waits, so only an ended task sees this).
                    None => return Waited::TimedOut,
                },
                _ = &mut deadline => return Waited::TimedOut,
                _ = beat => return Waited::HeartbeatTimedOut,
            }
        }
    }
}
