//! Bringing our history into the recorded form (the pack README, approach B):
//! JSON members parsed, fixed Lambda-response rules, the case's transformers,
//! environment names replaced by their placeholders.

use regex::Regex;
use serde_json::{Map, Value};

use super::case::Case;
use crate::engine::lambda::python_json;

/// The case-specific normalisation.
pub struct Normaliser {
    regexes: Vec<(Regex, String)>,
    jsonpaths: Vec<(
        serde_json_path::JsonPath,
        String,
        Option<serde_json_path::JsonPath>,
    )>,
    runtime_values: Vec<(serde_json_path::JsonPath, String)>,
    parallel_branch_events: bool,
    region: String,
}

fn iso_regex() -> &'static Regex {
    static ISO: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}(:?\d{2})?)")
            .unwrap_or_else(|_| unreachable!("the pattern is valid"))
    });
    &ISO
}

impl Normaliser {
    /// Compiles the case's transformers; unusable ones are reported.
    pub fn new(case: &Case) -> Result<Self, String> {
        let mut regexes = Vec::new();
        let mut jsonpaths = Vec::new();
        let mut runtime_values = Vec::new();
        let mut parallel_branch_events = false;
        for t in &case.normalisation.test_transformers {
            match t["kind"].as_str().unwrap_or_default() {
                "regex" => {
                    let pattern = t["pattern"].as_str().unwrap_or_default();
                    let re =
                        Regex::new(pattern).map_err(|e| format!("bad regex transformer: {e}"))?;
                    regexes.push((re, t["replacement"].as_str().unwrap_or_default().to_owned()));
                }
                "jsonpath" if t["reference"] == Value::Bool(false) => {
                    let path = t["path"].as_str().unwrap_or_default();
                    let parsed = serde_json_path::JsonPath::parse(path)
                        .map_err(|e| format!("bad jsonpath transformer {path}: {e}"))?;
                    // The same rule seen from the execution output instead of the history.
                    let prefix = "$..events..executionSucceededEventDetails.output";
                    let for_output = path
                        .strip_prefix(prefix)
                        .and_then(|rest| serde_json_path::JsonPath::parse(&format!("${rest}")).ok())
                        .or_else(|| path.starts_with("$..").then(|| parsed.clone()));
                    jsonpaths.push((
                        parsed,
                        t["replacement"].as_str().unwrap_or_default().to_owned(),
                        for_output,
                    ));
                }
                "runtime_value" => {
                    let path = t["execution_output_path"].as_str().unwrap_or_default();
                    let parsed = serde_json_path::JsonPath::parse(path)
                        .map_err(|e| format!("bad runtime_value path {path}: {e}"))?;
                    runtime_values.push((
                        parsed,
                        t["replacement"].as_str().unwrap_or_default().to_owned(),
                    ));
                }
                "parallel_branch_events" => parallel_branch_events = true,
                // Reference transformers only introduce `<name:N>` tokens, which compare as wildcards.
                _ => {}
            }
        }
        Ok(Self {
            regexes,
            jsonpaths,
            runtime_values,
            parallel_branch_events,
            region: case.environment.region.clone(),
        })
    }

    /// Normalises our history (serialised events) into the recorded form.
    pub fn events(&self, events: Vec<Value>, output: Option<&Value>) -> Vec<Value> {
        let mut events: Vec<Value> = events
            .into_iter()
            .map(|mut e| {
                parse_members(&mut e);
                e
            })
            .collect();
        if self.parallel_branch_events {
            events = parallel_branch_events(events);
        }
        let mut doc = Value::Object(Map::from_iter([(
            "events".to_owned(),
            Value::Array(events),
        )]));
        fixed_rules(&mut doc);
        for (path, replacement, _) in &self.jsonpaths {
            replace_at(&mut doc, path, replacement);
        }
        let Value::Object(mut map) = doc else {
            unreachable!("built as an object")
        };
        let mut events = match map.remove("events") {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        };
        let runtime = self.runtime_strings(output);
        for e in &mut events {
            if let Some(obj) = e.as_object_mut()
                && obj.contains_key("timestamp")
            {
                obj.insert("timestamp".into(), "timestamp".into());
            }
            self.strings(e, &runtime);
        }
        events
    }

    /// Normalises a standalone value (the execution output, error or cause).
    pub fn value(&self, mut value: Value, output: Option<&Value>) -> Value {
        let runtime = self.runtime_strings(output);
        fixed_rules(&mut value);
        for (_, replacement, for_output) in &self.jsonpaths {
            if let Some(p) = for_output {
                replace_at(&mut value, p, replacement);
            }
        }
        self.strings(&mut value, &runtime);
        value
    }

    fn runtime_strings(&self, output: Option<&Value>) -> Vec<(String, String)> {
        let Some(output) = output else {
            return Vec::new();
        };
        self.runtime_values
            .iter()
            .filter_map(|(p, replacement)| {
                let found = p.query(output).first()?;
                let text = match found {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                Some((text, replacement.clone()))
            })
            .collect()
    }

    fn strings(&self, v: &mut Value, runtime: &[(String, String)]) {
        match v {
            Value::String(s) => *s = self.text(s, runtime),
            Value::Array(a) => a.iter_mut().for_each(|x| self.strings(x, runtime)),
            Value::Object(o) => o.values_mut().for_each(|x| self.strings(x, runtime)),
            _ => {}
        }
    }

    fn text(&self, s: &str, runtime: &[(String, String)]) -> String {
        let mut out = s.to_owned();
        for (value, replacement) in runtime {
            if !value.is_empty() {
                out = out.replace(value.as_str(), replacement);
            }
        }
        for (re, replacement) in &self.regexes {
            if out.len() < 65_536 && re.is_match(&out) {
                out = re
                    .replace_all(&out, regex::NoExpand(replacement))
                    .into_owned();
            }
        }
        if !self.region.is_empty() {
            out = out.replace(&self.region, "<region>");
        }
        out = out.replace("arn:aws:", "arn:<partition>:");
        let iso = iso_regex();
        if out.len() >= 20 && iso.is_match(&out) {
            out = iso
                .replace_all(&out, |c: &regex::Captures<'_>| {
                    let m = &c[0];
                    if chrono::NaiveDateTime::parse_from_str(&m[..19], "%Y-%m-%dT%H:%M:%S").is_ok()
                    {
                        "date".to_owned()
                    } else {
                        m.to_owned()
                    }
                })
                .into_owned();
        }
        out
    }
}

/// Step 1: object-member strings that start with `{` and parse become JSON (one level).
pub fn parse_members(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for member in o.values_mut() {
                if let Value::String(s) = member
                    && s.starts_with('{')
                    && let Ok(parsed) = serde_json::from_str::<Value>(s)
                {
                    *member = parsed;
                    continue;
                }
                parse_members(member);
            }
        }
        Value::Array(a) => {
            for item in a {
                if item.is_object() || item.is_array() {
                    parse_members(item);
                }
            }
        }
        _ => {}
    }
}

/// The fixed Lambda-response rules (dates, request and trace ids masked).
pub fn fixed_rules(v: &mut Value) {
    fn walk(v: &mut Value, in_http: bool, in_sdk: bool) {
        match v {
            Value::Object(o) => {
                for (k, member) in o.iter_mut() {
                    match k.as_str() {
                        "Date" if in_http => *member = "date".into(),
                        "RequestId" if in_sdk => *member = "RequestId".into(),
                        "X-Amzn-Trace-Id" | "x-amz-crc32" | "x-amzn-RequestId"
                        | "x-amzn-requestid" => *member = Value::String(k.clone()),
                        "SdkHttpMetadata" => walk(member, true, in_sdk),
                        "SdkResponseMetadata" => walk(member, in_http, true),
                        _ => walk(member, in_http, in_sdk),
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, in_http, in_sdk)),
            _ => {}
        }
    }
    walk(v, false, false);
}

fn replace_at(doc: &mut Value, path: &serde_json_path::JsonPath, replacement: &str) {
    let pointers: Vec<String> = path
        .query_located(doc)
        .into_iter()
        .map(|n| n.location().to_json_pointer())
        .collect();
    for p in pointers {
        if let Some(target) = doc.pointer_mut(&p) {
            *target = Value::String(replacement.to_owned());
        }
    }
}

/// The recording's order-independence procedure for Parallel branch events, side effects included.
fn parallel_branch_events(mut events: Vec<Value>) -> Vec<Value> {
    let mut start = 0usize;
    let mut group: Vec<Value> = Vec::new();
    let mut open = false;
    let mut i = 0usize;
    while i < events.len() {
        let ty = events[i]["type"].as_str().unwrap_or_default().to_owned();
        match ty.as_str() {
            "ParallelStateStarted" => {
                start = i + 1;
                group = Vec::new();
                open = true;
            }
            "ParallelStateSucceeded"
            | "ParallelStateFailed"
            | "ParallelStateAborted"
            | "ParallelStateExited" => {
                let mut sorted = group.clone();
                sorted.sort_by_cached_key(sort_text);
                let end = i.max(start);
                events.splice(start..end, sorted);
                open = false;
            }
            _ if open => {
                if let Some(o) = events[i].as_object_mut() {
                    o.insert("id".into(), Value::Array(vec![0.into()]));
                    o.insert("previousEventId".into(), 0.into());
                }
                group.push(events[i].clone());
            }
            _ => {}
        }
        i += 1;
    }
    events
}

/// Python `json.dumps(event, sort_keys=True)` where values parsed in step 1 keep their order:
/// event-level objects are sorted, payload objects are not.
fn sort_text(event: &Value) -> String {
    const PAYLOAD_KEYS: [&str; 5] = ["input", "output", "parameters", "cause", "error"];
    fn write(v: &Value, out: &mut String, sort: bool) {
        match v {
            Value::Object(o) if sort => {
                let mut keys: Vec<&String> = o.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&python_json(&Value::String((*k).clone())));
                    out.push_str(": ");
                    let payload = PAYLOAD_KEYS.contains(&k.as_str()) && o[*k].is_object();
                    write(&o[*k], out, !payload);
                }
                out.push('}');
            }
            Value::Array(a) if sort => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write(x, out, true);
                }
                out.push(']');
            }
            other => out.push_str(&python_json(other)),
        }
    }
    let mut out = String::new();
    write(event, &mut out, true);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_member_strings_one_level_only() {
        let mut v = json!({"a": "{\"b\": \"{\\\"c\\\": 1}\"}", "l": ["{\"x\": 1}"], "s": "[1]"});
        parse_members(&mut v);
        assert_eq!(v["a"]["b"], json!("{\"c\": 1}"));
        assert_eq!(v["l"][0], json!("{\"x\": 1}"));
        assert_eq!(v["s"], json!("[1]"));
    }

    #[test]
    fn parallel_procedure_drops_events_like_the_recording() {
        let ev = |ty: &str, id: u64| json!({"type": ty, "id": id, "previousEventId": id - 1});
        let events = vec![
            ev("ParallelStateStarted", 1),
            ev("PassStateEntered", 2),
            ev("PassStateExited", 3),
            ev("ParallelStateSucceeded", 4),
            ev("ParallelStateExited", 5),
            ev("ExecutionSucceeded", 6),
        ];
        let out = parallel_branch_events(events);
        let types: Vec<&str> = out.iter().map(|e| e["type"].as_str().unwrap()).collect();
        // The second closing event replaces three events by the two-event group:
        // ParallelStateSucceeded is dropped, exactly as in the recordings.
        assert_eq!(
            types,
            [
                "ParallelStateStarted",
                "PassStateEntered",
                "PassStateExited",
                "ParallelStateExited",
                "ExecutionSucceeded"
            ]
        );
        assert_eq!(out[1]["id"], json!([0]));
    }
}
