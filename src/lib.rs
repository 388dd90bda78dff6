//! sagaview: the saga pattern on AWS Step Functions, made visible.
//!
//! The library holds the embedded runtime (an Amazon States Language
//! interpreter whose history matches `GetExecutionHistory`) and the
//! conformance harness that checks it against recorded AWS executions.

pub mod asl;
pub mod backend;
pub mod conformance;
pub mod engine;
pub mod headless;
pub mod history;
pub mod store;
pub mod tui;
pub mod view;

/// The process-wide allocator. A saga's history is built from many short-lived JSON
/// values and strings, allocated on the runtime's thread and freed on the store's
/// writer thread; the system allocator spends a large share of an execution's time
/// on exactly that pattern, mimalloc a small one.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
