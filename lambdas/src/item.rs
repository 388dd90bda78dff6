//! Table items with DynamoDB's attribute types preserved.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One attribute value, typed as DynamoDB types it, so a row read back from any table
/// implementation looks the same as one read from DynamoDB.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AttrValue {
    /// A string.
    S(String),
    /// A number, kept as its decimal text exactly as DynamoDB does.
    N(String),
    /// A boolean.
    #[serde(rename = "BOOL")]
    Bool(bool),
    /// The null marker.
    #[serde(rename = "NULL")]
    Null(bool),
    /// A list of values.
    L(Vec<AttrValue>),
    /// A map of values.
    M(BTreeMap<String, AttrValue>),
}

impl AttrValue {
    /// The string inside an `S` value, if that is what this is.
    pub fn as_s(&self) -> Option<&str> {
        match self {
            AttrValue::S(s) => Some(s),
            _ => None,
        }
    }
}

/// A table row: attribute name to typed value, in a stable (sorted) order.
pub type Item = BTreeMap<String, AttrValue>;

/// Builds an item whose attributes are all strings, which is all the saga writes.
pub fn string_item<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> Item {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), AttrValue::S(v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_in_dynamodb_json_shape() {
        let item: Item = [
            ("a".to_string(), AttrValue::S("x".into())),
            ("b".to_string(), AttrValue::N("1.50".into())),
            ("c".to_string(), AttrValue::Bool(true)),
        ]
        .into_iter()
        .collect();
        let json = serde_json::to_string(&item).unwrap();
        assert_eq!(
            json,
            r#"{"a":{"S":"x"},"b":{"N":"1.50"},"c":{"BOOL":true}}"#
        );
        let back: Item = serde_json::from_str(&json).unwrap();
        assert_eq!(back, item);
    }
}
