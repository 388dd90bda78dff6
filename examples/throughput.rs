//! Executions per second of the embedded runtime, one fixed amount of work per run:
//! the figure `scripts/bench-peer` sets beside another local Step Functions
//! interpreter doing the same work.
//!
//! Usage:
//!   cargo run --release --example throughput -- saga COUNT IN_FLIGHT [DB]
//!   cargo run --release --example throughput -- chain COUNT STATES
//!   cargo run --release --example throughput -- crowd COUNT CONCURRENCY [DB]
//!
//! `saga` runs COUNT success-path sagas through the embedded backend (handlers, table,
//! history, store) on virtual time, started IN_FLIGHT at a time, each batch awaited
//! before the next (1 is one at a time); DB is `:memory:` (the default) or a file path.
//! `crowd` is `sagaview load --pace instant`: COUNT sagas of every run type alike,
//! CONCURRENCY at a time, each followed to its end, judged on its rows and summed up
//! (at the default cancel failure rate, so compensations retry and some give up).
//! `chain` runs COUNT executions of a STATES-long Pass chain on the bare engine, one at
//! a time. Only the runs are timed, inside the process: not start-up, not building the
//! backend. The last line printed is `executions=N seconds=S per_second=R cpu_seconds=C`,
//! C being the CPU time (user and system, every thread) the runs took: on a shared
//! machine it varies less than the wall time does.

use saga_lambdas::RunType;
use sagaview::asl::load_definition_value;
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::backend::{Launch, SagaBackend};
use sagaview::engine::{Clock, Engine, EngineConfig, FunctionRegistry, Pace};
use sagaview::load::{LoadPlan, run_load};
use sagaview::store::Store;
use sagaview::view::crowd::Mix;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "../benches/support/pass_chain.rs"]
mod pass_chain;
use pass_chain::pass_chain;

type Error = Box<dyn std::error::Error + Send + Sync>;

const USAGE: &str = "usage: throughput saga COUNT IN_FLIGHT [DB] | throughput chain COUNT STATES \
                     | throughput crowd COUNT CONCURRENCY [DB]";

fn number(arg: Option<String>, what: &str) -> Result<u64, Error> {
    let text = arg.ok_or_else(|| format!("{what} missing; {USAGE}"))?;
    let n: u64 = text
        .parse()
        .map_err(|e| format!("{what} {text:?} is not a count: {e}"))?;
    if n == 0 {
        return Err(format!("{what} must be at least 1").into());
    }
    Ok(n)
}

fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let count = number(args.next(), "COUNT")?;
    // The product's runtime: one worker per core the process may use.
    // The runtime the binary runs on, so the figures are the product's.
    let rt = sagaview::async_runtime::build()?;
    let span = match mode.as_str() {
        "saga" => {
            let in_flight = number(args.next(), "IN_FLIGHT")?;
            let db = args.next().unwrap_or_else(|| ":memory:".to_owned());
            let store = if db == ":memory:" {
                Store::open_in_memory()?
            } else {
                Store::open(&db)?
            };
            rt.block_on(async { tokio::spawn(sagas(store, count, in_flight)).await })??
        }
        "crowd" => {
            let concurrency = number(args.next(), "CONCURRENCY")?;
            let db = args.next().unwrap_or_else(|| ":memory:".to_owned());
            let store = if db == ":memory:" {
                Store::open_in_memory()?
            } else {
                Store::open(&db)?
            };
            rt.block_on(async { tokio::spawn(crowd(store, count, concurrency)).await })??
        }
        "chain" => {
            let states = number(args.next(), "STATES")?;
            {
                let states = usize::try_from(states)?;
                rt.block_on(async { tokio::spawn(chains(count, states)).await })??
            }
        }
        other => return Err(format!("unknown mode {other:?}; {USAGE}").into()),
    };
    let seconds = span.wall.as_secs_f64();
    println!(
        "executions={count} seconds={seconds:.4} per_second={:.1} cpu_seconds={:.3}",
        count as f64 / seconds,
        span.cpu_seconds
    );
    Ok(())
}

/// What a timed stretch of work took, in wall-clock and in CPU time.
struct Span {
    wall: Duration,
    cpu_seconds: f64,
}

/// The start of a timed stretch.
struct Started {
    at: Instant,
    cpu_seconds: f64,
}

impl Started {
    fn now() -> Self {
        Self {
            at: Instant::now(),
            cpu_seconds: process_cpu_seconds(),
        }
    }

    fn finish(self) -> Span {
        Span {
            wall: self.at.elapsed(),
            cpu_seconds: process_cpu_seconds() - self.cpu_seconds,
        }
    }
}

/// User plus system time of the whole process so far, from `/proc/self/stat` (in
/// the kernel's fixed 100 ticks a second); 0 where that cannot be read.
fn process_cpu_seconds() -> f64 {
    let ticks = || -> Option<f64> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // After the command name, in parentheses, field 3 (state) comes first:
        // utime and stime are fields 14 and 15.
        let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
        let user: f64 = fields.next()?.parse().ok()?;
        let system: f64 = fields.next()?.parse().ok()?;
        Some(user + system)
    };
    ticks().unwrap_or(0.0) / 100.0
}

/// Runs `count` success-path sagas, `in_flight` started before any is awaited.
async fn sagas(store: Store, count: u64, in_flight: u64) -> Result<Span, Error> {
    // Built inside the runtime so its clock reads the runtime's time.
    let backend = EmbeddedBackend::new(
        store,
        EmbeddedOptions {
            seed: Some(1),
            pace: Pace::Instant,
            ..EmbeddedOptions::default()
        },
    )?;
    let started = Started::now();
    let mut done = 0;
    while done < count {
        let batch = in_flight.min(count - done);
        let mut arns = Vec::with_capacity(usize::try_from(batch)?);
        for i in done..done + batch {
            let launch = Launch {
                run_type: RunType::Success,
                trip_id: format!("trip-{i}"),
                cancel_failure_rate: 0.0,
            };
            arns.push(backend.start(launch).await?);
        }
        for arn in arns {
            let summary = backend.wait(&arn).await?;
            if summary.status.as_str() != "SUCCEEDED" {
                return Err(format!("{arn} ended {}", summary.status.as_str()).into());
            }
        }
        done += batch;
    }
    Ok(started.finish())
}

/// Runs `count` sagas as `sagaview load` does, `concurrency` at a time.
async fn crowd(store: Store, count: u64, concurrency: u64) -> Result<Span, Error> {
    let backend = EmbeddedBackend::new(
        store,
        EmbeddedOptions {
            seed: Some(1),
            pace: Pace::Instant,
            ..EmbeddedOptions::default()
        },
    )?;
    let plan = LoadPlan {
        count: usize::try_from(count)?,
        concurrency: usize::try_from(concurrency)?,
        mix: Mix::default(),
        cancel_failure_rate: saga_lambdas::trip::DEFAULT_CANCEL_FAILURE_RATE,
    };
    let started = Started::now();
    let crowd = run_load(
        &backend,
        &plan,
        Duration::from_millis(20),
        Duration::from_secs(1),
        |_| {},
    )
    .await?;
    let span = started.finish();
    let summary = crowd.summary();
    if !summary.all_ran() {
        return Err(format!("not every saga ran: {:?}", summary.first_not_run).into());
    }
    eprintln!("{}", summary.to_json()["outcomes"]);
    Ok(span)
}

/// Runs `count` executions of an `n`-state Pass chain, one at a time, on the bare
/// engine (no store). The clock is virtual, as the embedded backend's is at the
/// instant pace: on a real-time clock each transition's cost would be slept.
async fn chains(count: u64, n: usize) -> Result<Span, Error> {
    let config = EngineConfig {
        seed: Some(1),
        pace: Pace::Instant,
        ..EngineConfig::default()
    };
    let engine = Engine::new(
        config,
        Clock::virtual_from(chrono::Utc::now()),
        Arc::new(FunctionRegistry::new()),
    );
    let chain = engine.state_machine("chain", load_definition_value(&pass_chain(n))?);
    let started = Started::now();
    for _ in 0..count {
        let arn = engine.start(&chain, None, r#"{"trip":"t-1"}"#)?;
        let ended = engine.wait(&arn).await?;
        if ended.status.as_str() != "SUCCEEDED" {
            return Err(format!("{arn} ended {}", ended.status.as_str()).into());
        }
        engine.forget(&arn);
    }
    Ok(started.finish())
}
