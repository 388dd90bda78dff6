//! `sagaview load`: a crowd of sagas, headless, summed up as the UI's load panel does.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use sagaview::backend::aws::AwsBackend;
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::backend::{BackendError, SagaBackend};
use sagaview::engine::Pace;
use sagaview::load::{AWS_CONFIRM_ABOVE, LoadPlan, run_load};
use sagaview::view::crowd::{Crowd, CrowdSummary, Mix, Outcome};

use crate::aws_args::AwsArgs;
use crate::run_cmd::{Exit, SagaArgs, finish, multi_thread_runtime, unless_signalled};

/// `sagaview load`.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// How many sagas to run.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = parse_count)]
    pub count: usize,

    /// How many run at once.
    #[arg(long, value_name = "C", default_value_t = 20, value_parser = parse_count)]
    pub concurrency: usize,

    /// Which run types, in which proportions: TYPE:WEIGHT,… (e.g.
    /// success:60,failPayment:20,failFlightsConfirmation:20). Default: every run type
    /// alike.
    #[arg(long, value_name = "MIX", value_parser = parse_mix)]
    pub mix: Option<Mix>,

    #[command(flatten)]
    pub saga: SagaArgs,

    /// Print `{"outcomes": {...}, "orphan_rate": {...}, "latency_ms": {...},
    /// "retries": {...}, ...}` as JSON instead of a table.
    #[arg(long)]
    pub json: bool,

    /// With --aws: start more than 100 executions without refusing (each is billed).
    #[arg(long)]
    pub yes: bool,

    #[command(flatten)]
    pub aws: AwsArgs,
}

fn parse_count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("{s:?} is not a whole number of at least 1")),
    }
}

fn parse_mix(s: &str) -> Result<Mix, String> {
    s.parse()
        .map_err(|e: sagaview::view::crowd::MixError| e.to_string())
}

impl LoadArgs {
    fn plan(&self) -> LoadPlan {
        LoadPlan {
            count: self.count,
            concurrency: self.concurrency,
            mix: self.mix.clone().unwrap_or_default(),
            cancel_failure_rate: self.saga.cancel_failure_rate(),
        }
    }
}

/// Runs the crowd; exit status 0 when every saga ran to its end whatever the
/// outcomes, 1 when some could not be run, 2 on usage errors, 3 when the database
/// failed, 128 + N when signal N ended it.
pub fn load(args: LoadArgs) -> ExitCode {
    finish(check(&args).and_then(|()| {
        if args.aws.aws {
            load_aws(&args)
        } else {
            load_embedded(&args)
        }
    }))
}

fn check(args: &LoadArgs) -> Result<(), Exit> {
    if args.saga.trip_id.is_some() {
        return Err(Exit::usage(
            "--trip-id does not apply to load: each saga books a trip of its own",
        ));
    }
    if args.aws.aws {
        if args.saga.db.is_some() || args.saga.seed.is_some() || args.saga.pace.is_some() {
            return Err(Exit::usage(
                "--db, --seed and --pace apply to the embedded runtime, not to --aws",
            ));
        }
        if matches!(args.aws.launch_via, crate::aws_args::LaunchViaArg::Api) {
            return Err(Exit::usage(
                "--launch-via api does not apply to load: a crowd starts its sagas with \
                 StartExecution, paced by its quota (API Gateway requests would not be)",
            ));
        }
        if args.count > AWS_CONFIRM_ABOVE && !args.yes {
            return Err(Exit::usage(format!(
                "a load of {} sagas starts {} executions on AWS, each billed; \
                 pass --yes to go ahead (up to {AWS_CONFIRM_ABOVE} need no --yes)",
                args.count, args.count
            )));
        }
    }
    Ok(())
}

fn load_embedded(args: &LoadArgs) -> Result<ExitCode, Exit> {
    let store = args.saga.open_store()?;
    for arn in store.recovered_on_open() {
        eprintln!("note: {arn} was still running when its process exited; marked ABORTED");
    }
    let options = EmbeddedOptions {
        seed: args.saga.seed,
        pace: args.saga.pace.unwrap_or(Pace::Instant),
        speed: args.saga.speed,
    };
    let runtime = multi_thread_runtime()?;
    let plan = args.plan();
    let json = args.json;
    // The backend is built inside the runtime so its clock reads the runtime's time.
    let crowd = runtime.block_on(unless_signalled(async {
        let backend = EmbeddedBackend::new(store, options)?;
        drive(&backend, &plan, Duration::from_millis(20), json).await
    }))?;
    report(crowd, args.json)
}

fn load_aws(args: &LoadArgs) -> Result<ExitCode, Exit> {
    let options = args.aws.options().map_err(Exit::usage)?;
    let runtime = multi_thread_runtime()?;
    let plan = args.plan();
    let json = args.json;
    let crowd = runtime.block_on(unless_signalled(async {
        let backend = AwsBackend::connect(options).await?;
        drive(&backend, &plan, Duration::from_secs(1), json).await
    }))?;
    report(crowd, args.json)
}

/// Runs the plan, telling stderr how far it got each second (not with `--json`,
/// whose reader wants stdout alone, nor when stderr is not a terminal).
async fn drive(
    backend: &dyn SagaBackend,
    plan: &LoadPlan,
    poll: Duration,
    json: bool,
) -> Result<Crowd, BackendError> {
    use std::io::IsTerminal;
    let tell = !json && std::io::stderr().is_terminal();
    run_load(backend, plan, poll, Duration::from_secs(1), |crowd| {
        if tell {
            let s = crowd.summary();
            eprintln!(
                "load: {}/{} ended, {} running",
                s.finished,
                s.planned,
                s.running()
            );
        }
    })
    .await
}

fn report(crowd: Result<Crowd, BackendError>, json: bool) -> Result<ExitCode, Exit> {
    let summary = crowd.map_err(Exit::from_backend)?.summary();
    let mut out = std::io::stdout().lock();
    let written = if json {
        serde_json::to_writer_pretty(&mut out, &summary.to_json())
            .map_err(std::io::Error::other)
            .and_then(|()| out.write_all(b"\n"))
    } else {
        write_table(&mut out, &summary)
    };
    written.map_err(|e| Exit::failed(format!("cannot write the report: {e}")))?;
    if summary.all_ran() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Exit::failed(format!(
            "{} of {} sagas could not be run: {}",
            summary.not_run,
            summary.planned,
            summary
                .first_not_run
                .as_deref()
                .unwrap_or("no reason given")
        )))
    }
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

fn millis(ms: Option<f64>) -> String {
    ms.map_or_else(|| "-".to_owned(), |ms| format!("{:.3}s", ms / 1000.0))
}

/// The human report: outcomes, the orphan rates, then a line per state.
fn write_table(out: &mut dyn Write, s: &CrowdSummary) -> std::io::Result<()> {
    writeln!(
        out,
        "{} sagas ({}), cancel failure rate {}",
        s.planned, s.mix, s.cancel_failure_rate
    )?;
    let outcomes = Outcome::ALL
        .iter()
        .map(|&o| format!("{} {}", o.label(), s.count(o)))
        .collect::<Vec<_>>()
        .join(" · ");
    writeln!(out, "outcomes: {outcomes}")?;
    writeln!(
        out,
        "orphan rate: observed {} · expected {} (the definition's Retry at this rate)",
        percent(s.observed_orphan_rate),
        percent(s.expected_orphan_rate)
    )?;
    writeln!(
        out,
        "{:<36} {:>9} {:>9} {:>9} {:>8}",
        "state", "p50", "p95", "p99", "retries"
    )?;
    for st in &s.states {
        writeln!(
            out,
            "{:<36} {:>9} {:>9} {:>9} {:>8}",
            st.name,
            millis(st.p50_ms),
            millis(st.p95_ms),
            millis(st.p99_ms),
            st.retries
        )?;
    }
    Ok(())
}
