//! How history events are stored: each event's JSON with its big payload kept aside.
//!
//! Every state's input and output is JSON *text* inside the event's JSON (as
//! `GetExecutionHistory` returns it), so writing an event whole means escaping every
//! quote of a payload that is often kilobytes long, and SQLite then has to store the
//! longer escaped text. Instead the payload member (`input`, `output` or `parameters`)
//! is written as `""` in the event's JSON, and its text goes, unescaped, into the
//! `payload` column together with the byte offset of that `""` (`payload_at`). Reading
//! puts the escaped payload back at that offset, which gives exactly the JSON text the
//! whole event serialises to.

use super::StoreError;
use crate::history::event::*;

/// One history event on its way into the store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    id: i64,
    /// The event's JSON; when `payload` is set, the payload member's value here is `""`.
    text: String,
    /// The payload's offset in `text` (of its `""`) and its unescaped text.
    payload: Option<(usize, String)>,
    /// Whether `text` came from a caller and must be checked to be JSON before it is stored.
    unchecked: bool,
}

impl NewEvent {
    /// An event given as its whole `GetExecutionHistory` JSON text (checked when stored).
    pub fn from_json(id: i64, json: impl Into<String>) -> Self {
        NewEvent {
            id,
            text: json.into(),
            payload: None,
            unchecked: true,
        }
    }

    /// An event of the engine, split into its JSON and its payload text so that the
    /// payload is neither escaped nor validated again on the way in.
    pub fn from_event(event: &HistoryEvent) -> Result<Self, StoreError> {
        let id =
            i64::try_from(event.id).map_err(|_| StoreError::EventIdOutOfRange { id: event.id })?;
        let encode = |e: &HistoryEvent| {
            serde_json::to_string(e).map_err(|source| StoreError::Encode {
                what: "a history event",
                source,
            })
        };
        let split = event.details.as_ref().and_then(split_payload);
        let Some((details, member, payload)) = split.filter(|s| !s.2.is_empty()) else {
            return Ok(NewEvent {
                id,
                text: encode(event)?,
                payload: None,
                unchecked: false,
            });
        };
        let skeleton = HistoryEvent {
            timestamp: event.timestamp,
            event_type: event.event_type,
            id: event.id,
            previous_event_id: event.previous_event_id,
            details: Some(details),
        };
        let text = encode(&skeleton)?;
        // JSON escapes every quote inside a string, so `"member":""` can only be the
        // member itself; the details hold no nested object with the same name.
        let marker = format!("\"{member}\":\"\"");
        match text.find(&marker) {
            Some(pos) => Ok(NewEvent {
                id,
                text,
                payload: Some((pos + marker.len() - 2, payload.to_owned())),
                unchecked: false,
            }),
            None => Ok(NewEvent {
                id,
                text: encode(event)?,
                payload: None,
                unchecked: false,
            }),
        }
    }

    /// The event id.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// About how many bytes storing the event writes.
    pub fn size(&self) -> usize {
        self.text.len() + self.payload.as_ref().map_or(0, |(_, p)| p.len())
    }

    /// The columns to store: `(event, payload, payload_at)`, after checking text that
    /// came from a caller is JSON.
    pub(super) fn columns(
        &self,
        arn: &str,
    ) -> Result<(&str, Option<&str>, Option<i64>), StoreError> {
        if self.unchecked {
            serde_json::from_str::<serde::de::IgnoredAny>(&self.text).map_err(|source| {
                StoreError::NotJson {
                    arn: arn.to_string(),
                    id: self.id,
                    source,
                }
            })?;
        }
        Ok(match &self.payload {
            Some((at, payload)) => (
                self.text.as_str(),
                Some(payload.as_str()),
                i64::try_from(*at).ok(),
            ),
            None => (self.text.as_str(), None, None),
        })
    }
}

/// A caller's `(id, JSON text)` pair.
impl From<(i64, String)> for NewEvent {
    fn from((id, json): (i64, String)) -> Self {
        NewEvent::from_json(id, json)
    }
}

/// The whole event JSON from its stored columns.
pub(super) fn reassemble(
    text: String,
    payload: Option<String>,
    payload_at: Option<i64>,
) -> Result<String, String> {
    let (Some(payload), Some(at)) = (payload, payload_at) else {
        return Ok(text);
    };
    let at = usize::try_from(at).map_err(|_| format!("payload offset {at} is negative"))?;
    if text.get(at..at + 2) != Some("\"\"") {
        return Err(format!(
            "payload offset {at} does not point at an empty string"
        ));
    }
    let escaped = serde_json::to_string(&payload).map_err(|e| e.to_string())?;
    let mut whole = String::with_capacity(text.len() + escaped.len());
    whole.push_str(&text[..at]);
    whole.push_str(&escaped);
    whole.push_str(&text[at + 2..]);
    Ok(whole)
}

/// The details with the payload member emptied, the member's name, and the payload.
fn split_payload(d: &EventDetails) -> Option<(EventDetails, &'static str, &str)> {
    use EventDetails as D;
    Some(match d {
        D::ExecutionStarted(x) => (
            D::ExecutionStarted(ExecutionStartedDetails {
                input: String::new(),
                input_details: x.input_details,
                role_arn: x.role_arn.clone(),
            }),
            "input",
            &x.input,
        ),
        D::ExecutionSucceeded(x) => (
            D::ExecutionSucceeded(OutputDetails {
                output: String::new(),
                output_details: x.output_details,
            }),
            "output",
            &x.output,
        ),
        D::LambdaFunctionSucceeded(x) => (
            D::LambdaFunctionSucceeded(OutputDetails {
                output: String::new(),
                output_details: x.output_details,
            }),
            "output",
            &x.output,
        ),
        D::StateEntered(x) => (
            D::StateEntered(StateEnteredDetails {
                name: x.name.clone(),
                input: String::new(),
                input_details: x.input_details,
            }),
            "input",
            &x.input,
        ),
        D::StateExited(x) => (
            D::StateExited(StateExitedDetails {
                name: x.name.clone(),
                output: String::new(),
                output_details: x.output_details,
            }),
            "output",
            &x.output,
        ),
        D::TaskScheduled(x) => (
            D::TaskScheduled(TaskScheduledDetails {
                resource_type: x.resource_type.clone(),
                resource: x.resource.clone(),
                region: x.region.clone(),
                parameters: String::new(),
                timeout_in_seconds: x.timeout_in_seconds,
            }),
            "parameters",
            &x.parameters,
        ),
        D::TaskSucceeded(x) => (
            D::TaskSucceeded(TaskSucceededDetails {
                resource_type: x.resource_type.clone(),
                resource: x.resource.clone(),
                output: String::new(),
                output_details: x.output_details,
            }),
            "output",
            &x.output,
        ),
        D::LambdaFunctionScheduled(x) => (
            D::LambdaFunctionScheduled(LambdaScheduledDetails {
                resource: x.resource.clone(),
                input: String::new(),
                input_details: x.input_details,
                timeout_in_seconds: x.timeout_in_seconds,
            }),
            "input",
            &x.input,
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn event(details: Option<EventDetails>) -> HistoryEvent {
        HistoryEvent {
            timestamp: DateTime::from_timestamp_millis(1_700_000_000_123).unwrap(),
            event_type: EventType::TaskStateEntered,
            id: 7,
            previous_event_id: 6,
            details,
        }
    }

    fn round_trip(e: &HistoryEvent) -> String {
        let n = NewEvent::from_event(e).unwrap();
        let (text, payload, at) = n.columns("a").unwrap();
        reassemble(text.to_string(), payload.map(str::to_string), at).unwrap()
    }

    #[test]
    fn a_split_event_reads_back_as_its_whole_json() {
        let tricky = r#"{"name":"\"input\":\"\"","quote":"a\"b\\c","uni":"é\u0001"}"#;
        let cases = [
            event(None),
            event(Some(EventDetails::StateEntered(StateEnteredDetails {
                name: r#""input":"""#.into(),
                input: tricky.into(),
                input_details: PayloadDetails { truncated: false },
            }))),
            event(Some(EventDetails::StateEntered(StateEnteredDetails {
                name: "empty".into(),
                input: String::new(),
                input_details: PayloadDetails { truncated: false },
            }))),
            event(Some(EventDetails::TaskScheduled(TaskScheduledDetails {
                resource_type: "lambda".into(),
                resource: "invoke".into(),
                region: "us-east-1".into(),
                parameters: tricky.into(),
                timeout_in_seconds: Some(3),
            }))),
            event(Some(EventDetails::ExecutionFailed(ErrorDetails {
                error: Some("E".into()),
                cause: Some(tricky.into()),
            }))),
        ];
        for e in &cases {
            assert_eq!(round_trip(e), serde_json::to_string(e).unwrap());
        }
    }

    #[test]
    fn a_payload_is_stored_unescaped() {
        let e = event(Some(EventDetails::StateExited(StateExitedDetails {
            name: "S".into(),
            output: r#"{"a":"b"}"#.into(),
            output_details: PayloadDetails { truncated: false },
        })));
        let n = NewEvent::from_event(&e).unwrap();
        let (text, payload, at) = n.columns("a").unwrap();
        assert_eq!(payload, Some(r#"{"a":"b"}"#));
        assert!(!text.contains("\\\""), "{text}");
        assert_eq!(&text[at.unwrap() as usize..][..2], "\"\"");
    }

    #[test]
    fn a_bad_offset_is_reported() {
        let err = reassemble("{}".into(), Some("x".into()), Some(1)).unwrap_err();
        assert!(err.contains("offset 1"), "{err}");
    }

    #[test]
    fn caller_text_must_be_json() {
        let n = NewEvent::from_json(1, "not json");
        assert!(matches!(
            n.columns("a"),
            Err(StoreError::NotJson { id: 1, .. })
        ));
    }
}
