//! The context object (`$$`), built only when a path asks for it.

use std::borrow::Cow;

use rand::rngs::StdRng;
use serde_json::{Map, Value};

use crate::asl::path::{JsonPath, PathMiss};

/// Execution-wide facts exposed under `$$.Execution` and `$$.StateMachine`.
#[derive(Debug, Clone)]
pub struct ExecutionFacts {
    /// Execution ARN.
    pub id: String,
    /// Execution name.
    pub name: String,
    /// The execution input's JSON text: read back only when a path asks for
    /// `$$.Execution.Input`, so a start does not copy the whole document.
    pub input: std::sync::Arc<str>,
    /// Start time, ISO-8601 with milliseconds.
    pub start_time: String,
    /// Role ARN.
    pub role_arn: String,
    /// State machine ARN.
    pub machine_id: String,
    /// State machine name.
    pub machine_name: String,
    /// How many times the execution has been redriven (`$$.Execution.RedriveCount`).
    pub redrive_count: u32,
    /// When it was last redriven, ISO-8601 with milliseconds
    /// (`$$.Execution.RedriveTime`); `None` until it is.
    pub redrive_time: Option<String>,
}

/// Facts about the state being run (`$$.State`) and the Map item (`$$.Map.Item`).
#[derive(Debug, Clone, Copy)]
pub struct StateFacts<'a> {
    /// State name.
    pub name: &'a str,
    /// When the state was entered.
    pub entered_time: chrono::DateTime<chrono::Utc>,
    /// Retries so far in this visit (`$$.State.RetryCount` exists for Task states only).
    pub retry_count: Option<u32>,
    /// `(index, value)` when running inside a Map iteration.
    pub map_item: Option<(usize, &'a Value)>,
    /// `$$.Task.Token` of a `.waitForTaskToken` task.
    pub task_token: Option<&'a str>,
}

/// Everything a path or template may read besides the state input.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// Execution-wide facts.
    pub execution: &'a ExecutionFacts,
    /// The current state.
    pub state: StateFacts<'a>,
}

impl Scope<'_> {
    /// The full context object, as AWS shapes it.
    pub fn context_object(&self) -> Value {
        let e = self.execution;
        let mut execution = Map::new();
        execution.insert("Id".into(), e.id.clone().into());
        // The text was parsed when the execution started, so it reads back whole.
        let input = serde_json::from_str(&e.input).unwrap_or(Value::Null);
        execution.insert("Input".into(), input);
        execution.insert("StartTime".into(), e.start_time.clone().into());
        execution.insert("Name".into(), e.name.clone().into());
        execution.insert("RoleArn".into(), e.role_arn.clone().into());
        execution.insert("RedriveCount".into(), e.redrive_count.into());
        if let Some(time) = &e.redrive_time {
            execution.insert("RedriveTime".into(), time.clone().into());
        }
        let mut state = Map::new();
        state.insert(
            "EnteredTime".into(),
            iso_millis(self.state.entered_time).into(),
        );
        state.insert("Name".into(), self.state.name.into());
        if let Some(n) = self.state.retry_count {
            state.insert("RetryCount".into(), n.into());
        }
        let mut machine = Map::new();
        machine.insert("Id".into(), e.machine_id.clone().into());
        machine.insert("Name".into(), e.machine_name.clone().into());
        let mut root = Map::new();
        root.insert("Execution".into(), Value::Object(execution));
        root.insert("State".into(), Value::Object(state));
        root.insert("StateMachine".into(), Value::Object(machine));
        if let Some(token) = self.state.task_token {
            let mut task = Map::new();
            task.insert("Token".into(), token.into());
            root.insert("Task".into(), Value::Object(task));
        }
        if let Some((index, value)) = self.state.map_item {
            let mut item = Map::new();
            item.insert("Index".into(), index.into());
            item.insert("Value".into(), value.clone());
            let mut map = Map::new();
            map.insert("Item".into(), Value::Object(item));
            root.insert("Map".into(), Value::Object(map));
        }
        Value::Object(root)
    }
}

/// ISO-8601 with milliseconds and `Z`, as AWS prints times in the context object.
pub fn iso_millis(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// What templates and paths can read and use while a state runs.
pub struct Env<'a> {
    /// Context object facts.
    pub scope: Scope<'a>,
    /// Randomness for MathRandom/UUID.
    pub rng: &'a mut StdRng,
}

/// Evaluates a path against the input or, for `$$` paths, the context object.
pub fn select<'v>(
    path: &JsonPath,
    input: &'v Value,
    scope: &Scope<'_>,
) -> Result<Cow<'v, Value>, PathMiss> {
    if path.is_context() {
        let ctx = scope.context_object();
        path.select(&ctx).map(|v| Cow::Owned(v.into_owned()))
    } else {
        path.select(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_execution_input_reads_back_as_the_started_document() {
        let text = r#"{"b": [1, 2.5, "x\"y"], "a": {"z": null, "c": true}}"#;
        let facts = ExecutionFacts {
            input: text.into(),
            ..crate::engine::dataflow::tests::facts()
        };
        let scope = Scope {
            execution: &facts,
            state: StateFacts {
                name: "S",
                entered_time: chrono::Utc::now(),
                retry_count: None,
                map_item: None,
                task_token: None,
            },
        };
        let input = &scope.context_object()["Execution"]["Input"];
        assert_eq!(
            input,
            &json!({"b": [1, 2.5, "x\"y"], "a": {"z": null, "c": true}})
        );
        // Member order is the input's, as AWS keeps it.
        let keys: Vec<_> = input.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["b", "a"]);
    }
}
