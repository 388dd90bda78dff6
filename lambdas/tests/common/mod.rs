//! Shared set-up for tests against the moto server that `scripts/test` starts.

#![allow(dead_code)]

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use saga_lambdas::dynamo::DynamoTable;
use std::sync::atomic::{AtomicU32, Ordering};

/// The moto server's URL. The tests need the real DynamoDB / Step Functions APIs, so a
/// missing server is a failure, not a skip.
pub fn moto_url() -> String {
    std::env::var("MOTO_URL").expect(
        "MOTO_URL is not set: these tests talk to a moto server; run scripts/test, which starts one",
    )
}

/// SDK configuration pointed at moto with throwaway credentials.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(moto_url())
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .load()
        .await
}

/// A name no other test (or earlier run against the same server) uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    )
}

/// Creates a fresh saga table (pk/sk strings, on-demand) and returns it wrapped.
pub async fn new_table(config: &SdkConfig) -> DynamoTable {
    let client = aws_sdk_dynamodb::Client::new(config);
    let name = unique("saga");
    let key = |n: &str, t| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .expect("key schema")
    };
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute definition")
    };
    client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(attr("pk"))
        .attribute_definitions(attr("sk"))
        .send()
        .await
        .expect("create table in moto");
    DynamoTable::new(client, name)
}
