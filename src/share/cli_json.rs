//! JSON as the AWS CLI prints it, so a saved history can be compared with (and
//! replaced by) one captured with `aws stepfunctions get-execution-history`.
//!
//! The CLI (botocore) parses every timestamp into a Python `datetime` and prints the
//! response with `json.dump(response, indent=4, ensure_ascii=False,
//! default=json_encoder)`, where `json_encoder` writes a datetime as
//! `datetime.isoformat()`: `2024-05-01T10:00:00.123000+00:00`, microseconds only when
//! there are some, the offset always. Members keep the response's order (the API
//! model's), and non-ASCII text is written as is. serde_json's pretty printer with a
//! four-space indent writes the same separators and escapes.

use chrono::{DateTime, Timelike, Utc};
use serde::{Serialize, Serializer};

use crate::history::{EventDetails, EventType, HistoryEvent};

/// A time as Python's `datetime.isoformat()` writes an aware UTC datetime: the CLI
/// prints times in the machine's zone, which is this on a machine set to UTC. Python
/// keeps microseconds, rounding to the nearest (epoch seconds read as a float land
/// just below the millisecond they mean), so the time is rounded the same way.
pub fn timestamp(t: &DateTime<Utc>) -> String {
    let t = *t + chrono::TimeDelta::nanoseconds(500);
    let micros = t.nanosecond() % 1_000_000_000 / 1_000;
    let seconds = t.format("%Y-%m-%dT%H:%M:%S");
    if micros == 0 {
        format!("{seconds}+00:00")
    } else {
        format!("{seconds}.{micros:06}+00:00")
    }
}

/// [`timestamp`] for serde.
pub fn serialize_timestamp<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&timestamp(t))
}

/// One history event with the CLI's timestamp, members in the API's order.
#[derive(Serialize)]
pub struct CliEvent<'a> {
    #[serde(serialize_with = "serialize_timestamp")]
    timestamp: &'a DateTime<Utc>,
    #[serde(rename = "type")]
    event_type: EventType,
    id: u64,
    #[serde(rename = "previousEventId")]
    previous_event_id: u64,
    #[serde(flatten)]
    details: Option<&'a EventDetails>,
}

impl<'a> From<&'a HistoryEvent> for CliEvent<'a> {
    fn from(e: &'a HistoryEvent) -> Self {
        Self {
            timestamp: &e.timestamp,
            event_type: e.event_type,
            id: e.id,
            previous_event_id: e.previous_event_id,
            details: e.details.as_ref(),
        }
    }
}

/// `value` as `json.dump(value, indent=4, ensure_ascii=False)` writes it, with the
/// newline the CLI ends its output with.
pub fn to_string(value: &impl Serialize) -> Result<String, serde_json::Error> {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    value.serialize(&mut ser)?;
    out.push(b'\n');
    // serde_json writes UTF-8 only.
    Ok(String::from_utf8(out).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_written_as_python_isoformat() {
        let t = DateTime::from_timestamp_millis(1_714_557_600_123).unwrap();
        assert_eq!(timestamp(&t), "2024-05-01T10:00:00.123000+00:00");
        let whole = DateTime::from_timestamp(1_714_557_600, 0).unwrap();
        assert_eq!(timestamp(&whole), "2024-05-01T10:00:00+00:00");
        let nanos = DateTime::from_timestamp(1_714_557_600, 1_234_567).unwrap();
        assert_eq!(timestamp(&nanos), "2024-05-01T10:00:00.001235+00:00");
        let below = DateTime::from_timestamp(1_714_557_600, 329_999_999).unwrap();
        assert_eq!(timestamp(&below), "2024-05-01T10:00:00.330000+00:00");
        let carry = DateTime::from_timestamp(1_714_557_600, 999_999_999).unwrap();
        assert_eq!(timestamp(&carry), "2024-05-01T10:00:01+00:00");
    }

    #[test]
    fn indents_by_four_and_keeps_non_ascii() {
        let text = to_string(&serde_json::json!({"events": [], "name": "é\n"})).unwrap();
        assert_eq!(text, "{\n    \"events\": [],\n    \"name\": \"é\\n\"\n}\n");
    }
}
