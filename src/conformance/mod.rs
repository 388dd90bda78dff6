//! The conformance harness: runs recorded AWS executions on the engine and
//! compares status, output, error, cause and history.

pub mod budget;
pub mod case;
pub mod compare;
pub mod isolated;
pub mod lambdas;
pub mod normalise;
pub mod runner;
pub mod worker;

pub use budget::Budget;
pub use case::{Case, LoadError, case_files, load_case, load_cases};
pub use isolated::run_isolated;
pub use runner::{CaseResult, run_case, run_cases, run_cases_blocking};

/// The summary line the CLI and CI read: `N passed, M failed`.
pub fn summary_line(results: &[CaseResult]) -> String {
    let passed = results.iter().filter(|r| r.passed()).count();
    format!("{passed} passed, {} failed", results.len() - passed)
}
