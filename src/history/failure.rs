//! Reading failures out of history events, the same way everywhere they are shown.

use super::event::{EventDetails, HistoryEvent};

impl HistoryEvent {
    /// Error and cause of an event that carries them (failed, timed out, aborted).
    pub fn error_and_cause(&self) -> Option<(Option<&str>, Option<&str>)> {
        match &self.details {
            Some(
                EventDetails::ExecutionFailed(d)
                | EventDetails::ExecutionAborted(d)
                | EventDetails::ExecutionTimedOut(d)
                | EventDetails::LambdaFunctionFailed(d)
                | EventDetails::LambdaFunctionTimedOut(d),
            ) => Some((d.error.as_deref(), d.cause.as_deref())),
            Some(EventDetails::TaskFailed(d) | EventDetails::TaskTimedOut(d)) => {
                Some((d.error.as_deref(), d.cause.as_deref()))
            }
            _ => None,
        }
    }

    /// `error: message` for a failure event, see [`failure_line`].
    pub fn failure_text(&self) -> Option<String> {
        self.error_and_cause()
            .map(|(error, cause)| failure_line(error, cause))
    }
}

/// One line for a person: `error: cause`, where a Lambda error document
/// (`{"errorMessage": …, "errorType": …}`) is reduced to its message.
pub fn failure_line(error: Option<&str>, cause: Option<&str>) -> String {
    let cause = cause.map(|c| {
        serde_json::from_str::<serde_json::Value>(c)
            .ok()
            .and_then(|v| v.get("errorMessage")?.as_str().map(str::to_string))
            .unwrap_or_else(|| c.to_string())
    });
    match (error, cause) {
        (Some(e), Some(c)) => format!("{e}: {c}"),
        (Some(e), None) => e.to_string(),
        (None, Some(c)) => c,
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_error_documents_are_reduced_to_their_message() {
        let doc = r#"{"errorMessage": "card declined", "errorType": "PaymentFailed"}"#;
        assert_eq!(
            failure_line(Some("PaymentFailed"), Some(doc)),
            "PaymentFailed: card declined"
        );
        assert_eq!(failure_line(Some("States.Timeout"), None), "States.Timeout");
        assert_eq!(failure_line(None, Some("plain")), "plain");
        assert_eq!(failure_line(None, None), "");
    }
}
