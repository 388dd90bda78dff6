//! Lambda functions described by behaviour in a case (echo, return, raise, ...).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::engine::{Clock, InvokeError, InvokeRequest, Payload, TaskFailure, TaskInvoker};
use crate::future::BoxFuture;

/// A `TaskInvoker` playing the case's functions; unlisted names do not exist.
pub struct BehaviourInvoker {
    functions: HashMap<String, Value>,
    clock: Clock,
}

impl BehaviourInvoker {
    /// Builds the invoker; `sleep` behaviours wait on `clock`.
    pub fn new(lambdas: Option<&Map<String, Value>>, clock: Clock) -> Self {
        let functions = lambdas
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        Self { functions, clock }
    }
}

/// The response of one behaviour, or why none is supported.
fn respond(
    behaviour: &Value,
    request: &InvokeRequest,
) -> Result<Result<Payload, InvokeError>, String> {
    let kind = behaviour["behaviour"].as_str().unwrap_or_default();
    Ok(match kind {
        "echo" => Ok(Payload::Json(request.payload.to_value().into_owned())),
        "return" => Ok(Payload::Json(behaviour["value"].clone())),
        "return_raw" => {
            if let Some(text) = behaviour["payload"].as_str() {
                Ok(Payload::Raw(text.to_owned()))
            } else {
                let repeat = &behaviour["payload_repeat"];
                let text = repeat["text"]
                    .as_str()
                    .ok_or("return_raw without payload")?;
                let count = repeat["count"].as_u64().ok_or("return_raw without count")?;
                Ok(Payload::Raw(text.repeat(count as usize)))
            }
        }
        "raise" => {
            let error = behaviour["errorType"]
                .as_str()
                .unwrap_or("Exception")
                .to_owned();
            let cause = behaviour["errorPayloadText"]
                .as_str()
                .ok_or("raise without errorPayloadText")?
                .replace("${requestId}", &request.request_id);
            Err(InvokeError::Failed(TaskFailure { error, cause }))
        }
        other => return Err(format!("unsupported lambda behaviour '{other}'")),
    })
}

impl TaskInvoker for BehaviourInvoker {
    fn invoke(&self, request: InvokeRequest) -> BoxFuture<'_, Result<Payload, InvokeError>> {
        Box::pin(async move {
            let Some(mut behaviour) = self.functions.get(&request.function).cloned() else {
                return Err(InvokeError::NotFound);
            };
            while behaviour["behaviour"] == "sleep" {
                let seconds = behaviour["seconds"].as_f64().unwrap_or(0.0);
                self.clock.sleep(Duration::from_secs_f64(seconds)).await;
                behaviour = behaviour["then"].clone();
            }
            respond(&behaviour, &request).unwrap_or_else(|why| {
                Err(InvokeError::Failed(TaskFailure::from_message(
                    "Harness.Unsupported",
                    &why,
                )))
            })
        })
    }
}
