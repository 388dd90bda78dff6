//! The saga's table rows, with the same semantics the handlers get from DynamoDB.
//!
//! Each row is stored whole as DynamoDB JSON, keyed by its string `pk` and `sk`.
//! SQLite compares text byte by byte (UTF-8), which is exactly how DynamoDB orders
//! string sort keys, so `query_trip` returns rows in DynamoDB's order.

use super::{LockedRows, Store, StoreError};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
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

impl Store {
    /// Writes (or overwrites) a row: [`Table::put`] without the async wrapper.
    pub fn put_sync(&self, item: &Item) -> Result<(), StoreError> {
        let (pk, sk) = item_keys(item)?;
        match self.lock_rows() {
            LockedRows::Sqlite(conn) => self.put_item_in(&conn, item),
            LockedRows::Memory(mut m) => {
                m.put(pk, sk, item);
                Ok(())
            }
        }
    }

    /// Writes a row inside the caller's connection or transaction.
    pub(super) fn put_item_in(&self, conn: &Connection, item: &Item) -> Result<(), StoreError> {
        let (pk, sk) = item_keys(item)?;
        let json = serde_json::to_string(item).map_err(|source| StoreError::Encode {
            what: "a table item",
            source,
        })?;
        conn.prepare_cached(
            "INSERT INTO items (pk, sk, item) VALUES (?1, ?2, ?3)
             ON CONFLICT (pk, sk) DO UPDATE SET item = excluded.item",
        )
        .and_then(|mut st| st.execute(params![pk, sk, json]))
        .map_err(self.sql_err("writing a table item"))?;
        Ok(())
    }

    /// Updates an existing row if its attribute holds the expected value (see
    /// [`SetIf`]); whether it did. A missing row changes nothing, as in DynamoDB.
    pub fn update_if_sync(&self, pk: &str, sk: &str, update: &SetIf) -> Result<bool, StoreError> {
        let mut conn = match self.lock_rows() {
            LockedRows::Sqlite(conn) => conn,
            LockedRows::Memory(mut m) => return Ok(m.update_if(pk, sk, update)),
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.sql_err("starting a conditional update"))?;
        let text: Option<String> = tx
            .prepare_cached("SELECT item FROM items WHERE pk = ?1 AND sk = ?2")
            .and_then(|mut st| st.query_row([pk, sk], |r| r.get(0)).optional())
            .map_err(self.sql_err("reading a table item"))?;
        let Some(text) = text else {
            return Ok(false);
        };
        let mut item = self.parse_item(pk, sk, &text)?;
        if !update.apply(&mut item) {
            return Ok(false);
        }
        self.put_item_in(&tx, &item)?;
        tx.commit()
            .map_err(self.sql_err("committing a conditional update"))?;
        Ok(true)
    }

    /// Deletes a row; a missing row is not an error: [`Table::delete`] without the
    /// async wrapper.
    pub fn delete_sync(&self, pk: &str, sk: &str) -> Result<(), StoreError> {
        match self.lock_rows() {
            LockedRows::Sqlite(conn) => self.delete_item_in(&conn, pk, sk),
            LockedRows::Memory(mut m) => {
                m.delete(pk, sk);
                Ok(())
            }
        }
    }

    /// Deletes a row inside the caller's connection or transaction.
    pub(super) fn delete_item_in(
        &self,
        conn: &Connection,
        pk: &str,
        sk: &str,
    ) -> Result<(), StoreError> {
        conn.prepare_cached("DELETE FROM items WHERE pk = ?1 AND sk = ?2")
            .and_then(|mut st| st.execute(params![pk, sk]))
            .map_err(self.sql_err("deleting a table item"))?;
        Ok(())
    }

    /// One row, or `None` if there is none.
    pub fn get_item_sync(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let text: Option<String> = {
            let conn = match self.read_lock_rows() {
                LockedRows::Sqlite(conn) => conn,
                LockedRows::Memory(m) => return Ok(m.get_item(pk, sk)),
            };
            conn.prepare_cached("SELECT item FROM items WHERE pk = ?1 AND sk = ?2")
                .and_then(|mut st| st.query_row([pk, sk], |r| r.get(0)).optional())
                .map_err(self.sql_err("reading a table item"))?
        };
        text.map(|text| self.parse_item(pk, sk, &text)).transpose()
    }

    /// All rows of one trip ordered by `sk`, for the UI (which polls from plain code)
    /// and for [`Table::query_trip`].
    pub fn query_trip_sync(&self, pk: &str) -> Result<Vec<Item>, StoreError> {
        let texts: Vec<(String, String)> = {
            let conn = match self.read_lock_rows() {
                LockedRows::Sqlite(conn) => conn,
                LockedRows::Memory(m) => return Ok(m.query_trip(pk)),
            };
            let mut st = conn
                .prepare_cached("SELECT sk, item FROM items WHERE pk = ?1 ORDER BY sk")
                .map_err(self.sql_err("querying a trip's items"))?;
            st.query_map([pk], |r| Ok((r.get(0)?, r.get(1)?)))
                .and_then(|rows| rows.collect())
                .map_err(self.sql_err("querying a trip's items"))?
        };
        texts
            .into_iter()
            .map(|(sk, text)| self.parse_item(pk, &sk, &text))
            .collect()
    }

    /// A stored row's DynamoDB JSON, or an error naming the row and the file.
    fn parse_item(&self, pk: &str, sk: &str, text: &str) -> Result<Item, StoreError> {
        serde_json::from_str(text).map_err(|e| StoreError::BadRow {
            location: self.location().to_string(),
            what: format!("item (pk {pk:?}, sk {sk:?})"),
            detail: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
                "INSERT INTO items VALUES ('t', 's', '{\"x\":{\"Q\":1}}')",
                [],
            )
            .unwrap();
        let err = store.query_trip_sync("t").unwrap_err().to_string();
        assert!(err.contains("test.db") && err.contains("\"s\""), "{err}");
    }
}
