//! How the SQLite store keeps history events: each event's JSON with its big payload kept aside.
//!
//! Every state's input and output is JSON *text* inside the event's JSON (as
//! `GetExecutionHistory` returns it), so writing an event whole means escaping every
//! quote of a payload that is often kilobytes long, and SQLite then has to store the
//! longer escaped text. Instead the payload member (`input`, `output` or `parameters`)
//! is written as `""` in the event's JSON, and its text goes, unescaped, into the
//! `payload` column together with the byte offset of that `""` (`payload_at`). Reading
//! puts the escaped payload back at that offset, which gives exactly the JSON text the
//! whole event serialises to.
//!
//! A payload of [`COMPRESS_FROM`] bytes or more is stored LZ4-compressed, as a BLOB
//! (shorter ones as TEXT): a saga's state input repeats the Lambda response document
//! once per step, so its history compresses well, and SQLite (and the WAL, and the
//! checkpoint after it) has that much less to write.

use crate::history::event::*;
use crate::store::StoreError;
use crate::store::events::{Body, NewEvent};
use rusqlite::ToSql;
use rusqlite::types::{ToSqlOutput, ValueRef};
use std::borrow::Cow;

/// Payloads at least this long are stored compressed.
const COMPRESS_FROM: usize = 1024;

/// The largest payload a stored compressed one may claim to expand to: far above the
/// 256 KiB Step Functions allows, and a bound on what a damaged row can make us allocate.
const MAX_PAYLOAD: usize = 64 * 1024 * 1024;

/// A payload as the `payload` column holds it.
pub(super) enum StoredPayload<'a> {
    /// Short: the text itself.
    Text(&'a str),
    /// Long: LZ4 block, prefixed with its length (little-endian u32).
    Lz4(Vec<u8>),
}

impl<'a> StoredPayload<'a> {
    /// The column value for a payload.
    pub(super) fn new(payload: &'a str) -> Self {
        if payload.len() >= COMPRESS_FROM {
            StoredPayload::Lz4(lz4_flex::block::compress_prepend_size(payload.as_bytes()))
        } else {
            StoredPayload::Text(payload)
        }
    }
}

impl ToSql for StoredPayload<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            StoredPayload::Text(s) => ValueRef::Text(s.as_bytes()),
            StoredPayload::Lz4(b) => ValueRef::Blob(b),
        }))
    }
}

/// The `payload` column back as text.
pub(super) fn read_payload(v: ValueRef<'_>) -> Result<Option<String>, String> {
    let utf8 =
        |bytes: Vec<u8>| String::from_utf8(bytes).map_err(|e| format!("payload is not UTF-8: {e}"));
    match v {
        ValueRef::Null => Ok(None),
        ValueRef::Text(t) => utf8(t.to_vec()).map(Some),
        ValueRef::Blob(b) => {
            let claimed = b
                .get(..4)
                .and_then(|n| <[u8; 4]>::try_from(n).ok())
                .map(u32::from_le_bytes)
                .ok_or("compressed payload is truncated")?;
            if usize::try_from(claimed).map_or(true, |n| n > MAX_PAYLOAD) {
                return Err(format!("compressed payload claims {claimed} bytes"));
            }
            let raw = lz4_flex::block::decompress_size_prepended(b)
                .map_err(|e| format!("compressed payload is damaged: {e}"))?;
            utf8(raw).map(Some)
        }
        other => Err(format!(
            "payload is stored as {:?}, not text",
            other.data_type()
        )),
    }
}

/// The columns of one `events` row.
pub(super) struct Row<'a> {
    /// The event JSON, with `""` for the payload when there is one.
    pub(super) event: Cow<'a, str>,
    /// The payload, unescaped.
    pub(super) payload: Option<&'a str>,
    /// Where the payload's `""` is in `event`.
    pub(super) payload_at: Option<i64>,
}

/// The row to store, after checking text that came from a caller is JSON.
pub(super) fn row<'a>(e: &'a NewEvent, arn: &str) -> Result<Row<'a>, StoreError> {
    e.check(arn)?;
    let event = match &e.body {
        Body::Json(text) => {
            return Ok(Row {
                event: Cow::Borrowed(text),
                payload: None,
                payload_at: None,
            });
        }
        Body::Event(e) => e,
    };
    split_by_serde(event)
}

/// [`row`] for an engine event: its JSON as serde writes it, with the payload's
/// escaped text cut out and kept aside unescaped.
fn split_by_serde(event: &HistoryEvent) -> Result<Row<'_>, StoreError> {
    let encoding = |source| StoreError::Encode {
        what: "a history event",
        source,
    };
    let text = serde_json::to_string(event).map_err(encoding)?;
    let payload = event.details.as_ref().and_then(payload_of);
    let Some((member, payload)) = payload.filter(|(_, p)| !p.is_empty()) else {
        return Ok(Row {
            event: Cow::Owned(text),
            payload: None,
            payload_at: None,
        });
    };
    // JSON escapes every quote inside a string, so `"member":` followed by the
    // payload's own escaped text can only be the member itself.
    let escaped = serde_json::to_string(payload).map_err(encoding)?;
    let marker = format!("\"{member}\":{escaped}");
    let Some(pos) = text.find(&marker) else {
        return Ok(Row {
            event: Cow::Owned(text),
            payload: None,
            payload_at: None,
        });
    };
    let at = pos + member.len() + 3;
    let skeleton = format!("{}\"\"{}", &text[..at], &text[pos + marker.len()..]);
    Ok(Row {
        event: Cow::Owned(skeleton),
        payload: Some(payload),
        payload_at: i64::try_from(at).ok(),
    })
}

/// An event ready for its INSERT: encoded (and its payload compressed) ahead of the
/// transaction, so the connection is held only for SQLite's own work.
pub(super) struct Encoded<'a> {
    /// The event id.
    pub(super) id: i64,
    /// The event JSON, with `""` for the payload when there is one.
    pub(super) event: Cow<'a, str>,
    /// The payload column.
    pub(super) payload: Option<StoredPayload<'a>>,
    /// Where the payload's `""` is in `event`.
    pub(super) payload_at: Option<i64>,
}

/// Encodes the events of one execution for storing; the first failure fails them all.
pub(super) fn encode_events<'a>(
    arn: &str,
    events: &'a [NewEvent],
) -> Result<Vec<Encoded<'a>>, StoreError> {
    events
        .iter()
        .map(|e| {
            let row = row(e, arn)?;
            Ok(Encoded {
                id: e.id(),
                event: row.event,
                payload: row.payload.map(StoredPayload::new),
                payload_at: row.payload_at,
            })
        })
        .collect()
}

/// The whole event JSON from its stored columns.
pub(super) fn reassemble(
    text: String,
    payload: Option<&str>,
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

/// The payload member's name and text, for the event types that have one.
pub(in crate::store) fn payload_of(d: &EventDetails) -> Option<(&'static str, &str)> {
    use EventDetails as D;
    Some(match d {
        D::ExecutionStarted(x) => ("input", &x.input),
        D::ExecutionSucceeded(x) | D::LambdaFunctionSucceeded(x) => ("output", &x.output),
        D::StateEntered(x) => ("input", &x.input),
        D::StateExited(x) => ("output", &x.output),
        D::TaskScheduled(x) => ("parameters", &x.parameters),
        D::TaskSucceeded(x) => ("output", &x.output),
        D::TaskSubmitted(x) => ("output", x.output.as_deref()?),
        D::LambdaFunctionScheduled(x) => ("input", &x.input),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use std::sync::Arc;

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
        let n = NewEvent::from_event(Arc::new(e.clone())).unwrap();
        let row = row(&n, "a").unwrap();
        reassemble(row.event.into_owned(), row.payload, row.payload_at).unwrap()
    }

    /// Events whose payloads (or other members) look like the marker, hold quotes and
    /// escapes, or are missing or empty.
    fn awkward_events() -> Vec<HistoryEvent> {
        let tricky = r#"{"name":"\"input\":\"\"","quote":"a\"b\\c","uni":"é\u0001"}"#;
        vec![
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
                heartbeat_in_seconds: Some(2),
            }))),
            event(Some(EventDetails::ExecutionFailed(ErrorDetails {
                error: Some("E".into()),
                cause: Some(tricky.into()),
            }))),
            event(Some(EventDetails::TaskSubmitted(TaskSubmittedDetails {
                resource_type: "lambda".into(),
                resource: "invoke.waitForTaskToken".into(),
                output: Some(tricky.into()),
                output_details: Some(PayloadDetails { truncated: false }),
            }))),
            event(Some(EventDetails::TaskSubmitted(TaskSubmittedDetails {
                resource_type: "sqs".into(),
                resource: "sendMessage.waitForTaskToken".into(),
                output: None,
                output_details: None,
            }))),
        ]
    }

    #[test]
    fn a_split_event_reads_back_as_its_whole_json() {
        let cases = awkward_events();
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
        let n = NewEvent::from_event(Arc::new(e)).unwrap();
        let row = row(&n, "a").unwrap();
        assert_eq!(row.payload, Some(r#"{"a":"b"}"#));
        assert!(!row.event.contains("\\\""), "{}", row.event);
        assert_eq!(&row.event[row.payload_at.unwrap() as usize..][..2], "\"\"");
    }

    #[test]
    fn long_payloads_are_compressed_and_read_back() {
        let long = format!("{{\"a\":\"{}\"}}", "é\\\"".repeat(2000));
        for text in ["{}", long.as_str()] {
            let stored = StoredPayload::new(text);
            assert_eq!(
                matches!(stored, StoredPayload::Lz4(_)),
                text.len() >= COMPRESS_FROM
            );
            let back = read_payload(
                stored
                    .to_sql()
                    .map(|o| match o {
                        ToSqlOutput::Borrowed(v) => v,
                        _ => unreachable!(),
                    })
                    .unwrap(),
            )
            .unwrap();
            assert_eq!(back.as_deref(), Some(text));
        }
        assert!(read_payload(ValueRef::Blob(&[255, 255, 255, 255, 0])).is_err());
        assert!(read_payload(ValueRef::Blob(&[1])).is_err());
        assert!(read_payload(ValueRef::Integer(3)).is_err());
    }

    #[test]
    fn a_bad_offset_is_reported() {
        let err = reassemble("{}".into(), Some("x"), Some(1)).unwrap_err();
        assert!(err.contains("offset 1"), "{err}");
    }

    #[test]
    fn caller_text_must_be_json() {
        let n = NewEvent::from_json(1, "not json");
        assert!(matches!(
            row(&n, "a"),
            Err(StoreError::NotJson { id: 1, .. })
        ));
    }
}
