//! A state's output text, made from texts the flow already has where it can be: a
//! saga's document is kilobytes long and is written into the history at every step.

use serde_json::Value;

use crate::asl::limits::MAX_PAYLOAD_BYTES as PAYLOAD_LIMIT_BYTES;

/// A task's output when its ResultPath is one top-level field and it has no
/// OutputPath: the input object itself, taken, with the result stored under `key`
/// (what `apply_result_path` gives on a copy). `None`, with the input left exactly as
/// it was for a catcher, when the output would exceed the payload limit.
/// `text_len` is the output text's length when the caller has the text: then the
/// document is not measured again.
pub(super) fn place_result(
    input: &mut Value,
    key: &str,
    result: Value,
    text_len: Option<usize>,
) -> Option<Value> {
    let Value::Object(map) = input else {
        unreachable!("only object inputs are placed into")
    };
    let previous = map.insert(key.to_owned(), result);
    let too_large = match text_len {
        Some(len) => len > PAYLOAD_LIMIT_BYTES,
        None => output_too_large(input),
    };
    if too_large {
        let Value::Object(map) = input else {
            unreachable!("still the same object")
        };
        match previous {
            // Same position: replacing a member keeps its place.
            Some(v) => map.insert(key.to_owned(), v),
            // The new member was appended last: removing it restores the order.
            None => map.shift_remove(key),
        };
        return None;
    }
    Some(std::mem::take(input))
}

/// The compact JSON text of an object input with `result` stored under the new
/// top-level field `key`, made from their texts: exactly what serialising the merged
/// value gives when `input_text` is the compact text of an object without that field,
/// since the new member is then appended last.
pub(super) fn spliced_output(input_text: &str, key: &str, result_text: &str) -> Option<String> {
    if !input_text.starts_with('{') || !input_text.ends_with('}') {
        return None;
    }
    let mut out = Vec::with_capacity(input_text.len() + key.len() + result_text.len() + 8);
    out.extend_from_slice(&input_text.as_bytes()[..input_text.len() - 1]);
    if input_text.len() > 2 {
        out.push(b',');
    }
    write_json(&mut out, key)?;
    out.push(b':');
    out.extend_from_slice(result_text.as_bytes());
    out.push(b'}');
    String::from_utf8(out).ok()
}

/// The compact JSON text of `value`, the result of the object template `members`,
/// with the text of every `"key.$": "$"` member taken from `input_text` (the compact
/// text of the whole input) instead of serialising that copy of the input again.
pub(super) fn template_text(
    members: &[(String, crate::asl::template::Template)],
    value: &Value,
    input_text: &str,
) -> Option<String> {
    use crate::asl::template::Template;
    let map = value.as_object()?;
    if map.len() != members.len() {
        return None;
    }
    let mut out = Vec::with_capacity(input_text.len() + 64 * members.len());
    out.push(b'{');
    for (i, ((key, template), (member, v))) in members.iter().zip(map).enumerate() {
        if key != member {
            return None;
        }
        if i > 0 {
            out.push(b',');
        }
        write_json(&mut out, key)?;
        out.push(b':');
        match template {
            Template::Path(p) if p.is_whole_input() => out.extend_from_slice(input_text.as_bytes()),
            _ => write_json(&mut out, v)?,
        }
    }
    out.push(b'}');
    String::from_utf8(out).ok()
}

/// Appends the compact JSON text of `value` (a key is written as the JSON string it
/// is), straight into the text being assembled.
fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Option<()> {
    serde_json::to_writer(out, value).ok()
}

/// Compact JSON text of a value (AWS's payload form), via the fast writer path.
pub(super) fn json_text(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

pub(super) fn output_too_large(output: &Value) -> bool {
    // Cheap pre-check: only long strings or big containers can exceed the limit.
    fn rough(v: &Value) -> usize {
        match v {
            Value::String(s) => s.len() + 2,
            Value::Array(a) => a.iter().map(rough).sum::<usize>() + a.len() + 2,
            Value::Object(o) => o.iter().map(|(k, v)| k.len() + 3 + rough(v)).sum::<usize>() + 2,
            _ => 8,
        }
    }
    rough(output) > PAYLOAD_LIMIT_BYTES / 2 && json_text(output).len() > PAYLOAD_LIMIT_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asl::model::ResultTarget;
    use crate::engine::context::{Scope, StateFacts};
    use crate::engine::dataflow::{Env, apply_result_path, eval_template};
    use rand::rngs::StdRng;
    use serde_json::json;

    #[test]
    fn a_spliced_output_is_the_merged_value_serialised() {
        let result = json!({"Payload": {"ok": true, "s": "a\"b"}, "StatusCode": 200});
        for (input, key) in [
            (json!({"trip": "t1", "n": 1.5}), "Res"),
            (json!({}), "Res"),
            (json!({"a": [1, {"b": null}]}), "k\"é\n"),
        ] {
            let mut merged = input.clone();
            merged
                .as_object_mut()
                .unwrap()
                .insert(key.to_owned(), result.clone());
            let spliced = spliced_output(&json_text(&input), key, &json_text(&result)).unwrap();
            assert_eq!(spliced, json_text(&merged));
        }
        assert!(spliced_output("[1]", "Res", "3").is_none());
    }

    #[test]
    fn a_placed_result_is_what_the_result_path_gives_on_a_copy() {
        let path = ResultTarget::At(vec![crate::asl::path::Segment::Key("Res".into())]);
        for input in [
            json!({"a": 1, "b": [2]}),
            json!({"Res": 0, "b": 2}),
            json!({}),
        ] {
            let want = apply_result_path(&path, input.clone(), json!({"ok": true})).unwrap();
            let mut taken = input.clone();
            let got = place_result(&mut taken, "Res", json!({"ok": true}), None).unwrap();
            assert_eq!(json_text(&got), json_text(&want), "member order too");
        }
    }

    #[test]
    fn an_oversized_result_leaves_the_input_exactly_as_it_was() {
        let big = Value::String("x".repeat(PAYLOAD_LIMIT_BYTES));
        for input in [
            json!({"a": 1, "Res": "old", "z": 2}),
            json!({"a": 1, "z": 2}),
        ] {
            let mut kept = input.clone();
            assert!(place_result(&mut kept, "Res", big.clone(), None).is_none());
            assert_eq!(json_text(&kept), json_text(&input), "member order too");
            // The same when the caller measured the output's text instead.
            let mut kept = input.clone();
            let len = json_text(&input).len() + json_text(&big).len();
            assert!(place_result(&mut kept, "Res", big.clone(), Some(len)).is_none());
            assert_eq!(json_text(&kept), json_text(&input), "member order too");
        }
    }

    #[test]
    fn a_template_text_is_the_evaluated_template_serialised() {
        use crate::asl::template::Template;
        use crate::engine::context::ExecutionFacts;
        use rand::SeedableRng;
        let template = Template::compile(&json!({
            "FunctionName": "arn:f",
            "Payload.$": "$",
            "Part.$": "$.a",
            "k\"é": {"n.$": "$.a[0]"}
        }))
        .unwrap();
        let Template::Object(members) = &template else {
            panic!("an object template");
        };
        let input = json!({"a": [1, "x\"y"], "b": {"c": null}});
        let facts = ExecutionFacts {
            input: input.to_string().into(),
            ..crate::engine::dataflow::tests::facts()
        };
        let mut rng = StdRng::seed_from_u64(1);
        let mut env = Env {
            scope: Scope {
                execution: &facts,
                state: StateFacts {
                    name: "S",
                    entered_time: chrono::DateTime::from_timestamp(0, 0).unwrap(),
                    retry_count: None,
                    map_item: None,
                    task_token: None,
                },
            },
            rng: &mut rng,
        };
        let value = eval_template(&template, &input, &mut env).unwrap();
        let text = template_text(members, &value, &json_text(&input)).unwrap();
        assert_eq!(text, json_text(&value));
    }
}
