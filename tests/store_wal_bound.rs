//! The WAL stays small while a UI holds the database file open and other processes
//! write runs into it: each writer checkpoints what it wrote, and no reader keeps a
//! snapshot open between two polls.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagaview::backend::SagaBackend;
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::store::Store;
use sagaview::tui::runner::Runner;
use sagaview::tui::{App, demo};
use support::tui::turn_until;

/// Processes writing at once, and the runs each makes in turn.
const WRITERS: usize = 3;
const RUNS_EACH: usize = 60;

/// The most the WAL may hold at any time: many times what one run writes, and a small
/// fraction of what the runs write in all (which is what an unchecked WAL grows to).
const WAL_BOUND: u64 = 4 * 1024 * 1024;

fn wal_of(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Watches a file's size from a thread of its own until told to stop; the largest seen.
struct SizeWatch {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl SizeWatch {
    fn start(path: PathBuf) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut max = 0;
                while !stop.load(Ordering::Relaxed) {
                    max = max.max(size(&path));
                    std::thread::sleep(Duration::from_millis(5));
                }
                max.max(size(&path))
            })
        };
        Self { stop, thread }
    }

    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("the size watch ran")
    }
}

/// Reads as the UI's polls do (the list, a history, a trip's rows), each read on its
/// own, as fast as it can, until told to stop; how many rounds it made.
fn poll_like_the_ui(store: Store, stop: Arc<AtomicBool>, rounds: Arc<AtomicU64>) {
    while !stop.load(Ordering::Relaxed) {
        let list = store.list_executions(50).expect("the list reads");
        if let Some(newest) = list.first() {
            store
                .events_since(&newest.execution_arn, 0)
                .expect("a history reads");
            if let Some(trip) = newest.labels.get("trip_id").and_then(|t| t.as_str()) {
                store.query_trip_sync(trip).expect("the rows read");
            }
        }
        rounds.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_stays_small_while_a_ui_holds_the_file_and_other_processes_write() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("shared.db");
    let wal = wal_of(&db);

    // The UI, through its real loop, on the file; it holds the file open throughout.
    let backend: Arc<dyn SagaBackend> = Arc::new(
        EmbeddedBackend::new(
            Store::open(&db).expect("the UI opens the file"),
            EmbeddedOptions::default(),
        )
        .expect("embedded backend"),
    );
    let app = App::new(backend.info(), &demo::options(true));
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

    // A second reader that never pauses long: if reads left snapshots open, this one
    // would keep every checkpoint from finishing.
    let stop_reader = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicU64::new(0));
    let reader = {
        let store = Store::open(&db).expect("the reader opens the file");
        let (stop, rounds) = (stop_reader.clone(), rounds.clone());
        std::thread::spawn(move || poll_like_the_ui(store, stop, rounds))
    };

    let watch = SizeWatch::start(wal.clone());
    let finished = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (db, finished) = (db.clone(), finished.clone());
            std::thread::spawn(move || {
                for run in 0..RUNS_EACH {
                    let out = Command::new(env!("CARGO_BIN_EXE_sagaview"))
                        .arg("run")
                        .arg("--db")
                        .arg(&db)
                        .args(["--instant", "--cancel-failure-rate", "0"])
                        .args(["--trip-id", &format!("soak-{w}-{run}")])
                        .output()
                        .expect("run sagaview");
                    assert_eq!(
                        out.status.code(),
                        Some(0),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                finished.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();

    // The UI keeps polling while the others write.
    turn_until(
        &mut runner,
        Duration::from_secs(600),
        "the writers to finish",
        |_| finished.load(Ordering::SeqCst) == WRITERS,
    )
    .await;
    for w in writers {
        w.join().expect("a writer ran");
    }
    stop_reader.store(true, Ordering::Relaxed);
    reader.join().expect("the reader ran");
    let peak = watch.stop();
    let after = size(&wal);

    let store = Store::open(&db).expect("the file opens");
    let runs = store.list_executions(usize::MAX).expect("the list reads");
    assert_eq!(runs.len(), WRITERS * RUNS_EACH, "every run is stored");
    assert!(rounds.load(Ordering::Relaxed) > 0, "the reader read");
    let main = size(&db);
    eprintln!("WAL peak {peak} bytes, after {after} bytes; database {main} bytes");
    assert!(
        peak <= WAL_BOUND,
        "the WAL reached {peak} bytes while the UI held the file (database {main} bytes)"
    );
    assert!(
        after <= WAL_BOUND,
        "the WAL is {after} bytes after the runs"
    );
    assert!(
        main > after,
        "the runs were checkpointed into the database ({main} bytes, WAL {after} bytes)"
    );
    // The UI still holds the file.
    drop(runner);
}
