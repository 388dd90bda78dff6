//! Comparing a normalised value with a recorded one, placeholders as wildcards.

use serde_json::Value;

/// Compares `actual` with `expected`; on a difference, returns `path: expected X, got Y`.
///
/// In `expected`, the strings `timestamp`, `date` and `datetime` match any scalar,
/// and every `<name:N>` token inside a string matches any non-empty text.
pub fn compare(path: &str, expected: &Value, actual: &Value) -> Result<(), String> {
    match (expected, actual) {
        (Value::String(e), a) if matches!(e.as_str(), "timestamp" | "date" | "datetime") => {
            if a.is_object() || a.is_array() {
                Err(diff(path, expected, actual))
            } else {
                Ok(())
            }
        }
        (Value::String(e), Value::String(a)) => {
            if e == a || token_match(e, a) {
                Ok(())
            } else {
                Err(diff(path, expected, actual))
            }
        }
        (Value::Number(e), Value::Number(a)) => {
            if e == a || e.as_f64() == a.as_f64() {
                Ok(())
            } else {
                Err(diff(path, expected, actual))
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                compare(&format!("{path}[{i}]"), x, y)?;
            }
            if e.len() != a.len() {
                return Err(format!(
                    "{path}: expected {} items, got {}",
                    e.len(),
                    a.len()
                ));
            }
            Ok(())
        }
        (Value::Object(e), Value::Object(a)) => {
            for (k, x) in e {
                match a.get(k) {
                    Some(y) => compare(&format!("{path}.{k}"), x, y)?,
                    None => return Err(format!("{path}.{k}: missing (expected {})", short(x))),
                }
            }
            if let Some(k) = a.keys().find(|k| !e.contains_key(*k)) {
                return Err(format!("{path}.{k}: unexpected member ({})", short(&a[k])));
            }
            Ok(())
        }
        (e, a) if e == a => Ok(()),
        _ => Err(diff(path, expected, actual)),
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 160 {
        let cut: String = s.chars().take(160).collect();
        format!("{cut}...")
    } else {
        s
    }
}

fn diff(path: &str, expected: &Value, actual: &Value) -> String {
    format!(
        "{path}: expected {}, got {}",
        short(expected),
        short(actual)
    )
}

/// Whether `actual` matches `expected` where each `<name:N>` token stands for any non-empty text.
fn token_match(expected: &str, actual: &str) -> bool {
    let parts = split_tokens(expected);
    if parts.len() < 2 {
        return false;
    }
    // parts alternate literal, token, literal, ...; match literals left to right, lazily.
    let literals: Vec<&str> = parts.iter().step_by(2).copied().collect();
    let Some(rest) = actual.strip_prefix(literals[0]) else {
        return false;
    };
    glob(&literals[1..], rest)
}

fn glob(literals: &[&str], text: &str) -> bool {
    let Some((first, others)) = literals.split_first() else {
        return true;
    };
    if others.is_empty() {
        // The last token must be followed by exactly the final literal.
        return text.len() > first.len() && text.ends_with(first);
    }
    let mut from = 1;
    while from <= text.len() {
        let Some(pos) = text.get(from..).and_then(|t| t.find(first)) else {
            return false;
        };
        let at = from + pos;
        if glob(others, &text[at + first.len()..]) {
            return true;
        }
        from = at + 1;
        while !text.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

/// Splits into literal, token, literal, ... (always starting and ending with a literal).
fn split_tokens(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut last = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'<'
            && let Some(len) = token_len(&s[i..])
        {
            parts.push(&s[last..i]);
            parts.push(&s[i..i + len]);
            i += len;
            last = i;
            continue;
        }
        i += 1;
    }
    parts.push(&s[last..]);
    parts
}

/// Length of a `<name:N>` token at the start of `s`.
fn token_len(s: &str) -> Option<usize> {
    let close = s.find('>')?;
    let inner = &s[1..close];
    let (name, number) = inner.rsplit_once(':')?;
    let ok = !name.is_empty()
        && !name.contains(['<', ' ', ':'])
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(close + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcards_and_tokens() {
        assert!(compare("$", &json!({"t": "timestamp"}), &json!({"t": "2020"})).is_ok());
        assert!(compare("$", &json!("id <uuid:1> end"), &json!("id 123-abc end")).is_ok());
        assert!(compare("$", &json!("id <uuid:1> end"), &json!("id 123 fin")).is_err());
        assert!(compare("$", &json!("<a:1>-<b:2>"), &json!("x-y-z")).is_ok());
        assert!(compare("$", &json!("<a:1>"), &json!("")).is_err());
    }

    #[test]
    fn reports_the_first_differing_path() {
        let err = compare(
            "$",
            &json!({"a": [1, {"b": 2}]}),
            &json!({"a": [1, {"b": 3}]}),
        )
        .unwrap_err();
        assert_eq!(err, "$.a[1].b: expected 2, got 3");
        let err = compare("$", &json!({"a": 1}), &json!({"a": 1, "z": 0})).unwrap_err();
        assert!(err.starts_with("$.z: unexpected member"));
        assert!(compare("$", &json!(1.0), &json!(1)).is_ok());
    }
}
