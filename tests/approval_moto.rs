//! The approval machine against moto's Step Functions (which runs `.waitForTaskToken`
//! tasks and answers SendTaskSuccess / SendTaskFailure) and DynamoDB, through the AWS
//! backend a deployed stack is driven with.
//!
//! moto's Lambda functions only echo their input, so the deployed `request-approval`
//! function does not run there: the test runs the very handler on the very payload the
//! state machine sent (read from `TaskScheduled`), against moto's table, as the function
//! would. moto 5.2.5 drops SendTaskFailure's `cause` (its response handler reads only
//! `error`), so only the error name is checked there.

// Each test holds moto's lock for its whole run (moto's Lambda mode is global).
#![allow(clippy::await_holding_lock)]

mod support;

use std::time::Duration;

use saga_lambdas::approval::APPROVAL_PREFIX;
use saga_lambdas::dynamo::DynamoTable;
use saga_lambdas::{Env, RunType, Step, Table, ThreadChance};
use sagaview::backend::approval::{Decision, REJECTED_ERROR, decide};
use sagaview::backend::aws::{AwsBackend, AwsOptions};
use sagaview::backend::{Launch, SagaBackend, SagaMachine};
use sagaview::history::{EventDetails, EventType, ExecutionStatus, HistoryEvent};
use support::moto::{self, Lambdas, SagaStack};

async fn backend(stack: &SagaStack) -> AwsBackend {
    // SAFETY: set before any client reads the environment; every test sets the same values.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    }
    AwsBackend::connect(AwsOptions {
        stack: Some(stack.stack_name.clone()),
        endpoint_url: Some(moto::moto_url()),
        region: Some(stack.region.clone()),
        ..AwsOptions::default()
    })
    .await
    .expect("connect")
}

async fn table(stack: &SagaStack) -> DynamoTable {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto::moto_url())
        .region(aws_config::Region::new(stack.region.clone()))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await;
    DynamoTable::new(aws_sdk_dynamodb::Client::new(&config), &stack.table_name)
}

fn launch(run_type: RunType, trip: &str) -> Launch {
    Launch {
        run_type,
        trip_id: trip.into(),
        cancel_failure_rate: 0.0,
    }
}

/// The payloads the state machine sent `request-approval`, in order.
fn approval_payloads(events: &[HistoryEvent]) -> Vec<serde_json::Value> {
    events
        .iter()
        .filter_map(|e| match &e.details {
            Some(EventDetails::TaskScheduled(d)) => {
                let p: serde_json::Value = serde_json::from_str(&d.parameters).ok()?;
                let f = p["FunctionName"].as_str()?;
                f.ends_with("-request-approval")
                    .then(|| p["Payload"].clone())
            }
            _ => None,
        })
        .collect()
}

/// Runs the `request-approval` handler on every payload the machine sent it that was not
/// run yet, against moto's table, as the deployed function would have.
async fn run_request_approval(t: &DynamoTable, events: &[HistoryEvent], done: &mut usize) {
    let payloads = approval_payloads(events);
    for p in &payloads[*done..] {
        saga_lambdas::handle(Step::RequestApproval, Env::new(t, &ThreadChance), p)
            .await
            .expect("request-approval runs");
    }
    *done = payloads.len();
}

/// Waits until the approval task was submitted (and its row written).
async fn wait_for_approval(b: &AwsBackend, t: &DynamoTable, arn: &str, done: &mut usize) {
    for _ in 0..100 {
        let events = b.history_since(arn, 0).await.expect("history");
        if events
            .iter()
            .any(|e| e.event_type == EventType::TaskSubmitted)
        {
            run_request_approval(t, &events, done).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{arn} never waited for its approval");
}

/// Waits for the end, running `request-approval` as the machine calls it.
async fn wait_for_end(
    b: &AwsBackend,
    t: &DynamoTable,
    arn: &str,
    done: &mut usize,
) -> (ExecutionStatus, Vec<HistoryEvent>) {
    for _ in 0..200 {
        let events = b.history_since(arn, 0).await.expect("history");
        run_request_approval(t, &events, done).await;
        let status = b.describe(arn).await.expect("describe").status;
        if status.is_terminal() {
            return (status, b.history_since(arn, 0).await.expect("history"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{arn} did not end");
}

fn entered(events: &[HistoryEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.details {
            Some(EventDetails::StateEntered(d)) => Some(d.name.clone()),
            _ => None,
        })
        .collect()
}

async fn approval_rows(t: &DynamoTable, trip: &str) -> usize {
    t.query_trip(trip)
        .await
        .expect("query")
        .iter()
        .filter(|r| saga_lambdas::approval::is_approval_row(r))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approving_on_moto_takes_the_payment_and_removes_the_row() {
    let _turn = moto::moto_lock();
    let stack = moto::create_stack("approve", Lambdas::Echo, None);
    let b = backend(&stack).await;
    let t = table(&stack).await;
    let trip = moto::unique("approve");
    let arn = b
        .start_on(SagaMachine::Approval, launch(RunType::Success, &trip))
        .await
        .expect("started");
    assert_eq!(
        sagaview::arn::execution_machine_arn(&arn).as_deref(),
        stack.approval_state_machine_arn.as_deref()
    );
    let mut done = 0;
    wait_for_approval(&b, &t, &arn, &mut done).await;
    assert_eq!(approval_rows(&t, &trip).await, 1);
    let info = b.info();
    assert!(info.runs_approval(&arn), "{info:?}");
    let listed: Vec<String> = b
        .list_executions(100)
        .await
        .expect("list")
        .into_iter()
        .map(|s| s.execution_arn)
        .collect();
    assert!(listed.contains(&arn), "both machines are listed");
    decide(&b, &arn, &trip, Decision::Approve)
        .await
        .expect("approved");
    let (status, events) = wait_for_end(&b, &t, &arn, &mut done).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    let states = entered(&events);
    assert!(
        states.starts_with(&[
            "ReserveHotel".to_string(),
            "ReserveFlight".into(),
            "RequestApproval".into(),
            "CloseApproval".into(),
            "TakePayment".into()
        ]),
        "{states:?}"
    );
    assert_eq!(approval_rows(&t, &trip).await, 0);
    let scheduled = events.iter().find_map(|e| match &e.details {
        Some(EventDetails::TaskScheduled(d)) if d.resource == "invoke.waitForTaskToken" => {
            Some((d.heartbeat_in_seconds, d.timeout_in_seconds))
        }
        _ => None,
    });
    assert_eq!(scheduled, Some((Some(120), Some(300))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejecting_on_moto_compensates_and_removes_the_row() {
    let _turn = moto::moto_lock();
    let stack = moto::create_stack("reject", Lambdas::Echo, None);
    let b = backend(&stack).await;
    let t = table(&stack).await;
    let trip = moto::unique("reject");
    let arn = b
        .start_on(SagaMachine::Approval, launch(RunType::Success, &trip))
        .await
        .expect("started");
    let mut done = 0;
    wait_for_approval(&b, &t, &arn, &mut done).await;
    decide(&b, &arn, &trip, Decision::Reject)
        .await
        .expect("rejected");
    let (status, events) = wait_for_end(&b, &t, &arn, &mut done).await;
    assert_eq!(status, ExecutionStatus::Failed);
    let states = entered(&events);
    assert!(
        states.ends_with(&[
            "RequestApproval".to_string(),
            "WithdrawApproval".into(),
            "CancelFlightReservation".into(),
            "CancelHotelReservation".into(),
            "Sorry, We Couldn't make the booking".into()
        ]),
        "{states:?}"
    );
    let error = events.iter().find_map(|e| match &e.details {
        Some(EventDetails::TaskFailed(d)) => d.error.clone(),
        _ => None,
    });
    assert_eq!(error.as_deref(), Some(REJECTED_ERROR));
    assert_eq!(approval_rows(&t, &trip).await, 0);
    // The token is spent, and the row with it gone: a second answer is refused.
    let again = decide(&b, &arn, &trip, Decision::Approve).await;
    assert!(again.is_err_and(|e| e.to_string().contains("does not wait for an approval")));
}

/// A copy of the approval machine whose heartbeat is a second long (its TimeoutSeconds
/// far longer), so moto's heartbeat timer fires within the test.
fn short_wait_definition(dir: &std::path::Path) -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/infra/statemachine/saga-approval.asl.json"
    );
    let mut asl: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
    asl["States"]["RequestApproval"]["HeartbeatSeconds"] = 1.into();
    asl["States"]["RequestApproval"]["TimeoutSeconds"] = 30.into();
    let file = dir.join("short-approval.asl.json");
    std::fs::write(&file, asl.to_string()).expect("write");
    file.to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_approval_times_out_on_moto_and_compensates() {
    let _turn = moto::moto_lock();
    let dir = tempfile::tempdir().expect("temporary folder");
    let definition = short_wait_definition(dir.path());
    let stack = moto::create_stack_with("silent", Lambdas::Echo, None, Some(&definition));
    let b = backend(&stack).await;
    let t = table(&stack).await;
    let trip = moto::unique("silent");
    let arn = b
        .start_on(SagaMachine::Approval, launch(RunType::Success, &trip))
        .await
        .expect("started");
    let mut done = 0;
    let (status, events) = wait_for_end(&b, &t, &arn, &mut done).await;
    assert_eq!(status, ExecutionStatus::Failed);
    let timed_out = events
        .iter()
        .find(|e| e.event_type == EventType::TaskTimedOut)
        .expect("the approval timed out");
    let error = match &timed_out.details {
        Some(EventDetails::TaskTimedOut(d)) => d.error.clone(),
        _ => None,
    };
    // AWS names a heartbeat that ran out `States.HeartbeatTimeout`; moto 5.2.5 maps every
    // timeout of a callback task to `States.Timeout`. Which timer fired shows in the
    // timing: the task ended long before its TimeoutSeconds.
    assert!(
        matches!(
            error.as_deref(),
            Some("States.HeartbeatTimeout" | "States.Timeout")
        ),
        "{error:?}"
    );
    let started = events
        .iter()
        .find(|e| e.event_type == EventType::TaskSubmitted)
        .expect("the approval was submitted");
    let waited = timed_out.timestamp - started.timestamp;
    assert!(
        waited.num_seconds() < 20,
        "waited {waited}: not the heartbeat"
    );
    assert!(entered(&events).contains(&"WithdrawApproval".to_string()));
    assert_eq!(approval_rows(&t, &trip).await, 0);
    let rows = t.query_trip(&trip).await.expect("query");
    assert!(
        !rows.iter().any(|r| r
            .get("sk")
            .and_then(|v| v.as_s())
            .is_some_and(|sk| sk.starts_with(APPROVAL_PREFIX))),
        "{rows:?}"
    );
}
