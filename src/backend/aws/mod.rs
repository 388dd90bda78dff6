//! The AWS backend: drive and watch a deployed saga (or any Step Functions / DynamoDB
//! compatible endpoint) through the same [`SagaBackend`] calls the embedded runtime
//! answers.
//!
//! Configuration is the standard AWS chain (aws-config: profiles, SSO, environment,
//! `AWS_ENDPOINT_URL[_SFN]`), every Step Functions call is paced by [`quota::Limiter`],
//! and failures come back as one line that says what to do.

pub mod failure;
pub mod history;
pub mod quota;
pub mod stack;
pub mod wire;

use super::{
    BackendError, BackendInfo, BackendKind, ExecutionSummary, Launch, RedriveFacts, SagaBackend,
    SagaMachine,
};
use crate::asl::{Definition, load_definition};
use crate::future::BoxFuture;
use crate::history::ExecutionStatus;
use crate::history::HistoryEvent;
use crate::share::described::Included;
use crate::share::{DescribedExecution, SharedExecution};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use history::{Page, PageSizes, PageSource};
use quota::{Api, Limiter};
use saga_lambdas::dynamo::DynamoTable;
use saga_lambdas::{Item, Table, TripRequest};
use stack::Targets;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wire::{CallLog, RawBody};

/// How a launch reaches Step Functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LaunchVia {
    /// `StartExecution` with the input the API's starter function builds.
    #[default]
    StartExecution,
    /// A GET on the stack's API Gateway URL, as the article's users do.
    Api,
}

/// Where the deployment is and how to reach it.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// CloudFormation stack whose outputs name the resources.
    pub stack: Option<String>,
    /// The saga state machine (overrides the stack output).
    pub state_machine_arn: Option<String>,
    /// The saga table (overrides the stack output).
    pub table: Option<String>,
    /// The starter API's URL (overrides the stack output).
    pub api_url: Option<String>,
    /// One endpoint for every service (LocalStack, moto, …).
    pub endpoint_url: Option<String>,
    /// Named profile from the AWS config files.
    pub profile: Option<String>,
    /// Region (else the environment or the profile's).
    pub region: Option<String>,
    /// StartExecution or the API.
    pub launch_via: LaunchVia,
    /// `GetExecutionHistory` page sizes.
    pub pages: PageSizes,
    /// DynamoDB Query page size (`None`: DynamoDB's 1 MB pages).
    pub rows_page_size: Option<i32>,
}

/// How long a failed stack lookup is remembered before trying again.
const RESOLVE_RETRY: Duration = Duration::from_secs(5);

/// The saga on AWS.
pub struct AwsBackend {
    options: AwsOptions,
    region: String,
    sfn: aws_sdk_sfn::Client,
    dynamodb: aws_sdk_dynamodb::Client,
    cloudformation: aws_sdk_cloudformation::Client,
    http: reqwest::Client,
    limiter: Limiter,
    calls: CallLog,
    targets: tokio::sync::OnceCell<Targets>,
    last_resolve_failure: Mutex<Option<(tokio::time::Instant, BackendError)>>,
    definitions: Mutex<HashMap<String, Arc<Definition>>>,
}

impl std::fmt::Debug for AwsBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsBackend")
            .field("region", &self.region)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// AWS SDK timestamps as chrono's.
fn to_chrono(t: &aws_smithy_types::DateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos()).unwrap_or_default()
}

/// An AWS status string; statuses newer than this version (e.g. `PENDING_REDRIVE`)
/// read as running, which is what they mean for a viewer.
fn status_of(s: &str) -> ExecutionStatus {
    s.parse().unwrap_or(ExecutionStatus::Running)
}

impl AwsBackend {
    /// Loads the AWS configuration and builds the clients. Only a missing region fails
    /// here; everything that needs the network is tried (and retried) on first use, so
    /// the UI can start and show what is wrong.
    pub async fn connect(options: AwsOptions) -> Result<Self, BackendError> {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .operation_attempt_timeout(Duration::from_secs(10))
                    .operation_timeout(Duration::from_secs(30))
                    .build(),
            );
        if let Some(p) = &options.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &options.region {
            loader = loader.region(aws_config::Region::new(r.clone()));
        }
        if let Some(e) = &options.endpoint_url {
            loader = loader.endpoint_url(e);
        }
        let sdk = loader.load().await;
        let region = sdk
            .region()
            .map(|r| r.to_string())
            .filter(|r| !r.trim().is_empty())
            .ok_or_else(|| {
                BackendError::Failed(
                    "no AWS region: pass --region, set AWS_REGION, or set region in your profile"
                        .into(),
                )
            })?;
        let calls = CallLog::default();
        let sfn = aws_sdk_sfn::Client::from_conf(
            aws_sdk_sfn::config::Builder::from(&sdk)
                .interceptor(calls.clone())
                .build(),
        );
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| BackendError::Failed(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            region,
            sfn,
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            cloudformation: aws_sdk_cloudformation::Client::new(&sdk),
            http,
            limiter: Limiter::default(),
            calls,
            targets: tokio::sync::OnceCell::new(),
            last_resolve_failure: Mutex::new(None),
            definitions: Mutex::new(HashMap::new()),
            options,
        })
    }

    /// Every Step Functions request sent so far (retries included), for rate checks.
    pub fn call_log(&self) -> &CallLog {
        &self.calls
    }

    /// One machine's recent executions (ListExecutions), newest first.
    async fn list_executions_of(
        &self,
        arn: &str,
        limit: usize,
    ) -> Result<Vec<ExecutionSummary>, BackendError> {
        let max = i32::try_from(limit.clamp(1, 1000)).unwrap_or(1000);
        let out = self
            .call(
                Api::ListExecutions,
                self.sfn
                    .list_executions()
                    .state_machine_arn(arn)
                    .max_results(max)
                    .send(),
            )
            .await?;
        Ok(out
            .executions()
            .iter()
            .map(|e| ExecutionSummary {
                execution_arn: e.execution_arn().to_string(),
                name: e.name().to_string(),
                status: status_of(e.status().as_str()),
                start_date: to_chrono(e.start_date()),
                stop_date: e.stop_date().map(to_chrono),
                run_type: None,
                trip_id: None,
                error: None,
                cause: None,
                output: None,
                redrive: RedriveFacts {
                    count: e
                        .redrive_count()
                        .and_then(|n| u32::try_from(n).ok())
                        .unwrap_or(0),
                    date: e.redrive_date().map(to_chrono),
                    status: None,
                    status_reason: None,
                },
            })
            .collect())
    }

    /// StartExecution of the saga's input on `state_machine_arn`.
    async fn start_execution(
        &self,
        state_machine_arn: &str,
        launch: &Launch,
    ) -> Result<String, BackendError> {
        let input =
            TripRequest::example(&launch.trip_id, launch.run_type, launch.cancel_failure_rate)
                .to_input()
                .to_string();
        let name = saga_lambdas::trip::execution_name(&launch.trip_id);
        let out = self
            .call(
                Api::StartExecution,
                self.sfn
                    .start_execution()
                    .state_machine_arn(state_machine_arn)
                    .name(name)
                    .input(input)
                    .send(),
            )
            .await?;
        Ok(out.execution_arn)
    }

    /// The resources, from the flags or the stack's outputs (looked up once).
    pub async fn targets(&self) -> Result<&Targets, BackendError> {
        if let Some(t) = self.targets.get() {
            return Ok(t);
        }
        if let Some((at, err)) = &*self
            .last_resolve_failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            && at.elapsed() < RESOLVE_RETRY
        {
            return Err(err.clone());
        }
        let result = self
            .targets
            .get_or_try_init(|| async {
                let o = &self.options;
                let outputs = match &o.stack {
                    Some(stack) => stack::outputs_of(&self.cloudformation, stack).await?,
                    None => HashMap::new(),
                };
                stack::targets_from(
                    o.stack.as_deref(),
                    &outputs,
                    o.state_machine_arn.as_deref(),
                    o.table.as_deref(),
                    o.api_url.as_deref(),
                )
            })
            .await;
        if let Err(e) = &result {
            *self
                .last_resolve_failure
                .lock()
                .unwrap_or_else(|e| e.into_inner()) =
                Some((tokio::time::Instant::now(), e.clone()));
        }
        result
    }

    /// Runs one Step Functions call inside its quota, turning failures into one line.
    async fn call<T, E, F>(&self, api: Api, request: F) -> Result<T, BackendError>
    where
        F: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.limiter.acquire(api).await;
        match request.await {
            Ok(v) => {
                self.limiter.succeeded(api);
                Ok(v)
            }
            Err(e) => {
                let f = failure::from_sdk(api.name(), &e);
                if f.problem == failure::Problem::Throttled {
                    self.limiter.throttled(api);
                }
                Err(BackendError::Failed(f.line))
            }
        }
    }

    /// Like [`AwsBackend::call`] for SendTaskSuccess/Failure/Heartbeat: the line also
    /// names AWS's error code (`TaskDoesNotExist`, `InvalidToken`, `TaskTimedOut`, ...),
    /// which says what happened to the task better than any advice.
    async fn call_task<T, E, F>(&self, api: Api, request: F) -> Result<T, BackendError>
    where
        F: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.call_naming(api, request, |_, _| None).await
    }

    /// [`AwsBackend::call`] whose failure line names AWS's error code, worded by
    /// `explain(code, message)` where it knows the code better than the general advice.
    async fn call_naming<T, E, F>(
        &self,
        api: Api,
        request: F,
        explain: impl Fn(&str, &str) -> Option<String>,
    ) -> Result<T, BackendError>
    where
        F: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let mut refused = None;
        let result = self
            .call(api, async {
                request.await.inspect_err(|e| {
                    refused = e.as_service_error().and_then(|s| {
                        let code = s.code()?.to_owned();
                        Some((code, s.message().unwrap_or_default().to_owned()))
                    });
                })
            })
            .await;
        result.map_err(|e| match (e, refused) {
            (BackendError::Failed(_), Some((code, message)))
                if let Some(line) = explain(&code, &message) =>
            {
                BackendError::Failed(format!("{}: {line} [{code}]", api.name()))
            }
            (BackendError::Failed(line), Some((code, _))) if !line.contains(&code) => {
                BackendError::Failed(format!("{line} [{code}]"))
            }
            (e, _) => e,
        })
    }

    fn table(&self, targets: &Targets) -> DynamoTable {
        DynamoTable::new(self.dynamodb.clone(), &targets.table_name)
            .with_page_size(self.options.rows_page_size)
    }

    async fn start_via_api(&self, launch: &Launch, url: &str) -> Result<String, BackendError> {
        let rate = launch.cancel_failure_rate.to_string();
        let response = self
            .http
            .get(url)
            .query(&[
                ("runType", launch.run_type.as_str()),
                ("tripID", launch.trip_id.as_str()),
                ("cancelFailureRate", rate.as_str()),
            ])
            .send()
            .await
            .map_err(|e| {
                BackendError::Failed(format!(
                    "API {url}: {} ({e})",
                    failure::advice(failure::Problem::Unreachable)
                ))
            })?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        if !status.is_success() {
            let message = json["message"].as_str().unwrap_or(body.as_str());
            return Err(BackendError::Failed(format!(
                "API {url} answered {status}: {message}"
            )));
        }
        json["executionArn"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| {
                BackendError::Failed(format!(
                    "API {url} answered without an executionArn: {}",
                    body.chars().take(200).collect::<String>()
                ))
            })
    }

    async fn load_definition(
        &self,
        execution_arn: Option<&str>,
    ) -> Result<Arc<Definition>, BackendError> {
        let key = format!("arn:{}", execution_arn.unwrap_or(""));
        if let Some(d) = self
            .definitions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(d.clone());
        }
        let text = match execution_arn {
            Some(arn) => {
                self.call(
                    Api::DescribeStateMachineForExecution,
                    self.sfn
                        .describe_state_machine_for_execution()
                        .execution_arn(arn)
                        .send(),
                )
                .await?
                .definition
            }
            None => {
                let arn = self.targets().await?.state_machine_arn.clone();
                self.call(
                    Api::DescribeStateMachine,
                    self.sfn
                        .describe_state_machine()
                        .state_machine_arn(arn)
                        .send(),
                )
                .await?
                .definition
            }
        };
        // Executions of one state machine version share one parsed definition, so the
        // UI keeps its graph when moving between them.
        let text_key = format!("text:{text}");
        let known = self
            .definitions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&text_key)
            .cloned();
        let definition = match known {
            Some(d) => d,
            None => Arc::new(load_definition(&text).map_err(|e| {
                BackendError::Failed(format!(
                    "the state machine's definition cannot be read: {e}"
                ))
            })?),
        };
        let mut cache = self.definitions.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(text_key, definition.clone());
        cache.insert(key, definition.clone());
        Ok(definition)
    }
}

/// One execution's history, page by page, in AWS's own JSON.
struct ExecutionPages<'a> {
    backend: &'a AwsBackend,
    arn: &'a str,
}

impl PageSource for ExecutionPages<'_> {
    fn page(
        &self,
        token: Option<String>,
        reverse: bool,
        max: i32,
    ) -> BoxFuture<'_, Result<Page, BackendError>> {
        Box::pin(async move {
            let raw = RawBody::default();
            self.backend
                .call(
                    Api::GetExecutionHistory,
                    self.backend
                        .sfn
                        .get_execution_history()
                        .execution_arn(self.arn)
                        .max_results(max)
                        .reverse_order(reverse)
                        .include_execution_data(true)
                        .set_next_token(token)
                        .customize()
                        .interceptor(raw.clone())
                        .send(),
                )
                .await?;
            let body = raw.take().ok_or_else(|| {
                BackendError::Failed("GetExecutionHistory: the answer had no body".into())
            })?;
            serde_json::from_slice::<Page>(&body).map_err(|e| {
                BackendError::Failed(format!("GetExecutionHistory: unreadable answer: {e}"))
            })
        })
    }
}

fn table_failure(e: saga_lambdas::TableError) -> BackendError {
    table_failure_of("Query", e)
}

fn table_failure_of(operation: &str, e: saga_lambdas::TableError) -> BackendError {
    BackendError::Failed(failure::from_text(operation, &e.to_string()).line)
}

impl SagaBackend for AwsBackend {
    fn info(&self) -> BackendInfo {
        let arn = self
            .targets
            .get()
            .map(|t| t.state_machine_arn.clone())
            .or_else(|| self.options.state_machine_arn.clone())
            .unwrap_or_default();
        let name = Some(crate::arn::name(&arn))
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .or_else(|| self.options.stack.clone())
            .unwrap_or_else(|| "state machine".into());
        BackendInfo {
            kind: BackendKind::Aws {
                region: self.region.clone(),
            },
            state_machine_name: name,
            state_machine_arn: arn,
            approval_state_machine_arn: self
                .targets
                .get()
                .and_then(|t| t.approval_state_machine_arn.clone()),
        }
    }

    fn definition<'a>(
        &'a self,
        execution_arn: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Arc<Definition>, BackendError>> {
        Box::pin(self.load_definition(execution_arn))
    }

    fn definition_text<'a>(
        &'a self,
        execution_arn: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, BackendError>> {
        Box::pin(async move {
            let described = self
                .call(
                    Api::DescribeStateMachineForExecution,
                    self.sfn
                        .describe_state_machine_for_execution()
                        .execution_arn(execution_arn)
                        .send(),
                )
                .await?;
            Ok(Some(described.definition))
        })
    }

    /// DescribeExecution's own answer, whole, rather than one rebuilt from a summary.
    fn export<'a>(
        &'a self,
        execution_arn: &'a str,
    ) -> BoxFuture<'a, Result<SharedExecution, BackendError>> {
        Box::pin(async move {
            let events = self.history_since(execution_arn, 0).await?;
            let d = self
                .call(
                    Api::DescribeExecution,
                    self.sfn
                        .describe_execution()
                        .execution_arn(execution_arn)
                        .send(),
                )
                .await?;
            let definition = self.definition_text(execution_arn).await?;
            let included = |i: bool| Included { included: i };
            let execution = DescribedExecution {
                execution_arn: d.execution_arn().to_string(),
                state_machine_arn: d.state_machine_arn().to_string(),
                name: d.name().unwrap_or_default().to_string(),
                status: d.status().as_str().to_string(),
                start_date: to_chrono(d.start_date()),
                stop_date: d.stop_date().map(to_chrono),
                input: d.input().map(str::to_string),
                input_details: d.input_details().map(|i| included(i.included())),
                output: d.output().map(str::to_string),
                output_details: d.output_details().map(|i| included(i.included())),
                trace_header: d.trace_header().map(str::to_string),
                map_run_arn: d.map_run_arn().map(str::to_string),
                error: d.error().map(str::to_string),
                cause: d.cause().map(str::to_string),
                state_machine_version_arn: d.state_machine_version_arn().map(str::to_string),
                state_machine_alias_arn: d.state_machine_alias_arn().map(str::to_string),
                redrive_count: d.redrive_count().and_then(|n| u32::try_from(n).ok()),
                redrive_date: d.redrive_date().map(to_chrono),
                redrive_status: d.redrive_status().map(|r| r.as_str().to_string()),
                redrive_status_reason: d.redrive_status_reason().map(str::to_string),
            };
            Ok(SharedExecution {
                events,
                execution,
                definition,
            })
        })
    }

    fn start(&self, launch: Launch) -> BoxFuture<'_, Result<String, BackendError>> {
        Box::pin(async move {
            let targets = self.targets().await?;
            match self.options.launch_via {
                LaunchVia::Api => {
                    let url = targets.api_url.as_deref().ok_or_else(|| {
                        BackendError::Failed(
                            "--launch-via api needs the API URL: pass --api-url or a --stack with an ApiUrl output".into(),
                        )
                    })?;
                    self.start_via_api(&launch, url).await
                }
                LaunchVia::StartExecution => {
                    self.start_execution(&targets.state_machine_arn, &launch)
                        .await
                }
            }
        })
    }

    /// The approval machine starts with StartExecution whatever `--launch-via` says:
    /// the article's API starts the seed's saga only.
    fn start_on(
        &self,
        machine: SagaMachine,
        launch: Launch,
    ) -> BoxFuture<'_, Result<String, BackendError>> {
        match machine {
            SagaMachine::Booking => self.start(launch),
            SagaMachine::Approval => Box::pin(async move {
                let targets = self.targets().await?;
                let arn = targets.approval_state_machine_arn.as_deref().ok_or_else(|| {
                    BackendError::Failed(match &self.options.stack {
                        Some(stack) => format!(
                            "stack {stack} has no ApprovalStateMachineArn output: deploy this version's template to run the approval machine"
                        ),
                        None => "the approval machine is found through the stack: pass --stack NAME".into(),
                    })
                })?;
                self.start_execution(arn, &launch).await
            }),
        }
    }

    fn history_since<'a>(
        &'a self,
        execution_arn: &'a str,
        after_id: u64,
    ) -> BoxFuture<'a, Result<Vec<HistoryEvent>, BackendError>> {
        Box::pin(async move {
            let pages = ExecutionPages {
                backend: self,
                arn: execution_arn,
            };
            history::events_after(&pages, after_id, self.options.pages).await
        })
    }

    fn describe<'a>(
        &'a self,
        execution_arn: &'a str,
    ) -> BoxFuture<'a, Result<ExecutionSummary, BackendError>> {
        Box::pin(async move {
            let d = self
                .call(
                    Api::DescribeExecution,
                    self.sfn
                        .describe_execution()
                        .execution_arn(execution_arn)
                        .send(),
                )
                .await?;
            let (run_type, trip_id) =
                ExecutionSummary::labels_from_input(d.input().unwrap_or_default());
            Ok(ExecutionSummary {
                execution_arn: d.execution_arn().to_string(),
                name: d.name().unwrap_or_default().to_string(),
                status: status_of(d.status().as_str()),
                start_date: to_chrono(d.start_date()),
                stop_date: d.stop_date().map(to_chrono),
                run_type,
                trip_id,
                error: d.error().map(str::to_string),
                cause: d.cause().map(str::to_string),
                output: d.output().map(str::to_string),
                redrive: RedriveFacts {
                    count: d
                        .redrive_count()
                        .and_then(|n| u32::try_from(n).ok())
                        .unwrap_or(0),
                    date: d.redrive_date().map(to_chrono),
                    status: d.redrive_status().map(|s| s.as_str().to_owned()),
                    status_reason: d.redrive_status_reason().map(str::to_owned),
                },
            })
        })
    }

    /// Both machines' executions, newest first.
    fn list_executions(
        &self,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<ExecutionSummary>, BackendError>> {
        Box::pin(async move {
            let targets = self.targets().await?;
            let mut all = self
                .list_executions_of(&targets.state_machine_arn, limit)
                .await?;
            if let Some(approval) = &targets.approval_state_machine_arn {
                all.extend(self.list_executions_of(approval, limit).await?);
                all.sort_by_key(|s| std::cmp::Reverse(s.start_date));
                all.truncate(limit);
            }
            Ok(all)
        })
    }

    fn rows<'a>(&'a self, trip_id: &'a str) -> BoxFuture<'a, Result<Vec<Item>, BackendError>> {
        Box::pin(async move {
            let targets = self.targets().await?;
            self.table(targets)
                .query_trip(trip_id)
                .await
                .map_err(table_failure)
        })
    }

    fn stop<'a>(&'a self, execution_arn: &'a str) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            self.call(
                Api::StopExecution,
                self.sfn
                    .stop_execution()
                    .execution_arn(execution_arn)
                    .error("sagaview.Stopped")
                    .cause("stopped from sagaview")
                    .send(),
            )
            .await
            .map(|_| ())
        })
    }

    /// RedriveExecution with a client token of its own, so a retry of this one call
    /// cannot redrive twice; refusals are worded by AWS's error name.
    fn redrive<'a>(&'a self, execution_arn: &'a str) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            let token = uuid::Uuid::new_v4().to_string();
            self.call_naming(
                Api::RedriveExecution,
                self.sfn
                    .redrive_execution()
                    .execution_arn(execution_arn)
                    .client_token(token)
                    .send(),
                |code, message| {
                    failure::redrive_refusal(code).map(|advice| match message {
                        "" => advice.to_owned(),
                        m => format!("{advice} ({m})"),
                    })
                },
            )
            .await
            .map(|_| ())
        })
    }

    /// Writes the configuration item the deployed compensations read (see
    /// [`DynamoTable::set_cancel_failure_rate`]); it outlives sagaview.
    fn set_cancel_failure_rate(&self, rate: f64) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            let targets = self.targets().await?;
            self.table(targets)
                .set_cancel_failure_rate(rate)
                .await
                .map_err(|e| table_failure_of("PutItem", e))
        })
    }

    fn send_task_success<'a>(
        &'a self,
        task_token: &'a str,
        output: &'a str,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            self.call_task(
                Api::SendTaskSuccess,
                self.sfn
                    .send_task_success()
                    .task_token(task_token)
                    .output(output)
                    .send(),
            )
            .await
            .map(|_| ())
        })
    }

    fn send_task_failure<'a>(
        &'a self,
        task_token: &'a str,
        error: Option<&'a str>,
        cause: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            self.call_task(
                Api::SendTaskFailure,
                self.sfn
                    .send_task_failure()
                    .task_token(task_token)
                    .set_error(error.map(str::to_owned))
                    .set_cause(cause.map(str::to_owned))
                    .send(),
            )
            .await
            .map(|_| ())
        })
    }

    fn send_task_heartbeat<'a>(
        &'a self,
        task_token: &'a str,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        Box::pin(async move {
            self.call_task(
                Api::SendTaskHeartbeat,
                self.sfn.send_task_heartbeat().task_token(task_token).send(),
            )
            .await
            .map(|_| ())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_failures_read_xml_error_bodies() {
        let e = saga_lambdas::TableError::Backend(
            "DynamoDB Query on table saga: unhandled error (HTTP 403: <ErrorResponse><Errors><Error>\
             <Code>AccessDenied</Code><Message>User: viewer is not authorized to perform: \
             dynamodb:Query</Message></Error></Errors></ErrorResponse>)"
                .into(),
        );
        let line = table_failure(e).to_string();
        assert!(line.starts_with("Query: access denied"), "{line}");
        assert!(
            line.contains("not authorized to perform: dynamodb:Query"),
            "{line}"
        );
    }

    #[test]
    fn newer_statuses_read_as_running() {
        assert_eq!(status_of("SUCCEEDED"), ExecutionStatus::Succeeded);
        assert_eq!(status_of("PENDING_REDRIVE"), ExecutionStatus::Running);
    }
}
