//! The `--aws` flags: point the UI or `run` at a deployed stack or a compatible endpoint.

use clap::{Args, ValueEnum};
use sagaview::backend::aws::history::PageSizes;
use sagaview::backend::aws::{AwsOptions, LaunchVia};

/// How launches reach the state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LaunchViaArg {
    /// StartExecution with the input the API's starter builds.
    StartExecution,
    /// GET on the stack's API Gateway URL, as the article does.
    Api,
}

/// Where the deployed saga is. Everything else comes from the standard AWS
/// configuration (AWS_PROFILE, AWS_REGION, SSO profiles, AWS_ENDPOINT_URL, …).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "AWS (a deployed stack, or any compatible endpoint)")]
pub struct AwsArgs {
    /// Drive and watch the saga on AWS Step Functions and DynamoDB instead of the
    /// embedded runtime.
    #[arg(long)]
    pub aws: bool,

    /// The SAM stack: its outputs StateMachineArn, TableName and ApiUrl name the resources.
    #[arg(long, value_name = "NAME", requires = "aws")]
    pub stack: Option<String>,

    /// The saga state machine (instead of, or overriding, the stack output).
    #[arg(long, value_name = "ARN", requires = "aws")]
    pub state_machine_arn: Option<String>,

    /// The saga's DynamoDB table (instead of, or overriding, the stack output).
    #[arg(long, value_name = "NAME", requires = "aws")]
    pub table: Option<String>,

    /// The starter API's URL (instead of, or overriding, the stack output).
    #[arg(long, value_name = "URL", requires = "aws")]
    pub api_url: Option<String>,

    /// One endpoint for every AWS service: LocalStack, moto, or another compatible server.
    #[arg(long, value_name = "URL", requires = "aws")]
    pub endpoint_url: Option<String>,

    /// Named profile from ~/.aws/config (SSO profiles included).
    #[arg(long, value_name = "NAME", requires = "aws")]
    pub profile: Option<String>,

    /// AWS region (default: AWS_REGION or the profile's region).
    #[arg(long, value_name = "REGION", requires = "aws")]
    pub region: Option<String>,

    /// How a launch starts the saga: StartExecution, or a GET on the API URL.
    #[arg(
        long,
        value_enum,
        value_name = "HOW",
        default_value = "start-execution"
    )]
    pub launch_via: LaunchViaArg,

    /// Events per GetExecutionHistory page (1-1000); small pages still give whole histories.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(i32).range(1..=1000))]
    pub history_page_size: i32,

    /// Items per DynamoDB Query page (default: DynamoDB's 1 MB pages).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..))]
    pub rows_page_size: Option<i32>,
}

impl AwsArgs {
    /// The backend options, or a usage error when the flags cannot name a saga.
    pub fn options(&self) -> Result<AwsOptions, String> {
        if self.stack.is_none() && (self.state_machine_arn.is_none() || self.table.is_none()) {
            return Err(
                "--aws needs --stack NAME, or both --state-machine-arn ARN and --table NAME".into(),
            );
        }
        Ok(AwsOptions {
            stack: self.stack.clone(),
            state_machine_arn: self.state_machine_arn.clone(),
            table: self.table.clone(),
            api_url: self.api_url.clone(),
            endpoint_url: self.endpoint_url.clone(),
            profile: self.profile.clone(),
            region: self.region.clone(),
            launch_via: match self.launch_via {
                LaunchViaArg::StartExecution => LaunchVia::StartExecution,
                LaunchViaArg::Api => LaunchVia::Api,
            },
            pages: PageSizes {
                full: self.history_page_size,
                tail: self.history_page_size.min(PageSizes::default().tail),
            },
            rows_page_size: self.rows_page_size,
        })
    }
}
