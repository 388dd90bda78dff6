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
/// and prints the whole history with the verdict; the exit status is `run`'s (1: the
/// booking failed). `--redrive` and `--run-type` do not go together.
#[test]
fn run_redrives_headless() {
    let _turn = moto::moto_lock();
    let stack = moto::create_stack("runredrive", Lambdas::Fail, None);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let arn = runtime.block_on(failed_saga(&stack, "runredrive"));
    let before = moto::motos_history(&arn).len();
    let proxy = RedriveProxy::start(&[]);
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
