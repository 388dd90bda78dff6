//! What a Lambda invocation looks like from Step Functions: payload text,
//! the `lambda:invoke` response document, and the AWS error texts.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::invoker::Payload;

/// The payload as the Python runtime serialises it (`json.dumps` defaults),
/// which is what shows up in `Content-Length` and `LambdaFunctionSucceeded`.
pub fn payload_text(payload: &Payload) -> String {
    match payload {
        Payload::Raw(text) => text.clone(),
        Payload::Json(v) => python_json(v),
    }
}

/// The length of [`payload_text`], without writing it: a `lambda:invoke` task needs
/// only the length (for `Content-Length` and the payload limit), and every task
/// asks for it.
pub fn payload_len(payload: &Payload) -> usize {
    match payload {
        Payload::Raw(text) => text.len(),
        Payload::Json(v) => python_json_len(v),
    }
}

/// The length of [`python_json`]'s text.
fn python_json_len(value: &Value) -> usize {
    // `", "` and `": "` between members and items.
    let separators = |n: usize| n.saturating_sub(1) * 2;
    match value {
        Value::Null => 4,
        Value::Bool(b) => {
            if *b {
                4
            } else {
                5
            }
        }
        Value::Number(n) => n.to_string().len(),
        Value::String(s) => python_str_len(s),
        Value::Array(items) => {
            2 + separators(items.len()) + items.iter().map(python_json_len).sum::<usize>()
        }
        Value::Object(map) => {
            2 + separators(map.len())
                + map
                    .iter()
                    .map(|(k, v)| python_str_len(k) + 2 + python_json_len(v))
                    .sum::<usize>()
        }
    }
}

/// The length of [`write_python_str`]'s text.
fn python_str_len(s: &str) -> usize {
    let escaped = |c: char| match python_escape(c) {
        Some(short) => short.len(),
        None if needs_unicode_escape(c) => 6 * c.len_utf16(),
        None => 1,
    };
    // Printable ASCII, the usual case, is one byte a character.
    let plain = s
        .bytes()
        .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\');
    2 + if plain {
        s.len()
    } else {
        s.chars().map(escaped).sum()
    }
}

/// The payload as a JSON value (raw text that is not JSON becomes a string).
pub fn payload_value(payload: Payload) -> Value {
    match payload {
        Payload::Json(v) => v,
        Payload::Raw(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

/// Python `json.dumps` with default options: `", "`/`": "` separators, ASCII only.
pub fn python_json(value: &Value) -> String {
    let mut out = String::new();
    write_python(value, &mut out);
    out
}

fn write_python(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_python_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python(v, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python_str(k, out);
                out.push_str(": ");
                write_python(v, out);
            }
            out.push('}');
        }
    }
}

fn write_python_str(s: &str, out: &mut String) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match python_escape(c) {
            Some(short) => out.push_str(short),
            None if needs_unicode_escape(c) => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            None => out.push(c),
        }
    }
    out.push('"');
}

/// The two-character escape `json.dumps` writes for `c`, if it has one.
fn python_escape(c: char) -> Option<&'static str> {
    Some(match c {
        '"' => "\\\"",
        '\\' => "\\\\",
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        '\u{08}' => "\\b",
        '\u{0c}' => "\\f",
        _ => return None,
    })
}

/// Whether `json.dumps` (ASCII only) writes `c` as `\uXXXX` escapes.
fn needs_unicode_escape(c: char) -> bool {
    (c as u32) < 0x20 || (c as u32) > 0x7e
}

/// The `lambda:invoke` task result: the Invoke response as Step Functions reports it.
pub fn invoke_response(
    payload: Value,
    payload_len: usize,
    request_id: &str,
    trace_id: &str,
    now: DateTime<Utc>,
) -> Value {
    static TEMPLATE: std::sync::LazyLock<Value> = std::sync::LazyLock::new(response_template);
    let date = http_date(now);
    let len = payload_len.to_string();
    let list = |s: &str| Value::Array(vec![Value::String(s.to_owned())]);
    let mut response = TEMPLATE.clone();
    if let Value::Object(r) = &mut response {
        r.insert("Payload".into(), payload);
        if let Some(Value::Object(http)) = r.get_mut("SdkHttpMetadata") {
            if let Some(Value::Object(all)) = http.get_mut("AllHttpHeaders") {
                all.insert("x-amzn-RequestId".into(), list(request_id));
                all.insert("Content-Length".into(), list(&len));
                all.insert("Date".into(), list(&date));
                all.insert("X-Amzn-Trace-Id".into(), list(trace_id));
            }
            if let Some(Value::Object(headers)) = http.get_mut("HttpHeaders") {
                headers.insert("Content-Length".into(), len.into());
                headers.insert("Date".into(), date.into());
                headers.insert("x-amzn-RequestId".into(), request_id.into());
                headers.insert("X-Amzn-Trace-Id".into(), trace_id.into());
            }
        }
        if let Some(Value::Object(sdk)) = r.get_mut("SdkResponseMetadata") {
            sdk.insert("RequestId".into(), request_id.into());
        }
    }
    response
}

/// The compact JSON text of [`invoke_response`] for the same arguments, written
/// directly: a task's `TaskSucceeded` output, made without building the response
/// document and serialising it. `payload_compact` is the compact JSON text of the
/// payload value.
pub fn invoke_response_text(
    payload_compact: &str,
    payload_len: usize,
    request_id: &str,
    trace_id: &str,
    now: DateTime<Utc>,
) -> String {
    let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let (id, trace, date) = (
        quoted(request_id),
        quoted(trace_id),
        quoted(&http_date(now)),
    );
    let len = format!("\"{payload_len}\"");
    [
        r#"{"ExecutedVersion":"$LATEST","Payload":"#,
        payload_compact,
        r#","SdkHttpMetadata":{"AllHttpHeaders":{"X-Amz-Executed-Version":["$LATEST"],"x-amzn-Remapped-Content-Length":["0"],"Connection":["keep-alive"],"x-amzn-RequestId":["#,
        &id,
        r#"],"Content-Length":["#,
        &len,
        r#"],"Date":["#,
        &date,
        r#"],"X-Amzn-Trace-Id":["#,
        &trace,
        r#"],"Content-Type":["application/json"]},"HttpHeaders":{"Connection":"keep-alive","Content-Length":"#,
        &len,
        r#","Content-Type":"application/json","Date":"#,
        &date,
        r#","X-Amz-Executed-Version":"$LATEST","x-amzn-Remapped-Content-Length":"0","x-amzn-RequestId":"#,
        &id,
        r#","X-Amzn-Trace-Id":"#,
        &trace,
        r#"},"HttpStatusCode":200},"SdkResponseMetadata":{"RequestId":"#,
        &id,
        r#"},"StatusCode":200}"#,
    ]
    .concat()
}

/// The fixed parts of the Invoke response, in AWS's member order (dynamic values filled per call).
fn response_template() -> Value {
    let list = |s: &str| Value::Array(vec![Value::String(s.to_owned())]);
    let mut all = Map::new();
    all.insert("X-Amz-Executed-Version".into(), list("$LATEST"));
    all.insert("x-amzn-Remapped-Content-Length".into(), list("0"));
    all.insert("Connection".into(), list("keep-alive"));
    all.insert("x-amzn-RequestId".into(), Value::Null);
    all.insert("Content-Length".into(), Value::Null);
    all.insert("Date".into(), Value::Null);
    all.insert("X-Amzn-Trace-Id".into(), Value::Null);
    all.insert("Content-Type".into(), list("application/json"));
    let mut headers = Map::new();
    headers.insert("Connection".into(), "keep-alive".into());
    headers.insert("Content-Length".into(), Value::Null);
    headers.insert("Content-Type".into(), "application/json".into());
    headers.insert("Date".into(), Value::Null);
    headers.insert("X-Amz-Executed-Version".into(), "$LATEST".into());
    headers.insert("x-amzn-Remapped-Content-Length".into(), "0".into());
    headers.insert("x-amzn-RequestId".into(), Value::Null);
    headers.insert("X-Amzn-Trace-Id".into(), Value::Null);
    let mut http = Map::new();
    http.insert("AllHttpHeaders".into(), Value::Object(all));
    http.insert("HttpHeaders".into(), Value::Object(headers));
    http.insert("HttpStatusCode".into(), 200.into());
    let mut sdk = Map::new();
    sdk.insert("RequestId".into(), Value::Null);
    let mut response = Map::new();
    response.insert("ExecutedVersion".into(), "$LATEST".into());
    response.insert("Payload".into(), Value::Null);
    response.insert("SdkHttpMetadata".into(), Value::Object(http));
    response.insert("SdkResponseMetadata".into(), Value::Object(sdk));
    response.insert("StatusCode".into(), 200.into());
    Value::Object(response)
}

/// An HTTP `Date` header value (`Thu, 01 Jan 1970 00:00:00 GMT`); written without
/// `format!`, as every invoke response carries one.
fn http_date(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let two = |out: &mut String, n: u32| {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    };
    let mut out = String::with_capacity(32);
    out.push_str(DAYS[t.weekday().num_days_from_monday() as usize]);
    out.push_str(", ");
    two(&mut out, t.day());
    out.push(' ');
    out.push_str(MONTHS[t.month0() as usize]);
    out.push(' ');
    match u32::try_from(t.year()) {
        Ok(y) if y <= 9999 => {
            two(&mut out, y / 100);
            two(&mut out, y % 100);
        }
        _ => out.push_str(&t.year().to_string()),
    }
    out.push(' ');
    two(&mut out, t.hour());
    out.push(':');
    two(&mut out, t.minute());
    out.push(':');
    two(&mut out, t.second());
    out.push_str(" GMT");
    out
}

/// The cause of a `lambda:invoke` function error: AWS re-serialises the error document compactly.
pub fn service_error_cause(raw: &str) -> String {
    match serde_json::from_str::<Value>(raw) {
        Ok(v @ Value::Object(_)) => v.to_string(),
        _ => raw.to_owned(),
    }
}

/// The cause AWS reports when the function does not exist.
pub fn not_found_cause(function_arn: &str, request_id: &str) -> String {
    format!(
        "Function not found: {function_arn}:$LATEST (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: {request_id}; Proxy: null)"
    )
}

/// The function name from a name, a full ARN or a partial ARN (`name:alias`).
pub fn function_name(name_or_arn: &str) -> &str {
    // The first seven `:`-separated parts are all that decide it (every task reads it).
    // Split by hand: a `:` is one byte, and `str::split` searches for it as a char.
    let mut parts = [""; 7];
    let mut count = 0;
    let mut rest = name_or_arn;
    while count < parts.len() {
        match rest.bytes().position(|b| b == b':') {
            Some(at) => {
                parts[count] = &rest[..at];
                rest = &rest[at + 1..];
                count += 1;
            }
            None => {
                parts[count] = rest;
                count += 1;
                break;
            }
        }
    }
    if count == 7 && parts[0] == "arn" {
        return parts[6];
    }
    if count >= 3 && parts[1] == "function" {
        return parts[2];
    }
    parts[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_payload_length_is_that_of_its_text() {
        let values = [
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(-12.5),
            json!(1e300),
            json!(u64::MAX),
            json!(""),
            json!("plain text"),
            json!("quote \" and back \\ slash"),
            json!("\n\r\t\u{8}\u{c}\u{1}\u{7f}"),
            json!("é ✓ 😀"),
            json!([]),
            json!([1, [2, []], {}]),
            json!({"status": "ok", "booking_id": "b1", "nested": {"list": ["é", null, 3]}}),
            json!({"\"key\"": {"": []}}),
        ];
        for v in values {
            let want = python_json(&v).len();
            assert_eq!(payload_len(&Payload::Json(v.clone())), want, "{v}");
        }
        let raw = "not JSON: é";
        assert_eq!(payload_len(&Payload::Raw(raw.into())), raw.len());
    }

    #[test]
    fn http_dates_are_rfc_7231() {
        let cases = [
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (1_795_698_104, "Thu, 26 Nov 2026 13:01:44 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (-30_610_224_000, "Wed, 01 Jan 1000 00:00:00 GMT"),
            (-30_610_224_001, "Tue, 31 Dec 0999 23:59:59 GMT"),
        ];
        for (secs, text) in cases {
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            assert_eq!(http_date(t), text, "{secs}");
        }
    }

    #[test]
    fn python_serialisation_matches_json_dumps() {
        assert_eq!(
            python_json(&json!({"a": [1, "é"], "b": null})),
            r#"{"a": [1, "\u00e9"], "b": null}"#
        );
        assert_eq!(python_json(&json!({})).len(), 2);
    }

    #[test]
    fn invoke_response_has_the_aws_shape() {
        let r = invoke_response(
            json!({}),
            2,
            "rid",
            "trace",
            DateTime::from_timestamp(0, 0).unwrap(),
        );
        assert_eq!(r["StatusCode"], 200);
        assert_eq!(r["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"], "2");
        assert_eq!(
            r["SdkHttpMetadata"]["AllHttpHeaders"]["Content-Length"],
            json!(["2"])
        );
        assert_eq!(
            r["SdkHttpMetadata"]["HttpHeaders"]["Date"],
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
        assert_eq!(r["SdkResponseMetadata"]["RequestId"], "rid");
    }

    #[test]
    fn the_response_text_is_the_response_serialised() {
        let payload = json!({"status": "ok", "note": "a \"quoted\" \u{e9}", "n": [1, 2.5]});
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let text = invoke_response_text(&payload.to_string(), 57, "rid-1", "Root=1-abc", at);
        let value = invoke_response(payload, 57, "rid-1", "Root=1-abc", at);
        assert_eq!(text, serde_json::to_string(&value).unwrap());
    }

    #[test]
    fn function_names_from_arns() {
        assert_eq!(function_name("arn:aws:lambda:us-east-1:1:function:f"), "f");
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:1:function:f:prod"),
            "f"
        );
        assert_eq!(function_name("f"), "f");
        assert_eq!(function_name("123456789012:function:f"), "f");
        assert_eq!(function_name("123456789012:function:f:prod"), "f");
        assert_eq!(function_name("arn:aws:lambda:us-east-1:1:layer"), "arn");
        assert_eq!(function_name(""), "");
        assert_eq!(
            service_error_cause(r#"{"errorMessage": "m", "errorType": "E"}"#),
            r#"{"errorMessage":"m","errorType":"E"}"#
        );
    }
}
