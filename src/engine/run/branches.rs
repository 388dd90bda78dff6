//! Parallel and inline Map states: nested flows run by the same interpreter.

use std::sync::Mutex;

use futures_util::StreamExt;
use futures_util::future::try_join_all;
use serde_json::Value;

use super::execution::Run;
use super::state::StateCtx;
use super::state_data::StateData;
use crate::asl::model::{IoConfig, MapState, ParallelState, ResultTarget, Retrier, Selection};
use crate::engine::dataflow::{
    Env, apply_result_path, apply_selection, apply_selection_owned, eval_template, select,
};
use crate::engine::error::{StatesError, names};
use crate::engine::map_tolerance::Threshold;
use crate::future::BoxFuture;
use crate::history::event::{EventDetails, EventType, MapIterationDetails, MapStateStartedDetails};

impl Run {
    /// Applies ResultSelector → ResultPath → OutputPath to a Parallel/Map result.
    fn finish_result(
        &self,
        io: &IoConfig,
        raw: &Value,
        result: Value,
        ctx: &StateCtx<'_>,
    ) -> Result<Value, StatesError> {
        let scope = self.scope_for(ctx, None);
        let result = match &io.result_selector {
            Some(t) => {
                let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
                eval_template(
                    t,
                    &result,
                    &mut Env {
                        scope,
                        rng: &mut rng,
                    },
                )?
            }
            None => result,
        };
        let out = apply_result_path(&io.result_path, raw.clone(), result)?;
        apply_selection_owned(&io.output_path, out, &scope)
    }

    fn effective_input(
        &self,
        io: &IoConfig,
        raw: &Value,
        ctx: &StateCtx<'_>,
    ) -> Result<Value, StatesError> {
        let scope = self.scope_for(ctx, None);
        let selected = apply_selection(&io.input_path, raw, &scope)?;
        match &io.parameters {
            Some(t) => {
                let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
                eval_template(
                    t,
                    &selected,
                    &mut Env {
                        scope,
                        rng: &mut rng,
                    },
                )
            }
            None => Ok(selected),
        }
    }

    async fn with_retries<T, F, Fut>(
        &self,
        retriers: &[Retrier],
        mut attempt: F,
    ) -> Result<T, StatesError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, StatesError>>,
    {
        let mut counters = vec![0u32; retriers.len()];
        loop {
            match attempt().await {
                Ok(v) => return Ok(v),
                Err(e) => match self.next_retry(retriers, &mut counters, &e) {
                    Some(delay) => {
                        if !delay.is_zero() {
                            self.sleep_bounded(delay).await;
                        }
                    }
                    None => return Err(e),
                },
            }
        }
    }

    /// What a redrive hands the first Parallel or Map state it enters (see
    /// [`Run::succeeded_parts`]); later ones get nothing.
    fn take_succeeded_parts(&self) -> Option<Vec<Option<String>>> {
        self.succeeded_parts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    /// Runs a Parallel state's branches on its input, each a flow of its own; the
    /// output is their outputs in branch order.
    pub(super) async fn run_parallel(
        &self,
        p: &ParallelState,
        input: &StateData,
        ctx: &StateCtx<'_>,
        prev: &mut u64,
    ) -> Result<StateData, StatesError> {
        let raw = input.value();
        let chain = Mutex::new(*prev);
        // Redriven: the branches that succeeded before keep their outputs, on the first
        // attempt (see `engine::redrive`).
        let known = Mutex::new(self.take_succeeded_parts());
        let result = self
            .with_retries(&p.retry, || async {
                let known = known.lock().unwrap_or_else(|e| e.into_inner()).take();
                // Branches given the state's input as it is start from its text too.
                let unchanged =
                    matches!(p.io.input_path, Selection::Whole) && p.io.parameters.is_none();
                let input = match unchanged {
                    true => input.clone(),
                    false => StateData::new(self.effective_input(&p.io, raw, ctx)?),
                };
                let start_prev = *chain.lock().unwrap_or_else(|e| e.into_inner());
                let started = self
                    .emit_event(EventType::ParallelStateStarted, start_prev, None)
                    .await;
                let last = Mutex::new(started);
                type Branch<'f> = BoxFuture<'f, Result<StateData, StatesError>>;
                let branches: Vec<Branch<'_>> = p
                    .branches
                    .iter()
                    .enumerate()
                    .map(|(i, b)| -> Branch<'_> {
                        let input = input.clone();
                        let last = &last;
                        let done = known.as_ref().and_then(|k| k.get(i).cloned().flatten());
                        Box::pin(async move {
                            if let Some(text) = done {
                                let value = serde_json::from_str(&text).map_err(|e| {
                                    StatesError::runtime(format!(
                                        "the output of branch {i} in the history is not JSON: {e}"
                                    ))
                                })?;
                                return Ok(StateData::as_written(value, text));
                            }
                            let r = self.run_flow(b, input, started, None).await;
                            let mut l = last.lock().unwrap_or_else(|e| e.into_inner());
                            match r {
                                Ok((output, id)) => {
                                    *l = (*l).max(id);
                                    Ok(output)
                                }
                                Err((e, id)) => {
                                    *l = (*l).max(id);
                                    Err(e)
                                }
                            }
                        })
                    })
                    .collect();
                let outcome = try_join_all(branches).await;
                let last = *last.lock().unwrap_or_else(|e| e.into_inner());
                *chain.lock().unwrap_or_else(|e| e.into_inner()) = last;
                outcome
            })
            .await;
        let last = *chain.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok(mut outputs) => {
                self.emit_event(EventType::ParallelStateSucceeded, last, None)
                    .await;
                *prev = last;
                let text = result_unchanged(&p.io).then(|| joined_texts(&mut outputs));
                let outputs = outputs.into_iter().map(StateData::into_value).collect();
                let output = self.finish_result(&p.io, raw, Value::Array(outputs), ctx)?;
                Ok(match text {
                    Some(text) => StateData::as_written(output, text),
                    None => StateData::new(output),
                })
            }
            Err(e) => {
                *prev = self
                    .emit_event(EventType::ParallelStateFailed, last, None)
                    .await;
                Err(e)
            }
        }
    }

    /// Runs a Map state's item processor on each item, as many at once as its
    /// MaxConcurrency allows; the output is their outputs in item order.
    pub(super) async fn run_map(
        &self,
        m: &MapState,
        raw: &Value,
        ctx: &StateCtx<'_>,
        prev: &mut u64,
    ) -> Result<StateData, StatesError> {
        let scope = self.scope_for(ctx, None);
        let selected = apply_selection(&m.io.input_path, raw, &scope)?;
        let items = match &m.items_path {
            Some(p) => select(p, &selected, &scope)
                .map(|c| c.into_owned())
                .map_err(|miss| StatesError::invalid_path(p, &miss, true))?,
            None => selected.clone(),
        };
        let Value::Array(items) = items else {
            return Err(StatesError::runtime(format!(
                "Invalid path '{}': the value is not a JSON array",
                m.items_path.as_ref().map_or("$", |p| p.text())
            )));
        };
        let concurrency = match &m.max_concurrency_path {
            None => m.max_concurrency,
            Some(p) => {
                let v = select(p, &selected, &scope)
                    .map(|c| c.into_owned())
                    .unwrap_or(Value::Null);
                v.as_u64().ok_or_else(|| {
                    StatesError::runtime(format!(
                        "The MaxConcurrencyPath field refers to value \"{}\" which is not a valid integer: {}",
                        if v.is_object() { "{}".to_owned() } else { v.to_string() },
                        p.text()
                    ))
                })?
            }
        };
        let threshold = Threshold::resolve(&m.tolerance, &selected, &scope, items.len())?;
        let threshold = &threshold;
        let chain = Mutex::new(*prev);
        // Redriven: the iterations that succeeded before keep their outputs, on the
        // first attempt.
        let known = Mutex::new(self.take_succeeded_parts());
        let result = self
            .with_retries(&m.retry, || async {
                let known = known.lock().unwrap_or_else(|e| e.into_inner()).take();
                let known = &known;
                let start_prev = *chain.lock().unwrap_or_else(|e| e.into_inner());
                let started = self
                    .emit_event(
                        EventType::MapStateStarted,
                        start_prev,
                        Some(EventDetails::MapStateStarted(MapStateStartedDetails {
                            length: items.len() as u64,
                        })),
                    )
                    .await;
                let link = Mutex::new(started);
                let link = &link;
                let selected = &selected;
                type Iteration<'f> = BoxFuture<'f, Result<(Value, u64), (StatesError, u64)>>;
                let iterations: Vec<Iteration<'_>> = items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| -> Iteration<'_> {
                        Box::pin(async move {
                            let done = known.as_ref().and_then(|k| k.get(index).cloned().flatten());
                            if let Some(text) = done {
                                let at = *link.lock().unwrap_or_else(|e| e.into_inner());
                                let value = serde_json::from_str(&text).map_err(|e| {
                                    let why = format!(
                                        "the output of iteration {index} in the history is not JSON: {e}"
                                    );
                                    (StatesError::runtime(why), at)
                                })?;
                                return Ok((value, at));
                            }
                            let details = || MapIterationDetails {
                                name: ctx.name.to_owned(),
                                index: index as u64,
                            };
                            let input = match &m.io.parameters {
                                Some(t) => {
                                    let item_ctx = StateCtx {
                                        map_item: Some((index, item)),
                                        ..*ctx
                                    };
                                    let scope = self.scope_for(&item_ctx, None);
                                    let mut rng =
                                        self.rng.lock().unwrap_or_else(|p| p.into_inner());
                                    let start = *link.lock().unwrap_or_else(|e| e.into_inner());
                                    eval_template(
                                        t,
                                        selected,
                                        &mut Env {
                                            scope,
                                            rng: &mut rng,
                                        },
                                    )
                                    .map_err(|e| (e, start))?
                                }
                                None => item.clone(),
                            };
                            let start_link = *link.lock().unwrap_or_else(|e| e.into_inner());
                            let it_started = self
                                .emit_event(
                                    EventType::MapIterationStarted,
                                    start_link,
                                    Some(EventDetails::MapIterationStarted(details())),
                                )
                                .await;
                            let r = self
                                .run_flow(
                                    &m.processor,
                                    StateData::new(input),
                                    it_started,
                                    Some((index, item)),
                                )
                                .await;
                            match r {
                                Ok((output, last)) => {
                                    *link.lock().unwrap_or_else(|e| e.into_inner()) = last;
                                    let id = self
                                        .emit_event(
                                            EventType::MapIterationSucceeded,
                                            last,
                                            Some(EventDetails::MapIterationSucceeded(details())),
                                        )
                                        .await;
                                    Ok((output.into_value(), id))
                                }
                                Err((e, last)) => {
                                    *link.lock().unwrap_or_else(|e| e.into_inner()) = last;
                                    let id = self
                                        .emit_event(
                                            EventType::MapIterationFailed,
                                            last,
                                            Some(EventDetails::MapIterationFailed(details())),
                                        )
                                        .await;
                                    Err((e, id))
                                }
                            }
                        })
                    })
                    .collect();
                let limit = if concurrency == 0 {
                    usize::MAX
                } else {
                    usize::try_from(concurrency).unwrap_or(usize::MAX)
                };
                let mut stream =
                    futures_util::stream::iter(iterations).buffered(limit.min(items.len().max(1)));
                let mut outputs = Vec::with_capacity(items.len());
                let mut last_done = started;
                let mut failure = None;
                let mut failed = 0;
                while let Some(r) = stream.next().await {
                    match r {
                        Ok((v, id)) => {
                            outputs.push(v);
                            last_done = id;
                        }
                        // States.Runtime ends the execution whatever the thresholds.
                        Err((e, _)) if e.error == names::RUNTIME => {
                            failure = Some(e);
                            break;
                        }
                        Err((e, id)) => match threshold {
                            // A tolerated failure keeps its slot: the error object a
                            // Catch would see stands in for the iteration's output.
                            Some(t) if t.tolerates(failed + 1) => {
                                failed += 1;
                                outputs.push(e.to_catch_output());
                                last_done = id;
                            }
                            Some(_) => {
                                failure = Some(Threshold::exceeded());
                                break;
                            }
                            None => {
                                failure = Some(e);
                                break;
                            }
                        },
                    }
                }
                drop(stream);
                let tail = *link.lock().unwrap_or_else(|e| e.into_inner());
                match failure {
                    Some(e) => {
                        *chain.lock().unwrap_or_else(|e| e.into_inner()) = tail;
                        Err(e)
                    }
                    None => {
                        *chain.lock().unwrap_or_else(|e| e.into_inner()) = last_done;
                        Ok(Value::Array(outputs))
                    }
                }
            })
            .await;
        let last = *chain.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok(outputs) => {
                self.emit_event(EventType::MapStateSucceeded, last, None)
                    .await;
                *prev = last;
                Ok(StateData::new(
                    self.finish_result(&m.io, raw, outputs, ctx)?,
                ))
            }
            Err(e) => {
                *prev = self.emit_event(EventType::MapStateFailed, last, None).await;
                Err(e)
            }
        }
    }
}

/// Whether a Parallel's output is its result as it is (no ResultSelector, ResultPath or
/// OutputPath reshapes it).
fn result_unchanged(io: &IoConfig) -> bool {
    io.result_selector.is_none()
        && matches!(io.result_path, ResultTarget::Replace)
        && matches!(io.output_path, Selection::Whole)
}

/// A Parallel's output text as AWS writes it: the branches' output texts, unchanged,
/// joined with `,` (the recordings `test_parallel_state_nested` and
/// `test_parallel_state_order` show both the kept texts and the separator).
fn joined_texts(outputs: &mut [StateData]) -> String {
    let texts: Vec<&str> = outputs.iter_mut().map(StateData::text).collect();
    format!("[{}]", texts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_texts_are_joined_unchanged() {
        let mut outputs = [
            StateData::as_written(serde_json::json!([1, 2]), "[1, 2]".into()),
            StateData::as_written(serde_json::json!({"a": 1}), "{\"a\": 1}".into()),
            StateData::new(serde_json::json!({"b": 2})),
        ];
        assert_eq!(joined_texts(&mut outputs), "[[1, 2],{\"a\": 1},{\"b\":2}]");
    }
}
