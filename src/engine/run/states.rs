//! What each kind of state does with its input, between entering and exiting it:
//! its input pipeline (InputPath, Parameters), its work, and its output pipeline
//! (ResultSelector, ResultPath, OutputPath). Task, Parallel and Map states have
//! files of their own.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::execution::Run;
use super::output_text::output_too_large;
use super::state::StateCtx;
use super::state_data::StateData;
use crate::asl::model::*;
use crate::engine::choice_eval;
use crate::engine::context::Scope;
use crate::engine::dataflow::{
    Env, apply_result_path, apply_selection, apply_selection_owned, eval_dynamic_field,
    eval_template, select_input, select_parameter,
};
use crate::engine::error::StatesError;

impl Run {
    /// Runs a state whose output is not simply its input (see [`passes_input_through`]),
    /// and returns its output and where it leads. `input` is left as it was when the
    /// state fails, for a Catch; a Task may have moved it into its output otherwise.
    pub(super) async fn run_state(
        &self,
        kind: &StateKind,
        input: &mut StateData,
        ctx: &StateCtx<'_>,
        prev: &mut u64,
    ) -> Result<(StateData, Transition), StatesError> {
        let raw = input.value();
        let (output, next) = match kind {
            // A task sees to its output's size itself (see `Run::run_task`).
            StateKind::Task(t) => {
                return Ok((self.run_task(t, input, ctx, prev).await?, t.transition));
            }
            StateKind::Pass(p) => (self.pass(p, raw, ctx)?, p.transition),
            StateKind::Choice(c) => {
                let scope = self.scope_for(ctx, None);
                let effective = apply_selection(&c.input_path, raw, &scope)?;
                let next = choose(c, &effective, &scope)?;
                let out = apply_selection_owned(&c.output_path, effective, &scope)?;
                (StateData::new(out), next)
            }
            StateKind::Wait(w) => {
                let scope = self.scope_for(ctx, None);
                let effective = apply_selection(&w.input_path, raw, &scope)?;
                self.wait(w, &effective, &scope).await?;
                let out = apply_selection_owned(&w.output_path, effective, &scope)?;
                (StateData::new(out), w.transition)
            }
            StateKind::Succeed(s) => {
                let scope = self.scope_for(ctx, None);
                let effective = apply_selection(&s.input_path, raw, &scope)?;
                let out = apply_selection_owned(&s.output_path, effective, &scope)?;
                (StateData::new(out), Transition::End)
            }
            // The flow ends at a Fail state before calling here.
            StateKind::Fail(f) => return Err(self.fail_error(f, raw, ctx)?),
            StateKind::Parallel(p) => (self.run_parallel(p, input, ctx, prev).await?, p.transition),
            StateKind::Map(m) => (self.run_map(m, raw, ctx, prev).await?, m.transition),
        };
        if output_too_large(output.value()) {
            return Err(StatesError::data_limit(ctx.name));
        }
        Ok((output, next))
    }

    /// Runs a state whose output is its input (see [`passes_input_through`]): only
    /// where it leads is decided here.
    pub(super) async fn route(
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

    /// A Pass state: its Result (or its Parameters, or its input), placed by ResultPath.
    fn pass(
        &self,
        p: &PassState,
        raw: &Value,
        ctx: &StateCtx<'_>,
    ) -> Result<StateData, StatesError> {
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
        Ok(StateData::new(apply_selection_owned(
            &p.io.output_path,
            out,
            &scope,
        )?))
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
            self.sleep_bounded(delay).await;
        }
        Ok(())
    }

    /// The error a Fail state declares (`Ok`), or why its ErrorPath / CausePath could
    /// not be read (`Err`).
    pub(super) fn fail_error(
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
                let v = select_parameter("SecondsPath", p, input, scope)?;
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
                let v = select_parameter("TimestampPath", p, input, scope)?;
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
pub(super) fn passes_input_through(kind: &StateKind) -> bool {
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
