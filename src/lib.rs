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
