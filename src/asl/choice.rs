//! Choice rules: comparisons, type tests and the And/Or/Not combinators.

use serde_json::{Map, Value};

use super::path::JsonPath;

/// A Boolean expression of a Choice state.
#[derive(Debug, Clone)]
pub enum ChoiceRule {
    /// All must hold.
    And(Vec<ChoiceRule>),
    /// At least one must hold.
    Or(Vec<ChoiceRule>),
    /// Negation.
    Not(Box<ChoiceRule>),
    /// A test on the value at `variable`.
    Test {
        /// The path of the value tested.
        variable: JsonPath,
        /// What is tested.
        test: Test,
    },
}

/// A single test on a variable.
#[derive(Debug, Clone)]
pub enum Test {
    /// `StringEquals`, `NumericLessThanPath`, ...
    Compare {
        /// Which type is compared.
        kind: CompareKind,
        /// Which relation.
        relation: Relation,
        /// A literal or a path (`...Path` operators).
        operand: Operand,
    },
    /// `StringMatches` with `*` wildcards.
    StringMatches(String),
    /// `IsNull`.
    IsNull(bool),
    /// `IsPresent`.
    IsPresent(bool),
    /// `IsNumeric`.
    IsNumeric(bool),
    /// `IsString`.
    IsString(bool),
    /// `IsBoolean`.
    IsBoolean(bool),
    /// `IsTimestamp`.
    IsTimestamp(bool),
}

/// The type family of a comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum CompareKind {
    String,
    Numeric,
    Boolean,
    Timestamp,
}

/// The relation of a comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Relation {
    Equals,
    LessThan,
    GreaterThan,
    LessThanEquals,
    GreaterThanEquals,
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone)]
pub enum Operand {
    /// A literal from the definition.
    Literal(Value),
    /// A path evaluated against the state input (`...Path` operators).
    Path(JsonPath),
}

const RELATIONS: [(&str, Relation); 5] = [
    ("GreaterThanEquals", Relation::GreaterThanEquals),
    ("LessThanEquals", Relation::LessThanEquals),
    ("GreaterThan", Relation::GreaterThan),
    ("LessThan", Relation::LessThan),
    ("Equals", Relation::Equals),
];

const KINDS: [(&str, CompareKind); 4] = [
    ("String", CompareKind::String),
    ("Numeric", CompareKind::Numeric),
    ("Boolean", CompareKind::Boolean),
    ("Timestamp", CompareKind::Timestamp),
];

impl ChoiceRule {
    /// Parses a rule object; `allowed_extra` lists members handled by the caller (e.g. `Next`).
    pub fn parse(obj: &Map<String, Value>, allowed_extra: &[&str]) -> Result<Self, String> {
        let mut operator: Option<(&str, &Value)> = None;
        let mut variable = None;
        for (key, value) in obj {
            match key.as_str() {
                "Variable" => variable = Some(value),
                "Comment" => {}
                k if allowed_extra.contains(&k) => {}
                k => {
                    if let Some((previous, _)) = operator {
                        return Err(format!(
                            "a choice rule has two operators ('{previous}' and '{k}')"
                        ));
                    }
                    operator = Some((k, value));
                }
            }
        }
        let (op, value) = operator.ok_or("a choice rule has no comparison operator")?;
        match op {
            "And" | "Or" => {
                if variable.is_some() {
                    return Err(format!("'{op}' cannot be combined with 'Variable'"));
                }
                let items = value
                    .as_array()
                    .filter(|a| !a.is_empty())
                    .ok_or_else(|| format!("'{op}' must be a non-empty array of rules"))?;
                let rules = items
                    .iter()
                    .map(|v| {
                        let o = v
                            .as_object()
                            .ok_or_else(|| format!("'{op}' items must be objects"))?;
                        Self::parse(o, &[])
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(if op == "And" {
                    Self::And(rules)
                } else {
                    Self::Or(rules)
                })
            }
            "Not" => {
                if variable.is_some() {
                    return Err("'Not' cannot be combined with 'Variable'".into());
                }
                let o = value.as_object().ok_or("'Not' must be a rule object")?;
                Ok(Self::Not(Box::new(Self::parse(o, &[])?)))
            }
            _ => {
                let variable = variable
                    .ok_or_else(|| format!("the rule with '{op}' has no 'Variable'"))?
                    .as_str()
                    .ok_or("'Variable' must be a string")?;
                let variable = JsonPath::parse(variable)?;
                let test = parse_test(op, value)?;
                Ok(Self::Test { variable, test })
            }
        }
    }
}

fn parse_test(op: &str, value: &Value) -> Result<Test, String> {
    let flag = |t: fn(bool) -> Test| {
        value
            .as_bool()
            .map(t)
            .ok_or_else(|| format!("'{op}' must be true or false"))
    };
    match op {
        "IsNull" => return flag(Test::IsNull),
        "IsPresent" => return flag(Test::IsPresent),
        "IsNumeric" => return flag(Test::IsNumeric),
        "IsString" => return flag(Test::IsString),
        "IsBoolean" => return flag(Test::IsBoolean),
        "IsTimestamp" => return flag(Test::IsTimestamp),
        "StringMatches" => {
            return value
                .as_str()
                .map(|s| Test::StringMatches(s.to_owned()))
                .ok_or_else(|| "'StringMatches' must be a string".into());
        }
        _ => {}
    }
    let (base, is_path) = match op.strip_suffix("Path") {
        Some(base) => (base, true),
        None => (op, false),
    };
    let (kind, rest) = KINDS
        .iter()
        .find_map(|(prefix, kind)| base.strip_prefix(prefix).map(|rest| (*kind, rest)))
        .ok_or_else(|| format!("unknown choice operator '{op}'"))?;
    let relation = RELATIONS
        .iter()
        .find(|(name, _)| *name == rest)
        .map(|(_, r)| *r)
        .ok_or_else(|| format!("unknown choice operator '{op}'"))?;
    if kind == CompareKind::Boolean && relation != Relation::Equals {
        return Err(format!("unknown choice operator '{op}'"));
    }
    let operand = if is_path {
        let text = value
            .as_str()
            .ok_or_else(|| format!("'{op}' must be a JSONPath string"))?;
        Operand::Path(JsonPath::parse(text)?)
    } else {
        let ok = match kind {
            CompareKind::String => value.is_string(),
            CompareKind::Numeric => value.is_number(),
            CompareKind::Boolean => value.is_boolean(),
            CompareKind::Timestamp => value
                .as_str()
                .is_some_and(|s| super::timestamp::parse_timestamp(s).is_some()),
        };
        if !ok {
            return Err(format!("'{op}' has an operand of the wrong type: {value}"));
        }
        Operand::Literal(value.clone())
    };
    Ok(Test::Compare {
        kind,
        relation,
        operand,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<ChoiceRule, String> {
        ChoiceRule::parse(v.as_object().unwrap(), &["Next"])
    }

    #[test]
    fn parses_path_operators_and_combinators() {
        let rule = parse(
            json!({"Not": {"Variable": "$.a", "NumericGreaterThanEqualsPath": "$.b"}, "Next": "X"}),
        )
        .unwrap();
        match rule {
            ChoiceRule::Not(inner) => match *inner {
                ChoiceRule::Test {
                    test:
                        Test::Compare {
                            kind: CompareKind::Numeric,
                            relation: Relation::GreaterThanEquals,
                            operand: Operand::Path(_),
                        },
                    ..
                } => {}
                other => panic!("unexpected {other:?}"),
            },
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn rejects_bad_operators_and_operand_types() {
        assert!(parse(json!({"Variable": "$.a", "NumericEquals": "1"})).is_err());
        assert!(parse(json!({"Variable": "$.a", "BooleanLessThan": true})).is_err());
        assert!(parse(json!({"Variable": "$.a", "Frobnicate": 1})).is_err());
        assert!(parse(json!({"NumericEquals": 1})).is_err());
        assert!(parse(json!({"Variable": "$.a", "TimestampEquals": "yesterday"})).is_err());
    }
}
