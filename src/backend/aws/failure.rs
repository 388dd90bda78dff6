//! AWS failures turned into one status-bar line that says what to do.
//!
//! The SDK's errors are precise but long and nested; a viewer in a workshop needs
//! "your SSO session expired: run `aws sso login`", not a chain of dispatch errors.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What went wrong, as far as the user can act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// No credentials could be found at all.
    NoCredentials,
    /// Credentials were found but have expired or been revoked.
    ExpiredCredentials,
    /// The credentials lack a permission.
    AccessDenied,
    /// The named stack, state machine, execution or table does not exist.
    NotFound,
    /// The endpoint could not be reached (network, DNS, wrong `--endpoint-url`).
    Unreachable,
    /// AWS throttled the call.
    Throttled,
    /// Anything else.
    Other,
}

/// A failed AWS call: its kind and the line shown to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsFailure {
    /// The kind, for retry decisions.
    pub problem: Problem,
    /// One line: the operation, what happened, what to do.
    pub line: String,
}

/// Classifies from the error code and the full error text (both as AWS and the SDK
/// word them).
pub fn classify_text(code: Option<&str>, text: &str) -> Problem {
    let lower = text.to_ascii_lowercase();
    match code.unwrap_or_default() {
        "ThrottlingException"
        | "Throttling"
        | "TooManyRequestsException"
        | "ProvisionedThroughputExceededException"
        | "RequestLimitExceeded" => {
            return Problem::Throttled;
        }
        "ExpiredToken"
        | "ExpiredTokenException"
        | "RequestExpired"
        | "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "InvalidSignatureException" => {
            return Problem::ExpiredCredentials;
        }
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
            return Problem::AccessDenied;
        }
        "ExecutionDoesNotExist" | "StateMachineDoesNotExist" | "ResourceNotFoundException" => {
            return Problem::NotFound;
        }
        "ValidationError" if lower.contains("does not exist") => return Problem::NotFound,
        _ => {}
    }
    if lower.contains("no credentials")
        || lower.contains("credentialsnotloaded")
        || lower.contains("failed to load credentials")
        || lower.contains("no providers in chain provided credentials")
    {
        Problem::NoCredentials
    } else if lower.contains("token") && (lower.contains("expired") || lower.contains("refresh")) {
        Problem::ExpiredCredentials
    } else if lower.contains("accessdenied") || lower.contains("not authorized to perform") {
        Problem::AccessDenied
    } else if lower.contains("connection refused")
        || lower.contains("dns error")
        || lower.contains("failed to lookup address")
        || lower.contains("timed out")
        || lower.contains("timeout")
        || lower.contains("error trying to connect")
        || lower.contains("io error")
        || lower.contains("dispatch failure")
    {
        Problem::Unreachable
    } else {
        Problem::Other
    }
}

/// What the user can do about each kind of problem.
pub fn advice(problem: Problem) -> &'static str {
    match problem {
        Problem::NoCredentials => {
            "no AWS credentials found: run `aws configure` or `aws sso login`, or pass --profile"
        }
        Problem::ExpiredCredentials => {
            "your AWS credentials are expired or invalid: refresh them (e.g. `aws sso login`)"
        }
        Problem::AccessDenied => {
            "access denied: the viewer's role needs the policy in the README (\"Watch your deployed stack\")"
        }
        Problem::NotFound => "not found: check the name/ARN and --region",
        Problem::Unreachable => "cannot reach the endpoint: check the network or --endpoint-url",
        Problem::Throttled => "throttled by AWS: slowing down",
        Problem::Other => "AWS refused the call",
    }
}

/// What to do when RedriveExecution refuses, by AWS's error name; `None` for the
/// errors every call can meet (those keep their general advice).
pub fn redrive_refusal(code: &str) -> Option<&'static str> {
    match code {
        "ExecutionNotRedrivable" => Some(
            "this execution cannot be redriven: only a FAILED, TIMED_OUT or ABORTED \
             execution of a STANDARD state machine can be, within 14 days of its end and \
             a year of its start",
        ),
        "ExecutionLimitExceeded" => Some(
            "too many executions are open in this account: let some end (or stop them), \
             then redrive again",
        ),
        "InvalidArn" => Some("that is not an execution ARN"),
        _ => None,
    }
}

/// Turns an SDK error from `operation` into an [`AwsFailure`].
pub fn from_sdk<E>(operation: &str, err: &SdkError<E, HttpResponse>) -> AwsFailure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let text = DisplayErrorContext(err).to_string();
    // Some compatible servers answer authentication failures in XML, which the JSON
    // protocol's parser cannot read: fall back to the raw body.
    let body = err
        .raw_response()
        .and_then(|r| r.body().bytes())
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let service = err.as_service_error();
    let code = service
        .and_then(|e| e.code())
        .map(str::to_string)
        .or_else(|| between(&body, "<Code>", "</Code>"));
    let message = service
        .and_then(|e| e.message())
        .map(str::to_string)
        .or_else(|| between(&body, "<Message>", "</Message>"));
    let forbidden = err
        .raw_response()
        .is_some_and(|r| r.status().as_u16() == 403);
    let problem = match err {
        SdkError::DispatchFailure(d) if d.is_io() || d.is_timeout() => Problem::Unreachable,
        SdkError::TimeoutError(_) => Problem::Unreachable,
        _ => match classify_text(code.as_deref(), &format!("{text} {body}")) {
            Problem::Other if forbidden => Problem::AccessDenied,
            p => p,
        },
    };
    let detail = message.unwrap_or_else(|| root_cause(err));
    tracing::debug!(operation, error = %text, "AWS call failed");
    let line = match problem {
        // The chain's last provider ("IMDS disabled") would only mislead here.
        Problem::NoCredentials => format!("{operation}: {}", advice(problem)),
        _ => format!("{operation}: {} ({detail})", advice(problem)),
    };
    AwsFailure { problem, line }
}

/// Turns an error known only as text (e.g. the table's, which quotes an unparsed XML
/// error body) into an [`AwsFailure`].
pub fn from_text(operation: &str, text: &str) -> AwsFailure {
    let code = between(text, "<Code>", "</Code>");
    let problem = classify_text(code.as_deref(), text);
    // An XML error body's message, else the JSON protocols' as the SDK's error
    // metadata prints it, else the chain's last part.
    let detail = between(text, "<Message>", "</Message>")
        .or_else(|| between(text, "message: \"", "\""))
        .map(|m| short_message(&m))
        .unwrap_or_else(|| text.rsplit(": ").next().unwrap_or(text).to_string());
    AwsFailure {
        problem,
        line: format!("{operation}: {} ({detail})", advice(problem)),
    }
}

/// A service's message cut for a status line (at a character boundary).
fn short_message(message: &str) -> String {
    let mut s: String = message.chars().take(240).collect();
    if message.chars().count() > 240 {
        s.push('…');
    }
    s
}

/// The text between the first `open` and the next `close`, if any.
fn between(text: &str, open: &str, close: &str) -> Option<String> {
    let start = text.find(open)? + open.len();
    let len = text[start..].find(close)?;
    Some(text[start..start + len].trim().to_string()).filter(|s| !s.is_empty())
}

/// The innermost readable message of an error chain (the SDK's outer layers say only
/// "dispatch failure" or "service error").
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut best = err.to_string();
    let mut next = err.source();
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !text.contains('{') {
            best = text;
        }
        next = e.source();
    }
    short(&best)
}

/// The last, most specific part of an error chain, kept short for a status line.
fn short(text: &str) -> String {
    let last = text.rsplit(": ").next().unwrap_or(text).trim();
    let mut s: String = last.chars().take(160).collect();
    if last.chars().count() > 160 {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_codes_map_to_problems() {
        let cases = [
            (
                Some("ThrottlingException"),
                "Rate exceeded",
                Problem::Throttled,
            ),
            (
                Some("ExpiredTokenException"),
                "The security token included in the request is expired",
                Problem::ExpiredCredentials,
            ),
            (
                Some("AccessDeniedException"),
                "User is not authorized to perform: states:GetExecutionHistory",
                Problem::AccessDenied,
            ),
            (
                Some("ValidationError"),
                "Stack with id saga does not exist",
                Problem::NotFound,
            ),
            (
                Some("ExecutionDoesNotExist"),
                "Execution Does Not Exist",
                Problem::NotFound,
            ),
            (
                None,
                "dispatch failure: io error: error trying to connect: tcp connect error: Connection refused (os error 111)",
                Problem::Unreachable,
            ),
            (
                None,
                "failed to construct request: no credentials in the property bag",
                Problem::NoCredentials,
            ),
            (
                None,
                "the credential provider was not enabled: no providers in chain provided credentials",
                Problem::NoCredentials,
            ),
            (
                None,
                "the SSO token has expired and cannot be refreshed",
                Problem::ExpiredCredentials,
            ),
            (
                None,
                "DynamoDB PutItem on table saga: service error: AccessDeniedException: User: viewer is not authorized to perform: dynamodb:PutItem",
                Problem::AccessDenied,
            ),
            (Some("InternalFailure"), "boom", Problem::Other),
        ];
        for (code, text, want) in cases {
            assert_eq!(classify_text(code, text), want, "{code:?} {text}");
        }
    }

    #[test]
    fn json_protocol_messages_are_kept_from_error_text() {
        let text = "DynamoDB PutItem on table saga: service error: unhandled error \
            (AccessDeniedException): Error { code: \"AccessDeniedException\", message: \
            \"User: viewer is not authorized to perform: dynamodb:PutItem on resource: t\", \
            aws_request_id: \"x\" } Response { body: SdkBody { inner: Once } }";
        let f = from_text("PutItem", text);
        assert_eq!(f.problem, Problem::AccessDenied);
        assert!(
            f.line.ends_with(
                "(User: viewer is not authorized to perform: dynamodb:PutItem on resource: t)"
            ),
            "{}",
            f.line
        );
    }

    #[test]
    fn redrive_refusals_say_why() {
        let not = redrive_refusal("ExecutionNotRedrivable").unwrap();
        assert!(not.contains("FAILED, TIMED_OUT or ABORTED"), "{not}");
        assert!(redrive_refusal("ExecutionLimitExceeded").is_some());
        assert!(redrive_refusal("AccessDeniedException").is_none());
    }

    #[test]
    fn lines_say_what_to_do() {
        assert!(advice(Problem::NoCredentials).contains("aws sso login"));
        assert!(advice(Problem::AccessDenied).contains("README"));
        assert!(advice(Problem::Unreachable).contains("--endpoint-url"));
    }

    #[test]
    fn long_chains_are_cut_to_their_last_part() {
        let s = short(&format!("a: b: {}", "x".repeat(300)));
        assert_eq!(s.chars().count(), 161);
        assert!(s.starts_with('x'));
    }
}
