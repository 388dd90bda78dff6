//! Task tokens of `.waitForTaskToken` tasks: the task waits until SendTaskSuccess,
//! SendTaskFailure or its timeouts end it, and SendTaskHeartbeat restarts its
//! heartbeat timer.
//!
//! The API reference of those three actions decides the errors a caller gets:
//! `InvalidToken` (not a token at all), `TaskDoesNotExist` (no task ever had it),
//! `TaskTimedOut` ("the task token has either expired or the task associated with the
//! token has already been closed") and, for SendTaskSuccess, `InvalidOutput` (the output
//! is not JSON).

use std::collections::{HashMap, HashSet};
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
}

impl TaskTokenError {
    /// The AWS error code (`InvalidToken`, `TaskDoesNotExist`, ...).
    pub fn aws_name(&self) -> &'static str {
        match self {
            Self::InvalidToken(_) => "InvalidToken",
            Self::TaskDoesNotExist(_) => "TaskDoesNotExist",
            Self::TaskTimedOut(_) => "TaskTimedOut",
            Self::InvalidOutput(_) => "InvalidOutput",
        }
    }
}

/// The tokens of the tasks waiting now, and of those that ended.
#[derive(Debug, Default)]
pub(crate) struct TaskTokens {
    inner: Mutex<Tokens>,
}

#[derive(Debug, Default)]
struct Tokens {
    open: HashMap<String, mpsc::UnboundedSender<Callback>>,
    closed: HashSet<String>,
}

impl TaskTokens {
    fn lock(&self) -> std::sync::MutexGuard<'_, Tokens> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new token made from `unique` (a UUID), and the receiver its task waits on.
    pub(crate) fn open(&self, unique: &str) -> (String, mpsc::UnboundedReceiver<Callback>) {
        let token = format!("{TOKEN_PREFIX}{unique}");
        let (tx, rx) = mpsc::unbounded_channel();
        let mut tokens = self.lock();
        tokens.open.insert(token.clone(), tx);
        (token, rx)
    }

    /// Ends a token: later calls with it get `TaskTimedOut`.
    pub(crate) fn close(&self, token: &str) {
        let mut tokens = self.lock();
        if tokens.open.remove(token).is_some() {
            tokens.closed.insert(token.to_owned());
        }
    }

    /// Hands `callback` to the task waiting on `token`; success and failure end it.
    pub(crate) fn deliver(&self, token: &str, callback: Callback) -> Result<(), TaskTokenError> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > MAX_TOKEN_LEN {
            return Err(TaskTokenError::InvalidToken(token.to_owned()));
        }
        let mut tokens = self.lock();
        let ends = !matches!(callback, Callback::Heartbeat);
        let sent = match tokens.open.get(token) {
            Some(tx) => tx.send(callback).is_ok(),
            None if tokens.closed.contains(token) => false,
            None => return Err(TaskTokenError::TaskDoesNotExist(token.to_owned())),
        };
        if (ends || !sent) && tokens.open.remove(token).is_some() {
            tokens.closed.insert(token.to_owned());
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
        let (token, mut rx) = tokens.open("u1");
        assert_eq!(tokens.deliver(&token, Callback::Heartbeat), Ok(()));
        assert_eq!(rx.try_recv().ok(), Some(Callback::Heartbeat));
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
        let unknown = format!("{TOKEN_PREFIX}never");
        assert_eq!(
            tokens.deliver(&unknown, failure).map_err(|e| e.aws_name()),
            Err("TaskDoesNotExist")
        );
    }
}
