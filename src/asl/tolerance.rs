//! `ToleratedFailureCount` / `ToleratedFailurePercentage` (and their `...Path` forms) of a
//! Map state: how many failed iterations the Map accepts before it fails with
//! `States.ExceedToleratedFailureThreshold`.
//!
//! AWS documents these fields for the Map Run of a Distributed Map ("Setting failure
//! thresholds for Distributed Map states", AWS Step Functions developer guide); the
//! embedded runtime has only inline Maps and applies the same thresholds to their
//! iterations. The rules checked here are the documented ones: a count is a
//! non-negative integer, a percentage lies between 0 and 100, each fixed value excludes
//! its `...Path` form, and a `...Path` is a reference path into the state input.

use serde_json::{Map, Value};

use super::path::JsonPath;

/// A threshold written as a fixed value or taken from the state input.
#[derive(Debug, Clone)]
pub enum Limit<T> {
    /// `ToleratedFailureCount` / `ToleratedFailurePercentage`.
    Fixed(T),
    /// `ToleratedFailureCountPath` / `ToleratedFailurePercentagePath`.
    Path(JsonPath),
}

/// The failure thresholds of a Map state; both absent means the first failed iteration
/// fails the Map with its own error (no threshold applies).
#[derive(Debug, Clone, Default)]
pub struct FailureTolerance {
    /// The number of failed iterations tolerated.
    pub count: Option<Limit<u64>>,
    /// The percentage of failed iterations tolerated.
    pub percentage: Option<Limit<f64>>,
}

impl FailureTolerance {
    /// Reads and checks the four fields of a Map state object; the error names the field
    /// and what is wrong with its value (the loader adds the state name).
    pub fn parse(obj: &Map<String, Value>) -> Result<Self, String> {
        let count = limit(
            obj,
            "ToleratedFailureCount",
            |v| v.as_u64(),
            "a non-negative integer",
        )?;
        let percentage = limit(
            obj,
            "ToleratedFailurePercentage",
            |v| v.as_f64().filter(|p| (0.0..=100.0).contains(p)),
            "a number between 0 and 100",
        )?;
        Ok(Self { count, percentage })
    }

    /// Whether any threshold is declared.
    pub fn is_declared(&self) -> bool {
        self.count.is_some() || self.percentage.is_some()
    }
}

fn limit<T>(
    obj: &Map<String, Value>,
    field: &str,
    read: impl Fn(&Value) -> Option<T>,
    expected: &str,
) -> Result<Option<Limit<T>>, String> {
    let path_field = format!("{field}Path");
    match (obj.get(field), obj.get(&path_field)) {
        (Some(_), Some(_)) => Err(format!("'{field}' and '{path_field}' are exclusive")),
        (Some(v), None) => read(v)
            .map(|t| Some(Limit::Fixed(t)))
            .ok_or_else(|| format!("'{field}' must be {expected}, not {v}")),
        (None, Some(Value::String(text))) => {
            let path = JsonPath::parse(text).map_err(|e| format!("'{path_field}': {e}"))?;
            if path.plain_segments().is_none() {
                return Err(format!(
                    "'{path_field}' must be a reference path (no wildcards or filters): {text}"
                ));
            }
            Ok(Some(Limit::Path(path)))
        }
        (None, Some(_)) => Err(format!("'{path_field}' must be a string")),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<FailureTolerance, String> {
        FailureTolerance::parse(v.as_object().expect("an object"))
    }

    #[test]
    fn reads_fixed_values_and_paths() {
        let t = parse(json!({"ToleratedFailureCount": 2, "ToleratedFailurePercentagePath": "$.p"}))
            .expect("valid");
        assert!(matches!(t.count, Some(Limit::Fixed(2))));
        assert!(matches!(t.percentage, Some(Limit::Path(_))));
        assert!(t.is_declared());
        assert!(!parse(json!({})).expect("valid").is_declared());
        let t = parse(json!({"ToleratedFailurePercentage": 12.5})).expect("valid");
        assert!(matches!(t.percentage, Some(Limit::Fixed(p)) if p == 12.5));
    }

    #[test]
    fn rejects_bad_values_with_the_field_and_the_reason() {
        for (v, needle) in [
            (
                json!({"ToleratedFailureCount": -1}),
                "'ToleratedFailureCount' must be a non-negative integer",
            ),
            (
                json!({"ToleratedFailureCount": 1.5}),
                "non-negative integer",
            ),
            (
                json!({"ToleratedFailurePercentage": 101}),
                "between 0 and 100",
            ),
            (
                json!({"ToleratedFailurePercentage": "5"}),
                "between 0 and 100",
            ),
            (
                json!({"ToleratedFailureCount": 1, "ToleratedFailureCountPath": "$.c"}),
                "exclusive",
            ),
            (
                json!({"ToleratedFailurePercentagePath": 3}),
                "must be a string",
            ),
            (
                json!({"ToleratedFailureCountPath": "$.a[*]"}),
                "reference path",
            ),
        ] {
            let e = parse(v.clone()).expect_err("invalid");
            assert!(e.contains(needle), "{v}: {e}");
        }
    }
}
