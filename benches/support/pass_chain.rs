//! The Pass-chain definition the engine bench and the throughput example both run, so
//! their figures measure the same work.

use serde_json::{Map, Value, json};

/// A chain of `n` Pass states, `S0` to `S{n-1}`.
pub fn pass_chain(n: usize) -> Value {
    let mut states = Map::new();
    for i in 0..n {
        let mut state = json!({"Type": "Pass"});
        if i + 1 < n {
            state["Next"] = json!(format!("S{}", i + 1));
        } else {
            state["End"] = json!(true);
        }
        states.insert(format!("S{i}"), state);
    }
    json!({"StartAt": "S0", "States": states})
}
