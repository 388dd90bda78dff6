//! `sagaview run`, as a user runs it: exit codes, the trace and the JSON document.

use std::process::Command;

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
