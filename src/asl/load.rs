//! Loading a definition from JSON, with every check done up front.

use crate::fast_map::FastMap;

use serde_json::{Map, Value};

use super::choice::ChoiceRule;
use super::error::DefinitionError;
use super::limits::{
    MAX_DEFINITION_BYTES, MAX_DOCUMENT_DEPTH, MAX_RETRY_ATTEMPTS, MAX_RETRY_DELAY_SECONDS,
    MAX_SECONDS, MAX_STATE_NAME_CHARS,
};
use super::model::*;
use super::path::JsonPath;
use super::template::Template;
use super::timestamp::parse_timestamp;

/// Parses and validates a definition given as JSON text.
pub fn load_definition(text: &str) -> Result<Definition, DefinitionError> {
    if text.len() > MAX_DEFINITION_BYTES {
        return Err(DefinitionError::Machine(format!(
            "the definition is {} bytes long, over Step Functions' limit of {MAX_DEFINITION_BYTES}",
            text.len()
        )));
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| DefinitionError::Json(e.to_string()))?;
    load_definition_value(&value)
}

/// Parses and validates a definition given as a JSON value.
pub fn load_definition_value(value: &Value) -> Result<Definition, DefinitionError> {
    let obj = value
        .as_object()
        .ok_or_else(|| DefinitionError::Machine("the definition must be a JSON object".into()))?;
    machine(obj, true)
}

const UNSUPPORTED: [&str; 5] = ["Assign", "Arguments", "Output", "QueryLanguage", "Items"];

fn machine(obj: &Map<String, Value>, top_level: bool) -> Result<Definition, DefinitionError> {
    let err = |m: String| DefinitionError::Machine(m);
    for key in obj.keys() {
        match key.as_str() {
            "StartAt" | "States" | "Comment" | "Version" => {}
            "TimeoutSeconds" if top_level => {}
            "ProcessorConfig" if !top_level => {}
            "QueryLanguage" if obj[key] == "JSONPath" => {}
            "QueryLanguage" => {
                return Err(err("only the JSONPath query language is supported".into()));
            }
            other => return Err(err(format!("unknown field '{other}' in the state machine"))),
        }
    }
    let start_at = obj
        .get("StartAt")
        .ok_or_else(|| err("missing 'StartAt'".into()))?
        .as_str()
        .ok_or_else(|| err("'StartAt' must be a string".into()))?;
    let states_obj = obj
        .get("States")
        .ok_or_else(|| err("missing 'States'".into()))?
        .as_object()
        .ok_or_else(|| err("'States' must be an object".into()))?;
    if states_obj.is_empty() {
        return Err(err("'States' must not be empty".into()));
    }
    let index: FastMap<String, usize> = states_obj
        .keys()
        .enumerate()
        .map(|(i, k)| (k.clone(), i))
        .collect();
    let start = *index.get(start_at).ok_or_else(|| {
        err(format!(
            "'StartAt' names the state '{start_at}', which does not exist"
        ))
    })?;
    let timeout_seconds = match obj.get("TimeoutSeconds") {
        None => None,
        Some(v) => Some(seconds_field("TimeoutSeconds", v, 1).map_err(err)?),
    };
    let comment = match obj.get("Comment") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(err("'Comment' must be a string".into())),
    };
    let mut states = Vec::with_capacity(states_obj.len());
    for (name, body) in states_obj {
        if name.chars().count() > MAX_STATE_NAME_CHARS {
            return Err(DefinitionError::state(
                name,
                format!("a state name must be at most {MAX_STATE_NAME_CHARS} characters long"),
            ));
        }
        let body = body
            .as_object()
            .ok_or_else(|| DefinitionError::state(name, "a state must be a JSON object"))?;
        let p = StateParser {
            obj: body,
            index: &index,
        };
        let kind = p
            .kind()
            .map_err(|reason| DefinitionError::state(name, reason))?;
        states.push(State {
            name: name.clone(),
            kind,
        });
    }
    Ok(Definition {
        comment,
        start_at: start,
        states,
        timeout_seconds,
        index,
    })
}

/// A number of seconds written in the definition: an integer from `min` (0 or 1) to
/// [`MAX_SECONDS`].
fn seconds_field(key: &str, v: &Value, min: u64) -> Result<u64, String> {
    let kind = if min == 0 { "non-negative" } else { "positive" };
    let n = v
        .as_u64()
        .filter(|&n| n >= min)
        .ok_or_else(|| format!("'{key}' must be a {kind} integer"))?;
    if n > MAX_SECONDS {
        return Err(format!("'{key}' must be at most {MAX_SECONDS}, not {n}"));
    }
    Ok(n)
}

struct StateParser<'a> {
    obj: &'a Map<String, Value>,
    index: &'a FastMap<String, usize>,
}

type R<T> = Result<T, String>;

impl StateParser<'_> {
    fn kind(&self) -> R<StateKind> {
        let ty = self
            .obj
            .get("Type")
            .ok_or("missing 'Type'")?
            .as_str()
            .ok_or("'Type' must be a string")?;
        let allowed: &[&str] = match ty {
            "Pass" => &[
                "InputPath",
                "OutputPath",
                "ResultPath",
                "Parameters",
                "Result",
                "Next",
                "End",
            ],
            "Task" => &[
                "Resource",
                "InputPath",
                "OutputPath",
                "ResultPath",
                "Parameters",
                "ResultSelector",
                "Retry",
                "Catch",
                "TimeoutSeconds",
                "TimeoutSecondsPath",
                "HeartbeatSeconds",
                "HeartbeatSecondsPath",
                "Next",
                "End",
            ],
            "Choice" => &["InputPath", "OutputPath", "Choices", "Default"],
            "Wait" => &[
                "InputPath",
                "OutputPath",
                "Seconds",
                "Timestamp",
                "SecondsPath",
                "TimestampPath",
                "Next",
                "End",
            ],
            "Succeed" => &["InputPath", "OutputPath"],
            "Fail" => &["Error", "Cause", "ErrorPath", "CausePath"],
            "Parallel" => &[
                "Branches",
                "InputPath",
                "OutputPath",
                "ResultPath",
                "Parameters",
                "ResultSelector",
                "Retry",
                "Catch",
                "Next",
                "End",
            ],
            "Map" => &[
                "ItemProcessor",
                "Iterator",
                "ItemsPath",
                "ItemSelector",
                "Parameters",
                "MaxConcurrency",
                "MaxConcurrencyPath",
                "ToleratedFailureCount",
                "ToleratedFailureCountPath",
                "ToleratedFailurePercentage",
                "ToleratedFailurePercentagePath",
                "InputPath",
                "OutputPath",
                "ResultPath",
                "ResultSelector",
                "Retry",
                "Catch",
                "Next",
                "End",
                "Label",
            ],
            other => return Err(format!("unknown state type '{other}'")),
        };
        for key in self.obj.keys() {
            if key == "Type" || key == "Comment" || allowed.contains(&key.as_str()) {
                continue;
            }
            if UNSUPPORTED.contains(&key.as_str()) {
                return Err(format!("'{key}' (JSONata or variables) is not supported"));
            }
            return Err(format!("field '{key}' is not allowed in a {ty} state"));
        }
        if let Some(c) = self.obj.get("Comment")
            && !c.is_string()
        {
            return Err("'Comment' must be a string".into());
        }
        Ok(match ty {
            "Pass" => StateKind::Pass(PassState {
                io: self.io(false)?,
                result: self.obj.get("Result").cloned(),
                transition: self.transition()?,
            }),
            "Task" => self.task()?,
            "Choice" => self.choice()?,
            "Wait" => self.wait()?,
            "Succeed" => StateKind::Succeed(SucceedState {
                input_path: self.selection("InputPath")?,
                output_path: self.selection("OutputPath")?,
            }),
            "Fail" => self.fail()?,
            "Parallel" => self.parallel()?,
            "Map" => self.map()?,
            _ => unreachable!("type checked above"),
        })
    }

    fn str_field(&self, key: &str) -> R<Option<&str>> {
        match self.obj.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(format!("'{key}' must be a string")),
        }
    }

    fn path_field(&self, key: &str) -> R<Option<JsonPath>> {
        self.str_field(key)?
            .map(|s| JsonPath::parse(s).map_err(|e| format!("'{key}': {e}")))
            .transpose()
    }

    fn target(&self, name: &str, field: &str) -> R<usize> {
        self.index
            .get(name)
            .copied()
            .ok_or_else(|| format!("'{field}' names the state '{name}', which does not exist"))
    }

    fn transition(&self) -> R<Transition> {
        let next = self.str_field("Next")?;
        let end = match self.obj.get("End") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err("'End' must be a boolean".into()),
        };
        match (next, end) {
            (Some(_), true) => Err("a state cannot have both 'Next' and 'End'".into()),
            (Some(n), false) => Ok(Transition::Next(self.target(n, "Next")?)),
            (None, true) => Ok(Transition::End),
            (None, false) => Err("the state has neither 'Next' nor 'End: true'".into()),
        }
    }

    fn selection(&self, key: &str) -> R<Selection> {
        match self.obj.get(key) {
            None => Ok(Selection::Whole),
            Some(Value::Null) => Ok(Selection::Empty),
            Some(Value::String(s)) if s == "$" => Ok(Selection::Whole),
            Some(Value::String(s)) => JsonPath::parse(s)
                .map(Selection::Path)
                .map_err(|e| format!("'{key}': {e}")),
            Some(_) => Err(format!("'{key}' must be a string or null")),
        }
    }

    fn result_target(&self, key: &str, obj: &Map<String, Value>) -> R<ResultTarget> {
        result_target(obj.get(key), key)
    }

    fn template(&self, key: &str) -> R<Option<Template>> {
        self.obj
            .get(key)
            .map(|v| Template::compile(v).map_err(|e| format!("'{key}': {e}")))
            .transpose()
    }

    fn io(&self, result_selector: bool) -> R<IoConfig> {
        Ok(IoConfig {
            input_path: self.selection("InputPath")?,
            parameters: self.template("Parameters")?,
            result_selector: if result_selector {
                self.template("ResultSelector")?
            } else {
                None
            },
            result_path: self.result_target("ResultPath", self.obj)?,
            output_path: self.selection("OutputPath")?,
        })
    }

    fn task(&self) -> R<StateKind> {
        let resource = self.str_field("Resource")?.ok_or("missing 'Resource'")?;
        // The callback pattern is a suffix of the service integration's ARN
        // ("Service integration patterns", AWS developer guide).
        let (resource, wait_for_task_token) = match resource.strip_suffix(".waitForTaskToken") {
            Some(base) if base.starts_with("arn:aws:states:") => (base, true),
            _ => (resource, false),
        };
        let resource = parse_resource(resource)?;
        if wait_for_task_token && resource != TaskResource::LambdaInvoke {
            return Err("'.waitForTaskToken' is supported for lambda:invoke only".into());
        }
        let timeout_seconds = match self.obj.get("TimeoutSeconds") {
            None => None,
            Some(v) => Some(seconds_field("TimeoutSeconds", v, 1)?),
        };
        if timeout_seconds.is_some() && self.obj.contains_key("TimeoutSecondsPath") {
            return Err("'TimeoutSeconds' and 'TimeoutSecondsPath' are exclusive".into());
        }
        let heartbeat_seconds = super::heartbeat::heartbeat_seconds(self.obj, timeout_seconds)?;
        Ok(StateKind::Task(TaskState {
            io: self.io(true)?,
            resource,
            wait_for_task_token,
            timeout_seconds,
            timeout_seconds_path: self.path_field("TimeoutSecondsPath")?,
            heartbeat_seconds,
            heartbeat_seconds_path: self.path_field("HeartbeatSecondsPath")?,
            retry: self.retriers()?,
            catch: self.catchers()?,
            transition: self.transition()?,
        }))
    }

    fn retriers(&self) -> R<Vec<Retrier>> {
        let Some(v) = self.obj.get("Retry") else {
            return Ok(Vec::new());
        };
        let items = v.as_array().ok_or("'Retry' must be an array")?;
        items
            .iter()
            .map(|item| {
                let o = item.as_object().ok_or("'Retry' entries must be objects")?;
                for key in o.keys() {
                    if !matches!(
                        key.as_str(),
                        "ErrorEquals"
                            | "IntervalSeconds"
                            | "MaxAttempts"
                            | "BackoffRate"
                            | "MaxDelaySeconds"
                            | "JitterStrategy"
                            | "Comment"
                    ) {
                        return Err(format!("field '{key}' is not allowed in a retrier"));
                    }
                }
                let number = |key: &str, default: f64, min: f64, max: f64| -> R<f64> {
                    match o.get(key) {
                        None => Ok(default),
                        Some(v) => v.as_f64().filter(|n| (min..=max).contains(n)).ok_or_else(
                            || format!("retrier '{key}' must be a number from {min} to {max}"),
                        ),
                    }
                };
                let max_attempts = match o.get("MaxAttempts") {
                    None => 3,
                    Some(v) => v
                        .as_u64()
                        .filter(|&n| n <= MAX_RETRY_ATTEMPTS)
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| {
                            format!(
                                "retrier 'MaxAttempts' must be an integer from 0 to {MAX_RETRY_ATTEMPTS}"
                            )
                        })?,
                };
                let full_jitter = match o.get("JitterStrategy") {
                    None => false,
                    Some(v) if v == "FULL" => true,
                    Some(v) if v == "NONE" => false,
                    Some(_) => return Err("retrier 'JitterStrategy' must be FULL or NONE".into()),
                };
                Ok(Retrier {
                    error_equals: error_equals(o)?,
                    interval_seconds: number("IntervalSeconds", 1.0, 1.0, MAX_SECONDS as f64)?,
                    max_attempts,
                    backoff_rate: number("BackoffRate", 2.0, 1.0, f64::MAX)?,
                    max_delay_seconds: o
                        .get("MaxDelaySeconds")
                        .map(|v| {
                            v.as_f64()
                                .filter(|n| *n > 0.0 && *n <= MAX_RETRY_DELAY_SECONDS as f64)
                                .ok_or_else(|| {
                                    format!(
                                        "retrier 'MaxDelaySeconds' must be a positive number up to {MAX_RETRY_DELAY_SECONDS}"
                                    )
                                })
                        })
                        .transpose()?,
                    full_jitter,
                })
            })
            .collect()
    }

    fn catchers(&self) -> R<Vec<Catcher>> {
        let Some(v) = self.obj.get("Catch") else {
            return Ok(Vec::new());
        };
        let items = v.as_array().ok_or("'Catch' must be an array")?;
        items
            .iter()
            .map(|item| {
                let o = item.as_object().ok_or("'Catch' entries must be objects")?;
                for key in o.keys() {
                    if !matches!(
                        key.as_str(),
                        "ErrorEquals" | "ResultPath" | "Next" | "Comment"
                    ) {
                        return Err(format!("field '{key}' is not allowed in a catcher"));
                    }
                }
                let next = o
                    .get("Next")
                    .and_then(Value::as_str)
                    .ok_or("a catcher needs a 'Next' string")?;
                Ok(Catcher {
                    error_equals: error_equals(o)?,
                    result_path: self.result_target("ResultPath", o)?,
                    next: self.target(next, "Catch.Next")?,
                })
            })
            .collect()
    }

    fn choice(&self) -> R<StateKind> {
        let items = self
            .obj
            .get("Choices")
            .ok_or("missing 'Choices'")?
            .as_array()
            .filter(|a| !a.is_empty())
            .ok_or("'Choices' must be a non-empty array")?;
        let mut choices = Vec::with_capacity(items.len());
        for item in items {
            let o = item
                .as_object()
                .ok_or("'Choices' entries must be objects")?;
            let next = o
                .get("Next")
                .and_then(Value::as_str)
                .ok_or("every choice needs a 'Next' string")?;
            choices.push(ChoiceBranch {
                rule: ChoiceRule::parse(o, &["Next"])?,
                next: self.target(next, "Choices.Next")?,
            });
        }
        let default = self
            .str_field("Default")?
            .map(|d| self.target(d, "Default"))
            .transpose()?;
        Ok(StateKind::Choice(ChoiceState {
            input_path: self.selection("InputPath")?,
            output_path: self.selection("OutputPath")?,
            choices,
            default,
        }))
    }

    fn wait(&self) -> R<StateKind> {
        let mut found = Vec::new();
        for key in ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"] {
            if self.obj.contains_key(key) {
                found.push(key);
            }
        }
        if found.len() != 1 {
            return Err(
                "a Wait state needs exactly one of Seconds, Timestamp, SecondsPath, TimestampPath"
                    .into(),
            );
        }
        let wait = match found[0] {
            "Seconds" => WaitFor::Seconds(seconds_field("Seconds", &self.obj["Seconds"], 0)?),
            "Timestamp" => {
                let s = self.str_field("Timestamp")?.unwrap_or_default();
                WaitFor::Timestamp(
                    parse_timestamp(s)
                        .ok_or_else(|| format!("'Timestamp' is not a valid timestamp: {s}"))?,
                )
            }
            "SecondsPath" => WaitFor::SecondsPath(
                self.path_field("SecondsPath")?
                    .unwrap_or_else(|| unreachable!()),
            ),
            _ => WaitFor::TimestampPath(
                self.path_field("TimestampPath")?
                    .unwrap_or_else(|| unreachable!()),
            ),
        };
        Ok(StateKind::Wait(WaitState {
            input_path: self.selection("InputPath")?,
            output_path: self.selection("OutputPath")?,
            wait,
            transition: self.transition()?,
        }))
    }

    fn fail(&self) -> R<StateKind> {
        let text = |fixed: &str, path: &str| -> R<Option<TextSource>> {
            match (self.str_field(fixed)?, self.str_field(path)?) {
                (Some(_), Some(_)) => Err(format!("'{fixed}' and '{path}' are exclusive")),
                (Some(s), None) => Ok(Some(TextSource::Fixed(s.to_owned()))),
                (None, Some(p)) => Template::dynamic(p, path).map(|t| Some(TextSource::Path(t))),
                (None, None) => Ok(None),
            }
        };
        Ok(StateKind::Fail(FailState {
            error: text("Error", "ErrorPath")?,
            cause: text("Cause", "CausePath")?,
        }))
    }

    fn parallel(&self) -> R<StateKind> {
        let branches = self
            .obj
            .get("Branches")
            .ok_or("missing 'Branches'")?
            .as_array()
            .ok_or("'Branches' must be an array")?;
        let branches = branches
            .iter()
            .map(|b| sub_machine(b, "Branches"))
            .collect::<R<Vec<_>>>()?;
        Ok(StateKind::Parallel(ParallelState {
            io: self.io(true)?,
            branches,
            retry: self.retriers()?,
            catch: self.catchers()?,
            transition: self.transition()?,
        }))
    }

    fn map(&self) -> R<StateKind> {
        let (key, processor) = match (self.obj.get("ItemProcessor"), self.obj.get("Iterator")) {
            (Some(p), None) => ("ItemProcessor", p),
            (None, Some(p)) => ("Iterator", p),
            _ => {
                return Err(
                    "a Map state needs exactly one of 'ItemProcessor' and 'Iterator'".into(),
                );
            }
        };
        if let Some(mode) = processor.pointer("/ProcessorConfig/Mode")
            && mode != "INLINE"
        {
            return Err("only INLINE Map states are supported".into());
        }
        let processor = sub_machine(processor, key)?;
        let mut io = self.io(true)?;
        match (self.template("ItemSelector")?, io.parameters.take()) {
            (Some(_), Some(_)) => {
                return Err("'ItemSelector' and 'Parameters' are exclusive".into());
            }
            (a, b) => io.parameters = a.or(b),
        }
        let max_concurrency = match self.obj.get("MaxConcurrency") {
            None => 0,
            Some(v) => v
                .as_u64()
                .ok_or("'MaxConcurrency' must be a non-negative integer")?,
        };
        Ok(StateKind::Map(MapState {
            io,
            items_path: match self.selection("ItemsPath")? {
                Selection::Path(p) => Some(p),
                _ => None,
            },
            processor: Box::new(processor),
            max_concurrency,
            max_concurrency_path: self.path_field("MaxConcurrencyPath")?,
            tolerance: super::tolerance::FailureTolerance::parse(self.obj)?,
            retry: self.retriers()?,
            catch: self.catchers()?,
            transition: self.transition()?,
        }))
    }
}

fn sub_machine(value: &Value, field: &str) -> R<Definition> {
    let o = value
        .as_object()
        .ok_or_else(|| format!("'{field}' must contain state machine objects"))?;
    machine(o, false).map_err(|e| format!("in '{field}': {e}"))
}

fn result_target(value: Option<&Value>, key: &str) -> R<ResultTarget> {
    match value {
        None => Ok(ResultTarget::Replace),
        Some(Value::Null) => Ok(ResultTarget::Discard),
        Some(Value::String(s)) => {
            let path = JsonPath::parse(s).map_err(|e| format!("'{key}': {e}"))?;
            if path.is_context() {
                return Err(format!("'{key}' cannot point into the context object"));
            }
            match path.plain_segments() {
                Some([]) => Ok(ResultTarget::Replace),
                // Each segment is one level of the output: a longer path could only
                // build a document deeper than any state may hold.
                Some(segments) if segments.len() > MAX_DOCUMENT_DEPTH => Err(format!(
                    "'{key}' has more than {MAX_DOCUMENT_DEPTH} segments, more levels than a document may nest"
                )),
                Some(segments) => Ok(ResultTarget::At(segments.to_vec())),
                None => Err(format!(
                    "'{key}' must be a reference path (no wildcards or filters): {s}"
                )),
            }
        }
        Some(_) => Err(format!("'{key}' must be a string or null")),
    }
}

fn error_equals(o: &Map<String, Value>) -> R<Vec<String>> {
    let list = o
        .get("ErrorEquals")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or("'ErrorEquals' must be a non-empty array of strings")?;
    let names = list
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect::<Option<Vec<_>>>()
        .ok_or("'ErrorEquals' must be a non-empty array of strings")?;
    if names.iter().any(|n| n == "States.ALL") && names.len() > 1 {
        return Err("'States.ALL' must appear alone in 'ErrorEquals'".into());
    }
    Ok(names)
}

fn parse_resource(resource: &str) -> R<TaskResource> {
    let parts: Vec<&str> = resource.split(':').collect();
    if parts.len() >= 6 && parts[0] == "arn" && parts[2] == "states" && parts[5] == "lambda" {
        return match parts.get(6).copied() {
            Some("invoke") if parts.len() == 7 => Ok(TaskResource::LambdaInvoke),
            _ => Err(format!(
                "unsupported resource '{resource}' (lambda:invoke, optionally .waitForTaskToken, is supported; .sync is not)"
            )),
        };
    }
    if parts.len() >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function" {
        return Ok(TaskResource::LambdaFunction {
            arn: resource.to_owned(),
            function: parts[6].to_owned(),
        });
    }
    Err(format!(
        "unsupported resource '{resource}' (only Lambda functions are supported)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        load_definition(text).unwrap_err().to_string()
    }

    #[test]
    fn loads_a_small_machine_and_resolves_transitions() {
        let d = load_definition(
            r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Succeed"}}}"#,
        )
        .unwrap();
        assert_eq!(d.start_at, 0);
        match &d.states[0].kind {
            StateKind::Pass(p) => assert_eq!(p.transition, Transition::Next(1)),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn reports_the_state_and_the_reason() {
        assert_eq!(
            err(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nope"}}}"#),
            "state 'A': 'Next' names the state 'Nope', which does not exist"
        );
        assert_eq!(
            err(r#"{"StartAt":"Z","States":{"A":{"Type":"Pass","End":true}}}"#),
            "'StartAt' names the state 'Z', which does not exist"
        );
        assert_eq!(
            err(r#"{"StartAt":"A","States":{"A":{"Type":"Teleport","End":true}}}"#),
            "state 'A': unknown state type 'Teleport'"
        );
        assert_eq!(
            err(r#"{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":"5","End":true}}}"#),
            "state 'A': 'Seconds' must be a non-negative integer"
        );
        assert!(
            err(r#"{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":100000000,"End":true}}}"#)
                .contains("at most 99999999")
        );
        let long = "n".repeat(81);
        assert!(
            err(&format!(
                r#"{{"StartAt":"{long}","States":{{"{long}":{{"Type":"Pass","End":true}}}}}}"#
            ))
            .contains("at most 80 characters")
        );
        assert!(
            err(r#"{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":100000000}],"End":true}}}"#)
                .contains("MaxAttempts")
        );
        let huge = format!(
            r#"{{"Comment":"{}","StartAt":"A","States":{{"A":{{"Type":"Pass","End":true}}}}}}"#,
            "c".repeat(1 << 20)
        );
        assert!(err(&huge).contains("over Step Functions' limit"));
        assert!(err(r#"{"States":{}}"#).contains("missing 'StartAt'"));
        assert!(err(r#"{"StartAt":"A","States":{"A":{"Type":"Pass"}}}"#).contains("neither"));
        assert!(
            err(r#"{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","End":true}}}"#)
                .contains("unsupported resource")
        );
        assert!(
            err(
                r#"{"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$.a[*]","End":true}}}"#
            )
            .contains("reference path")
        );
        assert!(err("{").starts_with("the definition is not valid JSON"));
    }

    #[test]
    fn parses_lambda_resources() {
        assert_eq!(
            parse_resource("arn:aws:states:::lambda:invoke").unwrap(),
            TaskResource::LambdaInvoke
        );
        assert_eq!(
            parse_resource("arn:aws:lambda:us-east-1:111111111111:function:f").unwrap(),
            TaskResource::LambdaFunction {
                arn: "arn:aws:lambda:us-east-1:111111111111:function:f".into(),
                function: "f".into()
            }
        );
    }
}
