//! The `request-approval` Lambda function.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    saga_lambdas::aws::run_step(saga_lambdas::Step::RequestApproval).await
}
