//! Command line: the terminal UI by default, plus headless subcommands.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use std::io::Write;

use clap::{CommandFactory, Parser, Subcommand};

use sagaview::conformance::budget::{parse_duration, parse_memory};
use sagaview::conformance::worker::WORKER_COMMAND;
use sagaview::conformance::{Budget, case_files, run_isolated, summary_line};

pub use crate::run_cmd::RunArgs;

/// sagaview: the saga pattern on AWS Step Functions, made visible.
#[derive(Debug, Parser)]
#[command(version, about)]
#[command(
    after_help = "Without a subcommand the terminal UI starts on the embedded runtime: \
press 1-8 to launch a scenario (7 and 8 wait for your approval: a / r), ? for every key, q to quit.\n\
With --aws --stack NAME it drives and watches the deployed stack instead.\n\
SIGINT, SIGTERM, SIGHUP or SIGQUIT restore the terminal and end the UI (or `run`) with \
exit status 128 + the signal's number (e.g. 143 for SIGTERM)."
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

    /// Where x saves the selected execution (default: SAGAVIEW_EXPORT_DIR, else the
    /// current directory). Files are named after the execution and never replaced.
    #[arg(long, value_name = "DIR", help_heading = "Terminal UI")]
    pub export_dir: Option<PathBuf>,
}

/// The environment variable that says where `x` saves, when `--export-dir` does not.
const EXPORT_DIR_ENV: &str = "SAGAVIEW_EXPORT_DIR";

impl Cli {
    /// `--export-dir`, else `SAGAVIEW_EXPORT_DIR`.
    fn export_dir(&self) -> Option<PathBuf> {
        self.export_dir.clone().or_else(|| {
            std::env::var_os(EXPORT_DIR_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one saga (embedded, or on AWS with --aws) and print its trace, rows and verdict.
    ///
    /// Exit status: 0 when the booking succeeded, 1 when the execution failed (or
    /// was aborted or timed out), 2 on usage errors (a database file that cannot be
    /// used included), 3 when the database failed during the run (disk full, a
    /// file-size limit, an I/O error, a damaged page), 128 + N when signal N ended it
    /// (130 SIGINT, 143 SIGTERM, 129 SIGHUP, 131 SIGQUIT).
    Run(Box<RunArgs>),
    /// Run a crowd of sagas (embedded, or on AWS with --aws) and sum them up: outcomes,
    /// the orphan rate observed beside the one the retry policy predicts, per-state
    /// latency percentiles and retries.
    ///
    /// The embedded runtime runs at --pace instant unless told otherwise. Against AWS
    /// StartExecution is paced within its quota, and more than 100 sagas need --yes.
    /// Exit status: 0 when every saga ran to its end, whatever the outcomes; 1 when
    /// some could not be run; 2 on usage errors (a bad --mix included); 3 when the
    /// database failed; 128 + N when signal N ended it.
    Load(Box<crate::load_cmd::LoadArgs>),
    /// Run a directory of recorded AWS executions on the embedded runtime and compare.
    ///
    /// Each case runs in a process of its own, under a wall-clock and a memory budget:
    /// a case that panics, exceeds its budget or is not a valid case file fails alone
    /// and the run goes on. Exit status: 0 when every case passed, 1 when a case
    /// failed, 2 when the directory is missing, unreadable or holds no case.
    Conformance {
        /// Directory of case files (searched recursively; symbolic links are followed,
        /// each directory and case once).
        dir: PathBuf,
        /// Also list the cases that passed.
        #[arg(long)]
        verbose: bool,
        /// Wall-clock time one case may take (e.g. 10s, 500ms, 2m).
        #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
        case_timeout: Duration,
        /// Memory (address space) one case process may use (e.g. 512MB, 2GB).
        #[arg(long, value_name = "SIZE", default_value = "512MB", value_parser = parse_memory)]
        case_memory: u64,
        /// How many cases run at once (default: one per core).
        #[arg(long, value_name = "N")]
        jobs: Option<NonZeroUsize>,
    },
    /// Runs the cases named on stdin in this process (started by `conformance`).
    #[command(name = WORKER_COMMAND, hide = true)]
    ConformanceWorker {
        /// The memory budget, in bytes.
        #[arg(long)]
        memory: u64,
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
    /// Print a completion script for a shell.
    ///
    /// e.g. `sagaview completions bash > ~/.local/share/bash-completion/completions/sagaview`,
    /// `sagaview completions zsh > ~/.zfunc/_sagaview`,
    /// `sagaview completions fish > ~/.config/fish/completions/sagaview.fish`.
    Completions {
        /// The shell the script is for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `sagaview man | man -l -`.
    Man,
    /// Show a saved execution in the terminal UI, read-only, with no runtime or AWS account.
    ///
    /// FILE is what x saves in the UI, or a history captured with the AWS CLI:
    /// `aws stepfunctions get-execution-history --execution-arn ARN > run.json`
    /// (timestamps in either form the CLI prints). Without a definition (the file's
    /// own, or --definition) the graph is built from the states the history names.
    ///
    /// Exit status: 0 when the UI ended, 2 when the file or the definition cannot be
    /// read (or is not a history), 128 + N when signal N ended it.
    Open(crate::open_cmd::OpenArgs),
}

/// Runs the parsed command line; the exit code is 0 when the command ran,
/// 2 when its input could not be used.
pub fn run(cli: Cli) -> ExitCode {
    let export_dir = cli.export_dir();
    match cli.command {
        None => crate::run_cmd::tui(cli.saga, cli.aws, cli.theme, cli.log_file, export_dir),
        Some(Command::Open(args)) => {
            crate::open_cmd::open(&args, cli.theme, cli.log_file, export_dir)
        }
        Some(Command::Conformance {
            dir,
            verbose,
            case_timeout,
            case_memory,
            jobs,
        }) => {
            let budget = Budget {
                wall: case_timeout,
                memory: case_memory,
            };
            let jobs = jobs
                .or_else(|| std::thread::available_parallelism().ok())
                .map_or(1, NonZeroUsize::get);
            conformance(&dir, verbose, budget, jobs)
        }
        Some(Command::ConformanceWorker { memory }) => {
            match sagaview::conformance::worker::serve(memory) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: the case process failed: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Some(Command::Run(args)) => crate::run_cmd::run(*args),
        Some(Command::Load(args)) => crate::load_cmd::load(*args),
        Some(Command::Prune(args)) => crate::prune_cmd::prune(&args),
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut public_command(), "sagaview", &mut script);
            print_bytes(&script, "the completion script")
        }
        Some(Command::Man) => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut page) {
                Ok(()) => print_bytes(&page, "the manual page"),
                Err(e) => {
                    eprintln!("error: cannot render the manual page: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn conformance(dir: &std::path::Path, verbose: bool, budget: Budget, jobs: usize) -> ExitCode {
    let files = match case_files(dir) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("error: cannot find this program to run the cases: {e}");
            return ExitCode::from(2);
        }
    };
    let results = run_isolated(&files, &exe, budget, jobs);
    for r in &results {
        match &r.failure {
            Some(why) => println!("FAIL {}: {why}", r.id),
            None if verbose => println!("ok   {}", r.id),
            None => {}
        }
    }
    println!("{}", summary_line(&results));
    if results.iter().all(|r| r.passed()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Writes generated text to stdout; a closed pipe (`| head`) is not an error worth a
/// panic, but is reported.
fn print_bytes(bytes: &[u8], what: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write {what}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The command line as users see it, for completion scripts: the generators offer
/// hidden subcommands too (the case process `conformance` starts), so those are left out.
fn public_command() -> clap::Command {
    let full = Cli::command();
    let mut public = clap::Command::new("sagaview").version(env!("CARGO_PKG_VERSION"));
    for arg in full.get_arguments() {
        public = public.arg(arg.clone());
    }
    for sub in full.get_subcommands().filter(|s| !s.is_hide_set()) {
        public = public.subcommand(sub.clone());
    }
    public
}
