//! One running execution: its random sources, its time, the events it writes, and
//! how it starts and ends.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;

use super::state_data::StateData;
use crate::asl::limits::{HISTORY_LIMIT_CAUSE, MAX_EXECUTION_TIME};
use crate::engine::context::ExecutionFacts;
use crate::engine::error::names;
use crate::engine::record::LiveExecution;
use crate::engine::{Shared, StateMachine};
use crate::history::ExecutionStatus;
use crate::history::event::*;

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
    /// When the execution has run for [`MAX_EXECUTION_TIME`] and times out, whatever
    /// its `TimeoutSeconds`.
    pub(crate) expires_at: DateTime<Utc>,
    /// Told by a wait that reached [`Run::expires_at`] (see [`Run::sleep_bounded`]).
    pub(crate) expired: tokio::sync::Notify,
    /// A redrive that enters a Parallel or Map state again: the outputs of the
    /// branches or iterations that succeeded before, which its first attempt does not
    /// run again.
    pub(crate) succeeded_parts: Mutex<Option<Vec<Option<String>>>>,
}

/// When an execution started at `start` times out, whatever its `TimeoutSeconds`.
pub(crate) fn expiry(start: DateTime<Utc>) -> DateTime<Utc> {
    chrono::Duration::from_std(MAX_EXECUTION_TIME)
        .ok()
        .and_then(|d| start.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// On virtual time, how much transition time an execution may run ahead of the clock
/// before it waits for the clock to catch up (a loop of states then moves the clock,
/// and the execution's timers fire).
const MAX_LAG: Duration = Duration::from_millis(100);

/// How an execution's run begins.
pub(crate) enum Begin {
    /// StartExecution: `ExecutionStarted`, then the StartAt state with this input.
    Start(StateData),
    /// RedriveExecution: `ExecutionRedriven`, then the state numbered `state`, entered
    /// again with the input it was entered with before.
    Redrive {
        /// The state to enter again.
        state: usize,
        /// Its input.
        input: StateData,
    },
}

/// How an execution's top-level flow came to an end.
enum Ending {
    Done(Result<(StateData, u64), (crate::engine::StatesError, u64)>),
    Aborted,
    TimedOut,
    HistoryFull,
}

impl Run {
    pub(super) fn rng(&self) -> MutexGuard<'_, StdRng> {
        self.rng.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The execution's time: the clock's, plus the transition time it runs ahead by.
    pub(super) fn now(&self) -> DateTime<Utc> {
        let lag = self.lag_nanos.load(Ordering::Relaxed);
        let now = self.shared.clock.now();
        now.checked_add_signed(chrono::Duration::nanoseconds(lag as i64))
            .unwrap_or(now)
    }

    /// Waits `duration` of execution time (a Wait state, a retry's backoff), or, when
    /// that would take the execution past [`Run::expires_at`], waits until then and
    /// times the execution out: no wait, however long its definition makes it, runs
    /// past the longest an execution may run.
    pub(super) async fn sleep_bounded(&self, duration: Duration) {
        let left = (self.expires_at - self.now())
            .to_std()
            .unwrap_or(Duration::ZERO);
        if duration < left {
            self.shared.clock.sleep(duration).await;
            return;
        }
        self.shared.clock.sleep(left).await;
        self.expired.notify_one();
        std::future::pending::<()>().await;
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
    pub(super) async fn pace_gap(&self, ty: EventType) {
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
            // Saturating: flows of one execution running side by side (Parallel
            // branches, Map iterations) may each have waited for some of the same lag,
            // and a lag that wrapped below zero would throw the execution's time
            // centuries ahead.
            let _ = self
                .lag_nanos
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| {
                    Some(l.saturating_sub(lag))
                });
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

    /// Runs the whole execution (or, redriven, the rest of it) and records its end.
    pub(crate) async fn execute(self, machine: Arc<StateMachine>, begin: Begin) {
        let (from, input, prev) = match begin {
            Begin::Start(mut input) => {
                self.emit_event(
                    EventType::ExecutionStarted,
                    0,
                    Some(EventDetails::ExecutionStarted(ExecutionStartedDetails {
                        input: input.text().to_owned(),
                        input_details: PayloadDetails::untruncated(),
                        role_arn: self.facts.role_arn.clone(),
                    })),
                )
                .await;
                (machine.definition.start_at, input, 0)
            }
            Begin::Redrive { state, input } => {
                let last = self.record.last_event_id();
                let redriven = self
                    .emit_event(
                        EventType::ExecutionRedriven,
                        last,
                        Some(EventDetails::ExecutionRedriven(ExecutionRedrivenDetails {
                            redrive_count: self.facts.redrive_count,
                        })),
                    )
                    .await;
                (state, input, redriven)
            }
        };
        // A redriven execution's TimeoutSeconds counts from the redrive.
        let timeout = machine.definition.timeout_seconds;
        let ending = {
            let body = self.run_flow_from(&machine.definition, from, input, prev, None);
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
                _ = self.expired.notified() => Ending::TimedOut,
                _ = self.record.full.notified() => Ending::HistoryFull,
                r = body => Ending::Done(r),
            }
        };
        // A flow that ended while events were being refused has an incomplete history.
        let ending = match ending {
            Ending::Done(_) if self.record.history_full() => Ending::HistoryFull,
            other => other,
        };
        let last = self.record.last_event_id();
        match ending {
            Ending::Done(Ok((mut output, prev))) => {
                // AWS hands the last state's output text on as it is (the recording
                // `scenarios/test_base_scenarios.test_parallel_state_nested` keeps
                // the spaces of the execution input in it).
                let text = output.take_text();
                self.emit_event(
                    EventType::ExecutionSucceeded,
                    prev,
                    Some(EventDetails::ExecutionSucceeded(OutputDetails {
                        output: text.clone(),
                        output_details: PayloadDetails::untruncated(),
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
            Ending::HistoryFull => {
                let error = Some(names::RUNTIME.to_owned());
                let cause = Some(HISTORY_LIMIT_CAUSE.to_owned());
                self.record.emit(
                    self.now(),
                    EventType::ExecutionFailed,
                    last,
                    Some(EventDetails::ExecutionFailed(ErrorDetails {
                        error: error.clone(),
                        cause: cause.clone(),
                    })),
                );
                self.record
                    .finish(ExecutionStatus::Failed, None, error, cause, self.now());
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
}
