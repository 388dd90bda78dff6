//! A flow of states (a state machine, a Parallel branch, a Map iteration), visited
//! one after the other as the language says:
//!
//! ```text
//! enter ─► run the state ───────────────► exit ─► transition (Next, or End)
//!          (input pipeline, work with       ▲
//!           its retries, output pipeline)   │
//!                 │ error                   │
//!                 └──► catch ───────────────┘  (or the flow fails)
//! ```
//!
//! `prev` threads the causal link (`previousEventId`) through the flow: every event
//! points at the event that led to it.

use std::sync::atomic::Ordering;

use serde_json::Value;

use super::execution::Run;
use super::state::StateCtx;
use super::state_data::StateData;
use super::states::passes_input_through;
use crate::asl::limits::{self, HISTORY_LIMIT_CAUSE};
use crate::asl::model::{Catcher, Definition, State, StateKind, Transition};
use crate::engine::dataflow::apply_result_path;
use crate::engine::error::{StatesError, names};
use crate::future::BoxFuture;
use crate::history::event::*;

/// The result of a flow: its output or error, and the id of its last event.
pub(crate) type FlowResult = Result<(StateData, u64), (StatesError, u64)>;

const RUNTIME_PREFIX: &str = "An error occurred while executing the state";

impl Run {
    /// Runs a state machine (or a branch / item processor) from its StartAt state.
    /// The output keeps the text its last state wrote to the history: AWS passes that
    /// text on as it is (a Parallel's output and the execution's output are built
    /// from it).
    pub(crate) fn run_flow<'a>(
        &'a self,
        def: &'a Definition,
        input: StateData,
        prev: u64,
        map_item: Option<(usize, &'a Value)>,
    ) -> BoxFuture<'a, FlowResult> {
        self.run_flow_from(def, def.start_at, input, prev, map_item)
    }

    /// [`Run::run_flow`] from the state numbered `from` (a redrive restarts there).
    pub(crate) fn run_flow_from<'a>(
        &'a self,
        def: &'a Definition,
        from: usize,
        input: StateData,
        prev: u64,
        map_item: Option<(usize, &'a Value)>,
    ) -> BoxFuture<'a, FlowResult> {
        Box::pin(async move {
            let mut input = input;
            let mut prev = prev;
            let mut current = from;
            loop {
                if self.record.history_full() {
                    return Err((StatesError::runtime(HISTORY_LIMIT_CAUSE), prev));
                }
                let state = &def.states[current];
                let through = passes_input_through(&state.kind);
                let ctx = self
                    .enter(state, through, &mut input, &mut prev, map_item)
                    .await;
                let outcome = match &state.kind {
                    // A Fail state ends the flow with the error it declares, past any Catch.
                    StateKind::Fail(f) => match self.fail_error(f, input.value(), &ctx) {
                        Ok(declared) => return Err((declared, prev)),
                        Err(e) => Err(e),
                    },
                    _ if through => self.route(&state.kind, input.value(), &ctx).await.map(
                        // The output is the input itself, text and all: it moves on.
                        |next| (std::mem::take(&mut input), next),
                    ),
                    _ => self
                        .run_state(&state.kind, &mut input, &ctx, &mut prev)
                        .await
                        .and_then(|(output, next)| {
                            // Each state may nest its document deeper than its input
                            // (`"Parameters": {"x.$": "$"}`): checked at every step, a
                            // loop cannot nest it deep enough to overflow the stack.
                            if limits::too_deep(output.value()) {
                                return Err(StatesError::runtime(limits::too_deep_cause()));
                            }
                            Ok((output, next))
                        }),
                };
                let (mut output, next) = match outcome {
                    Ok(done) => done,
                    Err(e) => match self.catch(state, &ctx, e, input) {
                        Ok(caught) => caught,
                        Err(e) => return Err((e, prev)),
                    },
                };
                prev = self.exit(state, &mut output, prev).await;
                match next {
                    Transition::Next(i) => {
                        current = i;
                        input = output;
                    }
                    Transition::End => return Ok((output, prev)),
                }
            }
        })
    }

    /// Enters `state`: records `…StateEntered` with the input's text.
    async fn enter<'a>(
        &self,
        state: &'a State,
        through: bool,
        input: &mut StateData,
        prev: &mut u64,
        map_item: Option<(usize, &'a Value)>,
    ) -> StateCtx<'a> {
        let entered_type = EventType::state_entered(state.kind.type_name());
        self.pace_gap(entered_type).await;
        let entered_at = self.now();
        // The input keeps its text for a state that hands it on (its output is its
        // input, or a Parallel's branches start from it) or splices from it (a Task).
        let keeps_text =
            through || matches!(state.kind, StateKind::Parallel(_) | StateKind::Task(_));
        let text = if keeps_text {
            input.text().to_owned()
        } else {
            input.take_text()
        };
        let entered_id = self.record.emit(
            entered_at,
            entered_type,
            *prev,
            Some(EventDetails::StateEntered(StateEnteredDetails {
                name: state.name.clone(),
                input: text,
                input_details: PayloadDetails::untruncated(),
            })),
        );
        *prev = entered_id;
        StateCtx {
            name: &state.name,
            entered_at,
            entered_id,
            map_item,
        }
    }

    /// Routes an error to the state's first matching Catch: its ResultPath places the
    /// error in the state's input, which becomes the output. Without one, the error
    /// ends the flow (returned as `Err`).
    fn catch(
        &self,
        state: &State,
        ctx: &StateCtx<'_>,
        mut e: StatesError,
        input: StateData,
    ) -> Result<(StateData, Transition), StatesError> {
        if e.error == names::RUNTIME
            && !e.cause.as_deref().unwrap_or("").starts_with(RUNTIME_PREFIX)
        {
            e.cause = Some(format!(
                "{RUNTIME_PREFIX} '{}' (entered at the event id #{}). {}",
                state.name,
                ctx.entered_id,
                e.cause.unwrap_or_default()
            ));
        }
        let Some(catcher) = catchers(&state.kind)
            .iter()
            .find(|c| e.matches(&c.error_equals))
        else {
            return Err(e);
        };
        self.recovering.store(true, Ordering::Relaxed);
        let output = apply_result_path(
            &catcher.result_path,
            input.into_value(),
            e.to_catch_output(),
        )?;
        Ok((StateData::new(output), Transition::Next(catcher.next)))
    }

    /// Exits `state`: records `…StateExited` with the output's text (which the next
    /// state is entered with), for states that have such an event; returns its id.
    async fn exit(&self, state: &State, output: &mut StateData, prev: u64) -> u64 {
        let Some(exited) = EventType::state_exited(state.kind.type_name()) else {
            return prev;
        };
        self.emit_event(
            exited,
            prev,
            Some(EventDetails::StateExited(StateExitedDetails {
                name: state.name.clone(),
                output: output.text().to_owned(),
                output_details: PayloadDetails::untruncated(),
            })),
        )
        .await
    }
}

/// The Catch rules of a state (only Task, Parallel and Map have them).
fn catchers(kind: &StateKind) -> &[Catcher] {
    match kind {
        StateKind::Task(t) => &t.catch,
        StateKind::Parallel(p) => &p.catch,
        StateKind::Map(m) => &m.catch,
        _ => &[],
    }
}
