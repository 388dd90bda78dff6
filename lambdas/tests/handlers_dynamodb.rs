//! Every handler against the real DynamoDB API of a moto server.

mod common;

use common::{new_table, sdk_config, unique};
use saga_lambdas::dynamo::DynamoTable;
use saga_lambdas::{
    AttrValue, Env, FixedChance, Item, RunType, SagaError, Step, Table, ThreadChance, TripRequest,
    handle, ids, settings,
};
use serde_json::{Value, json};

fn trip(run_type: RunType, rate: f64) -> TripRequest {
    TripRequest::example(&unique("trip"), run_type, rate)
}

async fn run(table: &DynamoTable, step: Step, trip: &TripRequest) -> Result<Value, SagaError> {
    handle(step, Env::new(table, &ThreadChance), &trip.to_input()).await
}

fn s(item: &Item, key: &str) -> String {
    match item.get(key) {
        Some(AttrValue::S(v)) => v.clone(),
        other => panic!("attribute {key} is not a string: {other:?}"),
    }
}

fn keys(item: &Item) -> Vec<&str> {
    item.keys().map(String::as_str).collect()
}

async fn rows(table: &DynamoTable, t: &TripRequest) -> Vec<Item> {
    table.query_trip(&t.trip_id).await.expect("query trip")
}

#[tokio::test]
async fn reservations_and_payment_write_the_article_data_model() {
    let table = new_table(&sdk_config().await).await;
    let t = trip(RunType::Success, 0.0);
    let hotel_id = ids::hotel_booking_id(&t.trip_id, "holiday inn", "2021-07-10T12:00:00.000Z");
    let flight_id = ids::flight_booking_id(&t.trip_id, "London", "Dublin");
    let payment_id = ids::payment_id(&t.trip_id, &hotel_id, &flight_id);

    let out = run(&table, Step::ReserveHotel, &t).await.unwrap();
    assert_eq!(out, json!({"status": "ok", "booking_id": hotel_id}));
    run(&table, Step::ReserveFlight, &t).await.unwrap();
    run(&table, Step::TakePayment, &t).await.unwrap();

    let rows = rows(&table, &t).await;
    assert_eq!(rows.len(), 3);
    // Query returns rows ordered by sk: FLIGHT#, HOTEL#, PAYMENT#.
    let (flight, hotel, payment) = (&rows[0], &rows[1], &rows[2]);

    assert_eq!(
        keys(hotel),
        [
            "check_in",
            "check_out",
            "hotel",
            "id",
            "pk",
            "sk",
            "transaction_status",
            "trip_id",
            "type"
        ]
    );
    assert_eq!(s(hotel, "pk"), t.trip_id);
    assert_eq!(s(hotel, "sk"), format!("HOTEL#{hotel_id}"));
    assert_eq!(s(hotel, "id"), hotel_id);
    assert_eq!(s(hotel, "type"), "Hotel");
    assert_eq!(s(hotel, "trip_id"), t.trip_id);
    assert_eq!(s(hotel, "hotel"), "holiday inn");
    assert_eq!(s(hotel, "check_in"), "2021-07-10T12:00:00.000Z");
    assert_eq!(s(hotel, "check_out"), "2021-07-12T14:00:00.000Z");
    assert_eq!(s(hotel, "transaction_status"), "pending");

    assert_eq!(
        keys(flight),
        [
            "arrive",
            "arrive_at",
            "depart",
            "depart_at",
            "id",
            "pk",
            "sk",
            "transaction_status",
            "trip_id",
            "type"
        ]
    );
    assert_eq!(s(flight, "sk"), format!("FLIGHT#{flight_id}"));
    assert_eq!(s(flight, "type"), "Flight");
    assert_eq!(s(flight, "depart"), "London");
    assert_eq!(s(flight, "depart_at"), "2021-07-10T06:00:00.000Z");
    assert_eq!(s(flight, "arrive"), "Dublin");
    assert_eq!(s(flight, "arrive_at"), "2021-07-12T08:00:00.000Z");
    assert_eq!(s(flight, "transaction_status"), "pending");

    assert_eq!(
        keys(payment),
        [
            "amount",
            "currency",
            "id",
            "pk",
            "sk",
            "transaction_status",
            "trip_id",
            "type"
        ]
    );
    assert_eq!(s(payment, "sk"), format!("PAYMENT#{payment_id}"));
    assert_eq!(s(payment, "type"), "Payment");
    assert_eq!(s(payment, "amount"), "450.00");
    assert_eq!(s(payment, "currency"), "USD");
    assert_eq!(s(payment, "transaction_status"), "confirmed");
}

#[tokio::test]
async fn confirm_flips_pending_to_confirmed() {
    let table = new_table(&sdk_config().await).await;
    let t = trip(RunType::Success, 0.0);
    run(&table, Step::ReserveHotel, &t).await.unwrap();
    run(&table, Step::ReserveFlight, &t).await.unwrap();
    run(&table, Step::ConfirmHotel, &t).await.unwrap();
    run(&table, Step::ConfirmFlight, &t).await.unwrap();
    let rows = rows(&table, &t).await;
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(s(row, "transaction_status"), "confirmed", "{row:?}");
    }
}

#[tokio::test]
async fn confirming_a_missing_booking_fails_clearly_and_writes_nothing() {
    let table = new_table(&sdk_config().await).await;
    let t = trip(RunType::Success, 0.0);
    for step in [Step::ConfirmHotel, Step::ConfirmFlight] {
        let err = run(&table, step, &t).await.unwrap_err();
        assert_eq!(err.error_type(), "BookingNotFound");
        assert!(err.to_string().contains(&t.trip_id), "{err}");
    }
    assert!(rows(&table, &t).await.is_empty());
}

#[tokio::test]
async fn compensations_delete_and_deleting_twice_succeeds() {
    let table = new_table(&sdk_config().await).await;
    let t = trip(RunType::Success, 0.0);
    for step in [Step::ReserveHotel, Step::ReserveFlight, Step::TakePayment] {
        run(&table, step, &t).await.unwrap();
    }
    assert_eq!(rows(&table, &t).await.len(), 3);
    for step in [Step::RefundPayment, Step::CancelFlight, Step::CancelHotel] {
        run(&table, step, &t).await.unwrap();
        run(&table, step, &t)
            .await
            .expect("a second delete is a success");
    }
    assert!(rows(&table, &t).await.is_empty());
}

#[tokio::test]
async fn a_retried_reservation_leaves_one_row() {
    let table = new_table(&sdk_config().await).await;
    let t = trip(RunType::Success, 0.0);
    for _ in 0..3 {
        run(&table, Step::ReserveHotel, &t).await.unwrap();
        run(&table, Step::ReserveFlight, &t).await.unwrap();
        run(&table, Step::TakePayment, &t).await.unwrap();
    }
    assert_eq!(rows(&table, &t).await.len(), 3);
}

#[tokio::test]
async fn each_run_type_fails_exactly_its_step() {
    let table = new_table(&sdk_config().await).await;
    let forward = [
        Step::ReserveHotel,
        Step::ReserveFlight,
        Step::TakePayment,
        Step::ConfirmHotel,
        Step::ConfirmFlight,
    ];
    let expected = [
        (RunType::Success, None),
        (
            RunType::FailHotelReservation,
            Some((Step::ReserveHotel, "HotelReservationFailed")),
        ),
        (
            RunType::FailFlightsReservation,
            Some((Step::ReserveFlight, "FlightReservationFailed")),
        ),
        (
            RunType::FailPayment,
            Some((Step::TakePayment, "PaymentFailed")),
        ),
        (
            RunType::FailHotelConfirmation,
            Some((Step::ConfirmHotel, "HotelConfirmationFailed")),
        ),
        (
            RunType::FailFlightsConfirmation,
            Some((Step::ConfirmFlight, "FlightConfirmationFailed")),
        ),
    ];
    for (run_type, want) in expected {
        let t = trip(run_type, 0.0);
        // Pending rows exist, so only the trigger can make a confirm fail.
        let ok = TripRequest {
            run_type: RunType::Success,
            ..t.clone()
        };
        run(&table, Step::ReserveHotel, &ok).await.unwrap();
        run(&table, Step::ReserveFlight, &ok).await.unwrap();

        let mut failures = Vec::new();
        for step in forward {
            if let Err(e) = run(&table, step, &t).await {
                failures.push((step, e.error_type()));
            }
        }
        assert_eq!(failures, want.into_iter().collect::<Vec<_>>(), "{run_type}");
    }
}

#[tokio::test]
async fn cancel_failure_rates_zero_and_one_are_deterministic() {
    let table = new_table(&sdk_config().await).await;
    let never = trip(RunType::FailPayment, 0.0);
    let always = trip(RunType::FailPayment, 1.0);
    run(&table, Step::ReserveHotel, &always).await.unwrap();
    for step in [Step::RefundPayment, Step::CancelFlight, Step::CancelHotel] {
        for _ in 0..25 {
            run(&table, step, &never).await.expect("rate 0 never fails");
            let err = run(&table, step, &always).await.unwrap_err();
            assert_eq!(err.error_type(), "InternalServerError");
        }
    }
    // The failing compensation left its row in place.
    assert_eq!(rows(&table, &always).await.len(), 1);
}

#[tokio::test]
async fn the_injected_random_source_decides_compensation_failures() {
    let table = new_table(&sdk_config().await).await;
    let t = trip(RunType::FailPayment, 0.4);
    let input = t.to_input();
    let low = handle(
        Step::CancelHotel,
        Env::new(&table, &FixedChance(0.39)),
        &input,
    )
    .await;
    assert_eq!(low.unwrap_err().error_type(), "InternalServerError");
    let high = handle(
        Step::CancelHotel,
        Env::new(&table, &FixedChance(0.4)),
        &input,
    )
    .await;
    assert!(high.is_ok(), "{high:?}");
}

#[tokio::test]
async fn the_tables_failure_rate_item_overrides_the_inputs_rate() {
    let table = new_table(&sdk_config().await).await;
    let input = trip(RunType::FailPayment, 1.0).to_input();
    let cancel = |table: &DynamoTable| {
        let (table, input) = (table.clone(), input.clone());
        async move {
            let env = Env::new(&table, &FixedChance(0.5)).with_settings(&table);
            handle(Step::CancelHotel, env, &input).await
        }
    };
    // Nothing set: the input's rate 1 fails every compensation.
    let err = cancel(&table).await.unwrap_err();
    assert_eq!(err.error_type(), "InternalServerError");

    let rate_item = |rate: &str| {
        Item::from([
            (
                "pk".to_owned(),
                AttrValue::S(settings::CONFIG_PK.to_owned()),
            ),
            (
                "sk".to_owned(),
                AttrValue::S(settings::CANCEL_FAILURE_RATE_SK.to_owned()),
            ),
            (
                settings::RATE_ATTRIBUTE.to_owned(),
                AttrValue::N(rate.to_owned()),
            ),
        ])
    };
    table.put(rate_item("0")).await.unwrap();
    assert!(
        cancel(&table).await.is_ok(),
        "the item's rate 0 ends the outage"
    );

    table.put(rate_item("7")).await.unwrap();
    let err = cancel(&table).await.unwrap_err();
    assert!(
        err.to_string().contains("not a number from 0 to 1"),
        "{err}"
    );
}

#[tokio::test]
async fn malformed_events_give_clear_errors_for_every_step() {
    let table = new_table(&sdk_config().await).await;
    let mut missing = trip(RunType::Success, 0.0).to_input();
    missing.as_object_mut().unwrap().remove("trip_id");
    let mut wrong_type = trip(RunType::Success, 0.0).to_input();
    wrong_type["hotel"] = json!(42);
    let mut bad_rate = trip(RunType::Success, 0.0).to_input();
    bad_rate["cancel_failure_rate"] = json!("often");
    let mut bad_run_type = trip(RunType::Success, 0.0).to_input();
    bad_run_type["run_type"] = json!("failEverything");
    let cases = [
        (missing, "missing field `trip_id`"),
        (wrong_type, "invalid type: integer `42`"),
        (bad_rate, "invalid type: string \"often\""),
        (bad_run_type, "failEverything"),
        (json!("not an object"), "invalid type: string"),
    ];
    for step in Step::ALL {
        for (event, needle) in &cases {
            let err = handle(step, Env::new(&table, &ThreadChance), event)
                .await
                .unwrap_err();
            assert_eq!(err.error_type(), "InvalidInput", "{step}");
            assert!(err.to_string().contains(needle), "{step}: {err}");
        }
    }
}
