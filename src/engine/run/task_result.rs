//! A task's result on its way to the ResultSelector.
//!
//! A `lambda:invoke` result is the whole Invoke response: some thirty members of HTTP
//! metadata around the function's payload. Most definitions keep only the payload
//! (`"ResultSelector": {"Payload.$": "$.Payload"}`), so building the response document
//! for every call, only to take one member out of it, is most of what a task costs.
//! The response is therefore kept in parts and built whole only when something reads
//! more than its payload. Its text, for the history, is written directly
//! ([`lambda::invoke_response_text`]).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::output_text::json_text;
use super::state_data::StateData;
use crate::asl::path::{Segment, take_plain};
use crate::asl::template::Template;
use crate::engine::dataflow::{Env, eval_template};
use crate::engine::error::StatesError;
use crate::engine::lambda;

/// What a task produced.
pub(crate) enum TaskOutput {
    /// A document (a plain Lambda ARN's payload, a callback's output).
    Value(Value),
    /// A `lambda:invoke` response, in parts, with its text as the history recorded it.
    Invoke {
        response: InvokeResponse,
        text: String,
    },
}

/// The parts of a `lambda:invoke` response.
pub(crate) struct InvokeResponse {
    pub(crate) payload: Value,
    /// The payload's length as the function's runtime serialised it (`Content-Length`).
    pub(crate) payload_len: usize,
    pub(crate) request_id: String,
    pub(crate) trace_id: String,
    pub(crate) at: DateTime<Utc>,
}

impl InvokeResponse {
    /// The response's compact JSON text, as the history records it.
    pub(crate) fn text(&self) -> String {
        lambda::invoke_response_text(
            &json_text(&self.payload),
            self.payload_len,
            &self.request_id,
            &self.trace_id,
            self.at,
        )
    }

    /// The response document.
    fn into_value(self) -> Value {
        lambda::invoke_response(
            self.payload,
            self.payload_len,
            &self.request_id,
            &self.trace_id,
            self.at,
        )
    }
}

impl TaskOutput {
    /// The whole result document, with its text when the history has it.
    pub(crate) fn into_data(self) -> StateData {
        match self {
            TaskOutput::Value(v) => StateData::new(v),
            TaskOutput::Invoke { response, text } => {
                StateData::with_compact_text(response.into_value(), text)
            }
        }
    }

    /// Applies a ResultSelector. When the selector reads nothing of an Invoke response
    /// but its payload, it is evaluated against `{"Payload": ...}` alone, which gives
    /// the same value; if that fails, it is evaluated again against the whole response,
    /// so an error names the input exactly as Step Functions would.
    pub(crate) fn select(
        self,
        selector: &Template,
        env: &mut Env<'_>,
    ) -> Result<Value, StatesError> {
        match self {
            TaskOutput::Invoke { response: r, .. }
                if let Some((key, within)) = one_payload_member(selector) =>
            {
                // Nothing else reads the payload: the member is moved out, not copied.
                let mut payload = r.payload;
                match take_plain(&mut payload, within) {
                    Some(value) => {
                        let mut out = Map::with_capacity(1);
                        out.insert(key.to_owned(), value);
                        Ok(Value::Object(out))
                    }
                    None => {
                        let whole = InvokeResponse { payload, ..r }.into_value();
                        eval_template(selector, &whole, env)
                    }
                }
            }
            TaskOutput::Invoke { response: r, .. } if reads_only_payload(selector) => {
                let mut slim = Map::with_capacity(1);
                slim.insert(PAYLOAD.to_owned(), r.payload);
                let slim = Value::Object(slim);
                match eval_template(selector, &slim, env) {
                    Ok(v) => Ok(v),
                    Err(_) => {
                        let Value::Object(mut slim) = slim else {
                            unreachable!("built as an object above")
                        };
                        let payload = slim.remove(PAYLOAD).unwrap_or(Value::Null);
                        let whole = InvokeResponse { payload, ..r }.into_value();
                        eval_template(selector, &whole, env)
                    }
                }
            }
            other => eval_template(selector, other.into_data().value(), env),
        }
    }
}

const PAYLOAD: &str = "Payload";

/// For a selector of one member whose path reads the payload (`{"Payload.$":
/// "$.Payload"}`, the usual one), the member's key and the path's segments within
/// the payload.
fn one_payload_member(template: &Template) -> Option<(&str, &[Segment])> {
    let Template::Object(members) = template else {
        return None;
    };
    match members.as_slice() {
        [(key, Template::Path(p))] if !p.is_context() => match p.plain_segments()? {
            [Segment::Key(k), within @ ..] if k == PAYLOAD => Some((key, within)),
            _ => None,
        },
        _ => None,
    }
}

/// Whether every path in a template reads the context object or the input's
/// `Payload` (intrinsic functions are not looked into: they count as reading more).
fn reads_only_payload(template: &Template) -> bool {
    match template {
        Template::Constant(_) => true,
        Template::Object(members) => members.iter().all(|(_, t)| reads_only_payload(t)),
        Template::Array(items) => items.iter().all(reads_only_payload),
        Template::Path(p) => {
            p.is_context()
                || matches!(p.plain_segments(), Some([Segment::Key(k), ..]) if k == PAYLOAD)
        }
        Template::Intrinsic(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::dataflow::tests::{facts, scope};
    use rand::SeedableRng;
    use serde_json::json;

    fn eval_with(template: &Template, input: &Value) -> Result<Value, StatesError> {
        eval_or_select(template, Err(input))
    }

    /// Evaluates `template` on `input` (`Err`), or selects from a fresh response (`Ok`).
    fn eval_or_select(template: &Template, on: Result<(), &Value>) -> Result<Value, StatesError> {
        let f = facts();
        let scope = scope(&f);
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let mut env = Env {
            scope,
            rng: &mut rng,
        };
        match on {
            Ok(()) => {
                let text = response().text();
                TaskOutput::Invoke {
                    response: response(),
                    text,
                }
                .select(template, &mut env)
            }
            Err(input) => eval_template(template, input, &mut env),
        }
    }

    fn response() -> InvokeResponse {
        InvokeResponse {
            payload: json!({"status": "ok", "id": 7}),
            payload_len: 28,
            request_id: "rid".into(),
            trace_id: "Root=1-rid".into(),
            at: DateTime::from_timestamp(0, 0).unwrap(),
        }
    }

    fn select(selector: Value) -> Result<Value, StatesError> {
        eval_or_select(&Template::compile(&selector).unwrap(), Ok(()))
    }

    #[test]
    fn a_payload_selector_sees_what_it_would_see_in_the_whole_response() {
        for selector in [
            json!({"Payload.$": "$.Payload"}),
            json!({"s.$": "$.Payload.status"}),
            json!({"s.$": "$.Payload.status", "fixed": [1, {"a": "b"}]}),
            json!({"code.$": "$.StatusCode", "p.$": "$.Payload"}),
            json!({"h.$": "$.SdkHttpMetadata.HttpHeaders.Date"}),
            json!({"all.$": "$"}),
        ] {
            let template = Template::compile(&selector).unwrap();
            let want = eval_with(&template, &response().into_value()).unwrap();
            assert_eq!(select(selector.clone()).unwrap(), want, "{selector}");
        }
    }

    #[test]
    fn a_missing_payload_field_is_reported_against_the_whole_response() {
        for selector in [
            json!({"x.$": "$.Payload.missing"}),
            json!({"x.$": "$.Payload.missing", "y": 1}),
            json!({"x.$": "$.Payload.status[0]"}),
        ] {
            let err = select(selector.clone()).unwrap_err();
            let cause = err.cause.unwrap_or_default();
            assert!(cause.contains("SdkHttpMetadata"), "{selector}: {cause}");
            assert!(cause.contains(r#""status":"ok""#), "{selector}: {cause}");
        }
    }

    #[test]
    fn a_one_member_payload_selector_takes_the_member_out() {
        let selected = select(json!({"Payload.$": "$.Payload"})).unwrap();
        assert_eq!(selected, json!({"Payload": response().payload}));
        let selected = select(json!({"n.$": "$.Payload.id"})).unwrap();
        assert_eq!(selected, json!({"n": 7}));
        let mut payload = json!({"a": [1, {"b": 2}]});
        let b = [
            Segment::Key("a".into()),
            Segment::Index(1),
            Segment::Key("b".into()),
        ];
        assert_eq!(take_plain(&mut payload, &b), Some(json!(2)));
        assert_eq!(payload, json!({"a": [1, {"b": null}]}));
        let missing = [Segment::Key("a".into()), Segment::Index(5)];
        assert_eq!(take_plain(&mut payload, &missing), None);
        assert_eq!(payload, json!({"a": [1, {"b": null}]}));
    }

    #[test]
    fn only_payload_and_context_paths_count_as_payload_only() {
        let only = |v: Value| reads_only_payload(&Template::compile(&v).unwrap());
        assert!(only(
            json!({"p.$": "$.Payload.a", "c.$": "$$.Execution.Id"})
        ));
        assert!(!only(json!({"p.$": "$.Payloads"})));
        assert!(!only(json!({"p.$": "$..Payload"})));
        assert!(!only(json!({"p.$": "States.JsonToString($.Payload)"})));
    }
}
