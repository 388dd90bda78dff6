//! Input/output processing in AWS order:
//! InputPath → Parameters → (task) → ResultSelector → ResultPath → OutputPath.

use std::borrow::Cow;

use serde_json::{Map, Value};

pub use super::context::{Env, Scope, select};
use super::error::{StatesError, names};
use super::intrinsics;
use crate::asl::limits;
use crate::asl::model::{ResultTarget, Selection};
use crate::asl::path::{JsonPath, PathMiss, bracket_notation, insert_at};
use crate::asl::template::Template;

/// Reads the value a `*Path` parameter (`SecondsPath`, `TimeoutSecondsPath`, …) points
/// at, failing as Step Functions does when it points at nothing.
pub fn select_parameter<'v>(
    parameter: &str,
    path: &JsonPath,
    input: &'v Value,
    scope: &Scope<'_>,
) -> Result<Cow<'v, Value>, StatesError> {
    select(path, input, scope).map_err(|_| {
        StatesError::runtime(format!(
            "The {parameter} parameter does not reference an input value: {}",
            path.text()
        ))
    })
}

fn invalid_path(path: &JsonPath, miss: &PathMiss) -> StatesError {
    let last = path
        .plain_segments()
        .is_some_and(|s| bracket_notation(s) == miss.missing);
    StatesError::invalid_path(path, miss, last)
}

/// Applies InputPath/OutputPath/ItemsPath-style selection.
pub fn apply_selection(
    selection: &Selection,
    value: &Value,
    scope: &Scope<'_>,
) -> Result<Value, StatesError> {
    match selection {
        Selection::Whole => Ok(value.clone()),
        Selection::Empty => Ok(Value::Object(Map::new())),
        Selection::Path(p) => select(p, value, scope)
            .map(Cow::into_owned)
            .map_err(|miss| invalid_path(p, &miss)),
    }
}

/// Like [`apply_selection`], borrowing when the whole value is selected.
pub fn select_input<'v>(
    selection: &Selection,
    value: &'v Value,
    scope: &Scope<'_>,
) -> Result<Cow<'v, Value>, StatesError> {
    match selection {
        Selection::Whole => Ok(Cow::Borrowed(value)),
        other => apply_selection(other, value, scope).map(Cow::Owned),
    }
}

/// Like [`apply_selection`] but consumes the value (no copy for the common `$`).
pub fn apply_selection_owned(
    selection: &Selection,
    value: Value,
    scope: &Scope<'_>,
) -> Result<Value, StatesError> {
    match selection {
        Selection::Whole => Ok(value),
        other => apply_selection(other, &value, scope),
    }
}

/// Places `result` into `input` according to ResultPath.
pub fn apply_result_path(
    target: &ResultTarget,
    input: Value,
    result: Value,
) -> Result<Value, StatesError> {
    match target {
        ResultTarget::Replace => Ok(result),
        ResultTarget::Discard => Ok(input),
        ResultTarget::At(segments) => {
            let mut input = input;
            insert_at(&mut input, segments, result).map_err(|e| {
                StatesError::runtime(format!(
                    "Unable to apply ResultPath '{}': {e}",
                    bracket_notation(segments)
                ))
            })?;
            Ok(input)
        }
    }
}

/// Evaluates an object template's members, leaving the member `skip` (when given)
/// `null`: for a member whose value the caller holds in another form already.
pub fn eval_members(
    members: &[(String, Template)],
    skip: Option<&str>,
    input: &Value,
    env: &mut Env<'_>,
) -> Result<Value, StatesError> {
    let copies = members
        .iter()
        .map(|(_, t)| t.copies())
        .fold(0, usize::saturating_add);
    let mut size = PayloadSize::for_copies(copies);
    members_in(members, skip, input, env, &mut size)
}

fn members_in(
    members: &[(String, Template)],
    skip: Option<&str>,
    input: &Value,
    env: &mut Env<'_>,
    size: &mut Option<PayloadSize>,
) -> Result<Value, StatesError> {
    let mut out = Map::with_capacity(members.len());
    for (key, t) in members {
        let value = match t {
            _ if skip == Some(key.as_str()) => Value::Null,
            Template::Path(p) => measured(
                select(p, input, &env.scope)
                    .map(Cow::into_owned)
                    .map_err(|_| StatesError::field_not_found(p, &format!("{key}.$"), input))?,
                size,
            )?,
            other => template_in(other, input, env, size)?,
        };
        out.insert(key.clone(), value);
    }
    Ok(Value::Object(out))
}

/// The size of a document being built from a template that copies many values from
/// its input, measured as it grows (see [`limits::UNMEASURED_COPIES`]).
#[derive(Default)]
pub(crate) struct PayloadSize(usize);

impl PayloadSize {
    /// A measure for a template or call that copies `copies` values from its input, if
    /// it needs one.
    pub(crate) fn for_copies(copies: usize) -> Option<Self> {
        (copies > limits::UNMEASURED_COPIES).then(Self::default)
    }

    /// Counts `value` in; `States.DataLimitExceeded` once the whole is over the
    /// payload limit.
    pub(crate) fn add(&mut self, value: &Value) -> Result<(), StatesError> {
        let left = limits::MAX_PAYLOAD_BYTES.saturating_sub(self.0);
        let n = limits::text_len_within(value, left).ok_or_else(|| {
            StatesError::new(
                names::DATA_LIMIT,
                "The payload template's result exceeds the maximum number of bytes service limit.",
            )
        })?;
        self.0 += n;
        Ok(())
    }
}

/// `value`, counted in `size` when the document is measured.
fn measured(value: Value, size: &mut Option<PayloadSize>) -> Result<Value, StatesError> {
    if let Some(size) = size {
        size.add(&value)?;
    }
    Ok(value)
}

/// Evaluates a payload template (Parameters, ResultSelector, ItemSelector, ...).
pub fn eval_template(
    template: &Template,
    input: &Value,
    env: &mut Env<'_>,
) -> Result<Value, StatesError> {
    let mut size = PayloadSize::for_copies(template.copies());
    template_in(template, input, env, &mut size)
}

fn template_in(
    template: &Template,
    input: &Value,
    env: &mut Env<'_>,
    size: &mut Option<PayloadSize>,
) -> Result<Value, StatesError> {
    match template {
        Template::Constant(v) => measured(v.clone(), size),
        Template::Object(members) => members_in(members, None, input, env, size),
        Template::Array(items) => items
            .iter()
            .map(|t| template_in(t, input, env, size))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Template::Path(p) => measured(
            select(p, input, &env.scope)
                .map(Cow::into_owned)
                .map_err(|_| StatesError::field_not_found(p, p.text(), input))?,
            size,
        ),
        Template::Intrinsic(call) => measured(intrinsics::evaluate(call, input, env)?, size),
    }
}

/// Evaluates an `ErrorPath`/`CausePath`-style single dynamic value, naming `field` in errors.
pub fn eval_dynamic_field(
    template: &Template,
    field: &str,
    input: &Value,
    env: &mut Env<'_>,
) -> Result<Value, StatesError> {
    match template {
        Template::Path(p) => select(p, input, &env.scope)
            .map(Cow::into_owned)
            .map_err(|_| StatesError::field_not_found(p, field, input)),
        other => eval_template(other, input, env),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::asl::path::Segment;
    use crate::engine::context::{ExecutionFacts, StateFacts};
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use serde_json::json;

    /// Execution facts for tests of code that reads the context object.
    pub(crate) fn facts() -> ExecutionFacts {
        ExecutionFacts {
            id: "arn:exec".into(),
            name: "exec".into(),
            input: r#"{"in": 1}"#.into(),
            start_time: "2024-01-01T00:00:00.000Z".into(),
            role_arn: "arn:role".into(),
            machine_id: "arn:sm".into(),
            machine_name: "sm".into(),
            redrive_count: 0,
            redrive_time: None,
        }
    }

    /// A scope over `f` in a state `S`.
    pub(crate) fn scope(f: &ExecutionFacts) -> Scope<'_> {
        Scope {
            execution: f,
            state: StateFacts {
                name: "S",
                entered_time: chrono::DateTime::from_timestamp(1, 0).unwrap(),
                retry_count: Some(2),
                map_item: None,
                task_token: None,
            },
        }
    }

    #[test]
    fn pipeline_applies_paths_in_aws_order() {
        let f = facts();
        let scope = scope(&f);
        let mut rng = StdRng::seed_from_u64(1);
        let mut env = Env {
            scope,
            rng: &mut rng,
        };
        let raw = json!({"a": {"b": 5}, "keep": true});
        let input = apply_selection(
            &Selection::Path(JsonPath::parse("$.a").unwrap()),
            &raw,
            &env.scope,
        )
        .unwrap();
        assert_eq!(input, json!({"b": 5}));
        let params = Template::compile(&json!({
            "value.$": "$.b", "name.$": "$$.State.Name", "retries.$": "$$.State.RetryCount", "fixed": [1]
        }))
        .unwrap();
        let effective = eval_template(&params, &input, &mut env).unwrap();
        assert_eq!(
            effective,
            json!({"value": 5, "name": "S", "retries": 2, "fixed": [1]})
        );
        let out = apply_result_path(
            &ResultTarget::At(vec![Segment::Key("result".into())]),
            raw.clone(),
            effective,
        )
        .unwrap();
        assert_eq!(out["result"]["value"], 5);
        assert_eq!(out["keep"], true);
        let out = apply_selection(
            &Selection::Path(JsonPath::parse("$.result.name").unwrap()),
            &out,
            &env.scope,
        )
        .unwrap();
        assert_eq!(out, json!("S"));
        assert_eq!(
            apply_result_path(&ResultTarget::Discard, raw.clone(), json!(1)).unwrap(),
            raw
        );
        assert_eq!(
            apply_selection(&Selection::Empty, &raw, &env.scope).unwrap(),
            json!({})
        );
    }

    #[test]
    fn missing_paths_raise_runtime_errors_with_aws_messages() {
        let f = facts();
        let scope = scope(&f);
        let p = JsonPath::parse("$.no.such.path").unwrap();
        let err = apply_selection(&Selection::Path(p), &json!({}), &scope).unwrap_err();
        assert_eq!(err.error, "States.Runtime");
        assert_eq!(
            err.cause.unwrap(),
            "Invalid path '$.no.such.path' : Missing property in path $['no']"
        );
        let p = JsonPath::parse("$.nope").unwrap();
        let err = apply_selection(&Selection::Path(p), &json!({}), &scope).unwrap_err();
        assert_eq!(
            err.cause.unwrap(),
            "Invalid path '$.nope' : No results for path: $['nope']"
        );
        let mut rng = StdRng::seed_from_u64(1);
        let mut env = Env {
            scope,
            rng: &mut rng,
        };
        let t = Template::compile(&json!({"x.$": "$.missing"})).unwrap();
        let err = eval_template(&t, &json!({"a": 1}), &mut env).unwrap_err();
        assert_eq!(
            err.cause.unwrap(),
            "The JSONPath '$.missing' specified for the field 'x.$' could not be found in the input '{\"a\":1}'"
        );
    }
}
