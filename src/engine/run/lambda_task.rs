//! Calling a Lambda function from a task, and the history events of the call.

use serde_json::{Map, Value};

use super::callback::{CallbackReceiver, CallbackWait, During};
use super::execution::Run;
use super::invoke::Invoked;
use super::output_text::json_text;
use super::task_result::{InvokeResponse, TaskOutput};
use crate::asl::limits::MAX_PAYLOAD_BYTES as PAYLOAD_LIMIT_BYTES;
use crate::engine::error::StatesError;
use crate::engine::invoker::RequestPayload;
use crate::engine::lambda;
use crate::history::event::*;

/// A `lambda:invoke` task's evaluated Parameters, with the texts the flow already
/// has for them.
pub(super) struct InvokeParameters<'a> {
    pub(super) doc: Value,
    /// The whole parameters' text, when spliced from the input's.
    pub(super) text: Option<String>,
    /// The `Payload` member's text when it is the whole input (then `null` in `doc`).
    pub(super) payload_text: Option<&'a str>,
}

impl Run {
    fn function_arn(&self, name: &str) -> String {
        let c = &self.shared.config;
        format!(
            "arn:{}:lambda:{}:{}:function:{name}",
            c.partition, c.region, c.account_id
        )
    }

    pub(super) async fn lambda_invoke(
        &self,
        params: InvokeParameters<'_>,
        limits: (Option<u64>, Option<u64>),
        callback: Option<(&str, &mut CallbackReceiver)>,
        prev: &mut u64,
    ) -> Result<TaskOutput, StatesError> {
        const RT: &str = "lambda";
        let InvokeParameters {
            doc: params,
            text: params_text,
            payload_text,
        } = params;
        let res = if callback.is_some() {
            "invoke.waitForTaskToken"
        } else {
            "invoke"
        };
        let function = params
            .get("FunctionName")
            .and_then(Value::as_str)
            .map(|f| lambda::function_name(f).to_owned())
            .ok_or_else(|| {
                StatesError::runtime("The field 'FunctionName' is required by lambda:invoke")
            })?;
        *prev = self
            .emit_event(
                EventType::TaskScheduled,
                *prev,
                Some(EventDetails::TaskScheduled(TaskScheduledDetails {
                    resource_type: RT.into(),
                    resource: res.into(),
                    region: self.shared.config.region.clone(),
                    parameters: params_text.unwrap_or_else(|| json_text(&params)),
                    timeout_in_seconds: limits.0,
                    heartbeat_in_seconds: limits.1,
                })),
            )
            .await;
        *prev = self
            .emit_event(
                EventType::TaskStarted,
                *prev,
                Some(EventDetails::TaskStarted(TaskResourceDetails {
                    resource_type: RT.into(),
                    resource: res.into(),
                })),
            )
            .await;
        // The parameters are in the history now: the payload can be moved out of them.
        let mut params = params;
        let payload = match (payload_text, params.get_mut("Payload").map(Value::take)) {
            (Some(text), _) => RequestPayload::Text(text.to_owned()),
            (None, None | Some(Value::Null)) => Value::Object(Map::new()).into(),
            // A string payload is sent as the request body itself.
            (None, Some(Value::String(text))) => serde_json::from_str(&text)
                .unwrap_or(Value::String(text))
                .into(),
            (None, Some(p)) => p.into(),
        };
        drop(params);
        // A callback task listens to its token from TaskStarted on, during the call too.
        let mut wait = callback.map(|(token, rx)| CallbackWait::start(self, token, rx, limits));
        let (outcome, request_id) = match &mut wait {
            None => self.invoke(&function, payload, limits).await,
            Some(wait) => {
                let (call, request_id) = self.call(&function, payload);
                match wait.during(self, call).await {
                    During::Returned(outcome) => (outcome, request_id),
                    During::Ended(waited) => {
                        return self
                            .callback_ended(waited, prev)
                            .await
                            .map(TaskOutput::Value);
                    }
                }
            }
        };
        match outcome {
            Invoked::Ok(payload) => {
                let payload_len = lambda::payload_len(&payload);
                if payload_len > PAYLOAD_LIMIT_BYTES {
                    return self
                        .task_failed(
                            prev,
                            EventType::TaskFailed,
                            StatesError::data_limit(RT),
                            res,
                        )
                        .await
                        .map(TaskOutput::Value);
                }
                let response = InvokeResponse {
                    payload: lambda::payload_value(payload),
                    payload_len,
                    trace_id: ["Root=1-", &request_id[..8]].concat(),
                    request_id,
                    at: self.now(),
                };
                let output = response.text();
                if let Some(wait) = &mut wait {
                    return self
                        .wait_for_token(wait, output, prev)
                        .await
                        .map(TaskOutput::Value);
                }
                *prev = self
                    .emit_event(
                        EventType::TaskSucceeded,
                        *prev,
                        Some(EventDetails::TaskSucceeded(TaskSucceededDetails {
                            resource_type: RT.into(),
                            resource: res.into(),
                            output: output.clone(),
                            output_details: PayloadDetails::untruncated(),
                        })),
                    )
                    .await;
                Ok(TaskOutput::Invoke {
                    response,
                    text: output,
                })
            }
            Invoked::Failed(f) => {
                let e = StatesError::new(f.error, lambda::service_error_cause(&f.cause));
                self.task_failed(prev, EventType::TaskFailed, e, res)
                    .await
                    .map(TaskOutput::Value)
            }
            Invoked::NotFound => {
                let e = StatesError::new(
                    "Lambda.ResourceNotFoundException",
                    lambda::not_found_cause(&self.function_arn(&function), &request_id),
                );
                self.task_failed(prev, EventType::TaskFailed, e, res)
                    .await
                    .map(TaskOutput::Value)
            }
            Invoked::TimedOut => self
                .task_failed(prev, EventType::TaskTimedOut, StatesError::timeout(), res)
                .await
                .map(TaskOutput::Value),
            Invoked::HeartbeatTimedOut => self
                .task_failed(
                    prev,
                    EventType::TaskTimedOut,
                    StatesError::heartbeat_timeout(),
                    res,
                )
                .await
                .map(TaskOutput::Value),
        }
    }

    pub(crate) async fn task_failed(
        &self,
        prev: &mut u64,
        ty: EventType,
        error: StatesError,
        resource: &str,
    ) -> Result<Value, StatesError> {
        // An absent error (SendTaskFailure without one) stays absent.
        let details = TaskErrorDetails {
            resource_type: "lambda".into(),
            resource: resource.into(),
            error: (!error.error.is_empty()).then(|| error.error.clone()),
            cause: error.cause.clone(),
        };
        let details = if ty == EventType::TaskTimedOut {
            EventDetails::TaskTimedOut(details)
        } else {
            EventDetails::TaskFailed(details)
        };
        *prev = self.emit_event(ty, *prev, Some(details)).await;
        Err(error)
    }

    async fn lambda_failed(
        &self,
        prev: &mut u64,
        ty: EventType,
        error: StatesError,
    ) -> Result<Value, StatesError> {
        let details = ErrorDetails {
            error: Some(error.error.clone()),
            cause: error.cause.clone(),
        };
        let details = if ty == EventType::LambdaFunctionTimedOut {
            EventDetails::LambdaFunctionTimedOut(details)
        } else {
            EventDetails::LambdaFunctionFailed(details)
        };
        *prev = self.emit_event(ty, *prev, Some(details)).await;
        Err(error)
    }

    pub(super) async fn lambda_function(
        &self,
        arn: &str,
        function: &str,
        input: Value,
        limits: (Option<u64>, Option<u64>),
        prev: &mut u64,
    ) -> Result<Value, StatesError> {
        let timeout = limits.0;
        *prev = self
            .emit_event(
                EventType::LambdaFunctionScheduled,
                *prev,
                Some(EventDetails::LambdaFunctionScheduled(
                    LambdaScheduledDetails {
                        resource: arn.to_owned(),
                        input: json_text(&input),
                        input_details: PayloadDetails::untruncated(),
                        timeout_in_seconds: timeout,
                    },
                )),
            )
            .await;
        *prev = self
            .emit_event(EventType::LambdaFunctionStarted, *prev, None)
            .await;
        let (outcome, request_id) = self.invoke(function, input.into(), limits).await;
        match outcome {
            Invoked::Ok(payload) => {
                let text = lambda::payload_text(&payload);
                if text.len() > PAYLOAD_LIMIT_BYTES {
                    return self
                        .lambda_failed(
                            prev,
                            EventType::LambdaFunctionFailed,
                            StatesError::data_limit(arn),
                        )
                        .await;
                }
                *prev = self
                    .emit_event(
                        EventType::LambdaFunctionSucceeded,
                        *prev,
                        Some(EventDetails::LambdaFunctionSucceeded(OutputDetails {
                            output: text,
                            output_details: PayloadDetails::untruncated(),
                        })),
                    )
                    .await;
                Ok(lambda::payload_value(payload))
            }
            Invoked::Failed(f) => {
                self.lambda_failed(
                    prev,
                    EventType::LambdaFunctionFailed,
                    StatesError::new(f.error, f.cause),
                )
                .await
            }
            Invoked::NotFound => {
                let e = StatesError::new(
                    "Lambda.ResourceNotFoundException",
                    lambda::not_found_cause(arn, &request_id),
                );
                self.lambda_failed(prev, EventType::LambdaFunctionFailed, e)
                    .await
            }
            Invoked::TimedOut => {
                self.lambda_failed(
                    prev,
                    EventType::LambdaFunctionTimedOut,
                    StatesError::timeout(),
                )
                .await
            }
            Invoked::HeartbeatTimedOut => {
                self.lambda_failed(
                    prev,
                    EventType::LambdaFunctionTimedOut,
                    StatesError::heartbeat_timeout(),
                )
                .await
            }
        }
    }
}
