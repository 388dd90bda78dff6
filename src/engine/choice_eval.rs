//! Evaluating Choice rules against a state's effective input.

use std::cmp::Ordering;

use serde_json::Value;

use super::context::Scope;
use super::context::select;
use super::error::StatesError;
use crate::asl::choice::{ChoiceRule, CompareKind, Operand, Relation, Test};
use crate::asl::path::bracket_notation;
use crate::asl::timestamp::parse_timestamp;

/// Whether `rule` holds for `input`; a missing variable in a comparison is a runtime error.
pub fn evaluate(rule: &ChoiceRule, input: &Value, scope: &Scope<'_>) -> Result<bool, StatesError> {
    match rule {
        ChoiceRule::And(rules) => {
            for r in rules {
                if !evaluate(r, input, scope)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        ChoiceRule::Or(rules) => {
            for r in rules {
                if evaluate(r, input, scope)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        ChoiceRule::Not(r) => Ok(!evaluate(r, input, scope)?),
        ChoiceRule::Test { variable, test } => {
            let value = select(variable, input, scope);
            let value = match (&value, test) {
                (Err(_), Test::IsPresent(expected)) => return Ok(!expected),
                (Ok(_), Test::IsPresent(expected)) => return Ok(*expected),
                (Ok(v), _) => v.as_ref(),
                (Err(miss), _) => {
                    let last = variable
                        .plain_segments()
                        .is_some_and(|s| bracket_notation(s) == miss.missing);
                    return Err(StatesError::invalid_path(variable, miss, last));
                }
            };
            test_value(test, value, input, scope)
        }
    }
}

fn test_value(
    test: &Test,
    value: &Value,
    input: &Value,
    scope: &Scope<'_>,
) -> Result<bool, StatesError> {
    Ok(match test {
        Test::IsPresent(expected) => *expected,
        Test::IsNull(expected) => value.is_null() == *expected,
        Test::IsNumeric(expected) => value.is_number() == *expected,
        Test::IsString(expected) => value.is_string() == *expected,
        Test::IsBoolean(expected) => value.is_boolean() == *expected,
        Test::IsTimestamp(expected) => {
            value.as_str().and_then(parse_timestamp).is_some() == *expected
        }
        Test::StringMatches(pattern) => value.as_str().is_some_and(|s| wildcard_match(pattern, s)),
        Test::Compare {
            kind,
            relation,
            operand,
        } => {
            let right = match operand {
                Operand::Literal(v) => std::borrow::Cow::Borrowed(v),
                Operand::Path(p) => select(p, input, scope).map_err(|miss| {
                    let last = p
                        .plain_segments()
                        .is_some_and(|s| bracket_notation(s) == miss.missing);
                    StatesError::invalid_path(p, &miss, last)
                })?,
            };
            match compare(*kind, value, &right) {
                Some(ordering) => holds(*relation, ordering),
                None => false,
            }
        }
    })
}

fn compare(kind: CompareKind, left: &Value, right: &Value) -> Option<Ordering> {
    match kind {
        CompareKind::String => Some(left.as_str()?.cmp(right.as_str()?)),
        CompareKind::Numeric => left.as_f64()?.partial_cmp(&right.as_f64()?),
        CompareKind::Boolean => {
            let (l, r) = (left.as_bool()?, right.as_bool()?);
            Some(if l == r {
                Ordering::Equal
            } else {
                Ordering::Less
            })
        }
        CompareKind::Timestamp => {
            let l = parse_timestamp(left.as_str()?)?;
            let r = parse_timestamp(right.as_str()?)?;
            Some(l.cmp(&r))
        }
    }
}

fn holds(relation: Relation, ordering: Ordering) -> bool {
    match relation {
        Relation::Equals => ordering == Ordering::Equal,
        Relation::LessThan => ordering == Ordering::Less,
        Relation::GreaterThan => ordering == Ordering::Greater,
        Relation::LessThanEquals => ordering != Ordering::Greater,
        Relation::GreaterThanEquals => ordering != Ordering::Less,
    }
}

/// `StringMatches`: `*` matches any run of characters, `\*` a literal star.
///
/// In time linear in the pattern and the text, whatever either holds: the literal
/// runs between stars are found leftmost-first, one after the other (a run found
/// further left never leaves less room for those after it), each by a substring
/// search that is itself linear, where matching star by star with backtracking takes
/// the product of the two lengths on a pattern such as `*aaaa…b`.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let mut runs = Vec::new();
    let mut run = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => run.push(chars.next().unwrap_or('\\')),
            '*' => runs.push(std::mem::take(&mut run)),
            c => run.push(c),
        }
    }
    let Some(first) = runs.first() else {
        return text == run;
    };
    let (last, middle) = (&run, &runs[1..]);
    let Some(after_first) = text.strip_prefix(first.as_str()) else {
        return false;
    };
    let Some(mut between) = after_first.strip_suffix(last.as_str()) else {
        return false;
    };
    for run in middle {
        match between.find(run.as_str()) {
            Some(at) => between = &between[at + run.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::context::{ExecutionFacts, StateFacts};
    use serde_json::json;

    fn check(rule: Value, input: Value) -> Result<bool, StatesError> {
        let facts = ExecutionFacts {
            id: String::new(),
            name: String::new(),
            input: "null".into(),
            start_time: String::new(),
            role_arn: String::new(),
            machine_id: String::new(),
            machine_name: String::new(),
            redrive_count: 0,
            redrive_time: None,
        };
        let scope = Scope {
            execution: &facts,
            state: StateFacts {
                name: "C",
                entered_time: chrono::DateTime::from_timestamp(0, 0).unwrap(),
                retry_count: None,
                map_item: None,
                task_token: None,
            },
        };
        let rule = ChoiceRule::parse(rule.as_object().unwrap(), &[]).unwrap();
        evaluate(&rule, &input, &scope)
    }

    #[test]
    fn comparison_operators() {
        let input = json!({"n": 5, "m": 5.0, "s": "b", "t": "2020-01-01T00:00:00Z", "b": true});
        assert!(
            check(
                json!({"Variable": "$.n", "NumericEquals": 5}),
                input.clone()
            )
            .unwrap()
        );
        assert!(
            check(
                json!({"Variable": "$.n", "NumericEqualsPath": "$.m"}),
                input.clone()
            )
            .unwrap()
        );
        assert!(
            check(
                json!({"Variable": "$.n", "NumericLessThanEquals": 5}),
                input.clone()
            )
            .unwrap()
        );
        assert!(
            !check(
                json!({"Variable": "$.n", "NumericGreaterThan": 5}),
                input.clone()
            )
            .unwrap()
        );
        assert!(
            check(
                json!({"Variable": "$.s", "StringGreaterThan": "a"}),
                input.clone()
            )
            .unwrap()
        );
        assert!(
            !check(
                json!({"Variable": "$.n", "StringEquals": "5"}),
                input.clone()
            )
            .unwrap()
        );
        assert!(
            check(
                json!({"Variable": "$.b", "BooleanEquals": true}),
                input.clone()
            )
            .unwrap()
        );
        assert!(
            check(
                json!({"Variable": "$.t", "TimestampLessThan": "2020-01-01T00:00:01Z"}),
                input.clone()
            )
            .unwrap()
        );
        assert!(
            check(
                json!({"Variable": "$.s", "StringGreaterThanEqualsPath": "$.s"}),
                input.clone()
            )
            .unwrap()
        );
    }

    #[test]
    fn type_tests_and_combinators() {
        let input = json!({"x": null, "y": "2020-01-01T00:00:00Z"});
        assert!(check(json!({"Variable": "$.x", "IsNull": true}), input.clone()).unwrap());
        assert!(
            check(
                json!({"Variable": "$.z", "IsPresent": false}),
                input.clone()
            )
            .unwrap()
        );
        assert!(
            check(
                json!({"Variable": "$.y", "IsTimestamp": true}),
                input.clone()
            )
            .unwrap()
        );
        assert!(
            check(
                json!({"And": [{"Variable": "$.x", "IsNull": true}, {"Not": {"Variable": "$.y", "IsNumeric": true}}]}),
                input.clone()
            )
            .unwrap()
        );
        assert!(
            !check(json!({"Or": [{"Variable": "$.x", "IsString": true}, {"Variable": "$.y", "IsBoolean": true}]}), input.clone())
                .unwrap()
        );
        let err = check(json!({"Variable": "$.missing", "NumericEquals": 1}), input).unwrap_err();
        assert_eq!(err.error, "States.Runtime");
    }

    #[test]
    fn string_matches_in_linear_time() {
        // Backtracking star by star takes the product of the lengths on these.
        let text = "a".repeat(200_000);
        let pattern = format!("*{}b", "a".repeat(100_000));
        assert!(!wildcard_match(&pattern, &text));
        assert!(wildcard_match(&format!("*{}", "a".repeat(100_000)), &text));
        let stars = format!("{}b", "*a".repeat(50_000));
        assert!(!wildcard_match(&stars, &text));
        assert!(wildcard_match(&"*a".repeat(50_000), &text));
    }

    #[test]
    fn string_matches_runs_do_not_overlap() {
        assert!(!wildcard_match("ab*ba", "aba"));
        assert!(wildcard_match("ab*ba", "abba"));
        assert!(wildcard_match("a*a*a", "aaa"));
        assert!(!wildcard_match("a*a*a", "aa"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("", ""));
        assert!(!wildcard_match("", "x"));
        assert!(wildcard_match("x\\*y", "x*y"));
        assert!(!wildcard_match("x\\*y", "xzy"));
        assert!(wildcard_match("é*ü", "éaaü"));
    }

    #[test]
    fn string_matches_wildcards() {
        assert!(wildcard_match("log-*.txt", "log-2020.txt"));
        assert!(!wildcard_match("log-*.txt", "log-2020.csv"));
        assert!(wildcard_match("a\\*b", "a*b"));
        assert!(!wildcard_match("a\\*b", "axb"));
        assert!(wildcard_match("*", ""));
    }
}
