//! `sagaview conformance` as CI runs it: each case in a process of its own under a time
//! and memory budget, failures that stay with their case, exit statuses a script can
//! read, and directories that are missing, empty or linked into themselves.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn conformance(dir: &Path, extra: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_sagaview"))
        .arg("conformance")
        .arg(dir)
        .args(extra)
        .output()
        .expect("run sagaview conformance");
    (out, started.elapsed())
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A case of the pack's format whose recording says `status` with output `{}`.
fn case(id: &str, definition: Value, status: &str) -> Value {
    json!({
        "id": id,
        "definition": definition,
        "input_text": "{}",
        "environment": {
            "account_id": "111111111111", "region": "us-east-1", "partition": "aws",
            "state_machine_name": "sm",
            "state_machine_arn": "arn:aws:states:us-east-1:111111111111:stateMachine:sm",
            "execution_name": "ex",
            "execution_arn": "arn:aws:states:us-east-1:111111111111:execution:sm:ex",
            "role_arn": "arn:aws:iam::111111111111:role/r"
        },
        "events_recorded": false,
        "expected": {"status": status, "output": {}}
    })
}

fn pass_case(id: &str, status: &str) -> Value {
    case(
        id,
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
        status,
    )
}

fn write(path: &Path, value: &Value) {
    std::fs::write(path, value.to_string()).unwrap();
}

/// Hostile cases fail one by one, each with its reason, and the good case still passes;
/// the run exits 1.
#[test]
fn failing_malformed_and_hostile_cases_fail_alone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(&d.join("good.json"), &pass_case("t/good", "SUCCEEDED"));
    write(&d.join("wrong.json"), &pass_case("t/wrong", "FAILED"));
    std::fs::write(d.join("malformed.json"), "{ \"id\": \"t/malformed\", ").unwrap();
    write(&d.join("incomplete.json"), &json!({"id": "t/incomplete"}));
    // A Pass state looping on itself, and an expression nested deeper than any stack.
    let looping = json!({"StartAt": "L", "States": {"L": {"Type": "Pass", "Next": "L"}}});
    write(&d.join("loop.json"), &case("t/loop", looping, "SUCCEEDED"));
    let deep = format!("{}1{}", "States.Array(".repeat(20_000), ")".repeat(20_000));
    let nested = json!({"StartAt": "P", "States": {"P": {
        "Type": "Pass", "Parameters": {"a.$": deep}, "End": true}}});
    write(&d.join("deep.json"), &case("t/deep", nested, "SUCCEEDED"));

    let (out, took) = conformance(d, &["--case-timeout", "5s", "--jobs", "2"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.ends_with("1 passed, 5 failed\n"), "{stdout}");
    assert!(!stdout.contains("FAIL t/good"), "{stdout}");
    let line = |needle: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("FAIL {needle}")))
            .unwrap_or_else(|| panic!("no FAIL line for {needle}:\n{stdout}"))
            .to_owned()
    };
    assert!(line("t/wrong").contains("status: expected FAILED, got SUCCEEDED"));
    let malformed = d.join("malformed.json").display().to_string();
    let l = line(&malformed);
    assert!(l.contains("is not a valid case: EOF while parsing"), "{l}");
    let l = line(&d.join("incomplete.json").display().to_string());
    assert!(l.contains("missing field"), "{l}");
    line("t/loop");
    line("t/deep");
    // Every case ends within its budget, whatever it does: nothing waits for ever.
    assert!(took < Duration::from_secs(60), "took {took:?}");
}

/// A case that allocates past the memory budget ends its own process, is reported in
/// the budget's words, and the case after it runs in a fresh process.
#[test]
fn a_case_past_its_memory_budget_fails_in_the_budgets_words() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let task = json!({"StartAt": "T", "States": {"T": {"Type": "Task",
        "Resource": "arn:aws:lambda:us-east-1:111111111111:function:big", "End": true}}});
    let mut big = case("m/big", task, "SUCCEEDED");
    big["lambdas"] = json!({"big": {"behaviour": "return_raw",
        "payload_repeat": {"text": "x", "count": 1u64 << 30}}});
    write(&d.join("a-big.json"), &big);
    write(&d.join("b-good.json"), &pass_case("m/good", "SUCCEEDED"));
    let (out, _) = conformance(d, &["--case-memory", "256MB", "--jobs", "1", "--verbose"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("FAIL m/big: exceeded its memory budget of 256MB (memory allocation of"),
        "{stdout}"
    );
    assert!(stdout.contains("ok   m/good"), "{stdout}");
    assert!(stdout.ends_with("1 passed, 1 failed\n"), "{stdout}");
}

/// A directory linked into itself is walked once, and a case reached by two names runs
/// once; all passing, the run exits 0.
#[cfg(unix)]
#[test]
fn symlink_loops_are_followed_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sub = d.join("sub");
    std::fs::create_dir(&sub).unwrap();
    write(&sub.join("one.json"), &pass_case("s/one", "SUCCEEDED"));
    std::os::unix::fs::symlink(d, sub.join("back-to-top")).unwrap();
    std::os::unix::fs::symlink(&sub, d.join("again")).unwrap();
    std::os::unix::fs::symlink(sub.join("one.json"), d.join("alias.json")).unwrap();
    let (out, took) = conformance(d, &["--verbose"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(stdout, "ok   s/one\n1 passed, 0 failed\n");
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

/// Nothing to run is not a pass: a missing directory, an empty one (or one with no case
/// file) and a file in place of a directory exit 2 with one line saying so.
#[test]
fn missing_or_empty_directories_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let empty = d.join("empty");
    std::fs::create_dir_all(empty.join("nested")).unwrap();
    std::fs::write(empty.join("notes.txt"), "no cases here").unwrap();
    let file = d.join("file.json");
    write(&file, &pass_case("x", "SUCCEEDED"));
    for (path, says) in [
        (d.join("no-such-dir"), "does not exist"),
        (empty.clone(), "holds no case files"),
        (file.clone(), "is not a directory"),
    ] {
        let (out, _) = conformance(&path, &[]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{path:?}: {stdout}{stderr}");
        assert_eq!(stdout, "", "{path:?}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(&path.display().to_string()), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
    }
}

/// Budgets that cannot be used are usage errors.
#[test]
fn bad_budgets_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a.json"), &pass_case("a", "SUCCEEDED"));
    for flags in [
        &["--case-timeout", "0s"][..],
        &["--case-timeout", "soon"],
        &["--case-memory", "1MB"],
        &["--jobs", "0"],
    ] {
        let (out, _) = conformance(dir.path(), flags);
        assert_eq!(out.status.code(), Some(2), "{flags:?}");
    }
}
