//! Runs many sagas on the embedded runtime with a durable store, then reports the
//! process's memory: the figure behind "10,000 completed executions, RSS < 100 MB".
//!
//! Usage: cargo run --release --example soak -- [COUNT] [DB PATH]

use saga_lambdas::RunType;
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::backend::{Launch, SagaBackend};
use sagaview::engine::Pace;
use sagaview::store::Store;
use std::time::Instant;

fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: u64 = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000);
    let dir = tempfile::tempdir()?;
    let path = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("soak.db"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let started = Instant::now();
    rt.block_on(async {
        let backend = EmbeddedBackend::new(
            Store::open(&path)?,
            EmbeddedOptions {
                seed: Some(1),
                pace: Pace::Instant,
                ..EmbeddedOptions::default()
            },
        )?;
        let run_types = RunType::ALL;
        for chunk in 0..count.div_ceil(100) {
            let mut arns = Vec::new();
            for i in 0..100.min(count - chunk * 100) {
                let n = chunk * 100 + i;
                let launch = Launch {
                    run_type: run_types[(n % 6) as usize],
                    trip_id: format!("soak-{n}"),
                    cancel_failure_rate: 0.4,
                };
                arns.push(backend.start(launch).await?);
            }
            for arn in arns {
                backend.wait(&arn).await?;
            }
        }
        let listed = backend.list_executions(usize::MAX).await?;
        println!("executions in the store: {}", listed.len());
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    println!("elapsed: {:.2?}", started.elapsed());
    println!(
        "RSS now: {} MB, peak: {} MB",
        status_kb("VmRSS:").unwrap_or(0) / 1024,
        status_kb("VmHWM:").unwrap_or(0) / 1024
    );
    Ok(())
}
