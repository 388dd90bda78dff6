//! Real faults under `sagaview run`: a file-size limit reached mid-run, a file damaged
//! on disk. The run must end promptly with its own exit status and one line naming
//! the file and the OS error, and what the file holds must stay consistent.

mod support;

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use sagaview::history::ExecutionStatus;
use sagaview::store::{Store, StoreError};

/// Far above how long a run takes, even on a loaded machine: a hang fails the test
/// instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(60);

/// Runs sagaview with `args`, under a file-size limit of `fsize` bytes if given, and
/// kills it (failing the test) if it has not ended within [`PATIENCE`].
fn sagaview(args: &[&str], fsize: Option<u64>) -> (Output, Duration) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sagaview"));
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(limit) = fsize {
        // SAFETY: between fork and exec only async-signal-safe calls are made
        // (signal, setrlimit), with no allocation.
        unsafe {
            cmd.pre_exec(move || {
                // A write past the limit then fails with EFBIG instead of killing.
                if libc::signal(libc::SIGXFSZ, libc::SIG_IGN) == libc::SIG_ERR {
                    return Err(std::io::Error::last_os_error());
                }
                let rlim = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &rlim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("start sagaview");
    // Read the pipes on threads so a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for sagaview") {
            break status;
        }
        if started.elapsed() > PATIENCE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("sagaview {args:?} did not end within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = started.elapsed();
    let output = Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    (output, took)
}

fn run_args<'a>(db: &'a str, trip: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "--db",
        db,
        "--trip-id",
        trip,
        "--pace",
        "aws",
        "--speed",
        "10",
    ]
}

/// What every execution in the file must satisfy: event ids 1..=n without a gap, an
/// ended execution's last event ends it, nothing left RUNNING (after the reopen's
/// recovery), and no rows for a trip that has no execution.
fn assert_consistent(store: &Store) {
    let executions = store.list_executions(10_000).unwrap();
    let mut trips = std::collections::HashSet::new();
    for e in &executions {
        let events = store.events_since(&e.execution_arn, 0).unwrap();
        let ids: Vec<i64> = events.iter().map(|(id, _)| *id).collect();
        let expected: Vec<i64> = (1..=ids.len() as i64).collect();
        assert_eq!(ids, expected, "{}: a gap in its history", e.execution_arn);
        assert_ne!(e.status, ExecutionStatus::Running, "{}", e.execution_arn);
        let last: serde_json::Value = serde_json::from_str(&events.last().unwrap().1).unwrap();
        let ty = last["type"].as_str().unwrap();
        assert!(
            ty.starts_with("Execution") && ty != "ExecutionStarted",
            "{}: ends with {ty}",
            e.execution_arn
        );
        let Some(trip) = e.labels.get("trip_id").and_then(|t| t.as_str()) else {
            continue;
        };
        trips.insert(trip.to_string());
        // Each reservation's row is written by its task, after the task started: a
        // row whose task's start is not in the history came after a lost write.
        let started = events
            .iter()
            .filter(|(_, json)| json.contains(r#""type":"TaskStarted""#))
            .count();
        let rows = store.query_trip_sync(trip).unwrap().len();
        assert!(
            rows <= started,
            "{}: {rows} rows, {started} tasks started",
            e.execution_arn
        );
    }
    for trip in (0..40).map(|i| format!("trip-f{i}")) {
        if !trips.contains(&trip) {
            assert!(
                store.query_trip_sync(&trip).unwrap().is_empty(),
                "rows for {trip}, which has no execution"
            );
        }
    }
}

#[test]
fn a_file_size_limit_ends_the_run_with_status_3_and_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("limited.db");
    let db = path.to_str().unwrap();
    let (first, _) = sagaview(&run_args(db, "trip-f0"), None);
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    // The run starts with an empty WAL (the last one was checkpointed on close) and
    // meets the limit part way through its history.
    let limit = std::fs::metadata(&path).unwrap().len() + 32 * 1024;
    let mut faulted = None;
    for i in 1..40 {
        let trip = format!("trip-f{i}");
        let (out, took) = sagaview(&run_args(db, &trip), Some(limit));
        match out.status.code() {
            Some(0 | 1) => continue,
            Some(3) => {
                faulted = Some((trip, out, took));
                break;
            }
            other => panic!("exit status {other:?}: {out:?}"),
        }
    }
    let (trip, out, took) = faulted.expect("a run meets the file-size limit");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains(db), "{stderr}");
    assert!(lines[0].contains("File too large"), "{stderr}");
    assert!(lines[0].contains("store failed"), "{stderr}");
    // Generous: a run at this pace takes well under a second, and the fault ends it.
    assert!(took < Duration::from_secs(30), "took {took:?}");

    let store = Store::open(&path).unwrap();
    assert_eq!(store.fault(), None);
    for arn in store.recovered_on_open() {
        assert!(
            arn.contains(&trip),
            "{arn} recovered, the fault was in {trip}"
        );
        let e = store.get_execution(arn).unwrap().unwrap();
        assert_eq!(e.status, ExecutionStatus::Aborted);
    }
    assert_consistent(&store);
}

/// A small tmpfs, unmounted when dropped. Mounting needs the privilege to mount: the
/// test fails where it is missing rather than pass without having filled a disk.
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    fn mount(bytes: u64) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("mount runs");
        assert!(
            out.status.success(),
            "mounting a {bytes}-byte tmpfs failed (this test needs the privilege to mount): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk(dir)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}

#[test]
fn a_full_disk_ends_the_run_with_status_3_and_one_line() {
    let disk = SmallDisk::mount(384 * 1024);
    let path = disk.0.path().join("full.db");
    let db = path.to_str().unwrap();
    let mut faulted = None;
    for i in 0..40 {
        let trip = format!("trip-f{i}");
        let (out, took) = sagaview(&run_args(db, &trip), None);
        match out.status.code() {
            Some(0 | 1) => continue,
            Some(3) => {
                faulted = Some((out, took));
                break;
            }
            other => panic!("exit status {other:?}: {out:?}"),
        }
    }
    let (out, took) = faulted.expect("a run fills the disk");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    // A note on an execution recovered at open may come first; the fault is one line.
    assert!(
        stderr.lines().filter(|l| !l.starts_with("note: ")).count() == 1,
        "{stderr}"
    );
    assert!(
        last.contains(db) && last.contains("the disk is full"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");

    // Looked at on a disk with room: the file and its WAL, as the run left them.
    let roomy = tempfile::tempdir().unwrap();
    let copy = roomy.path().join("full.db");
    std::fs::copy(&path, &copy).unwrap();
    let wal = disk.0.path().join("full.db-wal");
    if wal.exists() {
        std::fs::copy(&wal, roomy.path().join("full.db-wal")).unwrap();
    }
    let store = Store::open(&copy).unwrap();
    for arn in store.recovered_on_open() {
        let e = store.get_execution(arn).unwrap().unwrap();
        assert_eq!(e.status, ExecutionStatus::Aborted);
    }
    assert_consistent(&store);
}

/// A store made by the binary, with 4 KiB in its middle overwritten.
fn damaged_copy(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("good.db");
    let db = path.to_str().unwrap();
    for i in 0..6 {
        let (out, _) = sagaview(
            &[
                "run",
                "--db",
                db,
                "--trip-id",
                &format!("trip-g{i}"),
                "--instant",
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{out:?}");
    }
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2 / 4096 * 4096;
    for (i, b) in bytes[middle..middle + 4096].iter_mut().enumerate() {
        *b = (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[1];
    }
    let copy = dir.join("damaged.db");
    std::fs::write(&copy, bytes).unwrap();
    copy
}

#[test]
fn a_damaged_file_is_refused_at_open_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let copy = damaged_copy(dir.path());
    let before = std::fs::read(&copy).unwrap();
    let db = copy.to_str().unwrap();
    let (out, _) = sagaview(&["run", "--db", db, "--instant"], None);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(db), "{stderr}");
    assert!(stderr.contains("is damaged"), "{stderr}");
    assert!(stderr.contains("move it aside"), "{stderr}");

    // The UI opens the store the same way.
    let err = Store::open(&copy).unwrap_err();
    assert!(matches!(err, StoreError::Damaged { .. }), "{err:?}");
    assert!(err.to_string().contains(db), "{err}");
    // Refused, not repaired: the file is left for the user to look at.
    assert_eq!(std::fs::read(&copy).unwrap(), before);
}

/// Overwrites every page but the first (the header and the schema) with garbage: the
/// tables' pages are gone, so whatever reads one from the file meets the damage.
fn damage_in_place(path: &Path) {
    use std::io::{Seek, SeekFrom, Write};
    let len = std::fs::metadata(path).unwrap().len();
    let garbage: Vec<u8> = (0..len - 4096)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[1])
        .collect();
    let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start(4096)).unwrap();
    f.write_all(&garbage).unwrap();
    f.sync_all().unwrap();
}

/// A file `name` in `dir` holding six finished runs (trip ids `{trips}0`…), opened
/// as a store and only then damaged: what a process that already had it open meets.
fn opened_then_damaged(dir: &Path, name: &str, trips: &str) -> (std::path::PathBuf, Store) {
    let path = dir.join(name);
    let db = path.to_str().unwrap();
    for i in 0..6 {
        let (out, _) = sagaview(
            &[
                "run",
                "--db",
                db,
                "--trip-id",
                &format!("{trips}{i}"),
                "--instant",
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{out:?}");
    }
    let store = Store::open(&path).unwrap();
    damage_in_place(&path);
    (path, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn launches_on_a_file_damaged_after_open_each_end() {
    use saga_lambdas::RunType;
    use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
    use sagaview::backend::{BackendError, Launch};
    use sagaview::engine::Pace;

    let dir = tempfile::tempdir().unwrap();
    let (path, store) = opened_then_damaged(dir.path(), "later.db", "trip-l");
    let db = path.to_str().unwrap();
    let options = EmbeddedOptions {
        seed: Some(7),
        pace: Pace::Instant,
        speed: 1.0,
    };
    let backend = EmbeddedBackend::new(store.clone(), options).unwrap();
    let mut first_fault = None;
    for i in 0..20 {
        let launch = Launch {
            run_type: RunType::Success,
            trip_id: format!("trip-d{i}"),
            cancel_failure_rate: 0.0,
        };
        let run = sagaview::headless::run_once(&backend, launch, Duration::from_millis(5));
        match tokio::time::timeout(PATIENCE, run).await {
            Err(_) => panic!("launch {i} on a damaged file did not end"),
            Ok(Err(BackendError::StoreFault(fault))) => {
                assert!(fault.contains(db), "{fault}");
                first_fault.get_or_insert(i);
            }
            Ok(other) => assert!(
                first_fault.is_none(),
                "launch {i} after the store failed: {other:?}"
            ),
        }
    }
    assert!(first_fault.is_some(), "no launch met the damage");
    let fault = store.fault().expect("the store keeps its fault");
    assert!(
        fault.contains("is damaged") && fault.contains(db),
        "{fault}"
    );
}

/// The UI on a file damaged after it was opened: the first launch meets the damage,
/// the header shows the fault and the next launch is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ui_shows_a_store_fault_and_refuses_the_next_launch() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use sagaview::backend::SagaBackend;
    use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
    use sagaview::tui::runner::Runner;
    use sagaview::tui::{App, demo};
    use std::sync::Arc;
    use support::tui::{key, screen, turn_until};

    let dir = tempfile::tempdir().unwrap();
    let (path, store) = opened_then_damaged(dir.path(), "ui.db", "trip-u");
    let db = path.to_str().unwrap();
    let backend: Arc<dyn SagaBackend> =
        Arc::new(EmbeddedBackend::new(store, EmbeddedOptions::default()).unwrap());
    let app = App::new(backend.info(), &demo::options(true));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut runner = Runner::new(&mut terminal, app, backend, tx.clone(), rx).unwrap();
    tx.send(key('1')).unwrap();
    turn_until(
        &mut runner,
        PATIENCE,
        "the store's fault in the header",
        |r| r.app().store_fault.is_some(),
    )
    .await;
    let first = screen(&runner)[0].clone();
    assert!(
        first.contains("the store failed") && first.contains(db) && first.contains("damaged"),
        "{first}"
    );
    let launches = runner.app().launches;
    tx.send(key('1')).unwrap();
    turn_until(&mut runner, PATIENCE, "the launch refused", |r| {
        r.app()
            .notice
            .as_ref()
            .is_some_and(|(_, text, _)| text.starts_with("not launched"))
    })
    .await;
    assert_eq!(runner.app().launches, launches, "no launch was asked for");
}
