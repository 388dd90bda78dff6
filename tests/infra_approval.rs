//! Agreement of the approval machine (`infra/statemachine/saga-approval.asl.json`)
//! with the seed's saga, the handler code, the SAM template and the moto stand-in
//! (`scripts/moto/saga_stack.py`).
//!
//! The approval machine is the seed's saga with one detour: ReserveFlight goes to
//! RequestApproval instead of TakePayment. Pinning that here keeps the two machines
//! from drifting apart. As in `infra_agreement.rs`, every check collects problems, and
//! broken copies prove each can fail. The template is written with long-form
//! intrinsics only (`infra_agreement.rs` checks that), so plain YAML reads it.

use std::collections::BTreeSet;
use std::path::PathBuf;

use saga_lambdas::approval::approval_item;
use saga_lambdas::{RunType, Step, TripRequest};
use serde_json::{Value, json};

const SEED_ASL: &str = "infra/statemachine/saga.asl.json";
const APPROVAL_ASL: &str = "infra/statemachine/saga-approval.asl.json";
const TEMPLATE: &str = "infra/template.yaml";
const MACHINE: &str = "ApprovalStateMachine";
/// The states the approval machine adds to the seed's.
const ADDED: [&str; 3] = ["RequestApproval", "CloseApproval", "WithdrawApproval"];

fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn read(relative: &str) -> String {
    let path = repo_path(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn json_file(relative: &str) -> Value {
    serde_json::from_str(&read(relative)).unwrap_or_else(|e| panic!("parsing {relative}: {e}"))
}

fn template() -> Value {
    serde_yaml_ng::from_str(&read(TEMPLATE)).unwrap_or_else(|e| panic!("parsing {TEMPLATE}: {e}"))
}

fn invoke_of(state: &Value) -> Option<&str> {
    state["Parameters"]["FunctionName"].as_str()
}

/// The approval machine is the seed's, plus the approval detour.
fn check_definition(seed: &Value, approval: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let (Some(seed_states), Some(states)) =
        (seed["States"].as_object(), approval["States"].as_object())
    else {
        return vec!["a definition has no States".into()];
    };
    if approval["StartAt"] != seed["StartAt"] {
        problems.push(format!("StartAt is {}", approval["StartAt"]));
    }
    for (name, want) in seed_states {
        let mut want = want.clone();
        if name == "ReserveFlight" {
            want["Next"] = json!("RequestApproval");
        }
        if states.get(name) != Some(&want) {
            problems.push(format!("state {name} differs from the seed's"));
        }
    }
    for name in states.keys() {
        if !seed_states.contains_key(name) && !ADDED.contains(&name.as_str()) {
            problems.push(format!("unexpected state {name}"));
        }
    }
    let request = &approval["States"]["RequestApproval"];
    if request["Resource"] != "arn:aws:states:::lambda:invoke.waitForTaskToken" {
        problems.push(format!(
            "RequestApproval Resource is {}",
            request["Resource"]
        ));
    }
    if request["Parameters"]["Payload"]["task_token.$"] != "$$.Task.Token" {
        problems.push("RequestApproval does not pass $$.Task.Token".into());
    }
    let (heartbeat, timeout) = (
        request["HeartbeatSeconds"].as_u64(),
        request["TimeoutSeconds"].as_u64(),
    );
    match (heartbeat, timeout) {
        (Some(h), Some(t)) if h < t => {
            let execution = approval["TimeoutSeconds"].as_u64().unwrap_or(0);
            if execution <= t {
                problems.push(format!(
                    "the execution's TimeoutSeconds ({execution}) does not outlast the approval's ({t})"
                ));
            }
        }
        _ => problems.push(format!(
            "RequestApproval needs HeartbeatSeconds < TimeoutSeconds, has {heartbeat:?} and {timeout:?}"
        )),
    }
    let catch_all = request["Catch"].as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["ErrorEquals"] == json!(["States.ALL"]) && c["Next"] == "WithdrawApproval")
    });
    if !catch_all {
        problems.push(
            "a rejection or timeout of RequestApproval is not caught into WithdrawApproval".into(),
        );
    }
    for (name, next, decision) in [
        ("CloseApproval", "TakePayment", "approved"),
        ("WithdrawApproval", "CancelFlightReservation", "withdrawn"),
    ] {
        let s = &approval["States"][name];
        if s["Next"] != next {
            problems.push(format!("{name} goes to {}, expected {next}", s["Next"]));
        }
        if s["Parameters"]["Payload"]["decision"] != decision {
            problems.push(format!(
                "{name} does not remove the approval row ({decision})"
            ));
        }
    }
    for name in ADDED {
        let s = &approval["States"][name];
        if invoke_of(s) != Some("${RequestApprovalFunctionArn}") {
            problems.push(format!("{name} does not invoke request-approval"));
        }
        if s["Parameters"]["Payload"]["execution.$"] != "$$.Execution.Id" {
            problems.push(format!("{name} does not name its execution"));
        }
    }
    // The withdrawal compensates: retried like the other compensations, never caught.
    let withdraw = &approval["States"]["WithdrawApproval"];
    if withdraw["Retry"] != seed["States"]["RefundPayment"]["Retry"] || !withdraw["Catch"].is_null()
    {
        problems.push("WithdrawApproval is not retried like the compensations".into());
    }
    problems
}

fn placeholders(text: &str) -> BTreeSet<String> {
    text.split("${")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(p, _)| p.to_string()))
        .collect()
}

/// The template deploys the approval machine with the same functions, wired right,
/// may invoke exactly those, and names it in an output; request-approval may write
/// only the approval row's attributes.
fn check_template(template: &Value, approval_text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let resources = &template["Resources"];
    let machine = &resources[MACHINE];
    if machine["Type"] != "AWS::Serverless::StateMachine" {
        return vec![format!("no {MACHINE} state machine")];
    }
    let props = &machine["Properties"];
    if props["Type"] != "STANDARD" {
        problems.push(format!("{MACHINE} Type is {}", props["Type"]));
    }
    if props["DefinitionUri"] != "statemachine/saga-approval.asl.json" {
        problems.push(format!(
            "{MACHINE} DefinitionUri is {}",
            props["DefinitionUri"]
        ));
    }
    let substitutions = props["DefinitionSubstitutions"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let keys: BTreeSet<String> = substitutions.keys().cloned().collect();
    if keys != placeholders(approval_text) {
        problems.push(format!(
            "substitutions {keys:?} are not the definition's placeholders {:?}",
            placeholders(approval_text)
        ));
    }
    let mut functions = BTreeSet::new();
    for (key, value) in &substitutions {
        let Some(step) = Step::ALL.into_iter().find(|s| s.arn_placeholder() == key) else {
            problems.push(format!("substitution {key} names no step"));
            continue;
        };
        let target = value["Fn::GetAtt"][0].as_str().unwrap_or("");
        let binary = resources[target]["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or("");
        if binary != step.function_name() || value["Fn::GetAtt"][1] != "Arn" {
            problems.push(format!(
                "substitution {key} is {value}, expected the Arn of the {} function",
                step.function_name()
            ));
        }
        functions.insert(target.to_string());
    }
    let mut invoked = BTreeSet::new();
    for statement in props["Policies"][0]["Statement"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if statement["Action"] != json!(["lambda:InvokeFunction"]) {
            problems.push(format!("{MACHINE} may {}", statement["Action"]));
        }
        for r in statement["Resource"].as_array().into_iter().flatten() {
            let id = r["Fn::GetAtt"][0].as_str().map(str::to_string).or_else(|| {
                let sub = r["Fn::Sub"].as_str()?;
                Some(sub.strip_prefix("${")?.strip_suffix(".Arn}:*")?.to_string())
            });
            match id {
                Some(id) => {
                    invoked.insert(id);
                }
                None => problems.push(format!("{MACHINE} policy resource {r} is not a function")),
            }
        }
    }
    if invoked != functions {
        problems.push(format!(
            "{MACHINE} may invoke {invoked:?}, expected exactly {functions:?}"
        ));
    }
    if template["Outputs"]["ApprovalStateMachineArn"]["Value"] != json!({"Ref": MACHINE}) {
        problems.push("output ApprovalStateMachineArn is not the approval machine".into());
    }
    // What request-approval may write is exactly what it writes.
    let trip = TripRequest::example("t", RunType::Success, 0.0);
    let written: BTreeSet<String> = approval_item(&trip, "arn:x:execution:m:e", "token")
        .into_keys()
        .collect();
    let statements =
        &resources["RequestApprovalFunction"]["Properties"]["Policies"][0]["Statement"];
    let put = statements
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["Action"] == json!(["dynamodb:PutItem"]));
    let allowed: BTreeSet<String> = put
        .and_then(|s| s["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect();
    if allowed != written {
        problems.push(format!(
            "request-approval may write {allowed:?}, but writes {written:?}"
        ));
    }
    problems
}

/// The moto stand-in creates the function and the machine, and the output.
fn check_moto_stack(script: &str) -> Vec<String> {
    [
        r#"("request-approval", "RequestApprovalFunctionArn")"#,
        r#""saga-approval.asl.json""#,
        r#""ApprovalStateMachineArn""#,
    ]
    .into_iter()
    .filter(|needle| !script.contains(needle))
    .map(|needle| format!("scripts/moto/saga_stack.py lacks {needle}"))
    .collect()
}

fn assert_none(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}:\n  - {}",
        problems.join("\n  - ")
    );
}

fn assert_reported(problems: &[String], needle: &str) {
    assert!(
        problems.iter().any(|p| p.contains(needle)),
        "no problem mentions {needle:?}: {problems:?}"
    );
}

#[test]
fn the_approval_machine_is_the_seed_with_the_approval_detour() {
    assert_none(
        APPROVAL_ASL,
        &check_definition(&json_file(SEED_ASL), &json_file(APPROVAL_ASL)),
    );
}

#[test]
fn the_template_deploys_the_approval_machine_with_least_privilege() {
    assert_none(TEMPLATE, &check_template(&template(), &read(APPROVAL_ASL)));
}

#[test]
fn the_moto_stand_in_deploys_it_too() {
    assert_none(
        "saga_stack.py",
        &check_moto_stack(&read("scripts/moto/saga_stack.py")),
    );
}

#[test]
fn the_checks_reject_broken_copies() {
    let seed = json_file(SEED_ASL);
    let approval = json_file(APPROVAL_ASL);

    let mut bad = approval.clone();
    bad["States"]["TakePayment"]["Retry"] = json!([]);
    assert_reported(&check_definition(&seed, &bad), "state TakePayment differs");

    let mut bad = approval.clone();
    bad["States"]["RequestApproval"]["HeartbeatSeconds"] = json!(300);
    assert_reported(
        &check_definition(&seed, &bad),
        "HeartbeatSeconds < TimeoutSeconds",
    );

    let mut bad = approval.clone();
    bad["States"]["RequestApproval"]["Catch"] = json!([]);
    assert_reported(
        &check_definition(&seed, &bad),
        "not caught into WithdrawApproval",
    );

    let mut bad = approval.clone();
    bad["States"]["CloseApproval"]["Parameters"]["Payload"]
        .as_object_mut()
        .expect("payload")
        .remove("decision");
    assert_reported(
        &check_definition(&seed, &bad),
        "CloseApproval does not remove",
    );

    let mut bad = approval.clone();
    bad["TimeoutSeconds"] = json!(300);
    assert_reported(&check_definition(&seed, &bad), "does not outlast");

    let text = read(APPROVAL_ASL);
    let mut bad = template();
    bad["Resources"][MACHINE]["Properties"]["DefinitionSubstitutions"]["TakePaymentFunctionArn"] =
        json!({"Fn::GetAtt": ["RefundPaymentFunction", "Arn"]});
    assert_reported(
        &check_template(&bad, &text),
        "expected the Arn of the take-payment",
    );

    let mut bad = template();
    bad["Resources"][MACHINE]["Properties"]["Policies"][0]["Statement"][0]["Resource"]
        .as_array_mut()
        .expect("resources")
        .push(json!({"Fn::GetAtt": ["StartSagaFunction", "Arn"]}));
    assert_reported(&check_template(&bad, &text), "may invoke");

    let mut bad = template();
    bad["Resources"]["RequestApprovalFunction"]["Properties"]["Policies"][0]["Statement"][0]["Condition"] =
        Value::Null;
    assert_reported(&check_template(&bad, &text), "request-approval may write");

    let mut bad = template();
    bad["Outputs"]
        .as_object_mut()
        .expect("outputs")
        .remove("ApprovalStateMachineArn");
    assert_reported(
        &check_template(&bad, &text),
        "output ApprovalStateMachineArn",
    );

    assert_reported(&check_moto_stack("FUNCTIONS = []"), "request-approval");
}
