//! The saga's table rows, with the same semantics the handlers get from DynamoDB.
//!
//! Each row is stored whole as DynamoDB JSON, keyed by its string `pk` and `sk`.
//! SQLite compares text byte by byte (UTF-8), which is exactly how DynamoDB orders
//! string sort keys, so `query_trip` returns rows in DynamoDB's order.

use super::{LockedRows, Store, StoreError};
use rusqlite::{Connection, OptionalExtension, params};
use saga_lambdas::handlers::{CONFIRMED, PENDING};
use saga_lambdas::table::Confirmed;
use saga_lambdas::{AttrValue, Item, Table, TableError};

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

/// The attribute the saga's conditional confirm reads and flips.
pub(super) const STATUS: &str = "transaction_status";

/// DynamoDB's `transaction_status = :pending` condition and its update, on a row in
/// hand: flips the string `pending` to `confirmed`; anything else changes nothing.
pub(crate) fn confirm_row(item: &mut Item) -> Confirmed {
    if item.get(STATUS).and_then(AttrValue::as_s) != Some(PENDING) {
        return Confirmed::NoPendingRow;
    }
    item.insert(STATUS.to_string(), AttrValue::S(CONFIRMED.to_string()));
    Confirmed::Yes
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

    /// Flips `transaction_status` from `pending` to `confirmed`, only on an existing
    /// pending row: [`Table::confirm`] without the async wrapper.
    ///
    /// Like DynamoDB's condition `transaction_status = :pending`, the attribute must be
    /// the string `pending`; anything else changes nothing.
    pub fn confirm_sync(&self, pk: &str, sk: &str) -> Result<Confirmed, StoreError> {
        let conn = match self.lock_rows() {
            LockedRows::Sqlite(conn) => conn,
            LockedRows::Memory(mut m) => return Ok(m.confirm(pk, sk)),
        };
        let changed = conn
            .prepare_cached(
                "UPDATE items SET item = json_set(item, '$.transaction_status.S', ?4)
                 WHERE pk = ?1 AND sk = ?2
                   AND json_extract(item, '$.transaction_status.S') = ?3",
            )
            .and_then(|mut st| st.execute(params![pk, sk, PENDING, CONFIRMED]))
            .map_err(self.sql_err("confirming a table item"))?;
        Ok(if changed == 1 {
            Confirmed::Yes
        } else {
            Confirmed::NoPendingRow
        })
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

/// The handlers' table, so the very same handler code runs against the embedded store.
impl Table for Store {
    async fn put(&self, item: Item) -> Result<(), TableError> {
        Ok(self.put_sync(&item)?)
    }

    async fn confirm(&self, pk: &str, sk: &str) -> Result<Confirmed, TableError> {
        Ok(self.confirm_sync(pk, sk)?)
    }

    async fn delete(&self, pk: &str, sk: &str) -> Result<(), TableError> {
        Ok(self.delete_sync(pk, sk)?)
    }

    async fn query_trip(&self, pk: &str) -> Result<Vec<Item>, TableError> {
        Ok(self.query_trip_sync(pk)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use saga_lambdas::item::string_item;

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
    fn confirm_needs_the_string_pending() {
        let (_dir, file) = crate::store::temp_file_store();
        for store in [Store::open_in_memory().unwrap(), file] {
            let mut item = row("t", "s", PENDING);
            item.insert("transaction_status".into(), AttrValue::N("0".into()));
            store.put_sync(&item).unwrap();
            assert_eq!(
                store.confirm_sync("t", "s").unwrap(),
                Confirmed::NoPendingRow
            );
            assert_eq!(store.query_trip_sync("t").unwrap(), vec![item]);
        }
    }

    #[test]
    fn confirm_keeps_the_other_attributes_and_the_s_type() {
        let (_dir, file) = crate::store::temp_file_store();
        for store in [Store::open_in_memory().unwrap(), file] {
            let mut item = row("t", "s", PENDING);
            item.insert("n".into(), AttrValue::N("1.50".into()));
            store.put_sync(&item).unwrap();
            assert_eq!(store.confirm_sync("t", "s").unwrap(), Confirmed::Yes);
            item.insert(
                "transaction_status".into(),
                AttrValue::S(CONFIRMED.to_string()),
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
