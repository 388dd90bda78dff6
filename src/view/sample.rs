//! Deterministic saga histories and rows, shaped exactly like `GetExecutionHistory`
//! and the trip's table, for screenshots, benchmarks and tests that must not depend
//! on timing or randomness.

use chrono::{DateTime, Duration, Utc};
use saga_lambdas::handlers::{flight_item, hotel_item, payment_item};
use saga_lambdas::{AttrValue, Item, RunType, TripRequest};
use serde_json::json;

use crate::history::event::{
    ErrorDetails, ExecutionStartedDetails, MapStateStartedDetails, OutputDetails,
    StateEnteredDetails, StateExitedDetails, TaskErrorDetails, TaskResourceDetails,
    TaskScheduledDetails, TaskSubmittedDetails, TaskSucceededDetails,
};
use crate::history::{EventDetails, EventType, HistoryEvent, PayloadDetails};

/// The moment every sample execution starts (fixed, so renders are reproducible).
pub fn epoch() -> DateTime<Utc> {
    DateTime::from_timestamp(1_625_904_000, 0).unwrap_or_default()
}

/// A prepared situation of the saga.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Every step succeeded.
    Success,
    /// failPayment: TakePayment was caught and RefundPayment has failed twice (retry 2 pending).
    CompensationRetrying,
    /// failPayment: CancelFlightReservation failed four times; the execution failed.
    CompensationExhausted,
    /// failPayment, compensated cleanly.
    CleanRollback,
    /// failPayment: RefundPayment failed three times, each retry after its backoff, then
    /// succeeded; the other compensations ran and the execution failed, rolled back.
    CompensationRecovered,
}

/// Builds histories one event at a time, linking `previousEventId` as the service does.
#[derive(Debug, Clone)]
pub struct HistoryBuilder {
    events: Vec<HistoryEvent>,
    now: DateTime<Utc>,
    input: String,
}

impl HistoryBuilder {
    /// Starts an execution (emits `ExecutionStarted`) with the given input at `start`.
    pub fn start(start: DateTime<Utc>, input: &serde_json::Value) -> Self {
        let mut b = Self {
            events: Vec::new(),
            now: start,
            input: input.to_string(),
        };
        let input = b.input.clone();
        b.push(
            EventType::ExecutionStarted,
            Some(EventDetails::ExecutionStarted(ExecutionStartedDetails {
                input,
                input_details: PayloadDetails::default(),
                role_arn: "arn:aws:iam::123456789012:role/sagaview-local".into(),
            })),
        );
        b
    }

    /// Lets `ms` milliseconds pass.
    pub fn wait(&mut self, ms: i64) -> &mut Self {
        self.now += Duration::milliseconds(ms);
        self
    }

    fn push(&mut self, event_type: EventType, details: Option<EventDetails>) -> u64 {
        let id = self.events.len() as u64 + 1;
        self.events.push(HistoryEvent {
            timestamp: self.now,
            event_type,
            id,
            previous_event_id: id - 1,
            details,
        });
        id
    }

    /// `<Type>StateEntered`.
    pub fn enter(&mut self, type_name: &str, name: &str) -> &mut Self {
        let input = self.input.clone();
        self.push(
            EventType::state_entered(type_name),
            Some(EventDetails::StateEntered(StateEnteredDetails {
                name: name.into(),
                input,
                input_details: PayloadDetails::default(),
            })),
        );
        self
    }

    /// `<Type>StateExited` (nothing for Fail states).
    pub fn exit(&mut self, type_name: &str, name: &str) -> &mut Self {
        if let Some(t) = EventType::state_exited(type_name) {
            let output = self.input.clone();
            self.push(
                t,
                Some(EventDetails::StateExited(StateExitedDetails {
                    name: name.into(),
                    output,
                    output_details: PayloadDetails::default(),
                })),
            );
        }
        self
    }

    /// One `lambda:invoke` attempt: scheduled, started, then succeeded or failed.
    pub fn attempt(&mut self, function: &str, failure: Option<(&str, &str)>) -> &mut Self {
        let (resource_type, resource) = ("lambda".to_string(), "invoke".to_string());
        self.push(
            EventType::TaskScheduled,
            Some(EventDetails::TaskScheduled(TaskScheduledDetails {
                resource_type: resource_type.clone(),
                resource: resource.clone(),
                region: "us-east-1".into(),
                parameters: json!({"FunctionName": function, "Payload": {}}).to_string(),
                timeout_in_seconds: None,
                heartbeat_in_seconds: None,
            })),
        );
        self.wait(15);
        self.push(
            EventType::TaskStarted,
            Some(EventDetails::TaskStarted(TaskResourceDetails {
                resource_type: resource_type.clone(),
                resource: resource.clone(),
            })),
        );
        self.wait(120);
        match failure {
            None => {
                self.push(
                    EventType::TaskSucceeded,
                    Some(EventDetails::TaskSucceeded(TaskSucceededDetails {
                        resource_type,
                        resource,
                        output: json!({"StatusCode": 200, "Payload": {"status": "ok"}}).to_string(),
                        output_details: PayloadDetails::default(),
                    })),
                );
            }
            Some((error, cause)) => {
                self.push(
                    EventType::TaskFailed,
                    Some(EventDetails::TaskFailed(TaskErrorDetails {
                        resource_type,
                        resource,
                        error: Some(error.into()),
                        cause: Some(cause.into()),
                    })),
                );
            }
        }
        self
    }

    /// A `lambda:invoke.waitForTaskToken` task whose function returned: scheduled with
    /// its `HeartbeatSeconds` and `TimeoutSeconds`, started, submitted, and now waiting
    /// for its token.
    pub fn callback_submitted(
        &mut self,
        function: &str,
        heartbeat: u64,
        timeout: u64,
    ) -> &mut Self {
        let (resource_type, resource) =
            ("lambda".to_string(), "invoke.waitForTaskToken".to_string());
        self.push(
            EventType::TaskScheduled,
            Some(EventDetails::TaskScheduled(TaskScheduledDetails {
                resource_type: resource_type.clone(),
                resource: resource.clone(),
                region: "us-east-1".into(),
                parameters: json!({"FunctionName": function, "Payload": {}}).to_string(),
                timeout_in_seconds: Some(timeout),
                heartbeat_in_seconds: Some(heartbeat),
            })),
        );
        self.wait(15);
        self.push(
            EventType::TaskStarted,
            Some(EventDetails::TaskStarted(TaskResourceDetails {
                resource_type: resource_type.clone(),
                resource: resource.clone(),
            })),
        );
        self.wait(120);
        self.push(
            EventType::TaskSubmitted,
            Some(EventDetails::TaskSubmitted(TaskSubmittedDetails {
                resource_type,
                resource,
                output: Some(json!({"StatusCode": 200, "Payload": {"status": "ok"}}).to_string()),
                output_details: None,
            })),
        );
        self
    }

    /// A Task state that succeeds at once.
    pub fn task_ok(&mut self, name: &str) -> &mut Self {
        self.enter("Task", name)
            .wait(5)
            .attempt(name, None)
            .wait(5)
            .exit("Task", name)
            .wait(10)
    }

    /// `ExecutionSucceeded`.
    pub fn succeeded(&mut self) -> &mut Self {
        let output = self.input.clone();
        self.push(
            EventType::ExecutionSucceeded,
            Some(EventDetails::ExecutionSucceeded(OutputDetails {
                output,
                output_details: PayloadDetails::default(),
            })),
        );
        self
    }

    /// `ExecutionFailed` with an error and cause.
    pub fn failed(&mut self, error: &str, cause: &str) -> &mut Self {
        self.push(
            EventType::ExecutionFailed,
            Some(EventDetails::ExecutionFailed(ErrorDetails {
                error: Some(error.into()),
                cause: Some(cause.into()),
            })),
        );
        self
    }

    /// An event that carries no details (`ParallelStateStarted`, `ExecutionAborted`, ...).
    pub fn mark(&mut self, event_type: EventType) -> &mut Self {
        self.push(event_type, None);
        self
    }

    /// `MapStateStarted` over `length` items.
    pub fn map_started(&mut self, length: u64) -> &mut Self {
        self.push(
            EventType::MapStateStarted,
            Some(EventDetails::MapStateStarted(MapStateStartedDetails {
                length,
            })),
        );
        self
    }

    /// `ExecutionTimedOut` with an error and cause.
    pub fn timed_out(&mut self, error: &str, cause: &str) -> &mut Self {
        self.push(
            EventType::ExecutionTimedOut,
            Some(EventDetails::ExecutionTimedOut(ErrorDetails {
                error: Some(error.into()),
                cause: Some(cause.into()),
            })),
        );
        self
    }

    /// Sets the input the next states are entered with (a Wait's `SecondsPath` reads it).
    pub fn input(&mut self, input: &serde_json::Value) -> &mut Self {
        self.input = input.to_string();
        self
    }

    /// The events so far.
    pub fn build(&self) -> Vec<HistoryEvent> {
        self.events.clone()
    }
}

/// The trip every sample uses.
pub const TRIP_ID: &str = "trip-0001";

fn trip(run_type: RunType) -> TripRequest {
    TripRequest::example(TRIP_ID, run_type, 0.4)
}

const PAYMENT_CAUSE: &str = r#"{"errorType":"PaymentFailed","errorMessage":"take-payment failed on purpose: run type failPayment for trip trip-0001"}"#;

fn compensation_cause(function: &str) -> String {
    format!(
        r#"{{"errorType":"InternalServerError","errorMessage":"{function} failed at random (cancel failure rate 0.4)"}}"#
    )
}

fn failed_payment(b: &mut HistoryBuilder) {
    b.task_ok("ReserveHotel").task_ok("ReserveFlight");
    b.enter("Task", "TakePayment")
        .wait(5)
        .attempt("TakePayment", Some(("PaymentFailed", PAYMENT_CAUSE)))
        .wait(5)
        .exit("Task", "TakePayment")
        .wait(10);
}

/// RefundPayment failing three times, retried after backoffs of 1, 2 and 4 s (the
/// definition's), then succeeding.
fn refund_after_three_retries(b: &mut HistoryBuilder) {
    let cause = compensation_cause("refund-payment");
    b.enter("Task", "RefundPayment").wait(5);
    for backoff in [1000, 2000, 4000] {
        b.attempt("RefundPayment", Some(("InternalServerError", &cause)))
            .wait(backoff);
    }
    b.attempt("RefundPayment", None)
        .wait(5)
        .exit("Task", "RefundPayment")
        .wait(10);
}

/// The execution history of a scenario.
pub fn history(scenario: Scenario) -> Vec<HistoryEvent> {
    let run_type = match scenario {
        Scenario::Success => RunType::Success,
        _ => RunType::FailPayment,
    };
    let mut b = HistoryBuilder::start(epoch(), &trip(run_type).to_input());
    b.wait(20);
    match scenario {
        Scenario::Success => {
            for s in [
                "ReserveHotel",
                "ReserveFlight",
                "TakePayment",
                "ConfirmHotelBooking",
                "ConfirmFlight",
            ] {
                b.task_ok(s);
            }
            b.enter("Succeed", "We have made your booking!")
                .exit("Succeed", "We have made your booking!")
                .wait(5)
                .succeeded();
        }
        Scenario::CompensationRetrying => {
            failed_payment(&mut b);
            let cause = compensation_cause("refund-payment");
            b.enter("Task", "RefundPayment")
                .wait(5)
                .attempt("RefundPayment", Some(("InternalServerError", &cause)))
                .wait(1000)
                .attempt("RefundPayment", Some(("InternalServerError", &cause)));
        }
        Scenario::CompensationExhausted => {
            failed_payment(&mut b);
            b.task_ok("RefundPayment");
            let cause = compensation_cause("cancel-flight");
            b.enter("Task", "CancelFlightReservation").wait(5);
            for delay in [1000, 2000, 4000, 0] {
                b.attempt(
                    "CancelFlightReservation",
                    Some(("InternalServerError", &cause)),
                )
                .wait(delay);
            }
            b.wait(5).failed("InternalServerError", &cause);
        }
        Scenario::CleanRollback | Scenario::CompensationRecovered => {
            failed_payment(&mut b);
            if scenario == Scenario::CompensationRecovered {
                refund_after_three_retries(&mut b);
            } else {
                b.task_ok("RefundPayment");
            }
            for s in ["CancelFlightReservation", "CancelHotelReservation"] {
                b.task_ok(s);
            }
            b.enter("Fail", "Sorry, We Couldn't make the booking")
                .wait(5)
                .failed(
                    "BookingFailed",
                    "The booking could not be completed; every step that had run was compensated.",
                );
        }
    }
    b.build()
}

/// The trip's rows at the end of (or during) a scenario, ordered by `sk`.
pub fn rows(scenario: Scenario) -> Vec<Item> {
    let t = trip(RunType::FailPayment);
    let confirmed = |mut item: Item| {
        item.insert(
            "transaction_status".into(),
            AttrValue::S("confirmed".into()),
        );
        item
    };
    let mut rows = match scenario {
        Scenario::Success => vec![
            confirmed(hotel_item(&t)),
            confirmed(flight_item(&t)),
            payment_item(&t),
        ],
        Scenario::CompensationRetrying | Scenario::CompensationExhausted => {
            vec![hotel_item(&t), flight_item(&t)]
        }
        Scenario::CleanRollback | Scenario::CompensationRecovered => vec![],
    };
    rows.sort_by(|a, b| sk(a).cmp(sk(b)));
    rows
}

fn sk(item: &Item) -> &str {
    item.get("sk").and_then(AttrValue::as_s).unwrap_or("")
}

/// A long history (a success followed by `n` events of retried attempts) for benchmarks.
pub fn long_history(n: usize) -> Vec<HistoryEvent> {
    let mut b = HistoryBuilder::start(epoch(), &trip(RunType::FailPayment).to_input());
    failed_payment(&mut b);
    b.enter("Task", "RefundPayment");
    let cause = compensation_cause("refund-payment");
    while b.events.len() < n {
        b.attempt("RefundPayment", Some(("InternalServerError", &cause)))
            .wait(10);
    }
    b.events.truncate(n.max(1));
    b.build()
}

/// `n` rows of one trip, for benchmarks.
pub fn many_rows(n: usize) -> Vec<Item> {
    let base = hotel_item(&trip(RunType::Success));
    (0..n)
        .map(|i| {
            let mut item = base.clone();
            item.insert("sk".into(), AttrValue::S(format!("HOTEL#{i:05}")));
            item
        })
        .collect()
}
