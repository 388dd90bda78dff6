//! Task tokens of `.waitForTaskToken` tasks: the task waits until SendTaskSuccess,
//! SendTaskFailure or its timeouts end it, and SendTaskHeartbeat restarts its
//! heartbeat timer.
//!
//! The API reference of those three actions decides the errors a caller gets:
//! `InvalidToken` (not a token at all), `TaskDoesNotExist` (no task ever had it),
//! `TaskTimedOut` ("the task token has either expired or the task associated with the
//! token has already been closed") and, for SendTaskSuccess, `InvalidOutput` (the output
//! is not JSON).

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;
use tokio::sync::mpsc;

/// What every token this engine hands out starts with (tokens are otherwise opaque).
const TOKEN_PREFIX: &str = "sagaview-task-token-";
/// The longest token the API accepts (SendTaskSuccess reference: 1 to 2048 characters).
const MAX_TOKEN_LEN: usize = 2048;

/// A message for a waiting task.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Callback {
    /// SendTaskSuccess: the output as parsed and as sent.
    Success(Value, String),
    /// SendTaskFailure.
    Failure {
        error: Option<String>,
        cause: Option<String>,
    },
    /// SendTaskHeartbeat.
    Heartbeat,
}

/// Why SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat was refused, named as AWS
/// names the error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskTokenError {
    /// `InvalidToken`: the text is not a task token.
    #[error("InvalidToken: '{0}' is not a task token")]
    InvalidToken(String),
    /// `TaskDoesNotExist`: no task was ever given this token.
    #[error("TaskDoesNotExist: no task was given the token '{0}'")]
    TaskDoesNotExist(String),
    /// `TaskTimedOut`: the task of this token has timed out or already ended.
    #[error("TaskTimedOut: the task of the token '{0}' has timed out or already ended")]
    TaskTimedOut(String),
    /// `InvalidOutput`: SendTaskSuccess output that is not JSON.
    #[error("InvalidOutput: the task output is not valid JSON: {0}")]
    InvalidOutput(String),
    /// `ValidationException`: a parameter longer than the API reference allows
    /// (SendTaskSuccess `output`, SendTaskFailure `error` or `cause`).
    #[error("ValidationException: {0}")]
    ValidationException(String),
}

/// The longest SendTaskSuccess `output`, in UTF-8 bytes (API reference: "Length
/// constraints apply to the payload size, and are expressed as bytes in UTF-8
/// encoding", maximum 262144): the payload limit.
pub(crate) const MAX_OUTPUT_BYTES: usize = crate::asl::limits::MAX_PAYLOAD_BYTES;
/// The longest SendTaskFailure `error`, in characters (API reference: 0 to 256).
pub(crate) const MAX_ERROR_CHARS: usize = 256;
/// The longest SendTaskFailure `cause`, in characters (API reference: 0 to 32768).
pub(crate) const MAX_CAUSE_CHARS: usize = 32_768;

/// Refuses a parameter longer than `max` (as measured by `len`), naming it as AWS's
/// validation message does.
pub(crate) fn check_length(
    name: &str,
    value: Option<&str>,
    len: fn(&str) -> usize,
    max: usize,
) -> Result<(), TaskTokenError> {
    match value {
        Some(v) if len(v) > max => Err(TaskTokenError::ValidationException(format!(
            "1 validation error detected: Value at '{name}' failed to satisfy constraint: Member must have length less than or equal to {max}"
        ))),
        _ => Ok(()),
    }
}

impl TaskTokenError {
    /// The AWS error code (`InvalidToken`, `TaskDoesNotExist`, ...).
    pub fn aws_name(&self) -> &'static str {
        match self {
            Self::InvalidToken(_) => "InvalidToken",
            Self::TaskDoesNotExist(_) => "TaskDoesNotExist",
            Self::TaskTimedOut(_) => "TaskTimedOut",
            Self::InvalidOutput(_) => "InvalidOutput",
            Self::ValidationException(_) => "ValidationException",
        }
    }
}

/// The tokens of the tasks waiting now. A token carries the sequence number it was
/// issued under, so an ended token is told from one never issued without remembering
/// every ended token: a number below the next one to issue that is not open any more
/// was closed.
#[derive(Debug, Default)]
pub(crate) struct TaskTokens {
    inner: Mutex<Tokens>,
}

#[derive(Debug, Default)]
struct Tokens {
    /// The sequence number of the next token.
    next: u64,
    /// The open tokens by sequence number: their unique part and their task's sender.
    open: HashMap<u64, (String, mpsc::UnboundedSender<Callback>)>,
}

/// An open token and the receiver its task waits on; dropping it closes the token, so
/// a task that ends in any way (stopped, timed out, dropped with a failed sibling
/// branch) leaves nothing open.
#[derive(Debug)]
pub(crate) struct OpenToken<'a> {
    tokens: &'a TaskTokens,
    seq: u64,
    /// The token as handed to the task (`$$.Task.Token`).
    pub(crate) token: String,
    /// Where SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat arrive.
    pub(crate) rx: mpsc::UnboundedReceiver<Callback>,
}

impl Drop for OpenToken<'_> {
    fn drop(&mut self) {
        self.tokens.lock().open.remove(&self.seq);
    }
}

/// The sequence number and unique part of a well-formed token.
fn parse(token: &str) -> Option<(u64, &str)> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let (seq, unique) = token.strip_prefix(TOKEN_PREFIX)?.split_once('-')?;
    let seq = seq.parse().ok()?;
    (!unique.is_empty()).then_some((seq, unique))
}

impl TaskTokens {
    fn lock(&self) -> std::sync::MutexGuard<'_, Tokens> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new token made from `unique` (a UUID), with the receiver its task waits on.
    pub(crate) fn open(&self, unique: &str) -> OpenToken<'_> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut tokens = self.lock();
        let seq = tokens.next;
        tokens.next += 1;
        tokens.open.insert(seq, (unique.to_owned(), tx));
        OpenToken {
            tokens: self,
            seq,
            token: format!("{TOKEN_PREFIX}{seq}-{unique}"),
            rx,
        }
    }

    /// Ends a token: later calls with it get `TaskTimedOut`.
    pub(crate) fn close(&self, token: &str) {
        if let Some((seq, _)) = parse(token) {
            self.lock().open.remove(&seq);
        }
    }

    /// Hands `callback` to the task waiting on `token`; success and failure end it.
    pub(crate) fn deliver(&self, token: &str, callback: Callback) -> Result<(), TaskTokenError> {
        let Some((seq, unique)) = parse(token) else {
            return Err(TaskTokenError::InvalidToken(token.to_owned()));
        };
        let mut tokens = self.lock();
        let ends = !matches!(callback, Callback::Heartbeat);
        let sent = match tokens.open.get(&seq) {
            Some((u, tx)) if u == unique => tx.send(callback).is_ok(),
            Some(_) => return Err(TaskTokenError::TaskDoesNotExist(token.to_owned())),
            None if seq < tokens.next => false,
            None => return Err(TaskTokenError::TaskDoesNotExist(token.to_owned())),
        };
        if ends || !sent {
            tokens.open.remove(&seq);
        }
        if sent {
            Ok(())
        } else {
            Err(TaskTokenError::TaskTimedOut(token.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_answer_with_the_aws_error_names() {
        let tokens = TaskTokens::default();
        let mut open = tokens.open("u1");
        let token = open.token.clone();
        assert_eq!(tokens.deliver(&token, Callback::Heartbeat), Ok(()));
        assert_eq!(open.rx.try_recv().ok(), Some(Callback::Heartbeat));
        let failure = Callback::Failure {
            error: Some("E".into()),
            cause: None,
        };
        assert_eq!(tokens.deliver(&token, failure.clone()), Ok(()));
        assert_eq!(
            tokens
                .deliver(&token, Callback::Heartbeat)
                .map_err(|e| e.aws_name()),
            Err("TaskTimedOut")
        );
        assert_eq!(
            tokens
                .deliver("nonsense", failure.clone())
                .map_err(|e| e.aws_name()),
            Err("InvalidToken")
        );
        let unknown = format!("{TOKEN_PREFIX}7-never");
        assert_eq!(
            tokens
                .deliver(&unknown, failure.clone())
                .map_err(|e| e.aws_name()),
            Err("TaskDoesNotExist")
        );
        // Dropping an open token closes it; nothing of it is kept.
        let second = tokens.open("u2");
        let token = second.token.clone();
        drop(second);
        assert_eq!(
            tokens.deliver(&token, failure).map_err(|e| e.aws_name()),
            Err("TaskTimedOut")
        );
        assert!(tokens.lock().open.is_empty());
    }
}
