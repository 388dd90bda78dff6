//! sagaview: the saga pattern on AWS Step Functions, made visible.

use std::process::ExitCode;

const USAGE: &str = "sagaview — the saga pattern on AWS Step Functions, made visible

The terminal UI and the embedded runtime are not built yet. What exists today:
  lambdas/   the saga's Lambda functions (deploy with SAM, see README.md)
  infra/     the state machine (ASL) and the SAM template

Usage: sagaview [--help]";

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        None | Some("-h") | Some("--help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("sagaview: unknown argument {other:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
