//! `sagaview open` on a history recorded by a real Step Functions peer (moto) and
//! printed as the AWS CLI prints it, in both timestamp forms the CLI writes
//! (`cli_timestamp_format` iso8601, in a zone east of UTC, and wire epoch seconds).

mod support;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use saga_lambdas::RunType;
use sagaview::backend::aws::{AwsBackend, AwsOptions};
use sagaview::backend::file::FileBackend;
use sagaview::backend::{Launch, SagaBackend};
use sagaview::headless::run_once;
use sagaview::history::EventType;
use sagaview::share::OpenedExecution;
use sagaview::tui::{App, TuiOptions, demo, runner};
use support::moto::{self, Lambdas};
use support::tui::{screen, turn_until};

/// What `aws stepfunctions get-execution-history` prints for a fresh execution of the
/// saga on moto (`scripts/moto/cli_history.py`).
fn cli_history(state_machine_arn: &str, timestamps: &str) -> String {
    // The CLI prints iso8601 times in the machine's zone: one with an offset.
    cli(
        &[
            "--state-machine-arn",
            state_machine_arn,
            "--input",
            r#"{"trip_id": "trip-moto", "run_type": "success"}"#,
            "--timestamps",
            timestamps,
        ],
        "Asia/Kolkata",
    )
}

/// What `scripts/moto/cli_history.py` prints for `args`, in time zone `tz`.
fn cli(args: &[&str], tz: &str) -> String {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/moto/cli_history.py");
    let out = Command::new(moto::python())
        .arg(script)
        .args(["--endpoint", &moto::moto_url()])
        .args(args)
        .env("TZ", tz)
        .output()
        .expect("run cli_history.py");
    assert!(
        out.status.success(),
        "cli_history.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_moto_recorded_opens_as_the_cli_prints_it() {
    let turn = moto::moto_lock();
    let stack = moto::create_stack("open", Lambdas::Echo, None);
    let iso = cli_history(&stack.state_machine_arn, "iso8601");
    let wire = cli_history(&stack.state_machine_arn, "wire");
    drop(turn);
    assert!(iso.contains("+05:30\""), "{}", &iso[..iso.len().min(600)]);
    assert!(
        wire.contains("\"timestamp\": 1"),
        "{}",
        &wire[..wire.len().min(600)]
    );
    for (form, text) in [("iso8601", &iso), ("wire", &wire)] {
        let opened = OpenedExecution::parse(text, "moto.json", None)
            .unwrap_or_else(|e| panic!("{form}: {e}"));
        let events = &opened.events;
        assert_eq!(events[0].event_type, EventType::ExecutionStarted, "{form}");
        assert_eq!(
            events.last().map(|e| e.event_type),
            Some(EventType::ExecutionSucceeded),
            "{form}"
        );
        assert!(
            events.windows(2).all(|w| w[0].timestamp <= w[1].timestamp),
            "{form}: times in order"
        );
        assert_eq!(opened.execution.status, "SUCCEEDED", "{form}");
        assert!(opened.synthesised, "{form}");
        let names: Vec<&str> = opened
            .definition
            .states
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "ReserveHotel",
                "ReserveFlight",
                "TakePayment",
                "ConfirmHotelBooking",
                "ConfirmFlight",
                "We have made your booking!"
            ],
            "{form}"
        );

        // The whole UI shows it: graph, history, the execution listed.
        let backend: Arc<dyn SagaBackend> = Arc::new(FileBackend::new("moto.json", opened));
        let options = TuiOptions {
            pace: None,
            ..demo::options(true)
        };
        let app = App::new(backend.info(), &options);
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let mut runner = runner::Runner::new(&mut terminal, app, backend, tx, rx).unwrap();
        turn_until(&mut runner, Duration::from_secs(20), "the history", |r| {
            r.app().graph.is_some()
                && r.owed() == 0
                && r.app()
                    .selected_execution()
                    .is_some_and(|e| e.view.is_finished())
        })
        .await;
        let text = screen(&runner).join("\n");
        for shown in [
            "moto.json · read-only",
            "graph built from the history",
            "ConfirmFlight",
            "ExecutionSucceeded",
            "SUCCEEDED",
        ] {
            assert!(text.contains(shown), "{form}: {shown}\n{text}");
        }
    }
}

/// `x` on the AWS backend writes `events` and `execution` exactly as the AWS CLI prints
/// `get-execution-history` and `describe-execution` for the same execution (on a
/// machine set to UTC, the zone the file is written in).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_on_aws_writes_what_the_cli_prints() {
    let _turn = moto::moto_lock();
    let stack = moto::create_stack("xaws", Lambdas::Fail, None);
    // SAFETY: set before any client reads the environment; every test sets the same values.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    }
    let backend = AwsBackend::connect(AwsOptions {
        stack: Some(stack.stack_name.clone()),
        endpoint_url: Some(moto::moto_url()),
        region: Some(stack.region.clone()),
        ..AwsOptions::default()
    })
    .await
    .expect("connect");
    let launch = Launch {
        run_type: RunType::Success,
        trip_id: moto::unique("xaws"),
        cancel_failure_rate: 0.0,
    };
    let report = run_once(&backend, launch, Duration::from_millis(300))
        .await
        .expect("the run ends");
    let arn = report.summary.execution_arn;
    let saved = backend
        .export(&arn)
        .await
        .expect("export")
        .to_json()
        .unwrap();
    let saved: serde_json::Value = serde_json::from_str(&saved).unwrap();
    let history: serde_json::Value =
        serde_json::from_str(&cli(&["--execution-arn", &arn], "UTC")).unwrap();
    let described: serde_json::Value =
        serde_json::from_str(&cli(&["--execution-arn", &arn, "--describe"], "UTC")).unwrap();
    assert_eq!(saved["events"], history["events"]);
    assert_eq!(saved["execution"], described);
    // Member order too, as the CLI prints them.
    let keys =
        |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(&saved["execution"]), keys(&described));
    assert_eq!(keys(&saved["events"][1]), keys(&history["events"][1]));
    let definition = saved["definition"].as_str().expect("the definition's text");
    sagaview::asl::load_definition(definition).expect("it loads");
}
