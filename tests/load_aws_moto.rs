//! `sagaview load --aws` against moto's Step Functions (executing the saga's ASL) through
//! the paging proxy, which counts the calls: every saga is started once, followed to
//! its end and summed up.

mod support;

use std::process::Command;

use support::moto::{self, Lambdas};

#[test]
fn load_on_aws_starts_each_saga_once_and_sums_them_up() {
    let _turn = moto::moto_lock();
    let stack = moto::create_stack("crowd", Lambdas::Echo, None);
    let proxy = moto::PagingProxy::start();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sagaview"));
    moto::aws_env(&mut cmd);
    let out = cmd
        .args(["load", "--aws", "--stack", &stack.stack_name])
        .args(["--endpoint-url", &proxy.url, "--region", &stack.region])
        .args(["--count", "6", "--concurrency", "3", "--mix", "success:1"])
        .args(["--cancel-failure-rate", "0", "--json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // moto's echoing functions succeed at every step.
    assert_eq!(j["outcomes"]["booked"], 6, "{j}");
    assert_eq!(j["sagas"]["ended"], 6, "{j}");
    assert_eq!(j["orphan_rate"]["observed"], 0.0, "{j}");
    assert!(j["latency_ms"]["ReserveHotel"]["p50"].is_number(), "{j}");
    let stats = proxy.stats();
    assert_eq!(
        stats["calls"]["AWSStepFunctions.StartExecution"].as_u64(),
        Some(6),
        "{stats}"
    );
}
