//! The wait of a `.waitForTaskToken` task: from TaskStarted, while its Lambda function
//! runs and after it returned, until a SendTaskSuccess / SendTaskFailure arrives, or
//! TimeoutSeconds or HeartbeatSeconds runs out.
//!
//! The heartbeat clock starts once, at TaskStarted, and every SendTaskHeartbeat restarts
//! it, whether the function is still running or not (the SendTaskHeartbeat reference:
//! "This action resets the Heartbeat clock"; a worker the function handed the token to
//! may heartbeat before the function returns).
//!
//! A SendTaskSuccess / SendTaskFailure that arrives while the function still runs is
//! held until it has returned. The AWS documentation does not say whether the task
//! completes before the invocation does; it describes the callback task as submitted
//! once the service call returned (the `TaskSubmitted` event carries the function's
//! response) and then waiting for the token, so the task ends with the answer only
//! after `TaskSubmitted`. A function that fails ends the task with its own error: the
//! task was never submitted.

use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use super::execution::Run;
use super::invoke::Invoked;
use crate::engine::error::StatesError;
use crate::engine::task_token::{Callback, TaskTokens};
use crate::future::BoxFuture;
use crate::history::event::{
    EventDetails, EventType, PayloadDetails, TaskSubmittedDetails, TaskSucceededDetails,
};

const RESOURCE_TYPE: &str = "lambda";
const RESOURCE: &str = "invoke.waitForTaskToken";

/// Where a callback task's token messages arrive.
pub(super) type CallbackReceiver = mpsc::UnboundedReceiver<Callback>;

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

/// How the Lambda call of a callback task ended.
pub(crate) enum During {
    /// The function returned (or failed): the wait goes on after `TaskSubmitted`.
    Returned(Invoked),
    /// A timer ran out before the function returned.
    Ended(Waited),
}

/// The timers and the token messages of one waiting callback task.
pub(crate) struct CallbackWait<'r> {
    tokens: &'r TaskTokens,
    token: &'r str,
    rx: &'r mut CallbackReceiver,
    /// TimeoutSeconds, running from TaskStarted.
    deadline: BoxFuture<'static, ()>,
    /// HeartbeatSeconds and the timer it restarts.
    beat: Option<(Duration, BoxFuture<'static, ()>)>,
    /// A success or failure sent while the function was still running.
    held: Option<Waited>,
}

impl<'r> CallbackWait<'r> {
    /// Starts both timers now (at TaskStarted): `limits` are the task's
    /// TimeoutSeconds and HeartbeatSeconds.
    pub(crate) fn start(
        run: &'r Run,
        token: &'r str,
        rx: &'r mut CallbackReceiver,
        limits: (Option<u64>, Option<u64>),
    ) -> Self {
        let clock = &run.shared.clock;
        let deadline: BoxFuture<'static, ()> = match limits.0 {
            Some(s) => Box::pin(clock.sleep(Duration::from_secs(s))),
            None => Box::pin(std::future::pending()),
        };
        let beat = limits.1.map(|s| {
            let d = Duration::from_secs(s);
            (d, Box::pin(clock.sleep(d)) as BoxFuture<'static, ()>)
        });
        Self {
            tokens: &run.shared.tokens,
            token,
            rx,
            deadline,
            beat,
            held: None,
        }
    }

    /// Waits for `call` (the Lambda invocation) while heartbeats restart the heartbeat
    /// timer; a success or failure sent meanwhile is kept for [`CallbackWait::after`].
    pub(crate) async fn during(
        &mut self,
        run: &Run,
        call: impl std::future::Future<Output = Invoked>,
    ) -> During {
        let mut call = std::pin::pin!(call);
        loop {
            let listening = self.held.is_none();
            let event = {
                let Self {
                    rx, deadline, beat, ..
                } = &mut *self;
                let beat = async {
                    match beat {
                        Some((_, timer)) if listening => timer.await,
                        _ => std::future::pending().await,
                    }
                };
                // The token's messages first: an answer accepted before a timer fired
                // counts.
                tokio::select! {
                    biased;
                    message = rx.recv(), if listening => Event::Message(message),
                    outcome = &mut call => return During::Returned(outcome),
                    _ = deadline => Event::Deadline,
                    _ = beat => Event::Beat,
                }
            };
            match event {
                Event::Message(Some(Callback::Heartbeat)) => self.restart_beat(run),
                Event::Message(Some(answer)) => self.held = Some(waited(answer)),
                Event::Message(None) => return During::Ended(Waited::TimedOut),
                Event::Deadline => return During::Ended(self.expire(Waited::TimedOut)),
                Event::Beat => return During::Ended(self.expire(Waited::HeartbeatTimedOut)),
            }
        }
    }

    /// After the function returned: the answer held, or the next one within the timers.
    pub(crate) async fn after(&mut self, run: &Run) -> Waited {
        if let Some(answer) = self.held.take() {
            return answer;
        }
        loop {
            let event = {
                let Self {
                    rx, deadline, beat, ..
                } = &mut *self;
                let beat = async {
                    match beat {
                        Some((_, timer)) => timer.await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    biased;
                    message = rx.recv() => Event::Message(message),
                    _ = deadline => Event::Deadline,
                    _ = beat => Event::Beat,
                }
            };
            match event {
                Event::Message(Some(Callback::Heartbeat)) => self.restart_beat(run),
                Event::Message(Some(answer)) => return waited(answer),
                // The token was closed without an answer (it stays open while its
                // task waits, so only an ended task sees this).
                Event::Message(None) => return Waited::TimedOut,
                Event::Deadline => return self.expire(Waited::TimedOut),
                Event::Beat => return self.expire(Waited::HeartbeatTimedOut),
            }
        }
    }

    /// A timer ran out: closes the token first (under the tokens' lock, so no answer
    /// can be accepted afterwards), then honours an answer accepted before that;
    /// otherwise the task ends with `timed_out`.
    fn expire(&mut self, timed_out: Waited) -> Waited {
        self.tokens.close(self.token);
        if let Some(answer) = self.held.take() {
            return answer;
        }
        while let Ok(message) = self.rx.try_recv() {
            if !matches!(message, Callback::Heartbeat) {
                return waited(message);
            }
        }
        timed_out
    }

    fn restart_beat(&mut self, run: &Run) {
        if let Some((d, timer)) = &mut self.beat {
            *timer = Box::pin(run.shared.clock.sleep(*d));
        }
    }
}

/// What woke a waiting task.
enum Event {
    Message(Option<Callback>),
    Deadline,
    Beat,
}

fn waited(answer: Callback) -> Waited {
    match answer {
        Callback::Success(value, text) => Waited::Succeeded(value, text),
        Callback::Failure { error, cause } => Waited::Failed { error, cause },
        // Callers handle heartbeats before.
        Callback::Heartbeat => Waited::TimedOut,
    }
}

impl Run {
    /// After the Lambda function of a `.waitForTaskToken` task returned `output`:
    /// records `TaskSubmitted` with it (as AWS does for the callback pattern; its
    /// `taskSubmittedEventDetails` carry the service's response), then waits for the
    /// token's answer and records how the task ended.
    pub(crate) async fn wait_for_token(
        &self,
        wait: &mut CallbackWait<'_>,
        output: String,
        prev: &mut u64,
    ) -> Result<Value, StatesError> {
        *prev = self
            .emit_event(
                EventType::TaskSubmitted,
                *prev,
                Some(EventDetails::TaskSubmitted(TaskSubmittedDetails {
                    resource_type: RESOURCE_TYPE.into(),
                    resource: RESOURCE.into(),
                    output: Some(output),
                    output_details: Some(PayloadDetails::untruncated()),
                })),
            )
            .await;
        let waited = wait.after(self).await;
        self.callback_ended(waited, prev).await
    }

    /// Records how a callback task ended (`TaskSucceeded` with the output sent,
    /// `TaskFailed` with the error and cause sent, or `TaskTimedOut`).
    pub(crate) async fn callback_ended(
        &self,
        waited: Waited,
        prev: &mut u64,
    ) -> Result<Value, StatesError> {
        match waited {
            Waited::Succeeded(value, text) => {
                *prev = self
                    .emit_event(
                        EventType::TaskSucceeded,
                        *prev,
                        Some(EventDetails::TaskSucceeded(TaskSucceededDetails {
                            resource_type: RESOURCE_TYPE.into(),
                            resource: RESOURCE.into(),
                            output: text,
                            output_details: PayloadDetails::untruncated(),
                        })),
                    )
                    .await;
                Ok(value)
            }
            Waited::Failed { error, cause } => {
                let e = StatesError {
                    error: error.unwrap_or_default(),
                    cause,
                };
                self.task_failed(prev, EventType::TaskFailed, e, RESOURCE)
                    .await
            }
            Waited::TimedOut => {
                self.task_failed(
                    prev,
                    EventType::TaskTimedOut,
                    StatesError::timeout(),
                    RESOURCE,
                )
                .await
            }
            Waited::HeartbeatTimedOut => {
                self.task_failed(
                    prev,
                    EventType::TaskTimedOut,
                    StatesError::heartbeat_timeout(),
                    RESOURCE,
                )
                .await
            }
        }
    }
}
