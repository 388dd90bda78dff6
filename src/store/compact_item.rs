//! A table row as the in-memory store keeps it: one block of bytes.
//!
//! Held as [`Item`]s, a saga's three rows take some 4.6 KB: a tree node per row and a
//! separate allocation for every attribute name and value. A busy in-memory store
//! keeps every trip's rows, so that room was about half of what it grew by per
//! execution, and fresh memory is what the kernel makes a process wait for. Encoded
//! back to back, the same rows take 1.5 KB, a write is one allocation instead of
//! twenty, and the one update the saga makes (`pending` to `confirmed`) works on the
//! bytes directly.
//!
//! Each attribute, in the item's (sorted) order: the name's length and bytes, a tag,
//! the value's length and bytes. Strings and numbers (all the saga writes) are kept as
//! their text; any other value as its DynamoDB JSON.

use super::StoreError;
use super::items::STATUS;
use saga_lambdas::handlers::{CONFIRMED, PENDING};
use saga_lambdas::table::Confirmed;
use saga_lambdas::{AttrValue, Item};

const STRING: u8 = b'S';
const NUMBER: u8 = b'N';
const JSON: u8 = b'J';

/// One encoded row.
pub(super) struct CompactItem(Box<[u8]>);

/// One attribute as it lies in the bytes.
struct RawAttr<'a> {
    name: &'a str,
    tag: u8,
    value: &'a [u8],
    /// Where the value's length starts, and where the value ends.
    value_at: std::ops::Range<usize>,
}

impl CompactItem {
    /// Encodes a row.
    pub(super) fn encode(item: &Item) -> Result<Self, StoreError> {
        let mut out = Vec::with_capacity(item.len() * 32);
        for (name, value) in item {
            put_bytes(&mut out, name.as_bytes());
            match value {
                AttrValue::S(s) => {
                    out.push(STRING);
                    put_bytes(&mut out, s.as_bytes());
                }
                AttrValue::N(n) => {
                    out.push(NUMBER);
                    put_bytes(&mut out, n.as_bytes());
                }
                other => {
                    let json = serde_json::to_vec(other).map_err(|source| StoreError::Encode {
                        what: "a table item",
                        source,
                    })?;
                    out.push(JSON);
                    put_bytes(&mut out, &json);
                }
            }
        }
        Ok(CompactItem(out.into_boxed_slice()))
    }

    /// The row as an [`Item`] again.
    pub(super) fn decode(&self) -> Result<Item, String> {
        let mut item = Item::new();
        for attr in self.attrs() {
            let attr = attr?;
            let text = || {
                std::str::from_utf8(attr.value)
                    .map(str::to_string)
                    .map_err(|e| format!("attribute {}: {e}", attr.name))
            };
            let value = match attr.tag {
                STRING => AttrValue::S(text()?),
                NUMBER => AttrValue::N(text()?),
                JSON => serde_json::from_slice(attr.value)
                    .map_err(|e| format!("attribute {}: {e}", attr.name))?,
                tag => return Err(format!("attribute {}: unknown tag {tag}", attr.name)),
            };
            item.insert(attr.name.to_string(), value);
        }
        Ok(item)
    }

    /// DynamoDB's `transaction_status = :pending` condition and its update (see
    /// [`super::items::confirm_row`]), made on the bytes.
    pub(super) fn confirm(&mut self) -> Result<Confirmed, String> {
        let mut status = None;
        for attr in self.attrs() {
            let attr = attr?;
            if attr.name == STATUS {
                if attr.tag == STRING && attr.value == PENDING.as_bytes() {
                    status = Some(attr.value_at);
                }
                break;
            }
        }
        let Some(at) = status else {
            return Ok(Confirmed::NoPendingRow);
        };
        let mut out = Vec::with_capacity(self.0.len() + CONFIRMED.len());
        out.extend_from_slice(&self.0[..at.start]);
        put_bytes(&mut out, CONFIRMED.as_bytes());
        out.extend_from_slice(&self.0[at.end..]);
        self.0 = out.into_boxed_slice();
        Ok(Confirmed::Yes)
    }

    fn attrs(&self) -> impl Iterator<Item = Result<RawAttr<'_>, String>> {
        let bytes = &self.0[..];
        let mut at = 0;
        std::iter::from_fn(move || {
            if at >= bytes.len() {
                return None;
            }
            let attr = read_attr(bytes, at);
            at = match &attr {
                Ok(a) => a.value_at.end,
                Err(_) => bytes.len(),
            };
            Some(attr)
        })
    }
}

fn read_attr(bytes: &[u8], at: usize) -> Result<RawAttr<'_>, String> {
    let (name, at) = read_bytes(bytes, at)?;
    let name = std::str::from_utf8(name).map_err(|e| format!("attribute name: {e}"))?;
    let tag = *bytes
        .get(at)
        .ok_or_else(|| format!("attribute {name} is cut short"))?;
    let (value, end) = read_bytes(bytes, at + 1)?;
    Ok(RawAttr {
        name,
        tag,
        value,
        value_at: at + 1..end,
    })
}

/// A length (LEB128) and that many bytes.
fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut n = bytes.len();
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out.extend_from_slice(bytes);
}

/// The bytes [`put_bytes`] wrote at `at`, and where they end.
fn read_bytes(bytes: &[u8], mut at: usize) -> Result<(&[u8], usize), String> {
    let mut len = 0usize;
    let mut shift = 0;
    loop {
        let b = *bytes.get(at).ok_or("a length is cut short")?;
        at += 1;
        len |= usize::from(b & 0x7f)
            .checked_shl(shift)
            .ok_or("a length is too long")?;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 35 {
            return Err("a length is too long".into());
        }
    }
    let end = at.checked_add(len).ok_or("a length is too long")?;
    let value = bytes.get(at..end).ok_or("a value is cut short")?;
    Ok((value, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::items::confirm_row;
    use std::collections::BTreeMap;

    fn row(status: &str) -> Item {
        let mut item = saga_lambdas::item::string_item([
            ("pk", "trip-1".to_string()),
            ("sk", "HOTEL#ab".to_string()),
            ("transaction_status", status.to_string()),
            ("hotel", "holiday inn ünïcode".to_string()),
            ("long", "x".repeat(300)),
        ]);
        item.insert("amount".into(), AttrValue::N("450.00".into()));
        item.insert("paid".into(), AttrValue::Bool(true));
        item.insert("nothing".into(), AttrValue::Null(true));
        item.insert(
            "legs".into(),
            AttrValue::L(vec![
                AttrValue::S("LHR".into()),
                AttrValue::M(BTreeMap::from([("n".into(), AttrValue::N("1".into()))])),
            ]),
        );
        item
    }

    #[test]
    fn every_kind_of_value_reads_back_as_it_was() {
        for item in [row("pending"), Item::new(), row("")] {
            let compact = CompactItem::encode(&item).unwrap();
            assert_eq!(compact.decode().unwrap(), item);
        }
    }

    #[test]
    fn confirming_the_bytes_does_what_confirming_the_item_does() {
        for (status, expected) in [
            ("pending", Confirmed::Yes),
            ("confirmed", Confirmed::NoPendingRow),
            ("pendingx", Confirmed::NoPendingRow),
        ] {
            let mut item = row(status);
            let mut compact = CompactItem::encode(&item).unwrap();
            assert_eq!(compact.confirm().unwrap(), expected, "{status}");
            assert_eq!(confirm_row(&mut item), expected);
            assert_eq!(compact.decode().unwrap(), item, "{status}");
        }
        // A status that is not a string, or no status at all, is not pending.
        let mut item = row("pending");
        item.insert(STATUS.into(), AttrValue::N("1".into()));
        let mut compact = CompactItem::encode(&item).unwrap();
        assert_eq!(compact.confirm().unwrap(), Confirmed::NoPendingRow);
        item.remove(STATUS);
        let mut compact = CompactItem::encode(&item).unwrap();
        assert_eq!(compact.confirm().unwrap(), Confirmed::NoPendingRow);
        assert_eq!(compact.decode().unwrap(), item);
    }

    #[test]
    fn a_row_is_a_fraction_of_its_item() {
        let item = row("pending");
        let compact = CompactItem::encode(&item).unwrap();
        let text = serde_json::to_string(&item).unwrap();
        assert!(
            compact.0.len() < text.len(),
            "{} vs {}",
            compact.0.len(),
            text.len()
        );
    }

    #[test]
    fn cut_or_mangled_bytes_are_an_error_not_a_panic() {
        let item = row("pending");
        let whole = CompactItem::encode(&item).unwrap();
        for end in 0..whole.0.len() {
            let mut cut = CompactItem(whole.0[..end].into());
            // Cut between attributes, it is a shorter row; anywhere else, an error.
            if let Ok(shorter) = cut.decode() {
                assert!(shorter.len() < item.len(), "cut at {end}");
            }
            let _ = cut.confirm();
        }
        let mut endless = CompactItem(vec![0xff; 12].into_boxed_slice());
        assert!(endless.decode().is_err());
        assert!(endless.confirm().is_err());
        let bad_tag = CompactItem(vec![1, b'a', b'?', 0].into_boxed_slice());
        assert!(bad_tag.decode().unwrap_err().contains("unknown tag"));
    }
}
