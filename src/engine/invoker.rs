//! How Task states reach code: a registry of functions by name.

use crate::fast_map::FastMap;
use std::sync::Arc;

use serde_json::Value;

use crate::future::BoxFuture;

/// What a function returned.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A JSON value (serialised the way the Python runtime does for sizes/headers).
    Json(Value),
    /// Exactly this response text (may be invalid JSON).
    Raw(String),
}

/// A function error, as Lambda reports an unhandled exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFailure {
    /// The error type (e.g. `Exception`, `HotelUnavailable`), matched by Retry/Catch.
    pub error: String,
    /// The error payload text Lambda returned, e.g. `{"errorMessage": "...", "errorType": "..."}`.
    pub cause: String,
}

impl TaskFailure {
    /// A failure whose cause is the standard Lambda error document for `error`/`message`.
    pub fn from_message(error: &str, message: &str) -> Self {
        let mut doc = serde_json::Map::new();
        doc.insert("errorMessage".into(), message.into());
        doc.insert("errorType".into(), error.into());
        Self {
            error: error.to_owned(),
            cause: Value::Object(doc).to_string(),
        }
    }
}

/// Why an invocation produced no payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvokeError {
    /// No function with that name is registered (AWS: `ResourceNotFoundException`).
    NotFound,
    /// The function ran and failed.
    Failed(TaskFailure),
}

/// The event handed to a function: as a document, or as the JSON text the engine
/// already has (a task passing its whole input), which a function parsing it into its
/// own type reads without the document being built and copied first. Lambda itself
/// hands a function text.
#[derive(Debug, Clone, PartialEq)]
pub enum RequestPayload {
    /// A JSON document.
    Value(Value),
    /// The JSON text of an object.
    Text(String),
}

impl RequestPayload {
    /// The payload as a document.
    pub fn into_value(self) -> Value {
        match self {
            RequestPayload::Value(v) => v,
            RequestPayload::Text(text) => {
                serde_json::from_str(&text).unwrap_or(Value::String(text))
            }
        }
    }

    /// The payload as a document, built only if it is text.
    pub fn to_value(&self) -> std::borrow::Cow<'_, Value> {
        match self {
            RequestPayload::Value(v) => std::borrow::Cow::Borrowed(v),
            text => std::borrow::Cow::Owned(text.clone().into_value()),
        }
    }
}

impl From<Value> for RequestPayload {
    fn from(v: Value) -> Self {
        RequestPayload::Value(v)
    }
}

/// One invocation.
#[derive(Debug, Clone)]
pub struct InvokeRequest {
    /// The function name (never an ARN; the engine strips ARNs).
    pub function: String,
    /// The event handed to the function.
    pub payload: RequestPayload,
    /// The Lambda request id of this invocation (a UUID).
    pub request_id: String,
    /// The execution whose task invokes it: what an in-process handler's table writes
    /// are tagged with (see [`crate::store::RowWriter`]).
    pub execution_arn: String,
}

/// Runs functions by name; the engine calls it for every Lambda task.
pub trait TaskInvoker: Send + Sync {
    /// Invokes one function.
    fn invoke(&self, request: InvokeRequest) -> BoxFuture<'_, Result<Payload, InvokeError>>;
}

/// A function registered in-process.
pub type HandlerFn =
    Arc<dyn Fn(InvokeRequest) -> BoxFuture<'static, Result<Payload, TaskFailure>> + Send + Sync>;

/// A `TaskInvoker` backed by in-process handlers registered by function name.
#[derive(Default, Clone)]
pub struct FunctionRegistry {
    functions: FastMap<String, HandlerFn>,
}

impl FunctionRegistry {
    /// An empty registry (every function "does not exist").
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers (or replaces) a function.
    pub fn register(&mut self, name: impl Into<String>, handler: HandlerFn) {
        self.functions.insert(name.into(), handler);
    }

    /// Registers a synchronous JSON-in/JSON-out function.
    pub fn register_fn<F>(&mut self, name: impl Into<String>, f: F)
    where
        F: Fn(Value) -> Result<Value, TaskFailure> + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        self.register(
            name,
            Arc::new(move |req: InvokeRequest| {
                let result = f(req.payload.into_value()).map(Payload::Json);
                Box::pin(async move { result })
            }),
        );
    }

    /// Whether a function of that name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.functions.contains_key(name)
    }
}

impl std::fmt::Debug for FunctionRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionRegistry")
            .field("functions", &self.functions.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl TaskInvoker for FunctionRegistry {
    fn invoke(&self, request: InvokeRequest) -> BoxFuture<'_, Result<Payload, InvokeError>> {
        match self.functions.get(&request.function) {
            None => Box::pin(async { Err(InvokeError::NotFound) }),
            Some(handler) => {
                let fut = handler(request);
                Box::pin(async move { fut.await.map_err(InvokeError::Failed) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(function: &str) -> InvokeRequest {
        InvokeRequest {
            function: function.into(),
            payload: json!({"x": 1}).into(),
            request_id: "r".into(),
            execution_arn: "arn".into(),
        }
    }

    #[tokio::test]
    async fn registry_dispatches_by_name_and_reports_missing_functions() {
        let mut registry = FunctionRegistry::new();
        registry.register_fn("echo", Ok);
        registry.register_fn("boom", |_| Err(TaskFailure::from_message("Boom", "no")));
        assert_eq!(
            registry.invoke(req("echo")).await,
            Ok(Payload::Json(json!({"x": 1})))
        );
        match registry.invoke(req("boom")).await {
            Err(InvokeError::Failed(f)) => {
                assert_eq!(f.error, "Boom");
                assert_eq!(f.cause, r#"{"errorMessage":"no","errorType":"Boom"}"#);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            registry.invoke(req("nope")).await,
            Err(InvokeError::NotFound)
        );
    }

    #[tokio::test]
    async fn a_text_payload_reaches_a_function_as_the_same_document() {
        let mut registry = FunctionRegistry::new();
        registry.register_fn("echo", Ok);
        let doc = json!({"trip": {"id": "T1", "n": [1, 2.5, null]}});
        let mut request = req("echo");
        request.payload = RequestPayload::Text(doc.to_string());
        assert_eq!(request.payload.to_value().as_ref(), &doc);
        assert_eq!(registry.invoke(request).await, Ok(Payload::Json(doc)));
    }
}
