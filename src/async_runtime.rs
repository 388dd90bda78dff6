//! The tokio runtime sagaview runs on: the thread that blocks on it (the terminal UI's
//! loop, or `run`'s report) plus one worker for the executions and everything else
//! spawned.
//!
//! One worker, not one per core: an execution's work between two waits is short, and
//! with a second worker tokio's scheduler keeps handing executions started one after
//! another to whichever worker is idle, so a run of sagas spends its time moving
//! between cores (waking the other thread, caches, the allocator freeing across
//! threads) and runs slower on two cores than on one. With one worker the other cores
//! are left to the threads that do run in parallel: the UI loop, the store's writer
//! and its checkpoints.

use std::io;
use tokio::runtime::{Builder, Runtime};

/// Builds the runtime described above, with timers and I/O enabled.
pub fn build() -> io::Result<Runtime> {
    Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
}
