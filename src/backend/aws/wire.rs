//! Two SDK interceptors: one counts every request that goes on the wire, one keeps a
//! response body exactly as AWS sent it.
//!
//! The count is how sagaview proves (and shows) that it stays inside the quotas; the raw
//! body is how a history reaches the UI in AWS's own JSON, parsed by the same types the
//! embedded runtime writes, with nothing lost in a translation through SDK structs.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

/// How many recent requests the log remembers.
const LOG_CAPACITY: usize = 20_000;

/// One request sent: which operation, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The operation name, e.g. `GetExecutionHistory`.
    pub operation: String,
    /// When the attempt was transmitted (retries count separately, as AWS meters them).
    pub at: Instant,
}

/// The recent requests of one client, shared with whoever wants to look.
#[derive(Debug, Clone, Default)]
pub struct CallLog {
    calls: Arc<Mutex<VecDeque<Call>>>,
}

impl CallLog {
    /// Every remembered request, oldest first.
    pub fn snapshot(&self) -> Vec<Call> {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    fn record(&self, operation: &str) {
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        if calls.len() == LOG_CAPACITY {
            calls.pop_front();
        }
        calls.push_back(Call {
            operation: operation.to_string(),
            at: Instant::now(),
        });
    }
}

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "sagaview.CallLog"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg
            .load::<Metadata>()
            .map(|m| m.name().to_string())
            .unwrap_or_else(|| "unknown".to_string());
        self.record(&operation);
        Ok(())
    }
}

/// Keeps the body of the last successful response of one request.
#[derive(Debug, Clone, Default)]
pub struct RawBody {
    body: Arc<Mutex<Option<Vec<u8>>>>,
}

impl RawBody {
    /// The body, once the request has succeeded.
    pub fn take(&self) -> Option<Vec<u8>> {
        self.body.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

impl Intercept for RawBody {
    fn name(&self) -> &'static str {
        "sagaview.RawBody"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if context.response().status().is_success()
            && let Some(bytes) = context.response().body().bytes()
        {
            *self.body.lock().unwrap_or_else(|e| e.into_inner()) = Some(bytes.to_vec());
        }
        Ok(())
    }
}
