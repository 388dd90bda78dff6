//! The starter behind API Gateway: turns a URL into a saga execution, as the article does.

use crate::trip::DEFAULT_CANCEL_FAILURE_RATE;
use crate::trip::{
    RunType, TripRequest, execution_name, validate_cancel_failure_rate, validate_trip_id,
};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{Value, json};
use std::future::Future;

/// The trip id used when the URL names none, so repeated clicks land on one trip.
pub const DEFAULT_TRIP_ID: &str = "5c12d94a-ee6a-40d9-889b-1d49142248b7";

/// Starts a state machine execution; abstracted so the handler is testable and the
/// Step Functions client is built once.
pub trait ExecutionStarter: Send + Sync {
    /// Starts an execution with a unique name; returns its ARN or a detailed error text
    /// (logged, never shown to the caller).
    fn start_execution(
        &self,
        name: &str,
        input: &str,
    ) -> impl Future<Output = Result<String, String>> + Send;
}

/// The real starter: Step Functions' StartExecution on one state machine.
#[derive(Debug, Clone)]
pub struct SfnStarter {
    client: aws_sdk_sfn::Client,
    state_machine_arn: String,
}

impl SfnStarter {
    /// Binds a client to the state machine the API starts.
    pub fn new(client: aws_sdk_sfn::Client, state_machine_arn: impl Into<String>) -> Self {
        Self {
            client,
            state_machine_arn: state_machine_arn.into(),
        }
    }
}

impl ExecutionStarter for SfnStarter {
    async fn start_execution(&self, name: &str, input: &str) -> Result<String, String> {
        let out = self
            .client
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(name)
            .input(input)
            .send()
            .await
            .map_err(|e| aws_sdk_sfn::error::DisplayErrorContext(e).to_string())?;
        Ok(out.execution_arn)
    }
}

/// What the URL asked for, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct StartRequest {
    /// The scenario.
    pub run_type: RunType,
    /// The trip.
    pub trip_id: String,
    /// Probability that a compensation fails.
    pub cancel_failure_rate: f64,
}

/// Reads `runType`, `tripID` and `cancelFailureRate` with the article's defaults.
pub fn parse_query(get: impl Fn(&str) -> Option<String>) -> Result<StartRequest, String> {
    let run_type = match get("runType") {
        None => RunType::Success,
        Some(s) => s.parse::<RunType>().map_err(|e| e.to_string())?,
    };
    let trip_id = match get("tripID") {
        None => DEFAULT_TRIP_ID.to_string(),
        Some(s) => validate_trip_id(&s)?.to_string(),
    };
    let cancel_failure_rate = match get("cancelFailureRate") {
        None => DEFAULT_CANCEL_FAILURE_RATE,
        Some(s) => {
            let rate = s.parse::<f64>().map_err(|_| {
                format!("cancelFailureRate must be a number from 0 to 1, got {s:?}")
            })?;
            validate_cancel_failure_rate(rate)?
        }
    };
    Ok(StartRequest {
        run_type,
        trip_id,
        cancel_failure_rate,
    })
}

fn json_response(status: u16, body: Value) -> Response<Body> {
    let mut resp = Response::new(Body::Text(body.to_string()));
    *resp.status_mut() = lambda_http::http::StatusCode::from_u16(status)
        .unwrap_or(lambda_http::http::StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(
        lambda_http::http::header::CONTENT_TYPE,
        lambda_http::http::HeaderValue::from_static("application/json"),
    );
    resp
}

/// Handles one API request: 400 on bad parameters, 500 (without internals) when Step
/// Functions refuses, 200 with the execution otherwise.
pub async fn start_saga<S: ExecutionStarter>(starter: &S, request: &Request) -> Response<Body> {
    let params = request.query_string_parameters();
    let parsed = match parse_query(|k| params.first(k).map(str::to_string)) {
        Ok(p) => p,
        Err(message) => return json_response(400, json!({ "message": message })),
    };
    let input = TripRequest::example(&parsed.trip_id, parsed.run_type, parsed.cancel_failure_rate)
        .to_input()
        .to_string();
    let name = execution_name(&parsed.trip_id);
    match starter.start_execution(&name, &input).await {
        Ok(arn) => json_response(
            200,
            json!({
                "message": "The booking saga has started",
                "executionArn": arn,
                "tripId": parsed.trip_id,
                "runType": parsed.run_type.as_str(),
            }),
        ),
        Err(detail) => {
            lambda_http::tracing::error!(%detail, "StartExecution failed");
            json_response(
                500,
                json!({ "message": "could not start the booking saga" }),
            )
        }
    }
}

/// The start-saga Lambda: reads `STATE_MACHINE_ARN`, builds the client once, serves.
pub async fn run_starter() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let arn = std::env::var("STATE_MACHINE_ARN")
        .map_err(|_| "the STATE_MACHINE_ARN environment variable is not set")?;
    let config = aws_config::load_from_env().await;
    let starter = SfnStarter::new(aws_sdk_sfn::Client::new(&config), arn);
    let starter = &starter;
    lambda_http::run(lambda_http::service_fn(move |req: Request| async move {
        Ok::<_, std::convert::Infallible>(start_saga(starter, &req).await)
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn q<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        let m: HashMap<&str, &str> = pairs.iter().copied().collect();
        move |k| m.get(k).map(|s| s.to_string())
    }

    #[test]
    fn defaults_follow_the_article() {
        let p = parse_query(q(&[])).unwrap();
        assert_eq!(p.run_type, RunType::Success);
        assert_eq!(p.trip_id, DEFAULT_TRIP_ID);
        assert_eq!(p.cancel_failure_rate, 0.4);
    }

    #[test]
    fn bad_parameters_are_explained() {
        let e = parse_query(q(&[("runType", "failAll")])).unwrap_err();
        assert!(e.contains("failPayment"), "{e}");
        let e = parse_query(q(&[("tripID", "bad id!")])).unwrap_err();
        assert!(e.contains("trip id"), "{e}");
        let e = parse_query(q(&[("cancelFailureRate", "2")])).unwrap_err();
        assert!(e.contains("0 to 1"), "{e}");
        let e = parse_query(q(&[("cancelFailureRate", "x")])).unwrap_err();
        assert!(e.contains("number"), "{e}");
    }

    #[test]
    fn execution_names_are_unique_and_valid() {
        let long = "a".repeat(64);
        let (a, b) = (execution_name(&long), execution_name(&long));
        assert_ne!(a, b);
        assert!(a.len() <= 80, "{}", a.len());
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        let suffix = a.rsplit('-').next().unwrap();
        let uuid = uuid::Uuid::parse_str(suffix).expect("a UUID ends the name");
        assert_eq!(uuid.get_version_num(), 4, "{a}");
        assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122, "{a}");
    }
}
