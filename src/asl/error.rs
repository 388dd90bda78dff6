//! Load-time errors: a definition is checked completely before it may run.

/// Why a state machine definition was rejected when it was loaded.
///
/// Every problem is reported up front so that an execution never stops
/// half-way because of a malformed definition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    /// The text is not JSON at all.
    #[error("the definition is not valid JSON: {0}")]
    Json(String),
    /// A problem with the state machine as a whole (StartAt, States, ...).
    #[error("{0}")]
    Machine(String),
    /// A problem inside one named state.
    #[error("state '{state}': {reason}")]
    State {
        /// The name of the state that is malformed.
        state: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl DefinitionError {
    pub(crate) fn state(state: &str, reason: impl Into<String>) -> Self {
        Self::State {
            state: state.to_owned(),
            reason: reason.into(),
        }
    }
}
