//! The interpreter: runs a definition state by state and writes the history.
//!
//! `prev` threads the causal link (`previousEventId`) through a flow of
//! control: every event points at the event that led to it.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::RngExt;
use rand::rngs::StdRng;
use serde_json::{Map, Value};

use super::callback::{CallbackWait, During};
use super::choice_eval;
use super::clock::BoxFuture;
use super::context::{ExecutionFacts, Scope, StateFacts};
use super::dataflow::{
    Env, apply_result_path, apply_selection, apply_selection_owned, eval_dynamic_field,
    eval_members, eval_template, select_input,
};
use super::error::{PAYLOAD_LIMIT_BYTES, StatesError, names};
use super::intrinsics::random_uuid;
use super::invoker::{InvokeError, InvokeRequest, Payload, RequestPayload};
use super::lambda;
use super::record::{ExecutionRecord, ExecutionStatus};
use super::task_result::{InvokeResponse, TaskOutput};
use super::task_token::Callback;
use super::{Shared, StateMachine};
use crate::asl::model::*;
use crate::asl::template::Template;
use crate::history::event::*;

const RUNTIME_PREFIX: &str = "An error occurred while executing the state";

/// One running execution.
pub(crate) struct Run {
    pub(crate) shared: Arc<Shared>,
    pub(crate) record: Arc<ExecutionRecord>,
    pub(crate) facts: ExecutionFacts,
    pub(crate) rng: Mutex<StdRng>,
}

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

    fn now(&self) -> DateTime<Utc> {
        self.shared.clock.now()
    }

    pub(crate) fn emit_event(
        &self,
        ty: EventType,
        prev: u64,
        details: Option<EventDetails>,
    ) -> u64 {
        self.record.emit(self.now(), ty, prev, details)
    }

    /// Runs the whole execution and records its end.
    pub(crate) async fn execute(
        self,
        machine: Arc<StateMachine>,
        input: Value,
        input_text: String,
    ) {
        self.emit_event(
            EventType::ExecutionStarted,
            0,
            Some(EventDetails::ExecutionStarted(ExecutionStartedDetails {
                input: input_text.clone(),
                input_details: untruncated(),
                role_arn: self.facts.role_arn.clone(),
            })),
        );
        let timeout = machine.definition.timeout_seconds;
        let ending = {
            let body = self.run_flow(&machine.definition, input, 0, None, Some(input_text), true);
            let timer = async {
                match timeout {
                    Some(s) => self.shared.clock.sleep(Duration::from_secs(s)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                r = body => Ending::Done(r),
                _ = self.record.abort.notified() => Ending::Aborted,
                _ = timer => Ending::TimedOut,
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
                );
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
                );
                self.record
                    .finish(ExecutionStatus::Failed, None, error, e.cause, self.now());
            }
            Ending::Aborted => {
                self.emit_event(
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
                self.emit_event(
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
        input_text: Option<String>,
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
        input_text: Option<String>,
        keep_text: bool,
    ) -> BoxFuture<'a, FlowText> {
        Box::pin(async move {
            // The first state sees the input exactly as given (AWS keeps the text until it changes).
            let mut input_text = input_text;
            // Whether `input_text` is the compact serialisation of `input` (the given
            // execution input is kept as the caller wrote it, so it may not be).
            let mut input_text_compact = false;
            let mut prev = prev;
            let mut current = def.start_at;
            let mut input = input;
            loop {
                let state = &def.states[current];
                let type_name = state.kind.type_name();
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
                    EventType::state_entered(type_name),
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
                            place_result(&mut input, key, result)
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
                        } else if let (Some(key), Some(text), Some(result)) =
                            (splice_at, ctx.compact_input, ctx.take_result_text())
                        {
                            output_text = spliced_output(text, key, &result);
                            output_compact = output_text.is_some();
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
                    prev = self.emit_event(
                        exited,
                        prev,
                        Some(EventDetails::StateExited(StateExitedDetails {
                            name: state.name.clone(),
                            output: text,
                            output_details: untruncated(),
                        })),
                    );
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
                let v = super::dataflow::select(p, input, scope).map_err(|_| {
                    StatesError::runtime(format!(
                        "The SecondsPath parameter does not reference an input value: {}",
                        p.text()
                    ))
                })?;
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
                let v = super::dataflow::select(p, input, scope).map_err(|_| {
                    StatesError::runtime(format!(
                        "The TimestampPath parameter does not reference an input value: {}",
                        p.text()
                    ))
                })?;
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

    /// How long to wait before retrying `error`, or `None` when no retrier applies any more.
    pub(crate) fn next_retry(
        &self,
        retriers: &[Retrier],
        counters: &mut [u32],
        error: &StatesError,
    ) -> Option<Duration> {
        let index = retriers
            .iter()
            .position(|r| error.matches(&r.error_equals))?;
        let r = &retriers[index];
        if counters[index] >= r.max_attempts {
            return None;
        }
        let mut seconds = r.interval_seconds * r.backoff_rate.powi(counters[index] as i32);
        if let Some(max) = r.max_delay_seconds {
            seconds = seconds.min(max);
        }
        if r.full_jitter {
            seconds *= self.rng().random::<f64>();
        }
        counters[index] += 1;
        Some(Duration::from_secs_f64(seconds.max(0.0)))
    }

    async fn run_task(
        &self,
        t: &TaskState,
        raw: &Value,
        ctx: &StateCtx<'_>,
        prev: &mut u64,
    ) -> Result<Value, StatesError> {
        let mut counters = vec![0u32; t.retry.len()];
        let mut retry_count = 0u32;
        loop {
            match self.task_attempt(t, raw, ctx, retry_count, prev).await {
                Ok(v) => return Ok(v),
                Err(e) => match self.next_retry(&t.retry, &mut counters, &e) {
                    Some(delay) => {
                        retry_count += 1;
                        self.shared.clock.sleep(delay).await;
                    }
                    None => return Err(e),
                },
            }
        }
    }

    async fn task_attempt(
        &self,
        t: &TaskState,
        raw: &Value,
        ctx: &StateCtx<'_>,
        retry_count: u32,
        prev: &mut u64,
    ) -> Result<Value, StatesError> {
        // The token closes when the attempt ends, however it ends (also when the
        // execution is stopped or times out, or a sibling branch fails).
        let mut open = t.wait_for_task_token.then(|| {
            let unique = random_uuid(&mut self.rng());
            self.shared.tokens.open(&unique)
        });
        let (token, receiver) = match &mut open {
            Some(open) => (Some(open.token.as_str()), Some(&mut open.rx)),
            None => (None, None),
        };
        self.task_attempt_with(t, raw, ctx, retry_count, token, receiver, prev)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn task_attempt_with(
        &self,
        t: &TaskState,
        raw: &Value,
        ctx: &StateCtx<'_>,
        retry_count: u32,
        token: Option<&str>,
        callback: Option<&mut CallbackReceiver>,
        prev: &mut u64,
    ) -> Result<Value, StatesError> {
        let mut scope = self.scope_for(ctx, Some(retry_count));
        scope.state.task_token = token;
        let selected = select_input(&t.io.input_path, raw, &scope)?;
        // Parameters over the whole input, whose text the flow has: their text is
        // spliced from it (see `template_text`).
        let spliced = match (&t.io.parameters, &t.io.input_path, ctx.compact_input) {
            (Some(Template::Object(members)), Selection::Whole, Some(text)) => {
                Some((members, text))
            }
            _ => None,
        };
        // `"Payload.$": "$"` then hands the function that text, not a copy of the
        // document.
        let payload_text = spliced
            .filter(|(members, _)| {
                matches!(t.resource, TaskResource::LambdaInvoke)
                    && raw.is_object()
                    && members.iter().any(|(key, m)| {
                        key == "Payload" && matches!(m, Template::Path(p) if p.is_whole_input())
                    })
            })
            .map(|(_, text)| text);
        let effective = match &t.io.parameters {
            Some(tpl) => {
                let mut rng = self.rng();
                let mut env = Env {
                    scope,
                    rng: &mut rng,
                };
                match (tpl, payload_text) {
                    (Template::Object(members), Some(_)) => {
                        eval_members(members, Some("Payload"), &selected, &mut env)?
                    }
                    _ => eval_template(tpl, &selected, &mut env)?,
                }
            }
            None => selected.clone().into_owned(),
        };
        let timeout = match (&t.timeout_seconds, &t.timeout_seconds_path) {
            (Some(s), _) => Some(*s),
            (None, Some(p)) => {
                let v = super::dataflow::select(p, &selected, &scope).map_err(|_| {
                    StatesError::runtime(format!(
                        "The TimeoutSecondsPath parameter does not reference an input value: {}",
                        p.text()
                    ))
                })?;
                Some(v.as_u64().filter(|n| *n > 0).ok_or_else(|| {
                    StatesError::runtime(format!(
                        "The TimeoutSecondsPath parameter does not reference a positive integer: {} == {v}",
                        p.text()
                    ))
                })?)
            }
            (None, None) => None,
        };
        let heartbeat = super::heartbeat::resolve(t, &selected, &scope, timeout)?;
        ctx.set_result_text(None);
        let params_text =
            spliced.and_then(|(members, text)| template_text(members, &effective, text));
        // The parameters' text is what makes leaving the payload out possible; without
        // it the payload goes in as a document after all.
        let mut effective = effective;
        let payload_text = match (payload_text, &params_text, effective.as_object_mut()) {
            (Some(_), None, Some(params)) => {
                params.insert("Payload".to_owned(), selected.clone().into_owned());
                None
            }
            (text, _, _) => text,
        };
        let output = match &t.resource {
            TaskResource::LambdaInvoke => {
                self.lambda_invoke(
                    InvokeParameters {
                        doc: effective,
                        text: params_text,
                        payload_text,
                    },
                    (timeout, heartbeat),
                    token.zip(callback),
                    ctx,
                    prev,
                )
                .await?
            }
            TaskResource::LambdaFunction { arn, function } => TaskOutput::Value(
                self.lambda_function(arn, function, effective, (timeout, heartbeat), prev)
                    .await?,
            ),
        };
        let result = match &t.io.result_selector {
            Some(tpl) => {
                let mut rng = self.rng();
                let selected = output.select(
                    tpl,
                    &mut Env {
                        scope,
                        rng: &mut rng,
                    },
                )?;
                // The output text is then the input's with this (small) result
                // spliced in, rather than the whole output serialised again.
                let splices = ctx.compact_input.is_some() && ctx.place_result;
                ctx.set_result_text(splices.then(|| json_text(&selected)));
                selected
            }
            None => output.into_value(),
        };
        if ctx.place_result {
            return Ok(result);
        }
        let base = match t.io.result_path {
            ResultTarget::Replace => Value::Null,
            _ => raw.clone(),
        };
        let out = apply_result_path(&t.io.result_path, base, result)?;
        apply_selection_owned(&t.io.output_path, out, &scope)
    }

    fn function_arn(&self, name: &str) -> String {
        let c = &self.shared.config;
        format!(
            "arn:{}:lambda:{}:{}:function:{name}",
            c.partition, c.region, c.account_id
        )
    }

    /// Invokes `function`; `limits` are the task's TimeoutSeconds and HeartbeatSeconds
    /// (a request-response invocation sends no heartbeats, so the heartbeat limit bounds
    /// the whole call).
    async fn invoke(
        &self,
        function: &str,
        payload: RequestPayload,
        limits: (Option<u64>, Option<u64>),
    ) -> (Invoked, String) {
        let (timeout, heartbeat) = limits;
        let (call, request_id) = self.call(function, payload);
        let outcome = match (timeout, heartbeat) {
            (None, None) => call.await,
            (Some(s), None) => {
                tokio::select! {
                    r = call => r,
                    _ = self.shared.clock.sleep(Duration::from_secs(s)) => Invoked::TimedOut,
                }
            }
            (timeout, Some(h)) => {
                let timer = async {
                    match timeout {
                        Some(s) => self.shared.clock.sleep(Duration::from_secs(s)).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    r = call => r,
                    _ = timer => Invoked::TimedOut,
                    _ = self.shared.clock.sleep(Duration::from_secs(h)) => Invoked::HeartbeatTimedOut,
                }
            }
        };
        (outcome, request_id)
    }

    /// The invocation of `function` with `payload`, without limits, and its request id.
    fn call(
        &self,
        function: &str,
        payload: RequestPayload,
    ) -> (impl std::future::Future<Output = Invoked> + '_, String) {
        let request_id = random_uuid(&mut self.rng());
        let request = InvokeRequest {
            function: function.to_owned(),
            payload,
            request_id: request_id.clone(),
        };
        let call = async move {
            if let Some(latency) = self.shared.config.task_latency {
                self.shared.clock.sleep(latency).await;
            }
            match self.shared.invoker.invoke(request).await {
                Ok(p) => Invoked::Ok(p),
                Err(InvokeError::NotFound) => Invoked::NotFound,
                Err(InvokeError::Failed(f)) => Invoked::Failed(f),
            }
        };
        (call, request_id)
    }

    async fn lambda_invoke(
        &self,
        params: InvokeParameters<'_>,
        limits: (Option<u64>, Option<u64>),
        callback: Option<(&str, &mut CallbackReceiver)>,
        ctx: &StateCtx<'_>,
        prev: &mut u64,
    ) -> Result<TaskOutput, StatesError> {
        const RT: &str = "lambda";
        let InvokeParameters {
            doc: params,
            text: params_text,
            payload_text,
        } = params;
        let res = if callback.is_some() {
            "invoke.waitForTaskToken"
        } else {
            "invoke"
        };
        let function = params
            .get("FunctionName")
            .and_then(Value::as_str)
            .map(|f| lambda::function_name(f).to_owned())
            .ok_or_else(|| {
                StatesError::runtime("The field 'FunctionName' is required by lambda:invoke")
            })?;
        *prev = self.emit_event(
            EventType::TaskScheduled,
            *prev,
            Some(EventDetails::TaskScheduled(TaskScheduledDetails {
                resource_type: RT.into(),
                resource: res.into(),
                region: self.shared.config.region.clone(),
                parameters: params_text.unwrap_or_else(|| json_text(&params)),
                timeout_in_seconds: limits.0,
                heartbeat_in_seconds: limits.1,
            })),
        );
        *prev = self.emit_event(
            EventType::TaskStarted,
            *prev,
            Some(EventDetails::TaskStarted(TaskResourceDetails {
                resource_type: RT.into(),
                resource: res.into(),
            })),
        );
        // The parameters are in the history now: the payload can be moved out of them.
        let mut params = params;
        let payload = match (payload_text, params.get_mut("Payload").map(Value::take)) {
            (Some(text), _) => RequestPayload::Text(text.to_owned()),
            (None, None | Some(Value::Null)) => Value::Object(Map::new()).into(),
            // A string payload is sent as the request body itself.
            (None, Some(Value::String(text))) => serde_json::from_str(&text)
                .unwrap_or(Value::String(text))
                .into(),
            (None, Some(p)) => p.into(),
        };
        drop(params);
        // A callback task listens to its token from TaskStarted on, during the call too.
        let mut wait = callback.map(|(token, rx)| CallbackWait::start(self, token, rx, limits));
        let (outcome, request_id) = match &mut wait {
            None => self.invoke(&function, payload, limits).await,
            Some(wait) => {
                let (call, request_id) = self.call(&function, payload);
                match wait.during(self, call).await {
                    During::Returned(outcome) => (outcome, request_id),
                    During::Ended(waited) => {
                        return self
                            .callback_ended(waited, ctx, prev)
                            .map(TaskOutput::Value);
                    }
                }
            }
        };
        match outcome {
            Invoked::Ok(payload) => {
                let text = lambda::payload_text(&payload);
                if text.len() > PAYLOAD_LIMIT_BYTES {
                    return self
                        .task_failed(
                            prev,
                            EventType::TaskFailed,
                            StatesError::data_limit(RT),
                            res,
                        )
                        .map(TaskOutput::Value);
                }
                let response = InvokeResponse {
                    payload: lambda::payload_value(payload),
                    payload_len: text.len(),
                    trace_id: format!("Root=1-{}", &request_id[..8]),
                    request_id,
                    at: self.now(),
                };
                let output = response.text();
                if let Some(wait) = &mut wait {
                    return self
                        .wait_for_token(wait, output, ctx, prev)
                        .await
                        .map(TaskOutput::Value);
                }
                ctx.set_result_text(Some(output.clone()));
                *prev = self.emit_event(
                    EventType::TaskSucceeded,
                    *prev,
                    Some(EventDetails::TaskSucceeded(TaskSucceededDetails {
                        resource_type: RT.into(),
                        resource: res.into(),
                        output,
                        output_details: untruncated(),
                    })),
                );
                Ok(TaskOutput::Invoke(response))
            }
            Invoked::Failed(f) => {
                let e = StatesError::new(f.error, lambda::service_error_cause(&f.cause));
                self.task_failed(prev, EventType::TaskFailed, e, res)
                    .map(TaskOutput::Value)
            }
            Invoked::NotFound => {
                let e = StatesError::new(
                    "Lambda.ResourceNotFoundException",
                    lambda::not_found_cause(&self.function_arn(&function), &request_id),
                );
                self.task_failed(prev, EventType::TaskFailed, e, res)
                    .map(TaskOutput::Value)
            }
            Invoked::TimedOut => self
                .task_failed(prev, EventType::TaskTimedOut, StatesError::timeout(), res)
                .map(TaskOutput::Value),
            Invoked::HeartbeatTimedOut => self
                .task_failed(
                    prev,
                    EventType::TaskTimedOut,
                    StatesError::heartbeat_timeout(),
                    res,
                )
                .map(TaskOutput::Value),
        }
    }

    pub(crate) fn task_failed(
        &self,
        prev: &mut u64,
        ty: EventType,
        error: StatesError,
        resource: &str,
    ) -> Result<Value, StatesError> {
        // An absent error (SendTaskFailure without one) stays absent.
        let details = TaskErrorDetails {
            resource_type: "lambda".into(),
            resource: resource.into(),
            error: (!error.error.is_empty()).then(|| error.error.clone()),
            cause: error.cause.clone(),
        };
        let details = if ty == EventType::TaskTimedOut {
            EventDetails::TaskTimedOut(details)
        } else {
            EventDetails::TaskFailed(details)
        };
        *prev = self.emit_event(ty, *prev, Some(details));
        Err(error)
    }

    fn lambda_failed(
        &self,
        prev: &mut u64,
        ty: EventType,
        error: StatesError,
    ) -> Result<Value, StatesError> {
        let details = ErrorDetails {
            error: Some(error.error.clone()),
            cause: error.cause.clone(),
        };
        let details = if ty == EventType::LambdaFunctionTimedOut {
            EventDetails::LambdaFunctionTimedOut(details)
        } else {
            EventDetails::LambdaFunctionFailed(details)
        };
        *prev = self.emit_event(ty, *prev, Some(details));
        Err(error)
    }

    async fn lambda_function(
        &self,
        arn: &str,
        function: &str,
        input: Value,
        limits: (Option<u64>, Option<u64>),
        prev: &mut u64,
    ) -> Result<Value, StatesError> {
        let timeout = limits.0;
        *prev = self.emit_event(
            EventType::LambdaFunctionScheduled,
            *prev,
            Some(EventDetails::LambdaFunctionScheduled(
                LambdaScheduledDetails {
                    resource: arn.to_owned(),
                    input: json_text(&input),
                    input_details: untruncated(),
                    timeout_in_seconds: timeout,
                },
            )),
        );
        *prev = self.emit_event(EventType::LambdaFunctionStarted, *prev, None);
        let (outcome, request_id) = self.invoke(function, input.into(), limits).await;
        match outcome {
            Invoked::Ok(payload) => {
                let text = lambda::payload_text(&payload);
                if text.len() > PAYLOAD_LIMIT_BYTES {
                    return self.lambda_failed(
                        prev,
                        EventType::LambdaFunctionFailed,
                        StatesError::data_limit(arn),
                    );
                }
                *prev = self.emit_event(
                    EventType::LambdaFunctionSucceeded,
                    *prev,
                    Some(EventDetails::LambdaFunctionSucceeded(OutputDetails {
                        output: text,
                        output_details: untruncated(),
                    })),
                );
                Ok(lambda::payload_value(payload))
            }
            Invoked::Failed(f) => self.lambda_failed(
                prev,
                EventType::LambdaFunctionFailed,
                StatesError::new(f.error, f.cause),
            ),
            Invoked::NotFound => {
                let e = StatesError::new(
                    "Lambda.ResourceNotFoundException",
                    lambda::not_found_cause(arn, &request_id),
                );
                self.lambda_failed(prev, EventType::LambdaFunctionFailed, e)
            }
            Invoked::TimedOut => self.lambda_failed(
                prev,
                EventType::LambdaFunctionTimedOut,
                StatesError::timeout(),
            ),
            Invoked::HeartbeatTimedOut => self.lambda_failed(
                prev,
                EventType::LambdaFunctionTimedOut,
                StatesError::heartbeat_timeout(),
            ),
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

/// A task's output when its ResultPath is one top-level field and it has no
/// OutputPath: the input object itself, taken, with the result stored under `key`
/// (what `apply_result_path` gives on a copy). `None`, with the input left exactly as
/// it was for a catcher, when the output would exceed the payload limit.
fn place_result(input: &mut Value, key: &str, result: Value) -> Option<Value> {
    let Value::Object(map) = input else {
        unreachable!("only object inputs are placed into")
    };
    let previous = map.insert(key.to_owned(), result);
    if output_too_large(input) {
        let Value::Object(map) = input else {
            unreachable!("still the same object")
        };
        match previous {
            // Same position: replacing a member keeps its place.
            Some(v) => map.insert(key.to_owned(), v),
            // The new member was appended last: removing it restores the order.
            None => map.shift_remove(key),
        };
        return None;
    }
    Some(std::mem::take(input))
}

/// The compact JSON text of an object input with `result` stored under the new
/// top-level field `key`, made from their texts: exactly what serialising the merged
/// value gives when `input_text` is the compact text of an object without that field,
/// since the new member is then appended last.
fn spliced_output(input_text: &str, key: &str, result_text: &str) -> Option<String> {
    if !input_text.starts_with('{') || !input_text.ends_with('}') {
        return None;
    }
    let key_text = json_text(&Value::String(key.to_owned()));
    let mut out = String::with_capacity(input_text.len() + key_text.len() + result_text.len() + 2);
    out.push_str(&input_text[..input_text.len() - 1]);
    if input_text.len() > 2 {
        out.push(',');
    }
    out.push_str(&key_text);
    out.push(':');
    out.push_str(result_text);
    out.push('}');
    Some(out)
}

/// The compact JSON text of `value`, the result of the object template `members`,
/// with the text of every `"key.$": "$"` member taken from `input_text` (the compact
/// text of the whole input) instead of serialising that copy of the input again.
fn template_text(
    members: &[(String, crate::asl::template::Template)],
    value: &Value,
    input_text: &str,
) -> Option<String> {
    use crate::asl::template::Template;
    let map = value.as_object()?;
    if map.len() != members.len() {
        return None;
    }
    let mut out = String::with_capacity(input_text.len() + 64 * members.len());
    out.push('{');
    for (i, ((key, template), (member, v))) in members.iter().zip(map).enumerate() {
        if key != member {
            return None;
        }
        if i > 0 {
            out.push(',');
        }
        out.push_str(&json_text(&Value::String(key.clone())));
        out.push(':');
        match template {
            Template::Path(p) if p.is_whole_input() => out.push_str(input_text),
            _ => out.push_str(&json_text(v)),
        }
    }
    out.push('}');
    Some(out)
}

/// A `lambda:invoke` task's evaluated Parameters, with the texts the flow already
/// has for them.
struct InvokeParameters<'a> {
    doc: Value,
    /// The whole parameters' text, when spliced from the input's.
    text: Option<String>,
    /// The `Payload` member's text when it is the whole input (then `null` in `doc`).
    payload_text: Option<&'a str>,
}

/// The top-level field a task's ResultPath writes, when the output is exactly the input
/// with that field added (no OutputPath).
fn task_result_field(t: &TaskState) -> Option<&str> {
    match (&t.io.result_path, &t.io.output_path) {
        (ResultTarget::At(segments), Selection::Whole) => match segments.as_slice() {
            [crate::asl::path::Segment::Key(k)] => Some(k),
            _ => None,
        },
        _ => None,
    }
}

/// Compact JSON text of a value (AWS's payload form), via the fast writer path.
pub(crate) fn json_text(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// States whose output is their input, untouched: AWS then keeps the input text as it was.
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

fn output_too_large(output: &Value) -> bool {
    // Cheap pre-check: only long strings or big containers can exceed the limit.
    fn rough(v: &Value) -> usize {
        match v {
            Value::String(s) => s.len() + 2,
            Value::Array(a) => a.iter().map(rough).sum::<usize>() + a.len() + 2,
            Value::Object(o) => o.iter().map(|(k, v)| k.len() + 3 + rough(v)).sum::<usize>() + 2,
            _ => 8,
        }
    }
    rough(output) > PAYLOAD_LIMIT_BYTES / 2 && json_text(output).len() > PAYLOAD_LIMIT_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_spliced_output_is_the_merged_value_serialised() {
        let result = json!({"Payload": {"ok": true, "s": "a\"b"}, "StatusCode": 200});
        for (input, key) in [
            (json!({"trip": "t1", "n": 1.5}), "Res"),
            (json!({}), "Res"),
            (json!({"a": [1, {"b": null}]}), "k\"é\n"),
        ] {
            let mut merged = input.clone();
            merged
                .as_object_mut()
                .unwrap()
                .insert(key.to_owned(), result.clone());
            let spliced = spliced_output(&json_text(&input), key, &json_text(&result)).unwrap();
            assert_eq!(spliced, json_text(&merged));
        }
        assert!(spliced_output("[1]", "Res", "3").is_none());
    }

    #[test]
    fn a_placed_result_is_what_the_result_path_gives_on_a_copy() {
        let path = ResultTarget::At(vec![crate::asl::path::Segment::Key("Res".into())]);
        for input in [
            json!({"a": 1, "b": [2]}),
            json!({"Res": 0, "b": 2}),
            json!({}),
        ] {
            let want = apply_result_path(&path, input.clone(), json!({"ok": true})).unwrap();
            let mut taken = input.clone();
            let got = place_result(&mut taken, "Res", json!({"ok": true})).unwrap();
            assert_eq!(json_text(&got), json_text(&want), "member order too");
        }
    }

    #[test]
    fn an_oversized_result_leaves_the_input_exactly_as_it_was() {
        let big = Value::String("x".repeat(PAYLOAD_LIMIT_BYTES));
        for input in [
            json!({"a": 1, "Res": "old", "z": 2}),
            json!({"a": 1, "z": 2}),
        ] {
            let mut kept = input.clone();
            assert!(place_result(&mut kept, "Res", big.clone()).is_none());
            assert_eq!(json_text(&kept), json_text(&input), "member order too");
        }
    }

    #[test]
    fn a_template_text_is_the_evaluated_template_serialised() {
        use crate::asl::template::Template;
        use crate::engine::context::ExecutionFacts;
        use rand::SeedableRng;
        let template = Template::compile(&json!({
            "FunctionName": "arn:f",
            "Payload.$": "$",
            "Part.$": "$.a",
            "k\"é": {"n.$": "$.a[0]"}
        }))
        .unwrap();
        let Template::Object(members) = &template else {
            panic!("an object template");
        };
        let input = json!({"a": [1, "x\"y"], "b": {"c": null}});
        let facts = ExecutionFacts {
            id: "arn:e".into(),
            name: "e".into(),
            input: input.clone(),
            start_time: "2024-01-01T00:00:00.000Z".into(),
            role_arn: "arn:r".into(),
            machine_id: "arn:m".into(),
            machine_name: "m".into(),
        };
        let mut rng = StdRng::seed_from_u64(1);
        let mut env = Env {
            scope: Scope {
                execution: &facts,
                state: StateFacts {
                    name: "S",
                    entered_time: chrono::DateTime::from_timestamp(0, 0).unwrap(),
                    retry_count: None,
                    map_item: None,
                    task_token: None,
                },
            },
            rng: &mut rng,
        };
        let value = eval_template(&template, &input, &mut env).unwrap();
        let text = template_text(members, &value, &json_text(&input)).unwrap();
        assert_eq!(text, json_text(&value));
    }
}
