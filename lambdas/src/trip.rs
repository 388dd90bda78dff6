//! The saga's input: one trip and how this run should behave.

use crate::error::SagaError;
use serde::Deserialize;
use std::fmt;
use std::str::FromStr;

/// Which step (if any) this run makes fail: the article's failure triggers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RunType {
    /// No step fails.
    #[default]
    Success,
    /// ReserveHotel fails.
    FailHotelReservation,
    /// ReserveFlight fails.
    FailFlightsReservation,
    /// TakePayment fails.
    FailPayment,
    /// ConfirmHotelBooking fails.
    FailHotelConfirmation,
    /// ConfirmFlight fails.
    FailFlightsConfirmation,
}

impl RunType {
    /// Every run type, in the order the article lists the scenarios (and the TUI's keys).
    pub const ALL: [RunType; 6] = [
        RunType::Success,
        RunType::FailHotelReservation,
        RunType::FailFlightsReservation,
        RunType::FailPayment,
        RunType::FailHotelConfirmation,
        RunType::FailFlightsConfirmation,
    ];

    /// The wire name (`failPayment`), as used in the input and the API's `runType`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunType::Success => "success",
            RunType::FailHotelReservation => "failHotelReservation",
            RunType::FailFlightsReservation => "failFlightsReservation",
            RunType::FailPayment => "failPayment",
            RunType::FailHotelConfirmation => "failHotelConfirmation",
            RunType::FailFlightsConfirmation => "failFlightsConfirmation",
        }
    }

    /// The valid names, comma separated, for error messages.
    pub fn valid_names() -> String {
        RunType::ALL.map(RunType::as_str).join(", ")
    }
}

impl fmt::Display for RunType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown run type name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown run type {0:?}; valid run types: {valid}", valid = RunType::valid_names())]
pub struct UnknownRunType(pub String);

impl FromStr for RunType {
    type Err = UnknownRunType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RunType::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRunType(s.to_string()))
    }
}

/// The failure probability of compensations when the input names none (the article's 0.4).
pub const DEFAULT_CANCEL_FAILURE_RATE: f64 = 0.4;

/// Checks a cancel failure rate: a probability, so within `[0, 1]`.
pub fn validate_cancel_failure_rate(rate: f64) -> Result<f64, String> {
    if rate.is_finite() && (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err(format!(
            "cancel_failure_rate must be a number from 0 to 1, got {rate}"
        ))
    }
}

/// The saga's input as every step receives it. Extra members (earlier steps' results
/// and errors) are ignored; a missing run type is a success run, a missing rate the
/// article's default.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "TripInput")]
pub struct TripRequest {
    /// The trip: the partition key of all its rows.
    pub trip_id: String,
    /// Flight origin.
    pub depart: String,
    /// Flight departure time.
    pub depart_at: String,
    /// Flight destination.
    pub arrive: String,
    /// Flight arrival time.
    pub arrive_at: String,
    /// Hotel name.
    pub hotel: String,
    /// Hotel check-in time.
    pub check_in: String,
    /// Hotel check-out time.
    pub check_out: String,
    /// Which step this run makes fail.
    pub run_type: RunType,
    /// Probability that a compensation fails (and is retried).
    pub cancel_failure_rate: f64,
}

/// The input's members as they arrive, before they are checked.
#[derive(Deserialize)]
struct TripInput {
    trip_id: String,
    depart: String,
    depart_at: String,
    arrive: String,
    arrive_at: String,
    hotel: String,
    check_in: String,
    check_out: String,
    #[serde(default)]
    run_type: Option<String>,
    #[serde(default)]
    cancel_failure_rate: Option<f64>,
}

impl TryFrom<TripInput> for TripRequest {
    type Error = String;

    fn try_from(raw: TripInput) -> Result<Self, String> {
        // The same rule as the starter's: ids become keys and execution names, so
        // an odd one is refused here rather than written into the table.
        validate_trip_id(&raw.trip_id)?;
        let run_type = match raw.run_type.as_deref() {
            None => RunType::Success,
            Some(name) => name.parse().map_err(|e: UnknownRunType| e.to_string())?,
        };
        let cancel_failure_rate = validate_cancel_failure_rate(
            raw.cancel_failure_rate
                .unwrap_or(DEFAULT_CANCEL_FAILURE_RATE),
        )?;
        Ok(TripRequest {
            trip_id: raw.trip_id,
            depart: raw.depart,
            depart_at: raw.depart_at,
            arrive: raw.arrive,
            arrive_at: raw.arrive_at,
            hotel: raw.hotel,
            check_in: raw.check_in,
            check_out: raw.check_out,
            run_type,
            cancel_failure_rate,
        })
    }
}

impl TripRequest {
    /// Reads the step's event, with a clear [`SagaError::InvalidInput`] on anything malformed.
    pub fn from_event(event: &serde_json::Value) -> Result<Self, SagaError> {
        TripRequest::deserialize(event).map_err(|e| SagaError::InvalidInput(e.to_string()))
    }

    /// Reads the step's event from its JSON text, skipping the members a step does not
    /// read (earlier steps' results) rather than building them. A malformed event is
    /// reported in the very words of [`TripRequest::from_event`], which a parse of the
    /// text alone would follow with a position.
    pub fn from_event_text(text: &str) -> Result<Self, SagaError> {
        serde_json::from_str(text).or_else(|e| match serde_json::from_str(text) {
            Ok(event) => TripRequest::from_event(&event),
            Err(_) => Err(SagaError::InvalidInput(e.to_string())),
        })
    }

    /// The article's example trip (London → Dublin, holiday inn, July 2021) for a run type.
    pub fn example(trip_id: &str, run_type: RunType, cancel_failure_rate: f64) -> Self {
        TripRequest {
            trip_id: trip_id.to_owned(),
            depart: "London".into(),
            depart_at: "2021-07-10T06:00:00.000Z".into(),
            arrive: "Dublin".into(),
            arrive_at: "2021-07-12T08:00:00.000Z".into(),
            hotel: "holiday inn".into(),
            check_in: "2021-07-10T12:00:00.000Z".into(),
            check_out: "2021-07-12T14:00:00.000Z".into(),
            run_type,
            cancel_failure_rate,
        }
    }

    /// The execution input the article's starter builds (plus run type and failure rate).
    pub fn to_input(&self) -> serde_json::Value {
        use serde_json::Value;
        let text = |s: &str| Value::String(s.to_owned());
        let members = [
            ("trip_id", text(&self.trip_id)),
            ("depart", text(&self.depart)),
            ("depart_at", text(&self.depart_at)),
            ("arrive", text(&self.arrive)),
            ("arrive_at", text(&self.arrive_at)),
            ("hotel", text(&self.hotel)),
            ("check_in", text(&self.check_in)),
            ("check_out", text(&self.check_out)),
            ("rental", text("Volvo")),
            ("rental_from", text("2021-07-10T00:00:00.000Z")),
            ("rental_to", text("2021-07-12T00:00:00.000Z")),
            ("run_type", text(self.run_type.as_str())),
            ("cancel_failure_rate", self.cancel_failure_rate.into()),
        ];
        // Sized once: a start builds one of these per execution.
        let mut input = serde_json::Map::with_capacity(members.len());
        for (k, v) in members {
            input.insert(k.to_owned(), v);
        }
        Value::Object(input)
    }
}

/// Checks a trip id given by a person: 1–64 characters of `[A-Za-z0-9_-]`.
pub fn validate_trip_id(id: &str) -> Result<&str, String> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(id)
    } else {
        Err(format!(
            "trip id must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-', got {id:?}"
        ))
    }
}

/// A unique, valid execution name (≤ 80 chars of `[A-Za-z0-9_-]`) that still shows the
/// trip, so lists of executions read well in the console and in sagaview alike.
pub fn execution_name(trip_id: &str) -> String {
    let prefix: String = trip_id.chars().take(40).collect();
    // A version 4 UUID from the thread's CSPRNG, which (unlike `Uuid::new_v4`) makes no
    // system call per name: a workshop's burst of starts stays cheap.
    let uuid = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
    let mut simple = uuid::Uuid::encode_buffer();
    [
        prefix.as_str(),
        "-",
        uuid.simple().encode_lower(&mut simple),
    ]
    .concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn example_round_trips_through_the_event() {
        let trip = TripRequest::example("t-1", RunType::FailPayment, 0.0);
        assert_eq!(TripRequest::from_event(&trip.to_input()).unwrap(), trip);
    }

    #[test]
    fn an_event_read_from_its_text_reads_as_from_the_document() {
        let mut with_results = TripRequest::example("t-1", RunType::FailPayment, 0.3).to_input();
        with_results["ReserveHotelResult"] = json!({"Payload": {"status": "ok", "n": [1, 2]}});
        let mut no_trip = with_results.clone();
        no_trip.as_object_mut().unwrap().remove("trip_id");
        let mut bad_rate = with_results.clone();
        bad_rate["cancel_failure_rate"] = json!(1.5);
        let mut empty_id = with_results.clone();
        empty_id["trip_id"] = json!("");
        let events = [
            with_results,
            no_trip,
            bad_rate,
            empty_id,
            json!({"trip_id": 5}),
            json!([1]),
        ];
        for ev in events {
            let text = ev.to_string();
            let from_text = TripRequest::from_event_text(&text);
            let from_doc = TripRequest::from_event(&ev);
            match (from_text, from_doc) {
                (Ok(a), Ok(b)) => assert_eq!(a, b),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{ev}"),
                other => panic!("{ev}: {other:?}"),
            }
        }
        assert!(TripRequest::from_event_text("{not json").is_err());
    }

    #[test]
    fn run_type_names_parse_back() {
        for r in RunType::ALL {
            assert_eq!(r.as_str().parse::<RunType>().unwrap(), r);
        }
        let err = "failEverything".parse::<RunType>().unwrap_err().to_string();
        assert!(
            err.contains("failEverything") && err.contains("failPayment"),
            "{err}"
        );
    }

    #[test]
    fn malformed_events_are_clear_errors() {
        let mut ev = TripRequest::example("t", RunType::Success, 0.4).to_input();
        ev.as_object_mut().unwrap().remove("trip_id");
        let e = TripRequest::from_event(&ev).unwrap_err();
        assert_eq!(e.error_type(), "InvalidInput");
        assert!(e.to_string().contains("trip_id"), "{e}");

        let e = TripRequest::from_event(&json!({"trip_id": 5})).unwrap_err();
        assert!(e.to_string().contains("invalid type"), "{e}");

        let mut ev = TripRequest::example("t", RunType::Success, 0.4).to_input();
        ev["cancel_failure_rate"] = json!(1.5);
        let e = TripRequest::from_event(&ev).unwrap_err();
        assert!(e.to_string().contains("cancel_failure_rate"), "{e}");
    }

    #[test]
    fn trip_ids_are_checked() {
        assert!(validate_trip_id("abc_DEF-09").is_ok());
        assert!(validate_trip_id("").is_err());
        assert!(validate_trip_id("a b").is_err());
        assert!(validate_trip_id(&"x".repeat(65)).is_err());
        assert!(validate_trip_id(&"x".repeat(64)).is_ok());
    }

    /// A step refuses the trip ids the starter refuses, with the starter's words, in
    /// both ways an event is read.
    #[test]
    fn steps_refuse_the_trip_ids_the_starter_refuses() {
        for bad in ["", "a b", "trip#1", "../x", "é", &"x".repeat(65)] {
            let mut ev = TripRequest::example("t", RunType::Success, 0.4).to_input();
            ev["trip_id"] = json!(bad);
            let want = validate_trip_id(bad).unwrap_err();
            for e in [
                TripRequest::from_event(&ev).unwrap_err(),
                TripRequest::from_event_text(&ev.to_string()).unwrap_err(),
            ] {
                assert_eq!(e.error_type(), "InvalidInput", "{bad:?}");
                assert!(e.to_string().contains(&want), "{bad:?}: {e}");
            }
        }
    }
}
