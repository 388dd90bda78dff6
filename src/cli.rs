//! Command line: the terminal UI by default, plus headless subcommands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use sagaview::conformance::{load_cases, run_cases_blocking, summary_line};

pub use crate::run_cmd::RunArgs;

/// sagaview: the saga pattern on AWS Step Functions, made visible.
#[derive(Debug, Parser)]
#[command(version, about)]
#[command(
    after_help = "Without a subcommand the terminal UI starts on the embedded runtime: \
press 1-6 to launch a scenario, ? for every key, q to quit.\n\
With --aws --stack NAME it drives and watches the deployed stack instead."
)]
pub struct Cli {
    /// What to do; without a subcommand the terminal UI starts.
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub saga: crate::run_cmd::SagaArgs,

    #[command(flatten)]
    pub aws: crate::aws_args::AwsArgs,

    /// Colour theme: dark, light or high-contrast (for projectors). NO_COLOR is respected.
    #[arg(long, value_enum, default_value = "dark", help_heading = "Terminal UI")]
    pub theme: sagaview::tui::Theme,

    /// Where the UI writes its log (default: sagaview.log next to the database).
    #[arg(long, value_name = "PATH", help_heading = "Terminal UI")]
    pub log_file: Option<PathBuf>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one saga (embedded, or on AWS with --aws) and print its trace, rows and verdict.
    ///
    /// Exit status: 0 when the booking succeeded, 1 when the execution failed (or
    /// was aborted or timed out), 2 on usage errors (a database file that cannot be
    /// used included), 3 when the database failed during the run (disk full, a
    /// file-size limit, an I/O error, a damaged page).
    Run(Box<RunArgs>),
    /// Run a directory of recorded AWS executions on the embedded runtime and compare.
    Conformance {
        /// Directory of case files (searched recursively).
        dir: PathBuf,
        /// Also list the cases that passed.
        #[arg(long)]
        verbose: bool,
    },
    /// Remove old ended executions with their histories and rows, and shrink the file.
    ///
    /// An execution is removed when it has ended and neither rule given keeps it;
    /// running executions are never removed, and a trip's rows go only with the last
    /// execution that books it. The freed space is given back to the file system,
    /// which needs a moment when no other process writes to the file.
    ///
    /// Exit status: 0 when pruned, 1 when the file could not be pruned (e.g. another
    /// process kept it busy), 2 on usage errors (no rule, a bad value, a missing or
    /// unusable file).
    Prune(crate::prune_cmd::PruneArgs),
}

/// Runs the parsed command line; the exit code is 0 when the command ran,
/// 2 when its input could not be used.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        None => crate::run_cmd::tui(cli.saga, cli.aws, cli.theme, cli.log_file),
        Some(Command::Conformance { dir, verbose }) => conformance(&dir, verbose),
        Some(Command::Run(args)) => crate::run_cmd::run(*args),
        Some(Command::Prune(args)) => crate::prune_cmd::prune(&args),
    }
}

fn conformance(dir: &std::path::Path, verbose: bool) -> ExitCode {
    let cases = match load_cases(dir) {
        Ok(cases) => cases,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let results = match run_cases_blocking(&cases) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    for r in &results {
        match &r.failure {
            Some(why) => println!("FAIL {}: {why}", r.id),
            None if verbose => println!("ok   {}", r.id),
            None => {}
        }
    }
    println!("{}", summary_line(&results));
    ExitCode::SUCCESS
}
