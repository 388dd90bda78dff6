//! The approval machine on the embedded runtime, on virtual time: the saga waits at
//! RequestApproval until a person approves (SendTaskSuccess), rejects
//! (SendTaskFailure) or lets it time out; the approval row is gone afterwards and the
//! verdict never counts it.

use saga_lambdas::approval::{APPROVAL_PREFIX, approval_sk, pending_token};
use saga_lambdas::{Item, RunType};
use sagaview::backend::approval::{Decision, REJECTED_ERROR, decide};
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::backend::saga_definition::APPROVAL_STATE_MACHINE_NAME;
use sagaview::backend::{Launch, SagaBackend, SagaMachine};
use sagaview::engine::Pace;
use sagaview::history::{EventDetails, EventType, ExecutionStatus, HistoryEvent};
use sagaview::store::Store;
use sagaview::view::graph::StateGraph;
use sagaview::view::reducer::ExecutionView;
use sagaview::view::verdict::{VerdictLevel, judge};
use std::time::Duration;

const SORRY: &str = "Sorry, We Couldn't make the booking";
const BOOKED: &str = "We have made your booking!";

fn backend() -> EmbeddedBackend {
    let options = EmbeddedOptions {
        seed: Some(3),
        pace: Pace::Instant,
        ..EmbeddedOptions::default()
    };
    EmbeddedBackend::new(Store::open_in_memory().expect("store"), options).expect("backend")
}

fn launch(run_type: RunType, trip: &str) -> Launch {
    Launch {
        run_type,
        trip_id: trip.to_string(),
        cancel_failure_rate: 0.0,
    }
}

fn entered(events: &[HistoryEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.details {
            Some(EventDetails::StateEntered(d)) => Some(d.name.clone()),
            _ => None,
        })
        .collect()
}

fn sks(rows: &[Item]) -> Vec<String> {
    rows.iter()
        .filter_map(|r| r.get("sk").and_then(|v| v.as_s()).map(str::to_owned))
        .collect()
}

/// Starts an approval run and waits (on the runtime's clock) until its approval row
/// is written: the execution then waits for a person.
async fn start_waiting(b: &EmbeddedBackend, run_type: RunType, trip: &str) -> String {
    let arn = b
        .start_on(SagaMachine::Approval, launch(run_type, trip))
        .await
        .expect("started");
    for _ in 0..60 {
        let rows = b.rows(trip).await.expect("rows");
        if pending_token(&rows, &arn).is_some() {
            return arn;
        }
        b.clock().sleep(Duration::from_millis(100)).await;
    }
    panic!("no approval row was written for {arn}");
}

async fn ended(b: &EmbeddedBackend, arn: &str) -> (Vec<HistoryEvent>, ExecutionStatus) {
    let summary = b.wait(arn).await.expect("ended");
    let events = b.history_since(arn, 0).await.expect("history");
    (events, summary.status)
}

async fn verdict_of(
    b: &EmbeddedBackend,
    arn: &str,
    events: &[HistoryEvent],
    trip: &str,
) -> VerdictLevel {
    let definition = b.definition(Some(arn)).await.expect("definition");
    let graph = StateGraph::from_definition(&definition);
    let mut view = ExecutionView::new(Some(&definition));
    view.apply(events);
    let rows = b.rows(trip).await.expect("rows");
    judge(&view, &graph, &rows).expect("ended").level
}

#[tokio::test]
async fn an_approved_saga_takes_the_payment_and_removes_the_approval() {
    let b = backend();
    b.clock()
        .track(async {
            let arn = start_waiting(&b, RunType::Success, "trip-approve").await;
            assert!(arn.contains(&format!(":execution:{APPROVAL_STATE_MACHINE_NAME}:")));
            let rows = b.rows("trip-approve").await.expect("rows");
            assert!(sks(&rows).contains(&approval_sk(&arn)), "{rows:?}");
            let now = b.describe(&arn).await.expect("describe");
            assert_eq!(now.status, ExecutionStatus::Running);
            decide(&b, &arn, "trip-approve", Decision::Approve)
                .await
                .expect("approved");
            let (events, status) = ended(&b, &arn).await;
            assert_eq!(status, ExecutionStatus::Succeeded);
            assert_eq!(
                entered(&events),
                [
                    "ReserveHotel",
                    "ReserveFlight",
                    "RequestApproval",
                    "CloseApproval",
                    "TakePayment",
                    "ConfirmHotelBooking",
                    "ConfirmFlight",
                    BOOKED
                ]
            );
            assert!(
                events
                    .iter()
                    .any(|e| e.event_type == EventType::TaskSubmitted),
                "the callback task was submitted"
            );
            let rows = b.rows("trip-approve").await.expect("rows");
            assert!(!sks(&rows).iter().any(|s| s.starts_with(APPROVAL_PREFIX)));
            assert_eq!(
                verdict_of(&b, &arn, &events, "trip-approve").await,
                VerdictLevel::Ok
            );
            // The token is spent: a second answer is refused, saying why.
            let again = decide(&b, &arn, "trip-approve", Decision::Approve).await;
            assert!(again.is_err_and(|e| e.to_string().contains("does not wait for an approval")));
        })
        .await;
}

#[tokio::test]
async fn a_rejection_is_caught_and_compensates_cleanly() {
    let b = backend();
    b.clock()
        .track(async {
            let arn = start_waiting(&b, RunType::Success, "trip-reject").await;
            decide(&b, &arn, "trip-reject", Decision::Reject)
                .await
                .expect("rejected");
            let (events, status) = ended(&b, &arn).await;
            assert_eq!(status, ExecutionStatus::Failed);
            assert_eq!(
                entered(&events),
                [
                    "ReserveHotel",
                    "ReserveFlight",
                    "RequestApproval",
                    "WithdrawApproval",
                    "CancelFlightReservation",
                    "CancelHotelReservation",
                    SORRY
                ]
            );
            let failed = events
                .iter()
                .find_map(|e| match &e.details {
                    Some(EventDetails::TaskFailed(d)) if e.event_type == EventType::TaskFailed => {
                        d.error.clone()
                    }
                    _ => None,
                })
                .expect("the approval task failed");
            assert_eq!(failed, REJECTED_ERROR);
            assert!(b.rows("trip-reject").await.expect("rows").is_empty());
            assert_eq!(
                verdict_of(&b, &arn, &events, "trip-reject").await,
                VerdictLevel::Ok
            );
        })
        .await;
}

#[tokio::test]
async fn an_unanswered_approval_times_out_on_its_heartbeat_and_compensates() {
    let b = backend();
    b.clock()
        .track(async {
            let arn = start_waiting(&b, RunType::Success, "trip-silent").await;
            let (events, status) = ended(&b, &arn).await;
            assert_eq!(status, ExecutionStatus::Failed);
            let scheduled = events
                .iter()
                .find_map(|e| match &e.details {
                    Some(EventDetails::TaskScheduled(d))
                        if d.resource == "invoke.waitForTaskToken" =>
                    {
                        Some((e.timestamp, d.heartbeat_in_seconds, d.timeout_in_seconds))
                    }
                    _ => None,
                })
                .expect("the approval was scheduled");
            assert_eq!((scheduled.1, scheduled.2), (Some(120), Some(300)));
            let timed_out = events
                .iter()
                .find(|e| e.event_type == EventType::TaskTimedOut)
                .expect("the approval timed out");
            let error = match &timed_out.details {
                Some(EventDetails::TaskTimedOut(d)) => d.error.clone(),
                _ => None,
            };
            assert_eq!(error.as_deref(), Some("States.HeartbeatTimeout"));
            let waited = timed_out.timestamp - scheduled.0;
            assert!(
                (120..=121).contains(&waited.num_seconds()),
                "waited {waited}"
            );
            assert!(entered(&events).contains(&"WithdrawApproval".to_string()));
            // Right after it, the narration tells the timeout as one.
            let definition = b.definition(Some(&arn)).await.expect("definition");
            let mut view = ExecutionView::new(Some(&definition));
            view.apply(&events[..usize::try_from(timed_out.id).expect("an id")]);
            let told = sagaview::view::narrate(&view, &definition).expect("told");
            assert_eq!(
                told.text,
                "RequestApproval timed out (States.HeartbeatTimeout); its Catch sends the execution to WithdrawApproval: compensating"
            );
            // Once ended, the narration still says why the saga compensated: a timeout
            // and a rejection end at the same Fail state.
            let mut view = ExecutionView::new(Some(&definition));
            view.apply(&events);
            let told = sagaview::view::narrate(&view, &definition).expect("told");
            assert!(
                told.text.starts_with(
                    "RequestApproval timed out (States.HeartbeatTimeout): compensated, then \
                     the execution failed"
                ),
                "{}",
                told.text
            );
            assert!(b.rows("trip-silent").await.expect("rows").is_empty());
            assert_eq!(
                verdict_of(&b, &arn, &events, "trip-silent").await,
                VerdictLevel::Ok
            );
        })
        .await;
}

#[tokio::test]
async fn an_approved_payment_that_fails_compensates_the_payment_too() {
    let b = backend();
    b.clock()
        .track(async {
            let arn = start_waiting(&b, RunType::FailPayment, "trip-pay").await;
            decide(&b, &arn, "trip-pay", Decision::Approve)
                .await
                .expect("approved");
            let (events, status) = ended(&b, &arn).await;
            assert_eq!(status, ExecutionStatus::Failed);
            let states = entered(&events);
            assert!(states.contains(&"CloseApproval".to_string()), "{states:?}");
            assert!(states.contains(&"RefundPayment".to_string()), "{states:?}");
            assert!(
                !states.contains(&"WithdrawApproval".to_string()),
                "{states:?}"
            );
            assert!(b.rows("trip-pay").await.expect("rows").is_empty());
        })
        .await;
}

#[tokio::test]
async fn both_machines_are_listed_and_each_execution_has_its_own_definition() {
    let b = backend();
    b.clock()
        .track(async {
            let seed = b
                .start(launch(RunType::Success, "trip-seed"))
                .await
                .expect("seed");
            b.wait(&seed).await.expect("ended");
            let approval = start_waiting(&b, RunType::Success, "trip-both").await;
            let listed: Vec<String> = b
                .list_executions(10)
                .await
                .expect("list")
                .into_iter()
                .map(|s| s.execution_arn)
                .collect();
            assert!(
                listed.contains(&seed) && listed.contains(&approval),
                "{listed:?}"
            );
            let def = b.definition(Some(&approval)).await.expect("definition");
            assert!(def.state("RequestApproval").is_some());
            let def = b.definition(Some(&seed)).await.expect("definition");
            assert!(def.state("RequestApproval").is_none());
            let text = b
                .definition_text(&approval)
                .await
                .expect("text")
                .expect("kept");
            assert!(text.contains("waitForTaskToken"));
            let saved = b.export(&approval).await.expect("export");
            assert!(
                saved
                    .execution
                    .state_machine_arn
                    .ends_with(&format!(":stateMachine:{APPROVAL_STATE_MACHINE_NAME}")),
                "{}",
                saved.execution.state_machine_arn
            );
            // A seed execution never waits for an approval.
            let refused = decide(&b, &seed, "trip-seed", Decision::Reject).await;
            assert!(refused.is_err());
            decide(&b, &approval, "trip-both", Decision::Approve)
                .await
                .expect("approved");
            b.wait(&approval).await.expect("ended");
        })
        .await;
}

#[tokio::test]
async fn a_rejected_approval_whose_compensation_gave_up_is_redriven_on_its_own_machine() {
    let b = backend();
    b.clock()
        .track(async {
            b.set_cancel_failure_rate(1.0).await.expect("rate set");
            let arn = start_waiting(&b, RunType::Success, "trip-redrive").await;
            decide(&b, &arn, "trip-redrive", Decision::Reject)
                .await
                .expect("rejected");
            let (events, status) = ended(&b, &arn).await;
            assert_eq!(status, ExecutionStatus::Failed);
            assert!(entered(&events).contains(&"CancelFlightReservation".to_owned()));
            assert!(
                !entered(&events).contains(&SORRY.to_owned()),
                "gave up first"
            );
            assert_ne!(
                verdict_of(&b, &arn, &events, "trip-redrive").await,
                VerdictLevel::Ok
            );

            b.set_cancel_failure_rate(0.0).await.expect("rate set");
            b.redrive(&arn).await.expect("redriven");
            let (events, status) = ended(&b, &arn).await;
            assert_eq!(
                status,
                ExecutionStatus::Failed,
                "at the Fail state, cleanly"
            );
            let redriven = events
                .iter()
                .position(|e| e.event_type == EventType::ExecutionRedriven)
                .expect("an ExecutionRedriven event");
            let after = entered(&events[redriven..]);
            assert_eq!(
                after,
                ["CancelFlightReservation", "CancelHotelReservation", SORRY]
            );
            assert!(b.rows("trip-redrive").await.expect("rows").is_empty());
            assert_eq!(
                verdict_of(&b, &arn, &events, "trip-redrive").await,
                VerdictLevel::Ok
            );
        })
        .await;
}
