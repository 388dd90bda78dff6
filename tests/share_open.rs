//! Saving an execution (`x`) and opening it again (`sagaview open`): the file is what
//! the AWS CLI prints, opening it shows the same screens as the live run, a bare CLI
//! history opens in every timestamp form the CLI writes, and bad files are refused
//! with a clear message and exit status 2.

mod support;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use insta::assert_snapshot;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use saga_lambdas::RunType;
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::backend::file::FileBackend;
use sagaview::backend::{Launch, SagaBackend};
use sagaview::engine::Pace;
use sagaview::headless::run_once;
use sagaview::history::HistoryEvent;
use sagaview::share::{OpenedExecution, SharedExecution, write_new};
use sagaview::store::Store;
use sagaview::tui::{App, Cmd, TuiOptions, demo, runner};
use serde_json::Value;
use support::tui::{key, screen, turn_until};

fn embedded() -> Arc<EmbeddedBackend> {
    let options = EmbeddedOptions {
        seed: Some(7),
        pace: Pace::Instant,
        ..EmbeddedOptions::default()
    };
    Arc::new(EmbeddedBackend::new(Store::open_in_memory().unwrap(), options).unwrap())
}

/// Runs one saga to its end; the backend and the saved execution.
async fn saved_run(run_type: RunType) -> (Arc<EmbeddedBackend>, String, SharedExecution) {
    let backend = embedded();
    let launch = Launch {
        run_type,
        trip_id: "trip-share".into(),
        cancel_failure_rate: 0.5,
    };
    let report = run_once(backend.as_ref(), launch, Duration::from_millis(5))
        .await
        .expect("the run ends");
    let arn = report.summary.execution_arn.clone();
    let shared = backend.export(&arn).await.expect("export");
    (backend, arn, shared)
}

fn opened(text: &str, name: &str) -> Arc<dyn SagaBackend> {
    let opened = OpenedExecution::parse(text, name, None).expect("the file opens");
    Arc::new(FileBackend::new(name, opened))
}

/// The screen once the newest execution's history and graph are shown and every call
/// made was answered.
async fn settled(backend: Arc<dyn SagaBackend>, size: (u16, u16)) -> Vec<String> {
    // As `sagaview open` starts it: a saved execution has no pace.
    let options = TuiOptions {
        pace: None,
        ..demo::options(true)
    };
    let app = App::new(backend.info(), &options);
    let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut runner = runner::Runner::new(&mut terminal, app, backend, tx, rx).unwrap();
    turn_until(
        &mut runner,
        Duration::from_secs(20),
        "the execution's history and graph",
        |r| {
            let app = r.app();
            app.graph.is_some()
                && r.owed() == 0
                && app
                    .selected_execution()
                    .is_some_and(|e| e.view.is_finished())
        },
    )
    .await;
    screen(&runner)
}

/// The graph and history panels: the lines between the header and the rows panel.
fn graph_and_history(screen: &[String]) -> Vec<String> {
    let rows = screen
        .iter()
        .position(|l| l.contains("Rows of trip"))
        .expect("the rows panel");
    screen[3..rows].to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opened_file_shows_the_graph_and_history_the_live_run_showed() {
    for run_type in RunType::ALL {
        let (live, _, shared) = saved_run(run_type).await;
        let text = shared.to_json().unwrap();
        let live_screen = settled(live, (120, 40)).await;
        let file_screen = settled(opened(&text, "saved.json"), (120, 40)).await;
        assert_eq!(
            graph_and_history(&file_screen),
            graph_and_history(&live_screen),
            "{run_type}: opened\n{}\nlive\n{}",
            file_screen.join("\n"),
            live_screen.join("\n")
        );
        assert!(
            file_screen[0].contains("saved.json · read-only"),
            "{}",
            file_screen[0]
        );
        assert!(
            file_screen
                .iter()
                .any(|l| l.contains("no rows: a saved execution holds its history only")),
            "{}",
            file_screen.join("\n")
        );
        // Saving the opened file again writes the same file.
        let again = opened(&text, "saved.json");
        let arn = shared.execution.execution_arn.clone();
        let resaved = again.export(&arn).await.unwrap().to_json().unwrap();
        assert_eq!(resaved, text, "{run_type}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_is_what_the_aws_cli_prints() {
    let (_, arn, shared) = saved_run(RunType::FailPayment).await;
    let text = shared.to_json().unwrap();
    assert!(text.starts_with("{\n    \"events\": [\n        {\n            \"timestamp\": \""));
    assert!(text.ends_with("}\n"));
    let v: Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["events", "execution", "definition"]);
    let first = &v["events"][0];
    let members: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        members,
        [
            "timestamp",
            "type",
            "id",
            "previousEventId",
            "executionStartedEventDetails"
        ]
    );
    // Python's datetime.isoformat(): microseconds, then the offset.
    let ts = first["timestamp"].as_str().unwrap();
    assert!(
        ts.len() == "2024-05-01T10:00:00.123000+00:00".len() && ts.ends_with("+00:00")
            || ts.len() == "2024-05-01T10:00:00+00:00".len() && ts.ends_with("+00:00"),
        "{ts}"
    );
    let execution = &v["execution"];
    let members: Vec<&str> = execution
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        members,
        [
            "executionArn",
            "stateMachineArn",
            "name",
            "status",
            "startDate",
            "stopDate",
            "input",
            "inputDetails",
            "error",
            "cause",
            "redriveCount",
            "redriveStatus"
        ]
    );
    assert_eq!(execution["executionArn"], arn.as_str());
    assert_eq!(execution["status"], "FAILED");
    assert_eq!(execution["inputDetails"]["included"], true);
    assert_eq!(
        execution["input"],
        first["executionStartedEventDetails"]["input"]
    );
    let definition = v["definition"].as_str().unwrap();
    sagaview::asl::load_definition(definition).expect("the definition loads");
}

/// How one timestamp form writes an event's time.
type Stamp = Box<dyn Fn(&HistoryEvent) -> Value>;

/// `events` rewritten with timestamps as `stamp` writes them.
fn with_timestamps(events: &[HistoryEvent], stamp: impl Fn(&HistoryEvent) -> Value) -> String {
    let list: Vec<Value> = events
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(e).unwrap();
            v["timestamp"] = stamp(e);
            v
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "events": list })).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_cli_history_opens_in_every_timestamp_form() {
    let (_, _, shared) = saved_run(RunType::FailFlightsReservation).await;
    let events = &shared.events;
    let offset = chrono::FixedOffset::east_opt(2 * 3600).unwrap();
    let forms: [(&str, Stamp); 5] = [
        (
            "iso8601 in UTC",
            Box::new(|e| sagaview::share::cli_json::timestamp(&e.timestamp).into()),
        ),
        (
            "iso8601 in another zone",
            Box::new(move |e| {
                let t = e.timestamp.with_timezone(&offset);
                t.format("%Y-%m-%dT%H:%M:%S%.6f%:z").to_string().into()
            }),
        ),
        (
            "iso8601 with Z",
            Box::new(|e| {
                e.timestamp
                    .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                    .to_string()
                    .into()
            }),
        ),
        (
            "wire: epoch seconds with a fraction",
            Box::new(|e| (e.timestamp.timestamp_millis() as f64 / 1000.0).into()),
        ),
        (
            "wire: whole epoch seconds",
            Box::new(|e| e.timestamp.timestamp().into()),
        ),
    ];
    for (form, stamp) in forms {
        let text = with_timestamps(events, stamp);
        let opened = OpenedExecution::parse(&text, "capture.json", None)
            .unwrap_or_else(|e| panic!("{form}: {e}"));
        assert_eq!(opened.events.len(), events.len(), "{form}");
        for (got, want) in opened.events.iter().zip(events) {
            let precision = if form.contains("whole") { 1000 } else { 1 };
            assert_eq!(
                got.timestamp.timestamp_millis() / precision,
                want.timestamp.timestamp_millis() / precision,
                "{form}"
            );
            assert_eq!(
                (got.id, got.event_type),
                (want.id, want.event_type),
                "{form}"
            );
        }
        assert!(opened.synthesised, "{form}");
        assert_eq!(opened.execution.status, "FAILED", "{form}");
        assert_eq!(opened.execution.name, "capture", "{form}");
    }
    // `--reverse-order` prints the newest first; the list is read in id order.
    let mut reversed: Vec<Value> = events
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    reversed.reverse();
    let text = serde_json::json!({ "events": reversed }).to_string();
    let opened = OpenedExecution::parse(&text, "newest-first.json", None).unwrap();
    assert_eq!(opened.events, *events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_definition_the_graph_is_the_path_the_history_took() {
    let (_, _, shared) = saved_run(RunType::FailPayment).await;
    let bare = serde_json::json!({ "events": shared.events }).to_string();
    let opened = OpenedExecution::parse(&bare, "failPayment.json", None).unwrap();
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
            "RefundPayment",
            "CancelFlightReservation",
            "CancelHotelReservation",
            "Sorry, We Couldn't make the booking"
        ]
    );
    let screen = settled(opened_backend(opened, "failPayment.json"), (80, 24)).await;
    assert_snapshot!("bare_history_graph_80x24", screen.join("\n"));
    // With --definition, the graph is the definition's.
    let definition = shared.definition.clone().unwrap();
    let given = OpenedExecution::parse(
        &bare,
        "failPayment.json",
        Some((&definition, "saga.asl.json")),
    )
    .unwrap();
    assert!(!given.synthesised);
    assert!(given.definition.state("ConfirmHotelBooking").is_some());
}

fn opened_backend(opened: OpenedExecution, name: &str) -> Arc<dyn SagaBackend> {
    Arc::new(FileBackend::new(name, opened))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launch_stop_pause_and_step_give_a_notice_on_a_saved_execution() {
    let (_, _, shared) = saved_run(RunType::Success).await;
    let backend = opened(&shared.to_json().unwrap(), "saved.json");
    let mut app = App::new(backend.info(), &demo::options(true));
    assert!(app.read_only());
    for (c, says) in [
        ('1', "nothing can be launched"),
        ('s', "nothing can be stopped"),
        ('p', "time cannot be paused"),
        ('.', "nothing runs to step"),
    ] {
        let cmds = app.update(key(c));
        assert!(cmds.is_empty(), "{c}: {cmds:?}");
        let notice = app.notice.as_ref().map(|n| n.1.clone()).unwrap_or_default();
        assert!(
            notice.starts_with("read-only: ") && notice.contains(says),
            "{c}: {notice}"
        );
    }
    // The backend refuses too, whoever asks.
    let launch = Launch {
        run_type: RunType::Success,
        trip_id: "t".into(),
        cancel_failure_rate: 0.0,
    };
    let refused = backend.start(launch).await.unwrap_err().to_string();
    assert!(refused.contains("read-only"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_saves_the_selected_execution_where_asked_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let (live, arn, _) = saved_run(RunType::FailHotelReservation).await;
    let options = TuiOptions {
        export_dir: Some(dir.path().to_path_buf()),
        ..demo::options(true)
    };
    let app = App::new(live.info(), &options);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let backend: Arc<dyn SagaBackend> = live;
    let mut runner = runner::Runner::new(&mut terminal, app, backend, tx.clone(), rx).unwrap();
    turn_until(&mut runner, Duration::from_secs(20), "the selection", |r| {
        r.app().selected.as_deref() == Some(arn.as_str())
    })
    .await;
    let name = arn.rsplit(':').next().unwrap().to_string();
    for file in [format!("{name}.json"), format!("{name}-2.json")] {
        tx.send(key('x')).unwrap();
        turn_until(&mut runner, Duration::from_secs(20), "the save", |r| {
            r.app()
                .notice
                .as_ref()
                .is_some_and(|n| n.1.starts_with("saved to ") && n.1.ends_with(&file))
        })
        .await;
    }
    // The second save did not replace the first.
    let first = std::fs::read_to_string(dir.path().join(format!("{name}.json"))).unwrap();
    let second = std::fs::read_to_string(dir.path().join(format!("{name}-2.json"))).unwrap();
    assert_eq!(first, second);
    OpenedExecution::parse(&first, "saved", None).expect("the saved file opens");
}

#[test]
fn a_file_already_there_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("run.json"), "mine").unwrap();
    let path = write_new(dir.path(), "run", "new").unwrap();
    assert_eq!(path, dir.path().join("run-2.json"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("run.json")).unwrap(),
        "mine"
    );
    // A name with a path in it stays in the directory.
    let path = write_new(dir.path(), "../../etc/passwd", "x").unwrap();
    assert_eq!(path.parent(), Some(dir.path()));
}

#[test]
fn bad_files_are_refused_with_exit_status_2_and_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let good_event = r#"{"timestamp": 1714557600.5, "type": "ExecutionStarted", "id": 1, "previousEventId": 0,
        "executionStartedEventDetails": {"input": "{}", "roleArn": "r"}}"#;
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![dir.path().join("missing.json").display().to_string()],
            "cannot read",
        ),
        (vec![write("notjson.json", "{\"events\": [")], "is not JSON"),
        (
            vec![write("other.json", r#"{"executions": []}"#)],
            "holds no execution history",
        ),
        (
            vec![write("number.json", "42")],
            "holds no execution history",
        ),
        (
            vec![write("empty.json", r#"{"events": []}"#)],
            "the history has no events",
        ),
        (
            vec![write(
                "badtime.json",
                r#"{"events": [{"timestamp": "yesterday", "type": "ExecutionStarted", "id": 1, "previousEventId": 0}]}"#,
            )],
            "event 1 of the history cannot be read",
        ),
        (
            vec![write(
                "dup.json",
                &format!(r#"{{"events": [{good_event}, {good_event}]}}"#),
            )],
            "two events have id 1",
        ),
        (
            vec![write(
                "badexec.json",
                &format!(r#"{{"events": [{good_event}], "execution": {{"name": 3}}}}"#),
            )],
            "describe-execution",
        ),
        (
            vec![write(
                "baddef.json",
                &format!(r#"{{"events": [{good_event}], "definition": "{{}}"}}"#),
            )],
            "the definition cannot be read",
        ),
        (
            vec![
                write("ok.json", &format!(r#"{{"events": [{good_event}]}}"#)),
                "--definition".into(),
                dir.path().join("nodef.json").display().to_string(),
            ],
            "cannot read",
        ),
    ];
    for (args, says) in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_sagaview"))
            .arg("open")
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(says),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    // stdin, too.
    let mut child = Command::new(env!("CARGO_BIN_EXE_sagaview"))
        .args(["open", "-"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"[]").unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("stdin: the history has no events"),
        "{stderr}"
    );
}

#[test]
fn read_only_actions_leave_no_command_to_run() {
    // A guard on the read-only refusals: `x` is the one action that still runs.
    let info = sagaview::backend::BackendInfo {
        kind: sagaview::backend::BackendKind::File {
            name: "f.json".into(),
        },
        state_machine_name: "m".into(),
        state_machine_arn: String::new(),
        approval_state_machine_arn: None,
    };
    let mut app = App::new(info, &demo::options(true));
    let cmds = app.update(key('x'));
    assert!(cmds.is_empty(), "nothing selected: {cmds:?}");
    app.selected = Some("opened:f".into());
    let cmds = app.update(key('x'));
    assert!(
        matches!(&cmds[..], [Cmd::Export { arn, .. }] if arn == "opened:f"),
        "{cmds:?}"
    );
}
