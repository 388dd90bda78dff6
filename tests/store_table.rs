//! The embedded store behaves like the saga's DynamoDB table, and the real handlers
//! run on it unchanged.

use saga_lambdas::handlers::{flight_sk, hotel_sk, payment_sk};
use saga_lambdas::item::string_item;
use saga_lambdas::table::Confirmed;
use saga_lambdas::{AttrValue, FixedChance, Item, RunType, Step, Table, TripRequest};
use sagaview::store::Store;
use std::collections::BTreeMap;

fn row(pk: &str, sk: &str, status: &str) -> Item {
    string_item([
        ("pk", pk.to_string()),
        ("sk", sk.to_string()),
        ("transaction_status", status.to_string()),
    ])
}

fn status_of(item: &Item) -> Option<&str> {
    item.get("transaction_status").and_then(AttrValue::as_s)
}

/// Both store implementations, so every rule here is checked on each: the in-memory
/// one and a file in a temporary folder (which lives as long as the returned guard).
fn stores() -> (tempfile::TempDir, [Store; 2]) {
    let dir = tempfile::tempdir().unwrap();
    let file = Store::open(dir.path().join("test.db")).unwrap();
    (dir, [Store::open_in_memory().unwrap(), file])
}
#[tokio::test]
async fn put_overwrites_the_same_key() {
    let (_dir, stores) = stores();
    for store in stores {
        store.put(row("t1", "HOTEL#1", "pending")).await.unwrap();
        let mut second = row("t1", "HOTEL#1", "pending");
        second.insert("hotel".into(), AttrValue::S("ritz".into()));
        store.put(second.clone()).await.unwrap();

        let rows = store.query_trip("t1").await.unwrap();
        assert_eq!(rows, vec![second]);
    }
}

#[tokio::test]
async fn confirm_flips_only_an_existing_pending_row() {
    let (_dir, stores) = stores();
    for store in stores {
        store.put(row("t1", "HOTEL#1", "pending")).await.unwrap();

        assert_eq!(
            store.confirm("t1", "HOTEL#1").await.unwrap(),
            Confirmed::Yes
        );
        let rows = store.query_trip("t1").await.unwrap();
        assert_eq!(status_of(&rows[0]), Some("confirmed"));

        // Already confirmed: the condition fails and nothing changes.
        assert_eq!(
            store.confirm("t1", "HOTEL#1").await.unwrap(),
            Confirmed::NoPendingRow
        );
        assert_eq!(store.query_trip("t1").await.unwrap(), rows);

        // Missing row: no row is created (DynamoDB's conditional update would not either).
        assert_eq!(
            store.confirm("t1", "FLIGHT#9").await.unwrap(),
            Confirmed::NoPendingRow
        );
        assert_eq!(store.query_trip("t1").await.unwrap().len(), 1);

        // A row with no status at all is not pending either.
        let bare = string_item([("pk", "t1".to_string()), ("sk", "X".to_string())]);
        store.put(bare.clone()).await.unwrap();
        assert_eq!(
            store.confirm("t1", "X").await.unwrap(),
            Confirmed::NoPendingRow
        );
        assert_eq!(store.query_trip_sync("t1").unwrap()[1], bare);
    }
}

#[tokio::test]
async fn deleting_a_missing_row_succeeds() {
    let (_dir, stores) = stores();
    for store in stores {
        store.delete("t1", "HOTEL#1").await.unwrap();
        store.put(row("t1", "HOTEL#1", "pending")).await.unwrap();
        store.delete("t1", "HOTEL#1").await.unwrap();
        store.delete("t1", "HOTEL#1").await.unwrap();
        assert!(store.query_trip("t1").await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn query_trip_returns_only_that_trip_in_sort_key_byte_order() {
    let (_dir, stores) = stores();
    for store in stores {
        // Inserted out of order; "B" < "a" < "é" in UTF-8 byte order, as DynamoDB sorts.
        for sk in ["é", "a", "PAYMENT#1", "B", "FLIGHT#1", "HOTEL#1"] {
            store.put(row("t1", sk, "pending")).await.unwrap();
        }
        store.put(row("t2", "A", "pending")).await.unwrap();
        store.put(row("t10", "A", "pending")).await.unwrap();

        let sks: Vec<String> = store
            .query_trip("t1")
            .await
            .unwrap()
            .iter()
            .map(|i| i["sk"].as_s().unwrap().to_string())
            .collect();
        assert_eq!(sks, ["B", "FLIGHT#1", "HOTEL#1", "PAYMENT#1", "a", "é"]);
        assert_eq!(store.query_trip("t2").await.unwrap().len(), 1);
        assert!(store.query_trip("t3").await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn every_attribute_type_round_trips_exactly() {
    let (_dir, stores) = stores();
    for store in stores {
        let mut item = row("t1", "ALL", "pending");
        item.insert("s".into(), AttrValue::S("".into()));
        // Numbers keep their exact decimal text, not a float's.
        item.insert("n".into(), AttrValue::N("450.00".into()));
        item.insert("big".into(), AttrValue::N("12345678901234567890.1".into()));
        item.insert("yes".into(), AttrValue::Bool(true));
        item.insert("no".into(), AttrValue::Bool(false));
        item.insert("nothing".into(), AttrValue::Null(true));
        item.insert(
            "list".into(),
            AttrValue::L(vec![
                AttrValue::S("1".into()),
                AttrValue::N("1".into()),
                AttrValue::L(vec![]),
            ]),
        );
        item.insert(
            "map".into(),
            AttrValue::M(BTreeMap::from([
                ("inner".to_string(), AttrValue::Bool(false)),
                ("deep".to_string(), AttrValue::M(BTreeMap::new())),
            ])),
        );
        store.put(item.clone()).await.unwrap();
        assert_eq!(store.query_trip("t1").await.unwrap(), vec![item.clone()]);

        // Confirming rewrites one attribute and leaves every other type as it was.
        assert_eq!(store.confirm("t1", "ALL").await.unwrap(), Confirmed::Yes);
        item.insert(
            "transaction_status".into(),
            AttrValue::S("confirmed".into()),
        );
        assert_eq!(store.query_trip("t1").await.unwrap(), vec![item]);
    }
}

#[tokio::test]
async fn a_row_without_string_keys_is_a_table_error() {
    let (_dir, stores) = stores();
    for store in stores {
        let keyless = string_item([("pk", "t1".to_string())]);
        let err = store.put(keyless).await.unwrap_err().to_string();
        assert!(err.contains("sk"), "{err}");
    }
}

async fn run(store: &Store, step: Step, trip: &TripRequest) -> serde_json::Value {
    saga_lambdas::handle(
        step,
        saga_lambdas::Env::new(store, &FixedChance(0.99)),
        &trip.to_input(),
    )
    .await
    .unwrap_or_else(|e| panic!("{step} failed: {e}"))
}

#[tokio::test]
async fn the_real_handlers_book_a_whole_trip() {
    let (_dir, stores) = stores();
    for store in stores {
        let trip = TripRequest::example("t1", RunType::Success, 0.0);
        for step in [
            Step::ReserveHotel,
            Step::ReserveFlight,
            Step::TakePayment,
            Step::ConfirmHotel,
            Step::ConfirmFlight,
        ] {
            run(&store, step, &trip).await;
        }
        let rows = store.query_trip("t1").await.unwrap();
        assert_eq!(rows.len(), 3);
        let by_sk: BTreeMap<&str, &Item> =
            rows.iter().map(|r| (r["sk"].as_s().unwrap(), r)).collect();
        for sk in [hotel_sk(&trip), flight_sk(&trip), payment_sk(&trip)] {
            let r = by_sk
                .get(sk.as_str())
                .unwrap_or_else(|| panic!("no row {sk}"));
            assert_eq!(status_of(r), Some("confirmed"), "{sk}");
        }

        // Confirming again finds no pending row: the handler reports BookingNotFound.
        let err = saga_lambdas::handle(
            Step::ConfirmHotel,
            saga_lambdas::Env::new(&store, &FixedChance(0.99)),
            &trip.to_input(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.error_type(), "BookingNotFound");
    }
}

#[tokio::test]
async fn the_real_compensations_delete_and_are_idempotent() {
    let (_dir, stores) = stores();
    for store in stores {
        let trip = TripRequest::example("t1", RunType::FailPayment, 0.0);
        let other = TripRequest::example("t2", RunType::Success, 0.0);
        run(&store, Step::ReserveHotel, &trip).await;
        run(&store, Step::ReserveFlight, &trip).await;
        run(&store, Step::ReserveHotel, &other).await;
        let err = saga_lambdas::handle(
            Step::TakePayment,
            saga_lambdas::Env::new(&store, &FixedChance(0.99)),
            &trip.to_input(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.error_type(), "PaymentFailed");
        assert_eq!(store.query_trip("t1").await.unwrap().len(), 2);

        for step in [Step::RefundPayment, Step::CancelFlight, Step::CancelHotel] {
            run(&store, step, &trip).await;
            // A retried compensation finds nothing to delete and still succeeds.
            run(&store, step, &trip).await;
        }
        assert!(store.query_trip("t1").await.unwrap().is_empty());
        assert_eq!(store.query_trip("t2").await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn clones_share_one_database_across_tasks() {
    let (_dir, stores) = stores();
    for store in stores {
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(
                    async move { store.put(row("t1", &format!("S#{i}"), "pending")).await },
                )
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(store.query_trip("t1").await.unwrap().len(), 8);
    }
}

#[test]
fn queued_row_writes_land_in_a_batch_and_a_bad_one_alone_fails() {
    use sagaview::store::StoreWrite;
    let (_dir, stores) = stores();
    for store in stores {
        store.put_sync(&row("t1", "GONE", "pending")).unwrap();
        let mut keyless = row("t1", "X", "pending");
        keyless.remove("pk");
        let errors = store.write_batch(&[
            StoreWrite::PutItem {
                item: row("t1", "B", "pending"),
                by: None,
            },
            StoreWrite::PutItem {
                item: keyless,
                by: None,
            },
            StoreWrite::PutItem {
                item: row("t1", "A", "confirmed"),
                by: None,
            },
            StoreWrite::DeleteItem {
                pk: "t1".into(),
                sk: "GONE".into(),
                by: None,
            },
        ]);
        assert_eq!(errors.len(), 1, "{}: {errors:?}", store.location());
        assert!(errors[0].to_string().contains("pk"), "{}", errors[0]);
        assert_eq!(
            store.query_trip_sync("t1").unwrap(),
            vec![row("t1", "A", "confirmed"), row("t1", "B", "pending")],
            "{}",
            store.location()
        );
        assert_eq!(
            store.get_item_sync("t1", "A").unwrap(),
            Some(row("t1", "A", "confirmed"))
        );
        assert_eq!(store.get_item_sync("t1", "GONE").unwrap(), None);
    }
}
