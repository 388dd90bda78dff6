//! Hostile definitions (`tests/fixtures/hostile/*.json`): each one, run on the
//! embedded runtime on virtual time, must end within the budgets of
//! [`budget`] (each in a child process of its own) with the error it names, or with a
//! bounded result.
//!
//! A case file holds `about` (what it attacks), `definition`, optional `input`
//! and `lambdas` (behaviours, as in the conformance pack), optional `expand` to build
//! texts too large to write out (`{"token", "open", "inner", "close", "times"}`: the
//! token, wherever it appears in the definition's or the input's text, becomes
//! `open` × times, `inner`, `close` × times), and `expect`: `rejected` (a part of the
//! loader's message), `start_refused`, or `status` with optional `error`, `cause` (a part of it) and
//! `max_events`.

#[path = "support/budget.rs"]
mod budget;

use std::path::{Path, PathBuf};

use serde_json::Value;

use budget::{ChildEnd, WALL_BUDGET, print_outcome, run_child_for, run_definition};

/// The variable naming the case a child process runs.
const CASE_VAR: &str = "SAGAVIEW_HOSTILE_CASE";

fn case_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{} is readable: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// The file name of `path`, for messages.
fn case_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The definition's and the input's texts with every `expand` token replaced.
fn texts(case: &Value) -> (String, String) {
    let mut definition = case["definition"].to_string();
    let mut input = case
        .get("input")
        .map(Value::to_string)
        .unwrap_or_else(|| "{}".into());
    for e in case["expand"].as_array().into_iter().flatten() {
        let s = |k: &str| e[k].as_str().unwrap_or_default();
        let times = e["times"].as_u64().unwrap_or(0) as usize;
        let built = format!(
            "{}{}{}",
            s("open").repeat(times),
            s("inner"),
            s("close").repeat(times)
        );
        definition = definition.replace(s("token"), &built);
        input = input.replace(s("token"), &built);
    }
    (definition, input)
}

/// Runs in the child process only: the case named by [`CASE_VAR`].
#[test]
fn hostile_case_child() {
    let Ok(path) = std::env::var(CASE_VAR) else {
        return;
    };
    let case: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("the case is readable"))
            .expect("the case is JSON");
    let (definition, input) = texts(&case);
    let outcome = run_definition(&definition, &input, case["lambdas"].as_object());
    print_outcome(&outcome);
}

/// Why `outcome` does not meet `expect`, if it does not.
fn mismatch(expect: &Value, outcome: &Value) -> Option<String> {
    if let Some(part) = expect["rejected"].as_str() {
        let why = outcome["rejected"].as_str().unwrap_or_default();
        return (!why.contains(part)).then(|| format!("expected a rejection naming {part:?}"));
    }
    if expect["start_refused"] == true {
        return outcome["start_refused"]
            .is_null()
            .then(|| "expected StartExecution to refuse the input".into());
    }
    if outcome["status"] != expect["status"] {
        return Some(format!("expected status {}", expect["status"]));
    }
    if !expect["error"].is_null() && outcome["error"] != expect["error"] {
        return Some(format!("expected error {}", expect["error"]));
    }
    if let Some(part) = expect["cause"].as_str()
        && !outcome["cause"].as_str().unwrap_or_default().contains(part)
    {
        return Some(format!("expected a cause naming {part:?}"));
    }
    if let Some(max) = expect["max_events"].as_u64()
        && outcome["events"].as_u64().unwrap_or(u64::MAX) > max
    {
        return Some(format!("expected at most {max} events"));
    }
    None
}

#[test]
fn every_hostile_definition_ends_within_its_budgets() {
    let files = case_files();
    assert!(files.len() >= 10, "the hostile corpus is missing");
    let mut failures = Vec::new();
    for file in &files {
        let name = case_name(file);
        let case: Value = serde_json::from_str(
            &std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{name}: {e}")),
        )
        .unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
        let started = std::time::Instant::now();
        let end = run_child_for(
            "hostile_case_child",
            &[(CASE_VAR, &file.to_string_lossy())],
            WALL_BUDGET,
        );
        let took = started.elapsed();
        match end {
            ChildEnd::Outcome(outcome) => {
                println!("{name}: {outcome} ({took:?})");
                if let Some(why) = mismatch(&case["expect"], &outcome) {
                    failures.push(format!("{name}: {why}, got {outcome}"));
                }
            }
            ChildEnd::TimedOut => failures.push(format!("{name}: ran past the wall-clock budget")),
            ChildEnd::Crashed { status, stderr } => {
                failures.push(format!("{name}: the run crashed ({status}): {stderr}"))
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
