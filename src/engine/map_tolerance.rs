//! The failure thresholds of a Map state at run time: resolves `ToleratedFailure*`
//! against the state input and decides, failure by failure, whether the Map goes on.
//!
//! Semantics from the AWS developer guide ("Setting failure thresholds for Distributed
//! Map states"): the failed percentage is failed items divided by all items; a threshold
//! is exceeded when the failures go above it; with both thresholds declared, exceeding
//! either fails the Map; the error is `States.ExceedToleratedFailureThreshold`.

use serde_json::Value;

use super::context::Scope;
use super::context::select;
use super::error::StatesError;
use crate::asl::path::JsonPath;
use crate::asl::tolerance::{FailureTolerance, Limit};

/// The error name AWS gives a Map that failed more items than it tolerates.
pub const EXCEEDED: &str = "States.ExceedToleratedFailureThreshold";
/// The cause AWS records with [`EXCEEDED`] for a Map Run.
pub const EXCEEDED_CAUSE: &str = "The specified tolerated failure threshold was exceeded";

/// Resolved thresholds for one run of a Map state over `total` items.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    count: Option<u64>,
    percentage: Option<f64>,
    total: usize,
}

impl Threshold {
    /// The thresholds of `tolerance` with their paths read from `input`; `None` when the
    /// state declares none (the first failure then fails the Map with its own error).
    pub fn resolve(
        tolerance: &FailureTolerance,
        input: &Value,
        scope: &Scope<'_>,
        total: usize,
    ) -> Result<Option<Self>, StatesError> {
        if !tolerance.is_declared() {
            return Ok(None);
        }
        let count = match &tolerance.count {
            None => None,
            Some(Limit::Fixed(n)) => Some(*n),
            Some(Limit::Path(p)) => {
                Some(read(p, input, scope, "ToleratedFailureCountPath", |v| {
                    v.as_u64()
                })?)
            }
        };
        let percentage = match &tolerance.percentage {
            None => None,
            Some(Limit::Fixed(n)) => Some(*n),
            Some(Limit::Path(p)) => Some(read(
                p,
                input,
                scope,
                "ToleratedFailurePercentagePath",
                |v| v.as_f64().filter(|n| (0.0..=100.0).contains(n)),
            )?),
        };
        Ok(Some(Self {
            count,
            percentage,
            total,
        }))
    }

    /// Whether the Map may go on after `failed` of its items have failed.
    pub fn tolerates(&self, failed: usize) -> bool {
        let over_count = self.count.is_some_and(|c| failed as u64 > c);
        let over_percentage = self
            .percentage
            .is_some_and(|p| self.total > 0 && (failed as f64) * 100.0 / (self.total as f64) > p);
        !(over_count || over_percentage)
    }

    /// The error the Map fails with once a threshold is exceeded.
    pub fn exceeded() -> StatesError {
        StatesError::new(EXCEEDED, EXCEEDED_CAUSE)
    }
}

fn read<T>(
    path: &JsonPath,
    input: &Value,
    scope: &Scope<'_>,
    field: &str,
    convert: impl Fn(&Value) -> Option<T>,
) -> Result<T, StatesError> {
    let value = select(path, input, scope)
        .map(|c| c.into_owned())
        .unwrap_or(Value::Null);
    convert(&value).ok_or_else(|| {
        StatesError::runtime(format!(
            "The {field} field refers to value \"{value}\" which is not a valid threshold: {}",
            path.text()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn threshold(count: Option<u64>, percentage: Option<f64>, total: usize) -> Threshold {
        Threshold {
            count,
            percentage,
            total,
        }
    }

    #[test]
    fn a_count_tolerates_up_to_and_including_its_value() {
        let t = threshold(Some(2), None, 10);
        assert!(t.tolerates(2));
        assert!(!t.tolerates(3));
        assert!(!threshold(Some(0), None, 10).tolerates(1));
    }

    #[test]
    fn a_percentage_is_failed_over_all_items() {
        let t = threshold(None, Some(50.0), 4);
        assert!(t.tolerates(2));
        assert!(!t.tolerates(3));
        assert!(threshold(None, Some(100.0), 3).tolerates(3));
    }

    #[test]
    fn exceeding_either_threshold_fails() {
        let t = threshold(Some(5), Some(10.0), 10);
        assert!(t.tolerates(1));
        assert!(!t.tolerates(2));
    }
}
