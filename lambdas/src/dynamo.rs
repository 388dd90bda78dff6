//! The saga's table in DynamoDB: what the deployed functions write and any viewer reads.

use crate::handlers::{CONFIRMED, PENDING};
use crate::item::{AttrValue, Item};
use crate::settings::{CANCEL_FAILURE_RATE_SK, CONFIG_PK, RATE_ATTRIBUTE, Settings};
use crate::table::{Confirmed, Table, TableError};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// The saga's table in DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoTable {
    client: Client,
    table_name: String,
    page_size: Option<i32>,
}

impl DynamoTable {
    /// Wraps a client and the table's name (the functions read it from `TABLE_NAME`).
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        Self {
            client,
            table_name: table_name.into(),
            page_size: None,
        }
    }

    /// Caps how many items one Query page returns (DynamoDB's `Limit`), so paging is
    /// exercised with a handful of rows; `None` lets DynamoDB fill 1 MB pages.
    pub fn with_page_size(mut self, page_size: Option<i32>) -> Self {
        self.page_size = page_size;
        self
    }

    /// The table's name.
    pub fn table_name(&self) -> &str {
        &self.table_name
    }

    fn key(pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("pk".to_string(), AttributeValue::S(pk.to_string())),
            ("sk".to_string(), AttributeValue::S(sk.to_string())),
        ])
    }

    fn backend_error<E>(&self, op: &str, e: SdkError<E, HttpResponse>) -> TableError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        // A server that answers in a format the SDK cannot parse (some compatible
        // servers send XML errors) still says what went wrong in the body.
        let status = e.raw_response().map(|r| r.status().as_u16());
        let body = e
            .raw_response()
            .and_then(|r| r.body().bytes())
            .filter(|_| e.as_service_error().and_then(|s| s.code()).is_none())
            .map(|b| {
                String::from_utf8_lossy(b)
                    .chars()
                    .take(400)
                    .collect::<String>()
            });
        let mut text = format!(
            "DynamoDB {op} on table {}: {}",
            self.table_name,
            DisplayErrorContext(e)
        );
        if let (Some(status), Some(body)) = (status, body) {
            text.push_str(&format!(" (HTTP {status}: {body})"));
        }
        TableError::Backend(text)
    }

    /// Writes the compensations' failure rate every deployed compensation reads from
    /// now on (the item [`CONFIG_PK`]/[`CANCEL_FAILURE_RATE_SK`]): how a viewer starts
    /// or ends an "outage" for running and redriven executions alike. One PutItem on
    /// that item only, so a viewer's policy can allow exactly this write.
    pub async fn set_cancel_failure_rate(&self, rate: f64) -> Result<(), TableError> {
        crate::trip::validate_cancel_failure_rate(rate).map_err(TableError::Backend)?;
        self.put(Item::from([
            ("pk".to_owned(), AttrValue::S(CONFIG_PK.to_owned())),
            (
                "sk".to_owned(),
                AttrValue::S(CANCEL_FAILURE_RATE_SK.to_owned()),
            ),
            (RATE_ATTRIBUTE.to_owned(), AttrValue::N(rate.to_string())),
        ]))
        .await
    }
}

/// Converts a saga attribute into the SDK's type.
pub fn to_sdk(v: &AttrValue) -> AttributeValue {
    match v {
        AttrValue::S(s) => AttributeValue::S(s.clone()),
        AttrValue::N(n) => AttributeValue::N(n.clone()),
        AttrValue::Bool(b) => AttributeValue::Bool(*b),
        AttrValue::Null(b) => AttributeValue::Null(*b),
        AttrValue::L(l) => AttributeValue::L(l.iter().map(to_sdk).collect()),
        AttrValue::M(m) => {
            AttributeValue::M(m.iter().map(|(k, v)| (k.clone(), to_sdk(v))).collect())
        }
    }
}

/// Converts an SDK attribute back; types the saga never writes (sets, binary) are
/// rendered as strings so a foreign row still shows up rather than vanishing.
pub fn from_sdk(v: &AttributeValue) -> AttrValue {
    match v {
        AttributeValue::S(s) => AttrValue::S(s.clone()),
        AttributeValue::N(n) => AttrValue::N(n.clone()),
        AttributeValue::Bool(b) => AttrValue::Bool(*b),
        AttributeValue::Null(b) => AttrValue::Null(*b),
        AttributeValue::L(l) => AttrValue::L(l.iter().map(from_sdk).collect()),
        AttributeValue::M(m) => {
            AttrValue::M(m.iter().map(|(k, v)| (k.clone(), from_sdk(v))).collect())
        }
        other => AttrValue::S(format!("{other:?}")),
    }
}

/// Converts a whole SDK item.
pub fn item_from_sdk(m: &HashMap<String, AttributeValue>) -> Item {
    m.iter().map(|(k, v)| (k.clone(), from_sdk(v))).collect()
}

impl Table for DynamoTable {
    async fn put(&self, item: Item) -> Result<(), TableError> {
        let item = item.iter().map(|(k, v)| (k.clone(), to_sdk(v))).collect();
        self.client
            .put_item()
            .table_name(&self.table_name)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| self.backend_error("PutItem", e))?;
        Ok(())
    }

    async fn confirm(&self, pk: &str, sk: &str) -> Result<Confirmed, TableError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table_name)
            .set_key(Some(Self::key(pk, sk)))
            .update_expression("SET transaction_status = :confirmed")
            .condition_expression("transaction_status = :pending")
            .expression_attribute_values(":confirmed", AttributeValue::S(CONFIRMED.into()))
            .expression_attribute_values(":pending", AttributeValue::S(PENDING.into()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Confirmed::Yes),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(Confirmed::NoPendingRow)
            }
            Err(e) => Err(self.backend_error("UpdateItem", e)),
        }
    }

    async fn delete(&self, pk: &str, sk: &str) -> Result<(), TableError> {
        self.client
            .delete_item()
            .table_name(&self.table_name)
            .set_key(Some(Self::key(pk, sk)))
            .send()
            .await
            .map_err(|e| self.backend_error("DeleteItem", e))?;
        Ok(())
    }

    async fn query_trip(&self, pk: &str) -> Result<Vec<Item>, TableError> {
        let mut rows = Vec::new();
        let mut start_key = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table_name)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(pk.to_string()))
                .consistent_read(true)
                .set_limit(self.page_size)
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(|e| self.backend_error("Query", e))?;
            rows.extend(page.items().iter().map(item_from_sdk));
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start_key = Some(k),
                _ => break,
            }
        }
        Ok(rows)
    }
}

/// The deployed functions' settings: configuration items in the saga's own table, so
/// whoever drives the stack can end an "outage" without redeploying anything.
impl Settings for DynamoTable {
    async fn cancel_failure_rate(&self) -> Result<Option<f64>, TableError> {
        let got = self
            .client
            .get_item()
            .table_name(&self.table_name)
            .set_key(Some(Self::key(CONFIG_PK, CANCEL_FAILURE_RATE_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.backend_error("GetItem", e))?;
        let Some(item) = got.item else {
            return Ok(None);
        };
        match item.get(RATE_ATTRIBUTE) {
            Some(AttributeValue::N(n)) => n
                .parse::<f64>()
                .ok()
                .filter(|r| (0.0..=1.0).contains(r))
                .map(Some)
                .ok_or_else(|| {
                    TableError::Backend(format!(
                        "the {CONFIG_PK}/{CANCEL_FAILURE_RATE_SK} item of table {} holds \
                         {RATE_ATTRIBUTE} = {n}, not a number from 0 to 1",
                        self.table_name
                    ))
                }),
            _ => Ok(None),
        }
    }
}
