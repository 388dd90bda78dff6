//! Agreement between the Step Functions definition (`infra/statemachine/saga.asl.json`),
//! the SAM template (`infra/template.yaml`) and the saga's intended shape.
//!
//! The same ASL file is deployed to AWS and run by the embedded runtime, so its
//! shape is pinned here state by state. The template must wire every
//! `${...}` placeholder in it to the right Lambda binary, and nothing else.
//!
//! Every check collects human-readable problems instead of panicking on the first
//! one; the `*_rejects_*` tests feed deliberately broken copies through the same
//! checks to prove that they can fail.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

const ASL_PATH: &str = "infra/statemachine/saga.asl.json";
const TEMPLATE_PATH: &str = "infra/template.yaml";
const SHORT_FORM_FIXTURE: &str = "tests/fixtures/short_form_intrinsics.yaml";

const SUCCEED_STATE: &str = "We have made your booking!";
const FAIL_STATE: &str = "Sorry, We Couldn't make the booking";

const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";
const LAMBDA_SERVICE_ERRORS: [&str; 4] = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
];

/// How a Task reacts to an error of its Lambda.
#[derive(Clone, Copy, Debug)]
enum OnError {
    /// Forward step: caught (`States.ALL`), error stored at `$.<State>Error`,
    /// then the named compensation runs.
    CatchTo(&'static str),
    /// Compensation: retried on `States.ALL`, never caught.
    RetryOnly,
}

#[derive(Clone, Copy, Debug)]
enum Expected {
    Task {
        /// Name of the `${...}` placeholder used as FunctionName.
        placeholder: &'static str,
        /// Cargo binary that the placeholder must resolve to in the template.
        binary: &'static str,
        next: &'static str,
        on_error: OnError,
    },
    Succeed,
    Fail {
        error: &'static str,
    },
}

/// The saga, in the order the states appear in the definition.
const SAGA: [(&str, Expected); 10] = [
    (
        "ReserveHotel",
        Expected::Task {
            placeholder: "ReserveHotelFunctionArn",
            binary: "reserve-hotel",
            next: "ReserveFlight",
            on_error: OnError::CatchTo("CancelHotelReservation"),
        },
    ),
    (
        "ReserveFlight",
        Expected::Task {
            placeholder: "ReserveFlightFunctionArn",
            binary: "reserve-flight",
            next: "TakePayment",
            on_error: OnError::CatchTo("CancelFlightReservation"),
        },
    ),
    (
        "TakePayment",
        Expected::Task {
            placeholder: "TakePaymentFunctionArn",
            binary: "take-payment",
            next: "ConfirmHotelBooking",
            on_error: OnError::CatchTo("RefundPayment"),
        },
    ),
    (
        "ConfirmHotelBooking",
        Expected::Task {
            placeholder: "ConfirmHotelFunctionArn",
            binary: "confirm-hotel",
            next: "ConfirmFlight",
            on_error: OnError::CatchTo("RefundPayment"),
        },
    ),
    (
        "ConfirmFlight",
        Expected::Task {
            placeholder: "ConfirmFlightFunctionArn",
            binary: "confirm-flight",
            next: SUCCEED_STATE,
            on_error: OnError::CatchTo("RefundPayment"),
        },
    ),
    (SUCCEED_STATE, Expected::Succeed),
    (
        "RefundPayment",
        Expected::Task {
            placeholder: "RefundPaymentFunctionArn",
            binary: "refund-payment",
            next: "CancelFlightReservation",
            on_error: OnError::RetryOnly,
        },
    ),
    (
        "CancelFlightReservation",
        Expected::Task {
            placeholder: "CancelFlightFunctionArn",
            binary: "cancel-flight",
            next: "CancelHotelReservation",
            on_error: OnError::RetryOnly,
        },
    ),
    (
        "CancelHotelReservation",
        Expected::Task {
            placeholder: "CancelHotelFunctionArn",
            binary: "cancel-hotel",
            next: FAIL_STATE,
            on_error: OnError::RetryOnly,
        },
    ),
    (
        FAIL_STATE,
        Expected::Fail {
            error: "BookingFailed",
        },
    ),
];

/// The second state machine (the saga with a human approval), checked by
/// `tests/infra_approval.rs`; the checks here are the seed's machine's.
const APPROVAL_MACHINE: &str = "ApprovalStateMachine";

/// Binary -> environment variable it needs -> IAM actions it may perform.
const FUNCTIONS: [(&str, &str, &[&str]); 10] = [
    ("reserve-hotel", "TABLE_NAME", &["dynamodb:PutItem"]),
    ("reserve-flight", "TABLE_NAME", &["dynamodb:PutItem"]),
    ("take-payment", "TABLE_NAME", &["dynamodb:PutItem"]),
    ("confirm-hotel", "TABLE_NAME", &["dynamodb:UpdateItem"]),
    ("confirm-flight", "TABLE_NAME", &["dynamodb:UpdateItem"]),
    // The compensations also read the failure-rate configuration item (and only it:
    // see `CONFIG_ONLY`).
    (
        "cancel-hotel",
        "TABLE_NAME",
        &["dynamodb:DeleteItem", "dynamodb:GetItem"],
    ),
    (
        "cancel-flight",
        "TABLE_NAME",
        &["dynamodb:DeleteItem", "dynamodb:GetItem"],
    ),
    (
        "refund-payment",
        "TABLE_NAME",
        &["dynamodb:DeleteItem", "dynamodb:GetItem"],
    ),
    (
        "request-approval",
        "TABLE_NAME",
        &["dynamodb:PutItem", "dynamodb:DeleteItem"],
    ),
    (
        "start-saga",
        "STATE_MACHINE_ARN",
        &["states:StartExecution"],
    ),
];

/// Actions a function may perform only on the table's configuration items: a
/// statement granting one of them must grant nothing else and carry exactly the
/// condition [`config_only_condition`].
const CONFIG_ONLY: [&str; 1] = ["dynamodb:GetItem"];

/// `dynamodb:LeadingKeys` limited to the configuration items' partition key.
fn config_only_condition() -> Value {
    json!({
        "ForAllValues:StringEquals": {
            "dynamodb:LeadingKeys": [saga_lambdas::settings::CONFIG_PK]
        }
    })
}

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn read(relative: &str) -> String {
    let path = repo_path(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn load_asl() -> Value {
    serde_json::from_str(&read(ASL_PATH)).unwrap_or_else(|e| panic!("parsing {ASL_PATH}: {e}"))
}

fn load_template() -> Value {
    parse_cfn_yaml(&read(TEMPLATE_PATH)).unwrap_or_else(|e| panic!("parsing {TEMPLATE_PATH}: {e}"))
}

/// Parses a CloudFormation YAML document into JSON, rewriting short-form
/// intrinsic tags (`!Ref X`, `!GetAtt A.B`, `!Sub s`, ...) into their long form
/// (`{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "B"]}`, `{"Fn::Sub": "s"}`, ...), so the
/// checks below see one representation whichever form the template uses.
fn parse_cfn_yaml(text: &str) -> Result<Value, String> {
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
    yaml_to_json(yaml)
}

fn yaml_to_json(value: serde_yaml_ng::Value) -> Result<Value, String> {
    use serde_yaml_ng::Value as Y;
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(u) = n.as_u64() {
                json!(u)
            } else if let Some(i) = n.as_i64() {
                json!(i)
            } else {
                let f = n
                    .as_f64()
                    .ok_or_else(|| format!("unrepresentable number {n}"))?;
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .ok_or_else(|| format!("non-finite number {n}"))?
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(yaml_to_json)
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(mapping) => {
            let mut out = Map::new();
            for (k, v) in mapping {
                let key = match k {
                    Y::String(s) => s,
                    Y::Bool(b) => b.to_string(),
                    Y::Number(n) => n.to_string(),
                    other => return Err(format!("unsupported mapping key {other:?}")),
                };
                out.insert(key, yaml_to_json(v)?);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => {
            let name = tagged.tag.to_string();
            let name = name.trim_start_matches('!');
            let inner = yaml_to_json(tagged.value)?;
            match name {
                "Ref" | "Condition" => json!({ name: inner }),
                "GetAtt" => match inner {
                    Value::String(s) => {
                        let (resource, attribute) = s
                            .split_once('.')
                            .ok_or_else(|| format!("!GetAtt {s:?} has no attribute"))?;
                        json!({ "Fn::GetAtt": [resource, attribute] })
                    }
                    other => json!({ "Fn::GetAtt": other }),
                },
                _ => json!({ format!("Fn::{name}"): inner }),
            }
        }
    })
}

// ---------------------------------------------------------------------------
// Reading values
// ---------------------------------------------------------------------------

/// Rewrites every number as an f64 so that `2` and `2.0` compare equal, as they
/// do for Step Functions.
fn numbers_as_f64(value: &Value) -> Value {
    match value {
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| value.clone(), Value::Number),
        Value::Array(items) => Value::Array(items.iter().map(numbers_as_f64).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), numbers_as_f64(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn is_non_blank_str(value: &Value) -> bool {
    value.as_str().is_some_and(|s| !s.trim().is_empty())
}

/// Every `${Name}` placeholder in any string of the document (keys included).
fn placeholders(value: &Value) -> BTreeSet<String> {
    fn scan(text: &str, found: &mut BTreeSet<String>) {
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            match after.find('}') {
                Some(end) => {
                    found.insert(after[..end].to_string());
                    rest = &after[end + 1..];
                }
                None => {
                    // An unterminated placeholder is recorded verbatim so that
                    // it cannot match any substitution.
                    found.insert(format!("<unterminated>{after}"));
                    break;
                }
            }
        }
    }
    fn walk(value: &Value, found: &mut BTreeSet<String>) {
        match value {
            Value::String(s) => scan(s, found),
            Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
            Value::Object(map) => {
                for (k, v) in map {
                    scan(k, found);
                    walk(v, found);
                }
            }
            _ => {}
        }
    }
    let mut found = BTreeSet::new();
    walk(value, &mut found);
    found
}

/// The logical id referenced by `{"Fn::GetAtt": [Id, Attr]}` or
/// `{"Fn::GetAtt": "Id.Attr"}`, if the attribute is `attribute`.
fn get_att_target<'a>(value: &'a Value, attribute: &str) -> Option<&'a str> {
    let obj = value.as_object()?;
    if obj.len() != 1 {
        return None;
    }
    match obj.get("Fn::GetAtt")? {
        Value::Array(parts) if parts.len() == 2 => {
            (parts[1].as_str()? == attribute).then_some(parts[0].as_str()?)
        }
        Value::String(s) => {
            let (id, attr) = s.split_once('.')?;
            (attr == attribute).then_some(id)
        }
        _ => None,
    }
}

/// The logical id referenced by `{"Ref": Id}`.
fn ref_target(value: &Value) -> Option<&str> {
    let obj = value.as_object()?;
    if obj.len() != 1 {
        return None;
    }
    obj.get("Ref")?.as_str()
}

/// Either a single value or a list of values, as IAM allows for Action/Resource.
fn one_or_many(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v) => vec![v],
        None => vec![],
    }
}

fn resources(template: &Value) -> &Map<String, Value> {
    template["Resources"]
        .as_object()
        .expect("the template has a Resources mapping")
}

fn resources_of_type<'a>(template: &'a Value, ty: &str) -> Vec<(&'a str, &'a Value)> {
    resources(template)
        .iter()
        .filter(|(_, r)| r["Type"] == ty)
        .map(|(id, r)| (id.as_str(), r))
        .collect()
}

/// Binary name -> logical id of the AWS::Serverless::Function building it.
/// Functions without a Binary, or with a Binary used twice, are reported.
fn functions_by_binary(template: &Value, problems: &mut Vec<String>) -> BTreeMap<String, String> {
    let mut by_binary = BTreeMap::new();
    for (id, resource) in resources_of_type(template, "AWS::Serverless::Function") {
        let Some(binary) = resource["Metadata"]["BuildProperties"]["Binary"].as_str() else {
            problems.push(format!(
                "function {id} has no Metadata.BuildProperties.Binary"
            ));
            continue;
        };
        if let Some(previous) = by_binary.insert(binary.to_string(), id.to_string()) {
            problems.push(format!(
                "binary {binary} is built by both {previous} and {id}"
            ));
        }
    }
    by_binary
}

/// A function property, falling back to `Globals.Function` as SAM does.
fn function_property<'a>(template: &'a Value, function: &'a Value, key: &str) -> &'a Value {
    match &function["Properties"][key] {
        Value::Null => &template["Globals"]["Function"][key],
        v => v,
    }
}

fn the_state_machine(template: &Value, problems: &mut Vec<String>) -> Option<(String, Value)> {
    let machines: Vec<_> = resources_of_type(template, "AWS::Serverless::StateMachine")
        .into_iter()
        .filter(|(id, _)| *id != APPROVAL_MACHINE)
        .collect();
    if machines.len() != 1 {
        problems.push(format!(
            "expected exactly one AWS::Serverless::StateMachine, found {}",
            machines.len()
        ));
        return None;
    }
    let (id, machine) = machines[0];
    Some((id.to_string(), machine.clone()))
}

fn expected_state(name: &str, expected: Expected) -> Value {
    match expected {
        Expected::Succeed => json!({ "Type": "Succeed" }),
        Expected::Fail { error } => json!({ "Type": "Fail", "Error": error }),
        Expected::Task {
            placeholder,
            next,
            on_error,
            ..
        } => {
            let mut retry = vec![json!({
                "ErrorEquals": LAMBDA_SERVICE_ERRORS,
                "IntervalSeconds": 2,
                "MaxAttempts": 6,
                "BackoffRate": 2.0,
            })];
            let mut state = json!({
                "Type": "Task",
                "Resource": LAMBDA_INVOKE,
                "Parameters": {
                    "FunctionName": format!("${{{placeholder}}}"),
                    "Payload.$": "$",
                },
                "ResultSelector": { "Payload.$": "$.Payload" },
                "ResultPath": format!("$.{name}Result"),
                "Next": next,
            });
            match on_error {
                OnError::CatchTo(handler) => {
                    state["Catch"] = json!([{
                        "ErrorEquals": ["States.ALL"],
                        "ResultPath": format!("$.{name}Error"),
                        "Next": handler,
                    }]);
                }
                OnError::RetryOnly => retry.push(json!({
                    "ErrorEquals": ["States.ALL"],
                    "IntervalSeconds": 1,
                    "MaxAttempts": 3,
                    "BackoffRate": 2.0,
                })),
            }
            state["Retry"] = Value::Array(retry);
            state
        }
    }
}

// ---------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------

/// The definition has exactly the states, order, transitions, retries and
/// catches of `SAGA`.
fn check_definition(asl: &Value) -> Vec<String> {
    let mut problems = Vec::new();

    if asl["StartAt"] != SAGA[0].0 {
        problems.push(format!(
            "StartAt is {}, expected {:?}",
            asl["StartAt"], SAGA[0].0
        ));
    }
    if numbers_as_f64(&asl["TimeoutSeconds"]) != numbers_as_f64(&json!(300)) {
        problems.push(format!(
            "TimeoutSeconds is {}, expected 300",
            asl["TimeoutSeconds"]
        ));
    }
    if !is_non_blank_str(&asl["Comment"]) {
        problems.push("top-level Comment is missing or empty".to_string());
    }
    let allowed_top: BTreeSet<&str> = ["Comment", "StartAt", "TimeoutSeconds", "States"].into();
    if let Some(top) = asl.as_object() {
        for key in top.keys() {
            if !allowed_top.contains(key.as_str()) {
                problems.push(format!("unexpected top-level field {key:?}"));
            }
        }
    }

    let Some(states) = asl["States"].as_object() else {
        problems.push("States is missing or not an object".to_string());
        return problems;
    };
    let actual_order: Vec<&str> = states.keys().map(String::as_str).collect();
    let expected_order: Vec<&str> = SAGA.iter().map(|(name, _)| *name).collect();
    if actual_order != expected_order {
        problems.push(format!(
            "state order is {actual_order:?}, expected {expected_order:?}"
        ));
    }

    for (name, expected) in SAGA {
        let Some(actual) = states.get(name) else {
            problems.push(format!("state {name:?} is missing"));
            continue;
        };
        // A Fail state's Cause is free text for people; it only has to exist.
        let is_fail = matches!(expected, Expected::Fail { .. });
        if is_fail && !is_non_blank_str(&actual["Cause"]) {
            problems.push(format!("Fail state {name:?} has no Cause"));
        }
        let expected = expected_state(name, expected);
        let (Some(actual_fields), Some(expected_fields)) =
            (actual.as_object(), expected.as_object())
        else {
            problems.push(format!("state {name:?} is not an object"));
            continue;
        };
        let keys: BTreeSet<&String> = actual_fields.keys().chain(expected_fields.keys()).collect();
        for key in keys {
            if is_fail && key == "Cause" {
                continue;
            }
            let (a, e) = (&actual[key.as_str()], &expected[key.as_str()]);
            if numbers_as_f64(a) != numbers_as_f64(e) {
                problems.push(format!(
                    "state {name:?} field {key}: found {a}, expected {e}"
                ));
            }
        }
    }
    for name in states.keys() {
        if !SAGA.iter().any(|(n, _)| n == name) {
            problems.push(format!("unexpected state {name:?}"));
        }
    }
    problems
}

/// Placeholders in the definition and DefinitionSubstitutions match one to
/// one, and each placeholder resolves to the Arn of the function building the
/// binary `SAGA` assigns to it.
fn check_substitutions(asl: &Value, template: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let Some((machine_id, machine)) = the_state_machine(template, &mut problems) else {
        return problems;
    };
    let substitutions = machine["Properties"]["DefinitionSubstitutions"]
        .as_object()
        .cloned()
        .unwrap_or_default();

    let in_definition = placeholders(asl);
    let in_template: BTreeSet<String> = substitutions.keys().cloned().collect();
    for missing in in_definition.difference(&in_template) {
        problems.push(format!(
            "placeholder ${{{missing}}} in {ASL_PATH} has no DefinitionSubstitutions entry in {machine_id}"
        ));
    }
    for unused in in_template.difference(&in_definition) {
        problems.push(format!(
            "DefinitionSubstitutions entry {unused} of {machine_id} is not used in {ASL_PATH}"
        ));
    }

    let known_binaries: BTreeSet<&str> = FUNCTIONS.iter().map(|(b, _, _)| *b).collect();
    let wanted: BTreeMap<&str, &str> = SAGA
        .iter()
        .filter_map(|(_, e)| match e {
            Expected::Task {
                placeholder,
                binary,
                ..
            } => Some((*placeholder, *binary)),
            _ => None,
        })
        .collect();
    let all_resources = resources(template);
    for (key, value) in &substitutions {
        let Some(target) = get_att_target(value, "Arn") else {
            problems.push(format!(
                "substitution {key} is {value}, expected the Arn of a function via Fn::GetAtt"
            ));
            continue;
        };
        let Some(resource) = all_resources.get(target) else {
            problems.push(format!(
                "substitution {key} references {target}, which is not a resource of the template"
            ));
            continue;
        };
        if resource["Type"] != "AWS::Serverless::Function" {
            problems.push(format!(
                "substitution {key} references {target} of type {}, expected AWS::Serverless::Function",
                resource["Type"]
            ));
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or("<none>");
        if !known_binaries.contains(binary) {
            problems.push(format!(
                "substitution {key} references {target}, whose binary {binary} is not one of {known_binaries:?}"
            ));
        }
        if let Some(expected_binary) = wanted.get(key.as_str())
            && binary != *expected_binary
        {
            problems.push(format!(
                "substitution {key} resolves to {target} (binary {binary}), expected the {expected_binary} function"
            ));
        }
    }
    problems
}

/// The nine functions, the table, the API and the state machine are defined
/// as intended, with the least-privilege policies of `FUNCTIONS`.
fn check_template(template: &Value) -> Vec<String> {
    let mut problems = Vec::new();

    if template["Transform"] != "AWS::Serverless-2016-10-31" {
        problems.push(format!(
            "Transform is {}, expected AWS::Serverless-2016-10-31",
            template["Transform"]
        ));
    }

    // The table.
    let tables = resources_of_type(template, "AWS::DynamoDB::Table");
    let table_id = match tables.as_slice() {
        [(id, table)] => {
            let props = &table["Properties"];
            if props["BillingMode"] != "PAY_PER_REQUEST" {
                problems.push(format!(
                    "table {id} BillingMode is {}",
                    props["BillingMode"]
                ));
            }
            let keys = json!([
                { "AttributeName": "pk", "KeyType": "HASH" },
                { "AttributeName": "sk", "KeyType": "RANGE" },
            ]);
            if props["KeySchema"] != keys {
                problems.push(format!("table {id} KeySchema is {}", props["KeySchema"]));
            }
            let mut attributes: Vec<Value> = props["AttributeDefinitions"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            attributes.sort_by_key(|a| a["AttributeName"].to_string());
            let expected = json!([
                { "AttributeName": "pk", "AttributeType": "S" },
                { "AttributeName": "sk", "AttributeType": "S" },
            ]);
            if Value::Array(attributes) != expected {
                problems.push(format!(
                    "table {id} AttributeDefinitions are {}",
                    props["AttributeDefinitions"]
                ));
            }
            Some(id.to_string())
        }
        other => {
            problems.push(format!(
                "expected exactly one AWS::DynamoDB::Table, found {}",
                other.len()
            ));
            None
        }
    };
    let machine_id = the_state_machine(template, &mut problems).map(|(id, _)| id);

    // The functions.
    let by_binary = functions_by_binary(template, &mut problems);
    let expected_binaries: BTreeSet<&str> = FUNCTIONS.iter().map(|(b, _, _)| *b).collect();
    for binary in by_binary.keys() {
        if !expected_binaries.contains(binary.as_str()) {
            problems.push(format!("unexpected function binary {binary}"));
        }
    }
    let all_resources = resources(template);
    for (binary, env_var, actions) in FUNCTIONS {
        let Some(id) = by_binary.get(binary) else {
            problems.push(format!(
                "no AWS::Serverless::Function builds binary {binary}"
            ));
            continue;
        };
        let function = &all_resources[id.as_str()];
        let props = &function["Properties"];

        if function["Metadata"]["BuildMethod"] != "rust-cargolambda" {
            problems.push(format!(
                "{id}: BuildMethod is {}, expected rust-cargolambda",
                function["Metadata"]["BuildMethod"]
            ));
        }
        for (key, want) in [
            ("Runtime", json!("provided.al2023")),
            ("Architectures", json!(["arm64"])),
            ("Handler", json!("bootstrap")),
            ("CodeUri", json!("../lambdas")),
        ] {
            let got = function_property(template, function, key);
            if *got != want {
                problems.push(format!("{id}: {key} is {got}, expected {want}"));
            }
        }

        // Environment: exactly the one variable the binary reads.
        let variables = props["Environment"]["Variables"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let names: Vec<&String> = variables.keys().collect();
        if names != [env_var] {
            problems.push(format!(
                "{id}: environment variables are {names:?}, expected [{env_var:?}]"
            ));
        }
        let wanted_target = match env_var {
            "TABLE_NAME" => table_id.as_deref(),
            _ => machine_id.as_deref(),
        };
        if let (Some(value), Some(wanted_target)) = (variables.get(env_var), wanted_target)
            && ref_target(value) != Some(wanted_target)
        {
            problems.push(format!(
                "{id}: {env_var} is {value}, expected {{\"Ref\": \"{wanted_target}\"}}"
            ));
        }

        // Policies: explicit statements only, exactly the expected actions, on
        // exactly the expected resource.
        let policies = one_or_many(props.get("Policies"));
        let mut granted = BTreeSet::new();
        for policy in &policies {
            let Some(statements) = policy["Statement"].as_array() else {
                problems.push(format!(
                    "{id}: policy {policy} is not an explicit Statement list"
                ));
                continue;
            };
            for statement in statements {
                if statement["Effect"] != "Allow" {
                    continue;
                }
                let actions: Vec<&str> = one_or_many(statement.get("Action"))
                    .iter()
                    .map(|a| a.as_str().unwrap_or("<non-string>"))
                    .collect();
                granted.extend(actions.iter().map(|a| a.to_string()));
                let config_only = actions.iter().any(|a| CONFIG_ONLY.contains(a));
                let condition = statement.get("Condition");
                if config_only
                    && (actions.len() != 1 || condition != Some(&config_only_condition()))
                {
                    problems.push(format!(
                        "{id}: {actions:?} must be granted alone and only on the configuration items ({})",
                        config_only_condition()
                    ));
                } else if !config_only && condition.is_some_and(|c| !only_narrows_attributes(c)) {
                    problems.push(format!(
                        "{id}: unexpected condition on {actions:?}: {condition:?}"
                    ));
                }
                for resource in one_or_many(statement.get("Resource")) {
                    let ok = match env_var {
                        "TABLE_NAME" => {
                            table_id.is_some()
                                && get_att_target(resource, "Arn") == table_id.as_deref()
                        }
                        _ => machine_id.is_some() && ref_target(resource) == machine_id.as_deref(),
                    };
                    if !ok {
                        problems.push(format!(
                            "{id}: policy grants access to {resource}, expected only the {}",
                            if env_var == "TABLE_NAME" {
                                "table"
                            } else {
                                "state machine"
                            }
                        ));
                    }
                }
            }
        }
        let expected_actions: BTreeSet<String> = actions.iter().map(|a| a.to_string()).collect();
        if granted != expected_actions {
            problems.push(format!(
                "{id}: policies allow {granted:?}, expected exactly {expected_actions:?}"
            ));
        }
    }

    // The API in front of start-saga.
    if let Some(id) = by_binary.get("start-saga") {
        let events = all_resources[id.as_str()]["Properties"]["Events"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let mut routes = BTreeSet::new();
        for event in events.values() {
            if event["Type"] == "Api" || event["Type"] == "HttpApi" {
                routes.insert((
                    event["Properties"]["Method"]
                        .as_str()
                        .unwrap_or("")
                        .to_ascii_uppercase(),
                    event["Properties"]["Path"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                ));
            }
        }
        let expected: BTreeSet<(String, String)> = [("ANY", "/"), ("ANY", "/{proxy+}")]
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        if routes != expected {
            problems.push(format!(
                "{id}: API routes are {routes:?}, expected {expected:?}"
            ));
        }
    }

    // The state machine.
    if let Some((id, machine)) = the_state_machine(template, &mut Vec::new()) {
        let props = &machine["Properties"];
        if props["Type"] != "STANDARD" {
            problems.push(format!(
                "{id}: Type is {}, expected STANDARD",
                props["Type"]
            ));
        }
        let uri = props["DefinitionUri"].as_str().unwrap_or("");
        let resolved = repo_path(TEMPLATE_PATH)
            .parent()
            .expect("template has a parent directory")
            .join(uri);
        if uri.is_empty() || resolved.canonicalize().ok() != repo_path(ASL_PATH).canonicalize().ok()
        {
            problems.push(format!(
                "{id}: DefinitionUri {uri:?} does not resolve to {ASL_PATH}"
            ));
        }

        // May invoke exactly the eight step functions (and their versions).
        let step_functions: BTreeSet<&str> = SAGA
            .iter()
            .filter_map(|(_, e)| match e {
                Expected::Task { binary, .. } => by_binary.get(*binary).map(String::as_str),
                _ => None,
            })
            .collect();
        let mut invoked = BTreeSet::new();
        let mut actions = BTreeSet::new();
        for policy in one_or_many(props.get("Policies")) {
            let Some(statements) = policy["Statement"].as_array() else {
                problems.push(format!(
                    "{id}: policy {policy} is not an explicit Statement list"
                ));
                continue;
            };
            for statement in statements {
                for action in one_or_many(statement.get("Action")) {
                    actions.insert(action.as_str().unwrap_or("<non-string>").to_string());
                }
                for resource in one_or_many(statement.get("Resource")) {
                    let target =
                        get_att_target(resource, "Arn")
                            .map(str::to_string)
                            .or_else(|| {
                                // {"Fn::Sub": "${X.Arn}:*"} grants the function's versions.
                                let sub = resource.get("Fn::Sub")?.as_str()?;
                                let id = sub.strip_prefix("${")?.strip_suffix(".Arn}:*")?;
                                Some(id.to_string())
                            });
                    match target {
                        Some(t) => {
                            invoked.insert(t);
                        }
                        None => problems.push(format!(
                            "{id}: policy resource {resource} is not a function Arn"
                        )),
                    }
                }
            }
        }
        let expected_invoked: BTreeSet<String> =
            step_functions.iter().map(|s| s.to_string()).collect();
        if invoked != expected_invoked {
            problems.push(format!(
                "{id}: may invoke {invoked:?}, expected exactly {expected_invoked:?}"
            ));
        }
        if actions != BTreeSet::from(["lambda:InvokeFunction".to_string()]) {
            problems.push(format!(
                "{id}: policies allow {actions:?}, expected only lambda:InvokeFunction"
            ));
        }
    }

    // Outputs.
    for output in ["ApiUrl", "StateMachineArn", "TableName"] {
        if template["Outputs"][output]["Value"].is_null() {
            problems.push(format!("output {output} is missing"));
        }
    }
    problems
}

/// A condition that only narrows which attributes a write may set (what
/// `request-approval`'s PutItem has; `tests/infra_approval.rs` checks its list): it
/// takes rights away, never grants any.
fn only_narrows_attributes(condition: &Value) -> bool {
    condition.as_object().is_some_and(|c| {
        c.len() == 1
            && c.get("ForAllValues:StringEquals")
                .and_then(Value::as_object)
                .is_some_and(|k| {
                    k.len() == 1 && k.get("dynamodb:Attributes").is_some_and(Value::is_array)
                })
    })
}

fn assert_no_problems(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s):\n  - {}",
        problems.len(),
        problems.join("\n  - ")
    );
}

/// Asserts that `problems` is non-empty and one of them mentions `needle`.
fn assert_reported(problems: &[String], needle: &str) {
    assert!(
        problems.iter().any(|p| p.contains(needle)),
        "expected a problem mentioning {needle:?}, got {problems:#?}"
    );
}

// ---------------------------------------------------------------------------
// Tests on the real files
// ---------------------------------------------------------------------------

#[test]
fn definition_has_the_saga_shape() {
    assert_no_problems(ASL_PATH, &check_definition(&load_asl()));
}

#[test]
fn placeholders_and_substitutions_agree() {
    assert_no_problems(
        "placeholders vs DefinitionSubstitutions",
        &check_substitutions(&load_asl(), &load_template()),
    );
}

#[test]
fn template_defines_the_intended_resources() {
    assert_no_problems(TEMPLATE_PATH, &check_template(&load_template()));
}

#[test]
fn definition_uses_the_eight_expected_placeholders() {
    let expected: BTreeSet<String> = SAGA
        .iter()
        .filter_map(|(_, e)| match e {
            Expected::Task { placeholder, .. } => Some(placeholder.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(expected.len(), 8);
    assert_eq!(placeholders(&load_asl()), expected);
}

#[test]
fn short_form_intrinsics_are_read_as_long_form() {
    let parsed = parse_cfn_yaml(&read(SHORT_FORM_FIXTURE)).expect("fixture parses");
    let expected = json!({
        "Ref": { "Ref": "SagaTable" },
        "GetAttScalar": { "Fn::GetAtt": ["ReserveHotelFunction", "Arn"] },
        "GetAttList": { "Fn::GetAtt": ["ReserveHotelFunction", "Arn"] },
        "Sub": { "Fn::Sub": "${ReserveHotelFunction.Arn}:*" },
        "Nested": { "Fn::Join": ["", [{ "Ref": "AWS::Region" }, "-x"]] },
    });
    assert_eq!(parsed, expected);
    assert_eq!(
        get_att_target(&parsed["GetAttScalar"], "Arn"),
        Some("ReserveHotelFunction")
    );
    assert_eq!(ref_target(&parsed["Ref"]), Some("SagaTable"));
}

// ---------------------------------------------------------------------------
// The checks reject broken copies
// ---------------------------------------------------------------------------

fn state_mut<'a>(asl: &'a mut Value, name: &str) -> &'a mut Value {
    asl["States"]
        .get_mut(name)
        .unwrap_or_else(|| panic!("state {name} exists"))
}

fn substitutions_mut(template: &mut Value) -> &mut Map<String, Value> {
    template["Resources"]["SagaStateMachine"]["Properties"]["DefinitionSubstitutions"]
        .as_object_mut()
        .expect("DefinitionSubstitutions exists")
}

#[test]
fn definition_check_rejects_broken_copies() {
    type Mutation = (&'static str, fn(&mut Value), &'static str);
    let mutations: [Mutation; 12] = [
        (
            "wrong Next",
            |asl| state_mut(asl, "ReserveFlight")["Next"] = json!("ConfirmHotelBooking"),
            "\"ReserveFlight\" field Next",
        ),
        (
            "catch routed to the wrong compensation",
            |asl| {
                state_mut(asl, "TakePayment")["Catch"][0]["Next"] = json!("CancelFlightReservation")
            },
            "\"TakePayment\" field Catch",
        ),
        (
            "catch without ResultPath",
            |asl| {
                state_mut(asl, "ReserveHotel")["Catch"][0]
                    .as_object_mut()
                    .unwrap()
                    .shift_remove("ResultPath");
            },
            "\"ReserveHotel\" field Catch",
        ),
        (
            "compensation with a Catch",
            |asl| {
                state_mut(asl, "RefundPayment")["Catch"] = json!([
                    { "ErrorEquals": ["States.ALL"], "Next": FAIL_STATE }
                ])
            },
            "\"RefundPayment\" field Catch",
        ),
        (
            "compensation retried only twice",
            |asl| state_mut(asl, "CancelHotelReservation")["Retry"][1]["MaxAttempts"] = json!(2),
            "\"CancelHotelReservation\" field Retry",
        ),
        (
            "States.ALL retrier listed before the Lambda one",
            |asl| {
                let retry = state_mut(asl, "CancelFlightReservation")["Retry"]
                    .as_array_mut()
                    .unwrap();
                retry.swap(0, 1);
            },
            "\"CancelFlightReservation\" field Retry",
        ),
        (
            "forward step without the Lambda retrier",
            |asl| state_mut(asl, "ConfirmFlight")["Retry"] = json!([]),
            "\"ConfirmFlight\" field Retry",
        ),
        (
            "result stored at the wrong path",
            |asl| state_mut(asl, "ConfirmHotelBooking")["ResultPath"] = json!("$"),
            "\"ConfirmHotelBooking\" field ResultPath",
        ),
        (
            "states reordered",
            |asl| {
                let states = asl["States"].as_object_mut().unwrap();
                let succeed = states.shift_remove(SUCCEED_STATE).unwrap();
                states.insert(SUCCEED_STATE.to_string(), succeed);
            },
            "state order",
        ),
        (
            "wrong Fail error",
            |asl| state_mut(asl, FAIL_STATE)["Error"] = json!("States.TaskFailed"),
            "field Error",
        ),
        (
            "timeout changed",
            |asl| asl["TimeoutSeconds"] = json!(3600),
            "TimeoutSeconds",
        ),
        (
            "extra state",
            |asl| {
                asl["States"]["Orphan"] = json!({ "Type": "Pass", "End": true });
            },
            "unexpected state \"Orphan\"",
        ),
    ];
    let pristine = load_asl();
    assert_no_problems("unmodified definition", &check_definition(&pristine));
    for (what, mutate, needle) in mutations {
        let mut asl = pristine.clone();
        mutate(&mut asl);
        // Compared as text: `Value` equality ignores the order of object keys.
        assert_ne!(
            asl.to_string(),
            pristine.to_string(),
            "mutation {what:?} changed nothing"
        );
        let problems = check_definition(&asl);
        assert!(!problems.is_empty(), "mutation {what:?} was not detected");
        assert_reported(&problems, needle);
    }
}

#[test]
fn agreement_checks_reject_broken_copies() {
    let asl = load_asl();
    let template = load_template();
    assert_no_problems("unmodified files", &check_substitutions(&asl, &template));
    assert_no_problems("unmodified template", &check_template(&template));

    // A placeholder without a substitution.
    let mut bad = template.clone();
    substitutions_mut(&mut bad).shift_remove("CancelHotelFunctionArn");
    assert_reported(
        &check_substitutions(&asl, &bad),
        "placeholder ${CancelHotelFunctionArn}",
    );

    // A substitution the definition never uses.
    let mut bad = template.clone();
    substitutions_mut(&mut bad).insert(
        "StartSagaFunctionArn".to_string(),
        json!({ "Fn::GetAtt": ["StartSagaFunction", "Arn"] }),
    );
    assert_reported(
        &check_substitutions(&asl, &bad),
        "entry StartSagaFunctionArn",
    );

    // A placeholder the template does not know about.
    let mut bad_asl = asl.clone();
    bad_asl["States"]["TakePayment"]["Parameters"]["FunctionName"] = json!("${ChargeCardArn}");
    assert_reported(
        &check_substitutions(&bad_asl, &template),
        "placeholder ${ChargeCardArn}",
    );

    // Two compensations wired to each other's function.
    let mut bad = template.clone();
    let subs = substitutions_mut(&mut bad);
    let flight = subs["CancelFlightFunctionArn"].clone();
    let hotel = subs["CancelHotelFunctionArn"].clone();
    subs["CancelFlightFunctionArn"] = hotel;
    subs["CancelHotelFunctionArn"] = flight;
    assert_reported(
        &check_substitutions(&asl, &bad),
        "expected the cancel-flight function",
    );

    // A substitution pointing at something that is not a function.
    let mut bad = template.clone();
    substitutions_mut(&mut bad)["ReserveHotelFunctionArn"] =
        json!({ "Fn::GetAtt": ["SagaTable", "Arn"] });
    assert_reported(
        &check_substitutions(&asl, &bad),
        "expected AWS::Serverless::Function",
    );

    // A substitution pointing at a resource that does not exist.
    let mut bad = template.clone();
    substitutions_mut(&mut bad)["ReserveHotelFunctionArn"] =
        json!({ "Fn::GetAtt": ["NoSuchFunction", "Arn"] });
    assert_reported(
        &check_substitutions(&asl, &bad),
        "not a resource of the template",
    );

    // A function whose binary is not one of the nine.
    let mut bad = template.clone();
    bad["Resources"]["TakePaymentFunction"]["Metadata"]["BuildProperties"]["Binary"] =
        json!("take-payments");
    assert_reported(&check_substitutions(&asl, &bad), "binary take-payments");
    let problems = check_template(&bad);
    assert_reported(&problems, "unexpected function binary take-payments");
    assert_reported(
        &problems,
        "no AWS::Serverless::Function builds binary take-payment",
    );

    // A function removed altogether.
    let mut bad = template.clone();
    bad["Resources"]
        .as_object_mut()
        .unwrap()
        .shift_remove("StartSagaFunction");
    assert_reported(&check_template(&bad), "binary start-saga");

    // A broader policy than needed.
    let mut bad = template.clone();
    bad["Resources"]["ConfirmHotelFunction"]["Properties"]["Policies"][0]["Statement"][0]["Action"] =
        json!(["dynamodb:UpdateItem", "dynamodb:DeleteItem"]);
    assert_reported(
        &check_template(&bad),
        "ConfirmHotelFunction: policies allow",
    );

    // A compensation allowed to read every item, not only the configuration.
    let mut bad = template.clone();
    bad["Resources"]["CancelHotelFunction"]["Properties"]["Policies"][0]["Statement"][1]
        .as_object_mut()
        .unwrap()
        .shift_remove("Condition");
    assert_reported(
        &check_template(&bad),
        "CancelHotelFunction: [\"dynamodb:GetItem\"] must be granted alone",
    );

    // The configuration condition widened to the trips' items.
    let mut bad = template.clone();
    bad["Resources"]["RefundPaymentFunction"]["Properties"]["Policies"][0]["Statement"][1]["Condition"]
        ["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"] = json!(["*"]);
    assert_reported(&check_template(&bad), "RefundPaymentFunction");

    // The configuration read granted beside the delete, under no condition.
    let mut bad = template.clone();
    bad["Resources"]["CancelFlightFunction"]["Properties"]["Policies"][0]["Statement"][0]["Action"] =
        json!(["dynamodb:DeleteItem", "dynamodb:GetItem"]);
    assert_reported(&check_template(&bad), "CancelFlightFunction");

    // The state machine allowed to invoke the API function too.
    let mut bad = template.clone();
    bad["Resources"]["SagaStateMachine"]["Properties"]["Policies"][0]["Statement"][0]["Resource"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "Fn::GetAtt": ["StartSagaFunction", "Arn"] }));
    assert_reported(&check_template(&bad), "SagaStateMachine: may invoke");

    // A wrong runtime set once in Globals.
    let mut bad = template.clone();
    bad["Globals"]["Function"]["Runtime"] = json!("provided.al2");
    assert_reported(&check_template(&bad), "Runtime is \"provided.al2\"");

    // The API route for the root path removed.
    let mut bad = template.clone();
    bad["Resources"]["StartSagaFunction"]["Properties"]["Events"]
        .as_object_mut()
        .unwrap()
        .shift_remove("Root");
    assert_reported(&check_template(&bad), "API routes");
}
