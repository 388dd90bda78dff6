//! The flags shared by the terminal UI and `sagaview run`, and the `run` command.

use crate::aws_args::AwsArgs;
use clap::Args;
use saga_lambdas::RunType;
use saga_lambdas::trip::{validate_cancel_failure_rate, validate_trip_id};
use sagaview::backend::aws::AwsBackend;
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::backend::{BackendError, Launch, SagaBackend, random_trip_id};
use sagaview::end_signal::EndSignals;
use sagaview::engine::Pace;
use sagaview::headless::{redrive_once, run_once, to_json, write_trace};
use sagaview::store::{Store, StoreError};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// What a saga run needs to know, the same for the TUI and for `run`, so a demo can be
/// rehearsed headless and replayed identically on screen.
#[derive(Debug, Clone, Args)]
pub struct SagaArgs {
    /// The embedded database: a file path, or `:memory:` for a throwaway run.
    /// Its directory must exist. Default: sagaview.db in your data directory (e.g.
    /// ~/.local/share/sagaview/, created when missing).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// The trip the saga books (partition key of its rows): 1-64 of A-Z a-z 0-9 _ -.
    /// Default: a new random id, so runs do not disturb each other's rows.
    #[arg(long, value_name = "ID", value_parser = parse_trip_id)]
    pub trip_id: Option<String>,

    /// Probability (0 to 1) that each compensation attempt fails and is retried
    /// [default: 0.4]. Given explicitly, it is also set as the runtime's live setting,
    /// which the compensations of running and redriven executions read before their
    /// input's rate (`c` changes it in the UI).
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub cancel_failure_rate: Option<f64>,

    /// Seed for the compensations' random failures: the same seed replays the same run.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// How long tasks and transitions take on the embedded runtime: demo (slow enough
    /// to narrate; the UI's default), aws (Step Functions' and Lambda's real latencies,
    /// cold starts included; the default of `run`) or instant (virtual time: tasks take
    /// no time, waits and retry backoff cost nothing).
    #[arg(long, value_name = "PACE", value_parser = parse_pace)]
    pub pace: Option<Pace>,

    /// How many times as fast as the pace a run goes, waits and backoff included
    /// (0.1-100; + and - change it live in the UI).
    #[arg(long, value_name = "SPEED", default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,
}

impl SagaArgs {
    /// Opens the database named by `--db` (or the default one) with an error that
    /// names it: a file that cannot be used is a usage error (2), a file failing while
    /// it is opened (a file-size limit, an I/O error) a store fault (3).
    pub(crate) fn open_store(&self) -> Result<Store, Exit> {
        let path = match &self.db {
            Some(p) => {
                crate::db_path::check_explicit_db(p).map_err(Exit::usage)?;
                p.clone()
            }
            None => Store::default_path().map_err(Exit::usage)?,
        };
        Store::open(&path).map_err(|e| match e {
            StoreError::Fault { .. } => Exit {
                code: STORE_FAULT_EXIT,
                message: e.to_string(),
            },
            e => Exit::usage(e),
        })
    }

    /// The rate new executions carry in their input: the given one or the default.
    pub fn cancel_failure_rate(&self) -> f64 {
        self.cancel_failure_rate
            .unwrap_or(saga_lambdas::trip::DEFAULT_CANCEL_FAILURE_RATE)
    }

    /// Sets the backend's live failure rate when one was given explicitly (a viewer
    /// that gives none needs no right to change it).
    pub(crate) async fn set_live_rate(
        &self,
        backend: &dyn SagaBackend,
    ) -> Result<(), BackendError> {
        match self.cancel_failure_rate {
            Some(rate) => backend.set_cancel_failure_rate(rate).await,
            None => Ok(()),
        }
    }

    /// [`SagaArgs::set_live_rate`] for the UI, which starts all the same when the
    /// backend refuses (a viewer without the right to change the setting): its
    /// launches still carry the rate in their input.
    async fn warn_unless_live_rate_set(&self, backend: &dyn SagaBackend) {
        if let Err(e) = self.set_live_rate(backend).await {
            eprintln!(
                "warning: the live cancel failure rate was not set ({e}); launches still carry it"
            );
        }
    }

    /// The trip id to use: the given one or a fresh random one.
    pub fn trip_id_or_random(&self) -> String {
        self.trip_id.clone().unwrap_or_else(random_trip_id)
    }
}

/// `sagaview run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Which step fails: success, failHotelReservation, failFlightsReservation,
    /// failPayment, failHotelConfirmation or failFlightsConfirmation.
    #[arg(long, value_name = "TYPE", default_value = "success", value_parser = parse_run_type)]
    pub run_type: RunType,

    #[command(flatten)]
    pub saga: SagaArgs,

    /// Instead of starting a saga, redrive this failed, timed-out or aborted execution
    /// (RedriveExecution): it continues from the state that did not complete, and the
    /// report covers its whole history. With --cancel-failure-rate the live rate is set
    /// first, e.g. 0 to end the outage a compensation gave up in.
    #[arg(long, value_name = "ARN", conflicts_with_all = ["run_type", "trip_id"])]
    pub redrive: Option<String>,

    /// Print `{executionArn, status, events, rows, verdict}` as JSON instead of a trace.
    #[arg(long)]
    pub json: bool,

    /// Same as --pace instant: time jumps ahead, so the history still shows the waits
    /// but the run ends at once (embedded runtime only).
    #[arg(long, conflicts_with_all = ["aws", "pace"])]
    pub instant: bool,

    #[command(flatten)]
    pub aws: AwsArgs,
}

fn parse_trip_id(s: &str) -> Result<String, String> {
    validate_trip_id(s).map(str::to_string)
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let rate: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number from 0 to 1"))?;
    validate_cancel_failure_rate(rate)
}

fn parse_speed(s: &str) -> Result<f64, String> {
    let speed: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.1..=100.0).contains(&speed) {
        Ok(speed)
    } else {
        Err(format!("speed must be from 0.1 to 100, got {speed}"))
    }
}

fn parse_pace(s: &str) -> Result<Pace, String> {
    s.parse()
}

fn parse_run_type(s: &str) -> Result<RunType, String> {
    s.parse::<RunType>().map_err(|e| e.to_string())
}

/// Why a command stopped early: the message for stderr and the exit status.
pub(crate) struct Exit {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl Exit {
    /// Input that cannot be used (exit status 2).
    pub(crate) fn usage(message: impl std::fmt::Display) -> Self {
        Self {
            code: 2,
            message: message.to_string(),
        }
    }

    /// Something failed while running (exit status 1).
    pub(crate) fn failed(message: impl std::fmt::Display) -> Self {
        Self {
            code: 1,
            message: message.to_string(),
        }
    }

    /// A backend error: the store failing has a status of its own
    /// ([`STORE_FAULT_EXIT`]), anything else is a failure (1).
    pub(crate) fn from_backend(e: BackendError) -> Self {
        match e {
            BackendError::StoreFault(message) => Self {
                code: STORE_FAULT_EXIT,
                message,
            },
            e => Self::failed(e),
        }
    }
}

/// The exit status of `run` when the database file fails under it (disk full, a
/// file-size limit, an I/O error, a damaged page): not 1, which says the booking
/// failed, since the saga's outcome is unknown, and not 2, since the input was fine.
pub const STORE_FAULT_EXIT: u8 = 3;

/// Prints the error, if any, and turns the outcome into the process exit status.
pub(crate) fn finish(outcome: Result<ExitCode, Exit>) -> ExitCode {
    outcome.unwrap_or_else(|e| {
        eprintln!("error: {}", e.message);
        ExitCode::from(e.code)
    })
}

pub(crate) fn multi_thread_runtime() -> Result<tokio::runtime::Runtime, Exit> {
    sagaview::async_runtime::build()
        .map_err(|e| Exit::usage(format!("cannot start the async runtime: {e}")))
}

fn launch_of(args: &RunArgs) -> Launch {
    Launch {
        run_type: args.run_type,
        trip_id: args.saga.trip_id_or_random(),
        cancel_failure_rate: args.saga.cancel_failure_rate(),
    }
}

/// Runs one saga headless; see [`RunArgs`] for the exit status.
pub fn run(args: RunArgs) -> ExitCode {
    finish(if args.aws.aws {
        run_aws(&args)
    } else {
        run_embedded(&args)
    })
}

fn run_embedded(args: &RunArgs) -> Result<ExitCode, Exit> {
    let store = args.saga.open_store()?;
    for arn in store.recovered_on_open() {
        eprintln!("note: {arn} was still running when its process exited; marked ABORTED");
    }
    let pace = if args.instant {
        Pace::Instant
    } else {
        args.saga.pace.unwrap_or(Pace::Aws)
    };
    let runtime = multi_thread_runtime()?;
    let options = EmbeddedOptions {
        seed: args.saga.seed,
        pace,
        speed: args.saga.speed,
    };
    // The backend is built inside the runtime so its clock reads the runtime's time.
    let report = runtime.block_on(unless_signalled(async {
        let backend = EmbeddedBackend::new(store, options)?;
        run_or_redrive(&backend, args, launch_of(args), Duration::from_millis(20)).await
    }))?;
    print_report(report, args.json)
}

/// `sagaview run --aws`: the same run and report against a deployed stack.
fn run_aws(args: &RunArgs) -> Result<ExitCode, Exit> {
    if args.saga.db.is_some() || args.saga.seed.is_some() || args.saga.pace.is_some() {
        return Err(Exit::usage(
            "--db, --seed and --pace apply to the embedded runtime, not to --aws",
        ));
    }
    let options = args.aws.options().map_err(Exit::usage)?;
    let runtime = multi_thread_runtime()?;
    let report = runtime.block_on(unless_signalled(async {
        let backend = AwsBackend::connect(options).await?;
        run_or_redrive(&backend, args, launch_of(args), Duration::from_millis(500)).await
    }))?;
    print_report(report, args.json)
}

/// `run`'s work on either backend: one new saga, or with `--redrive` the rest of an
/// ended one. A rate given on the command line is set live first, so that it holds
/// whatever rate an earlier `c` or `run` left set.
async fn run_or_redrive(
    backend: &dyn SagaBackend,
    args: &RunArgs,
    launch: Launch,
    poll: Duration,
) -> Result<sagaview::headless::RunReport, BackendError> {
    args.saga.set_live_rate(backend).await?;
    match &args.redrive {
        Some(arn) => redrive_once(backend, arn, poll).await,
        None => run_once(backend, launch, poll).await,
    }
}

/// Runs `work` unless SIGINT, SIGTERM, SIGHUP or SIGQUIT comes first; then the run is
/// dropped and the process ends with 128 + the signal's number. An embedded execution
/// left running is marked ABORTED the next time its database is opened.
pub(crate) async fn unless_signalled<T>(
    work: impl std::future::Future<Output = T>,
) -> Result<T, Exit> {
    // Caught before the work starts; if they cannot be, they keep their default action.
    let Ok(mut signals) = EndSignals::catch() else {
        return Ok(work.await);
    };
    tokio::select! {
        out = work => Ok(out),
        signal = signals.recv() => Err(Exit {
            code: signal.exit_status(),
            message: format!("stopped by {}", signal.name()),
        }),
    }
}

fn print_report(
    report: Result<sagaview::headless::RunReport, sagaview::backend::BackendError>,
    json: bool,
) -> Result<ExitCode, Exit> {
    let report = report.map_err(Exit::from_backend)?;
    let mut out = std::io::stdout().lock();
    let written = if json {
        serde_json::to_writer_pretty(&mut out, &to_json(&report))
            .map_err(std::io::Error::other)
            .and_then(|()| std::io::Write::write_all(&mut out, b"\n"))
    } else {
        write_trace(&mut out, &report)
    };
    written.map_err(|e| Exit::failed(format!("cannot write the report: {e}")))?;
    Ok(ExitCode::from(report.exit_code()))
}

/// Where logs go when `--log-file` is not given: beside the database, or the temp dir.
fn default_log_file(saga: &SagaArgs) -> PathBuf {
    let dir = match &saga.db {
        Some(p) if p.as_os_str() != ":memory:" => p.parent().map(PathBuf::from),
        Some(_) => None,
        None => Store::default_path()
            .ok()
            .and_then(|p| p.parent().map(PathBuf::from)),
    };
    dir.filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(std::env::temp_dir)
        .join("sagaview.log")
}

/// The terminal UI (the default command): on the embedded backend, or on AWS with `--aws`.
pub fn tui(
    saga: SagaArgs,
    aws: AwsArgs,
    theme: sagaview::tui::Theme,
    log_file: Option<PathBuf>,
    export_dir: Option<PathBuf>,
) -> ExitCode {
    finish(tui_on(saga, aws, theme, log_file, export_dir))
}

fn tui_on(
    saga: SagaArgs,
    aws: AwsArgs,
    theme: sagaview::tui::Theme,
    log_file: Option<PathBuf>,
    export_dir: Option<PathBuf>,
) -> Result<ExitCode, Exit> {
    if aws.aws && saga.pace.is_some() {
        return Err(Exit::usage(
            "--pace applies to the embedded runtime; AWS runs at its own pace",
        ));
    }
    let pace = (!aws.aws).then(|| saga.pace.unwrap_or(Pace::Demo));
    let options = sagaview::tui::TuiOptions {
        trip_id: saga.trip_id.clone(),
        pace,
        run_type: RunType::Success,
        cancel_failure_rate: saga.cancel_failure_rate(),
        // AWS waits are real: there is no speed to show.
        speed: if aws.aws { 1.0 } else { saga.speed },
        theme,
        log_file: Some(log_file.unwrap_or_else(|| default_log_file(&saga))),
        no_color: sagaview::tui::no_color_from_env(),
        export_dir,
    };
    let result = if aws.aws {
        let aws_options = aws.options().map_err(Exit::usage)?;
        multi_thread_runtime()?.block_on(async {
            let backend = AwsBackend::connect(aws_options).await?;
            saga.warn_unless_live_rate_set(&backend).await;
            sagaview::tui::run(std::sync::Arc::new(backend), options).await
        })
    } else {
        let store = saga.open_store()?;
        let embedded = EmbeddedOptions {
            seed: saga.seed,
            pace: pace.unwrap_or(Pace::Demo),
            speed: saga.speed,
        };
        multi_thread_runtime()?.block_on(async {
            let backend = EmbeddedBackend::new(store, embedded)?;
            saga.warn_unless_live_rate_set(&backend).await;
            sagaview::tui::run(std::sync::Arc::new(backend), options).await
        })
    };
    match result {
        Ok(None) => Ok(ExitCode::SUCCESS),
        Ok(Some(signal)) => Ok(ExitCode::from(signal.exit_status())),
        Err(e) => Err(Exit::failed(format!("{e:#}"))),
    }
}
