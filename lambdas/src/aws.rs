//! The Lambda runtime glue: one saga step as a deployed function.

use crate::chance::ThreadChance;
use crate::dynamo::DynamoTable;
use crate::handlers::{Env, handle};
use crate::step::Step;
use aws_sdk_dynamodb::Client;

pub use crate::dynamo::{from_sdk, item_from_sdk, to_sdk};

/// Runs one saga step as a Lambda function: the whole body of each step binary.
///
/// The client is built once, outside the handler, and reused across invocations.
pub async fn run_step(step: Step) -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let table_name = std::env::var("TABLE_NAME")
        .map_err(|_| "the TABLE_NAME environment variable is not set")?;
    let config = aws_config::load_from_env().await;
    let table = DynamoTable::new(Client::new(&config), table_name);
    let table = &table;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            let env = Env {
                table,
                chance: &ThreadChance,
                settings: table,
            };
            handle(step, env, &event.payload).await
        },
    ))
    .await
}
