//! What each saga step does to the table.
//!
//! Every step reads the whole trip from its event and derives booking ids from it
//! (see [`crate::ids`]), so steps never depend on an earlier step's result shape and a
//! retried step rewrites the same row.

use crate::chance::Chance;
use crate::error::SagaError;
use crate::ids;
use crate::item::{Item, string_item};
use crate::settings::{InputOnly, Settings};
use crate::step::Step;
use crate::table::{Confirmed, Table};
use crate::trip::{RunType, TripRequest};
use serde_json::{Value, json};

/// Status value of a booking waiting for confirmation.
pub const PENDING: &str = "pending";
/// Status value of a confirmed booking or a taken payment.
pub const CONFIRMED: &str = "confirmed";

/// What a step runs against besides its event: the table, the random source behind the
/// compensations' simulated failures, and the settings that override the input.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a, T: ?Sized, C: ?Sized, S: ?Sized> {
    /// The saga's table.
    pub table: &'a T,
    /// Rolls for the compensations' failures.
    pub chance: &'a C,
    /// Settings changed while sagas run (the compensations' failure rate).
    pub settings: &'a S,
}

impl<'a, T: ?Sized, C: ?Sized> Env<'a, T, C, InputOnly> {
    /// A table and a random source, with no setting overriding the input.
    pub fn new(table: &'a T, chance: &'a C) -> Self {
        Env {
            table,
            chance,
            settings: &InputOnly,
        }
    }

    /// The same, reading `settings` before the input.
    pub fn with_settings<S: ?Sized>(self, settings: &'a S) -> Env<'a, T, C, S> {
        Env {
            table: self.table,
            chance: self.chance,
            settings,
        }
    }
}

/// Runs one step on one event: the entry point for Lambda binaries and the embedded
/// registry alike (through [`handle_text`] when the event is still text).
pub async fn handle<T: Table, C: Chance + ?Sized, S: Settings + ?Sized>(
    step: Step,
    env: Env<'_, T, C, S>,
    event: &Value,
) -> Result<Value, SagaError> {
    if step == Step::RequestApproval {
        return crate::approval::handle(env.table, event).await;
    }
    run(step, env, &TripRequest::from_event(event)?).await
}

/// [`handle`] for an event given as its JSON text: the trip is read straight from
/// it, without the whole document being built first.
pub async fn handle_text<T: Table, C: Chance + ?Sized, S: Settings + ?Sized>(
    step: Step,
    env: Env<'_, T, C, S>,
    event: &str,
) -> Result<Value, SagaError> {
    if step == Step::RequestApproval {
        let event: Value = match serde_json::from_str(event) {
            Ok(v) => v,
            // Refused in the words every step uses for text that is no event.
            Err(e) => {
                return Err(TripRequest::from_event_text(event)
                    .err()
                    .unwrap_or_else(|| SagaError::InvalidInput(e.to_string())));
            }
        };
        return crate::approval::handle(env.table, &event).await;
    }
    run(step, env, &TripRequest::from_event_text(event)?).await
}

async fn run<T: Table, C: Chance + ?Sized, S: Settings + ?Sized>(
    step: Step,
    env: Env<'_, T, C, S>,
    trip: &TripRequest,
) -> Result<Value, SagaError> {
    let table = env.table;
    match step {
        Step::ReserveHotel => reserve_hotel(table, trip).await,
        Step::ReserveFlight => reserve_flight(table, trip).await,
        Step::TakePayment => take_payment(table, trip).await,
        Step::ConfirmHotel => confirm(table, trip, Booking::Hotel).await,
        Step::ConfirmFlight => confirm(table, trip, Booking::Flight).await,
        Step::CancelHotel => compensate(env, trip, Step::CancelHotel).await,
        Step::CancelFlight => compensate(env, trip, Step::CancelFlight).await,
        Step::RefundPayment => compensate(env, trip, Step::RefundPayment).await,
        // Its event is more than a trip: `handle` and `handle_text` route it first.
        Step::RequestApproval => Err(SagaError::InvalidInput(
            "request-approval needs its approval event, not a bare trip".into(),
        )),
    }
}

/// The step a run type makes fail, and the error name it fails with: what a
/// viewer needs to predict a run's path through the state machine.
pub fn trigger(run_type: RunType) -> Option<(Step, &'static str)> {
    match run_type {
        RunType::Success => None,
        RunType::FailHotelReservation => Some((Step::ReserveHotel, "HotelReservationFailed")),
        RunType::FailFlightsReservation => Some((Step::ReserveFlight, "FlightReservationFailed")),
        RunType::FailPayment => Some((Step::TakePayment, "PaymentFailed")),
        RunType::FailHotelConfirmation => Some((Step::ConfirmHotel, "HotelConfirmationFailed")),
        RunType::FailFlightsConfirmation => Some((Step::ConfirmFlight, "FlightConfirmationFailed")),
    }
}

fn fail_if_triggered(step: Step, trip: &TripRequest) -> Result<(), SagaError> {
    match trigger(trip.run_type) {
        Some((failing, error_type)) if failing == step => Err(SagaError::Triggered {
            error_type,
            message: format!(
                "{step} failed on purpose: run type {} for trip {}",
                trip.run_type, trip.trip_id
            ),
        }),
        _ => Ok(()),
    }
}

#[derive(Clone, Copy)]
enum Booking {
    Hotel,
    Flight,
}

impl Booking {
    fn kind(self) -> &'static str {
        match self {
            Booking::Hotel => "hotel",
            Booking::Flight => "flight",
        }
    }

    fn confirm_step(self) -> Step {
        match self {
            Booking::Hotel => Step::ConfirmHotel,
            Booking::Flight => Step::ConfirmFlight,
        }
    }
}

/// Sort key of the trip's hotel booking.
pub fn hotel_sk(trip: &TripRequest) -> String {
    ["HOTEL#", &hotel_id(trip)].concat()
}

/// Sort key of the trip's flight booking.
pub fn flight_sk(trip: &TripRequest) -> String {
    ["FLIGHT#", &flight_id(trip)].concat()
}

/// Sort key of the trip's payment.
pub fn payment_sk(trip: &TripRequest) -> String {
    ["PAYMENT#", &payment_id(trip)].concat()
}

fn hotel_id(trip: &TripRequest) -> String {
    ids::hotel_booking_id(&trip.trip_id, &trip.hotel, &trip.check_in)
}

fn flight_id(trip: &TripRequest) -> String {
    ids::flight_booking_id(&trip.trip_id, &trip.depart, &trip.arrive)
}

fn payment_id(trip: &TripRequest) -> String {
    ids::payment_id(&trip.trip_id, &hotel_id(trip), &flight_id(trip))
}

/// The hotel row exactly as the article's data model has it.
pub fn hotel_item(trip: &TripRequest) -> Item {
    hotel_row(trip, hotel_id(trip))
}

fn hotel_row(trip: &TripRequest, id: String) -> Item {
    string_item([
        ("pk", trip.trip_id.clone()),
        ("sk", ["HOTEL#", &id].concat()),
        ("trip_id", trip.trip_id.clone()),
        ("type", "Hotel".to_string()),
        ("id", id),
        ("hotel", trip.hotel.clone()),
        ("check_in", trip.check_in.clone()),
        ("check_out", trip.check_out.clone()),
        ("transaction_status", PENDING.to_string()),
    ])
}

/// The flight row exactly as the article's data model has it.
pub fn flight_item(trip: &TripRequest) -> Item {
    flight_row(trip, flight_id(trip))
}

fn flight_row(trip: &TripRequest, id: String) -> Item {
    string_item([
        ("pk", trip.trip_id.clone()),
        ("sk", ["FLIGHT#", &id].concat()),
        ("trip_id", trip.trip_id.clone()),
        ("type", "Flight".to_string()),
        ("id", id),
        ("depart", trip.depart.clone()),
        ("depart_at", trip.depart_at.clone()),
        ("arrive", trip.arrive.clone()),
        ("arrive_at", trip.arrive_at.clone()),
        ("transaction_status", PENDING.to_string()),
    ])
}

/// The payment row exactly as the article's data model has it.
pub fn payment_item(trip: &TripRequest) -> Item {
    payment_row(trip, payment_id(trip))
}

fn payment_row(trip: &TripRequest, id: String) -> Item {
    string_item([
        ("pk", trip.trip_id.clone()),
        ("sk", ["PAYMENT#", &id].concat()),
        ("trip_id", trip.trip_id.clone()),
        ("type", "Payment".to_string()),
        ("id", id),
        ("amount", "450.00".to_string()),
        ("currency", "USD".to_string()),
        ("transaction_status", CONFIRMED.to_string()),
    ])
}

async fn reserve_hotel<T: Table>(table: &T, trip: &TripRequest) -> Result<Value, SagaError> {
    fail_if_triggered(Step::ReserveHotel, trip)?;
    let id = hotel_id(trip);
    table.put(hotel_row(trip, id.clone())).await?;
    Ok(json!({"status": "ok", "booking_id": id}))
}

async fn reserve_flight<T: Table>(table: &T, trip: &TripRequest) -> Result<Value, SagaError> {
    fail_if_triggered(Step::ReserveFlight, trip)?;
    let id = flight_id(trip);
    table.put(flight_row(trip, id.clone())).await?;
    Ok(json!({"status": "ok", "booking_id": id}))
}

async fn take_payment<T: Table>(table: &T, trip: &TripRequest) -> Result<Value, SagaError> {
    fail_if_triggered(Step::TakePayment, trip)?;
    let id = payment_id(trip);
    table.put(payment_row(trip, id.clone())).await?;
    Ok(json!({"status": "ok", "payment_id": id}))
}

async fn confirm<T: Table>(
    table: &T,
    trip: &TripRequest,
    booking: Booking,
) -> Result<Value, SagaError> {
    fail_if_triggered(booking.confirm_step(), trip)?;
    let sk = match booking {
        Booking::Hotel => hotel_sk(trip),
        Booking::Flight => flight_sk(trip),
    };
    match table.confirm(&trip.trip_id, &sk).await? {
        Confirmed::Yes => Ok(json!({"status": "ok", "booking": sk})),
        Confirmed::NoPendingRow => Err(SagaError::BookingNotFound {
            kind: booking.kind(),
            trip_id: trip.trip_id.clone(),
            sk,
        }),
    }
}

async fn compensate<T: Table, C: Chance + ?Sized, S: Settings + ?Sized>(
    env: Env<'_, T, C, S>,
    trip: &TripRequest,
    step: Step,
) -> Result<Value, SagaError> {
    let rate = env
        .settings
        .cancel_failure_rate()
        .await?
        .unwrap_or(trip.cancel_failure_rate);
    if env.chance.roll() < rate {
        return Err(SagaError::InternalServerError {
            step: step.function_name(),
            rate,
        });
    }
    let table = env.table;
    let sk = match step {
        Step::CancelHotel => hotel_sk(trip),
        Step::CancelFlight => flight_sk(trip),
        _ => payment_sk(trip),
    };
    table.delete(&trip.trip_id, &sk).await?;
    Ok(json!({"status": "ok", "deleted": sk}))
}
