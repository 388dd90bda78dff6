//! Evaluation of intrinsic functions (`States.Format`, `States.MathAdd`, ...).

use std::borrow::Cow;

use base64::Engine as _;
use rand::rngs::StdRng;
use rand::{Rng, RngExt, SeedableRng};
use serde_json::{Map, Value};

use super::context::{Env, select};
use super::dataflow::PayloadSize;
use super::error::StatesError;
use crate::asl::intrinsic::{IntrinsicArg, IntrinsicCall, IntrinsicFn};

/// Runs one intrinsic call against the state input.
pub fn evaluate(
    call: &IntrinsicCall,
    input: &Value,
    env: &mut Env<'_>,
) -> Result<Value, StatesError> {
    let mut args = Vec::with_capacity(call.args.len());
    let mut size = PayloadSize::for_copies(call.copies());
    for arg in &call.args {
        let value =
            match arg {
                IntrinsicArg::Literal(v) => v.clone(),
                IntrinsicArg::Path(p) => select(p, input, &env.scope)
                    .map(Cow::into_owned)
                    .map_err(|_| {
                        StatesError::runtime(format!(
                            "The JSONPath '{}' could not be found in the input '{input}' for {}",
                            p.text(),
                            call.function.name()
                        ))
                    })?,
                IntrinsicArg::Call(inner) => evaluate(inner, input, env)?,
            };
        if let Some(size) = &mut size {
            size.add(&value)?;
        }
        args.push(value);
    }
    apply(call.function, args, env.rng)
}

fn fail(f: IntrinsicFn, why: impl std::fmt::Display) -> StatesError {
    StatesError::runtime(format!("{}: {why}", f.name()))
}

fn arity(f: IntrinsicFn, args: &[Value], min: usize, max: usize) -> Result<(), StatesError> {
    if args.len() < min || args.len() > max {
        return Err(fail(
            f,
            format!("expected {min}..={max} arguments, got {}", args.len()),
        ));
    }
    Ok(())
}

fn string_arg(f: IntrinsicFn, v: &Value) -> Result<String, StatesError> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| fail(f, format!("expected a string argument, got {v}")))
}

fn array_arg(f: IntrinsicFn, v: &Value) -> Result<Vec<Value>, StatesError> {
    v.as_array()
        .cloned()
        .ok_or_else(|| fail(f, format!("expected an array argument, got {v}")))
}

fn int_arg(f: IntrinsicFn, v: &Value) -> Result<i64, StatesError> {
    if let Some(i) = v.as_i64() {
        return Ok(i);
    }
    v.as_f64()
        .filter(|x| x.fract() == 0.0)
        .map(|x| x as i64)
        .ok_or_else(|| fail(f, format!("expected an integer argument, got {v}")))
}

/// Java `Math.round`: half-way values round towards positive infinity.
fn java_round(f: IntrinsicFn, v: &Value) -> Result<i64, StatesError> {
    v.as_f64()
        .map(|x| (x + 0.5).floor() as i64)
        .ok_or_else(|| fail(f, format!("expected a number argument, got {v}")))
}

fn apply(f: IntrinsicFn, args: Vec<Value>, rng: &mut StdRng) -> Result<Value, StatesError> {
    use IntrinsicFn as F;
    match f {
        F::Format => {
            if args.is_empty() {
                return Err(fail(f, "missing the format string"));
            }
            let template = string_arg(f, &args[0])?;
            format(f, &template, &args[1..]).map(Value::String)
        }
        F::StringToJson => {
            arity(f, &args, 1, 1)?;
            let s = string_arg(f, &args[0])?;
            if s.trim().is_empty() {
                return Ok(Value::Null);
            }
            serde_json::from_str(&s).map_err(|e| fail(f, format!("invalid JSON text: {e}")))
        }
        F::JsonToString => {
            arity(f, &args, 1, 1)?;
            Ok(Value::String(args[0].to_string()))
        }
        F::Array => Ok(Value::Array(args)),
        F::ArrayPartition => {
            arity(f, &args, 2, 2)?;
            let items = array_arg(f, &args[0])?;
            let size = int_arg(f, &args[1])?;
            if size <= 0 {
                return Err(fail(f, "the chunk size must be positive"));
            }
            Ok(Value::Array(
                items
                    .chunks(size as usize)
                    .map(|c| Value::Array(c.to_vec()))
                    .collect(),
            ))
        }
        F::ArrayContains => {
            arity(f, &args, 2, 2)?;
            let items = array_arg(f, &args[0])?;
            Ok(Value::Bool(items.contains(&args[1])))
        }
        F::ArrayRange => {
            arity(f, &args, 3, 3)?;
            let (start, end, step) = (
                int_arg(f, &args[0])?,
                int_arg(f, &args[1])?,
                int_arg(f, &args[2])?,
            );
            if step == 0 {
                return Err(fail(f, "the step must not be 0"));
            }
            let mut out = Vec::new();
            let mut i = start;
            while (step > 0 && i <= end) || (step < 0 && i >= end) {
                out.push(Value::from(i));
                if out.len() > 1000 {
                    return Err(fail(f, "the range has more than 1000 items"));
                }
                // Past i64's range there is no next item: the range ends there.
                match i.checked_add(step) {
                    Some(next) => i = next,
                    None => break,
                }
            }
            Ok(Value::Array(out))
        }
        F::ArrayGetItem => {
            arity(f, &args, 2, 2)?;
            let items = array_arg(f, &args[0])?;
            let index = int_arg(f, &args[1])?;
            usize::try_from(index)
                .ok()
                .and_then(|i| items.get(i).cloned())
                .ok_or_else(|| fail(f, format!("index {index} is out of bounds")))
        }
        F::ArrayLength => {
            arity(f, &args, 1, 1)?;
            Ok(Value::from(array_arg(f, &args[0])?.len()))
        }
        F::ArrayUnique => {
            arity(f, &args, 1, 1)?;
            // By a canonical text of each item rather than comparing every pair: the
            // cost stays linear in the array's size.
            let mut seen = std::collections::HashSet::new();
            let mut out: Vec<Value> = Vec::new();
            for item in array_arg(f, &args[0])? {
                let mut key = String::new();
                canonical_text(&item, &mut key);
                if seen.insert(key) {
                    out.push(item);
                }
            }
            Ok(Value::Array(out))
        }
        F::Base64Encode => {
            arity(f, &args, 1, 1)?;
            let s = string_arg(f, &args[0])?;
            Ok(Value::String(
                base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
            ))
        }
        F::Base64Decode => {
            arity(f, &args, 1, 1)?;
            let s = string_arg(f, &args[0])?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s.as_bytes())
                .map_err(|e| fail(f, e))?;
            String::from_utf8(bytes)
                .map(Value::String)
                .map_err(|e| fail(f, e))
        }
        F::Hash => {
            arity(f, &args, 2, 2)?;
            let data = string_arg(f, &args[0])?;
            let algorithm = string_arg(f, &args[1])?;
            hash(&data, &algorithm)
                .map(Value::String)
                .ok_or_else(|| fail(f, format!("unsupported algorithm '{algorithm}'")))
        }
        F::JsonMerge => {
            arity(f, &args, 3, 3)?;
            let (Some(a), Some(b)) = (args[0].as_object(), args[1].as_object()) else {
                return Err(fail(f, "both inputs must be JSON objects"));
            };
            if args[2] != Value::Bool(false) {
                return Err(fail(f, "only shallow merges (false) are supported"));
            }
            let mut merged: Map<String, Value> = a.clone();
            for (k, v) in b {
                merged.insert(k.clone(), v.clone());
            }
            Ok(Value::Object(merged))
        }
        F::MathRandom => {
            arity(f, &args, 2, 3)?;
            let start = java_round(f, &args[0])?;
            let end = java_round(f, &args[1])?;
            if end <= start {
                return Err(fail(f, "the end must be greater than the start"));
            }
            let value = match args.get(2) {
                Some(seed) => {
                    let seed = int_arg(f, seed)?;
                    StdRng::seed_from_u64(seed as u64).random_range(start..end)
                }
                None => rng.random_range(start..end),
            };
            Ok(Value::from(value))
        }
        F::MathAdd => {
            arity(f, &args, 2, 2)?;
            let sum = java_round(f, &args[0])?
                .checked_add(java_round(f, &args[1])?)
                .ok_or_else(|| fail(f, "overflow"))?;
            Ok(Value::from(sum))
        }
        F::StringSplit => {
            arity(f, &args, 2, 2)?;
            let s = string_arg(f, &args[0])?;
            let delimiters = string_arg(f, &args[1])?;
            // A set, so that a long delimiter string costs no more per character.
            let delimiters: std::collections::HashSet<char> = delimiters.chars().collect();
            Ok(Value::Array(
                s.split(|c| delimiters.contains(&c))
                    .filter(|p| !p.is_empty())
                    .map(|p| Value::String(p.to_owned()))
                    .collect(),
            ))
        }
        F::Uuid => {
            arity(f, &args, 0, 0)?;
            Ok(Value::String(random_uuid(rng)))
        }
    }
}

/// A text of `v` equal for equal values: JSON with object members in key order, as
/// values compare equal whatever the order of their members.
fn canonical_text(v: &Value, out: &mut String) {
    match v {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_text(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<_> = members.iter().collect();
            sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical_text(v, out);
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// A version 4 UUID drawn from the execution's random source.
pub fn random_uuid(rng: &mut StdRng) -> String {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

fn format(f: IntrinsicFn, template: &str, args: &[Value]) -> Result<String, StatesError> {
    let mut out = String::with_capacity(template.len());
    let mut next_arg = 0;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                let arg = args
                    .get(next_arg)
                    .ok_or_else(|| fail(f, "more placeholders than arguments"))?;
                next_arg += 1;
                render_java(arg, &mut out);
            }
            c => out.push(c),
        }
    }
    if next_arg != args.len() {
        return Err(fail(f, "more arguments than placeholders"));
    }
    Ok(out)
}

/// Renders a value the way AWS's Java implementation prints it in States.Format.
fn render_java(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => out.push_str(s),
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                render_java(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render_java(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn hash(data: &str, algorithm: &str) -> Option<String> {
    use sha2::Digest as _;
    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
    let bytes = data.as_bytes();
    Some(match algorithm {
        "MD5" => hex(&md5::Md5::digest(bytes)),
        "SHA-1" => hex(&sha1::Sha1::digest(bytes)),
        "SHA-256" => hex(&sha2::Sha256::digest(bytes)),
        "SHA-384" => hex(&sha2::Sha384::digest(bytes)),
        "SHA-512" => hex(&sha2::Sha512::digest(bytes)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(f: IntrinsicFn, args: Value) -> Result<Value, StatesError> {
        let mut rng = StdRng::seed_from_u64(7);
        apply(f, args.as_array().unwrap().clone(), &mut rng)
    }

    #[test]
    fn format_renders_like_aws() {
        assert_eq!(
            run(
                IntrinsicFn::Format,
                json!(["a={} b={} c={}", "x", {"k": [1, 2]}, null])
            )
            .unwrap(),
            json!("a=x b={k=[1, 2]} c=null")
        );
        assert!(run(IntrinsicFn::Format, json!(["{} {}", 1])).is_err());
    }

    #[test]
    fn math_add_rounds_each_argument_half_up() {
        assert_eq!(
            run(IntrinsicFn::MathAdd, json!([-0.5, 0.5])).unwrap(),
            json!(1)
        );
        assert_eq!(
            run(IntrinsicFn::MathAdd, json!([-1.51, 0])).unwrap(),
            json!(-2)
        );
        assert_eq!(
            run(IntrinsicFn::MathAdd, json!([2.5, 0])).unwrap(),
            json!(3)
        );
    }

    #[test]
    fn array_functions() {
        assert_eq!(
            run(IntrinsicFn::ArrayPartition, json!([[0, 1, 2], 2])).unwrap(),
            json!([[0, 1], [2]])
        );
        assert_eq!(
            run(IntrinsicFn::ArrayRange, json!([1, 9, 2])).unwrap(),
            json!([1, 3, 5, 7, 9])
        );
        assert_eq!(
            run(IntrinsicFn::ArrayRange, json!([i64::MAX - 1, i64::MAX, 5])).unwrap(),
            json!([i64::MAX - 1])
        );
        assert_eq!(
            run(IntrinsicFn::ArrayRange, json!([i64::MIN + 1, i64::MIN, -5])).unwrap(),
            json!([i64::MIN + 1])
        );
        assert_eq!(
            run(IntrinsicFn::ArrayUnique, json!([[1, 1, 2]])).unwrap(),
            json!([1, 2])
        );
        // Values compare equal whatever the order of their members; 1 and 1.0 differ,
        // as serde_json compares them.
        assert_eq!(
            run(
                IntrinsicFn::ArrayUnique,
                json!([[{"a": 1, "b": [2]}, {"b": [2], "a": 1}, 1, 1.0, "1", {"a": 1}]])
            )
            .unwrap(),
            json!([{"a": 1, "b": [2]}, 1, 1.0, "1", {"a": 1}])
        );
        assert_eq!(
            run(IntrinsicFn::StringSplit, json!([", , ,", ","])).unwrap(),
            json!([" ", " "])
        );
    }

    #[test]
    fn hashes_and_base64() {
        assert_eq!(
            run(IntrinsicFn::Hash, json!(["input data", "MD5"])).unwrap(),
            json!("812f45842bc6d66ee14572ce20db8e86")
        );
        assert_eq!(
            run(IntrinsicFn::Base64Encode, json!(["Data to encode"])).unwrap(),
            json!("RGF0YSB0byBlbmNvZGU=")
        );
    }

    #[test]
    fn random_values_come_from_the_seeded_source() {
        let a = run(IntrinsicFn::MathRandom, json!([0, 1000])).unwrap();
        let b = run(IntrinsicFn::MathRandom, json!([0, 1000])).unwrap();
        assert_eq!(a, b);
        let n = a.as_i64().unwrap();
        assert!((0..1000).contains(&n));
        let u = run(IntrinsicFn::Uuid, json!([])).unwrap();
        assert_eq!(u.as_str().unwrap().len(), 36);
        assert_eq!(&u.as_str().unwrap()[14..15], "4");
    }
}
