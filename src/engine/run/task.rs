//! A Task state's visit: its retries, its Parameters, and what becomes of its result.

use std::time::Duration;

use rand::RngExt;
use serde_json::Value;

use super::execution::Run;
use super::lambda_task::InvokeParameters;
use super::output_text::{output_too_large, template_text};
use super::state::StateCtx;
use super::state_data::StateData;
use super::task_result::TaskOutput;
use crate::asl::limits::{MAX_EXECUTION_TIME, MAX_SECONDS};
use crate::asl::model::*;
use crate::asl::template::Template;
use crate::engine::dataflow::{
    Env, apply_result_path, apply_selection_owned, eval_members, eval_template, select_input,
    select_parameter,
};
use crate::engine::error::StatesError;
use crate::engine::intrinsics::random_uuid;

impl Run {
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
        counters[index] += 1;
        // A backoff can outgrow any duration (BackoffRate 2 over 100 attempts): no wait
        // is longer than the longest an execution may run, which ends it anyway.
        let mut seconds = r
            .delay_seconds(counters[index])
            .min(MAX_EXECUTION_TIME.as_secs_f64());
        if r.full_jitter {
            seconds *= self.rng().random::<f64>();
        }
        Some(Duration::try_from_secs_f64(seconds).unwrap_or(MAX_EXECUTION_TIME))
    }

    /// Runs a Task state: attempts as its Retry allows, and its output.
    ///
    /// When the ResultPath is one top-level field and there is no OutputPath, the
    /// result is placed in `input` itself rather than into a copy of it (see
    /// [`StateData::place`]); the output's size is checked before, so that a Catch
    /// still finds the input as it was.
    pub(super) async fn run_task(
        &self,
        t: &TaskState,
        input: &mut StateData,
        ctx: &StateCtx<'_>,
        prev: &mut u64,
    ) -> Result<StateData, StatesError> {
        let place_at = task_result_field(t).filter(|_| input.value().is_object());
        let mut counters = vec![0u32; t.retry.len()];
        let mut retry_count = 0u32;
        let done = loop {
            let attempt = self.task_attempt(t, input, place_at.is_some(), ctx, retry_count, prev);
            match attempt.await {
                Ok(done) => break done,
                Err(e) => match self.next_retry(&t.retry, &mut counters, &e) {
                    Some(delay) => {
                        retry_count += 1;
                        self.sleep_bounded(delay).await;
                    }
                    None => return Err(e),
                },
            }
        };
        match place_at {
            Some(key) => input
                .place(key, done)
                .ok_or_else(|| StatesError::data_limit(ctx.name)),
            None if output_too_large(done.value()) => Err(StatesError::data_limit(ctx.name)),
            None => Ok(done),
        }
    }

    /// One attempt; with `placed`, returns the result for the caller to place into the
    /// input, otherwise the output.
    async fn task_attempt(
        &self,
        t: &TaskState,
        input: &StateData,
        placed: bool,
        ctx: &StateCtx<'_>,
        retry_count: u32,
        prev: &mut u64,
    ) -> Result<StateData, StatesError> {
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
        let mut scope = self.scope_for(ctx, Some(retry_count));
        scope.state.task_token = token;
        let raw = input.value();
        let selected = select_input(&t.io.input_path, raw, &scope)?;
        // Parameters over the whole input, whose compact text the flow has: their text
        // is spliced from it (see `template_text`).
        let spliced = match (&t.io.parameters, &t.io.input_path, input.compact_text()) {
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
                let v = select_parameter("TimeoutSecondsPath", p, &selected, &scope)?;
                // The range the loader takes for TimeoutSeconds: no timer is set past it.
                Some(
                    v.as_u64()
                        .filter(|n| (1..=MAX_SECONDS).contains(n))
                        .ok_or_else(|| {
                            StatesError::runtime(format!(
                                "The TimeoutSecondsPath parameter does not reference a positive integer up to {MAX_SECONDS}: {} == {v}",
                                p.text()
                            ))
                        })?,
                )
            }
            (None, None) => None,
        };
        let heartbeat = crate::engine::heartbeat::resolve(t, &selected, &scope, timeout)?;
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
                let params = InvokeParameters {
                    doc: effective,
                    text: params_text,
                    payload_text,
                };
                let callback = token.zip(receiver);
                self.lambda_invoke(params, (timeout, heartbeat), callback, prev)
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
                let mut env = Env {
                    scope,
                    rng: &mut rng,
                };
                StateData::new(output.select(tpl, &mut env)?)
            }
            None => output.into_data(),
        };
        if placed {
            return Ok(result);
        }
        let base = match t.io.result_path {
            ResultTarget::Replace => Value::Null,
            _ => raw.clone(),
        };
        let out = apply_result_path(&t.io.result_path, base, result.into_value())?;
        Ok(StateData::new(apply_selection_owned(
            &t.io.output_path,
            out,
            &scope,
        )?))
    }
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
