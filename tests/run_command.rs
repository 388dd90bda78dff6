//! `sagaview run`, as a user runs it: exit codes, the trace and the JSON document; the
//! help's headings; and runs of another process showing in a running UI.

mod support;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagaview::backend::SagaBackend;
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::history::ExecutionStatus;
use sagaview::store::Store;
use sagaview::tui::runner::Runner;
use sagaview::tui::{App, TuiOptions, demo};
use support::tui::{screen, turn_until};

fn sagaview(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sagaview"))
        .args(args)
        .output()
        .expect("run sagaview")
}

#[test]
fn success_exits_0_with_confirmed_rows() {
    let out = sagaview(&[
        "run",
        "--db",
        ":memory:",
        "--instant",
        "--trip-id",
        "cli-ok",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("status: SUCCEEDED"), "{text}");
    assert!(text.contains("rows of trip cli-ok:"), "{text}");
    assert_eq!(text.matches(" confirmed ").count(), 3, "{text}");
    assert!(text.contains("verdict: ok"), "{text}");
}

#[test]
fn fail_payment_json_has_the_aws_shape_and_exits_1() {
    let out = sagaview(&[
        "run",
        "--run-type",
        "failPayment",
        "--db",
        ":memory:",
        "--instant",
        "--cancel-failure-rate",
        "0",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert!(
        doc["executionArn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:states:")
    );
    assert_eq!(doc["status"], "FAILED");
    assert_eq!(doc["rows"], serde_json::json!([]));
    let events = doc["events"].as_array().unwrap();
    assert_eq!(events[0]["type"], "ExecutionStarted");
    assert_eq!(events[0]["id"], 1);
    assert_eq!(events[0]["previousEventId"], 0);
    assert!(events[0]["executionStartedEventDetails"]["input"].is_string());
    let failed = events.iter().find(|e| e["type"] == "TaskFailed").unwrap();
    assert_eq!(failed["taskFailedEventDetails"]["error"], "PaymentFailed");
    assert_eq!(failed["taskFailedEventDetails"]["resourceType"], "lambda");
}

#[test]
fn an_exhausted_compensation_names_the_rows_left_behind() {
    let out = sagaview(&[
        "run",
        "--run-type",
        "failFlightsConfirmation",
        "--db",
        ":memory:",
        "--instant",
        "--cancel-failure-rate",
        "1",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(text.matches("retry ").count(), 3, "{text}");
    assert!(text.contains("verdict: ERROR"), "{text}");
    assert!(
        text.contains("HOTEL#") && text.contains("FLIGHT#") && text.contains("PAYMENT#"),
        "{text}"
    );
}

#[test]
fn usage_errors_exit_2_with_a_clear_message() {
    for args in [
        &["run", "--run-type", "failEverything"][..],
        &["run", "--cancel-failure-rate", "1.5"],
        &["run", "--trip-id", "no spaces please"],
        &["run", "--speed", "0"],
    ] {
        let out = sagaview(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("error"), "{args:?}: {err}");
    }
}

#[test]
fn a_corrupt_database_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.db");
    std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
    let out = sagaview(&["run", "--db", path.to_str().unwrap(), "--instant"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.db"), "{err}");
    // Nothing was lost: the file is left as it was.
    assert_eq!(std::fs::read(&path).unwrap(), vec![0x42u8; 8192]);
}

/// `--db` in a directory that does not exist is a usage error naming it, for `run` and
/// for the UI alike, and nothing is created on the way.
#[test]
fn a_database_in_a_missing_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    let db = missing.join("x.db");
    let db = db.to_str().unwrap();
    for (args, path) in [
        (&["run", "--db", db, "--instant"][..], db),
        (&["--db", db], db),
        (
            &["run", "--db", "/nonexistent/dir/x.db", "--instant"],
            "/nonexistent/dir/x.db",
        ),
    ] {
        let out = sagaview(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("does not exist"), "{args:?}: {err}");
        assert!(err.contains(path), "{args:?}: {err}");
    }
    assert!(!missing.exists(), "the missing directory was created");
}

/// SIGTERM, SIGINT, SIGHUP or SIGQUIT during `run` end it with 128 + the signal's
/// number and a line saying so; the execution it left running is marked ABORTED when
/// the database is next opened.
#[cfg(unix)]
#[test]
fn a_signal_ends_run_with_128_plus_its_number() {
    for (signal, name) in [
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGINT, "SIGINT"),
        (libc::SIGHUP, "SIGHUP"),
        (libc::SIGQUIT, "SIGQUIT"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("signal.db");
        let child = Command::new(env!("CARGO_BIN_EXE_sagaview"))
            .args(["run", "--pace", "demo", "--db"])
            .arg(&db)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The execution's first writes come after the signals are caught.
        let wal = dir.path().join("signal.db-wal");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::fs::metadata(&wal).map_or(true, |m| m.len() == 0) {
            assert!(std::time::Instant::now() < deadline, "the run never wrote");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(100));
        let pid = i32::try_from(child.id()).unwrap();
        // SAFETY: kill only sends a signal to the child this test started.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(128 + signal), "{name}: {err}");
        assert!(err.contains(&format!("stopped by {name}")), "{err}");
        let store = Store::open(&db).unwrap();
        assert_eq!(store.recovered_on_open().len(), 1, "{name}");
    }
}

/// The help text's sections, by heading (`Options:`, `Terminal UI:`, ...).
fn help_sections(text: &str) -> Vec<(String, String)> {
    let mut sections: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let heading = !line.starts_with(' ') && line.ends_with(':');
        if heading {
            sections.push((line.to_owned(), String::new()));
        } else if let Some((_, body)) = sections.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    sections
}

#[test]
fn help_lists_the_ui_options_under_their_own_heading_not_under_aws() {
    let out = sagaview(&["--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let sections = help_sections(&text);
    let section = |starts: &str| {
        sections
            .iter()
            .find(|(h, _)| h.starts_with(starts))
            .map(|(_, body)| body.as_str())
            .unwrap_or_else(|| panic!("no {starts}... heading in:\n{text}"))
    };
    let ui = section("Terminal UI:");
    for flag in ["--theme <THEME>", "--log-file <PATH>"] {
        assert!(ui.contains(flag), "{flag} under Terminal UI:\n{text}");
    }
    for (heading, body) in &sections {
        if heading != "Terminal UI:" {
            assert!(
                !body.contains("--theme") && !body.contains("--log-file"),
                "{heading} lists a UI option:\n{text}"
            );
        }
    }
    let aws = section("AWS");
    assert!(aws.contains("--aws"), "{text}");
}

/// A UI on a database file, and `sagaview run` processes adding executions to the same
/// file: the UI reads the list again every 2 s and shows them, newest selected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_of_another_process_on_the_same_database_appear_in_a_running_ui() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("shared.db");
    let backend: Arc<dyn SagaBackend> = Arc::new(
        EmbeddedBackend::new(
            Store::open(&db).expect("the UI opens the file"),
            EmbeddedOptions::default(),
        )
        .expect("embedded backend"),
    );
    let app = App::new(
        backend.info(),
        &TuiOptions {
            ..demo::options(true)
        },
    );
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut runner = Runner::new(&mut terminal, app, backend, tx, rx).expect("first frame");
    turn_until(
        &mut runner,
        Duration::from_secs(30),
        "the first list",
        |r| r.owed() == 0 && r.app().graph.is_some(),
    )
    .await;
    assert!(runner.app().executions.is_empty(), "a new database");

    let path = db.to_str().expect("a UTF-8 path").to_owned();
    let trips = ["other-process-1", "other-process-2", "other-process-3"];
    let others = std::thread::spawn(move || {
        for trip in trips {
            let out = sagaview(&[
                "run",
                "--db",
                &path,
                "--pace",
                "instant",
                "--seed",
                "3",
                "--trip-id",
                trip,
            ]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{trip}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    });
    turn_until(
        &mut runner,
        Duration::from_secs(90),
        "the other process's runs in the list",
        |r| {
            let app = r.app();
            trips.iter().all(|trip| {
                app.executions.iter().any(|e| {
                    e.trip_id.as_deref() == Some(*trip) && e.status() == ExecutionStatus::Succeeded
                })
            })
        },
    )
    .await;
    others.join().expect("the other process ran");
    // The first one the list told of was selected, and its history read.
    turn_until(
        &mut runner,
        Duration::from_secs(30),
        "the selected run's history",
        |r| {
            r.app()
                .selected_execution()
                .is_some_and(|e| e.view.is_finished())
        },
    )
    .await;
    let lines = screen(&runner);
    let shown = lines.join("\n");
    assert!(shown.contains("Executions 3 "), "{shown}");
    assert!(lines[1].contains("▶ success · other-process-"), "{shown}");
    assert!(lines[1].contains("SUCCEEDED"), "{shown}");
}
