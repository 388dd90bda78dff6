//! Intrinsic function calls (`States.Format('{}', $.x)`), parsed once at load time.

use serde_json::Value;

use super::limits::MAX_INTRINSIC_NESTING;
use super::path::JsonPath;

/// The intrinsic functions of the JSONPath query language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum IntrinsicFn {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

impl IntrinsicFn {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "States.Format" => Self::Format,
            "States.StringToJson" => Self::StringToJson,
            "States.JsonToString" => Self::JsonToString,
            "States.Array" => Self::Array,
            "States.ArrayPartition" => Self::ArrayPartition,
            "States.ArrayContains" => Self::ArrayContains,
            "States.ArrayRange" => Self::ArrayRange,
            "States.ArrayGetItem" => Self::ArrayGetItem,
            "States.ArrayLength" => Self::ArrayLength,
            "States.ArrayUnique" => Self::ArrayUnique,
            "States.Base64Encode" => Self::Base64Encode,
            "States.Base64Decode" => Self::Base64Decode,
            "States.Hash" => Self::Hash,
            "States.JsonMerge" => Self::JsonMerge,
            "States.MathRandom" => Self::MathRandom,
            "States.MathAdd" => Self::MathAdd,
            "States.StringSplit" => Self::StringSplit,
            "States.UUID" => Self::Uuid,
            _ => return None,
        })
    }

    /// The name as written in a definition, e.g. `States.Format`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Format => "States.Format",
            Self::StringToJson => "States.StringToJson",
            Self::JsonToString => "States.JsonToString",
            Self::Array => "States.Array",
            Self::ArrayPartition => "States.ArrayPartition",
            Self::ArrayContains => "States.ArrayContains",
            Self::ArrayRange => "States.ArrayRange",
            Self::ArrayGetItem => "States.ArrayGetItem",
            Self::ArrayLength => "States.ArrayLength",
            Self::ArrayUnique => "States.ArrayUnique",
            Self::Base64Encode => "States.Base64Encode",
            Self::Base64Decode => "States.Base64Decode",
            Self::Hash => "States.Hash",
            Self::JsonMerge => "States.JsonMerge",
            Self::MathRandom => "States.MathRandom",
            Self::MathAdd => "States.MathAdd",
            Self::StringSplit => "States.StringSplit",
            Self::Uuid => "States.UUID",
        }
    }
}

/// One argument of an intrinsic call.
#[derive(Debug, Clone)]
pub enum IntrinsicArg {
    /// A literal string, number, boolean or null.
    Literal(Value),
    /// A path into the input or the context object.
    Path(JsonPath),
    /// A nested call.
    Call(IntrinsicCall),
}

/// A parsed intrinsic function call.
#[derive(Debug, Clone)]
pub struct IntrinsicCall {
    /// Which function.
    pub function: IntrinsicFn,
    /// Its arguments in order.
    pub args: Vec<IntrinsicArg>,
}

impl IntrinsicCall {
    /// How many values the call copies from its input: its path arguments, nested
    /// calls' included (see [`crate::asl::limits::UNMEASURED_COPIES`]).
    pub fn copies(&self) -> usize {
        self.args
            .iter()
            .map(|a| match a {
                IntrinsicArg::Literal(_) => 0,
                IntrinsicArg::Path(_) => 1,
                IntrinsicArg::Call(c) => c.copies(),
            })
            .fold(0, usize::saturating_add)
    }

    /// Parses a whole expression such as `States.MathAdd($.a, 1)`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let chars: Vec<char> = text.trim().chars().collect();
        let mut parser = Parser {
            chars,
            pos: 0,
            nesting: 0,
        };
        let call = parser.call()?;
        parser.skip_ws();
        if parser.pos != parser.chars.len() {
            return Err(format!("unexpected text after the call in '{text}'"));
        }
        Ok(call)
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    /// How many calls the one being read is nested in, itself included.
    nesting: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// Whether the text from the current position starts with `word`.
    fn at(&self, word: &str) -> bool {
        let mut rest = self.chars[self.pos..].iter();
        word.chars().all(|c| rest.next() == Some(&c))
    }

    fn call(&mut self) -> Result<IntrinsicCall, String> {
        self.nesting += 1;
        if self.nesting > MAX_INTRINSIC_NESTING {
            return Err(format!(
                "intrinsic functions nest at most {MAX_INTRINSIC_NESTING} deep within a field"
            ));
        }
        let call = self.call_body();
        self.nesting -= 1;
        call
    }

    fn call_body(&mut self) -> Result<IntrinsicCall, String> {
        self.skip_ws();
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.')
        {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        let function = IntrinsicFn::from_name(&name)
            .ok_or_else(|| format!("unknown intrinsic function '{name}'"))?;
        self.skip_ws();
        if self.peek() != Some('(') {
            return Err(format!("expected '(' after {name}"));
        }
        self.pos += 1;
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
            return Ok(IntrinsicCall { function, args });
        }
        loop {
            args.push(self.arg()?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(')') => {
                    self.pos += 1;
                    return Ok(IntrinsicCall { function, args });
                }
                _ => return Err(format!("expected ',' or ')' in the arguments of {name}")),
            }
        }
    }

    fn arg(&mut self) -> Result<IntrinsicArg, String> {
        self.skip_ws();
        match self.peek() {
            Some('\'') => self
                .string()
                .map(|s| IntrinsicArg::Literal(Value::String(s))),
            Some('$') => {
                let start = self.pos;
                let mut depth = 0i32;
                let mut quote: Option<char> = None;
                while let Some(c) = self.peek() {
                    if let Some(q) = quote {
                        if c == q {
                            quote = None;
                        }
                    } else {
                        match c {
                            '\'' | '"' => quote = Some(c),
                            '[' | '(' => depth += 1,
                            ']' => depth -= 1,
                            ')' if depth == 0 => break,
                            ')' => depth -= 1,
                            ',' if depth == 0 => break,
                            c if c.is_whitespace() && depth == 0 => break,
                            _ => {}
                        }
                    }
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos].iter().collect();
                JsonPath::parse(&text).map(IntrinsicArg::Path)
            }
            Some(c) if c == '-' || c.is_ascii_digit() => {
                let start = self.pos;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
                {
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos].iter().collect();
                serde_json::from_str::<Value>(&text)
                    .ok()
                    .filter(Value::is_number)
                    .map(IntrinsicArg::Literal)
                    .ok_or_else(|| format!("'{text}' is not a number"))
            }
            Some(_) => {
                for (word, value) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.at(word) {
                        self.pos += word.len();
                        return Ok(IntrinsicArg::Literal(value));
                    }
                }
                if self.at("States.") {
                    return self.call().map(IntrinsicArg::Call);
                }
                let rest: String = self.chars[self.pos..].iter().take(40).collect();
                Err(format!("unexpected argument '{rest}'"))
            }
            None => Err("missing argument".into()),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                '\\' => {
                    let next = self.peek().ok_or("unterminated string literal")?;
                    self.pos += 1;
                    // `\{` and `\}` stay escaped so States.Format can tell them from placeholders.
                    if next == '{' || next == '}' {
                        out.push('\\');
                    }
                    out.push(next);
                }
                '\'' => return Ok(out),
                c => out.push(c),
            }
        }
        Err("unterminated string literal".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_stops_at_the_documented_depth() {
        let nest = |n: usize| format!("{}1{}", "States.Array(".repeat(n), ")".repeat(n));
        assert!(IntrinsicCall::parse(&nest(MAX_INTRINSIC_NESTING)).is_ok());
        let e = IntrinsicCall::parse(&nest(MAX_INTRINSIC_NESTING + 1)).expect_err("too deep");
        assert!(e.contains("nest at most 10"), "{e}");
        // Refused before its depth is ever recursed into.
        assert!(IntrinsicCall::parse(&nest(100_000)).is_err());
    }

    #[test]
    fn parses_nested_calls_and_literals() {
        let call = IntrinsicCall::parse(
            "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), States.MathAdd(1, -1))",
        )
        .unwrap();
        assert_eq!(call.function, IntrinsicFn::ArrayGetItem);
        assert_eq!(call.args.len(), 2);
        match &call.args[0] {
            IntrinsicArg::Call(inner) => {
                assert_eq!(inner.function, IntrinsicFn::StringSplit);
                assert!(matches!(&inner.args[0], IntrinsicArg::Path(p) if p.is_context()));
                assert!(
                    matches!(&inner.args[1], IntrinsicArg::Literal(Value::String(s)) if s == "-")
                );
            }
            other => panic!("expected a call, got {other:?}"),
        }
    }

    #[test]
    fn rejects_unknown_functions() {
        assert!(IntrinsicCall::parse("States.Nope(1)").is_err());
        assert!(IntrinsicCall::parse("States.Array(1").is_err());
    }
}
