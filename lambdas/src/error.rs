//! The saga's error vocabulary.
//!
//! Step Functions' Retry and Catch match on the Lambda error *type*, so every failure
//! carries a clean, stable type name (`HotelReservationFailed`), never a Rust type path.

use crate::table::TableError;

/// Why a saga step failed. [`SagaError::error_type`] is the name Step Functions sees.
#[derive(Debug, thiserror::Error)]
pub enum SagaError {
    /// The run type asked this step to fail (the article's failure triggers).
    #[error("{message}")]
    Triggered {
        /// Matchable error name, e.g. `PaymentFailed`.
        error_type: &'static str,
        /// What a person reads.
        message: String,
    },
    /// A compensation's simulated transient failure; the state machine retries it.
    #[error("Internal Server Error: {step} failed at random (cancel_failure_rate {rate})")]
    InternalServerError {
        /// The compensation that failed.
        step: &'static str,
        /// The failure rate in force.
        rate: f64,
    },
    /// Confirming a booking that is not there (or no longer pending).
    #[error("no pending {kind} booking {sk} for trip {trip_id}")]
    BookingNotFound {
        /// `hotel` or `flight`.
        kind: &'static str,
        /// The trip.
        trip_id: String,
        /// The row's sort key.
        sk: String,
    },
    /// The event does not describe a trip.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The table itself failed.
    #[error("table error: {0}")]
    Table(#[from] TableError),
}

impl SagaError {
    /// The error name Step Functions' `ErrorEquals` matches on.
    pub fn error_type(&self) -> &'static str {
        match self {
            SagaError::Triggered { error_type, .. } => error_type,
            SagaError::InternalServerError { .. } => "InternalServerError",
            SagaError::BookingNotFound { .. } => "BookingNotFound",
            SagaError::InvalidInput(_) => "InvalidInput",
            SagaError::Table(_) => "TableError",
        }
    }
}

#[cfg(feature = "aws")]
impl From<SagaError> for lambda_runtime::Diagnostic {
    fn from(e: SagaError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.error_type().to_string(),
            error_message: e.to_string(),
        }
    }
}
