//! The approval machine on screen: `7`/`8` launch it, a waiting approval shows its
//! step, how long it has waited and its deadline, and `a`/`r` answer it (snapshots
//! built from fixed histories, like the other screens).

use chrono::{DateTime, TimeDelta, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use insta::assert_snapshot;
use saga_lambdas::approval::approval_item;
use saga_lambdas::handlers::{flight_item, hotel_item};
use saga_lambdas::{RunType, TripRequest};
use sagaview::backend::approval::Decision;
use sagaview::backend::saga_definition::approval_definition;
use sagaview::backend::{BackendError, SagaMachine};
use sagaview::engine::EngineConfig;
use sagaview::history::HistoryEvent;
use sagaview::tui::demo;
use sagaview::tui::{App, Cmd, Msg};
use sagaview::view::VerdictLevel;
use sagaview::view::sample::{self, HistoryBuilder};
use std::sync::Arc;

const ARN: &str =
    "arn:aws:states:us-east-1:123456789012:execution:BookingSagaWithApproval:trip-0007-0001";
const TRIP: &str = "trip-0007";

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn trip() -> TripRequest {
    TripRequest::example(TRIP, RunType::Success, 0.4)
}

/// Hotel and flight reserved, RequestApproval submitted and waiting for its token.
fn waiting_history() -> Vec<HistoryEvent> {
    let mut b = HistoryBuilder::start(sample::epoch(), &trip().to_input());
    b.wait(20).task_ok("ReserveHotel").task_ok("ReserveFlight");
    b.enter("Task", "RequestApproval")
        .wait(5)
        .callback_submitted("request-approval", 120, 300);
    b.build()
}

/// When the approval task started waiting (its `TaskStarted`).
fn waiting_since(events: &[HistoryEvent]) -> DateTime<Utc> {
    events
        .iter()
        .rev()
        .find(|e| e.event_type.as_str() == "TaskStarted")
        .map(|e| e.timestamp)
        .expect("the approval started")
}

/// The UI after `7`, answered with a waiting approval, `waited` seconds into the wait.
fn waiting_app(w: u16, h: u16, waited: i64) -> App {
    let mut app = App::new(demo::embedded_info(), &demo::options(false));
    app.update(Msg::Resize(w, h));
    app.startup();
    app.update(Msg::Definition(Ok(demo::saga_definition())));
    app.update(Msg::Executions(Ok(vec![])));
    let cmds = app.update(key('7'));
    let launch = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::Start(l) => Some(l.clone()),
            _ => None,
        })
        .expect("7 launches");
    assert_eq!(launch.machine, SagaMachine::Approval);
    assert_eq!(launch.run_type, RunType::Success);
    let events = waiting_history();
    let since = waiting_since(&events);
    demo::started(&mut app, ARN, RunType::Success, TRIP, events);
    let definition = approval_definition(&EngineConfig::default()).expect("loads");
    app.update(Msg::ExecutionDefinition {
        arn: ARN.into(),
        result: Ok(Arc::new(definition)),
    });
    let t = trip();
    app.update(Msg::Rows {
        trip_id: TRIP.into(),
        for_verdict: None,
        result: Ok(vec![
            flight_item(&t),
            hotel_item(&t),
            approval_item(&t, ARN, "token-of-the-approval"),
        ]),
    });
    app.update(Msg::Tick {
        now_ms: 1_000,
        clock: since + TimeDelta::seconds(waited),
    });
    app
}

fn screen(app: &App, w: u16, h: u16) -> String {
    demo::to_text(&demo::render(app, w, h))
}

#[test]
fn a_waiting_approval_80x24() {
    let app = waiting_app(80, 24, 42);
    let text = screen(&app, 80, 24);
    assert!(text.contains("approval+success"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn a_waiting_approval_120x40() {
    let app = waiting_app(120, 40, 42);
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("RequestApproval waits for its task token"),
        "{text}"
    );
    assert!(
        text.contains("waited 42 s · times out 08:02:00 (HeartbeatSeconds), in 1 min 18 s"),
        "{text}"
    );
    assert!(
        text.contains("a approve") && text.contains("r reject"),
        "{text}"
    );
    assert_snapshot!(text);
}

#[test]
fn the_wait_and_the_countdown_follow_the_execution_clock() {
    let mut app = waiting_app(120, 40, 42);
    let since = waiting_since(&waiting_history());
    app.update(Msg::Tick {
        now_ms: 2_000,
        clock: since + TimeDelta::seconds(185),
    });
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("waited 3 min 05 s · times out 08:02:00 (HeartbeatSeconds), now"),
        "{text}"
    );
}

#[test]
fn a_and_r_answer_the_waiting_execution_with_its_trip() {
    for (c, decision) in [('a', Decision::Approve), ('r', Decision::Reject)] {
        let mut app = waiting_app(120, 40, 10);
        let cmds = app.update(key(c));
        assert_eq!(
            cmds,
            vec![Cmd::Decide {
                arn: ARN.into(),
                trip_id: TRIP.into(),
                decision,
            }]
        );
        app.update(Msg::Decided {
            arn: ARN.into(),
            decision,
            result: Ok(()),
        });
        let (level, text, _) = app.notice.clone().expect("a notice");
        assert_eq!(level, VerdictLevel::Ok);
        assert_eq!(text, format!("{} trip-0007-0001", decision.verb()));
    }
}

#[test]
fn a_refused_answer_says_why() {
    let mut app = waiting_app(120, 40, 10);
    app.update(Msg::Decided {
        arn: ARN.into(),
        decision: Decision::Approve,
        result: Err(BackendError::Failed(
            "TaskTimedOut: the task of the token 't' has timed out or already ended".into(),
        )),
    });
    let (level, text, _) = app.notice.clone().expect("a notice");
    assert_eq!(level, VerdictLevel::Error);
    assert!(text.starts_with("approved: TaskTimedOut"), "{text}");
}

#[test]
fn an_execution_that_does_not_wait_is_not_answered() {
    let mut app = demo::app(
        demo::DemoScreen::SuccessFinished,
        &demo::options(false),
        120,
        40,
    );
    for c in ['a', 'r'] {
        assert!(app.update(key(c)).is_empty());
        let (level, text, _) = app.notice.clone().expect("a notice");
        assert_eq!(level, VerdictLevel::Warning);
        assert!(text.ends_with("does not wait for an approval"), "{text}");
    }
    // Nor does the footer offer it.
    let text = screen(&app, 120, 40);
    assert!(!text.contains("a approve"), "{text}");
}

#[test]
fn eight_launches_the_approval_machine_with_a_failing_payment() {
    let mut app = App::new(demo::embedded_info(), &demo::options(false));
    app.update(Msg::Resize(120, 40));
    let cmds = app.update(key('8'));
    let launch = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::Start(l) => Some(l.clone()),
            _ => None,
        })
        .expect("8 launches");
    assert_eq!(
        (launch.machine, launch.run_type),
        (SagaMachine::Approval, RunType::FailPayment)
    );
    let text = screen(&app, 120, 40);
    assert!(text.contains("next: 8 approval+failPayment"), "{text}");
}

#[test]
fn the_waiting_box_says_how_long_it_has_waited_120x40() {
    let mut app = waiting_app(120, 40, 42);
    app.update(key('z'));
    let text = screen(&app, 120, 40);
    assert!(text.contains("waited 42 s"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn an_approval_run_is_drawn_with_its_own_machine_and_a_seed_run_with_the_seed() {
    let mut app = App::new(demo::embedded_info(), &demo::options(false));
    app.update(Msg::Resize(120, 40));
    app.update(Msg::Definition(Ok(demo::saga_definition())));
    app.update(key('7'));
    let cmds = app.update(Msg::Started {
        seq: app.launches,
        launch: sagaview::backend::Launch {
            run_type: RunType::Success,
            trip_id: TRIP.into(),
            cancel_failure_rate: 0.4,
        },
        result: Ok(ARN.into()),
    });
    assert!(
        cmds.contains(&Cmd::LoadExecutionDefinition(ARN.into())),
        "{cmds:?}"
    );
    let definition = approval_definition(&EngineConfig::default()).expect("loads");
    app.update(Msg::ExecutionDefinition {
        arn: ARN.into(),
        result: Ok(Arc::new(definition)),
    });
    assert!(screen(&app, 120, 40).contains("RequestApproval"));
    // A seed run selected next is drawn with the seed's machine again.
    app.update(key('1'));
    let seed = "arn:aws:states:us-east-1:123456789012:execution:BookingSaga:trip-1-0002";
    let cmds = app.update(Msg::Started {
        seq: app.launches,
        launch: sagaview::backend::Launch {
            run_type: RunType::Success,
            trip_id: "trip-1".into(),
            cancel_failure_rate: 0.4,
        },
        result: Ok(seed.into()),
    });
    assert!(
        !cmds
            .iter()
            .any(|c| matches!(c, Cmd::LoadExecutionDefinition(_))),
        "{cmds:?}"
    );
    assert!(!screen(&app, 120, 40).contains("RequestApproval"));
}
