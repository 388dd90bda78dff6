//! JSONPath as Amazon States Language uses it.
//!
//! Plain paths (`$.a.b[0]`, `$['a b']`) are by far the most common and are
//! evaluated directly: that is fast and gives the exact "missing property"
//! location AWS reports.  Everything else (wildcards, slices, filters,
//! recursive descent) is translated to RFC 9535 syntax and evaluated by
//! `serde_json_path`; such paths always produce an array, as in AWS.

use super::limits::MAX_PATH_NESTING;
use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::Value;

/// One step of a plain path: a member name or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// `.name` or `['name']`.
    Key(String),
    /// `[3]`.
    Index(usize),
}

/// A compiled JSONPath, relative to the state input (`$`) or to the context object (`$$`).
#[derive(Debug, Clone)]
pub struct JsonPath {
    text: String,
    context: bool,
    kind: PathKind,
}

#[derive(Debug, Clone)]
enum PathKind {
    Plain(Vec<Segment>),
    Query(serde_json_path::JsonPath),
}

/// A path that matched nothing where a value was required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathMiss {
    /// The part of the path that was missing, in bracket notation (`$['no']`).
    pub missing: String,
}

enum Token {
    Key(String),
    Index(usize),
    Raw(String),
    Descend(Option<String>),
    Wild,
}

impl JsonPath {
    /// Compiles a path; `$$...` paths address the context object.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (context, rest) = if let Some(rest) = text.strip_prefix("$$") {
            (true, rest)
        } else if let Some(rest) = text.strip_prefix('$') {
            (false, rest)
        } else {
            return Err(format!(
                "'{text}' is not a JSONPath (it must start with '$')"
            ));
        };
        let tokens = tokenize(rest).map_err(|e| format!("invalid JSONPath '{text}': {e}"))?;
        let plain = tokens
            .iter()
            .all(|t| matches!(t, Token::Key(_) | Token::Index(_)));
        let kind = if plain {
            PathKind::Plain(
                tokens
                    .into_iter()
                    .map(|t| match t {
                        Token::Key(k) => Segment::Key(k),
                        Token::Index(i) => Segment::Index(i),
                        _ => unreachable!("checked plain above"),
                    })
                    .collect(),
            )
        } else {
            let rfc = to_rfc9535(&tokens);
            let parsed = serde_json_path::JsonPath::parse(&rfc)
                .map_err(|e| format!("invalid JSONPath '{text}': {e}"))?;
            PathKind::Query(parsed)
        };
        Ok(Self {
            text: text.to_owned(),
            context,
            kind,
        })
    }

    /// The path as written in the definition.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// True for `$`: the whole input, which lets a caller that already has the input's
    /// text reuse it instead of serialising the selected value again.
    pub fn is_whole_input(&self) -> bool {
        !self.context && matches!(&self.kind, PathKind::Plain(s) if s.is_empty())
    }

    /// True when the path starts with `$$` (the context object).
    pub fn is_context(&self) -> bool {
        self.context
    }

    /// The segments of a plain path (no wildcard, slice, filter or descent).
    pub fn plain_segments(&self) -> Option<&[Segment]> {
        match &self.kind {
            PathKind::Plain(s) => Some(s),
            PathKind::Query(_) => None,
        }
    }

    /// Evaluates the path; plain paths must exist, query paths give an array of matches.
    pub fn select<'v>(&self, root: &'v Value) -> Result<Cow<'v, Value>, PathMiss> {
        match &self.kind {
            PathKind::Plain(segments) => select_plain(root, segments).map(Cow::Borrowed),
            PathKind::Query(q) => Ok(Cow::Owned(Value::Array(
                q.query(root).all().into_iter().cloned().collect(),
            ))),
        }
    }
}

fn select_plain<'v>(root: &'v Value, segments: &[Segment]) -> Result<&'v Value, PathMiss> {
    let mut current = root;
    for (i, segment) in segments.iter().enumerate() {
        let next = match segment {
            Segment::Key(k) => current.as_object().and_then(|o| o.get(k)),
            Segment::Index(n) => current.as_array().and_then(|a| a.get(*n)),
        };
        match next {
            Some(v) => current = v,
            None => {
                return Err(PathMiss {
                    missing: bracket_notation(&segments[..=i]),
                });
            }
        }
    }
    Ok(current)
}

/// [`select_plain`]'s twin for a caller that owns the document: takes the value at
/// `segments` out of `root` (leaving `null`) rather than copying it; `None`, with
/// `root` untouched, when there is no such value.
pub fn take_plain(root: &mut Value, segments: &[Segment]) -> Option<Value> {
    let mut current = root;
    for segment in segments {
        current = match segment {
            Segment::Key(k) => current.as_object_mut()?.get_mut(k)?,
            Segment::Index(n) => current.as_array_mut()?.get_mut(*n)?,
        };
    }
    Some(current.take())
}

/// Renders segments the way AWS names a location in error messages: `$['a']['b'][0]`.
pub fn bracket_notation(segments: &[Segment]) -> String {
    let mut out = String::from("$");
    for s in segments {
        match s {
            Segment::Key(k) => {
                let _ = write!(out, "['{k}']");
            }
            Segment::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

fn tokenize(rest: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = rest.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                if chars.get(i + 1) == Some(&'.') {
                    i += 2;
                    if chars.get(i) == Some(&'*') {
                        tokens.push(Token::Descend(None));
                        i += 1;
                    } else if chars.get(i) == Some(&'[') {
                        tokens.push(Token::Descend(None));
                    } else {
                        let (name, next) = read_name(&chars, i);
                        if name.is_empty() {
                            return Err("empty member name after '..'".into());
                        }
                        tokens.push(Token::Descend(Some(name)));
                        i = next;
                    }
                } else if chars.get(i + 1) == Some(&'*') {
                    tokens.push(Token::Wild);
                    i += 2;
                } else {
                    let (name, next) = read_name(&chars, i + 1);
                    if name.is_empty() {
                        return Err("empty member name".into());
                    }
                    tokens.push(Token::Key(name));
                    i = next;
                }
            }
            '[' => {
                let close = matching_bracket(&chars, i)?;
                let inner: String = chars[i + 1..close].iter().collect();
                let trimmed = inner.trim();
                if let Some(name) = quoted(trimmed) {
                    tokens.push(Token::Key(name));
                } else if !trimmed.is_empty() && trimmed.chars().all(|c| c.is_ascii_digit()) {
                    let n = trimmed
                        .parse()
                        .map_err(|_| format!("bad index '{trimmed}'"))?;
                    tokens.push(Token::Index(n));
                } else if trimmed == "*" {
                    tokens.push(Token::Wild);
                } else if trimmed.is_empty() {
                    return Err("empty brackets".into());
                } else {
                    tokens.push(Token::Raw(inner));
                }
                i = close + 1;
            }
            c => return Err(format!("unexpected character '{c}'")),
        }
    }
    Ok(tokens)
}

fn read_name(chars: &[char], start: usize) -> (String, usize) {
    let mut end = start;
    while end < chars.len() && chars[end] != '.' && chars[end] != '[' {
        end += 1;
    }
    (chars[start..end].iter().collect(), end)
}

fn matching_bracket(chars: &[char], open: usize) -> Result<usize, String> {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    let mut quote: Option<char> = None;
    let mut i = open;
    while i < chars.len() {
        let c = chars[i];
        if let Some(q) = quote {
            if c == '\\' {
                i += 1;
            } else if c == q {
                quote = None;
            }
        } else {
            match c {
                '\'' | '"' => quote = Some(c),
                '[' | '(' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                    if deepest > MAX_PATH_NESTING {
                        return Err(format!(
                            "brackets and parentheses nest more than {MAX_PATH_NESTING} deep"
                        ));
                    }
                }
                ']' | ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return if c == ']' {
                            Ok(i)
                        } else {
                            Err("unbalanced parentheses".into())
                        };
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    Err("unclosed '['".into())
}

fn quoted(s: &str) -> Option<String> {
    let q = s.chars().next()?;
    if (q != '\'' && q != '"') || s.len() < 2 || !s.ends_with(q) {
        return None;
    }
    let body = &s[1..s.len() - 1];
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.clone().next() == Some(q) {
            out.push(chars.next()?);
        } else if c == q {
            return None;
        } else {
            out.push(c);
        }
    }
    Some(out)
}

fn to_rfc9535(tokens: &[Token]) -> String {
    let mut out = String::from("$");
    for t in tokens {
        match t {
            Token::Key(k) => {
                out.push('[');
                out.push_str(&quote_name(k));
                out.push(']');
            }
            Token::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
            Token::Raw(inner) => {
                out.push('[');
                out.push_str(inner);
                out.push(']');
            }
            Token::Descend(Some(name)) => {
                out.push_str("..[");
                out.push_str(&quote_name(name));
                out.push(']');
            }
            Token::Descend(None) => out.push_str(".."),
            Token::Wild => out.push_str("[*]"),
        }
    }
    // `..` directly followed by a bracket is valid RFC 9535; a trailing `..` is not.
    if out.ends_with("..") {
        out.push('*');
    }
    out
}

fn quote_name(name: &str) -> String {
    let mut s = String::with_capacity(name.len() + 2);
    s.push('\'');
    for c in name.chars() {
        match c {
            '\'' => s.push_str("\\'"),
            '\\' => s.push_str("\\\\"),
            c => s.push(c),
        }
    }
    s.push('\'');
    s
}

/// Writes `value` at the plain path `segments` inside `target` (ResultPath semantics):
/// missing objects on the way are created, `[]` replaces the whole target.
pub fn insert_at(target: &mut Value, segments: &[Segment], value: Value) -> Result<(), String> {
    let Some((last, parents)) = segments.split_last() else {
        *target = value;
        return Ok(());
    };
    let mut current = target;
    for (i, segment) in parents.iter().enumerate() {
        current = match segment {
            Segment::Key(k) => match current {
                Value::Object(map) => map
                    .entry(k.clone())
                    .or_insert_with(|| Value::Object(Default::default())),
                _ => return Err(not_an_object(&segments[..i])),
            },
            Segment::Index(n) => match current {
                Value::Array(items) if *n < items.len() => &mut items[*n],
                _ => {
                    return Err(format!(
                        "no array element at {}",
                        bracket_notation(&segments[..=i])
                    ));
                }
            },
        };
    }
    match (last, current) {
        (Segment::Key(k), Value::Object(map)) => {
            map.insert(k.clone(), value);
            Ok(())
        }
        (Segment::Index(n), Value::Array(items)) if *n < items.len() => {
            items[*n] = value;
            Ok(())
        }
        (Segment::Key(_), _) => Err(not_an_object(parents)),
        (Segment::Index(_), _) => Err(format!(
            "no array element at {}",
            bracket_notation(segments)
        )),
    }
}

fn not_an_object(segments: &[Segment]) -> String {
    format!(
        "the value at {} is not a JSON object",
        bracket_notation(segments)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nesting_stops_at_the_limit_before_the_query_parser() {
        let nest = |n: usize| format!("${}.x{}", "[?(@".repeat(n), ")]".repeat(n));
        assert!(JsonPath::parse(&nest(MAX_PATH_NESTING / 2)).is_ok());
        let e = JsonPath::parse(&nest(MAX_PATH_NESTING / 2 + 1)).expect_err("too deep");
        assert!(e.contains("nest more than 16 deep"), "{e}");
        assert!(JsonPath::parse(&nest(100_000)).is_err());
    }

    #[test]
    fn plain_paths_select_values_and_report_missing_locations() {
        let doc = json!({"a": {"b-c": [10, 20]}, "x y": 1});
        let p = JsonPath::parse("$.a.b-c[1]").unwrap();
        assert_eq!(p.select(&doc).unwrap().as_ref(), &json!(20));
        let p = JsonPath::parse("$['x y']").unwrap();
        assert_eq!(p.select(&doc).unwrap().as_ref(), &json!(1));
        let p = JsonPath::parse("$.no.such").unwrap();
        assert_eq!(p.select(&doc).unwrap_err().missing, "$['no']");
    }

    #[test]
    fn query_paths_return_arrays() {
        let doc = json!({"items": [{"v": 1}, {"v": 2}, {"v": 3}]});
        let p = JsonPath::parse("$.items[1:].v").unwrap();
        assert_eq!(p.select(&doc).unwrap().as_ref(), &json!([2, 3]));
        let p = JsonPath::parse("$.items[?(@.v == 2)]").unwrap();
        assert_eq!(p.select(&doc).unwrap().as_ref(), &json!([{"v": 2}]));
        let p = JsonPath::parse("$..v").unwrap();
        assert_eq!(p.select(&doc).unwrap().as_ref(), &json!([1, 2, 3]));
    }

    #[test]
    fn context_paths_are_flagged() {
        let p = JsonPath::parse("$$.Execution.Id").unwrap();
        assert!(p.is_context());
        assert_eq!(
            p.plain_segments().unwrap(),
            &[Segment::Key("Execution".into()), Segment::Key("Id".into())]
        );
        assert!(JsonPath::parse("Execution").is_err());
    }

    #[test]
    fn insert_creates_missing_objects() {
        let mut doc = json!({"a": 1});
        let segs = [Segment::Key("b".into()), Segment::Key("c".into())];
        insert_at(&mut doc, &segs, json!(true)).unwrap();
        assert_eq!(doc, json!({"a": 1, "b": {"c": true}}));
        let mut scalar = json!(3);
        assert!(insert_at(&mut scalar, &segs, json!(1)).is_err());
    }
}
