//! Redrive on the AWS backend. moto has no RedriveExecution, so these tests run the
//! saga in moto and reach it through `scripts/moto/redrive_proxy.py`, a loopback
//! endpoint that speaks the Step Functions JSON wire format for RedriveExecution and
//! the calls whose answers a redrive changes (DescribeExecution, ListExecutions,
//! GetExecutionHistory), and passes everything else to moto.

// Each test holds moto's lock for its whole run (moto's Lambda mode is global), across
// awaits on its own runtime; tests waiting for it block only their own thread.
#![allow(clippy::await_holding_lock)]

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use saga_lambdas::RunType;
use sagaview::backend::aws::{AwsBackend, AwsOptions};
use sagaview::backend::{ExecutionSummary, Launch, SagaBackend};
use sagaview::headless::run_once;
use sagaview::history::ExecutionStatus;
use support::moto::{self, Lambdas, RedriveProxy, SagaStack};

fn options_for(stack: &SagaStack, endpoint: &str) -> AwsOptions {
    AwsOptions {
        stack: Some(stack.stack_name.clone()),
        endpoint_url: Some(endpoint.to_string()),
        region: Some(stack.region.clone()),
        ..AwsOptions::default()
    }
}

async fn backend(options: AwsOptions) -> AwsBackend {
    // SAFETY: set before any client reads the environment; every test sets the same values.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    }
    AwsBackend::connect(options).await.expect("connect")
}

fn sagaview() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sagaview"));
    moto::aws_env(&mut cmd);
    cmd
}

/// A saga run to its end in moto (with every Lambda failing: CancelHotelReservation
/// gives up after its retries and the execution FAILS); its ARN.
async fn failed_saga(stack: &SagaStack, label: &str) -> String {
    let b = backend(options_for(stack, &moto::moto_url())).await;
    let launch = Launch {
        run_type: RunType::Success,
        trip_id: moto::unique(label),
        cancel_failure_rate: 0.0,
    };
    let report = run_once(&b, launch, Duration::from_millis(300))
        .await
        .expect("the saga runs");
    assert_eq!(report.summary.status, ExecutionStatus::Failed);
    report.summary.execution_arn
}

/// Polls until the execution has ended (the loopback continues a redriven one over
/// about a second).
async fn ended(b: &AwsBackend, arn: &str) -> ExecutionSummary {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let d = b.describe(arn).await.expect("describe");
        if d.status.is_terminal() {
            return d;
        }
        assert!(Instant::now() < deadline, "{arn} still {:?}", d.status);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn types(events: &[serde_json::Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default())
        .collect()
}

/// The backend's RedriveExecution: a FAILED saga becomes RUNNING again with
/// redriveCount 1, continues from the compensation that gave up and fails again in the
/// saga's Fail state; its history keeps every earlier event, then `ExecutionRedriven`.
/// A second redrive counts 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_saga_is_redriven_from_the_compensation_that_gave_up() {
    let _turn = moto::moto_lock();
    let stack = moto::create_stack("redrive", Lambdas::Fail, None);
    let arn = failed_saga(&stack, "redrive").await;
    let before = moto::motos_history(&arn);
    let proxy = RedriveProxy::start(&[]);
    let b = backend(options_for(&stack, &proxy.url)).await;

    let d = b.describe(&arn).await.unwrap();
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(d.redrive.count, 0);
    assert_eq!(d.redrive.status.as_deref(), Some("REDRIVABLE"));

    b.redrive(&arn).await.expect("redrive");
    let d = b.describe(&arn).await.unwrap();
    assert_eq!(d.status, ExecutionStatus::Running);
    assert_eq!(d.redrive.count, 1);
    assert!(d.redrive.date.is_some());
    assert_eq!(d.redrive.status.as_deref(), Some("NOT_REDRIVABLE"));
    let again = b.redrive(&arn).await.expect_err("a running execution");
    let line = again.to_string();
    assert!(line.starts_with("RedriveExecution: "), "{line}");
    assert!(line.contains("cannot be redriven"), "{line}");
    assert!(line.contains("Execution is RUNNING"), "{line}");
    assert!(line.ends_with("[ExecutionNotRedrivable]"), "{line}");

    let d = ended(&b, &arn).await;
    assert_eq!(d.status, ExecutionStatus::Failed);
    assert_eq!(d.error.as_deref(), Some("BookingFailed"));
    let listed = b.list_executions(100).await.unwrap();
    let row = listed.iter().find(|e| e.execution_arn == arn).unwrap();
    assert_eq!(
        (row.status, row.redrive.count),
        (ExecutionStatus::Failed, 1)
    );

    let raw = proxy.history(&arn);
    assert_eq!(&raw[..before.len()], &before[..], "earlier events are kept");
    let added = &raw[before.len()..];
    assert_eq!(
        types(added),
        [
            "ExecutionRedriven",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "FailStateEntered",
            "ExecutionFailed"
        ]
    );
    assert_eq!(added[0]["executionRedrivenEventDetails"]["redriveCount"], 1);
    assert_eq!(
        added[1]["stateEnteredEventDetails"]["name"],
        "CancelHotelReservation"
    );
    // The backend reads the same history, every event of it, in order.
    let read = b.history_since(&arn, 0).await.unwrap();
    let ids: Vec<u64> = read.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=raw.len() as u64).collect::<Vec<_>>());
    let tail = b.history_since(&arn, before.len() as u64).await.unwrap();
    assert_eq!(tail.len(), added.len());

    b.redrive(&arn).await.expect("a second redrive");
    let d = ended(&b, &arn).await;
    assert_eq!(d.redrive.count, 2);
    let raw = proxy.history(&arn);
    let redriven: Vec<_> = raw
        .iter()
        .filter(|e| e["type"] == "ExecutionRedriven")
        .map(|e| e["executionRedrivenEventDetails"]["redriveCount"].clone())
        .collect();
    assert_eq!(redriven, [1, 2]);
}

/// What RedriveExecution refuses comes back as one line naming AWS's error and saying
/// why: a succeeded execution, an unknown one, a malformed ARN, too many open
/// executions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_redrives_say_why() {
    let _turn = moto::moto_lock();
    let stack = moto::create_stack("refused", Lambdas::Echo, None);
    let proxy = RedriveProxy::start(&[]);
    let b = backend(options_for(&stack, &proxy.url)).await;
    let launch = Launch {
        run_type: RunType::Success,
        trip_id: moto::unique("refused"),
        cancel_failure_rate: 0.0,
    };
    let report = run_once(&b, launch, Duration::from_millis(300))
        .await
        .unwrap();
    assert_eq!(report.summary.status, ExecutionStatus::Succeeded);
    let arn = report.summary.execution_arn;
    let d = b.describe(&arn).await.unwrap();
    assert_eq!(d.redrive.status.as_deref(), Some("NOT_REDRIVABLE"));
    assert_eq!(
        d.redrive.status_reason.as_deref(),
        Some("Execution is SUCCEEDED and cannot be redriven.")
    );

    let line = |e: sagaview::backend::BackendError| e.to_string();
    let succeeded = line(b.redrive(&arn).await.unwrap_err());
    assert!(
        succeeded.contains("Execution is SUCCEEDED and cannot be redriven"),
        "{succeeded}"
    );
    assert!(
        succeeded.ends_with("[ExecutionNotRedrivable]"),
        "{succeeded}"
    );

    let unknown = format!("{arn}-no-such-execution");
    let missing = line(b.redrive(&unknown).await.unwrap_err());
    assert!(
        missing.starts_with("RedriveExecution: not found"),
        "{missing}"
    );
    assert!(missing.ends_with("[ExecutionDoesNotExist]"), "{missing}");

    let malformed = line(b.redrive(&stack.state_machine_arn).await.unwrap_err());
    assert!(
        malformed.contains("that is not an execution ARN"),
        "{malformed}"
    );
    assert!(malformed.ends_with("[InvalidArn]"), "{malformed}");

    proxy.fail_next_redrive(
        "ExecutionLimitExceeded",
        "Maximum number of running executions reached",
    );
    let limit = line(b.redrive(&arn).await.unwrap_err());
    assert!(limit.contains("too many executions are open"), "{limit}");
    assert!(limit.ends_with("[ExecutionLimitExceeded]"), "{limit}");
}

/// `sagaview run --aws --redrive ARN`: redrives, follows the execution to its new end
/// (even when DescribeExecution still shows the earlier end for a few polls) and prints
/// the whole history with the verdict; the exit status is `run`'s (1: the booking
/// failed). `--redrive` and `--run-type` do not go together.
#[test]
fn run_redrives_headless() {
    let _turn = moto::moto_lock();
    let stack = moto::create_stack("runredrive", Lambdas::Fail, None);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let arn = runtime.block_on(failed_saga(&stack, "runredrive"));
    let before = moto::motos_history(&arn).len();
    let proxy = RedriveProxy::start(&[]);
    proxy.lag_next_redrive(3);
    let out = sagaview()
        .args(["run", "--aws", "--stack", &stack.stack_name])
        .args(["--endpoint-url", &proxy.url, "--redrive", &arn, "--json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["executionArn"], arn.as_str());
    assert_eq!(report["status"], "FAILED");
    assert_eq!(report["error"], "BookingFailed");
    let events = report["events"].as_array().unwrap();
    assert_eq!(events.len(), proxy.history(&arn).len());
    assert!(events.len() > before, "the redriven run's events");
    assert_eq!(events.last().unwrap()["type"], "ExecutionFailed");
    assert_eq!(
        events.last().unwrap()["executionFailedEventDetails"]["error"],
        "BookingFailed",
        "the redriven attempt's end, not the earlier one"
    );
    assert_eq!(report["verdict"]["level"], "ok", "{report}");

    let trace = sagaview()
        .args(["run", "--aws", "--stack", &stack.stack_name])
        .args(["--endpoint-url", &proxy.url, "--redrive", &arn])
        .output()
        .unwrap();
    assert_eq!(trace.status.code(), Some(1));
    let text = String::from_utf8_lossy(&trace.stdout);
    assert!(text.contains("status: FAILED (BookingFailed"), "{text}");

    let refused = sagaview()
        .args(["run", "--aws", "--stack", &stack.stack_name])
        .args(["--endpoint-url", &proxy.url, "--redrive", "nonsense"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{err}");
    assert!(err.contains("[InvalidArn]"), "{err}");

    let both = sagaview()
        .args(["run", "--aws", "--stack", &stack.stack_name])
        .args(["--redrive", &arn, "--run-type", "failPayment"])
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(2));
}

/// Access keys the loopback checks against a policy (any other key is not checked).
const VIEWER_KEY: &str = "AKIAVIEWERLOOPBACK01";
const COMPENSATION_KEY: &str = "AKIACOMPENSATION0001";

/// The compensation functions' policy as `infra/template.yaml` grants it
/// (CancelHotelFunction's; the three are alike), with the table's ARN for
/// `Fn::GetAtt: [SagaTable, Arn]`.
fn compensation_policy(stack: &SagaStack) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("infra/template.yaml");
    let template: serde_json::Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let table = serde_json::json!({"Fn::GetAtt": ["SagaTable", "Arn"]});
    let statements: Vec<serde_json::Value> =
        template["Resources"]["CancelHotelFunction"]["Properties"]["Policies"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["Statement"].as_array().unwrap().clone())
            .map(|mut s| {
                assert_eq!(s["Resource"], table, "{s}");
                s["Resource"] = moto::table_arn(stack).into();
                s
            })
            .collect();
    serde_json::json!({"Version": "2012-10-17", "Statement": statements})
}

/// A DynamoDB client signing with `key`, through `endpoint`.
async fn dynamodb_as(key: &str, endpoint: &str) -> aws_sdk_dynamodb::Client {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            key, "testing", None, None, "test",
        ))
        .load()
        .await;
    aws_sdk_dynamodb::Client::new(&sdk)
}

/// Least privilege on both sides of the live failure rate, checked by the loopback's
/// IAM evaluation (moto's own checks cannot evaluate resource ARNs or conditions):
/// with exactly the README's viewer policy, `run --aws --redrive ARN
/// --cancel-failure-rate 0` sets the rate (one PutItem, on the configuration item) and
/// redrives, a run without the flag writes nothing, and the viewer cannot write a
/// trip's row; with exactly the template's compensation policy, the compensation
/// reads the rate and deletes its booking, but reads no trip's row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_policies_allow_the_rate_and_the_redrive_and_no_more() {
    let _turn = moto::moto_lock();
    let stack = moto::create_stack("leastpriv", Lambdas::Fail, None);
    let arn = failed_saga(&stack, "leastpriv").await;
    let proxy = RedriveProxy::start(&[
        (VIEWER_KEY, moto::viewer_policy(&stack)),
        (COMPENSATION_KEY, compensation_policy(&stack)),
    ]);
    let viewer_run = |extra: &[&str]| {
        let out = sagaview()
            .env("AWS_ACCESS_KEY_ID", VIEWER_KEY)
            .args(["run", "--aws", "--stack", &stack.stack_name])
            .args(["--endpoint-url", &proxy.url, "--redrive", &arn, "--json"])
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.is_empty(), "{stderr}");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["status"], "FAILED");
        assert_eq!(report["error"], "BookingFailed");
    };
    let puts = || {
        proxy.stats()["perKey"][VIEWER_KEY]["DynamoDB_20120810.PutItem"]
            .as_u64()
            .unwrap_or(0)
    };
    viewer_run(&["--cancel-failure-rate", "0"]);
    assert_eq!(puts(), 1);
    let admin = saga_lambdas::dynamo::DynamoTable::new(
        dynamodb_as("testing", &moto::moto_url()).await,
        &stack.table_name,
    );
    use saga_lambdas::settings::Settings;
    assert_eq!(admin.cancel_failure_rate().await.unwrap(), Some(0.0));
    viewer_run(&[]);
    assert_eq!(
        puts(),
        1,
        "a run without --cancel-failure-rate writes nothing"
    );

    // A negative control: the same policy without the rate's statement and without
    // states:RedriveExecution refuses both, with the line that says what to do.
    let mut narrower = moto::viewer_policy(&stack);
    let statements = narrower["Statement"].as_array_mut().unwrap();
    statements.retain(|s| s["Sid"] != "SetTheCompensationsFailureRate");
    for s in statements.iter_mut() {
        if let Some(actions) = s["Action"].as_array_mut() {
            actions.retain(|a| a != "states:RedriveExecution");
        }
    }
    let strict = RedriveProxy::start(&[(VIEWER_KEY, narrower)]);
    let refused = |extra: &[&str]| {
        let out = sagaview()
            .env("AWS_ACCESS_KEY_ID", VIEWER_KEY)
            .args(["run", "--aws", "--stack", &stack.stack_name])
            .args(["--endpoint-url", &strict.url, "--redrive", &arn])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let err = refused(&["--cancel-failure-rate", "0"]);
    assert!(err.contains("PutItem: access denied"), "{err}");
    assert!(err.contains("dynamodb:PutItem"), "{err}");
    let err = refused(&[]);
    assert!(err.contains("RedriveExecution: access denied"), "{err}");
    assert!(err.contains("states:RedriveExecution"), "{err}");

    // The viewer writes the configuration item and nothing else.
    use saga_lambdas::Table;
    let viewer = saga_lambdas::dynamo::DynamoTable::new(
        dynamodb_as(VIEWER_KEY, &proxy.url).await,
        &stack.table_name,
    );
    viewer.set_cancel_failure_rate(1.0).await.unwrap();
    let trip = moto::unique("leastpriv");
    let row = saga_lambdas::Item::from([
        ("pk".to_string(), saga_lambdas::AttrValue::S(trip.clone())),
        (
            "sk".to_string(),
            saga_lambdas::AttrValue::S("HOTEL#x".into()),
        ),
    ]);
    let denied = viewer.put(row).await.unwrap_err().to_string();
    assert!(
        denied.contains("not authorized to perform: dynamodb:PutItem"),
        "{denied}"
    );

    // The compensation reads the rate the viewer set, then (at rate 0) deletes its
    // booking, whatever the input's rate.
    let input = saga_lambdas::TripRequest::example(&trip, RunType::Success, 1.0).to_input();
    let chance = saga_lambdas::FixedChance(0.5);
    saga_lambdas::handle(
        saga_lambdas::Step::ReserveHotel,
        saga_lambdas::Env::new(&admin, &chance),
        &input,
    )
    .await
    .unwrap();
    let compensation = saga_lambdas::dynamo::DynamoTable::new(
        dynamodb_as(COMPENSATION_KEY, &proxy.url).await,
        &stack.table_name,
    );
    let cancel = || {
        saga_lambdas::handle(
            saga_lambdas::Step::CancelHotel,
            saga_lambdas::Env::new(&compensation, &chance).with_settings(&compensation),
            &input,
        )
    };
    let refused = cancel().await.unwrap_err().to_string();
    assert!(!refused.contains("not authorized"), "{refused}");
    assert_eq!(admin.query_trip(&trip).await.unwrap().len(), 1);
    viewer.set_cancel_failure_rate(0.0).await.unwrap();
    cancel().await.expect("the compensation at rate 0");
    assert!(admin.query_trip(&trip).await.unwrap().is_empty());
    let read_a_trip = dynamodb_as(COMPENSATION_KEY, &proxy.url)
        .await
        .get_item()
        .table_name(&stack.table_name)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(trip.clone()),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S("HOTEL#x".into()),
        )
        .send()
        .await;
    let e = read_a_trip.expect_err("a trip's item");
    assert_eq!(
        e.as_service_error()
            .and_then(aws_sdk_dynamodb::error::ProvideErrorMetadata::code),
        Some("AccessDeniedException"),
        "{e:?}"
    );
}
