//! Calling a Lambda function: the call itself, paced, and the timers around it.

use std::time::Duration;

use super::execution::Run;
use crate::engine::intrinsics::random_uuid;
use crate::engine::invoker::{InvokeError, InvokeRequest, Payload, RequestPayload, TaskFailure};

/// How a Lambda invocation ended.
pub(crate) enum Invoked {
    Ok(Payload),
    Failed(TaskFailure),
    NotFound,
    TimedOut,
    HeartbeatTimedOut,
}

impl Run {
    /// Invokes `function`; `limits` are the task's TimeoutSeconds and HeartbeatSeconds
    /// (a request-response invocation sends no heartbeats, so the heartbeat limit bounds
    /// the whole call).
    pub(super) async fn invoke(
        &self,
        function: &str,
        payload: RequestPayload,
        limits: (Option<u64>, Option<u64>),
    ) -> (Invoked, String) {
        let (timeout, heartbeat) = limits;
        let (call, request_id) = self.call(function, payload);
        let outcome = match (timeout, heartbeat) {
            (None, None) => call.await,
            (Some(s), None) => {
                tokio::select! {
                    r = call => r,
                    _ = self.shared.clock.sleep(Duration::from_secs(s)) => Invoked::TimedOut,
                }
            }
            (timeout, Some(h)) => {
                let timer = async {
                    match timeout {
                        Some(s) => self.shared.clock.sleep(Duration::from_secs(s)).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    r = call => r,
                    _ = timer => Invoked::TimedOut,
                    _ = self.shared.clock.sleep(Duration::from_secs(h)) => Invoked::HeartbeatTimedOut,
                }
            }
        };
        (outcome, request_id)
    }

    /// The invocation of `function` with `payload`, without limits, and its request id.
    pub(super) fn call(
        &self,
        function: &str,
        payload: RequestPayload,
    ) -> (impl std::future::Future<Output = Invoked> + '_, String) {
        let request_id = random_uuid(&mut self.rng());
        let request = InvokeRequest {
            function: function.to_owned(),
            payload,
            request_id: request_id.clone(),
            execution_arn: self.facts.id.clone(),
        };
        let call = async move {
            let paced = self.shared.pacer.invocation(
                &request.function,
                self.is_recovering(),
                &mut self.pace_rng(),
            );
            self.shared.clock.sleep(paced.before).await;
            let outcome = match self.shared.invoker.invoke(request).await {
                Ok(p) => Invoked::Ok(p),
                Err(InvokeError::NotFound) => Invoked::NotFound,
                Err(InvokeError::Failed(f)) => Invoked::Failed(f),
            };
            self.shared.clock.sleep(paced.after).await;
            outcome
        };
        (call, request_id)
    }
}
