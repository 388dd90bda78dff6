//! Running a definition on the embedded runtime inside budgets: a child process (this
//! test binary run again) limited to [`MEMORY_BUDGET_BYTES`] of address space and
//! [`WALL_BUDGET`] of wall-clock time. A stack overflow, an abort or running out of
//! memory then fails the one case that caused it, with its name, instead of killing
//! the whole test binary; a thread could be given a timeout but not a memory limit,
//! and an overflowed stack would still take the process down with it.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::DateTime;
use serde_json::{Map, Value, json};

use sagaview::asl::load_definition;
use sagaview::conformance::lambdas::BehaviourInvoker;
use sagaview::engine::{Clock, Engine, EngineConfig, Pace};

/// Address space a case may use, in bytes.
pub const MEMORY_BUDGET_BYTES: u64 = 512 << 20;
/// Wall-clock time a case may take.
pub const WALL_BUDGET: Duration = Duration::from_secs(10);
/// Marks the child's one line of outcome among the test harness's own output.
const OUTCOME_MARK: &str = "BUDGETED-OUTCOME ";

/// How a child run ended, as the parent sees it.
#[derive(Debug)]
pub enum ChildEnd {
    /// The child printed its outcome.
    Outcome(Value),
    /// The child ran past [`WALL_BUDGET`] and was killed.
    TimedOut,
    /// The child ended without an outcome (a crash, a signal, an allocation failure).
    Crashed { status: String, stderr: String },
}

/// Runs the test `test_name` of this binary in a child process within
/// [`MEMORY_BUDGET_BYTES`] and `wall` of wall-clock time ([`WALL_BUDGET`] for one
/// definition; more for a child that runs many, each against [`WALL_BUDGET`]
/// itself), with `env` set, and returns the outcome it printed with [`print_outcome`].
pub fn run_child_for(test_name: &str, env: &[(&str, &str)], wall: Duration) -> ChildEnd {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let kib = MEMORY_BUDGET_BYTES / 1024;
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(exe)
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("a child process starts");
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            break Some(status);
        }
        if started.elapsed() > wall {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    let Some(status) = status else {
        return ChildEnd::TimedOut;
    };
    let outcome = out
        .lines()
        .find_map(|l| l.split_once(OUTCOME_MARK).map(|(_, rest)| rest))
        .and_then(|l| serde_json::from_str(l).ok());
    match outcome {
        Some(v) if status.success() => ChildEnd::Outcome(v),
        _ => ChildEnd::Crashed {
            status: status.to_string(),
            stderr: err
                .chars()
                .rev()
                .take(2000)
                .collect::<String>()
                .chars()
                .rev()
                .collect(),
        },
    }
}

/// Prints the child's outcome for [`run_child`] to find.
pub fn print_outcome(outcome: &Value) {
    println!("\n{OUTCOME_MARK}{outcome}");
}

/// Runs `definition` (JSON text) on `input` (JSON text) on virtual time, with Lambda
/// functions played by behaviour as in the conformance pack, and sums up how it
/// ended: `{"rejected": why}` when the definition does not load, else its status,
/// error, cause and number of history events.
pub fn run_definition(
    definition: &str,
    input: &str,
    lambdas: Option<&Map<String, Value>>,
) -> Value {
    let definition = match load_definition(definition) {
        Ok(d) => d,
        Err(e) => return json!({ "rejected": e.to_string() }),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime starts");
    runtime.block_on(async {
        let clock =
            Clock::virtual_from(DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default());
        let invoker = Arc::new(BehaviourInvoker::new(lambdas, clock.clone()));
        let config = EngineConfig {
            pace: Pace::Instant,
            seed: Some(7),
            ..EngineConfig::default()
        };
        let engine = Engine::new(config, clock, invoker);
        let machine = engine.state_machine("hostile", definition);
        let arn = match engine.start(&machine, Some("case"), input) {
            Ok(arn) => arn,
            Err(e) => return json!({ "start_refused": e.to_string() }),
        };
        let d = engine.wait(&arn).await.expect("the execution exists");
        let history = engine.history_since(&arn, 0).unwrap_or_default();
        // A timed-out execution's error is in its last event, not its description.
        let last_error = history
            .last()
            .and_then(|e| serde_json::to_value(e).ok())
            .and_then(|e| {
                e.as_object()?
                    .values()
                    .find_map(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
            });
        json!({
            "status": d.status.as_str(),
            "error": d.error.or(last_error),
            "cause": d.cause,
            "output_bytes": d.output.as_ref().map(String::len),
            "events": history.len(),
        })
    })
}
