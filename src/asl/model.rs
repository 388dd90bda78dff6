//! The validated state machine model the engine runs.
//!
//! Transitions are resolved to state indices at load time, so running a
//! state never looks a name up and never meets an unknown target.

use crate::fast_map::FastMap;

use serde_json::Value;

use super::choice::ChoiceRule;
use super::path::{JsonPath, Segment};
use super::template::Template;

/// A loaded, validated state machine (or a Parallel branch / Map item processor).
#[derive(Debug, Clone)]
pub struct Definition {
    /// `Comment`, if any.
    pub comment: Option<String>,
    /// Index of the `StartAt` state.
    pub start_at: usize,
    /// All states, in definition order.
    pub states: Vec<State>,
    /// `TimeoutSeconds` of the whole execution.
    pub timeout_seconds: Option<u64>,
    pub(crate) index: FastMap<String, usize>,
}

impl Definition {
    /// Looks a state up by name (for UIs that show the graph).
    pub fn state(&self, name: &str) -> Option<&State> {
        self.index.get(name).map(|&i| &self.states[i])
    }
}

/// One named state.
#[derive(Debug, Clone)]
pub struct State {
    /// The state's name (its key in `States`).
    pub name: String,
    /// Type-specific behaviour.
    pub kind: StateKind,
}

/// Where a state goes when it is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// `Next`: the index of the next state.
    Next(usize),
    /// `End: true` (or a terminal state type).
    End,
}

/// A path field that may also be `null` (InputPath/OutputPath).
#[derive(Debug, Clone, Default)]
pub enum Selection {
    /// Field absent or `"$"`: the whole value.
    #[default]
    Whole,
    /// `null`: an empty object.
    Empty,
    /// Any other path.
    Path(JsonPath),
}

/// Where a result goes in the state input (ResultPath).
#[derive(Debug, Clone, Default)]
pub enum ResultTarget {
    /// Field absent or `"$"`: the result replaces the input.
    #[default]
    Replace,
    /// `null`: the result is discarded, the input passes through.
    Discard,
    /// A reference path such as `$.a.b`.
    At(Vec<Segment>),
}

/// The input/output processing fields common to most state types.
#[derive(Debug, Clone, Default)]
pub struct IoConfig {
    /// `InputPath`.
    pub input_path: Selection,
    /// `Parameters` (or `ItemSelector` for Map items).
    pub parameters: Option<Template>,
    /// `ResultSelector`.
    pub result_selector: Option<Template>,
    /// `ResultPath`.
    pub result_path: ResultTarget,
    /// `OutputPath`.
    pub output_path: Selection,
}

/// A `Retry` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Retrier {
    /// `ErrorEquals`.
    pub error_equals: Vec<String>,
    /// `IntervalSeconds` (default 1).
    pub interval_seconds: f64,
    /// `MaxAttempts` (default 3; 0 means never retry).
    pub max_attempts: u32,
    /// `BackoffRate` (default 2.0).
    pub backoff_rate: f64,
    /// `MaxDelaySeconds`, if set.
    pub max_delay_seconds: Option<f64>,
    /// `JitterStrategy: FULL`.
    pub full_jitter: bool,
}

impl Retrier {
    /// Seconds before retry number `retry` (1-based, counted for this retrier alone):
    /// `IntervalSeconds × BackoffRate^(retry − 1)`, capped by `MaxDelaySeconds`, as the
    /// runtime waits. With full jitter the runtime waits a random part of it, so this is
    /// then the longest wait; a viewer can say when a retry is due without running it.
    pub fn delay_seconds(&self, retry: u32) -> f64 {
        let exponent = i32::try_from(retry.saturating_sub(1)).unwrap_or(i32::MAX);
        let seconds = self.interval_seconds * self.backoff_rate.powi(exponent);
        let capped = match self.max_delay_seconds {
            Some(max) => seconds.min(max),
            None => seconds,
        };
        capped.max(0.0)
    }
}

/// A `Catch` entry.
#[derive(Debug, Clone)]
pub struct Catcher {
    /// `ErrorEquals`.
    pub error_equals: Vec<String>,
    /// `ResultPath` for the `{Error, Cause}` object.
    pub result_path: ResultTarget,
    /// Where to go.
    pub next: usize,
}

/// Behaviour per state type.
#[derive(Debug, Clone)]
pub enum StateKind {
    /// Pass state.
    Pass(PassState),
    /// Task state.
    Task(TaskState),
    /// Choice state.
    Choice(ChoiceState),
    /// Wait state.
    Wait(WaitState),
    /// Succeed state.
    Succeed(SucceedState),
    /// Fail state.
    Fail(FailState),
    /// Parallel state.
    Parallel(ParallelState),
    /// Inline Map state.
    Map(MapState),
}

impl StateKind {
    /// The `Type` name, which also prefixes the history event types (`PassStateEntered`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Pass(_) => "Pass",
            Self::Task(_) => "Task",
            Self::Choice(_) => "Choice",
            Self::Wait(_) => "Wait",
            Self::Succeed(_) => "Succeed",
            Self::Fail(_) => "Fail",
            Self::Parallel(_) => "Parallel",
            Self::Map(_) => "Map",
        }
    }
}

/// Pass: copies input to output, optionally with a fixed `Result`.
#[derive(Debug, Clone)]
pub struct PassState {
    /// I/O fields.
    pub io: IoConfig,
    /// `Result`, used instead of the effective input.
    pub result: Option<Value>,
    /// Next/End.
    pub transition: Transition,
}

/// The kind of resource a Task invokes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskResource {
    /// `arn:aws:states:::lambda:invoke`: the function is named in the parameters.
    LambdaInvoke,
    /// A Lambda function ARN: the effective input is the payload.
    LambdaFunction {
        /// The ARN as written.
        arn: String,
        /// The function name taken from the ARN.
        function: String,
    },
}

/// Task: invokes a resource.
#[derive(Debug, Clone)]
pub struct TaskState {
    /// I/O fields.
    pub io: IoConfig,
    /// What is invoked.
    pub resource: TaskResource,
    /// `.waitForTaskToken`: after the call, wait for SendTaskSuccess/SendTaskFailure.
    pub wait_for_task_token: bool,
    /// `TimeoutSeconds`.
    pub timeout_seconds: Option<u64>,
    /// `TimeoutSecondsPath`.
    pub timeout_seconds_path: Option<JsonPath>,
    /// `HeartbeatSeconds`: the longest a task may go without a heartbeat.
    pub heartbeat_seconds: Option<u64>,
    /// `HeartbeatSecondsPath`.
    pub heartbeat_seconds_path: Option<JsonPath>,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
    /// Next/End.
    pub transition: Transition,
}

/// One branch of a Choice state.
#[derive(Debug, Clone)]
pub struct ChoiceBranch {
    /// The condition.
    pub rule: ChoiceRule,
    /// Where to go when it holds.
    pub next: usize,
}

/// Choice: picks the next state.
#[derive(Debug, Clone)]
pub struct ChoiceState {
    /// `InputPath`.
    pub input_path: Selection,
    /// `OutputPath`.
    pub output_path: Selection,
    /// `Choices`, in order.
    pub choices: Vec<ChoiceBranch>,
    /// `Default`.
    pub default: Option<usize>,
}

/// How long a Wait state waits.
#[derive(Debug, Clone)]
pub enum WaitFor {
    /// `Seconds`.
    Seconds(u64),
    /// `Timestamp`.
    Timestamp(chrono::DateTime<chrono::Utc>),
    /// `SecondsPath`.
    SecondsPath(JsonPath),
    /// `TimestampPath`.
    TimestampPath(JsonPath),
}

/// Wait: delays the execution.
#[derive(Debug, Clone)]
pub struct WaitState {
    /// `InputPath`.
    pub input_path: Selection,
    /// `OutputPath`.
    pub output_path: Selection,
    /// The delay.
    pub wait: WaitFor,
    /// Next/End.
    pub transition: Transition,
}

/// Succeed: ends the execution (or branch) successfully.
#[derive(Debug, Clone)]
pub struct SucceedState {
    /// `InputPath`.
    pub input_path: Selection,
    /// `OutputPath`.
    pub output_path: Selection,
}

/// A fixed string or one taken from a path (Fail's Error/Cause).
#[derive(Debug, Clone)]
pub enum TextSource {
    /// `Error` / `Cause`.
    Fixed(String),
    /// `ErrorPath` / `CausePath` (a path or an intrinsic call).
    Path(Template),
}

/// Fail: ends the execution with an error.
#[derive(Debug, Clone)]
pub struct FailState {
    /// Error name.
    pub error: Option<TextSource>,
    /// Cause.
    pub cause: Option<TextSource>,
}

/// Parallel: runs branches concurrently and collects their outputs.
#[derive(Debug, Clone)]
pub struct ParallelState {
    /// I/O fields.
    pub io: IoConfig,
    /// The branches.
    pub branches: Vec<Definition>,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
    /// Next/End.
    pub transition: Transition,
}

/// Inline Map: runs the item processor for each item.
#[derive(Debug, Clone)]
pub struct MapState {
    /// I/O fields (`parameters` holds `ItemSelector`/legacy `Parameters`).
    pub io: IoConfig,
    /// `ItemsPath`.
    pub items_path: Option<JsonPath>,
    /// `ItemProcessor` / `Iterator`.
    pub processor: Box<Definition>,
    /// `MaxConcurrency` (0 = unlimited).
    pub max_concurrency: u64,
    /// `MaxConcurrencyPath`.
    pub max_concurrency_path: Option<JsonPath>,
    /// `ToleratedFailureCount`/`...Percentage` and their `...Path` forms.
    pub tolerance: super::tolerance::FailureTolerance,
    /// `Retry`.
    pub retry: Vec<Retrier>,
    /// `Catch`.
    pub catch: Vec<Catcher>,
    /// Next/End.
    pub transition: Transition,
}

#[cfg(test)]
mod tests {
    use super::Retrier;

    fn retrier(interval: f64, backoff: f64, max_delay: Option<f64>) -> Retrier {
        Retrier {
            error_equals: vec!["States.ALL".into()],
            interval_seconds: interval,
            max_attempts: 5,
            backoff_rate: backoff,
            max_delay_seconds: max_delay,
            full_jitter: false,
        }
    }

    #[test]
    fn retry_delays_grow_by_the_backoff_rate_from_the_interval() {
        let r = retrier(1.0, 2.0, None);
        let delays: Vec<f64> = (1..=4).map(|n| r.delay_seconds(n)).collect();
        assert_eq!(delays, [1.0, 2.0, 4.0, 8.0]);
        assert_eq!(retrier(2.0, 1.5, None).delay_seconds(3), 4.5);
    }

    #[test]
    fn retry_delays_stop_at_the_maximum_delay() {
        let r = retrier(1.0, 2.0, Some(3.0));
        let delays: Vec<f64> = (1..=4).map(|n| r.delay_seconds(n)).collect();
        assert_eq!(delays, [1.0, 2.0, 3.0, 3.0]);
        // Retry 0 does not exist; it reads as the first.
        assert_eq!(r.delay_seconds(0), 1.0);
    }
}
