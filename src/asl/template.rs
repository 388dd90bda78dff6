//! Payload templates (`Parameters`, `ResultSelector`, `ItemSelector`): JSON with `.$` keys.

use serde_json::Value;

use super::intrinsic::IntrinsicCall;
use super::path::JsonPath;

/// A payload template compiled at load time: constant parts stay plain JSON,
/// `"key.$"` members become paths or intrinsic calls.
#[derive(Debug, Clone)]
pub enum Template {
    /// A constant with no dynamic part anywhere inside.
    Constant(Value),
    /// An object with at least one dynamic member (keys without the `.$`).
    Object(Vec<(String, Template)>),
    /// An array with at least one dynamic element.
    Array(Vec<Template>),
    /// `"key.$": "$.path"` or `"key.$": "$$.path"`.
    Path(JsonPath),
    /// `"key.$": "States.Something(...)"`.
    Intrinsic(IntrinsicCall),
}

impl Template {
    /// Compiles a template; the error names the offending member.
    pub fn compile(value: &Value) -> Result<Self, String> {
        match value {
            Value::Object(map) => {
                let mut members = Vec::with_capacity(map.len());
                let mut dynamic = false;
                for (key, v) in map {
                    if let Some(name) = key.strip_suffix(".$") {
                        let Value::String(expr) = v else {
                            return Err(format!(
                                "the value of '{key}' must be a JSONPath or an intrinsic function call"
                            ));
                        };
                        dynamic = true;
                        members.push((name.to_owned(), Self::dynamic(expr, key)?));
                    } else {
                        let t = Self::compile(v)?;
                        dynamic |= !matches!(t, Self::Constant(_));
                        members.push((key.clone(), t));
                    }
                }
                if dynamic {
                    Ok(Self::Object(members))
                } else {
                    Ok(Self::Constant(value.clone()))
                }
            }
            Value::Array(items) => {
                let compiled = items
                    .iter()
                    .map(Self::compile)
                    .collect::<Result<Vec<_>, _>>()?;
                if compiled.iter().all(|t| matches!(t, Self::Constant(_))) {
                    Ok(Self::Constant(value.clone()))
                } else {
                    Ok(Self::Array(compiled))
                }
            }
            other => Ok(Self::Constant(other.clone())),
        }
    }

    /// How many values the template copies from its input: its paths, and the path
    /// arguments of its intrinsic calls (see
    /// [`crate::asl::limits::UNMEASURED_COPIES`]).
    pub fn copies(&self) -> usize {
        match self {
            Self::Constant(_) => 0,
            Self::Object(members) => members
                .iter()
                .map(|(_, t)| t.copies())
                .fold(0, usize::saturating_add),
            Self::Array(items) => items
                .iter()
                .map(Self::copies)
                .fold(0, usize::saturating_add),
            Self::Path(_) => 1,
            Self::Intrinsic(call) => call.copies(),
        }
    }

    pub(crate) fn dynamic(expr: &str, key: &str) -> Result<Self, String> {
        if expr.starts_with('$') {
            JsonPath::parse(expr)
                .map(Self::Path)
                .map_err(|e| format!("'{key}': {e}"))
        } else if expr.starts_with("States.") {
            IntrinsicCall::parse(expr)
                .map(Self::Intrinsic)
                .map_err(|e| format!("'{key}': {e}"))
        } else {
            Err(format!(
                "the value of '{key}' must be a JSONPath or an intrinsic function call, not '{expr}'"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn constant_parts_stay_constant() {
        let t = Template::compile(&json!({"a": [1, {"b": 2}]})).unwrap();
        assert!(matches!(t, Template::Constant(_)));
        let t = Template::compile(&json!({"a": [1, {"b.$": "$.x"}], "c": 1})).unwrap();
        match t {
            Template::Object(members) => {
                assert_eq!(members[0].0, "a");
                assert!(matches!(members[0].1, Template::Array(_)));
                assert!(matches!(members[1].1, Template::Constant(_)));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn dynamic_members_must_be_paths_or_calls() {
        assert!(Template::compile(&json!({"a.$": "nope"})).is_err());
        assert!(Template::compile(&json!({"a.$": 3})).is_err());
        assert!(Template::compile(&json!({"a.$": "States.Format('x')"})).is_ok());
    }
}
