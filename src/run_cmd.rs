//! The flags shared by the terminal UI and `sagaview run`, and the `run` command.

use crate::aws_args::AwsArgs;
use clap::Args;
use saga_lambdas::RunType;
use saga_lambdas::trip::{validate_cancel_failure_rate, validate_trip_id};
use sagaview::backend::aws::AwsBackend;
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::backend::{Launch, SagaBackend};
use sagaview::headless::{run_once, to_json, write_trace};
use sagaview::store::Store;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// What a saga run needs to know, the same for the TUI and for `run`, so a demo can be
/// rehearsed headless and replayed identically on screen.
#[derive(Debug, Clone, Args)]
pub struct SagaArgs {
    /// The embedded database: a file path, or `:memory:` for a throwaway run.
    /// Default: sagaview.db in your data directory (e.g. ~/.local/share/sagaview/).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// The trip the saga books (partition key of its rows): 1-64 of A-Z a-z 0-9 _ -.
    /// Default: a new random id, so runs do not disturb each other's rows.
    #[arg(long, value_name = "ID", value_parser = parse_trip_id)]
    pub trip_id: Option<String>,

    /// Probability (0 to 1) that each compensation attempt fails and is retried.
    #[arg(long, value_name = "RATE", default_value_t = 0.4, value_parser = parse_rate)]
    pub cancel_failure_rate: f64,

    /// Seed for the compensations' random failures: the same seed replays the same run.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Demo speed: retry backoff and waits last 1/SPEED of their real length (0.1-100).
    #[arg(long, value_name = "SPEED", default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,
}

impl SagaArgs {
    /// Opens the database named by `--db` (or the default one) with an error that names it.
    pub fn open_store(&self) -> Result<Store, String> {
        let path = match &self.db {
            Some(p) => p.clone(),
            None => Store::default_path().map_err(|e| e.to_string())?,
        };
        Store::open(&path).map_err(|e| e.to_string())
    }

    /// The trip id to use: the given one or a fresh random one.
    pub fn trip_id_or_random(&self) -> String {
        self.trip_id.clone().unwrap_or_else(random_trip_id)
    }
}

/// A short random trip id such as `trip-3f9a1c2e`.
pub fn random_trip_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("trip-{}", &id[..8])
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

    /// Print `{executionArn, status, events, rows, verdict}` as JSON instead of a trace.
    #[arg(long)]
    pub json: bool,

    /// Do not wait out retry backoff: time jumps ahead, so the history still shows the
    /// waits but the run ends at once (embedded runtime only).
    #[arg(long, conflicts_with = "aws")]
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

fn parse_run_type(s: &str) -> Result<RunType, String> {
    s.parse::<RunType>().map_err(|e| e.to_string())
}

/// Runs one saga headless; see [`RunArgs`] for the exit status.
pub fn run(args: RunArgs) -> ExitCode {
    if args.aws.aws {
        return run_aws(args);
    }
    let store = match args.saga.open_store() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    for arn in store.recovered_on_open() {
        eprintln!("note: {arn} was still running when its process exited; marked ABORTED");
    }
    // Instant runs use virtual time: tokio's paused clock jumps to the next timer
    // whenever every task is idle, so backoff and Wait states cost nothing.
    let runtime = if args.instant {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
    } else {
        tokio::runtime::Runtime::new()
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let options = EmbeddedOptions {
        seed: args.saga.seed,
        speed: args.saga.speed,
        instant: args.instant,
        task_latency: None,
    };
    let launch = Launch {
        run_type: args.run_type,
        trip_id: args.saga.trip_id_or_random(),
        cancel_failure_rate: args.saga.cancel_failure_rate,
    };
    // The backend is built inside the runtime so its clock reads the runtime's time.
    let report = runtime.block_on(async {
        let backend = EmbeddedBackend::new(store, options)?;
        run_once(
            &backend as &dyn SagaBackend,
            launch,
            Duration::from_millis(20),
        )
        .await
    });
    print_report(report, args.json)
}

/// `sagaview run --aws`: the same run and report against a deployed stack.
fn run_aws(args: RunArgs) -> ExitCode {
    if args.saga.db.is_some() || args.saga.seed.is_some() {
        eprintln!("error: --db and --seed apply to the embedded runtime, not to --aws");
        return ExitCode::from(2);
    }
    let options = match args.aws.options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let launch = Launch {
        run_type: args.run_type,
        trip_id: args.saga.trip_id_or_random(),
        cancel_failure_rate: args.saga.cancel_failure_rate,
    };
    let report = runtime.block_on(async {
        let backend = AwsBackend::connect(options).await?;
        run_once(
            &backend as &dyn SagaBackend,
            launch,
            Duration::from_millis(500),
        )
        .await
    });
    print_report(report, args.json)
}

fn print_report(
    report: Result<sagaview::headless::RunReport, sagaview::backend::BackendError>,
    json: bool,
) -> ExitCode {
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let mut out = std::io::stdout().lock();
    let written = if json {
        serde_json::to_writer_pretty(&mut out, &to_json(&report))
            .map_err(std::io::Error::other)
            .and_then(|()| std::io::Write::write_all(&mut out, b"\n"))
    } else {
        write_trace(&mut out, &report)
    };
    if let Err(e) = written {
        eprintln!("error: cannot write the report: {e}");
        return ExitCode::from(1);
    }
    ExitCode::from(report.exit_code())
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

/// The terminal UI on the embedded backend (the default command).
pub fn tui(
    saga: SagaArgs,
    aws: AwsArgs,
    theme: sagaview::tui::Theme,
    log_file: Option<PathBuf>,
) -> ExitCode {
    if aws.aws {
        return tui_aws(saga, aws, theme, log_file);
    }
    let store = match saga.open_store() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let options = sagaview::tui::TuiOptions {
        trip_id: saga.trip_id_or_random(),
        run_type: RunType::Success,
        cancel_failure_rate: saga.cancel_failure_rate,
        speed: saga.speed,
        theme,
        log_file: Some(log_file.unwrap_or_else(|| default_log_file(&saga))),
        no_color: sagaview::tui::no_color_from_env(),
    };
    let embedded = EmbeddedOptions {
        seed: saga.seed,
        speed: saga.speed,
        instant: false,
        task_latency: None,
    };
    let result = runtime.block_on(async {
        let backend = EmbeddedBackend::new(store, embedded)?;
        sagaview::tui::run(std::sync::Arc::new(backend), options).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// The terminal UI on a deployed stack.
fn tui_aws(
    saga: SagaArgs,
    aws: AwsArgs,
    theme: sagaview::tui::Theme,
    log_file: Option<PathBuf>,
) -> ExitCode {
    let options = match aws.options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let tui_options = sagaview::tui::TuiOptions {
        trip_id: saga.trip_id_or_random(),
        run_type: RunType::Success,
        cancel_failure_rate: saga.cancel_failure_rate,
        speed: 1.0,
        theme,
        log_file: Some(log_file.unwrap_or_else(|| std::env::temp_dir().join("sagaview.log"))),
        no_color: sagaview::tui::no_color_from_env(),
    };
    let result = runtime.block_on(async {
        let backend = AwsBackend::connect(options).await?;
        sagaview::tui::run(std::sync::Arc::new(backend), tui_options).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
