//! JSON for people: a payload parsed into a tree, laid out as indented lines whose
//! objects and arrays fold, and cut into rows that fit a width. Payloads are JSON
//! *text* in a history and may be anything (or nothing valid): what does not parse
//! is shown as the text it is, and a huge payload is bounded rather than drawn whole.

use serde_json::Value;
use unicode_width::UnicodeWidthChar;

/// Most lines one payload lays out: a screen shows a few dozen, and a payload of
/// the service's largest size must not make every frame slow.
pub const MAX_LINES: usize = 2_000;
/// Characters of one string value (or text line) kept; the rest is counted, not shown.
pub const MAX_STRING: usize = 2_000;
/// Columns of indentation per level.
pub const INDENT: u16 = 2;

/// What a piece of a line is, so drawing can colour it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Braces, brackets, commas, colons.
    Punct,
    /// An object member's name.
    Key,
    /// A string value.
    Str,
    /// A number.
    Number,
    /// `true`, `false`, `null`.
    Literal,
    /// Text that is not JSON, shown as it is.
    Text,
    /// What the view adds: a folded container's size, a cut.
    Note,
}

/// A run of text in one tone.
pub type Segment = (String, Tone);

/// One laid-out line of a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonLine {
    /// Columns of indentation before the first segment.
    pub indent: u16,
    /// The line's text, left to right.
    pub segments: Vec<Segment>,
    /// The container this line opens (its id), which folding hides or shows.
    pub fold: Option<usize>,
    /// Whether that container is folded onto this line.
    pub folded: bool,
}

impl JsonLine {
    /// The line's text without indentation, for tests and searching.
    pub fn text(&self) -> String {
        self.segments.iter().map(|(s, _)| s.as_str()).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Scalar(Segment),
    Container {
        id: usize,
        array: bool,
        items: Vec<(Option<String>, Node)>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Root {
    Json(Node),
    Text(String),
}

/// A parsed payload; containers are numbered in document order (from 0), the ids
/// folding refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonTree {
    root: Root,
    containers: usize,
}

impl JsonTree {
    /// Parses payload text; text that is not JSON is kept as text.
    pub fn parse(text: &str) -> Self {
        match serde_json::from_str::<Value>(text) {
            Ok(v) => Self::from_value(&v),
            Err(_) => Self {
                root: Root::Text(text.to_string()),
                containers: 0,
            },
        }
    }

    /// The tree of a value already parsed.
    pub fn from_value(value: &Value) -> Self {
        let mut containers = 0;
        let root = Root::Json(build(value, &mut containers));
        Self { root, containers }
    }

    /// Whether the payload parsed as JSON.
    pub fn is_json(&self) -> bool {
        matches!(self.root, Root::Json(_))
    }

    /// How many objects and arrays the payload holds (fold ids run below this).
    pub fn containers(&self) -> usize {
        self.containers
    }

    /// The payload as lines, containers for which `folded` says so folded onto their
    /// first line; at most [`MAX_LINES`] lines, then one saying the rest is cut.
    pub fn lines(&self, folded: &dyn Fn(usize) -> bool) -> Vec<JsonLine> {
        let mut out = Vec::new();
        let cut = match &self.root {
            Root::Json(node) => emit(node, None, 0, true, folded, &mut out).is_err(),
            Root::Text(text) => text_lines(text, &mut out).is_err(),
        };
        if cut {
            out.push(JsonLine {
                indent: 0,
                segments: vec![(
                    format!("… cut here: longer than {MAX_LINES} lines"),
                    Tone::Note,
                )],
                fold: None,
                folded: false,
            });
        }
        out
    }
}

/// Lines were cut at [`MAX_LINES`].
struct Full;

fn push(out: &mut Vec<JsonLine>, line: JsonLine) -> Result<(), Full> {
    if out.len() >= MAX_LINES {
        return Err(Full);
    }
    out.push(line);
    Ok(())
}

fn text_lines(text: &str, out: &mut Vec<JsonLine>) -> Result<(), Full> {
    for line in text.lines() {
        push(
            out,
            JsonLine {
                indent: 0,
                segments: bounded(line, Tone::Text),
                fold: None,
                folded: false,
            },
        )?;
    }
    Ok(())
}

/// `text` in `tone`, cut at [`MAX_STRING`] characters with a note of how many more.
fn bounded(text: &str, tone: Tone) -> Vec<Segment> {
    let total = text.chars().count();
    if total <= MAX_STRING {
        return vec![(text.to_string(), tone)];
    }
    let kept: String = text.chars().take(MAX_STRING).collect();
    vec![
        (format!("{kept}…"), tone),
        (
            format!(" ({} more characters)", total - MAX_STRING),
            Tone::Note,
        ),
    ]
}

fn build(value: &Value, next_id: &mut usize) -> Node {
    let scalar = |text: String, tone| Node::Scalar((text, tone));
    match value {
        Value::Null => scalar("null".into(), Tone::Literal),
        Value::Bool(b) => scalar(b.to_string(), Tone::Literal),
        Value::Number(n) => scalar(n.to_string(), Tone::Number),
        Value::String(s) => scalar(quoted(s), Tone::Str),
        Value::Array(items) => {
            let id = take_id(next_id);
            Node::Container {
                id,
                array: true,
                items: items.iter().map(|v| (None, build(v, next_id))).collect(),
            }
        }
        Value::Object(map) => {
            let id = take_id(next_id);
            Node::Container {
                id,
                array: false,
                items: map
                    .iter()
                    .map(|(k, v)| (Some(quoted(k)), build(v, next_id)))
                    .collect(),
            }
        }
    }
}

fn take_id(next_id: &mut usize) -> usize {
    let id = *next_id;
    *next_id += 1;
    id
}

/// A string as JSON writes it (quotes, escapes).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

fn emit(
    node: &Node,
    key: Option<&str>,
    depth: u16,
    last: bool,
    folded: &dyn Fn(usize) -> bool,
    out: &mut Vec<JsonLine>,
) -> Result<(), Full> {
    let indent = depth.saturating_mul(INDENT);
    let mut head: Vec<Segment> = Vec::new();
    if let Some(k) = key {
        head.extend(bounded(k, Tone::Key));
        head.push((": ".into(), Tone::Punct));
    }
    let comma = |segments: &mut Vec<Segment>| {
        if !last {
            segments.push((",".into(), Tone::Punct));
        }
    };
    let line = |segments, fold, folded| JsonLine {
        indent,
        segments,
        fold,
        folded,
    };
    match node {
        Node::Scalar((text, tone)) => {
            head.extend(bounded(text, *tone));
            comma(&mut head);
            push(out, line(head, None, false))
        }
        Node::Container { id, array, items } => {
            let (open, close) = if *array { ("[", "]") } else { ("{", "}") };
            if items.is_empty() {
                head.push((format!("{open}{close}"), Tone::Punct));
                comma(&mut head);
                return push(out, line(head, None, false));
            }
            if folded(*id) {
                head.push((format!("{open} … {close}"), Tone::Punct));
                comma(&mut head);
                let n = items.len();
                let what = match (*array, n) {
                    (true, 1) => "item",
                    (true, _) => "items",
                    (false, 1) => "key",
                    (false, _) => "keys",
                };
                head.push((format!("  {n} {what}"), Tone::Note));
                return push(out, line(head, Some(*id), true));
            }
            head.push((open.into(), Tone::Punct));
            push(out, line(head, Some(*id), false))?;
            let n = items.len();
            for (i, (k, child)) in items.iter().enumerate() {
                emit(child, k.as_deref(), depth + 1, i + 1 == n, folded, out)?;
            }
            let mut tail = vec![(close.to_string(), Tone::Punct)];
            comma(&mut tail);
            push(out, line(tail, None, false))
        }
    }
}

/// A line of `segments` after `indent` columns, cut into rows of at most `width`
/// columns, after a space where one leaves the row at least a third full (else
/// anywhere): the first row at the indentation, the rest one level further in so a
/// wrapped value reads as one. Each row starts with its indentation as a segment of
/// spaces in tone `pad`. Generic over the tone, so any styled text wraps the same way.
pub fn wrap<T: Copy + PartialEq>(
    indent: u16,
    segments: &[(String, T)],
    width: u16,
    pad: T,
) -> Vec<Vec<(String, T)>> {
    let width = usize::from(width.max(1));
    let first_indent = usize::from(indent).min(width.saturating_sub(1));
    let next_indent = (usize::from(indent) + usize::from(INDENT)).min(width / 2);
    let chars: Vec<(char, T, usize)> = segments
        .iter()
        .flat_map(|(text, tone)| {
            text.chars()
                .map(move |c| (c, *tone, c.width().unwrap_or(0)))
        })
        .collect();
    let mut rows = Vec::new();
    let mut i = 0;
    let mut row_indent = first_indent;
    loop {
        let room = width.saturating_sub(row_indent).max(1);
        let mut used = 0;
        let mut j = i;
        while j < chars.len() && (j == i || used + chars[j].2 <= room) {
            used += chars[j].2;
            j += 1;
        }
        if j < chars.len() {
            // Break after the last space that leaves the row a third full.
            let min_len = (room / 3).max(1);
            if let Some(k) = (i + min_len..j).rev().find(|&k| chars[k - 1].0 == ' ') {
                j = k;
            }
        }
        let mut row = start_row(row_indent, pad);
        for &(c, tone, _) in &chars[i..j] {
            append(&mut row, c, tone);
        }
        rows.push(row);
        if j >= chars.len() {
            return rows;
        }
        i = j;
        row_indent = next_indent;
    }
}

/// The line as one row (no wrapping; the view scrolls sideways instead).
pub fn unwrapped<T: Copy>(indent: u16, segments: &[(String, T)], pad: T) -> Vec<(String, T)> {
    let mut row = start_row(usize::from(indent), pad);
    row.extend(segments.iter().cloned());
    row
}

fn start_row<T>(indent: usize, pad: T) -> Vec<(String, T)> {
    if indent == 0 {
        Vec::new()
    } else {
        vec![(" ".repeat(indent), pad)]
    }
}

fn append<T: Copy + PartialEq>(row: &mut Vec<(String, T)>, ch: char, tone: T) {
    match row.last_mut() {
        Some((text, t)) if *t == tone => text.push(ch),
        _ => row.push((ch.to_string(), tone)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[JsonLine]) -> Vec<String> {
        lines
            .iter()
            .map(|l| format!("{}{}", " ".repeat(usize::from(l.indent)), l.text()))
            .collect()
    }

    fn row_text(row: &[Segment]) -> String {
        row.iter().map(|(s, _)| s.as_str()).collect()
    }

    const DOC: &str =
        r#"{"trip_id":"t-1","items":[1,true,null],"hotel":{"name":"Ritz"},"empty":{}}"#;

    #[test]
    fn pretty_prints_in_document_order() {
        let tree = JsonTree::parse(DOC);
        assert!(tree.is_json());
        assert_eq!(tree.containers(), 4);
        assert_eq!(
            texts(&tree.lines(&|_| false)),
            [
                "{",
                "  \"trip_id\": \"t-1\",",
                "  \"items\": [",
                "    1,",
                "    true,",
                "    null",
                "  ],",
                "  \"hotel\": {",
                "    \"name\": \"Ritz\"",
                "  },",
                "  \"empty\": {}",
                "}",
            ]
        );
    }

    #[test]
    fn a_folded_container_takes_one_line_and_says_its_size() {
        let tree = JsonTree::parse(DOC);
        let lines = tree.lines(&|id| id == 1);
        assert_eq!(lines[2].text(), "\"items\": [ … ],  3 items");
        assert_eq!((lines[2].fold, lines[2].folded), (Some(1), true));
        assert_eq!(lines[3].text(), "\"hotel\": {");
        assert_eq!(lines[3].fold, Some(2));
        let root = tree.lines(&|id| id == 0);
        assert_eq!(texts(&root), ["{ … }  4 keys"]);
        let empty = tree.lines(&|_| false);
        assert_eq!(empty[10].fold, None, "an empty object does not fold");
    }

    #[test]
    fn tones_tell_keys_from_values() {
        let lines = JsonTree::parse(r#"{"a": 1.5, "b": "x"}"#).lines(&|_| false);
        assert_eq!(
            lines[1].segments,
            [
                ("\"a\"".to_string(), Tone::Key),
                (": ".to_string(), Tone::Punct),
                ("1.5".to_string(), Tone::Number),
                (",".to_string(), Tone::Punct),
            ]
        );
        assert_eq!(lines[2].segments[2], ("\"x\"".to_string(), Tone::Str));
    }

    #[test]
    fn text_that_is_not_json_is_shown_as_it_is() {
        let tree = JsonTree::parse("Lambda timed out\nafter 3 s {");
        assert!(!tree.is_json());
        let lines = tree.lines(&|_| false);
        assert_eq!(texts(&lines), ["Lambda timed out", "after 3 s {"]);
        assert!(lines.iter().all(|l| l.segments[0].1 == Tone::Text));
    }

    #[test]
    fn long_lines_wrap_at_the_width_one_level_in() {
        let line = JsonTree::parse(r#"{"cause": "abcdefghijklmnopqrstuvwxyz"}"#).lines(&|_| false)
            [1]
        .clone();
        let rows = wrap(line.indent, &line.segments, 16, Tone::Punct);
        let rows: Vec<String> = rows.iter().map(|r| row_text(r)).collect();
        assert_eq!(
            rows,
            [
                "  \"cause\": ",
                "    \"abcdefghijk",
                "    lmnopqrstuvw",
                "    xyz\""
            ]
        );
        let words = JsonTree::parse(r#""one two three four""#).lines(&|_| false)[0].clone();
        let word_rows = wrap(words.indent, &words.segments, 10, Tone::Punct);
        let word_rows: Vec<String> = word_rows.iter().map(|r| row_text(r)).collect();
        assert_eq!(
            word_rows,
            ["\"one two ", "  three ", "  four\""],
            "at spaces"
        );
        assert!(rows.iter().all(|r| r.chars().count() <= 16));
        assert_eq!(
            wrap(line.indent, &line.segments, 80, Tone::Punct).len(),
            1,
            "fits: one row"
        );
        assert_eq!(
            row_text(&unwrapped(line.indent, &line.segments, Tone::Punct)),
            "  \"cause\": \"abcdefghijklmnopqrstuvwxyz\""
        );
    }

    #[test]
    fn wide_characters_wrap_by_columns() {
        let line = JsonTree::parse("\"日本語の文字列\"").lines(&|_| false)[0].clone();
        for row in wrap(line.indent, &line.segments, 6, Tone::Punct) {
            let w: usize = row_text(&row).chars().map(|c| c.width().unwrap_or(0)).sum();
            assert!(w <= 6, "{row:?}");
        }
    }

    #[test]
    fn wrapping_survives_a_width_narrower_than_the_indent() {
        let tree = JsonTree::parse(r#"{"a":{"b":{"c":{"d":"deep value"}}}}"#);
        let lines = tree.lines(&|_| false);
        for width in [0, 1, 3, 5] {
            for line in &lines {
                let rows = wrap(line.indent, &line.segments, width, Tone::Punct);
                let squeeze = |s: &str| s.replace(' ', "");
                let all: String = rows.iter().map(|r| squeeze(&row_text(r))).collect();
                assert_eq!(all, squeeze(&line.text()), "nothing lost at width {width}");
            }
        }
    }

    #[test]
    fn huge_payloads_are_bounded() {
        let big: Vec<u32> = (0..50_000).collect();
        let tree = JsonTree::parse(&serde_json::to_string(&big).unwrap());
        let lines = tree.lines(&|_| false);
        assert_eq!(lines.len(), MAX_LINES + 1);
        assert!(lines[MAX_LINES].text().starts_with("… cut here"));
        let long = "x".repeat(MAX_STRING + 500);
        let lines = JsonTree::parse(&quoted(&long)).lines(&|_| false);
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].text().ends_with("(502 more characters)"),
            "{}",
            lines[0].text()
        );
        let folded = tree.lines(&|id| id == 0);
        assert_eq!(folded.len(), 1, "folding a huge array costs one line");
    }
}
