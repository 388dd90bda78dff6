//! The stored JSON of the events every task writes, written directly.
//!
//! Serde writes the same text, but through the flattening of the details member and a
//! byte-by-byte escape of every key and value; for a busy store that was most of the
//! writer's work. The types written here are the ones each state and task visit
//! writes (state entered and exited, task scheduled, started and succeeded) and the
//! execution's start and end, and events without details. Any other event, and any
//! event whose text would differ in a way not handled here (a value that needs
//! escaping), is left to serde; a test holds the two to the same bytes.

use crate::history::event::wire_time::{renders, rfc3339};
use crate::history::event::{EventDetails, HistoryEvent, PayloadDetails};
use chrono::{DateTime, Utc};

/// The event's JSON with its payload member (if it has one) written as `""`, with its
/// payload and where that `""` is; `None` for an event this module does not write (or
/// a payload that is empty, which stays in the JSON).
pub(super) fn skeleton(e: &HistoryEvent) -> Option<(String, Option<(&str, usize)>)> {
    let mut buf = [0u8; 32];
    let len = rfc3339(&e.timestamp, &mut buf)?;
    let time = std::str::from_utf8(&buf[..len]).ok()?;
    write(e, Some(time))
}

/// [`skeleton`] without the leading `"timestamp"` member, for a store that keeps the
/// time itself and puts it back with [`with_timestamp`]; `None` also when the time is
/// one [`with_timestamp`] would not write.
pub(super) fn untimed_skeleton(e: &HistoryEvent) -> Option<(String, Option<(&str, usize)>)> {
    if !renders(&e.timestamp) {
        return None;
    }
    write(e, None)
}

/// An untimed skeleton's event text (payload in place or not) with its timestamp
/// put back first, as [`skeleton`] writes it; `None` for a text that is not an
/// object or a time not written here.
pub(super) fn with_timestamp(untimed: &str, t: &DateTime<Utc>) -> Option<String> {
    let rest = untimed.strip_prefix('{')?;
    let mut buf = [0u8; 32];
    let len = rfc3339(t, &mut buf)?;
    let time = std::str::from_utf8(&buf[..len]).ok()?;
    let mut out = String::with_capacity(untimed.len() + len + 16);
    out.push_str("{\"timestamp\":\"");
    out.push_str(time);
    out.push_str("\",");
    out.push_str(rest);
    Some(out)
}

/// The skeleton, its `"timestamp"` member written as `time` or left out.
fn write<'e>(
    e: &'e HistoryEvent,
    time: Option<&str>,
) -> Option<(String, Option<(&'e str, usize)>)> {
    use EventDetails as D;
    let mut out = Writer {
        text: String::with_capacity(320),
        plain: true,
        first: false,
    };
    if let Some(time) = time {
        out.raw("{\"timestamp\":\"");
        out.raw(time);
        out.raw("\",\"type\":\"");
    } else {
        out.raw("{\"type\":\"");
    }
    out.raw(e.event_type.as_str());
    out.raw("\",\"id\":");
    out.digits(e.id);
    out.raw(",\"previousEventId\":");
    out.digits(e.previous_event_id);
    let (payload, at) = match &e.details {
        None => {
            out.raw("}");
            return out.plain.then_some((out.text, None));
        }
        Some(D::TaskStarted(d)) => {
            out.open("taskStartedEventDetails");
            out.string("resourceType", &d.resource_type);
            out.string("resource", &d.resource);
            out.raw("}}");
            return out.plain.then_some((out.text, None));
        }
        Some(D::ExecutionStarted(d)) => {
            out.open("executionStartedEventDetails");
            let at = out.payload("input", d.input_details);
            out.string("roleArn", &d.role_arn);
            (&d.input, at)
        }
        Some(D::ExecutionSucceeded(d)) => {
            out.open("executionSucceededEventDetails");
            (&d.output, out.payload("output", d.output_details))
        }
        Some(D::StateEntered(d)) => {
            let at = out.state(
                "stateEnteredEventDetails",
                &d.name,
                "input",
                d.input_details,
            );
            (&d.input, at)
        }
        Some(D::StateExited(d)) => {
            let at = out.state(
                "stateExitedEventDetails",
                &d.name,
                "output",
                d.output_details,
            );
            (&d.output, at)
        }
        Some(D::TaskScheduled(d)) => {
            out.open("taskScheduledEventDetails");
            out.string("resourceType", &d.resource_type);
            out.string("resource", &d.resource);
            out.string("region", &d.region);
            out.key("parameters");
            let at = out.empty_string();
            out.number("timeoutInSeconds", d.timeout_in_seconds);
            out.number("heartbeatInSeconds", d.heartbeat_in_seconds);
            (&d.parameters, at)
        }
        Some(D::TaskSucceeded(d)) => {
            out.open("taskSucceededEventDetails");
            out.string("resourceType", &d.resource_type);
            out.string("resource", &d.resource);
            (&d.output, out.payload("output", d.output_details))
        }
        _ => return None,
    };
    if payload.is_empty() || !out.plain {
        return None;
    }
    out.raw("}}");
    Some((out.text, Some((payload, at))))
}

/// A JSON text being written; keys given here never need escaping.
struct Writer {
    text: String,
    /// No value written needed escaping.
    plain: bool,
    /// The object just opened has no member yet.
    first: bool,
}

impl Writer {
    fn raw(&mut self, s: &str) {
        self.text.push_str(s);
    }

    fn digits(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &d in &digits[at..] {
            self.text.push(char::from(d));
        }
    }

    /// `,"details":{`: the details member opened.
    fn open(&mut self, details: &str) {
        self.text.push_str(",\"");
        self.text.push_str(details);
        self.text.push_str("\":{");
        self.first = true;
    }

    /// `"key":`, after a comma unless it is the object's first member.
    fn key(&mut self, key: &str) {
        if !std::mem::take(&mut self.first) {
            self.text.push(',');
        }
        self.text.push('"');
        self.text.push_str(key);
        self.text.push_str("\":");
    }

    /// A string member; a value that needs escaping marks the text as not written here.
    fn string(&mut self, key: &str, s: &str) {
        self.key(key);
        if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
            self.plain = false;
        }
        self.text.push('"');
        self.text.push_str(s);
        self.text.push('"');
    }

    /// A number member, left out when there is none.
    fn number(&mut self, key: &str, n: Option<u64>) {
        if let Some(n) = n {
            self.key(key);
            self.digits(n);
        }
    }

    /// `""` where a payload goes, returning where it is.
    fn empty_string(&mut self) -> usize {
        let at = self.text.len();
        self.text.push_str("\"\"");
        at
    }

    /// A payload member left empty and its `<member>Details` after it; returns where
    /// the payload goes.
    fn payload(&mut self, member: &str, shown: PayloadDetails) -> usize {
        self.key(member);
        let at = self.empty_string();
        self.text.push_str(",\"");
        self.text.push_str(member);
        self.text.push_str("Details\":");
        self.raw(if shown.truncated {
            "{\"truncated\":true}"
        } else {
            "{\"truncated\":false}"
        });
        at
    }

    /// A state's entered or exited details: its name, then its payload.
    fn state(&mut self, details: &str, name: &str, member: &str, shown: PayloadDetails) -> usize {
        self.open(details);
        self.string("name", name);
        self.payload(member, shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::event::*;
    use crate::store::events::split_by_serde;
    use chrono::DateTime;

    fn at(millis: i64, id: u64, details: EventDetails) -> HistoryEvent {
        HistoryEvent {
            timestamp: DateTime::from_timestamp_millis(millis).unwrap(),
            event_type: EventType::TaskStateEntered,
            id,
            previous_event_id: id.saturating_sub(1),
            details: Some(details),
        }
    }

    /// Every type written here, with values plain and awkward.
    fn events() -> Vec<HistoryEvent> {
        let doc = r#"{"trip":{"id":"T1","quote":"a\"b"},"n":[1,2]}"#;
        let shown = |truncated| PayloadDetails { truncated };
        let mut out = Vec::new();
        for (name, resource) in [
            ("ReserveHotel", "arn:aws:states:::lambda:invoke"),
            ("Say \"hi\"", "tab\there"),
            ("é ünïcode ✓", "back\\slash"),
        ] {
            for (i, payload) in [doc, "{}", ""].into_iter().enumerate() {
                let id = [1, 9_999_999, u64::MAX][i];
                let millis = [0, 1_795_698_104_234, 1_795_698_104_000][i];
                let mut bare = at(
                    millis,
                    id,
                    EventDetails::ExecutionSucceeded(OutputDetails {
                        output: String::new(),
                        output_details: shown(false),
                    }),
                );
                bare.details = None;
                out.extend([
                    bare,
                    at(
                        millis,
                        id,
                        EventDetails::TaskStarted(TaskResourceDetails {
                            resource_type: "lambda".into(),
                            resource: resource.into(),
                        }),
                    ),
                    at(
                        millis,
                        id,
                        EventDetails::ExecutionStarted(ExecutionStartedDetails {
                            input: payload.into(),
                            input_details: shown(false),
                            role_arn: resource.into(),
                        }),
                    ),
                    at(
                        millis,
                        id,
                        EventDetails::ExecutionSucceeded(OutputDetails {
                            output: payload.into(),
                            output_details: shown(i == 1),
                        }),
                    ),
                    at(
                        millis,
                        id,
                        EventDetails::StateEntered(StateEnteredDetails {
                            name: name.into(),
                            input: payload.into(),
                            input_details: shown(i == 2),
                        }),
                    ),
                    at(
                        millis,
                        id,
                        EventDetails::StateExited(StateExitedDetails {
                            name: name.into(),
                            output: payload.into(),
                            output_details: shown(false),
                        }),
                    ),
                    at(
                        millis,
                        id,
                        EventDetails::TaskScheduled(TaskScheduledDetails {
                            resource_type: "lambda".into(),
                            resource: resource.into(),
                            region: "eu-west-1".into(),
                            parameters: payload.into(),
                            timeout_in_seconds: [None, Some(30), Some(0)][i],
                            heartbeat_in_seconds: [Some(5), None, Some(u64::MAX)][i],
                        }),
                    ),
                    at(
                        millis,
                        id,
                        EventDetails::TaskSucceeded(TaskSucceededDetails {
                            resource_type: "lambda".into(),
                            resource: resource.into(),
                            output: payload.into(),
                            output_details: shown(true),
                        }),
                    ),
                ]);
            }
        }
        out.extend(crate::store::events::tests::awkward_events());
        out
    }

    #[test]
    fn what_is_written_here_is_what_serde_writes() {
        let mut written = 0;
        for e in events() {
            let Some((text, split)) = skeleton(&e) else {
                continue;
            };
            written += 1;
            let by_serde = split_by_serde(&e).unwrap();
            assert_eq!(text, by_serde.event, "{e:?}");
            assert_eq!(split.map(|(p, _)| p), by_serde.payload, "{e:?}");
            assert_eq!(split.map(|(_, at)| at as i64), by_serde.payload_at, "{e:?}");
        }
        assert!(written >= 25, "only {written} events were written here");
    }

    #[test]
    fn values_that_need_escaping_and_empty_payloads_are_left_to_serde() {
        let mut left = 0;
        for e in events() {
            let Some(details) = &e.details else { continue };
            let Ok(serde_json::Value::Object(members)) = serde_json::to_value(details) else {
                panic!("{details:?}");
            };
            let mut strings = members.values().flat_map(|v| v.as_object()).flat_map(|d| {
                d.iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "input" | "output" | "parameters"))
                    .filter_map(|(_, v)| v.as_str())
            });
            let escaped = strings.any(|s| s.contains(['"', '\\', '\t', '\u{1}']));
            let payload = members
                .values()
                .flat_map(|v| v.as_object())
                .flat_map(|d| ["input", "output", "parameters"].map(|k| d.get(k)))
                .flatten()
                .next();
            let empty = payload.is_some_and(|p| p == "");
            if escaped || empty {
                assert!(skeleton(&e).is_none(), "{e:?}");
                left += 1;
            }
        }
        assert!(left >= 30, "only {left} events were checked");
    }
}
