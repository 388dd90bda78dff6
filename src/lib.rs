//! sagaview: the saga pattern on AWS Step Functions, made visible.
//!
//! The library holds the embedded runtime (an Amazon States Language
//! interpreter whose history matches `GetExecutionHistory`) and the
//! conformance harness that checks it against recorded AWS executions.

pub mod arn;
pub mod asl;
pub mod async_runtime;
pub mod backend;
pub mod conformance;
pub mod end_signal;
pub mod engine;
pub mod fast_map;
pub mod future;
pub mod headless;
pub mod history;
pub mod load;
pub mod share;
pub mod store;
pub mod tui;
pub mod view;

/// Every program built on this library (the CLI, its benches and tests) allocates
/// through mimalloc: the engine builds history events on the runtime's thread and the
/// store writer frees them on its own, a pattern glibc's allocator serves slowly.
///
/// mimalloc is built without its transparent-huge-page advice (`no_thp`): it hands
/// idle memory back in 64 KiB pieces, and with the advice each piece touched again
/// made the kernel clear a whole 2 MiB page, time a busy runtime spent in the kernel.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
