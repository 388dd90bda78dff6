//! Saved executions: what `x` writes and `sagaview open` reads, so a run can be gone
//! over again with no runtime and no AWS account.
//!
//! The file is `{"events": [...], "execution": {...}, "definition": "..."}`: `events`
//! as `aws stepfunctions get-execution-history` prints them, `execution` as
//! `aws stepfunctions describe-execution` prints it, and the definition's ASL text. A
//! bare `{"events": [...]}` captured with the AWS CLI opens too; without a definition
//! the graph is built from the states the history names.

pub mod cli_json;
pub mod described;
pub mod file;
pub mod synth;

pub use described::DescribedExecution;
pub use file::{OpenedExecution, ShareError, SharedExecution, write_new};
