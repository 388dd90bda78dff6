//! ASL timestamps: RFC 3339 with an uppercase `T` and an explicit offset.

use chrono::{DateTime, Utc};

/// Parses a timestamp as Choice rules and Wait states accept it; `None` when invalid.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 || bytes[10] != b'T' {
        return None;
    }
    let last = *bytes.last()?;
    if last != b'Z' && !text[19..].contains(['+', '-']) {
        return None;
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_rfc3339_with_t_and_zone_only() {
        assert!(parse_timestamp("2016-03-14T01:59:00Z").is_some());
        assert!(parse_timestamp("2016-03-14T01:59:00.123+01:00").is_some());
        assert!(parse_timestamp("2016-03-14 01:59:00Z").is_none());
        assert!(parse_timestamp("2016-03-14T01:59:00").is_none());
        assert!(parse_timestamp("2016-02-30T01:59:00Z").is_none());
    }
}
