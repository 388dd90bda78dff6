//! One line in plain words: what the execution just did and why.
//!
//! A room watching a demo cannot read a history panel; it can read "TakePayment failed
//! (PaymentFailed); its Catch sends the execution to RefundPayment: compensating". The
//! line is derived from the reduced history and the definition's `Retry` and `Catch`
//! fields, never from state names, so it speaks for any definition.
//!
//! Countdowns (a pending retry, a Wait) are kept as a due time and rendered against a
//! clock the caller passes: the execution's clock, which may run at a demo speed or be
//! paused, so nothing here reads the wall clock.

use chrono::{DateTime, SecondsFormat, Utc};

use super::callback_wait::{CallbackWait, duration_text, waiting_callback};
use super::graph::StateGraph;
use super::reducer::{ExecutionView, StateStatus, StateView, error_matches};
use crate::asl::Definition;
use crate::asl::model::{Catcher, Selection, State, StateKind, WaitFor, WaitState};
use crate::history::ExecutionStatus;
use crate::history::{EventDetails, EventType, HistoryEvent};

mod locate;

use locate::{Located, locate};

/// How the news is: it picks the line's colour and glyph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NarrationLevel {
    /// Something finished well.
    Ok,
    /// Work under way, nothing wrong.
    Progress,
    /// Something failed and is being handled (retry, Catch), or the run was stopped.
    Warning,
    /// A failure nothing handles: the execution fails.
    Error,
}

/// What the execution just did, as one line with an optional live countdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Narration {
    /// Colour and glyph of the line.
    pub level: NarrationLevel,
    /// The state the line is about, so a view can point at it.
    pub state: Option<String>,
    /// The sentence, up to the countdown.
    pub text: String,
    /// When the pending retry or Wait is due, on the execution's clock.
    pub countdown: Option<DateTime<Utc>>,
    /// The due time is only the latest moment (a retry with full jitter starts at a
    /// random point before it): the countdown reads "within", not "in".
    pub at_most: bool,
    /// When a callback task began waiting for its token: the line then tells how long
    /// it has waited, and its countdown is the task's deadline.
    pub waited_since: Option<DateTime<Utc>>,
    /// The field that sets that deadline (`HeartbeatSeconds`, `TimeoutSeconds`).
    pub deadline_by: Option<&'static str>,
}

impl Narration {
    fn new(level: NarrationLevel, state: Option<&str>, text: String) -> Self {
        Self {
            level,
            state: state.map(str::to_string),
            text,
            countdown: None,
            at_most: false,
            waited_since: None,
            deadline_by: None,
        }
    }

    fn due(mut self, at: DateTime<Utc>, at_most: bool) -> Self {
        self.countdown = Some(at);
        self.at_most = at_most;
        self
    }

    /// The countdown against `now` (the execution's clock): `in 1.6 s`, `within 1.6 s`,
    /// or `now` once due. Tenths are rounded up, so `now` shows only when it is due.
    pub fn countdown_text(&self, now: DateTime<Utc>) -> Option<String> {
        if let Some(since) = self.waited_since {
            let waited = duration_text((now - since).max(chrono::TimeDelta::zero()));
            let Some(due) = self.countdown else {
                return Some(format!("· waited {waited}"));
            };
            let by = self.deadline_by.unwrap_or("its timeout");
            let when = if due > now {
                format!("in {}", duration_text(due - now))
            } else {
                "now".to_owned()
            };
            return Some(format!(
                "· waited {waited} · times out {} ({by}), {when}",
                due.format("%H:%M:%S")
            ));
        }
        let due = self.countdown?;
        let ms = due.signed_duration_since(now).num_milliseconds();
        if ms <= 0 {
            return Some("now".into());
        }
        let tenths = (ms + 99) / 100;
        let word = if self.at_most { "within" } else { "in" };
        Some(format!("{word} {}.{} s", tenths / 10, tenths % 10))
    }

    /// The whole line, its countdown rendered against `now` (the execution's clock).
    pub fn line(&self, now: DateTime<Utc>) -> String {
        match self.countdown_text(now) {
            Some(countdown) => format!("{} {countdown}", self.text),
            None => self.text.clone(),
        }
    }
}

/// Says what the execution just did and why; `None` before its first event.
pub fn narrate(view: &ExecutionView, definition: &Definition) -> Option<Narration> {
    view.events.first()?;
    let story = Story {
        view,
        definition,
        graph: StateGraph::from_definition(definition),
    };
    Some(match view.status {
        Some(status) if status.is_terminal() => story.ending(status),
        _ => story.latest(),
    })
}

/// What narrating one execution needs at hand.
struct Story<'a> {
    view: &'a ExecutionView,
    definition: &'a Definition,
    graph: StateGraph,
}

impl Story<'_> {
    /// A running execution: the state it is busy with, and how it got there.
    fn latest(&self) -> Narration {
        let Some(name) = self.latest_state() else {
            return Narration::new(
                NarrationLevel::Progress,
                None,
                "the execution started".into(),
            );
        };
        let Some(state) = self.view.state(name) else {
            return Narration::new(
                NarrationLevel::Progress,
                Some(name),
                format!("{name} running"),
            );
        };
        match state.status {
            StateStatus::Retrying(_) => self.retrying(name, state),
            StateStatus::Running | StateStatus::NotStarted => self.running(name, state),
            StateStatus::Succeeded => Narration::new(
                NarrationLevel::Ok,
                Some(name),
                format!("{name} succeeded{}", after_retries(state.retries)),
            ),
            StateStatus::Caught => self.caught(name, state, None),
            // The failure event comes before the state's exit: a Catch may be about to
            // take it.
            StateStatus::Failed if self.catch_target(name, state).is_some() => {
                self.caught(name, state, None)
            }
            StateStatus::Failed => Narration::new(
                NarrationLevel::Error,
                Some(name),
                self.unhandled(name, state, self.error_of(name, state)),
            ),
            StateStatus::Aborted => Narration::new(
                NarrationLevel::Warning,
                Some(name),
                format!("{name} was aborted"),
            ),
        }
    }

    /// A failure a `Retry` took: the retry's number and when it is due.
    fn retrying(&self, name: &str, state: &StateView) -> Narration {
        let failed = failed(name, self.error_of(name, state).as_deref());
        let Some(grant) = &state.retry else {
            return Narration::new(NarrationLevel::Warning, Some(name), failed);
        };
        let retry = format!(
            "{failed}; retry {} of {}",
            grant.number, grant.retrier.max_attempts
        );
        if grant.started {
            Narration::new(
                NarrationLevel::Warning,
                Some(name),
                format!("{retry} running (attempt {})", state.attempts),
            )
        } else {
            Narration::new(NarrationLevel::Warning, Some(name), retry)
                .due(grant.due(), grant.retrier.full_jitter)
        }
    }

    /// A state at work; a Catch or Choice that led here says why it runs.
    fn running(&self, name: &str, state: &StateView) -> Narration {
        let found = locate(self.definition, name);
        let entered = self.latest_entry(name);
        if let (Some(Located { state: def, .. }), Some(entered)) = (found, entered)
            && let StateKind::Wait(wait) = &def.kind
        {
            return waiting(name, wait, entered);
        }
        if let Some(wait) = waiting_callback(&self.view.events).filter(|w| w.state == name) {
            return awaiting_token(&wait);
        }
        let came_from = entered.and_then(|e| self.exited_before(e));
        if let Some((from, how)) = came_from
            && let Some(previous) = self.view.state(from)
        {
            if previous.status == StateStatus::Caught {
                return self.caught(from, previous, Some(name));
            }
            // A Parallel or Map state that started has its own news: what it runs.
            let has_started_branches = state.attempts > 0
                && found.is_some_and(|f| {
                    matches!(f.state.kind, StateKind::Parallel(_) | StateKind::Map(_))
                });
            if how == EventType::ChoiceStateExited && !has_started_branches {
                return Narration::new(
                    NarrationLevel::Progress,
                    Some(name),
                    format!("Choice {from} chose {name}"),
                );
            }
            if previous.status == StateStatus::Succeeded && previous.retries > 0 {
                return Narration::new(
                    NarrationLevel::Progress,
                    Some(name),
                    format!(
                        "{from} succeeded{}; {}",
                        after_retries(previous.retries),
                        self.activity(name, state, found)
                    ),
                );
            }
        }
        Narration::new(
            NarrationLevel::Progress,
            Some(name),
            self.activity(name, state, found),
        )
    }

    /// What a running state is doing, by its type.
    fn activity(&self, name: &str, state: &StateView, found: Option<Located<'_>>) -> String {
        match found.map(|f| &f.state.kind) {
            Some(StateKind::Task(_)) => {
                format!("{name} running (attempt {})", state.attempts.max(1))
            }
            Some(StateKind::Parallel(p)) => {
                let branches = u64::try_from(p.branches.len()).unwrap_or(u64::MAX);
                format!("{name} running {}", count(branches, "branch", "branches"))
            }
            Some(StateKind::Map(_)) => match self.map_length(name) {
                Some(n) => format!("{name} running over {}", count(n, "item", "items")),
                None => format!("{name} running"),
            },
            Some(StateKind::Succeed(_)) => format!("Succeed state {name} reached"),
            Some(StateKind::Fail(_)) => format!("Fail state {name} reached"),
            _ => format!("{name} running"),
        }
    }

    /// A failure a `Catch` took: its error, the Catch and where it sends the flow.
    /// `target` is the state entered next, when it already was.
    fn caught(&self, name: &str, state: &StateView, target: Option<&str>) -> Narration {
        let error = self.error_of(name, state);
        let target = target
            .map(str::to_string)
            .or_else(|| self.catch_target(name, state));
        let mut text = format!(
            "{}{}",
            failed(name, error.as_deref()),
            after_retries(state.retries)
        );
        match target {
            Some(target) => {
                text.push_str(&format!("; its Catch sends the execution to {target}"));
                if self.graph.is_compensation(&target) {
                    text.push_str(": compensating");
                }
            }
            None => text.push_str("; a Catch took it"),
        }
        Narration::new(NarrationLevel::Warning, Some(name), text)
    }

    /// Where the state's `Catch` sends its latest failure, by the definition.
    fn catch_target(&self, name: &str, state: &StateView) -> Option<String> {
        let error = self.error_of(name, state).unwrap_or_default();
        let found = locate(self.definition, name)?;
        let catcher = catchers(found.state)
            .iter()
            .find(|c| error_matches(&c.error_equals, &error))?;
        found
            .within
            .states
            .get(catcher.next)
            .map(|s| s.name.clone())
    }

    /// `X failed (E) after n retries and has no Catch`: nothing handles the failure
    /// (inside a branch: the Parallel or Map state holding it fails in turn).
    fn unhandled(&self, name: &str, state: &StateView, error: Option<String>) -> String {
        let found = locate(self.definition, name);
        let has_catch = found.is_some_and(|f| !catchers(f.state).is_empty());
        let why = if has_catch {
            "no Catch matches it"
        } else {
            "has no Catch"
        };
        let then = match found.and_then(|f| f.parent) {
            Some(parent) => format!(": {} fails", parent.name),
            None => String::new(),
        };
        format!(
            "{}{} and {why}{then}",
            failed(name, error.as_deref()),
            after_retries(state.retries)
        )
    }

    /// A finished execution: how it ended, and which state ended it.
    fn ending(&self, status: ExecutionStatus) -> Narration {
        let error = self.view.error.as_deref();
        match status {
            ExecutionStatus::Succeeded => {
                Narration::new(NarrationLevel::Ok, None, "the execution succeeded".into())
            }
            ExecutionStatus::Failed => self.failure(error),
            ExecutionStatus::Aborted | ExecutionStatus::TimedOut => {
                let what = if status == ExecutionStatus::Aborted {
                    "the execution was aborted".to_string()
                } else {
                    match self.definition.timeout_seconds {
                        Some(s) => format!("the execution timed out after {s} s"),
                        None => "the execution timed out".to_string(),
                    }
                };
                let interrupted = self.interrupted_state();
                let text = match interrupted {
                    Some(name) => format!("{what} while {name} was running"),
                    None => what,
                };
                Narration::new(NarrationLevel::Warning, interrupted, text)
            }
            ExecutionStatus::Running => self.latest(),
        }
    }

    /// A failed execution, told from the state whose failure ended it.
    fn failure(&self, error: Option<&str>) -> Narration {
        let outcome = match error {
            Some(e) if !e.is_empty() => format!("the execution failed ({e})"),
            _ => "the execution failed".to_string(),
        };
        let Some((name, event_type)) = self.last_failure() else {
            return Narration::new(NarrationLevel::Error, None, outcome);
        };
        if event_type == EventType::FailStateEntered {
            if self.graph.is_compensation(name) {
                // The cause first: a narrow screen cuts the end of the line.
                let text = match self.caught_failure() {
                    Some((state, error)) => format!(
                        "{}: compensated, then {outcome} at {name}",
                        failed(state, error)
                    ),
                    None => format!("{outcome} at {name}, after compensating"),
                };
                return Narration::new(NarrationLevel::Warning, Some(name), text);
            }
            return Narration::new(
                NarrationLevel::Error,
                Some(name),
                format!("{outcome} at Fail state {name}"),
            );
        }
        let Some(state) = self.view.state(name) else {
            return Narration::new(NarrationLevel::Error, Some(name), outcome);
        };
        let own = state
            .last_error
            .clone()
            .or_else(|| error.map(str::to_string));
        Narration::new(
            NarrationLevel::Error,
            Some(name),
            format!("{}: the execution failed", self.unhandled(name, state, own)),
        )
    }

    /// The state of the latest event that belongs to one.
    fn latest_state(&self) -> Option<&str> {
        self.view
            .notes
            .iter()
            .rev()
            .find_map(|n| n.state.as_deref())
    }

    /// The event that began the state's latest visit.
    fn latest_entry(&self, name: &str) -> Option<&HistoryEvent> {
        self.view
            .events
            .iter()
            .rev()
            .find(|e| matches!(&e.details, Some(EventDetails::StateEntered(d)) if d.name == name))
    }

    /// The state whose exit led to `entered`, and the type of that exit event.
    fn exited_before(&self, entered: &HistoryEvent) -> Option<(&str, EventType)> {
        let events = &self.view.events;
        let i = events
            .binary_search_by_key(&entered.previous_event_id, |e| e.id)
            .ok()?;
        match &events[i].details {
            Some(EventDetails::StateExited(d)) => Some((d.name.as_str(), events[i].event_type)),
            _ => None,
        }
    }

    /// The state whose event ended the execution as failed (a failure nothing handled,
    /// or a Fail state), with that event's type.
    fn last_failure(&self) -> Option<(&str, EventType)> {
        use EventType as T;
        self.view
            .events
            .iter()
            .zip(&self.view.notes)
            .rev()
            .filter(|(e, _)| {
                matches!(
                    e.event_type,
                    T::FailStateEntered
                        | T::TaskFailed
                        | T::TaskTimedOut
                        | T::LambdaFunctionFailed
                        | T::LambdaFunctionTimedOut
                        | T::ParallelStateFailed
                        | T::MapStateFailed
                )
            })
            .find_map(|(e, n)| Some((n.state.as_deref()?, e.event_type)))
    }

    /// The forward state whose caught failure began the compensations, with its error:
    /// a rejection and a timeout end at the same Fail state, and are told apart here.
    fn caught_failure(&self) -> Option<(&str, Option<&str>)> {
        let state = self
            .view
            .events
            .iter()
            .zip(&self.view.notes)
            .find_map(|(_, n)| {
                let name = n.state.as_deref()?;
                (self.view.status_of(name) == StateStatus::Caught).then_some(name)
            })?;
        let error = self.view.state(state).and_then(|s| s.last_error.as_deref());
        Some((state, error))
    }

    /// The state a stop or timeout interrupted (the latest one entered).
    fn interrupted_state(&self) -> Option<&str> {
        self.view
            .states
            .iter()
            .filter(|(_, s)| s.status == StateStatus::Aborted)
            .max_by_key(|(name, s)| (s.entered_at, *name))
            .map(|(name, _)| name.as_str())
    }

    /// The state's error; for a Parallel or Map state, whose failure events carry none,
    /// the latest error raised inside it.
    fn error_of(&self, name: &str, state: &StateView) -> Option<String> {
        if let Some(e) = state.last_error.as_ref().filter(|e| !e.is_empty()) {
            return Some(e.clone());
        }
        let entered = self.latest_entry(name)?;
        self.view
            .events
            .iter()
            .rev()
            .take_while(|e| e.id > entered.id)
            .find_map(|e| e.error_and_cause().and_then(|(e, _)| e))
            .filter(|e| !e.is_empty())
            .map(str::to_string)
    }

    /// How many items the Map state's latest visit iterates over.
    fn map_length(&self, name: &str) -> Option<u64> {
        self.view
            .events
            .iter()
            .zip(&self.view.notes)
            .rev()
            .filter(|(_, n)| n.state.as_deref() == Some(name))
            .find_map(|(e, _)| match &e.details {
                Some(EventDetails::MapStateStarted(d)) => Some(d.length),
                _ => None,
            })
    }
}

/// `Waiting 10 s in W; moves on` with the Wait's end as the countdown. The end is taken
/// from the definition and, for the `…Path` forms, from the state's input.
/// A callback task waiting for its token: who may answer, and by when.
fn awaiting_token(wait: &CallbackWait) -> Narration {
    let text = format!("{} waits for its task token", wait.state);
    let mut told = Narration::new(NarrationLevel::Progress, Some(&wait.state), text);
    told.countdown = wait.deadline.map(|(at, _)| at);
    told.deadline_by = wait.deadline.map(|(_, by)| by.field());
    told.waited_since = Some(wait.since);
    told
}

fn waiting(name: &str, wait: &WaitState, entered: &HistoryEvent) -> Narration {
    let progress = |text: String| Narration::new(NarrationLevel::Progress, Some(name), text);
    let input = || match &entered.details {
        Some(EventDetails::StateEntered(d)) => serde_json::from_str(&d.input).ok(),
        _ => None,
    };
    let select = |path: &crate::asl::path::JsonPath| -> Option<serde_json::Value> {
        let input: serde_json::Value = input()?;
        let effective = match &wait.input_path {
            Selection::Whole => input,
            Selection::Empty => serde_json::json!({}),
            Selection::Path(p) if !p.is_context() => p.select(&input).ok()?.into_owned(),
            Selection::Path(_) => return None,
        };
        if path.is_context() {
            return None;
        }
        path.select(&effective).ok().map(|v| v.into_owned())
    };
    let seconds = match &wait.wait {
        WaitFor::Seconds(s) => Some(*s),
        WaitFor::SecondsPath(p) => select(p).and_then(|v| v.as_u64()),
        _ => None,
    };
    if let Some(s) = seconds {
        let due = entered
            .timestamp
            .checked_add_signed(chrono::TimeDelta::seconds(
                i64::try_from(s).unwrap_or(i64::MAX),
            ))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        return progress(format!("Waiting {s} s in {name}; moves on")).due(due, false);
    }
    let until = match &wait.wait {
        WaitFor::Timestamp(t) => Some(*t),
        WaitFor::TimestampPath(p) => {
            select(p).and_then(|v| v.as_str().and_then(crate::asl::timestamp::parse_timestamp))
        }
        _ => None,
    };
    match until {
        Some(t) => progress(format!(
            "Waiting in {name} until {}; moves on",
            t.to_rfc3339_opts(SecondsFormat::Secs, true)
        ))
        .due(t, false),
        None => progress(format!("Waiting in {name}")),
    }
}

/// `X failed (E)`, or `X failed` when the failure has no error name.
fn failed(name: &str, error: Option<&str>) -> String {
    match error {
        // A timeout (a callback nobody answered) is told as one, not as a failure.
        Some(e @ ("States.Timeout" | "States.HeartbeatTimeout")) => {
            format!("{name} timed out ({e})")
        }
        Some(e) if !e.is_empty() => format!("{name} failed ({e})"),
        _ => format!("{name} failed"),
    }
}

/// ` after 2 retries`, ` after 1 retry`, or nothing.
fn after_retries(retries: u32) -> String {
    match retries {
        0 => String::new(),
        n => format!(" after {}", count(u64::from(n), "retry", "retries")),
    }
}

fn count(n: u64, one: &str, many: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// The `Catch` field of a state that has one.
fn catchers(state: &State) -> &[Catcher] {
    match &state.kind {
        StateKind::Task(t) => &t.catch,
        StateKind::Parallel(p) => &p.catch,
        StateKind::Map(m) => &m.catch,
        _ => &[],
    }
}

#[cfg(test)]
mod tests;
