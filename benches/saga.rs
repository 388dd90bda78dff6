//! The whole saga on the embedded runtime: handlers, table, history and store.
//!
//! Success path, zero task latency, virtual clock, one thread. Throughput is reported
//! in executions per second, for the in-memory and the durable (file, WAL) store, with
//! many sagas in flight and with one at a time (`sequential`: each waits for the last,
//! so any hand-off between threads is paid on every execution).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use saga_lambdas::RunType;
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::backend::{Launch, SagaBackend};
use sagaview::engine::Pace;
use sagaview::store::Store;
use std::time::Duration;

const BATCH: u64 = 200;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Starts `size` sagas and waits for all of them.
async fn batch(backend: &EmbeddedBackend, round: u64, size: u64) {
    let mut arns = Vec::with_capacity(size as usize);
    for i in 0..size {
        let launch = Launch {
            run_type: RunType::Success,
            trip_id: format!("bench-{round}-{i}"),
            cancel_failure_rate: 0.0,
        };
        arns.push(backend.start(launch).await.expect("start"));
    }
    for arn in arns {
        let s = backend.wait(&arn).await.expect("wait");
        assert_eq!(s.status.as_str(), "SUCCEEDED");
    }
}

/// Runs BATCH sagas per iteration: all in flight at once, or one after another.
fn bench_store(c: &mut Criterion, name: &str, sequential: bool, open: impl Fn() -> Store) {
    let rt = runtime();
    let mut group = c.benchmark_group("saga");
    group.throughput(Throughput::Elements(BATCH));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    let backend = rt.block_on(async {
        EmbeddedBackend::new(
            open(),
            EmbeddedOptions {
                seed: Some(1),
                pace: Pace::Instant,
                ..EmbeddedOptions::default()
            },
        )
        .expect("backend")
    });
    let mut round = 0;
    group.bench_function(name, |b| {
        b.iter(|| {
            round += 1;
            rt.block_on(async {
                if sequential {
                    for i in 0..BATCH {
                        batch(&backend, round * BATCH + i, 1).await;
                    }
                } else {
                    batch(&backend, round, BATCH).await;
                }
            })
        })
    });
    group.finish();
}

fn saga(c: &mut Criterion) {
    let memory = || Store::open_in_memory().expect("memory store");
    bench_store(c, "success_in_memory_store", false, memory);
    bench_store(c, "sequential_in_memory_store", true, memory);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.db");
    bench_store(c, "success_durable_store", false, || {
        Store::open(&path).expect("file store")
    });
    let path = dir.path().join("sequential.db");
    bench_store(c, "sequential_durable_store", true, || {
        Store::open(&path).expect("file store")
    });
}

criterion_group!(benches, saga);
criterion_main!(benches);
