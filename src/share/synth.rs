//! A definition built from the states a history names, for a history opened without
//! one (a bare `aws stepfunctions get-execution-history` capture): the graph then shows
//! the path the execution took, drawn by the same layout as a real definition.
//!
//! States come in the order they were first entered, each with the type its
//! `<Type>StateEntered` event names. A state left normally gets a `Next` edge to the
//! state entered after it; a state that failed and was followed by another gets a
//! `Catch` edge (with the error seen); a state that saw its task scheduled again after
//! a failure gets a `Retry`; a state nothing followed gets `End`. The states
//! inside a Parallel or Map are drawn as one branch (the history does not say which
//! branch a state belongs to), in the order they were entered.

use serde_json::{Map, Value, json};

use crate::history::{EventDetails, EventType, HistoryEvent};

/// The Task resource every built Task names: the history's own resources may be
/// integrations the loader does not run, and the graph does not depend on it.
const TASK_RESOURCE: &str = "arn:aws:states:::lambda:invoke";
/// Catches every error.
const ALL_ERRORS: &str = "States.ALL";

#[derive(Debug, Default)]
struct Node {
    name: String,
    type_name: String,
    nexts: Vec<String>,
    catches: Vec<(String, String)>,
    retries: u32,
    wait_seconds: i64,
    body: Vec<HistoryEvent>,
}

/// The error a failure event names, if it is one.
fn failure(e: &HistoryEvent) -> Option<String> {
    let named = match &e.details {
        Some(EventDetails::TaskFailed(d) | EventDetails::TaskTimedOut(d)) => d.error.clone(),
        Some(EventDetails::LambdaFunctionFailed(d) | EventDetails::LambdaFunctionTimedOut(d)) => {
            d.error.clone()
        }
        _ => None,
    };
    match e.event_type {
        EventType::TaskFailed
        | EventType::TaskTimedOut
        | EventType::LambdaFunctionFailed
        | EventType::LambdaFunctionTimedOut
        | EventType::ParallelStateFailed
        | EventType::MapStateFailed => Some(named.unwrap_or_else(|| ALL_ERRORS.into())),
        _ => None,
    }
}

fn starts_body(t: EventType) -> bool {
    matches!(
        t,
        EventType::ParallelStateStarted | EventType::MapStateStarted
    )
}

fn ends_body(t: EventType) -> bool {
    matches!(
        t,
        EventType::ParallelStateSucceeded
            | EventType::ParallelStateFailed
            | EventType::ParallelStateAborted
            | EventType::MapStateSucceeded
            | EventType::MapStateFailed
            | EventType::MapStateAborted
    )
}

/// The state machine (ASL, as JSON) whose graph is the path `events` took.
pub fn asl_from_history(events: &[HistoryEvent]) -> Value {
    let mut nodes: Vec<Node> = Vec::new();
    // The visit under way: the node, whether it was left normally, the failure it saw,
    // how many times its task was scheduled, and when it was entered.
    let mut current: Option<usize> = None;
    let mut exited = false;
    let mut failed: Option<String> = None;
    let mut scheduled = 0u32;
    let mut entered_at = None;
    let mut depth = 0usize;
    for e in events {
        if depth > 0 {
            if starts_body(e.event_type) {
                depth += 1;
            } else if ends_body(e.event_type) {
                depth -= 1;
            }
            if depth > 0 {
                if let Some(i) = current {
                    nodes[i].body.push(e.clone());
                }
                continue;
            }
        }
        if starts_body(e.event_type) {
            depth = 1;
            continue;
        }
        if let Some(error) = failure(e) {
            failed = Some(error);
        }
        match (&e.details, e.event_type) {
            (Some(EventDetails::StateEntered(d)), t) if t.is_state_entered() => {
                let i = match nodes.iter().position(|n| n.name == d.name) {
                    Some(i) => i,
                    None => {
                        nodes.push(Node {
                            name: d.name.clone(),
                            type_name: t.as_str().trim_end_matches("StateEntered").to_string(),
                            ..Node::default()
                        });
                        nodes.len() - 1
                    }
                };
                if let Some(prev) = current {
                    let to = d.name.clone();
                    let node = &mut nodes[prev];
                    match failed.take() {
                        Some(error) if !exited => {
                            if !node.catches.contains(&(error.clone(), to.clone())) {
                                node.catches.push((error, to));
                            }
                        }
                        _ => {
                            if !node.nexts.contains(&to) {
                                node.nexts.push(to);
                            }
                        }
                    }
                }
                current = Some(i);
                (exited, failed, scheduled, entered_at) = (false, None, 0, Some(e.timestamp));
            }
            (_, t) if t.is_state_exited() => {
                exited = true;
                if let (Some(i), Some(at)) = (current, entered_at) {
                    let node = &mut nodes[i];
                    if node.type_name == "Wait" {
                        node.wait_seconds = node
                            .wait_seconds
                            .max((e.timestamp - at).num_milliseconds().div_euclid(1000));
                    }
                }
            }
            (_, EventType::TaskScheduled | EventType::LambdaFunctionScheduled) => {
                scheduled += 1;
                if let Some(i) = current {
                    nodes[i].retries = nodes[i].retries.max(scheduled.saturating_sub(1));
                }
            }
            _ => {}
        }
    }
    machine(nodes)
}

/// The ASL of the nodes, the first one the start.
fn machine(nodes: Vec<Node>) -> Value {
    let start = nodes
        .first()
        .map_or_else(|| "Unrecorded".to_string(), |n| n.name.clone());
    let mut states = Map::new();
    if nodes.is_empty() {
        states.insert(start.clone(), json!({"Type": "Pass", "End": true}));
    }
    for node in nodes {
        let name = node.name.clone();
        states.insert(name, state(node));
    }
    json!({
        "Comment": "Built from the states the history names: the path this execution took.",
        "StartAt": start,
        "States": states,
    })
}

fn state(node: Node) -> Value {
    let mut s = Map::new();
    let mut type_name = node.type_name.as_str();
    // A Choice needs a rule to leave by; one the execution never left is drawn as a Pass.
    if type_name == "Choice" && node.nexts.is_empty() {
        type_name = "Pass";
    }
    s.insert("Type".into(), type_name.into());
    match type_name {
        "Succeed" | "Fail" => return Value::Object(s),
        "Choice" => {
            let rules: Vec<Value> = node
                .nexts
                .iter()
                .map(|to| json!({"Variable": "$", "IsPresent": true, "Next": to}))
                .collect();
            s.insert("Choices".into(), rules.into());
            return Value::Object(s);
        }
        "Task" => {
            s.insert("Resource".into(), TASK_RESOURCE.into());
        }
        "Wait" => {
            s.insert("Seconds".into(), node.wait_seconds.max(0).into());
        }
        "Parallel" => {
            s.insert("Branches".into(), json!([asl_from_history(&node.body)]));
        }
        "Map" => {
            s.insert("Iterator".into(), asl_from_history(&node.body));
        }
        _ => {}
    }
    let can_fail = matches!(type_name, "Task" | "Parallel" | "Map");
    if can_fail && node.retries > 0 {
        s.insert(
            "Retry".into(),
            json!([{"ErrorEquals": [ALL_ERRORS], "MaxAttempts": node.retries}]),
        );
    }
    if can_fail && !node.catches.is_empty() {
        // Named errors first: States.ALL may only come last, once.
        let mut catches: Vec<Value> = node
            .catches
            .iter()
            .filter(|(error, _)| error != ALL_ERRORS)
            .map(|(error, to)| json!({"ErrorEquals": [error], "Next": to}))
            .collect();
        if let Some((_, to)) = node.catches.iter().find(|(error, _)| error == ALL_ERRORS) {
            catches.push(json!({"ErrorEquals": [ALL_ERRORS], "Next": to}));
        }
        s.insert("Catch".into(), catches.into());
    }
    match node.nexts.first() {
        Some(to) => s.insert("Next".into(), to.clone().into()),
        None => s.insert("End".into(), true.into()),
    };
    Value::Object(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asl::load_definition_value;
    use crate::asl::model::{StateKind, Transition};
    use crate::history::event::{ErrorDetails, StateEnteredDetails, TaskErrorDetails};
    use chrono::DateTime;

    /// A history built by hand: (seconds, type, entered state or failure error).
    fn history(steps: &[(i64, EventType, &str)]) -> Vec<HistoryEvent> {
        steps
            .iter()
            .enumerate()
            .map(|(i, &(at, event_type, name))| {
                let details = if event_type.is_state_entered() {
                    Some(EventDetails::StateEntered(StateEnteredDetails {
                        name: name.into(),
                        input: "{}".into(),
                        input_details: Default::default(),
                    }))
                } else if event_type == EventType::TaskFailed {
                    Some(EventDetails::TaskFailed(TaskErrorDetails {
                        resource_type: "lambda".into(),
                        resource: "invoke".into(),
                        error: Some(name.into()),
                        cause: None,
                    }))
                } else if event_type == EventType::ExecutionFailed {
                    Some(EventDetails::ExecutionFailed(ErrorDetails::default()))
                } else {
                    None
                };
                HistoryEvent {
                    timestamp: DateTime::from_timestamp(1_700_000_000 + at, 0).unwrap(),
                    event_type,
                    id: i as u64 + 1,
                    previous_event_id: i as u64,
                    details,
                }
            })
            .collect()
    }

    #[test]
    fn every_state_type_the_history_names_is_drawn_with_its_edges() {
        use EventType as T;
        let events = history(&[
            (0, T::ExecutionStarted, ""),
            (0, T::PassStateEntered, "Start"),
            (0, T::PassStateExited, ""),
            (0, T::ChoiceStateEntered, "Route"),
            (0, T::ChoiceStateExited, ""),
            (0, T::WaitStateEntered, "Pause"),
            (5, T::WaitStateExited, ""),
            (5, T::ParallelStateEntered, "Both"),
            (5, T::ParallelStateStarted, ""),
            (5, T::PassStateEntered, "Left"),
            (5, T::PassStateExited, ""),
            (5, T::PassStateEntered, "Right"),
            (5, T::PassStateExited, ""),
            (5, T::ParallelStateSucceeded, ""),
            (5, T::ParallelStateExited, ""),
            (5, T::MapStateEntered, "Each"),
            (5, T::MapStateStarted, ""),
            (5, T::MapIterationStarted, ""),
            (5, T::PassStateEntered, "Item"),
            (5, T::PassStateExited, ""),
            (5, T::MapIterationSucceeded, ""),
            (5, T::MapIterationStarted, ""),
            (5, T::PassStateEntered, "Item"),
            (5, T::PassStateExited, ""),
            (5, T::MapIterationSucceeded, ""),
            (5, T::MapStateSucceeded, ""),
            (5, T::MapStateExited, ""),
            (5, T::TaskStateEntered, "Work"),
            (5, T::TaskScheduled, ""),
            (6, T::TaskFailed, "Boom"),
            (7, T::TaskScheduled, ""),
            (8, T::TaskFailed, "Boom"),
            (8, T::PassStateEntered, "Undo"),
            (8, T::PassStateExited, ""),
            (8, T::FailStateEntered, "Failed"),
            (8, T::ExecutionFailed, ""),
        ]);
        let asl = asl_from_history(&events);
        let def = load_definition_value(&asl).unwrap_or_else(|e| panic!("{e}: {asl:#}"));
        let names: Vec<&str> = def.states.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Start", "Route", "Pause", "Both", "Each", "Work", "Undo", "Failed"
            ]
        );
        let types: Vec<&str> = def.states.iter().map(|s| s.kind.type_name()).collect();
        assert_eq!(
            types,
            [
                "Pass", "Choice", "Wait", "Parallel", "Map", "Task", "Pass", "Fail"
            ]
        );
        assert_eq!(asl["States"]["Pause"]["Seconds"], 5);
        assert_eq!(asl["States"]["Route"]["Choices"][0]["Next"], "Pause");
        let StateKind::Parallel(both) = &def.states[3].kind else {
            panic!("Both is a Parallel state");
        };
        let inner: Vec<&str> = both.branches[0]
            .states
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(inner, ["Left", "Right"]);
        let StateKind::Map(each) = &def.states[4].kind else {
            panic!("Each is a Map state");
        };
        assert_eq!(each.processor.states.len(), 1);
        assert_eq!(def.states[4].kind.type_name(), "Map");
        let StateKind::Task(work) = &def.states[5].kind else {
            panic!("Work is a Task state");
        };
        assert_eq!(work.retry[0].max_attempts, 1);
        assert_eq!(work.catch[0].error_equals, ["Boom"]);
        assert_eq!(def.states[work.catch[0].next].name, "Undo");
        assert!(matches!(work.transition, Transition::End));
    }

    #[test]
    fn a_history_that_entered_no_state_still_draws() {
        let events = history(&[(0, EventType::ExecutionStarted, "")]);
        let def = load_definition_value(&asl_from_history(&events)).unwrap();
        assert_eq!(def.states.len(), 1);
    }
}
