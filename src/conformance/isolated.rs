//! Running cases in child processes, each case under its [`Budget`]: a case that
//! panics, loops, overflows its stack or exhausts its memory fails alone and the run
//! goes on.
//!
//! A small pool of case processes (one per job) each runs many cases in turn, so the
//! pack costs a few process starts, not one per case. A process that dies, or is killed
//! for running over its time, takes only the case it was running with it; the next
//! case gets a fresh process.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Deserialize;

use super::budget::{Budget, show_memory};
use super::case::LoadError;
use super::runner::CaseResult;
use super::worker::WORKER_COMMAND;

/// How much of a dead case process's stderr is kept to explain its end.
const STDERR_TAIL: usize = 4096;

/// Runs `files` in case processes started from `exe` (the `sagaview` binary), `jobs` at
/// a time, and returns one verdict per file, sorted by case id.
pub fn run_isolated(files: &[PathBuf], exe: &Path, budget: Budget, jobs: usize) -> Vec<CaseResult> {
    let queue = Mutex::new(files.iter());
    let results = Mutex::new(Vec::with_capacity(files.len()));
    let jobs = jobs.clamp(1, files.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                let mut slot = Slot {
                    exe,
                    budget,
                    worker: None,
                };
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                    let Some(path) = next else { break };
                    let result = slot.run(path);
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(result);
                }
                if let Some(worker) = slot.worker.take() {
                    let _ = worker.reap();
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by(|a, b| a.id.cmp(&b.id));
    results
}

/// One job: the case process it currently uses, if any.
struct Slot<'a> {
    exe: &'a Path,
    budget: Budget,
    worker: Option<Worker>,
}

impl Slot<'_> {
    fn run(&mut self, path: &Path) -> CaseResult {
        let id = match peek_id(path) {
            Ok(id) => id,
            Err(e) => {
                return CaseResult {
                    id: path.display().to_string(),
                    failure: Some(e.to_string()),
                };
            }
        };
        let failed = |why: String| CaseResult {
            id: id.clone(),
            failure: Some(why),
        };
        let Some(line) = path.to_str().filter(|p| !p.contains('\n')) else {
            return failed(format!(
                "{}: a case file name must be UTF-8 text on one line",
                path.display()
            ));
        };
        let worker = match &mut self.worker {
            Some(w) => w,
            None => match Worker::start(self.exe, self.budget.memory) {
                Ok(w) => self.worker.insert(w),
                Err(e) => return failed(format!("cannot start a process for the case: {e}")),
            },
        };
        let sent = writeln!(worker.stdin, "{line}").and_then(|()| worker.stdin.flush());
        let answer = match sent {
            Ok(()) => worker.verdicts.recv_timeout(self.budget.wall),
            Err(_) => Err(RecvTimeoutError::Disconnected),
        };
        match answer {
            Ok(text) => serde_json::from_str::<CaseResult>(&text)
                .unwrap_or_else(|e| failed(format!("the case process answered {text:?}: {e}"))),
            Err(RecvTimeoutError::Timeout) => {
                if let Some(w) = self.worker.take() {
                    w.kill();
                }
                failed(format!(
                    "exceeded its wall-clock budget of {}; stopped",
                    show_duration(self.budget.wall)
                ))
            }
            Err(RecvTimeoutError::Disconnected) => match self.worker.take() {
                Some(w) => {
                    let (status, stderr) = w.reap();
                    failed(death_reason(status, &stderr, self.budget))
                }
                None => failed("the case process went away".into()),
            },
        }
    }
}

/// The case's id, read in this process so a case whose process dies is still named,
/// and a file that is not a case fails here, with its path and the parse error.
fn peek_id(path: &Path) -> Result<String, LoadError> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str::<Id>(&text)
        .map(|i| i.id)
        .map_err(|e| LoadError::Format {
            path: path.to_owned(),
            message: e.to_string(),
        })
}

/// A running case process and the threads reading its output.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    verdicts: Receiver<String>,
    stdout_reader: JoinHandle<()>,
    stderr_reader: JoinHandle<String>,
}

impl Worker {
    fn start(exe: &Path, memory: u64) -> io::Result<Self> {
        let mut child = Command::new(exe)
            .args([WORKER_COMMAND, "--memory", &memory.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let missing = || io::Error::other("the case process has no pipes");
        let stdin = child.stdin.take().ok_or_else(missing)?;
        let stdout = child.stdout.take().ok_or_else(missing)?;
        let mut stderr = child.stderr.take().ok_or_else(missing)?;
        let (tx, verdicts) = std::sync::mpsc::channel();
        let stdout_reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr_reader = std::thread::spawn(move || {
            let mut tail = Vec::new();
            let mut chunk = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                tail.extend_from_slice(&chunk[..n]);
                if tail.len() > 2 * STDERR_TAIL {
                    tail.drain(..tail.len() - STDERR_TAIL);
                }
            }
            String::from_utf8_lossy(&tail).into_owned()
        });
        Ok(Self {
            child,
            stdin,
            verdicts,
            stdout_reader,
            stderr_reader,
        })
    }

    /// Ends it at once. Its output threads are left to finish on their own: whatever
    /// still holds its pipes must not hold up the run.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Closes its input, waits for it to end, and returns how it ended and the end of
    /// its stderr.
    fn reap(self) -> (io::Result<ExitStatus>, String) {
        let Self {
            mut child,
            stdin,
            stdout_reader,
            stderr_reader,
            ..
        } = self;
        drop(stdin);
        let status = child.wait();
        let _ = stdout_reader.join();
        let stderr = stderr_reader.join().unwrap_or_default();
        (status, stderr)
    }
}

/// Why a case process ended while running a case, in the words of its budget where
/// the budget was the cause.
fn death_reason(status: io::Result<ExitStatus>, stderr: &str, budget: Budget) -> String {
    if stderr.contains("has overflowed its stack") {
        return "overflowed its stack; the case process aborted".into();
    }
    if let Some(line) = stderr
        .lines()
        .find(|l| l.starts_with("memory allocation of"))
    {
        return format!(
            "exceeded its memory budget of {} ({})",
            show_memory(budget.memory),
            line.trim()
        );
    }
    let how = match status {
        Ok(s) => ended(s),
        Err(e) => format!("could not be waited for ({e})"),
    };
    match stderr.lines().rev().map(str::trim).find(|l| !l.is_empty()) {
        Some(last) => format!("the case process {how}: {last}"),
        None => format!("the case process {how}"),
    }
}

#[cfg(unix)]
fn ended(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        // Past the memory budget the stack cannot grow either, and the overflow shows
        // as a plain segmentation fault.
        (None, Some(libc::SIGSEGV)) => {
            "was killed by SIGSEGV (a stack overflow or a bad memory access)".into()
        }
        (None, Some(libc::SIGABRT)) => "aborted (SIGABRT)".into(),
        (None, Some(libc::SIGKILL)) => "was killed (SIGKILL)".into(),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        _ => format!("ended ({status})"),
    }
}

#[cfg(not(unix))]
fn ended(status: ExitStatus) -> String {
    format!("ended ({status})")
}

fn show_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A stand-in for the case process: a shell script, so each way a process can fail
    /// its case is played exactly.
    fn fake_worker(dir: &Path, body: &str) -> PathBuf {
        let exe = dir.join("worker.sh");
        std::fs::write(&exe, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        exe
    }

    fn one_case(dir: &Path, id: &str) -> PathBuf {
        let path = dir.join(format!("{id}.json"));
        std::fs::write(&path, format!(r#"{{"id": "{id}"}}"#)).unwrap();
        path
    }

    #[test]
    fn a_case_over_its_time_is_stopped_and_the_next_gets_a_fresh_process() {
        let dir = tempfile::tempdir().unwrap();
        // Answers once a second case arrives; the first hangs its process.
        let exe = fake_worker(
            dir.path(),
            r#"read first; case "$first" in *slow*) exec sleep 600;; esac
echo '{"id": "fast", "failure": null}'
while read next; do echo '{"id": "fast", "failure": null}'; done"#,
        );
        let files = [one_case(dir.path(), "slow"), one_case(dir.path(), "fast")];
        let budget = Budget {
            wall: Duration::from_millis(300),
            memory: 1 << 30,
        };
        let started = std::time::Instant::now();
        let results = run_isolated(&files, &exe, budget, 1);
        assert!(started.elapsed() < Duration::from_secs(30));
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].id, "fast");
        assert_eq!(results[0].failure, None);
        assert_eq!(results[1].id, "slow");
        assert_eq!(
            results[1].failure.as_deref(),
            Some("exceeded its wall-clock budget of 300ms; stopped")
        );
    }

    #[test]
    fn a_process_that_dies_fails_its_case_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let exe = fake_worker(
            dir.path(),
            "read x; echo 'thread main has overflowed its stack' >&2; kill -SEGV $$",
        );
        let files = [one_case(dir.path(), "deep")];
        let results = run_isolated(&files, &exe, Budget::default(), 2);
        assert_eq!(
            results[0].failure.as_deref(),
            Some("overflowed its stack; the case process aborted")
        );
        let exe = fake_worker(dir.path(), "read x; echo 'no more' >&2; exit 3");
        let results = run_isolated(&files, &exe, Budget::default(), 2);
        assert_eq!(
            results[0].failure.as_deref(),
            Some("the case process exited with status 3: no more")
        );
        let exe = fake_worker(dir.path(), "read x; echo 'half a line'");
        let results = run_isolated(&files, &exe, Budget::default(), 2);
        let why = results[0].failure.as_deref().unwrap();
        assert!(
            why.starts_with("the case process answered \"half a line\""),
            "{why}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_case_fails_in_place_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{ not json").unwrap();
        let exe = fake_worker(dir.path(), "exit 9");
        let results = run_isolated(std::slice::from_ref(&bad), &exe, Budget::default(), 1);
        assert_eq!(results[0].id, bad.display().to_string());
        let why = results[0].failure.as_deref().unwrap();
        assert!(
            why.starts_with(&format!("{} is not a valid case: ", bad.display())),
            "{why}"
        );
    }
}
