//! Table rows in SQLite, with the semantics the handlers get from DynamoDB.
//!
//! Each write of a row is a version, stored whole as DynamoDB JSON (a NULL for a
//! deletion), keyed by its string `pk` and `sk`; the row is its latest version (see
//! `store::versions`).
//! SQLite compares text byte by byte (UTF-8), which is exactly how DynamoDB orders
//! string sort keys, so a query returns rows in DynamoDB's order.

use super::SqliteStore;
use crate::store::StoreError;
use crate::store::items::{SetIf, item_keys};
use crate::store::versions::{RowWriter, Version, latest_rows};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use saga_lambdas::Item;

impl SqliteStore {
    /// Writes a row inside the caller's connection or transaction, with its version.
    pub(super) fn put_item_in(
        &self,
        conn: &Connection,
        item: &Item,
        by: RowWriter<'_>,
    ) -> Result<(), StoreError> {
        let (pk, sk) = item_keys(item)?;
        let json = serde_json::to_string(item).map_err(|source| StoreError::Encode {
            what: "a table item",
            source,
        })?;
        self.keep_version(conn, pk, sk, Some(&json), by)
    }

    /// Records a row version (`None`: a deletion), tagged with the writer's last event
    /// in this file, which the one queue of writes makes the last one recorded before
    /// the write (see `store::versions`).
    fn keep_version(
        &self,
        conn: &Connection,
        pk: &str,
        sk: &str,
        item: Option<&str>,
        by: RowWriter<'_>,
    ) -> Result<(), StoreError> {
        // Read apart, not as a subquery of the insert: SQLite prepares such an insert
        // again whenever its ARN changes.
        let tag: Option<i64> = match by {
            Some(arn) => conn
                .prepare_cached("SELECT max(id) FROM events WHERE execution_arn = ?1")
                .and_then(|mut st| st.query_row([arn], |r| r.get(0)))
                .map_err(self.sql_err("reading the writer's last event"))?,
            None => None,
        };
        conn.prepare_cached(
            "INSERT INTO item_versions (pk, sk, execution_arn, tag, item)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut st| st.execute(params![pk, sk, by, tag.unwrap_or(0), item]))
        .map_err(self.sql_err("writing a table item"))?;
        Ok(())
    }

    /// `Backend::rows_after_event`, read from the versions (see `store::versions`).
    pub(super) fn rows_after_event(
        &self,
        pk: &str,
        execution_arn: &str,
        event_id: i64,
    ) -> Result<Option<Vec<Item>>, StoreError> {
        let conn = self.reader();
        let rows_before: Option<Option<i64>> = conn
            .prepare_cached("SELECT rows_before FROM executions WHERE execution_arn = ?1")
            .and_then(|mut st| st.query_row([execution_arn], |r| r.get(0)).optional())
            .map_err(self.sql_err("reading where an execution's rows begin"))?;
        let Some(Some(rows_before)) = rows_before else {
            return Ok(None);
        };
        let texts: Vec<(String, Option<String>)> = conn
            .prepare_cached(
                "SELECT sk, item FROM item_versions
                 WHERE pk = ?1 AND (seq <= ?2 OR (execution_arn = ?3 AND tag < ?4))
                 ORDER BY seq",
            )
            .and_then(|mut st| {
                st.query_map(params![pk, rows_before, execution_arn, event_id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .and_then(|rows| rows.collect())
            })
            .map_err(self.sql_err("reading a trip's past rows"))?;
        drop(conn);
        let versions = texts
            .iter()
            .map(|(sk, text)| {
                let item = text
                    .as_deref()
                    .map(|text| self.parse_item(pk, sk, text))
                    .transpose()?;
                Ok(Version { sk, item })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some(latest_rows(versions)))
    }

    /// `Backend::update_if`: read, checked and written in one transaction.
    pub(super) fn update_if(
        &self,
        pk: &str,
        sk: &str,
        update: &SetIf,
        by: RowWriter<'_>,
    ) -> Result<bool, StoreError> {
        let mut conn = self.writer();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.sql_err("starting a conditional update"))?;
        let text = self.latest_in(&tx, pk, sk)?;
        let Some(text) = text else {
            return Ok(false);
        };
        let mut item = self.parse_item(pk, sk, &text)?;
        if !update.apply(&mut item) {
            return Ok(false);
        }
        self.put_item_in(&tx, &item, by)?;
        tx.commit()
            .map_err(self.sql_err("committing a conditional update"))?;
        Ok(true)
    }

    /// Deletes a row inside the caller's connection or transaction, with its version.
    pub(super) fn delete_item_in(
        &self,
        conn: &Connection,
        pk: &str,
        sk: &str,
        by: RowWriter<'_>,
    ) -> Result<(), StoreError> {
        self.keep_version(conn, pk, sk, None, by)
    }

    /// A row's latest version's text, `None` if it has none or was deleted.
    fn latest_in(
        &self,
        conn: &Connection,
        pk: &str,
        sk: &str,
    ) -> Result<Option<String>, StoreError> {
        let latest: Option<Option<String>> = conn
            .prepare_cached(
                "SELECT item FROM item_versions WHERE pk = ?1 AND sk = ?2
                 ORDER BY seq DESC LIMIT 1",
            )
            .and_then(|mut st| st.query_row([pk, sk], |r| r.get(0)).optional())
            .map_err(self.sql_err("reading a table item"))?;
        Ok(latest.flatten())
    }

    /// `Backend::get_item`.
    pub(super) fn get_item(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let text = self.latest_in(&self.reader(), pk, sk)?;
        text.map(|text| self.parse_item(pk, sk, &text)).transpose()
    }

    /// `Backend::query`.
    pub(super) fn query(&self, pk: &str) -> Result<Vec<Item>, StoreError> {
        let texts: Vec<(String, String)> = {
            let conn = self.reader();
            let mut st = conn
                .prepare_cached(
                    "SELECT sk, item FROM item_versions v WHERE pk = ?1 AND item IS NOT NULL
                       AND seq = (SELECT max(seq) FROM item_versions
                                  WHERE pk = v.pk AND sk = v.sk)
                     ORDER BY sk",
                )
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
