//! The case process: runs the cases it is handed, one at a time, under the memory
//! budget, and answers with one JSON verdict line per case.
//!
//! Panics are caught and reported as the case's failure; a stack overflow or an
//! exhausted memory budget ends the process, which [`super::isolated`] sees and blames
//! on the case it was running.

use std::io::{self, BufRead, Write};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::case::load_case;
use super::runner::{CaseResult, run_case};

/// The hidden subcommand that starts a case process.
pub const WORKER_COMMAND: &str = "conformance-worker";

/// Where the panic hook leaves the last panic's message and place for the verdict.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);
/// Whether a case is running: its panics become its verdict, not a message.
static IN_CASE: AtomicBool = AtomicBool::new(false);

/// Serves case paths read from stdin (one per line) until stdin closes, writing one
/// [`CaseResult`] per line to stdout. Each case gets a fresh runtime, so nothing a case
/// left running can slow down the next.
pub fn serve(memory: u64) -> io::Result<()> {
    die_with_parent();
    // The allocator reserves its address space on its first allocation; under a cap set
    // before that it cannot, and the process faults on its first case. Allocating here
    // makes the order explicit rather than an accident of argument parsing.
    std::hint::black_box(vec![0u8; 64]);
    limit_memory(memory)?;
    std::panic::set_hook(Box::new(|info| {
        let text = match info.location() {
            Some(at) => format!("{} at {at}", payload_text(info.payload())),
            None => payload_text(info.payload()),
        };
        if IN_CASE.load(Ordering::Relaxed) {
            *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(text);
        } else {
            // Not a case's panic: the process is about to end, and says why.
            eprintln!("the case process panicked: {text}");
        }
    }));
    let mut out = io::stdout().lock();
    for line in io::stdin().lock().lines() {
        let result = run_file(Path::new(&line?));
        serde_json::to_writer(&mut out, &result).map_err(io::Error::other)?;
        out.write_all(b"\n")?;
        out.flush()?;
    }
    Ok(())
}

fn run_file(path: &Path) -> CaseResult {
    let case = match load_case(path) {
        Ok(case) => case,
        Err(e) => {
            return CaseResult {
                id: path.display().to_string(),
                failure: Some(e.to_string()),
            };
        }
    };
    let id = case.id.clone();
    let failure = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Err(e) => Some(format!("cannot start a runtime for the case: {e}")),
        Ok(runtime) => {
            IN_CASE.store(true, Ordering::Relaxed);
            let outcome = runtime
                .block_on(async move { tokio::spawn(async move { run_case(&case).await }).await });
            IN_CASE.store(false, Ordering::Relaxed);
            match outcome {
                Ok(verdict) => verdict.err(),
                Err(e) if e.is_panic() => {
                    let why = LAST_PANIC
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .take()
                        .unwrap_or_else(|| payload_text(&e.into_panic()));
                    Some(format!("the run panicked: {why}"))
                }
                Err(e) => Some(format!("the run was cancelled: {e}")),
            }
        }
    };
    CaseResult { id, failure }
}

fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Makes the kernel kill this process when the run that started it goes away: a case
/// looping for ever must not outlive an interrupted run.
#[cfg(target_os = "linux")]
fn die_with_parent() {
    // SAFETY: prctl(PR_SET_PDEATHSIG) takes plain integers and only sets this process's
    // own parent-death signal.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent() {}

/// Caps the process's address space: past it allocations fail and the process aborts,
/// which is the point (the case, not the machine, runs out of memory).
#[cfg(unix)]
fn limit_memory(bytes: u64) -> io::Result<()> {
    let cap = libc::rlim_t::try_from(bytes).unwrap_or(libc::RLIM_INFINITY);
    let limit = libc::rlimit {
        rlim_cur: cap,
        rlim_max: cap,
    };
    // SAFETY: setrlimit only reads the struct passed by reference, and changes nothing
    // but this process's own limit.
    if unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(unix))]
fn limit_memory(_bytes: u64) -> io::Result<()> {
    Ok(())
}
