//! The embedded runtime: runs ASL definitions locally with an AWS-faithful history.
//!
//! ```text
//! Engine::start ──► tokio task (run::Run) ──► LiveExecution (history + status)
//!                                  │                 ▲
//!                                  ▼                 └── describe / history_since / list
//!                        TaskInvoker, Clock, ExecutionObserver
//! ```

pub mod choice_eval;
pub mod clock;
pub mod context;
pub mod dataflow;
pub mod error;
mod heartbeat;
pub mod intrinsics;
pub mod invoker;
pub mod lambda;
/// Step Functions' limits, which the loader and the runtime both keep.
pub use crate::asl::limits;
pub mod map_tolerance;
pub mod pace;
pub mod record;
pub mod redrive;
mod run;
pub mod task_token;

use crate::fast_map::FastMap;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

pub use clock::{Clock, Sleep, Tracked};
pub use error::StatesError;
pub use invoker::{
    FunctionRegistry, InvokeError, InvokeRequest, Payload, RequestPayload, TaskFailure, TaskInvoker,
};
pub use pace::{Pace, Pacer};
pub use record::{ExecutionDescription, ExecutionObserver};
pub use redrive::PastExecution;
pub use task_token::TaskTokenError;

use crate::asl::Definition;
use crate::history::{ExecutionStatus, HistoryEvent};
/// The status lives with the history it sums up; the engine's API speaks of it too.
use context::{ExecutionFacts, iso_millis};
use record::LiveExecution;
use run::{Begin, StateData};

/// Mixed into an execution's seed for its timing generator.
const PACE_SEED_SALT: u64 = 0x7061_6365_5f73_6565;

/// Account-level settings: the names that appear in ARNs and in `$$`.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// AWS account id used in ARNs.
    pub account_id: String,
    /// Region used in ARNs and `taskScheduledEventDetails.region`.
    pub region: String,
    /// ARN partition (`aws`).
    pub partition: String,
    /// The execution role ARN (`$$.Execution.RoleArn`).
    pub role_arn: String,
    /// How long tasks and transitions take (see [`pace`]).
    pub pace: Pace,
    /// Seed for the random source (retry jitter, MathRandom, UUID, request ids, pacing);
    /// `None` seeds from the operating system.
    pub seed: Option<u64>,
    /// Whether the engine keeps each execution's history for [`Engine::history_since`].
    /// Off when an observer stores the history (the embedded backend's recorder does):
    /// an event is then let go of as soon as it is stored, rather than once its
    /// execution is forgotten, so a burst of executions does not hold every history in
    /// memory at once (and allocations come from memory still in the cache).
    pub keep_history: bool,
    /// Whether an execution is let go of as soon as it has ended, for an engine whose
    /// observer stores executions (the embedded backend's recorder does): memory stays
    /// flat however many runs are made, with no task per execution waiting to forget
    /// it. Describe, stop and wait then answer only for running executions.
    pub forget_ended: bool,
}

impl EngineConfig {
    /// The ARN of a state machine named `name` in this account and region.
    pub fn state_machine_arn(&self, name: &str) -> String {
        crate::arn::state_machine(&self.partition, &self.region, &self.account_id, name)
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            account_id: "123456789012".into(),
            region: "us-east-1".into(),
            partition: "aws".into(),
            role_arn: "arn:aws:iam::123456789012:role/sagaview-local".into(),
            pace: Pace::Instant,
            seed: None,
            keep_history: true,
            forget_ended: false,
        }
    }
}

/// A named, loaded state machine.
#[derive(Debug, Clone)]
pub struct StateMachine {
    /// The state machine name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// The validated definition.
    pub definition: Definition,
}

/// Why an API call was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// StartExecution input that is not JSON.
    #[error("the execution input is not valid JSON: {0}")]
    InvalidInput(String),
    /// StartExecution input over the payload limit (API reference, StartExecution
    /// `input`: "Length Constraints: Maximum length of 262144").
    #[error(
        "the execution input is {0} bytes long, over Step Functions' limit of {max} bytes",
        max = limits::MAX_PAYLOAD_BYTES
    )]
    InputTooLarge(usize),
    /// An execution with that name already exists for the machine.
    #[error("an execution named '{0}' already exists")]
    ExecutionAlreadyExists(String),
    /// No such execution ARN.
    #[error("no execution with ARN '{0}'")]
    ExecutionDoesNotExist(String),
    /// Start was called outside a tokio runtime.
    #[error("executions must be started from within a tokio runtime")]
    NoRuntime,
    /// RedriveExecution refused: the execution cannot be redriven (the reason is
    /// DescribeExecution's `redriveStatusReason`).
    #[error("the execution cannot be redriven: {0}")]
    NotRedrivable(String),
    /// The engine was configured not to keep histories (an observer stores them).
    #[error("the history of '{0}' is kept by the engine's observer, not by the engine")]
    HistoryNotKept(String),
}

pub(crate) struct Shared {
    pub(crate) clock: Clock,
    pub(crate) pacer: Pacer,
    pub(crate) invoker: Arc<dyn TaskInvoker>,
    pub(crate) config: EngineConfig,
    pub(crate) tokens: task_token::TaskTokens,
}

/// The executions API of the embedded runtime (start, describe, stop, list, history).
///
/// Cheap to clone; all clones share the same executions.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
    observers: Arc<[Arc<dyn ExecutionObserver>]>,
    executions: Arc<Mutex<Executions>>,
    rng: Arc<Mutex<StdRng>>,
}

#[derive(Default)]
struct Executions {
    /// Each execution with its place in start order.
    by_arn: FastMap<String, (u64, Arc<LiveExecution>)>,
    /// Start order: a map rather than a list, so forgetting one is not a scan.
    order: BTreeMap<u64, String>,
    started: u64,
}

impl Executions {
    fn remove(&mut self, arn: &str) {
        if let Some((seq, _)) = self.by_arn.remove(arn) {
            self.order.remove(&seq);
        }
    }
}

impl Engine {
    /// An engine with the given names, clock and task invoker.
    pub fn new(config: EngineConfig, clock: Clock, invoker: Arc<dyn TaskInvoker>) -> Self {
        Self::with_observers(config, clock, invoker, Vec::new())
    }

    /// Like [`Engine::new`], with observers that receive every event and final status.
    pub fn with_observers(
        config: EngineConfig,
        clock: Clock,
        invoker: Arc<dyn TaskInvoker>,
        observers: Vec<Arc<dyn ExecutionObserver>>,
    ) -> Self {
        let rng = match config.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::seed_from_u64(rand::rng().next_u64()),
        };
        Self {
            shared: Arc::new(Shared {
                clock,
                pacer: Pacer::new(config.pace),
                invoker,
                config,
                tokens: task_token::TaskTokens::default(),
            }),
            observers: observers.into(),
            executions: Arc::new(Mutex::new(Executions::default())),
            rng: Arc::new(Mutex::new(rng)),
        }
    }

    /// The engine's settings.
    pub fn config(&self) -> &EngineConfig {
        &self.shared.config
    }

    /// The clock every execution of this engine runs on (pause, step, speed).
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// Wraps a definition under `name`, with the ARN this engine's account would give it.
    pub fn state_machine(&self, name: &str, definition: Definition) -> Arc<StateMachine> {
        Arc::new(StateMachine {
            name: name.to_owned(),
            arn: self.shared.config.state_machine_arn(name),
            definition,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Executions> {
        self.executions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// StartExecution: runs `machine` on `input` (JSON text) in a new tokio task
    /// and returns the execution ARN.  `name` defaults to a random UUID.
    pub fn start(
        &self,
        machine: &Arc<StateMachine>,
        name: Option<&str>,
        input: &str,
    ) -> Result<String, EngineError> {
        let input_value: Value =
            serde_json::from_str(input).map_err(|e| EngineError::InvalidInput(e.to_string()))?;
        self.start_given(
            machine,
            name,
            StateData::as_written(input_value, input.to_owned()),
        )
    }

    /// [`Engine::start`] for a caller that built the input as a document: the engine
    /// writes its text, compactly, instead of parsing text back; and knowing the text
    /// compact, it can splice the first state's Parameters and output from it.
    pub fn start_document(
        &self,
        machine: &Arc<StateMachine>,
        name: Option<&str>,
        input: Value,
    ) -> Result<String, EngineError> {
        self.start_given(machine, name, StateData::new(input))
    }

    fn start_given(
        &self,
        machine: &Arc<StateMachine>,
        name: Option<&str>,
        mut input: StateData,
    ) -> Result<String, EngineError> {
        let handle = tokio::runtime::Handle::try_current().map_err(|_| EngineError::NoRuntime)?;
        if input.text().len() > limits::MAX_PAYLOAD_BYTES {
            return Err(EngineError::InputTooLarge(input.text().len()));
        }
        let exec_seed = self
            .rng
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .next_u64();
        let mut exec_rng = StdRng::seed_from_u64(exec_seed);
        // Timing draws from a generator of its own: the same seed gives the same ids
        // and the same random results whatever the pace.
        let pace_rng = StdRng::seed_from_u64(exec_seed ^ PACE_SEED_SALT);
        let name = match name {
            Some(n) => n.to_owned(),
            None => intrinsics::random_uuid(&mut exec_rng),
        };
        let c = &self.shared.config;
        let arn =
            crate::arn::execution(&c.partition, &c.region, &c.account_id, &machine.name, &name);
        let start = self.shared.clock.now();
        let description = ExecutionDescription {
            execution_arn: arn.clone(),
            state_machine_arn: machine.arn.clone(),
            name: name.clone(),
            status: ExecutionStatus::Running,
            input: input.text().to_owned(),
            output: None,
            error: None,
            cause: None,
            start_date: start,
            stop_date: None,
            redrive_count: 0,
            redrive_date: None,
        };
        let record = Arc::new(LiveExecution::new(
            description,
            self.observers.clone(),
            c.keep_history,
        ));
        {
            let mut execs = self.lock();
            if execs.by_arn.contains_key(&arn) {
                return Err(EngineError::ExecutionAlreadyExists(name));
            }
            let seq = execs.started;
            execs.started += 1;
            execs.by_arn.insert(arn.clone(), (seq, record.clone()));
            execs.order.insert(seq, arn.clone());
        }
        let run = run::Run {
            shared: self.shared.clone(),
            record,
            facts: ExecutionFacts {
                id: arn.clone(),
                name,
                input: input.text().into(),
                start_time: iso_millis(start),
                role_arn: c.role_arn.clone(),
                machine_id: machine.arn.clone(),
                machine_name: machine.name.clone(),
                redrive_count: 0,
                redrive_time: None,
            },
            rng: Mutex::new(exec_rng),
            pace_rng: Mutex::new(pace_rng),
            recovering: AtomicBool::new(false),
            lag_nanos: AtomicU64::new(0),
            expires_at: run::expiry(start),
            expired: tokio::sync::Notify::new(),
            succeeded_parts: Mutex::new(None),
        };
        self.spawn(&handle, run, machine, Begin::Start(input));
        Ok(arn)
    }

    /// Runs `run` in a task of its own (and forgets it once ended, where the engine
    /// is configured to).
    fn spawn(
        &self,
        handle: &tokio::runtime::Handle,
        run: run::Run,
        machine: &Arc<StateMachine>,
        begin: Begin,
    ) {
        let ended = run.facts.id.clone();
        let record = run.record.clone();
        let machine = machine.clone();
        let execute = self.shared.clock.track(run.execute(machine, begin));
        if self.shared.config.forget_ended {
            let executions = self.executions.clone();
            handle.spawn(async move {
                execute.await;
                let mut execs = executions.lock().unwrap_or_else(|p| p.into_inner());
                // Only this run's record: a redrive may already have put the next one
                // under the same ARN.
                if execs
                    .by_arn
                    .get(&ended)
                    .is_some_and(|(_, r)| Arc::ptr_eq(r, &record))
                {
                    execs.remove(&ended);
                }
            });
        } else {
            handle.spawn(execute);
        }
    }

    /// RedriveExecution: runs an ended execution of `machine` again from the state
    /// that did not complete (see [`redrive`]), continuing `past`'s history under the
    /// same ARN. Refused, with DescribeExecution's reason, for an execution that may
    /// not be redriven, and for one this engine is running.
    pub fn redrive(
        &self,
        machine: &Arc<StateMachine>,
        past: PastExecution,
    ) -> Result<(), EngineError> {
        let handle = tokio::runtime::Handle::try_current().map_err(|_| EngineError::NoRuntime)?;
        let PastExecution {
            description: past_description,
            events,
        } = past;
        let arn = past_description.execution_arn.clone();
        let now = self.shared.clock.now();
        let running = self.record(&arn).is_ok_and(|r| !r.status().is_terminal());
        let status = if running {
            ExecutionStatus::Running
        } else {
            past_description.status
        };
        redrive::redrivable(
            status,
            past_description.start_date,
            past_description.stop_date,
            events.len() as u64,
            now,
        )
        .map_err(|reason| EngineError::NotRedrivable(reason.to_owned()))?;
        let mut point =
            redrive::restart_point(&machine.definition, &past_description.input, &events)
                .ok_or_else(|| {
                    EngineError::NotRedrivable(
                        "its history names a state its state machine's definition does not \
                         have"
                            .to_owned(),
                    )
                })?;
        // "If the state failed because of a States.DataLimitExceeded error, the
        // Parallel state is rerun, including the branches that were successful".
        if past_description.error.as_deref() == Some(error::names::DATA_LIMIT) {
            point.succeeded = None;
        }
        let succeeded = point.succeeded.take();
        let input: Value = serde_json::from_str(&point.input)
            .map_err(|e| EngineError::InvalidInput(e.to_string()))?;
        let count = past_description.redrive_count + 1;
        let description = ExecutionDescription {
            status: ExecutionStatus::Running,
            output: None,
            error: None,
            cause: None,
            stop_date: None,
            redrive_count: count,
            redrive_date: Some(now),
            ..past_description
        };
        let c = &self.shared.config;
        let facts = ExecutionFacts {
            id: arn.clone(),
            name: description.name.clone(),
            input: description.input.as_str().into(),
            start_time: iso_millis(description.start_date),
            role_arn: c.role_arn.clone(),
            machine_id: machine.arn.clone(),
            machine_name: machine.name.clone(),
            redrive_count: count,
            redrive_time: Some(iso_millis(now)),
        };
        let expires_at = run::expiry(description.start_date);
        let record = Arc::new(LiveExecution::continuing(
            description,
            self.observers.clone(),
            c.keep_history,
            events,
        ));
        {
            let mut execs = self.lock();
            if execs
                .by_arn
                .get(&arn)
                .is_some_and(|(_, r)| !r.status().is_terminal())
            {
                return Err(EngineError::NotRedrivable(
                    redrive::RUNNING_REASON.to_owned(),
                ));
            }
            execs.remove(&arn);
            let seq = execs.started;
            execs.started += 1;
            execs.by_arn.insert(arn.clone(), (seq, record.clone()));
            execs.order.insert(seq, arn.clone());
        }
        let exec_seed = self
            .rng
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .next_u64();
        let run = run::Run {
            shared: self.shared.clone(),
            record,
            facts,
            rng: Mutex::new(StdRng::seed_from_u64(exec_seed)),
            pace_rng: Mutex::new(StdRng::seed_from_u64(exec_seed ^ PACE_SEED_SALT)),
            recovering: AtomicBool::new(false),
            lag_nanos: AtomicU64::new(0),
            expires_at,
            expired: tokio::sync::Notify::new(),
            succeeded_parts: Mutex::new(succeeded),
        };
        let begin = Begin::Redrive {
            state: point.state,
            input: StateData::as_written(input, point.input),
        };
        self.spawn(&handle, run, machine, begin);
        Ok(())
    }

    /// RedriveExecution for an engine that keeps its executions' histories: redrives
    /// `arn` from what the engine recorded of it.
    pub fn redrive_kept(&self, machine: &Arc<StateMachine>, arn: &str) -> Result<(), EngineError> {
        let record = self.record(arn)?;
        if !self.shared.config.keep_history {
            return Err(EngineError::HistoryNotKept(arn.to_owned()));
        }
        let past = PastExecution {
            description: record.describe(),
            events: record.events_after(0),
        };
        self.redrive(machine, past)
    }

    fn record(&self, arn: &str) -> Result<Arc<LiveExecution>, EngineError> {
        self.lock()
            .by_arn
            .get(arn)
            .map(|(_, r)| r.clone())
            .ok_or_else(|| EngineError::ExecutionDoesNotExist(arn.to_owned()))
    }

    /// DescribeExecution.
    pub fn describe(&self, arn: &str) -> Result<ExecutionDescription, EngineError> {
        Ok(self.record(arn)?.describe())
    }

    /// ListExecutions, oldest first.
    pub fn list(&self) -> Vec<ExecutionDescription> {
        let execs = self.lock();
        execs
            .order
            .values()
            .filter_map(|arn| execs.by_arn.get(arn))
            .map(|(_, r)| r.describe())
            .collect()
    }

    /// The events with an id greater than `after` (0 for the whole history), for incremental polling.
    pub fn history_since(&self, arn: &str, after: u64) -> Result<Vec<HistoryEvent>, EngineError> {
        let record = self.record(arn)?;
        if !self.shared.config.keep_history {
            return Err(EngineError::HistoryNotKept(arn.to_owned()));
        }
        Ok(record.events_after(after))
    }

    /// Waits until the execution has ended and returns its description.
    pub async fn wait(&self, arn: &str) -> Result<ExecutionDescription, EngineError> {
        let record = self.record(arn)?;
        record.wait_finished().await;
        Ok(record.describe())
    }

    /// Waits until the execution has ended, for a caller that reads the outcome
    /// elsewhere (the store) and need not have the description copied.
    pub async fn wait_ended(&self, arn: &str) -> Result<(), EngineError> {
        self.record(arn)?.wait_finished().await;
        Ok(())
    }

    /// Drops an ended execution and its history (keeps memory bounded for long sessions);
    /// returns whether it was removed.  Running executions are kept.
    pub fn forget(&self, arn: &str) -> bool {
        let mut execs = self.lock();
        let ended = execs
            .by_arn
            .get(arn)
            .is_some_and(|(_, r)| r.status().is_terminal());
        if ended {
            execs.remove(arn);
        }
        ended
    }

    /// SendTaskSuccess: ends the `.waitForTaskToken` task that was given `token` with
    /// `output` (JSON text) as its result.
    /// An output over 262144 bytes is refused with `ValidationException`, as AWS does.
    pub fn send_task_success(&self, token: &str, output: &str) -> Result<(), TaskTokenError> {
        task_token::check_length(
            "output",
            Some(output),
            str::len,
            task_token::MAX_OUTPUT_BYTES,
        )?;
        let value: Value = serde_json::from_str(output)
            .map_err(|e| TaskTokenError::InvalidOutput(e.to_string()))?;
        self.shared.tokens.deliver(
            token,
            task_token::Callback::Success(value, output.to_owned()),
        )
    }

    /// SendTaskFailure: fails the `.waitForTaskToken` task that was given `token` with
    /// `error` and `cause` (retriers and catchers see them as for any task error).
    /// An `error` over 256 or a `cause` over 32768 characters is refused with
    /// `ValidationException`, as AWS does.
    pub fn send_task_failure(
        &self,
        token: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<(), TaskTokenError> {
        let chars = |s: &str| s.chars().count();
        task_token::check_length("error", error, chars, task_token::MAX_ERROR_CHARS)?;
        task_token::check_length("cause", cause, chars, task_token::MAX_CAUSE_CHARS)?;
        self.shared.tokens.deliver(
            token,
            task_token::Callback::Failure {
                error: error.map(str::to_owned),
                cause: cause.map(str::to_owned),
            },
        )
    }

    /// SendTaskHeartbeat: restarts the HeartbeatSeconds timer of the task that was given
    /// `token` (TimeoutSeconds still bounds the task as a whole).
    pub fn send_task_heartbeat(&self, token: &str) -> Result<(), TaskTokenError> {
        self.shared
            .tokens
            .deliver(token, task_token::Callback::Heartbeat)
    }

    /// StopExecution: aborts a running execution (status ABORTED, `ExecutionAborted` event).
    /// Returns once the execution has ended; stopping an ended execution changes nothing.
    pub async fn stop(&self, arn: &str) -> Result<ExecutionDescription, EngineError> {
        let record = self.record(arn)?;
        if record.describe().status.is_terminal() {
            return Ok(record.describe());
        }
        record.abort.notify_one();
        record.wait_finished().await;
        Ok(record.describe())
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.shared.config)
            .field("executions", &self.lock().order.len())
            .finish()
    }
}
