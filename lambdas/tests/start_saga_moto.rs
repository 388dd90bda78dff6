//! The start-saga handler against moto's Step Functions, with the state machine created
//! from the real ASL file.

mod common;

use common::{sdk_config, unique};
use lambda_http::{Request, RequestExt};
use saga_lambdas::Step;
use saga_lambdas::start::{DEFAULT_TRIP_ID, SfnStarter, start_saga};
use serde_json::Value;
use std::collections::HashMap;

const ACCOUNT: &str = "123456789012";

/// The ASL with every `${…FunctionArn}` replaced by a Lambda ARN, as SAM would.
fn substituted_definition() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../infra/statemachine/saga.asl.json"
    );
    let mut asl = std::fs::read_to_string(path).expect("read saga.asl.json");
    for step in Step::ALL {
        let arn = format!(
            "arn:aws:lambda:us-east-1:{ACCOUNT}:function:{}",
            step.function_name()
        );
        asl = asl.replace(&format!("${{{}}}", step.arn_placeholder()), &arn);
    }
    assert!(!asl.contains("${"), "unsubstituted placeholder left: {asl}");
    asl
}

async fn create_state_machine(client: &aws_sdk_sfn::Client) -> String {
    client
        .create_state_machine()
        .name(unique("saga"))
        .definition(substituted_definition())
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/saga-state-machine"))
        .send()
        .await
        .expect("create state machine in moto")
        .state_machine_arn
}

fn request(params: &[(&str, &str)]) -> Request {
    let map: HashMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Request::default().with_query_string_parameters(map)
}

fn body_json(resp: &lambda_http::Response<lambda_http::Body>) -> Value {
    let text = match resp.body() {
        lambda_http::Body::Text(t) => t.clone(),
        other => panic!("expected a text body, got {other:?}"),
    };
    serde_json::from_str(&text).expect("body is JSON")
}

#[tokio::test]
async fn starts_an_execution_that_step_functions_knows() {
    let config = sdk_config().await;
    let client = aws_sdk_sfn::Client::new(&config);
    let arn = create_state_machine(&client).await;
    let starter = SfnStarter::new(client.clone(), arn.clone());

    let trip = unique("trip");
    let resp = start_saga(
        &starter,
        &request(&[("runType", "failPayment"), ("tripID", &trip)]),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let body = body_json(&resp);
    assert_eq!(body["tripId"], trip.as_str());
    assert_eq!(body["runType"], "failPayment");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    let execution_arn = body["executionArn"]
        .as_str()
        .expect("executionArn")
        .to_string();

    let described = client
        .describe_execution()
        .execution_arn(&execution_arn)
        .send()
        .await
        .expect("DescribeExecution knows the execution");
    assert_eq!(described.state_machine_arn, arn);
    let input: Value = serde_json::from_str(described.input().expect("input")).unwrap();
    assert_eq!(input["trip_id"], trip.as_str());
    assert_eq!(input["run_type"], "failPayment");
    assert_eq!(input["cancel_failure_rate"], 0.4);
    assert_eq!(input["depart"], "London");
    assert_eq!(input["arrive"], "Dublin");
    assert_eq!(input["hotel"], "holiday inn");

    // Defaults, and a second start on the same trip gets its own execution.
    let first = body_json(&start_saga(&starter, &request(&[])).await);
    let second = body_json(&start_saga(&starter, &request(&[("cancelFailureRate", "0")])).await);
    assert_eq!(first["tripId"], DEFAULT_TRIP_ID);
    assert_eq!(first["runType"], "success");
    assert_ne!(first["executionArn"], second["executionArn"]);
}

#[tokio::test]
async fn bad_parameters_are_rejected_with_400() {
    let config = sdk_config().await;
    let client = aws_sdk_sfn::Client::new(&config);
    let arn = create_state_machine(&client).await;
    let starter = SfnStarter::new(client.clone(), arn.clone());

    let resp = start_saga(&starter, &request(&[("runType", "failEverything")])).await;
    assert_eq!(resp.status(), 400);
    let msg = body_json(&resp)["message"].as_str().unwrap().to_string();
    for valid in ["success", "failHotelReservation", "failFlightsConfirmation"] {
        assert!(msg.contains(valid), "{msg}");
    }

    for bad in ["has space", "semi;colon", &"x".repeat(65)] {
        let resp = start_saga(&starter, &request(&[("tripID", bad)])).await;
        assert_eq!(resp.status(), 400, "{bad}");
        assert!(
            body_json(&resp)["message"]
                .as_str()
                .unwrap()
                .contains("trip id")
        );
    }

    let resp = start_saga(&starter, &request(&[("cancelFailureRate", "1.5")])).await;
    assert_eq!(resp.status(), 400);

    // Nothing was started by the rejected requests.
    let listed = client
        .list_executions()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert!(listed.executions().is_empty());
}

#[tokio::test]
async fn a_step_functions_error_is_a_500_without_internals() {
    let config = sdk_config().await;
    let client = aws_sdk_sfn::Client::new(&config);
    let missing = format!(
        "arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:{}",
        unique("gone")
    );
    let starter = SfnStarter::new(client, missing.clone());
    let resp = start_saga(&starter, &request(&[])).await;
    assert_eq!(resp.status(), 500);
    let body = body_json(&resp);
    let text = body.to_string();
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(
        !text.contains(&missing) && !text.contains("DoesNotExist"),
        "{text}"
    );
}
