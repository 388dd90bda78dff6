//! The document a state receives or hands on, with its JSON text once written.
//!
//! Step Functions writes every state's input and output into the history as text, and
//! hands a text on unchanged where the document does not change (a Pass state's
//! output is its input's text, spaces and all). A saga's document is kilobytes long
//! and moves through every state, so the text travels with the document: it is
//! written once, when first needed, and reused by the events after.
//!
//! A text is of one of two kinds:
//! * the document's compact serialisation (what [`json_text`] gives), from which a
//!   task's Parameters and its output with its result added can be spliced
//!   (see [`output_text`](super::output_text));
//! * text as a caller wrote it, possibly with spaces: the history keeps it as it is,
//!   but nothing is spliced from it.

use serde_json::Value;

use super::output_text::{json_text, place_result, spliced_output};

/// A state's input or output: the document, and its text once written.
#[derive(Debug, Clone, Default)]
pub(crate) struct StateData {
    value: Value,
    text: Option<String>,
    /// Whether `text` is the compact serialisation of `value`.
    compact: bool,
}

impl StateData {
    /// A document whose text is not written yet.
    pub(crate) fn new(value: Value) -> Self {
        Self {
            value,
            text: None,
            compact: false,
        }
    }

    /// A document with the text someone wrote for it, kept as it is.
    pub(crate) fn as_written(value: Value, text: String) -> Self {
        Self {
            value,
            text: Some(text),
            compact: false,
        }
    }

    /// A document with its compact serialisation, assembled without serialising the
    /// document (the caller vouches that `text` is what [`json_text`] would give).
    pub(crate) fn with_compact_text(value: Value, text: String) -> Self {
        Self {
            value,
            text: Some(text),
            compact: true,
        }
    }

    pub(crate) fn value(&self) -> &Value {
        &self.value
    }

    pub(crate) fn into_value(self) -> Value {
        self.value
    }

    /// The text, written now if it was not yet (and then kept).
    pub(crate) fn text(&mut self) -> &str {
        if self.text.is_none() {
            self.compact = true;
        }
        let value = &self.value;
        self.text.get_or_insert_with(|| json_text(value))
    }

    /// The text, given away: for a document whose text nothing after will read.
    pub(crate) fn take_text(&mut self) -> String {
        let text = self.text.take();
        text.unwrap_or_else(|| json_text(&self.value))
    }

    /// The text when it is the compact serialisation, the only kind spliced from.
    pub(crate) fn compact_text(&self) -> Option<&str> {
        self.text.as_deref().filter(|_| self.compact)
    }

    /// This object document with `result` stored under its top-level field `key`: the
    /// output of a task whose ResultPath is that field. The document is taken rather
    /// than copied, and when its text is compact and `key` new, the output's text is
    /// spliced from the two texts. `None`, with the document left as it was for a
    /// Catch, when the output would exceed the payload limit.
    pub(crate) fn place(&mut self, key: &str, mut result: StateData) -> Option<StateData> {
        let is_new = self.value.as_object().is_some_and(|o| !o.contains_key(key));
        let spliced = match self.compact_text() {
            Some(text) if is_new => spliced_output(text, key, result.text()),
            _ => None,
        };
        let value = place_result(
            &mut self.value,
            key,
            result.into_value(),
            spliced.as_deref().map(str::len),
        )?;
        self.text = None;
        Some(match spliced {
            Some(text) => StateData::with_compact_text(value, text),
            None => StateData::new(value),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_written_text_is_kept_but_never_spliced_from() {
        let mut data = StateData::as_written(json!({"a": 1}), r#"{ "a": 1 }"#.into());
        assert_eq!(data.text(), r#"{ "a": 1 }"#);
        assert_eq!(data.compact_text(), None);
        let mut data = StateData::new(json!({"a": 1}));
        assert_eq!(data.compact_text(), None, "not written yet");
        assert_eq!(data.text(), r#"{"a":1}"#);
        assert_eq!(data.compact_text(), Some(r#"{"a":1}"#));
    }

    #[test]
    fn a_placed_result_has_the_text_of_the_merged_document() {
        let result = || StateData::new(json!({"ok": true}));
        for input in [json!({"a": 1}), json!({"Res": 0, "b": 2})] {
            let want = {
                let mut v = input.clone();
                v.as_object_mut()
                    .unwrap()
                    .insert("Res".into(), json!({"ok": true}));
                json_text(&v)
            };
            let mut data = StateData::new(input.clone());
            data.text();
            let mut placed = data.place("Res", result()).unwrap();
            assert_eq!(placed.text(), want);
            let mut unwritten = StateData::new(input);
            assert_eq!(unwritten.place("Res", result()).unwrap().text(), want);
        }
    }
}
