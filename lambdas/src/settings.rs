//! Settings an operator changes while sagas run, read by the handlers at each call.
//!
//! The compensations' failure rate simulates an outage. It travels in the execution
//! input, but a redriven execution reuses its input, so ending the "outage" for a
//! failed execution needs a setting outside the input: the handlers read it here and
//! fall back to the input's value when nothing is set.

use crate::table::TableError;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Partition key of the table's configuration items: not a valid trip id (see
/// [`crate::trip::validate_trip_id`]), so no trip's rows ever share it.
pub const CONFIG_PK: &str = "#config";

/// Sort key of the item that holds the compensations' failure rate (attribute
/// [`RATE_ATTRIBUTE`], a number) on a deployed stack.
pub const CANCEL_FAILURE_RATE_SK: &str = "cancel_failure_rate";

/// The attribute of the failure-rate item that holds the rate.
pub const RATE_ATTRIBUTE: &str = "rate";

/// Where the handlers read settings that override the execution input.
pub trait Settings: Send + Sync {
    /// The compensations' failure rate set for every saga, or `None` when the input's
    /// `cancel_failure_rate` decides.
    fn cancel_failure_rate(&self) -> impl Future<Output = Result<Option<f64>, TableError>> + Send;
}

/// No settings: the execution input decides everything (tests, and callers that never
/// change a setting while sagas run).
#[derive(Debug, Default, Clone, Copy)]
pub struct InputOnly;

impl Settings for InputOnly {
    async fn cancel_failure_rate(&self) -> Result<Option<f64>, TableError> {
        Ok(None)
    }
}

/// A setting held in memory and shared by clones: the embedded runtime's, which the
/// UI (`c`) and `--cancel-failure-rate` change while executions run.
#[derive(Debug, Clone)]
pub struct SharedSettings {
    /// The rate's bits, or [`UNSET`] when the input decides.
    rate: Arc<AtomicU64>,
}

/// No rate is a NaN pattern no valid rate (0 to 1) can have.
const UNSET: u64 = u64::MAX;

impl Default for SharedSettings {
    fn default() -> Self {
        Self {
            rate: Arc::new(AtomicU64::new(UNSET)),
        }
    }
}

impl SharedSettings {
    /// Sets the rate every compensation uses from now on, or gives the decision back
    /// to each execution's input with `None`.
    pub fn set_cancel_failure_rate(&self, rate: Option<f64>) {
        let bits = rate.map_or(UNSET, f64::to_bits);
        self.rate.store(bits, Ordering::Relaxed);
    }

    /// The rate set, if any.
    pub fn get_cancel_failure_rate(&self) -> Option<f64> {
        match self.rate.load(Ordering::Relaxed) {
            UNSET => None,
            bits => Some(f64::from_bits(bits)),
        }
    }
}

impl Settings for SharedSettings {
    async fn cancel_failure_rate(&self) -> Result<Option<f64>, TableError> {
        Ok(self.get_cancel_failure_rate())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_rate_is_seen_by_clones_and_can_be_unset() {
        let a = SharedSettings::default();
        let b = a.clone();
        assert_eq!(b.get_cancel_failure_rate(), None);
        a.set_cancel_failure_rate(Some(0.0));
        assert_eq!(b.get_cancel_failure_rate(), Some(0.0));
        a.set_cancel_failure_rate(Some(1.0));
        assert_eq!(b.get_cancel_failure_rate(), Some(1.0));
        a.set_cancel_failure_rate(None);
        assert_eq!(b.get_cancel_failure_rate(), None);
    }
}
