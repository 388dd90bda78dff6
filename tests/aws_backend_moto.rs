//! The AWS backend against a real peer: moto's Step Functions (executing the saga's ASL)
//! and DynamoDB, reached through the same code a deployed stack is.

// Each test holds moto's lock for its whole run (moto's Lambda mode is global), across
// awaits on its own runtime; tests waiting for it block only their own thread.
#![allow(clippy::await_holding_lock)]

mod support;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use saga_lambdas::dynamo::DynamoTable;
use saga_lambdas::{FixedChance, RunType, Step, TripRequest};
use sagaview::backend::aws::history::PageSizes;
use sagaview::backend::aws::quota::Api;
use sagaview::backend::aws::{AwsBackend, AwsOptions, LaunchVia};
use sagaview::backend::{Launch, SagaBackend};
use sagaview::headless::run_once;
use sagaview::history::ExecutionStatus;
use sagaview::tui::App;
use sagaview::view::StateStatus;
use support::moto::{self, Lambdas, SagaStack};

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

/// A launch whose compensations never fail.
fn launch(run_type: RunType, trip_id: &str) -> Launch {
    Launch {
        run_type,
        trip_id: trip_id.into(),
        cancel_failure_rate: 0.0,
    }
}

fn sagaview() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sagaview"));
    moto::aws_env(&mut cmd);
    cmd
}

fn types(events: &[serde_json::Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// `run --aws --stack` through small pages: the streamed history is moto's own, event
/// for event, and it really was read a few events at a time.
#[test]
fn run_streams_motos_history_through_small_pages() {
    let _turn = moto::moto_lock();
    let stack = moto::create_stack("paged", Lambdas::Echo, None);
    let proxy = moto::PagingProxy::start();
    let trip = moto::unique("paged");
    let out = sagaview()
        .args(["run", "--aws", "--stack", &stack.stack_name])
        .args(["--endpoint-url", &proxy.url, "--history-page-size", "3"])
        .args(["--trip-id", &trip, "--json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "SUCCEEDED");
    let ours = report["events"].as_array().unwrap().clone();
    let arn = report["executionArn"].as_str().unwrap();
    let theirs = moto::motos_history(arn);
    assert_eq!(types(&ours), types(&theirs));
    assert!(ours.len() > 20, "{} events", ours.len());
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a["id"], b["id"]);
        assert_eq!(a["previousEventId"], b["previousEventId"]);
        let details = |e: &serde_json::Value| {
            e.as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| k.ends_with("EventDetails"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(details(a), details(b), "event {}", a["id"]);
        let ms = chrono::DateTime::parse_from_rfc3339(a["timestamp"].as_str().unwrap())
            .unwrap()
            .timestamp_millis();
        let theirs_ms = (b["timestamp"].as_f64().unwrap() * 1000.0).round() as i64;
        assert_eq!(ms, theirs_ms, "event {}", a["id"]);
    }
    let entered: Vec<_> = ours
        .iter()
        .filter_map(|e| e["stateEnteredEventDetails"]["name"].as_str())
        .collect();
    assert_eq!(
        entered,
        [
            "ReserveHotel",
            "ReserveFlight",
            "TakePayment",
            "ConfirmHotelBooking",
            "ConfirmFlight",
            "We have made your booking!"
        ]
    );
    let stats = proxy.stats();
    let pages = stats["calls"]["AWSStepFunctions.GetExecutionHistory"]
        .as_u64()
        .unwrap();
    assert!(
        pages as usize >= ours.len() / 3,
        "{pages} history pages for {} events",
        ours.len()
    );
}

/// Polls after the first read ask for the newest events only: through the paging proxy
/// (which honours reverseOrder as AWS does), re-reading a 30-event history costs one
/// small page, not the whole history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn later_polls_transfer_only_new_events() {
    let _turn = moto::moto_lock();
    let stack = moto::create_stack("tail", Lambdas::Echo, None);
    let proxy = moto::PagingProxy::start();
    let mut options = options_for(&stack, &proxy.url);
    options.pages = PageSizes { full: 4, tail: 4 };
    let b = backend(options).await;
    let report = run_once(
        &b,
        launch(RunType::Success, &moto::unique("tail")),
        Duration::from_millis(200),
    )
    .await
    .unwrap();
    let all = b
        .history_since(&report.summary.execution_arn, 0)
        .await
        .unwrap();
    assert_eq!(all, report.events);
    let before = proxy.stats()["historyEventsServed"].as_u64().unwrap();
    let last = all.last().unwrap().id;
    let tail = b
        .history_since(&report.summary.execution_arn, last - 2)
        .await
        .unwrap();
    assert_eq!(
        tail.iter().map(|e| e.id).collect::<Vec<_>>(),
        [last - 1, last]
    );
    let served = proxy.stats()["historyEventsServed"].as_u64().unwrap() - before;
    assert!(served <= 4, "{served} events transferred for 2 new ones");
}

/// With every Lambda failing, moto runs the saga's error path: ReserveHotel is caught,
/// CancelHotelReservation is retried three times, and the execution fails; the same
/// reducer and verdict as the embedded run say so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_lambdas_run_the_compensation_and_its_retries() {
    let _turn = moto::moto_lock();
    let stack = moto::create_stack("failing", Lambdas::Fail, None);
    let b = backend(options_for(&stack, &moto::moto_url())).await;
    let report = run_once(
        &b,
        launch(RunType::Success, &moto::unique("failing")),
        Duration::from_millis(300),
    )
    .await
    .unwrap();
    assert_eq!(report.summary.status, ExecutionStatus::Failed);
    let failed_in = |state: &str| {
        let mut current = String::new();
        let mut n = 0;
        for e in &report.events {
            if let Some(sagaview::history::EventDetails::StateEntered(d)) = &e.details {
                current = d.name.clone();
            }
            if current == state && e.event_type == sagaview::history::EventType::TaskFailed {
                n += 1;
            }
        }
        n
    };
    assert_eq!(failed_in("ReserveHotel"), 1);
    assert_eq!(
        failed_in("CancelHotelReservation"),
        4,
        "1 attempt + 3 retries"
    );
    assert_eq!(
        report.events.last().unwrap().event_type,
        sagaview::history::EventType::ExecutionFailed
    );
    let definition = b
        .definition(Some(&report.summary.execution_arn))
        .await
        .unwrap();
    let mut view = sagaview::view::ExecutionView::new(Some(&definition));
    view.apply(&report.events);
    assert_eq!(view.status_of("ReserveHotel"), StateStatus::Caught);
    assert_eq!(
        view.status_of("CancelHotelReservation"),
        StateStatus::Failed
    );
    let verdict = report.verdict.expect("a verdict");
    assert!(!verdict.text.is_empty());
}

/// Rows the saga's handlers write into moto's DynamoDB come back through the backend,
/// across Query pages, and in `run --aws` output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_in_motos_table_appear() {
    let _turn = moto::moto_lock();
    let stack = moto::create_stack("rows", Lambdas::Echo, None);
    let mut options = options_for(&stack, &moto::moto_url());
    options.rows_page_size = Some(1);
    let b = backend(options).await;
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(stack.region.clone()))
        .endpoint_url(moto::moto_url())
        .load()
        .await;
    let table = DynamoTable::new(aws_sdk_dynamodb::Client::new(&sdk), &stack.table_name);
    let trip = moto::unique("rows");
    let trip = trip.as_str();
    let input = TripRequest::example(trip, RunType::Success, 0.0).to_input();
    for step in [Step::ReserveHotel, Step::ReserveFlight, Step::TakePayment] {
        saga_lambdas::handle(
            step,
            saga_lambdas::Env::new(&table, &FixedChance(0.0)),
            &input,
        )
        .await
        .unwrap();
    }
    saga_lambdas::handle(
        Step::ConfirmHotel,
        saga_lambdas::Env::new(&table, &FixedChance(0.0)),
        &input,
    )
    .await
    .unwrap();
    let rows = b.rows(trip).await.unwrap();
    let summary: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            let s = |k: &str| match r.get(k) {
                Some(saga_lambdas::AttrValue::S(s)) => s.clone(),
                _ => String::new(),
            };
            (s("type"), s("transaction_status"))
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("Flight".to_string(), "pending".to_string()),
            ("Hotel".to_string(), "confirmed".to_string()),
            ("Payment".to_string(), "confirmed".to_string()),
        ]
    );
    let out = sagaview()
        .args(["run", "--aws", "--stack", &stack.stack_name])
        .args(["--endpoint-url", &moto::moto_url(), "--rows-page-size", "1"])
        .args(["--trip-id", trip, "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["rows"].as_array().unwrap().len(), 3);
}

async fn session(
    backend: Arc<AwsBackend>,
    trip_id: &str,
    script: Vec<(u64, char)>,
) -> (App, Terminal<TestBackend>) {
    support::tui::session(backend, trip_id, script, 60).await
}

/// The terminal UI on the AWS backend pointed at moto: `1` launches, the loop polls
/// moto until the execution ends, the graph and the header show it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ui_drives_and_watches_moto() {
    let _turn = moto::moto_lock();
    let stack = moto::create_stack("ui", Lambdas::Echo, None);
    let b = Arc::new(backend(options_for(&stack, &moto::moto_url())).await);
    let trip = moto::unique("ui");
    let (app, terminal) = session(b.clone(), &trip, vec![(500, '1'), (4_000, 'q')]).await;
    let asked = b
        .call_log()
        .snapshot()
        .iter()
        .filter(|c| c.operation == "DescribeStateMachineForExecution")
        .count();
    assert_eq!(asked, 1, "the launched execution's own definition, once");
    let e = app.selected_execution().expect("the launched execution");
    assert_eq!(e.trip_id.as_deref(), Some(trip.as_str()));
    assert_eq!(e.status(), ExecutionStatus::Succeeded);
    assert_eq!(e.view.status_of("ConfirmFlight"), StateStatus::Succeeded);
    let screen = terminal.backend().to_string();
    assert!(screen.contains("aws us-east-1"), "{screen}");
    assert!(screen.contains("ExecutionSucceeded"), "{screen}");
}

/// Ten executions running at once, watched by the UI for several seconds: every Step
/// Functions call it sent is counted, and no one-second window holds more calls to an
/// API than AWS refills per second (so AWS's buckets never empty).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_running_executions_stay_inside_the_quotas() {
    let _turn = moto::moto_lock();
    let dir = tempfile::tempdir().unwrap();
    let wait = dir.path().join("wait.asl.json");
    std::fs::write(
        &wait,
        r#"{"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":8,"Next":"Done"},"Done":{"Type":"Succeed"}}}"#,
    )
    .unwrap();
    let stack = moto::create_stack("quota", Lambdas::Echo, Some(wait.to_str().unwrap()));
    let b = Arc::new(backend(options_for(&stack, &moto::moto_url())).await);
    let mut script: Vec<(u64, char)> = (0..10).map(|_| (50, '1')).collect();
    script.push((6_000, 'q'));
    let trip = moto::unique("quota");
    let (app, _) = session(b.clone(), &trip, script).await;
    // Only this test's launches count: they carry its trip and belong to its machine.
    let own_prefix = format!(
        "{}:",
        stack
            .state_machine_arn
            .replace(":stateMachine:", ":execution:")
    );
    let ours: Vec<_> = app
        .executions
        .iter()
        .filter(|e| e.trip_id.as_deref() == Some(trip.as_str()))
        .collect();
    assert_eq!(ours.len(), 10, "the ten launches");
    for e in &ours {
        assert!(e.arn.starts_with(&own_prefix), "{} is not ours", e.arn);
        assert_eq!(
            e.status(),
            ExecutionStatus::Running,
            "{} ended before the UI quit",
            e.arn
        );
    }
    let calls = b.call_log().snapshot();
    let count = |op: &str| calls.iter().filter(|c| c.operation == op).count();
    assert_eq!(count("StartExecution"), 10);
    assert!(
        count("GetExecutionHistory") >= 20,
        "the UI kept polling: {} history calls",
        count("GetExecutionHistory")
    );
    for api in Api::ALL {
        eprintln!("{}: {} calls", api.name(), count(api.name()));
    }
    for api in Api::ALL {
        let times: Vec<_> = calls
            .iter()
            .filter(|c| c.operation == api.name())
            .map(|c| c.at)
            .collect();
        let limit = api.aws_quota().per_second;
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .take_while(|u| u.duration_since(*t) < Duration::from_secs(1))
                .count();
            assert!(
                in_window as f64 <= limit,
                "{}: {in_window} calls within one second (AWS refills {limit}/s)",
                api.name()
            );
        }
    }
    // `s` on a running one: StopExecution, and the history ends ABORTED.
    let victim = ours[0].arn.clone();
    b.stop(&victim).await.unwrap();
    assert_eq!(
        b.describe(&victim).await.unwrap().status,
        ExecutionStatus::Aborted
    );
    let listed = b.list_executions(50).await.unwrap();
    assert!(
        listed
            .iter()
            .any(|e| e.execution_arn == victim && e.status == ExecutionStatus::Aborted)
    );
}

/// `--launch-via api`: a GET on the API URL reaches the real start-saga handler, which
/// starts the execution in moto; the run then watches it like any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launching_through_the_api_starts_the_saga() {
    let _turn = moto::moto_lock();
    let stack = moto::create_stack("api", Lambdas::Echo, None);
    let api = support::starter::serve(&stack).await;
    let mut options = options_for(&stack, &moto::moto_url());
    options.launch_via = LaunchVia::Api;
    options.api_url = Some(api.clone());
    let b = backend(options).await;
    let trip = moto::unique("api");
    let report = run_once(
        &b,
        launch(RunType::FailPayment, &trip),
        Duration::from_millis(300),
    )
    .await
    .unwrap();
    let started = report
        .events
        .iter()
        .find_map(|e| match &e.details {
            Some(sagaview::history::EventDetails::ExecutionStarted(d)) => Some(d.input.clone()),
            _ => None,
        })
        .expect("ExecutionStarted");
    let input: serde_json::Value = serde_json::from_str(&started).unwrap();
    assert_eq!(input["run_type"], "failPayment");
    assert_eq!(input["trip_id"], trip.as_str());
    assert!(
        report.summary.execution_arn.contains(
            &stack
                .state_machine_arn
                .replace(":stateMachine:", ":execution:")
        )
    );
}

/// What goes wrong is said in one line with what to do, and `run` exits 1 (2 for flags
/// that cannot name a saga).
#[test]
fn connection_problems_are_one_clear_line() {
    let line = |args: &[&str], env: &[(&str, &str)], drop_credentials: bool| {
        let mut cmd = sagaview();
        cmd.args(["run", "--aws"]).args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        if drop_credentials {
            cmd.env_remove("AWS_ACCESS_KEY_ID")
                .env_remove("AWS_SECRET_ACCESS_KEY")
                .env("AWS_EC2_METADATA_DISABLED", "true");
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        assert_eq!(err.lines().count(), 1, "{err}");
        (out.status.code(), err)
    };
    let (code, err) = line(
        &["--stack", "saga", "--endpoint-url", "http://127.0.0.1:9"],
        &[],
        false,
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("cannot reach the endpoint"), "{err}");
    let missing = moto::unique("no-such-stack");
    let (code, err) = line(
        &["--stack", &missing, "--endpoint-url", &moto::moto_url()],
        &[],
        false,
    );
    assert_eq!(code, Some(1));
    assert!(err.contains(&format!("stack {missing} not found")), "{err}");
    let (code, err) = line(
        &["--stack", "saga", "--endpoint-url", &moto::moto_url()],
        &[],
        true,
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("no AWS credentials found"), "{err}");
    let (code, err) = line(&["--stack", "saga"], &[("AWS_REGION", "")], false);
    assert_eq!(code, Some(1));
    assert!(err.contains("no AWS region"), "{err}");
    let (code, err) = line(&["--table", "t"], &[], false);
    assert_eq!(code, Some(2));
    assert!(err.contains("--aws needs --stack"), "{err}");
}

/// An unreachable endpoint is a line in the header, not the end of the UI: the loop keeps
/// running (and asking again) until the user quits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ui_survives_an_unreachable_endpoint() {
    let b = Arc::new(
        backend(AwsOptions {
            stack: Some("saga".into()),
            endpoint_url: Some("http://127.0.0.1:9".into()),
            region: Some("us-east-1".into()),
            ..AwsOptions::default()
        })
        .await,
    );
    let (app, terminal) = session(b, "offline-trip", vec![(1_500, '1'), (1_500, 'q')]).await;
    assert!(app.executions.is_empty());
    let screen = terminal.backend().to_string();
    assert!(screen.contains("cannot reach the endpoint"), "{screen}");
}

/// Against a server that checks credentials and policies: an unknown key and a key
/// without the needed permission each come back as the line that says what to do.
#[test]
fn refused_credentials_and_missing_permissions_say_what_to_do() {
    let strict = moto::StrictMoto::start();
    let run = |key: &str, secret: &str| {
        let out = sagaview()
            .args(["run", "--aws", "--endpoint-url", &strict.url])
            .args([
                "--state-machine-arn",
                "arn:aws:states:us-east-1:123456789012:stateMachine:BookingSaga",
                "--table",
                "saga",
            ])
            .env("AWS_ACCESS_KEY_ID", key)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        err
    };
    let err = run("AKIANOSUCHKEY0000000", "nope");
    assert!(err.contains("credentials are expired or invalid"), "{err}");
    let (id, secret) = strict.viewer_key.clone();
    let err = run(&id, &secret);
    assert!(err.contains("access denied"), "{err}");
    assert!(err.contains("states:StartExecution"), "{err}");
}

/// The standard configuration chain, without sagaview's own flags: a named profile
/// carrying region, keys and endpoint, and the per-service endpoint variables.
#[test]
fn profiles_and_endpoint_variables_are_honoured() {
    let _turn = moto::moto_lock();
    let stack = moto::create_stack("profiles", Lambdas::Echo, None);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!(
            "[profile workshop]\nregion = {}\naws_access_key_id = testing\naws_secret_access_key = testing\nendpoint_url = {}\n",
            stack.region,
            moto::moto_url()
        ),
    )
    .unwrap();
    let run = |cmd: &mut Command, extra: &[&str]| {
        let out = cmd
            .args(["run", "--aws", "--stack", &stack.stack_name, "--json"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["status"], "SUCCEEDED");
    };
    run(
        sagaview()
            .env("AWS_CONFIG_FILE", &config)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_REGION"),
        &["--profile", "workshop"],
    );
    let url = moto::moto_url();
    run(
        sagaview()
            .env("AWS_ENDPOINT_URL_SFN", &url)
            .env("AWS_ENDPOINT_URL_DYNAMODB", &url)
            .env("AWS_ENDPOINT_URL_CLOUDFORMATION", &url),
        &[],
    );
}

/// SendTaskSuccess/Failure/Heartbeat go through the backend API and report AWS's error
/// name for a token no task holds (moto's executing mode answers `InvalidToken`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_token_calls_report_the_aws_error_name() {
    let _turn = moto::moto_lock();
    let stack = moto::create_stack("tokens", Lambdas::Echo, None);
    let b = backend(options_for(&stack, &moto::moto_url())).await;
    let heartbeat = b.send_task_heartbeat("no-such-token").await;
    let success = b.send_task_success("no-such-token", "{}").await;
    let failure = b
        .send_task_failure("no-such-token", Some("Rejected"), None)
        .await;
    for (call, result) in [
        ("SendTaskHeartbeat", heartbeat),
        ("SendTaskSuccess", success),
        ("SendTaskFailure", failure),
    ] {
        let line = result
            .expect_err("moto refuses an unknown token")
            .to_string();
        assert!(line.starts_with(call), "{line}");
        assert!(line.contains("InvalidToken"), "{line}");
    }
}
