//! The `start-saga` Lambda function behind API Gateway.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    saga_lambdas::start::run_starter().await
}
