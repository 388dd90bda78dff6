//! Running cases on the engine (virtual clock) and judging them.

use std::sync::Arc;

use chrono::DateTime;
use serde_json::Value;

use super::case::Case;
use super::compare::compare;
use super::lambdas::BehaviourInvoker;
use super::normalise::{Normaliser, fixed_rules};
use crate::asl::load_definition_value;
use crate::engine::{Clock, Engine, EngineConfig, Pace, StateMachine};

/// The verdict on one case (also the line a case process answers with).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CaseResult {
    /// The case id.
    pub id: String,
    /// `None` when the case passed, else a one-line reason.
    pub failure: Option<String>,
}

impl CaseResult {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// Runs every case on its own engine, concurrently, on the current (paused-time) runtime.
pub async fn run_cases(cases: &[Case]) -> Vec<CaseResult> {
    let mut handles = Vec::with_capacity(cases.len());
    for case in cases {
        let case = case.clone();
        handles.push(tokio::spawn(async move {
            let failure = run_case(&case).await.err();
            CaseResult {
                id: case.id,
                failure,
            }
        }));
    }
    let mut results = Vec::with_capacity(handles.len());
    for (handle, case) in handles.into_iter().zip(cases) {
        results.push(handle.await.unwrap_or_else(|e| CaseResult {
            id: case.id.clone(),
            failure: Some(format!("the run panicked: {e}")),
        }));
    }
    results
}

/// Runs all cases on a fresh current-thread runtime (each case on virtual time).
pub fn run_cases_blocking(cases: &[Case]) -> std::io::Result<Vec<CaseResult>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    Ok(runtime.block_on(run_cases(cases)))
}

fn one_line(s: &str) -> String {
    s.replace('\n', "\\n")
}

/// Runs one case; `Err` carries the one-line reason it failed.
pub async fn run_case(case: &Case) -> Result<(), String> {
    let definition = load_definition_value(&case.definition)
        .map_err(|e| format!("definition rejected: {}", one_line(&e.to_string())))?;
    let env = &case.environment;
    let clock = Clock::virtual_from(DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default());
    let invoker = Arc::new(BehaviourInvoker::new(case.lambdas.as_ref(), clock.clone()));
    let config = EngineConfig {
        account_id: env.account_id.clone(),
        region: env.region.clone(),
        partition: env.partition.clone(),
        role_arn: env.role_arn.clone(),
        pace: Pace::Instant,
        seed: Some(7),
        keep_history: true,
        forget_ended: false,
    };
    let engine = Engine::new(config, clock, invoker);
    let machine = Arc::new(StateMachine {
        name: env.state_machine_name.clone(),
        arn: env.state_machine_arn.clone(),
        definition,
    });
    let arn = engine
        .start(&machine, Some(&env.execution_name), &case.input_text)
        .map_err(|e| format!("start failed: {e}"))?;
    if arn != env.execution_arn {
        return Err(format!(
            "execution ARN {arn} differs from the recorded {}",
            env.execution_arn
        ));
    }
    let description = engine.wait(&arn).await.map_err(|e| e.to_string())?;
    let normaliser = Normaliser::new(case)?;
    let output: Option<Value> = description
        .output
        .as_deref()
        .map(|o| serde_json::from_str(o).unwrap_or_else(|_| Value::String(o.to_owned())));

    let expected = &case.expected;
    if description.status.as_str() != expected.status {
        let why = description
            .error
            .as_deref()
            .map(|e| format!(" ({e}: {})", description.cause.as_deref().unwrap_or("")))
            .unwrap_or_default();
        return Err(one_line(&format!(
            "status: expected {}, got {}{why}",
            expected.status,
            description.status.as_str()
        )));
    }
    let norm = |v: Value| normaliser.value(v, output.as_ref());
    let actual_output = output.clone().map(norm).unwrap_or(Value::Null);
    // Older recordings predate the fixed masking rules; mask both sides alike.
    let mut expected_output = expected.output.clone().unwrap_or(Value::Null);
    fixed_rules(&mut expected_output);
    compare("output", &expected_output, &actual_output).map_err(|e| one_line(&e))?;
    let actual_error = description
        .error
        .clone()
        .map(Value::String)
        .unwrap_or(Value::Null);
    let expected_error = expected
        .error
        .clone()
        .map(Value::String)
        .unwrap_or(Value::Null);
    compare("error", &expected_error, &norm(actual_error)).map_err(|e| one_line(&e))?;
    let actual_cause = match &description.cause {
        None => Value::Null,
        Some(c) => {
            let mut wrapper = serde_json::json!({ "cause": c });
            super::normalise::parse_members(&mut wrapper);
            wrapper["cause"].take()
        }
    };
    compare(
        "cause",
        expected.cause.as_ref().unwrap_or(&Value::Null),
        &norm(actual_cause),
    )
    .map_err(|e| one_line(&e))?;

    if case.events_recorded
        && let Some(expected_events) = &expected.events
    {
        let history = engine.history_since(&arn, 0).map_err(|e| e.to_string())?;
        let raw: Vec<Value> = history
            .iter()
            .map(|e| serde_json::to_value(e).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
        let actual = normaliser.events(raw, output.as_ref());
        let mut expected_events = Value::Array(expected_events.clone());
        fixed_rules(&mut expected_events);
        compare("events", &expected_events, &Value::Array(actual)).map_err(|e| one_line(&e))?;
    }
    Ok(())
}
