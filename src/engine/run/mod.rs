//! The interpreter: runs a definition state by state and writes the history.
//!
//! `prev` threads the causal link (`previousEventId`) through a flow of
//! control: every event points at the event that led to it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use serde_json::Value;

use super::choice_eval;
use super::clock::BoxFuture;
use super::context::{ExecutionFacts, Scope, StateFacts};
use super::dataflow::{
    Env, apply_result_path, apply_selection, apply_selection_owned, eval_dynamic_field,
    eval_template, select_input,
};
use super::error::{StatesError, names};
use super::invoker::Payload;
use super::record::LiveExecution;
use super::task_token::Callback;
use super::{Shared, StateMachine};
use crate::asl::model::*;
use crate::history::ExecutionStatus;
use crate::history::event::*;

mod lambda_task;
mod output_text;
mod task;

pub(crate) use output_text::json_text;
use output_text::{output_too_large, place_result, spliced_output};
use task::task_result_field;

const RUNTIME_PREFIX: &str = "An error occurred while executing the state";

/// One running execution.
pub(crate) struct Run {
    pub(crate) shared: Arc<Shared>,
    pub(crate) record: Arc<LiveExecution>,
    pub(crate) facts: ExecutionFacts,
    pub(crate) rng: Mutex<StdRng>,
    /// Draws the pace's jitter (apart from `rng`, so pacing changes no result).
    pub(crate) pace_rng: Mutex<StdRng>,
    /// Set once a Catch has routed the execution on: what runs next is recovery.
    pub(crate) recovering: AtomicBool,
    /// On virtual time, transition time this execution has been given but has not yet
    /// waited for, in nanoseconds (see [`Run::pace_gap`]).
    pub(crate) lag_nanos: AtomicU64,
}

/// On virtual time, how much transition time an execution may run ahead of the clock
/// before it waits for the clock to catch up (a loop of states then moves the clock,
/// and the execution's timers fire).
const MAX_LAG: Duration = Duration::from_millis(100);

/// The result of a flow: its output or error, and the id of its last event.
type FlowResult = Result<(Value, u64), (StatesError, u64)>;

/// A flow's result with, when asked for and known, the text its last state wrote as
/// output (AWS hands that text on unchanged, see `Run::run_flow`).
pub(crate) type FlowText = Result<(Value, u64, Option<String>), (StatesError, u64)>;

enum Ending {
    Done(FlowText),
    Aborted,
    TimedOut,
}

/// How a Lambda invocation ended.
pub(crate) enum Invoked {
    Ok(Payload),
    Failed(super::invoker::TaskFailure),
    NotFound,
    TimedOut,
    HeartbeatTimedOut,
}

type CallbackReceiver = tokio::sync::mpsc::UnboundedReceiver<Callback>;

pub(crate) fn untruncated() -> PayloadDetails {
    PayloadDetails { truncated: false }
}

impl Run {
    fn rng(&self) -> MutexGuard<'_, StdRng> {
        self.rng.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The execution's time: the clock's, plus the transition time it runs ahead by.
    fn now(&self) -> DateTime<Utc> {
        let lag = self.lag_nanos.load(Ordering::Relaxed);
        self.shared.clock.now() + chrono::Duration::nanoseconds(lag as i64)
    }

    pub(crate) fn pace_rng(&self) -> MutexGuard<'_, StdRng> {
        self.pace_rng.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits the time the pace puts before an event of type `ty` (on a paused clock,
    /// until it runs again: an execution stops between two events).
    ///
    /// On running virtual time a transition's cost is not waited for at once: the
    /// execution's own time runs ahead of the clock by it, and waits for the clock only
    /// once it is [`MAX_LAG`] ahead. Histories still show every transition's cost, a
    /// loop of states still moves the clock, and executions do not take turns with one
    /// another at every transition.
    async fn pace_gap(&self, ty: EventType) {
        let gap = self.shared.pacer.before_event(ty, &mut self.pace_rng());
        let clock = &self.shared.clock;
        if gap.is_zero() || !clock.is_virtual() || clock.is_paused() {
            clock.sleep(gap).await;
            return;
        }
        let gap = u64::try_from(gap.as_nanos()).unwrap_or(u64::MAX);
        let lag = self.lag_nanos.fetch_add(gap, Ordering::Relaxed) + gap;
        if lag >= u64::try_from(MAX_LAG.as_nanos()).unwrap_or(u64::MAX) {
            // The execution's time stays where it is while the clock catches up.
            clock.sleep(Duration::from_nanos(lag)).await;
            self.lag_nanos.fetch_sub(lag, Ordering::Relaxed);
        }
    }

    /// Records an event once its paced time has come.
    pub(crate) async fn emit_event(
        &self,
        ty: EventType,
        prev: u64,
        details: Option<EventDetails>,
    ) -> u64 {
        self.pace_gap(ty).await;
        self.record.emit(self.now(), ty, prev, details)
    }

    /// Whether a Catch has already routed this execution on (pacing runs recovery
    /// steps differently).
    pub(crate) fn is_recovering(&self) -> bool {
        self.recovering.load(Ordering::Relaxed)
    }

    /// Runs the whole execution and records its end.
    pub(crate) async fn execute(self, machine: Arc<StateMachine>, input: Value, text: GivenText) {
        self.emit_event(
            EventType::ExecutionStarted,
            0,
            Some(EventDetails::ExecutionStarted(ExecutionStartedDetails {
                input: text.text.clone(),
                input_details: untruncated(),
                role_arn: self.facts.role_arn.clone(),
            })),
        )
        .await;
        let timeout = machine.definition.timeout_seconds;
        let ending = {
            let body = self.run_flow(&machine.definition, input, 0, None, Some(text), true);
            let timer = async {
                match timeout {
                    Some(s) => self.shared.clock.sleep(Duration::from_secs(s)).await,
                    None => std::future::pending().await,
                }
            };
            // In a fixed order, so that an execution whose last step and whose
            // TimeoutSeconds fall on the same instant ends the same way every run: a
            // stop first, then the timeout.
            tokio::select! {
                biased;
                _ = self.record.abort.notified() => Ending::Aborted,
                _ = timer => Ending::TimedOut,
                r = body => Ending::Done(r),
            }
        };
        let last = self.record.last_event_id();
        match ending {
            Ending::Done(Ok((output, prev, text))) => {
                let text = text.unwrap_or_else(|| json_text(&output));
                self.emit_event(
                    EventType::ExecutionSucceeded,
                    prev,
                    Some(EventDetails::ExecutionSucceeded(OutputDetails {
                        output: text.clone(),
                        output_details: untruncated(),
                    })),
                )
                .await;
                self.record.finish(
                    ExecutionStatus::Succeeded,
                    Some(text),
                    None,
                    None,
                    self.now(),
                );
            }
            Ending::Done(Err((e, prev))) => {
                let error = (!e.error.is_empty()).then_some(e.error);
                self.emit_event(
                    EventType::ExecutionFailed,
                    prev,
                    Some(EventDetails::ExecutionFailed(ErrorDetails {
                        error: error.clone(),
                        cause: e.cause.clone(),
                    })),
                )
                .await;
                self.record
                    .finish(ExecutionStatus::Failed, None, error, e.cause, self.now());
            }
            Ending::Aborted => {
                // Not paced: a stop ends the execution at once, paused clock or not.
                self.record.emit(
                    self.now(),
                    EventType::ExecutionAborted,
                    last,
                    Some(EventDetails::ExecutionAborted(ErrorDetails::default())),
                );
                self.record
                    .finish(ExecutionStatus::Aborted, None, None, None, self.now());
            }
            Ending::TimedOut => {
                let details = ErrorDetails {
                    error: Some(names::TIMEOUT.into()),
                    cause: None,
                };
                self.record.emit(
                    self.now(),
                    EventType::ExecutionTimedOut,
                    last,
                    Some(EventDetails::ExecutionTimedOut(details)),
                );
                self.record
                    .finish(ExecutionStatus::TimedOut, None, None, None, self.now());
            }
        }
    }

    /// Runs a state machine (or a branch / item processor) from its StartAt state.
    pub(crate) fn run_definition<'a>(
        &'a self,
        def: &'a Definition,
        input: Value,
        prev: u64,
        map_item: Option<(usize, &'a Value)>,
        input_text: Option<GivenText>,
    ) -> BoxFuture<'a, FlowResult> {
        Box::pin(async move {
            self.run_flow(def, input, prev, map_item, input_text, false)
                .await
                .map(|(output, last, _)| (output, last))
        })
    }

    /// Like [`Run::run_definition`]; with `keep_text`, also returns the output text the
    /// last state wrote to the history, which AWS passes on as it is (a Parallel's
    /// output and the execution's output are built from it; the recording
    /// `scenarios/test_base_scenarios.test_parallel_state_nested` keeps the spaces of the
    /// execution input in both).
    pub(crate) fn run_flow<'a>(
        &'a self,
        def: &'a Definition,
        input: Value,
        prev: u64,
        map_item: Option<(usize, &'a Value)>,
        input_text: Option<GivenText>,
        keep_text: bool,
    ) -> BoxFuture<'a, FlowText> {
        Box::pin(async move {
            // The first state sees the input exactly as given (AWS keeps the text until it changes).
            let (mut input_text, mut input_text_compact) = match input_text {
                Some(given) => (Some(given.text), given.compact),
                None => (None, false),
            };
            let mut prev = prev;
            let mut current = def.start_at;
            let mut input = input;
            loop {
                let state = &def.states[current];
                let type_name = state.kind.type_name();
                let entered_type = EventType::state_entered(type_name);
                self.pace_gap(entered_type).await;
                let entered_at = self.now();
                let (entered_text, entered_compact) = match input_text.take() {
                    Some(text) => (text, input_text_compact),
                    None => (json_text(&input), true),
                };
                let forward_text = (matches!(state.kind, StateKind::Parallel(_))
                    || passes_input_through(&state.kind))
                .then(|| entered_text.clone());
                // A task can reuse its input's text (see `StateCtx::compact_input`).
                let compact_entered = (entered_compact && matches!(state.kind, StateKind::Task(_)))
                    .then(|| entered_text.clone());
                let entered_id = self.record.emit(
                    entered_at,
                    entered_type,
                    prev,
                    Some(EventDetails::StateEntered(StateEnteredDetails {
                        name: state.name.clone(),
                        input: entered_text,
                        input_details: untruncated(),
                    })),
                );
                prev = entered_id;
                let catchers = match &state.kind {
                    StateKind::Task(t) => t.catch.as_slice(),
                    StateKind::Parallel(p) => p.catch.as_slice(),
                    StateKind::Map(m) => m.catch.as_slice(),
                    _ => &[],
                };
                // Where a task's result goes in its input, when the flow can put it
                // there itself: the input is not needed afterwards, so it is not copied.
                let place_at = match &state.kind {
                    StateKind::Task(t) if input.is_object() => task_result_field(t),
                    _ => None,
                };
                // A result stored under a new field: its text can be spliced in.
                let splice_at =
                    place_at.filter(|k| input.as_object().is_some_and(|o| !o.contains_key(*k)));
                let ctx = StateCtx {
                    name: &state.name,
                    entered_at,
                    map_item,
                    input_text: forward_text,
                    compact_input: compact_entered.as_deref(),
                    result_text: Mutex::default(),
                    place_result: place_at.is_some(),
                };
                // A placed result's output text, when it could be spliced.
                let mut spliced = None;
                let outcome = if let StateKind::Fail(f) = &state.kind {
                    match self.fail_error(f, &input, &ctx) {
                        // The error the Fail state declares ends the flow as it is.
                        Ok(declared) => return Err((declared, prev)),
                        Err(e) => Err(e),
                    }
                } else if passes_input_through(&state.kind) {
                    // The output is the input itself: it moves on rather than being copied.
                    self.route(&state.kind, &input, &ctx)
                        .await
                        .map(|next| (std::mem::take(&mut input), next))
                } else {
                    match self.run_state(&state.kind, &input, &ctx, &mut prev).await {
                        Ok((result, next)) if let Some(key) = place_at => {
                            // Spliced first, the output's text gives its size exactly.
                            spliced = splice_at.zip(ctx.compact_input).and_then(|(new, text)| {
                                spliced_output(text, new, &ctx.take_result_text()?)
                            });
                            place_result(&mut input, key, result, spliced.as_deref().map(str::len))
                                .map(|output| (output, next))
                                .ok_or_else(|| StatesError::data_limit(&state.name))
                        }
                        Ok((output, _)) if output_too_large(&output) => {
                            Err(StatesError::data_limit(&state.name))
                        }
                        other => other,
                    }
                };
                let mut output_text = None;
                let mut output_compact = false;
                let (output, next) = match outcome {
                    Ok(ok) => {
                        if passes_input_through(&state.kind) {
                            output_text = ctx.input_text.clone();
                            output_compact = entered_compact;
                        } else if matches!(state.kind, StateKind::Parallel(_)) {
                            // Set only when the Parallel's output is its branches' texts.
                            output_text = ctx.take_result_text();
                        } else if let Some(text) = spliced.take() {
                            output_text = Some(text);
                            output_compact = true;
                        }
                        ok
                    }
                    Err(mut e) => {
                        if e.error == names::RUNTIME
                            && !e.cause.as_deref().unwrap_or("").starts_with(RUNTIME_PREFIX)
                        {
                            e.cause = Some(format!(
                                "{RUNTIME_PREFIX} '{}' (entered at the event id #{entered_id}). {}",
                                state.name,
                                e.cause.unwrap_or_default()
                            ));
                        }
                        let Some(catcher) = catchers.iter().find(|c| e.matches(&c.error_equals))
                        else {
                            return Err((e, prev));
                        };
                        self.recovering.store(true, Ordering::Relaxed);
                        match apply_result_path(&catcher.result_path, input, e.to_catch_output()) {
                            Ok(out) => (out, Transition::Next(catcher.next)),
                            Err(e) => return Err((e, prev)),
                        }
                    }
                };
                if let Some(exited) = EventType::state_exited(type_name) {
                    // The next state is entered with exactly this text: write it once.
                    let text = match output_text.take() {
                        Some(text) => text,
                        None => {
                            output_compact = true;
                            json_text(&output)
                        }
                    };
                    let text = match next {
                        Transition::Next(_) => {
                            output_text = Some(text.clone());
                            text
                        }
                        Transition::End if keep_text => {
                            output_text = Some(text.clone());
                            text
                        }
                        Transition::End => text,
                    };
                    prev = self
                        .emit_event(
                            exited,
                            prev,
                            Some(EventDetails::StateExited(StateExitedDetails {
                                name: state.name.clone(),
                                output: text,
                                output_details: untruncated(),
                            })),
                        )
                        .await;
                }
                match next {
                    Transition::Next(i) => {
                        current = i;
                        input = output;
                        input_text = output_text;
                        input_text_compact = output_compact;
                    }
                    Transition::End => {
                        return Ok((output, prev, output_text.filter(|_| keep_text)));
                    }
                }
            }
        })
    }

    /// Runs a state whose output is its input (see [`passes_input_through`]): only
    /// where it leads is decided here.
    async fn route(
        &self,
        kind: &StateKind,
        input: &Value,
        ctx: &StateCtx<'_>,
    ) -> Result<Transition, StatesError> {
        let scope = self.scope_for(ctx, None);
        match kind {
            StateKind::Pass(p) => Ok(p.transition),
            StateKind::Choice(c) => choose(c, input, &scope),
            StateKind::Wait(w) => {
                self.wait(w, input, &scope).await?;
                Ok(w.transition)
            }
            StateKind::Succeed(_) => Ok(Transition::End),
            _ => Err(StatesError::runtime(
                "only Pass, Choice, Wait and Succeed states pass their input through",
            )),
        }
    }

    /// A Wait state's wait, on the clock.
    async fn wait(
        &self,
        w: &WaitState,
        input: &Value,
        scope: &Scope<'_>,
    ) -> Result<(), StatesError> {
        let delay = self.wait_duration(&w.wait, input, scope)?;
        if !delay.is_zero() {
            self.shared.clock.sleep(delay).await;
        }
        Ok(())
    }

    async fn run_state(
        &self,
        kind: &StateKind,
        raw: &Value,
        ctx: &StateCtx<'_>,
        prev: &mut u64,
    ) -> Result<(Value, Transition), StatesError> {
        match kind {
            StateKind::Pass(p) => {
                let scope = self.scope_for(ctx, None);
                let effective = select_input(&p.io.input_path, raw, &scope)?;
                let result = match (&p.result, &p.io.parameters) {
                    (Some(r), _) => r.clone(),
                    (None, Some(t)) => {
                        let mut rng = self.rng();
                        eval_template(
                            t,
                            &effective,
                            &mut Env {
                                scope,
                                rng: &mut rng,
                            },
                        )?
                    }
                    (None, None) => effective.into_owned(),
                };
                let base = match p.io.result_path {
                    ResultTarget::Replace => Value::Null,
                    _ => raw.clone(),
                };
                let out = apply_result_path(&p.io.result_path, base, result)?;
                let out = apply_selection_owned(&p.io.output_path, out, &scope)?;
                Ok((out, p.transition))
            }
            StateKind::Task(t) => {
                let out = self.run_task(t, raw, ctx, prev).await?;
                Ok((out, t.transition))
            }
            StateKind::Choice(c) => {
                let scope = self.scope_for(ctx, None);
                let effective = apply_selection(&c.input_path, raw, &scope)?;
                let next = choose(c, &effective, &scope)?;
                let out = apply_selection_owned(&c.output_path, effective, &scope)?;
                Ok((out, next))
            }
            StateKind::Wait(w) => {
                let scope = self.scope_for(ctx, None);
                let effective = apply_selection(&w.input_path, raw, &scope)?;
                self.wait(w, &effective, &scope).await?;
                let out = apply_selection_owned(&w.output_path, effective, &scope)?;
                Ok((out, w.transition))
            }
            StateKind::Succeed(s) => {
                let scope = self.scope_for(ctx, None);
                let effective = apply_selection(&s.input_path, raw, &scope)?;
                let out = apply_selection_owned(&s.output_path, effective, &scope)?;
                Ok((out, Transition::End))
            }
            // run_definition handles Fail states before calling here.
            StateKind::Fail(f) => Err(self.fail_error(f, raw, ctx)?),
            StateKind::Parallel(p) => {
                let out = self.run_parallel(p, raw, ctx, prev).await?;
                Ok((out, p.transition))
            }
            StateKind::Map(m) => {
                let out = self.run_map(m, raw, ctx, prev).await?;
                Ok((out, m.transition))
            }
        }
    }

    pub(crate) fn scope_for<'a>(
        &'a self,
        ctx: &StateCtx<'a>,
        retry_count: Option<u32>,
    ) -> Scope<'a> {
        Scope {
            execution: &self.facts,
            state: StateFacts {
                name: ctx.name,
                entered_time: ctx.entered_at,
                retry_count,
                map_item: ctx.map_item,
                task_token: None,
            },
        }
    }

    fn fail_error(
        &self,
        f: &FailState,
        raw: &Value,
        ctx: &StateCtx<'_>,
    ) -> Result<StatesError, StatesError> {
        let scope = self.scope_for(ctx, None);
        let text =
            |source: &Option<TextSource>, field: &str| -> Result<Option<String>, StatesError> {
                match source {
                    None => Ok(None),
                    Some(TextSource::Fixed(s)) => Ok(Some(s.clone())),
                    Some(TextSource::Path(t)) => {
                        let mut rng = self.rng();
                        let v = eval_dynamic_field(
                            t,
                            field,
                            raw,
                            &mut Env {
                                scope,
                                rng: &mut rng,
                            },
                        )?;
                        match v {
                            Value::String(s) => Ok(Some(s)),
                            other => Ok(Some(other.to_string())),
                        }
                    }
                }
            };
        let error = text(&f.error, "ErrorPath")?;
        let cause = text(&f.cause, "CausePath")?;
        Ok(StatesError {
            error: error.unwrap_or_default(),
            cause,
        })
    }

    fn wait_duration(
        &self,
        wait: &WaitFor,
        input: &Value,
        scope: &Scope<'_>,
    ) -> Result<Duration, StatesError> {
        let until = |t: DateTime<Utc>| (t - self.now()).to_std().unwrap_or(Duration::ZERO);
        match wait {
            WaitFor::Seconds(s) => Ok(Duration::from_secs(*s)),
            WaitFor::Timestamp(t) => Ok(until(*t)),
            WaitFor::SecondsPath(p) => {
                let v = super::dataflow::select_parameter("SecondsPath", p, input, scope)?;
                match v.as_i64() {
                    Some(n) if n < 0 => Err(StatesError::runtime(format!(
                        "The SecondsPath parameter references a negative value: {} == {n}",
                        p.text()
                    ))),
                    Some(n) => Ok(Duration::from_secs(n as u64)),
                    None => Err(StatesError::runtime(format!(
                        "The SecondsPath parameter does not reference a valid integer: {} == {}",
                        p.text(),
                        v
                    ))),
                }
            }
            WaitFor::TimestampPath(p) => {
                let v = super::dataflow::select_parameter("TimestampPath", p, input, scope)?;
                let parsed = v.as_str().and_then(crate::asl::timestamp::parse_timestamp);
                match parsed {
                    Some(t) => Ok(until(t)),
                    None => Err(StatesError::runtime(format!(
                        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                        p.text(),
                        v.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string())
                    ))),
                }
            }
        }
    }
}

/// A flow's input as text, when it is already written.
pub(crate) struct GivenText {
    pub(crate) text: String,
    /// Whether `text` is the input's compact serialisation (what [`json_text`] gives):
    /// a task can then splice its Parameters and its output from it. Text as a caller
    /// wrote it may have spaces, which the history keeps.
    pub(crate) compact: bool,
}

impl GivenText {
    /// Text as someone wrote it: kept as it is, not known to be compact.
    pub(crate) fn as_written(text: String) -> Self {
        GivenText {
            text,
            compact: false,
        }
    }
}

/// Per-visit facts about the state being run.
pub(crate) struct StateCtx<'a> {
    pub(crate) name: &'a str,
    pub(crate) entered_at: DateTime<Utc>,
    pub(crate) map_item: Option<(usize, &'a Value)>,
    /// The state input as text, kept for states that hand it on unchanged (Parallel).
    pub(crate) input_text: Option<String>,
    /// A task's input as its compact JSON text (what serialising it gives), when known.
    pub(crate) compact_input: Option<&'a str>,
    /// The compact JSON text of a task's result, when the task wrote it to the history
    /// and nothing reshaped the result afterwards: lets the output text be assembled
    /// instead of serialised again (see `spliced_output`).
    pub(crate) result_text: Mutex<Option<String>>,
    /// A task leaves its (selected) result for the flow to place in its own input
    /// rather than into a copy of it (see `Run::place_result`).
    pub(crate) place_result: bool,
}

impl StateCtx<'_> {
    pub(crate) fn set_result_text(&self, text: Option<String>) {
        *self.result_text.lock().unwrap_or_else(|p| p.into_inner()) = text;
    }

    fn take_result_text(&self) -> Option<String> {
        self.result_text
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}

/// Where a Choice state leads for this input.
fn choose(c: &ChoiceState, input: &Value, scope: &Scope<'_>) -> Result<Transition, StatesError> {
    for branch in &c.choices {
        if choice_eval::evaluate(&branch.rule, input, scope)? {
            return Ok(Transition::Next(branch.next));
        }
    }
    c.default
        .map(Transition::Next)
        .ok_or_else(|| StatesError::new("States.NoChoiceMatched", "No Matches!"))
}

/// States whose output is their input, untouched: AWS then keeps the input text as it was.
fn passes_input_through(kind: &StateKind) -> bool {
    let whole = |s: &Selection| matches!(s, Selection::Whole);
    match kind {
        StateKind::Pass(p) => {
            p.result.is_none()
                && p.io.parameters.is_none()
                && whole(&p.io.input_path)
                && whole(&p.io.output_path)
                && matches!(p.io.result_path, ResultTarget::Replace)
        }
        StateKind::Wait(w) => whole(&w.input_path) && whole(&w.output_path),
        StateKind::Choice(c) => whole(&c.input_path) && whole(&c.output_path),
        StateKind::Succeed(s) => whole(&s.input_path) && whole(&s.output_path),
        _ => false,
    }
}
