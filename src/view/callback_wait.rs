//! A `.waitForTaskToken` task waiting for its token (an approval waiting for a
//! person): which state waits, since when, and until when at the latest.
//!
//! Read from the history alone, so it speaks for any definition and either backend:
//! `TaskScheduled` carries the task's `timeoutInSeconds` and `heartbeatInSeconds`, and
//! both timers run from `TaskStarted` (the embedded runtime's documented reading, see
//! `conformance/documented-behaviour.md`). A heartbeat restarts the heartbeat timer but
//! leaves no event, so the deadline shown is the latest one nobody has extended.

use chrono::{DateTime, TimeDelta, Utc};

use crate::history::{EventDetails, EventType, HistoryEvent};

/// Which timer ends the wait first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineBy {
    /// HeartbeatSeconds: nobody said they are still deciding.
    Heartbeat,
    /// TimeoutSeconds: the whole wait is bounded.
    Timeout,
}

impl DeadlineBy {
    /// The field's name, as the definition spells it.
    pub fn field(self) -> &'static str {
        match self {
            DeadlineBy::Heartbeat => "HeartbeatSeconds",
            DeadlineBy::Timeout => "TimeoutSeconds",
        }
    }
}

/// A callback task that waits now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackWait {
    /// The Task state that waits.
    pub state: String,
    /// When the wait began (`TaskStarted`, else `TaskScheduled`).
    pub since: DateTime<Utc>,
    /// When the task times out unless answered (or heartbeated), if it has a timer.
    pub deadline: Option<(DateTime<Utc>, DeadlineBy)>,
}

impl CallbackWait {
    /// How long it has waited at `now` (the execution's clock), never negative.
    pub fn waited(&self, now: DateTime<Utc>) -> TimeDelta {
        (now - self.since).max(TimeDelta::zero())
    }
}

/// The callback task the execution waits on, if its latest task is one that has been
/// scheduled and not yet ended, and the execution still runs.
pub fn waiting_callback(events: &[HistoryEvent]) -> Option<CallbackWait> {
    let mut wait: Option<CallbackWait> = None;
    let mut state: Option<&str> = None;
    let mut limits = (None, None);
    for e in events {
        match (&e.event_type, &e.details) {
            (EventType::TaskStateEntered, Some(EventDetails::StateEntered(d))) => {
                state = Some(&d.name);
            }
            (EventType::TaskScheduled, Some(EventDetails::TaskScheduled(d))) => {
                wait = d
                    .resource
                    .ends_with(".waitForTaskToken")
                    .then(|| CallbackWait {
                        state: state.unwrap_or("?").to_owned(),
                        since: e.timestamp,
                        deadline: None,
                    });
                limits = (d.timeout_in_seconds, d.heartbeat_in_seconds);
            }
            (EventType::TaskStarted, _) => {
                if let Some(w) = wait.as_mut() {
                    w.since = e.timestamp;
                }
            }
            (EventType::TaskSucceeded | EventType::TaskFailed | EventType::TaskTimedOut, _) => {
                wait = None
            }
            // An ended execution waits for nothing, until a redrive enters the task again.
            (t, _) if is_execution_end(*t) => wait = None,
            _ => {}
        }
        if let Some(w) = wait.as_mut() {
            w.deadline = deadline(w.since, limits);
        }
    }
    wait
}

fn is_execution_end(t: EventType) -> bool {
    matches!(
        t,
        EventType::ExecutionSucceeded
            | EventType::ExecutionFailed
            | EventType::ExecutionAborted
            | EventType::ExecutionTimedOut
    )
}

/// The earlier of the two timers, running from `since`.
fn deadline(
    since: DateTime<Utc>,
    (timeout, heartbeat): (Option<u64>, Option<u64>),
) -> Option<(DateTime<Utc>, DeadlineBy)> {
    let at = |s: u64| {
        since
            .checked_add_signed(TimeDelta::seconds(i64::try_from(s).unwrap_or(i64::MAX)))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    };
    let timeout = timeout.map(|s| (at(s), DeadlineBy::Timeout));
    let heartbeat = heartbeat.map(|s| (at(s), DeadlineBy::Heartbeat));
    match (timeout, heartbeat) {
        (Some(t), Some(h)) => Some(if h.0 < t.0 { h } else { t }),
        (t, h) => t.or(h),
    }
}

/// `42 s`, `3 min 05 s`, `1 h 02 min`: a wait as a room reads it.
pub fn duration_text(d: TimeDelta) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::PayloadDetails;
    use crate::history::event::StateEnteredDetails;
    use crate::history::event::{TaskResourceDetails, TaskScheduledDetails};

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + s, 0).expect("a time")
    }

    fn event(
        id: u64,
        s: i64,
        event_type: EventType,
        details: Option<EventDetails>,
    ) -> HistoryEvent {
        HistoryEvent {
            id,
            previous_event_id: id.saturating_sub(1),
            timestamp: at(s),
            event_type,
            details,
        }
    }

    fn waiting_history(resource: &str) -> Vec<HistoryEvent> {
        vec![
            event(
                1,
                0,
                EventType::TaskStateEntered,
                Some(EventDetails::StateEntered(StateEnteredDetails {
                    name: "RequestApproval".into(),
                    input: "{}".into(),
                    input_details: PayloadDetails::default(),
                })),
            ),
            event(
                2,
                0,
                EventType::TaskScheduled,
                Some(EventDetails::TaskScheduled(TaskScheduledDetails {
                    resource_type: "lambda".into(),
                    resource: resource.into(),
                    region: "us-east-1".into(),
                    parameters: "{}".into(),
                    timeout_in_seconds: Some(300),
                    heartbeat_in_seconds: Some(120),
                })),
            ),
            event(
                3,
                1,
                EventType::TaskStarted,
                Some(EventDetails::TaskStarted(TaskResourceDetails {
                    resource_type: "lambda".into(),
                    resource: resource.into(),
                })),
            ),
        ]
    }

    #[test]
    fn a_callback_task_waits_until_its_heartbeat_deadline() {
        let events = waiting_history("invoke.waitForTaskToken");
        let w = waiting_callback(&events).expect("waits");
        assert_eq!(w.state, "RequestApproval");
        assert_eq!(w.since, at(1));
        assert_eq!(w.deadline, Some((at(121), DeadlineBy::Heartbeat)));
        assert_eq!(duration_text(w.waited(at(43))), "42 s");
        assert_eq!(duration_text(w.waited(at(186))), "3 min 05 s");
    }

    #[test]
    fn an_ordinary_or_ended_task_does_not_wait() {
        assert_eq!(waiting_callback(&waiting_history("invoke")), None);
        let mut events = waiting_history("invoke.waitForTaskToken");
        events.push(event(4, 9, EventType::TaskFailed, None));
        assert_eq!(waiting_callback(&events), None);
    }

    #[test]
    fn a_stopped_wait_redriven_waits_again_from_its_new_start() {
        let mut events = waiting_history("invoke.waitForTaskToken");
        events.push(event(4, 5, EventType::ExecutionAborted, None));
        assert_eq!(waiting_callback(&events), None, "stopped");
        events.push(event(5, 50, EventType::ExecutionRedriven, None));
        let again: Vec<HistoryEvent> = waiting_history("invoke.waitForTaskToken")
            .into_iter()
            .map(|mut e| {
                e.id += 5;
                e.timestamp = at(60);
                e
            })
            .collect();
        events.extend(again);
        let w = waiting_callback(&events).expect("waits again");
        assert_eq!(w.since, at(60));
        assert_eq!(w.deadline, Some((at(180), DeadlineBy::Heartbeat)));
    }
}
