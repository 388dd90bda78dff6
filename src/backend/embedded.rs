//! The embedded backend: the saga's state machine and handlers, run in-process on the
//! embedded store, behind the same [`SagaBackend`] calls a deployed stack answers.

use super::queued_table::QueuedTable;
use super::recorder::StoreRecorder;
use super::saga_definition::{
    APPROVAL_ASL, APPROVAL_STATE_MACHINE_NAME, SAGA_ASL, SAGA_STATE_MACHINE_NAME,
    approval_definition, saga_definition, substitute,
};
use super::step::StepWatch;
use super::{
    BackendError, BackendInfo, BackendKind, ClockControl, ExecutionSummary, Launch, RedriveFacts,
    RowsAt, SagaBackend, SagaMachine,
};
use crate::asl::Definition;
use crate::engine::{
    Clock, Engine, EngineConfig, EngineError, ExecutionDescription, FunctionRegistry,
    InvokeRequest, Pace, PastExecution, Payload, RequestPayload, StateMachine, TaskFailure,
    redrive,
};
use crate::future::BoxFuture;
use crate::history::HistoryEvent;
use crate::store::{ExecutionRecord, Store, StoreError};
use chrono::{DateTime, Utc};
use saga_lambdas::{
    Chance, Env, Item, SeededChance, SharedSettings, Step, ThreadChance, TripRequest,
};
use std::sync::Arc;

/// How the embedded runtime should behave.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// Seeds the compensations' random failures (and the engine's randomness) so a demo
    /// replays exactly; `None` is truly random.
    pub seed: Option<u64>,
    /// How long tasks and transitions take; `Instant` runs on virtual time.
    pub pace: Pace,
    /// How many times as fast as real time a paced run goes (`+`/`-` change it live).
    pub speed: f64,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        Self {
            seed: None,
            pace: Pace::Instant,
            speed: 1.0,
        }
    }
}

/// The saga on the embedded runtime.
pub struct EmbeddedBackend {
    engine: Engine,
    /// The handlers' table: what the rows view reads, so it sees queued writes.
    table: Arc<QueuedTable>,
    store: Store,
    machine: Arc<StateMachine>,
    definition: Arc<Definition>,
    /// The definition's ASL text, saved with an exported execution.
    definition_text: Arc<str>,
    /// The second machine, the saga with a human approval, with its definition and text.
    approval: Arc<StateMachine>,
    approval_definition: Arc<Definition>,
    approval_text: Arc<str>,
    recorder: Arc<StoreRecorder>,
    steps: Arc<StepWatch>,
    /// The runtime's settings the handlers read before the input (the failure rate).
    settings: SharedSettings,
}

impl std::fmt::Debug for EmbeddedBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedBackend")
            .field("store", &self.store)
            .field("state_machine", &self.machine.arn)
            .finish_non_exhaustive()
    }
}

/// Registers each saga step under its function name, running the handler code against
/// the embedded table, with Lambda's error document as the failure cause.
fn saga_registry(
    table: &Arc<QueuedTable>,
    chance: Arc<dyn Chance>,
    settings: &SharedSettings,
) -> FunctionRegistry {
    let mut registry = FunctionRegistry::new();
    for step in Step::ALL {
        let table = table.clone();
        let chance = chance.clone();
        let settings = settings.clone();
        registry.register(
            step.function_name(),
            Arc::new(move |req: InvokeRequest| {
                let table = table.clone();
                let chance = chance.clone();
                let settings = settings.clone();
                Box::pin(async move {
                    let table = table.for_task(&req.execution_arn);
                    let env = Env::new(&table, chance.as_ref()).with_settings(&settings);
                    match &req.payload {
                        RequestPayload::Text(text) => {
                            saga_lambdas::handle_text(step, env, text).await
                        }
                        RequestPayload::Value(event) => {
                            saga_lambdas::handle(step, env, event).await
                        }
                    }
                    .map(Payload::Json)
                    .map_err(|e| TaskFailure::from_message(e.error_type(), &e.to_string()))
                })
            }),
        );
    }
    registry
}

impl EmbeddedBackend {
    /// Builds the runtime over `store`: loads the saga definition, registers the handlers
    /// and records every execution into the store.
    pub fn new(store: Store, options: EmbeddedOptions) -> Result<Self, BackendError> {
        let config = EngineConfig {
            seed: options.seed,
            pace: options.pace,
            // The recorder keeps every history, in the store; an ended execution lives
            // on there only, so memory stays flat however many runs a workshop makes.
            keep_history: false,
            forget_ended: true,
            ..EngineConfig::default()
        };
        let definition = saga_definition(&config).map_err(BackendError::Failed)?;
        let definition_text: Arc<str> = substitute(SAGA_ASL, &config).into();
        let chance: Arc<dyn Chance> = match options.seed {
            Some(seed) => Arc::new(SeededChance::new(seed)),
            None => Arc::new(ThreadChance),
        };
        let clock = if options.pace.is_virtual() {
            Clock::virtual_from(chrono::Utc::now())
        } else {
            Clock::real_time(options.speed)
        };
        let machine = Arc::new(StateMachine {
            name: SAGA_STATE_MACHINE_NAME.to_owned(),
            arn: config.state_machine_arn(SAGA_STATE_MACHINE_NAME),
            definition: definition.clone(),
        });
        let approval_def = approval_definition(&config).map_err(BackendError::Failed)?;
        let approval = Arc::new(StateMachine {
            name: APPROVAL_STATE_MACHINE_NAME.to_owned(),
            arn: config.state_machine_arn(APPROVAL_STATE_MACHINE_NAME),
            definition: approval_def.clone(),
        });
        let approval_text: Arc<str> = substitute(APPROVAL_ASL, &config).into();
        let (arn, name) = (machine.arn.clone(), machine.name.clone());
        let recorder = StoreRecorder::new(store.clone(), arn, name)
            .map_err(|e| failed(format!("cannot start the store writer: {e}")))?
            .with_machine(approval.name.clone(), approval.arn.clone());
        let recorder = Arc::new(recorder);
        let table = Arc::new(QueuedTable::new(store.clone(), recorder.clone()));
        let settings = SharedSettings::default();
        let invoker = Arc::new(saga_registry(&table, chance, &settings));
        let steps = StepWatch::new(clock.clone());
        let engine = Engine::with_observers(
            config,
            clock,
            invoker,
            vec![recorder.clone(), steps.clone()],
        );
        Ok(Self {
            engine,
            table,
            store,
            machine,
            definition: Arc::new(definition),
            definition_text,
            approval,
            approval_definition: Arc::new(approval_def),
            approval_text,
            recorder,
            steps,
            settings,
        })
    }

    /// The store the backend records into.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The runtime's clock: tests on virtual time run their own steps on it
    /// ([`Clock::track`]), so a waiting approval does not time out while they act.
    pub fn clock(&self) -> &Clock {
        self.engine.clock()
    }

    /// Whether an execution runs the approval machine: its ARN names the machine.
    fn runs_approval(&self, execution_arn: Option<&str>) -> bool {
        execution_arn.and_then(crate::arn::execution_machine) == Some(self.approval.name.as_str())
    }

    /// Waits for an execution to end and returns its stored summary.
    pub async fn wait(&self, execution_arn: &str) -> Result<ExecutionSummary, BackendError> {
        // An execution the engine has already let go of has ended; the store has it.
        let _ = self.engine.wait_ended(execution_arn).await;
        let summary = self.summary(execution_arn).await?;
        if summary.status.is_terminal() {
            Ok(summary)
        } else {
            Err(BackendError::Failed(format!(
                "{execution_arn} is not run by this process"
            )))
        }
    }

    /// The execution as it stands: from the engine while it runs, from the store once
    /// it has ended (or when an earlier process ran it). The store is caught up first,
    /// so a caller that sees "ended" also finds the whole history.
    async fn summary(&self, arn: &str) -> Result<ExecutionSummary, BackendError> {
        if let Ok(d) = self.engine.describe(arn)
            && !d.status.is_terminal()
        {
            let (run_type, trip_id) = ExecutionSummary::labels_from_input(&d.input);
            return Ok(ExecutionSummary {
                execution_arn: d.execution_arn,
                name: d.name,
                status: d.status,
                start_date: d.start_date,
                stop_date: d.stop_date,
                run_type,
                trip_id,
                error: d.error,
                cause: d.cause,
                output: d.output,
                redrive: RedriveFacts {
                    count: d.redrive_count,
                    date: d.redrive_date,
                    status: Some(NOT_REDRIVABLE.to_owned()),
                    status_reason: Some(redrive::RUNNING_REASON.to_owned()),
                },
            });
        }
        let record = self.stored(arn).await?;
        let events = self.store.event_count(arn).map_err(store_failed)?;
        Ok(summary_of(record, Some(events), self.engine.clock().now()))
    }

    /// The execution as the store holds it, once everything recorded is committed.
    async fn stored(&self, arn: &str) -> Result<ExecutionRecord, BackendError> {
        self.recorder.flush().await;
        // The store holds what was recorded before it failed, not how this ended.
        if let Some(fault) = self.store.fault() {
            return Err(BackendError::StoreFault(fault.to_string()));
        }
        match self.store.get_execution(arn) {
            Ok(Some(r)) => Ok(r),
            Ok(None) => Err(BackendError::NoSuchExecution(arn.to_string())),
            Err(e) => Err(store_failed(e)),
        }
    }
}

/// DescribeExecution's `redriveStatus` values.
const REDRIVABLE: &str = "REDRIVABLE";
const NOT_REDRIVABLE: &str = "NOT_REDRIVABLE";

/// What DescribeExecution would say about redriving a stored execution; `events` is
/// its history's length where known (a list does not count each history).
fn redrive_facts(r: &ExecutionRecord, events: Option<u64>, now: DateTime<Utc>) -> RedriveFacts {
    let verdict = redrive::redrivable(
        r.status,
        r.start_date,
        r.stop_date,
        events.unwrap_or(0),
        now,
    );
    RedriveFacts {
        count: r.redrive_count,
        date: r.redrive_date,
        status: Some(
            if verdict.is_ok() {
                REDRIVABLE
            } else {
                NOT_REDRIVABLE
            }
            .to_owned(),
        ),
        status_reason: verdict.err().map(str::to_owned),
    }
}

/// An ExecutionRecord as DescribeExecution describes it, for a redrive to continue.
fn description_of(r: &ExecutionRecord) -> ExecutionDescription {
    ExecutionDescription {
        execution_arn: r.execution_arn.clone(),
        state_machine_arn: r.state_machine_arn.clone(),
        name: r.name.clone(),
        status: r.status,
        input: r.input.clone(),
        output: r.output.clone(),
        error: r.error.clone(),
        cause: r.cause.clone(),
        start_date: r.start_date,
        stop_date: r.stop_date,
        redrive_count: r.redrive_count,
        redrive_date: r.redrive_date,
    }
}

fn summary_of(r: ExecutionRecord, events: Option<u64>, now: DateTime<Utc>) -> ExecutionSummary {
    let redrive = redrive_facts(&r, events, now);
    let label = |k: &str| r.labels.get(k).and_then(|v| v.as_str()).map(str::to_string);
    ExecutionSummary {
        run_type: label("run_type"),
        trip_id: label("trip_id"),
        status: r.status,
        execution_arn: r.execution_arn,
        name: r.name,
        start_date: r.start_date,
        stop_date: r.stop_date,
        error: r.error,
        cause: r.cause,
        output: r.output,
        redrive,
    }
}

/// A refused redrive, worded as AWS words `ExecutionNotRedrivable`.
fn not_redrivable(reason: &str) -> BackendError {
    BackendError::Failed(format!("ExecutionNotRedrivable: {reason}"))
}

fn failed(e: impl std::fmt::Display) -> BackendError {
    BackendError::Failed(e.to_string())
}

/// A store error as the backend reports it: a failing file stays a store fault.
fn store_failed(e: StoreError) -> BackendError {
    match e {
        StoreError::Fault { .. } => BackendError::StoreFault(e.to_string()),
        e => failed(e),
    }
}

impl SagaBackend for EmbeddedBackend {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            kind: BackendKind::Embedded,
            state_machine_name: self.machine.name.clone(),
            state_machine_arn: self.machine.arn.clone(),
            approval_state_machine_arn: Some(self.approval.arn.clone()),
        }
    }

    fn definition<'a>(
        &'a self,
        execution_arn: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Arc<Definition>, BackendError>> {
        let def = if self.runs_approval(execution_arn) {
            self.approval_definition.clone()
        } else {
            self.definition.clone()
        };
        Box::pin(async move { Ok(def) })
    }

    fn definition_text<'a>(
        &'a self,
        execution_arn: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, BackendError>> {
        let text = if self.runs_approval(Some(execution_arn)) {
            self.approval_text.to_string()
        } else {
            self.definition_text.to_string()
        };
        Box::pin(async move { Ok(Some(text)) })
    }

    fn start(&self, launch: Launch) -> BoxFuture<'_, Result<String, BackendError>> {
        self.start_on(SagaMachine::Booking, launch)
    }

    fn start_on(
        &self,
        which: SagaMachine,
        launch: Launch,
    ) -> BoxFuture<'_, Result<String, BackendError>> {
        let machine = match which {
            SagaMachine::Booking => self.machine.clone(),
            SagaMachine::Approval => self.approval.clone(),
        };
        Box::pin(async move {
            if let Some(fault) = self.store.fault() {
                return Err(BackendError::StoreFault(format!(
                    "not started: {fault}; restart sagaview once the file is usable again"
                )));
            }
            let trip =
                TripRequest::example(&launch.trip_id, launch.run_type, launch.cancel_failure_rate);
            let name = saga_lambdas::trip::execution_name(&launch.trip_id);
            let arn = self
                .engine
                .start_document(&machine, Some(&name), trip.to_input())
                .map_err(failed)?;
            Ok(arn)
        })
    }

    fn history_since<'a>(
        &'a self,
        execution_arn: &'a str,
        after_id: u64,
    ) -> BoxFuture<'a, Result<Vec<HistoryEvent>, BackendError>> {
        Box::pin(async move {
            let after = i64::try_from(after_id).unwrap_or(i64::MAX);
            let rows = self
                .store
                .events_since(execution_arn, after)
                .map_err(store_failed)?;
            rows.into_iter()
                .map(|(id, json)| {
                    serde_json::from_str::<HistoryEvent>(&json).map_err(|e| {
                        failed(format!(
                            "stored event {id} of {execution_arn} is unreadable: {e}"
                        ))
                    })
                })
                .collect()
        })
    }

    fn describe<'a>(
        &'a self,
        execution_arn: &'a str,
    ) -> BoxFuture<'a, Result<ExecutionSummary, BackendError>> {
        Box::pin(self.summary(execution_arn))
    }

    fn list_executions(
        &self,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<ExecutionSummary>, BackendError>> {
        let now = self.engine.clock().now();
        Box::pin(async move {
            Ok(self
                .store
                .list_executions(limit)
                .map_err(store_failed)?
                .into_iter()
                .map(|r| summary_of(r, None, now))
                .collect())
        })
    }

    fn rows<'a>(&'a self, trip_id: &'a str) -> BoxFuture<'a, Result<Vec<Item>, BackendError>> {
        Box::pin(async move { self.table.query_trip_sync(trip_id).map_err(store_failed) })
    }

    /// From the store's row versions. Every event a caller knows of was read from the
    /// store, so the rows written before it, queued ahead of it, are committed too.
    fn rows_at<'a>(
        &'a self,
        trip_id: &'a str,
        execution_arn: &'a str,
        event_id: u64,
    ) -> BoxFuture<'a, Result<RowsAt, BackendError>> {
        Box::pin(async move {
            let event = i64::try_from(event_id).unwrap_or(i64::MAX);
            let past = self
                .store
                .rows_after_event(trip_id, execution_arn, event)
                .map_err(store_failed)?;
            Ok(match past {
                Some(rows) => RowsAt::Past(rows),
                None => RowsAt::Current {
                    rows: self.table.query_trip_sync(trip_id).map_err(store_failed)?,
                    why: "this execution was recorded before past rows were kept".into(),
                },
            })
        })
    }

    fn stop<'a>(&'a self, execution_arn: &'a str) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            match self.engine.stop(execution_arn).await {
                Ok(_) => {
                    self.recorder.flush().await;
                    Ok(())
                }
                Err(_) => match self.summary(execution_arn).await? {
                    s if s.status.is_terminal() => Ok(()),
                    _ => Err(BackendError::Failed(format!(
                        "{execution_arn} is not run by this process"
                    ))),
                },
            }
        })
    }

    fn send_task_success<'a>(
        &'a self,
        task_token: &'a str,
        output: &'a str,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        let sent = self.engine.send_task_success(task_token, output);
        Box::pin(async move { sent.map_err(|e| BackendError::Failed(e.to_string())) })
    }

    fn send_task_failure<'a>(
        &'a self,
        task_token: &'a str,
        error: Option<&'a str>,
        cause: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        let sent = self.engine.send_task_failure(task_token, error, cause);
        Box::pin(async move { sent.map_err(|e| BackendError::Failed(e.to_string())) })
    }

    fn send_task_heartbeat<'a>(
        &'a self,
        task_token: &'a str,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        let sent = self.engine.send_task_heartbeat(task_token);
        Box::pin(async move { sent.map_err(|e| BackendError::Failed(e.to_string())) })
    }

    fn store_fault(&self) -> Option<String> {
        self.store.fault().map(str::to_owned)
    }

    /// Told by the engine when the execution ends: no polling.
    fn wait_ended<'a>(
        &'a self,
        execution_arn: &'a str,
        _poll: std::time::Duration,
    ) -> BoxFuture<'a, Result<ExecutionSummary, BackendError>> {
        Box::pin(self.wait(execution_arn))
    }

    /// From the store's record of the execution, so that an execution recorded by an
    /// earlier process can be redriven too.
    fn redrive<'a>(&'a self, execution_arn: &'a str) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            if let Some(fault) = self.store.fault() {
                return Err(BackendError::StoreFault(format!(
                    "not redriven: {fault}; restart sagaview once the file is usable again"
                )));
            }
            if self
                .engine
                .describe(execution_arn)
                .is_ok_and(|d| !d.status.is_terminal())
            {
                return Err(not_redrivable(redrive::RUNNING_REASON));
            }
            let record = self.stored(execution_arn).await?;
            let Some(machine) = [&self.machine, &self.approval]
                .into_iter()
                .find(|m| m.arn == record.state_machine_arn)
            else {
                return Err(failed(format!(
                    "{execution_arn} runs {}, which this runtime does not have: it cannot \
                     redrive it",
                    record.state_machine_arn
                )));
            };
            let events = self.history_since(execution_arn, 0).await?;
            let past = PastExecution {
                description: description_of(&record),
                events,
            };
            self.engine.redrive(machine, past).map_err(|e| match e {
                EngineError::NotRedrivable(reason) => not_redrivable(&reason),
                e => failed(e),
            })
        })
    }

    fn set_speed(&self, speed: f64) {
        self.engine.clock().set_speed(speed);
    }

    fn set_cancel_failure_rate(&self, rate: f64) -> BoxFuture<'_, Result<(), BackendError>> {
        self.settings.set_cancel_failure_rate(Some(rate));
        Box::pin(async { Ok(()) })
    }

    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        self.engine.clock().now()
    }

    fn clock_control(&self) -> Option<&dyn ClockControl> {
        Some(self)
    }
}

impl ClockControl for EmbeddedBackend {
    fn set_paused(&self, paused: bool) {
        let clock = self.engine.clock();
        if paused {
            clock.pause();
        } else {
            clock.resume();
        }
    }

    fn is_paused(&self) -> bool {
        self.engine.clock().is_paused()
    }

    fn step<'a>(&'a self, execution_arn: &'a str) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            if !self.engine.clock().is_paused() {
                return Err(failed("step works while paused: press p first"));
            }
            let running = self
                .engine
                .describe(execution_arn)
                .is_ok_and(|d| !d.status.is_terminal());
            if !running {
                return Err(failed("the execution has ended: nothing to step"));
            }
            if self.steps.step(execution_arn).await {
                // The stepped event is in the store before the caller reads the history.
                self.recorder.flush().await;
                Ok(())
            } else {
                Err(failed(
                    "no next event: the execution waits for something outside the runtime",
                ))
            }
        })
    }
}
