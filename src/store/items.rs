//! Table rows as both stores take them: DynamoDB items with string `pk` and `sk`
//! keys, and the one conditional update callers need.

use super::StoreError;
use saga_lambdas::{AttrValue, Item};

/// The string value of a key attribute, as DynamoDB requires for this table's keys.
fn key<'a>(item: &'a Item, attr: &'static str) -> Result<&'a str, StoreError> {
    item.get(attr)
        .and_then(AttrValue::as_s)
        .ok_or(StoreError::MissingKey { attr })
}

/// A row's `(pk, sk)`, both strings as DynamoDB requires for this table's keys.
pub(crate) fn item_keys(item: &Item) -> Result<(&str, &str), StoreError> {
    Ok((key(item, "pk")?, key(item, "sk")?))
}

/// DynamoDB's `UpdateItem` of one attribute under the condition that it holds a
/// given value (`SET #a = :new` with `#a = :expected`): the one kind of update a
/// table's callers need made atomically, whatever their rows mean.
#[derive(Debug, Clone, PartialEq)]
pub struct SetIf {
    /// The attribute read and set.
    pub attr: String,
    /// The value (type included) it must hold for the update to be made.
    pub expected: AttrValue,
    /// The value it is set to.
    pub new: AttrValue,
}

impl SetIf {
    /// Makes the update on a row in hand; whether the condition held.
    pub fn apply(&self, item: &mut Item) -> bool {
        if item.get(&self.attr) != Some(&self.expected) {
            return false;
        }
        item.insert(self.attr.clone(), self.new.clone());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use saga_lambdas::item::string_item;

    const PENDING: &str = "pending";

    fn confirm() -> SetIf {
        SetIf {
            attr: "transaction_status".into(),
            expected: AttrValue::S(PENDING.into()),
            new: AttrValue::S("confirmed".into()),
        }
    }

    fn row(pk: &str, sk: &str, status: &str) -> Item {
        string_item([
            ("pk", pk.to_string()),
            ("sk", sk.to_string()),
            ("transaction_status", status.to_string()),
        ])
    }

    #[test]
    fn rows_without_string_keys_are_refused() {
        let store = Store::open_in_memory().unwrap();
        let mut item = row("t", "s", PENDING);
        item.insert("sk".into(), AttrValue::N("1".into()));
        let err = store.put_sync(&item).unwrap_err();
        assert!(
            matches!(err, StoreError::MissingKey { attr: "sk" }),
            "{err}"
        );
        item.remove("pk");
        assert!(matches!(
            store.put_sync(&item),
            Err(StoreError::MissingKey { attr: "pk" })
        ));
    }

    #[test]
    fn an_update_needs_the_expected_value_and_type() {
        let (_dir, file) = crate::store::temp_file_store();
        for store in [Store::open_in_memory().unwrap(), file] {
            let mut item = row("t", "s", PENDING);
            item.insert("transaction_status".into(), AttrValue::N("0".into()));
            store.put_sync(&item).unwrap();
            assert!(!store.update_if_sync("t", "s", &confirm()).unwrap());
            assert!(!store.update_if_sync("t", "none", &confirm()).unwrap());
            assert_eq!(store.query_trip_sync("t").unwrap(), vec![item]);
        }
    }

    #[test]
    fn an_update_keeps_the_other_attributes() {
        let (_dir, file) = crate::store::temp_file_store();
        for store in [Store::open_in_memory().unwrap(), file] {
            let mut item = row("t", "s", PENDING);
            item.insert("n".into(), AttrValue::N("1.50".into()));
            store.put_sync(&item).unwrap();
            assert!(store.update_if_sync("t", "s", &confirm()).unwrap());
            item.insert(
                "transaction_status".into(),
                AttrValue::S("confirmed".into()),
            );
            assert_eq!(store.query_trip_sync("t").unwrap(), vec![item]);
        }
    }

    #[test]
    fn a_damaged_row_is_reported_with_its_key() {
        let (_dir, store) = crate::store::temp_file_store();
        store
            .conn()
            .unwrap()
            .execute(
                "INSERT INTO item_versions (pk, sk, tag, item)
                 VALUES ('t', 's', 0, '{\"x\":{\"Q\":1}}')",
                [],
            )
            .unwrap();
        let err = store.query_trip_sync("t").unwrap_err().to_string();
        assert!(err.contains("test.db") && err.contains("\"s\""), "{err}");
    }
}
