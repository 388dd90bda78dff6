//! Table rows in SQLite, with the semantics the handlers get from DynamoDB.
//!
//! Each row is stored whole as DynamoDB JSON, keyed by its string `pk` and `sk`.
//! SQLite compares text byte by byte (UTF-8), which is exactly how DynamoDB orders
//! string sort keys, so a query returns rows in DynamoDB's order.

use super::SqliteStore;
use crate::store::StoreError;
use crate::store::items::{SetIf, item_keys};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use saga_lambdas::Item;

impl SqliteStore {
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

    /// `Backend::update_if`: read, checked and written in one transaction.
    pub(super) fn update_if(&self, pk: &str, sk: &str, update: &SetIf) -> Result<bool, StoreError> {
        let mut conn = self.writer();
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

    /// `Backend::get_item`.
    pub(super) fn get_item(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let text: Option<String> = {
            let conn = self.reader();
            conn.prepare_cached("SELECT item FROM items WHERE pk = ?1 AND sk = ?2")
                .and_then(|mut st| st.query_row([pk, sk], |r| r.get(0)).optional())
                .map_err(self.sql_err("reading a table item"))?
        };
        text.map(|text| self.parse_item(pk, sk, &text)).transpose()
    }

    /// `Backend::query`.
    pub(super) fn query(&self, pk: &str) -> Result<Vec<Item>, StoreError> {
        let texts: Vec<(String, String)> = {
            let conn = self.reader();
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
