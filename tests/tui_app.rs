//! The UI's state and update logic without a terminal: keys → commands, backend answers
//! → state, and one whole session on the embedded backend through the real loop.

mod support;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use saga_lambdas::RunType;
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::backend::{BackendError, ExecutionSummary, Launch, SagaBackend, SagaMachine};
use sagaview::history::ExecutionStatus;
use sagaview::store::Store;
use sagaview::tui::app::{Mode, Pending, RATES};
use sagaview::tui::demo::{self, DemoScreen};
use sagaview::tui::keymap::Focus;
use sagaview::tui::msg::LaunchRequest;
use sagaview::tui::{App, Cmd, Msg, TuiOptions};
use sagaview::view::sample::{self, Scenario};
use sagaview::view::{StateStatus, VerdictLevel};

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn idle() -> App {
    demo::app(DemoScreen::Idle, &demo::options(true), 120, 40)
}

/// A tick of the UI clock, with the execution clock at a fixed instant.
fn tick(now_ms: u64) -> Msg {
    Msg::Tick {
        now_ms,
        clock: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
    }
}

fn start_cmd(cmds: &[Cmd]) -> Option<&LaunchRequest> {
    cmds.iter().find_map(|c| match c {
        Cmd::Start(l) => Some(l),
        _ => None,
    })
}

#[test]
fn digit_keys_choose_the_run_type_and_launch_at_once() {
    let mut app = idle();
    for (i, run_type) in RunType::ALL.iter().enumerate() {
        let digit = char::from(b'1' + u8::try_from(i).unwrap());
        let cmds = app.update(key(digit));
        let launch = start_cmd(&cmds).expect("a launch");
        assert_eq!(launch.run_type, *run_type);
        assert_eq!(launch.trip_id, None, "each launch books a fresh trip");
        assert_eq!(app.run_type, *run_type);
    }
    let cmds = app.update(key('4'));
    assert_eq!(
        cmds,
        vec![Cmd::Start(LaunchRequest {
            seq: 7,
            run_type: RunType::FailPayment,
            machine: SagaMachine::Booking,
            trip_id: None,
            cancel_failure_rate: 0.4,
        })]
    );
    // 7 and 8 run the approval machine; no digit beyond launches anything.
    assert!(app.update(key('9')).is_empty());
}

#[test]
fn a_digit_relaunches_and_enter_selects_or_opens() {
    let mut app = idle();
    app.update(key('4'));
    let cmds = app.update(key('4'));
    assert_eq!(start_cmd(&cmds).unwrap().run_type, RunType::FailPayment);
    assert!(
        start_cmd(&app.update(code(KeyCode::Enter))).is_none(),
        "Enter in the graph inspects"
    );
    assert!(matches!(app.mode, Mode::Inspect(_)));
    app.update(code(KeyCode::Esc));
    app.focus = Focus::Executions;
    assert!(start_cmd(&app.update(code(KeyCode::Enter))).is_none());
    app.focus = Focus::History;
    assert!(start_cmd(&app.update(code(KeyCode::Enter))).is_none());
    app.mode = Mode::Normal;
    app.focus = Focus::Rows;
    assert!(
        app.update(code(KeyCode::Enter)).is_empty(),
        "Enter in the rows panel does nothing"
    );
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn cancel_failure_rate_cycles_from_the_configured_value() {
    let mut app = idle();
    assert_eq!(app.cancel_failure_rate, 0.4);
    let mut seen = vec![];
    for _ in 0..4 {
        app.update(key('c'));
        seen.push(app.cancel_failure_rate);
    }
    assert_eq!(seen, [1.0, 0.0, 0.4, 1.0]);
    let mut odd = App::new(
        demo::embedded_info(),
        &TuiOptions {
            cancel_failure_rate: 0.2,
            ..demo::options(true)
        },
    );
    odd.update(key('c'));
    assert_eq!(odd.cancel_failure_rate, RATES[1]);
    let launch = odd.update(key('1'));
    assert_eq!(start_cmd(&launch).unwrap().cancel_failure_rate, 0.4);
}

#[test]
fn speed_keys_send_set_speed() {
    let mut app = idle();
    assert_eq!(app.update(key('+')), vec![Cmd::SetSpeed(2.0)]);
    assert_eq!(app.update(key('-')), vec![Cmd::SetSpeed(1.0)]);
    assert_eq!(app.update(key('-')), vec![Cmd::SetSpeed(0.5)]);
}

#[test]
fn trip_id_input_validates_and_escape_cancels() {
    let mut app = idle();
    app.update(key('t'));
    assert!(matches!(app.mode, Mode::EditTrip { .. }));
    app.update(key(' '));
    match &app.mode {
        Mode::EditTrip { buffer, error } => {
            assert_eq!(buffer, "");
            assert!(error.is_some(), "a space is refused");
        }
        m => panic!("{m:?}"),
    }
    // Empty input is refused on Enter.
    assert!(app.update(code(KeyCode::Enter)).is_empty());
    assert!(matches!(&app.mode, Mode::EditTrip { error: Some(_), .. }));
    for c in "my_trip-7".chars() {
        app.update(key(c));
    }
    // Keys that mean something elsewhere are just text here.
    app.update(key('q'));
    assert!(app.update(code(KeyCode::Enter)).is_empty());
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.fixed_trip.as_deref(), Some("my_trip-7q"));
    let launch = app.update(key('1'));
    assert_eq!(
        start_cmd(&launch).unwrap().trip_id.as_deref(),
        Some("my_trip-7q")
    );
    app.update(key('t'));
    app.update(key('x'));
    app.update(code(KeyCode::Esc));
    assert_eq!(app.fixed_trip.as_deref(), Some("my_trip-7q"));
    assert_eq!(app.mode, Mode::Normal);
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn trip_buffer(app: &App) -> String {
    match &app.mode {
        Mode::EditTrip { buffer, .. } => buffer.clone(),
        m => panic!("{m:?}"),
    }
}

#[test]
fn trip_id_input_edits_like_a_shell() {
    let mut app = App::new(
        demo::embedded_info(),
        &TuiOptions {
            trip_id: Some(sample::TRIP_ID.into()),
            ..demo::options(true)
        },
    );
    app.update(key('t'));
    assert_eq!(
        trip_buffer(&app),
        sample::TRIP_ID,
        "starts from the fixed trip"
    );
    app.update(ctrl('u'));
    assert_eq!(trip_buffer(&app), "", "Ctrl-U clears");
    for c in "my_trip-7q".chars() {
        app.update(key(c));
    }
    app.update(ctrl('w'));
    assert_eq!(
        trip_buffer(&app),
        "my_trip-",
        "Ctrl-W deletes the last word"
    );
    app.update(ctrl('w'));
    assert_eq!(trip_buffer(&app), "my_");
    app.update(ctrl('w'));
    assert_eq!(trip_buffer(&app), "");
    for c in "ab".chars() {
        app.update(key(c));
    }
    // No chord types its letter.
    for c in ['a', 'x', 'q', 't', 'z'] {
        app.update(ctrl(c));
        app.update(Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT)));
    }
    assert_eq!(trip_buffer(&app), "ab");
    assert!(matches!(&app.mode, Mode::EditTrip { error: None, .. }));
    // Shift is typing, not a chord.
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('C'),
        KeyModifiers::SHIFT,
    )));
    assert_eq!(trip_buffer(&app), "abC");
}

#[test]
fn trip_id_input_stops_at_64_characters() {
    let mut app = idle();
    app.update(key('t'));
    for _ in 0..70 {
        app.update(key('a'));
    }
    match &app.mode {
        Mode::EditTrip { buffer, error } => {
            assert_eq!(buffer.len(), 64);
            assert!(error.is_some());
        }
        m => panic!("{m:?}"),
    }
}

#[test]
fn n_returns_to_a_fresh_trip_for_each_launch() {
    let mut app = idle();
    app.update(key('t'));
    for c in "fixed".chars() {
        app.update(key(c));
    }
    app.update(code(KeyCode::Enter));
    let launch = app.update(key('1'));
    assert_eq!(
        start_cmd(&launch).unwrap().trip_id.as_deref(),
        Some("fixed")
    );
    assert!(app.update(key('n')).is_empty());
    assert_eq!(app.fixed_trip, None);
    let launch = app.update(key('1'));
    assert_eq!(start_cmd(&launch).unwrap().trip_id, None);
    let id = sagaview::backend::random_trip_id();
    assert!(saga_lambdas::trip::validate_trip_id(&id).is_ok());
    assert_ne!(id, sagaview::backend::random_trip_id());
}

#[test]
fn quit_keys_and_terminate() {
    for msg in [
        key('q'),
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Msg::Terminate,
    ] {
        let mut app = idle();
        assert_eq!(app.update(msg), vec![Cmd::Quit]);
        assert!(app.quitting);
    }
    // Ctrl-C quits even while typing a trip id.
    let mut app = idle();
    app.update(key('t'));
    let ctrl_c = Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(app.update(ctrl_c), vec![Cmd::Quit]);
}

#[test]
fn help_overlay_opens_and_closes() {
    let mut app = idle();
    app.update(key('?'));
    assert!(matches!(app.mode, Mode::Help { .. }));
    assert!(
        app.update(key('4')).is_empty(),
        "keys do not launch under help"
    );
    app.update(code(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn tab_cycles_focus() {
    let mut app = idle();
    let mut order = vec![app.focus];
    for _ in 0..4 {
        app.update(code(KeyCode::Tab));
        order.push(app.focus);
    }
    assert_eq!(
        order,
        [
            Focus::Graph,
            Focus::History,
            Focus::Rows,
            Focus::Executions,
            Focus::Graph
        ]
    );
    app.update(code(KeyCode::BackTab));
    assert_eq!(app.focus, Focus::Executions);
}

const ARN: &str = "arn:aws:states:us-east-1:123456789012:execution:BookingSaga:x";

fn started(app: &mut App, run_type: RunType) -> Vec<Cmd> {
    app.update(Msg::Started {
        seq: app.launches,
        launch: Launch {
            run_type,
            trip_id: sample::TRIP_ID.into(),
            cancel_failure_rate: 0.0,
        },
        result: Ok(ARN.into()),
    })
}

#[test]
fn a_started_execution_is_selected_and_polled_without_piling_up() {
    let mut app = idle();
    let cmds = started(&mut app, RunType::FailPayment);
    assert!(cmds.contains(&Cmd::PollHistory {
        arn: ARN.into(),
        after_id: 0
    }));
    assert!(
        cmds.contains(&Cmd::FetchRows {
            trip_id: sample::TRIP_ID.into(),
            for_verdict: None
        }),
        "the rows shown are the selected execution's trip's"
    );
    assert_eq!(app.selected.as_deref(), Some(ARN));
    assert_eq!(app.rows.trip_id, sample::TRIP_ID);
    // The first poll is still out: ticks ask for nothing more.
    let cmds = app.update(tick(1_000));
    assert!(!cmds.iter().any(|c| matches!(c, Cmd::PollHistory { .. })));
    let events = sample::history(Scenario::CompensationRetrying);
    let last = events.last().unwrap().id;
    app.update(Msg::History {
        arn: ARN.into(),
        result: Ok(events),
    });
    let cmds = app.update(tick(1_100));
    assert!(cmds.contains(&Cmd::PollHistory {
        arn: ARN.into(),
        after_id: last
    }));
    let e = app.selected_execution().unwrap();
    assert_eq!(e.view.status_of("RefundPayment"), StateStatus::Retrying(2));
    assert_eq!(e.view.status_of("TakePayment"), StateStatus::Caught);
    assert_eq!(app.history_cursor, e.view.events.len() - 1, "follow mode");
}

/// A launch asked for, then an execution picked from the list before the launch is
/// answered: the screen follows the last key pressed, so the pick keeps it and the
/// launch is only listed; the next launch takes the screen again.
#[test]
fn an_execution_picked_after_a_launch_keeps_the_screen_when_the_launch_answers() {
    let mut app = demo::app(DemoScreen::SuccessFinished, &demo::options(true), 120, 40);
    let picked = app.selected.clone().expect("the finished run is selected");
    app.update(key('4'));
    app.focus = Focus::Executions;
    app.update(code(KeyCode::Enter));
    assert_eq!(app.selected.as_ref(), Some(&picked));
    let answer = |app: &mut App, run_type, arn: &str| {
        app.update(Msg::Started {
            seq: app.launches,
            launch: Launch {
                run_type,
                trip_id: format!("late-{run_type}"),
                cancel_failure_rate: 0.4,
            },
            result: Ok(arn.into()),
        })
    };
    let late = format!("{ARN}-late");
    let cmds = answer(&mut app, RunType::FailPayment, &late);
    assert!(
        cmds.is_empty(),
        "nothing fetched for the late launch: {cmds:?}"
    );
    assert_eq!(app.selected.as_ref(), Some(&picked));
    assert_eq!(
        app.executions[app.exec_cursor].arn, picked,
        "the cursor stays"
    );
    assert!(app.executions.iter().any(|e| e.arn == late), "listed");
    assert_eq!(app.rows.trip_id, sample::TRIP_ID);
    let text = demo::to_text(&demo::render(&app, 120, 40));
    assert!(
        text.contains(&format!("▶ success · {} · SUCCEEDED", sample::TRIP_ID)),
        "{text}"
    );
    app.focus = Focus::Graph;
    app.update(key('2'));
    let next = format!("{ARN}-next");
    answer(&mut app, RunType::FailHotelReservation, &next);
    assert_eq!(
        app.selected.as_ref(),
        Some(&next),
        "a new launch takes the screen"
    );
    assert_eq!(app.rows.trip_id, "late-failHotelReservation");
}

fn summary(
    arn: &str,
    run_type: RunType,
    status: ExecutionStatus,
    start_secs: i64,
) -> ExecutionSummary {
    let start = sample::epoch() + chrono::TimeDelta::seconds(start_secs);
    ExecutionSummary {
        execution_arn: arn.into(),
        name: sagaview::arn::name(arn).into(),
        status,
        start_date: start,
        stop_date: status
            .is_terminal()
            .then(|| start + chrono::TimeDelta::seconds(2)),
        run_type: Some(run_type.as_str().into()),
        trip_id: Some(format!("trip-of-{start_secs}")),
        error: None,
        cause: None,
        output: None,
        redrive: Default::default(),
    }
}

/// The list can tell of a launch before its answer arrives (a fast run, the list read
/// while the launch was answered): the launch is then not added twice, and it is judged
/// like any launch once its history shows it ended.
#[test]
fn a_launch_listed_before_its_answer_is_shown_once_and_judged() {
    let mut app = demo::app(DemoScreen::SuccessFinished, &demo::options(true), 120, 40);
    app.update(key('2'));
    let arn = format!("{ARN}-fast");
    app.update(Msg::Executions(Ok(vec![summary(
        &arn,
        RunType::FailHotelReservation,
        ExecutionStatus::Failed,
        10,
    )])));
    let cmds = app.update(Msg::Started {
        seq: app.launches,
        launch: Launch {
            run_type: RunType::FailHotelReservation,
            trip_id: "trip-of-10".into(),
            cancel_failure_rate: 0.4,
        },
        result: Ok(arn.clone()),
    });
    assert_eq!(
        app.executions.iter().filter(|e| e.arn == arn).count(),
        1,
        "listed once"
    );
    assert_eq!(app.selected.as_deref(), Some(arn.as_str()));
    assert!(
        cmds.contains(&Cmd::PollHistory {
            arn: arn.clone(),
            after_id: 0
        }),
        "{cmds:?}"
    );
    let cmds = app.update(Msg::History {
        arn: arn.clone(),
        result: Ok(sample::history(Scenario::CompensationExhausted)),
    });
    assert!(
        cmds.contains(&Cmd::FetchRows {
            trip_id: "trip-of-10".into(),
            for_verdict: Some(arn.clone())
        }),
        "judged: {cmds:?}"
    );
    assert!(!app.selected_execution().unwrap().view.events.is_empty());
}

/// A fast run can end between two polls before its first events were read: the list
/// then says it ended while its history is still empty. Its history is read all the
/// same (not only while it runs), and the launch is judged.
#[test]
fn a_run_that_ended_before_its_first_events_were_read_still_shows_its_history() {
    let mut app = demo::app(DemoScreen::SuccessFinished, &demo::options(true), 120, 40);
    app.update(key('4'));
    let arn = format!("{ARN}-quick");
    app.update(Msg::Started {
        seq: app.launches,
        launch: Launch {
            run_type: RunType::FailPayment,
            trip_id: "trip-of-10".into(),
            cancel_failure_rate: 0.4,
        },
        result: Ok(arn.clone()),
    });
    // Nothing recorded yet when the first poll is answered.
    app.update(Msg::History {
        arn: arn.clone(),
        result: Ok(vec![]),
    });
    app.update(Msg::Executions(Ok(vec![summary(
        &arn,
        RunType::FailPayment,
        ExecutionStatus::Failed,
        10,
    )])));
    let cmds = app.update(tick(10_000));
    assert!(
        cmds.contains(&Cmd::PollHistory {
            arn: arn.clone(),
            after_id: 0
        }),
        "polled again: {cmds:?}"
    );
    let cmds = app.update(Msg::History {
        arn: arn.clone(),
        result: Ok(sample::history(Scenario::CompensationExhausted)),
    });
    assert!(
        cmds.contains(&Cmd::FetchRows {
            trip_id: "trip-of-10".into(),
            for_verdict: Some(arn.clone())
        }),
        "judged: {cmds:?}"
    );
    // A history read to its end is not read again.
    let cmds = app.update(tick(20_000));
    assert!(
        !cmds.iter().any(|c| matches!(c, Cmd::PollHistory { .. })),
        "{cmds:?}"
    );
}

/// A launch stays above the executions started before it when the list is read again,
/// whether the list already tells of it or not.
#[test]
fn launches_stay_on_top_of_the_list_when_it_is_read_again() {
    let mut app = idle();
    let older = format!("{ARN}-older");
    let listed_older = summary(&older, RunType::Success, ExecutionStatus::Succeeded, 10);
    app.update(Msg::Executions(Ok(vec![listed_older.clone()])));
    app.update(key('1'));
    let new = format!("{ARN}-new");
    app.update(Msg::Started {
        seq: app.launches,
        launch: Launch {
            run_type: RunType::Success,
            trip_id: "trip-of-20".into(),
            cancel_failure_rate: 0.4,
        },
        result: Ok(new.clone()),
    });
    let order =
        |app: &App| -> Vec<String> { app.executions.iter().map(|e| e.arn.clone()).collect() };
    assert_eq!(order(&app), [new.clone(), older.clone()]);
    app.update(Msg::Executions(Ok(vec![listed_older.clone()])));
    assert_eq!(order(&app), [new.clone(), older.clone()], "not listed yet");
    let listed_new = summary(&new, RunType::Success, ExecutionStatus::Running, 20);
    app.update(Msg::Executions(Ok(vec![listed_new, listed_older])));
    assert_eq!(order(&app), [new.clone(), older], "listed");
    assert_eq!(
        app.exec_cursor, 0,
        "the cursor stays on the selected launch"
    );
    assert_eq!(app.selected.as_deref(), Some(new.as_str()));
}

/// `p` pauses and resumes, `.` steps the selected execution while paused; keys typed
/// ahead of the pause's answer mean what they say.
#[test]
fn p_pauses_and_dot_steps_even_typed_ahead_of_the_answers() {
    let mut app = idle();
    started(&mut app, RunType::Success);
    assert!(app.update(key('.')).is_empty(), "not paused: no step");
    let (_, text, _) = app.notice.clone().expect("a notice");
    assert_eq!(text, "step works while paused: press p first");
    // p . p, all typed before the first answer.
    assert_eq!(app.update(key('p')), vec![Cmd::SetPaused(true)]);
    assert_eq!(app.update(key('.')), vec![Cmd::Step(ARN.into())]);
    assert_eq!(app.update(key('p')), vec![Cmd::SetPaused(false)]);
    app.update(Msg::Paused(Ok(true)));
    app.update(Msg::Stepped {
        arn: ARN.into(),
        result: Ok(()),
    });
    app.update(Msg::Paused(Ok(false)));
    assert!(!app.paused, "the last answer stands");
    // Space pauses too.
    assert_eq!(app.update(key(' ')), vec![Cmd::SetPaused(true)]);
    assert!(app.paused);
}

#[test]
fn a_finished_execution_is_judged_on_rows_fetched_after_it_ended() {
    let mut app = idle();
    started(&mut app, RunType::FailPayment);
    let cmds = app.update(Msg::History {
        arn: ARN.into(),
        result: Ok(sample::history(Scenario::CompensationExhausted)),
    });
    assert_eq!(
        cmds,
        vec![Cmd::FetchRows {
            trip_id: sample::TRIP_ID.into(),
            for_verdict: Some(ARN.into())
        }]
    );
    // Rows fetched for something else do not judge.
    app.update(Msg::Rows {
        trip_id: sample::TRIP_ID.into(),
        for_verdict: None,
        result: Ok(vec![]),
    });
    assert!(app.selected_execution().unwrap().verdict.is_none());
    app.update(Msg::Rows {
        trip_id: sample::TRIP_ID.into(),
        for_verdict: Some(ARN.into()),
        result: Ok(sample::rows(Scenario::CompensationExhausted)),
    });
    let v = app.selected_execution().unwrap().verdict.clone().unwrap();
    assert_eq!(v.level, VerdictLevel::Error);
    assert_eq!(v.orphans.len(), 2);
}

#[test]
fn stop_asks_the_backend_only_for_a_running_execution() {
    let mut app = idle();
    assert!(app.update(key('s')).is_empty());
    assert!(app.notice.is_some());
    assert_eq!(app.mode, Mode::Normal, "nothing to confirm");
    started(&mut app, RunType::Success);
    assert!(app.update(key('s')).is_empty(), "asks first");
    match &app.mode {
        Mode::Confirm { question, on_yes } => {
            assert_eq!(question, "Stop x?");
            assert_eq!(on_yes, &Pending::Stop(ARN.into()));
        }
        m => panic!("{m:?}"),
    }
    assert_eq!(app.update(key('y')), vec![Cmd::Stop(ARN.into())]);
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn a_stop_is_confirmed_by_enter_and_cancelled_by_n_or_escape() {
    let mut app = idle();
    started(&mut app, RunType::Success);
    for no in [key('n'), code(KeyCode::Esc)] {
        app.update(key('s'));
        assert!(app.update(no).is_empty());
        assert_eq!(app.mode, Mode::Normal);
    }
    app.update(key('s'));
    assert!(
        app.update(key('4')).is_empty(),
        "other keys do nothing while asking"
    );
    assert!(matches!(app.mode, Mode::Confirm { .. }));
    assert_eq!(
        app.update(code(KeyCode::Enter)),
        vec![Cmd::Stop(ARN.into())]
    );
}

#[test]
fn quitting_with_executions_running_asks_first() {
    let mut app = idle();
    started(&mut app, RunType::Success);
    assert!(app.update(key('q')).is_empty());
    assert!(!app.quitting);
    match &app.mode {
        Mode::Confirm { question, on_yes } => {
            assert_eq!(
                question,
                "1 execution running: quitting aborts it and leaves its rows. Quit?"
            );
            assert_eq!(on_yes, &Pending::Quit);
        }
        m => panic!("{m:?}"),
    }
    let text = demo::to_text(&demo::render(&app, 80, 24));
    assert!(text.contains("Quit?"), "{text}");
    assert!(text.contains("y/Enter yes  n/Esc no"), "footer: {text}");
    assert!(app.update(code(KeyCode::Esc)).is_empty());
    assert_eq!(app.mode, Mode::Normal);
    assert!(!app.quitting);
    app.update(key('q'));
    assert_eq!(app.update(key('y')), vec![Cmd::Quit]);
    assert!(app.quitting);
    // Ctrl-C does not ask, even with the question open.
    let mut app = idle();
    started(&mut app, RunType::Success);
    app.update(key('q'));
    assert!(matches!(app.mode, Mode::Confirm { .. }));
    assert_eq!(app.update(ctrl('c')), vec![Cmd::Quit]);
}

#[test]
fn the_quit_question_counts_the_running_executions() {
    let mut app = idle();
    for n in 0..2 {
        app.update(Msg::Started {
            seq: app.launches,
            launch: Launch {
                run_type: RunType::Success,
                trip_id: sample::TRIP_ID.into(),
                cancel_failure_rate: 0.0,
            },
            result: Ok(format!("{ARN}{n}")),
        });
    }
    app.update(key('q'));
    assert!(
        matches!(&app.mode, Mode::Confirm { question, .. }
            if question == "2 executions running: quitting aborts them and leaves their rows. Quit?"),
        "{:?}",
        app.mode
    );
}

#[test]
fn backend_errors_become_notices_not_crashes() {
    let mut app = idle();
    app.update(Msg::Started {
        seq: app.launches,
        launch: Launch {
            run_type: RunType::Success,
            trip_id: "t".into(),
            cancel_failure_rate: 0.0,
        },
        result: Err(BackendError::Failed("throttled".into())),
    });
    let (_, text, _) = app.notice.clone().unwrap();
    assert!(text.contains("throttled"), "{text}");
    // Notices fade.
    app.update(tick(60_000));
    assert!(app.notice.is_none());
}

#[test]
fn clicking_an_execution_selects_it_and_the_wheel_scrolls_history() {
    let mut app = demo::app(
        DemoScreen::CompensationRetrying,
        &demo::options(true),
        120,
        40,
    );
    let areas = sagaview::tui::geometry::areas(ratatui::layout::Rect::new(0, 0, 120, 40), None);
    let older = app.executions[1].arn.clone();
    // Row 0 is the border, row 1 the column header, rows 2.. the executions.
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: areas.executions.x + 3,
        row: areas.executions.y + 3,
        modifiers: KeyModifiers::NONE,
    };
    app.update(Msg::Mouse(click));
    assert_eq!(app.focus, Focus::Executions);
    assert_eq!(app.selected.as_deref(), Some(older.as_str()));
    let before = app.history_cursor;
    let wheel = MouseEvent {
        kind: MouseEventKind::ScrollUp,
        column: areas.history.x + 2,
        row: areas.history.y + 2,
        modifiers: KeyModifiers::NONE,
    };
    app.update(Msg::Mouse(wheel));
    assert_eq!(app.history_cursor, before - 3);
    assert!(!app.follow);
}

#[test]
fn a_click_selects_the_execution_drawn_under_it_in_a_scrolled_list() {
    let mut app = idle();
    for n in 0..20 {
        app.update(Msg::Started {
            seq: app.launches,
            launch: Launch {
                run_type: RunType::ALL[n % RunType::ALL.len()],
                trip_id: sample::TRIP_ID.into(),
                cancel_failure_rate: 0.0,
            },
            result: Ok(format!("{ARN}{n:02}")),
        });
    }
    app.focus = Focus::Executions;
    app.update(code(KeyCode::End));
    let areas = sagaview::tui::geometry::areas(ratatui::layout::Rect::new(0, 0, 120, 40), None);
    // Border, column header, then the third entry shown.
    let y = areas.executions.y + 4;
    let screen = demo::to_text(&demo::render(&app, 120, 40));
    let drawn = screen.lines().nth(usize::from(y)).unwrap().to_string();
    app.update(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: areas.executions.x + 3,
        row: y,
        modifiers: KeyModifiers::NONE,
    }));
    let run_type = app.selected_execution().unwrap().run_type.clone().unwrap();
    assert!(drawn.contains(&run_type), "{run_type} clicked on {drawn:?}");
}

#[test]
fn enter_on_history_opens_the_event_payload() {
    let mut app = demo::app(
        DemoScreen::CompensationRetrying,
        &demo::options(true),
        120,
        40,
    );
    app.focus = Focus::History;
    app.update(code(KeyCode::Home));
    app.update(code(KeyCode::Enter));
    assert!(matches!(app.mode, Mode::Event { index: 0, .. }));
    let text = demo::render(&app, 120, 40);
    let screen: String = text.content().iter().map(|c| c.symbol()).collect();
    assert!(screen.contains("ExecutionStarted"));
    assert!(
        screen.contains("\"trip_id\": \"trip-0001\""),
        "payload pretty-printed"
    );
    app.update(code(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn graph_pans_within_its_content() {
    let mut app = demo::app(DemoScreen::Idle, &demo::options(true), 80, 24);
    let shift = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::SHIFT));
    app.update(shift(KeyCode::Right));
    app.update(shift(KeyCode::Right));
    let (x, _) = app.graph_pan.unwrap();
    assert!(x <= 8);
    for _ in 0..100 {
        app.update(shift(KeyCode::Down));
    }
    let (_, y) = app.graph_pan.unwrap();
    assert!(y < 20, "clamped to the content: {y}");
}

#[test]
fn minimum_size_is_80_by_24() {
    let mut app = idle();
    app.update(Msg::Resize(80, 24));
    assert!(!app.too_small());
    app.update(Msg::Resize(79, 24));
    assert!(app.too_small());
    app.update(Msg::Resize(80, 23));
    assert!(app.too_small());
}

/// Runs the real loop on a fresh embedded backend (speed 100×), drawn into a 120x40
/// `TestBackend`, typing `script` (wait in ms, then key); the script must end with `q`.
async fn embedded_session(
    seed: u64,
    trip_id: &str,
    script: Vec<(u64, char)>,
    timeout_secs: u64,
) -> (App, Terminal<TestBackend>) {
    let backend: Arc<dyn SagaBackend> = Arc::new(
        EmbeddedBackend::new(
            Store::open_in_memory().unwrap(),
            EmbeddedOptions {
                seed: Some(seed),
                speed: 100.0,
                ..EmbeddedOptions::default()
            },
        )
        .unwrap(),
    );
    support::tui::session(backend, trip_id, script, timeout_secs).await
}

/// A whole session through the real loop, on the embedded backend, drawn into a
/// `TestBackend`: `4` launches failPayment, the loop polls until it ends, `q` quits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_on_the_embedded_backend() {
    let script = vec![(200, '4'), (4_000, 'q')];
    let (app, terminal) = embedded_session(7, "tui-session", script, 30).await;
    let e = app.selected_execution().expect("the launched execution");
    assert_eq!(e.status(), ExecutionStatus::Failed);
    assert_eq!(e.view.status_of("TakePayment"), StateStatus::Caught);
    assert_eq!(e.view.status_of("RefundPayment"), StateStatus::Succeeded);
    assert_eq!(
        e.view.status_of("CancelHotelReservation"),
        StateStatus::Succeeded
    );
    let verdict = e.verdict.clone().expect("judged");
    assert_eq!(verdict.level, VerdictLevel::Ok, "{}", verdict.text);
    assert_eq!(app.rows.live_count(), 0);
    let screen = terminal.backend().to_string();
    assert!(screen.contains("⤳ TakePayment"), "{screen}");
    assert!(screen.contains("rolled back cleanly"), "{screen}");
}

/// Histories the embedded runtime really records: a compensation that always fails is
/// retried (`↻1`, `↻2`, `↻3` along the way), then exhausts and strands the bookings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_histories_reduce_to_retries_and_exhaustion() {
    let backend = EmbeddedBackend::new(
        Store::open_in_memory().unwrap(),
        EmbeddedOptions {
            seed: Some(11),
            speed: 100.0,
            ..EmbeddedOptions::default()
        },
    )
    .unwrap();
    let def = backend.definition(None).await.unwrap();
    let arn = backend
        .start(Launch {
            run_type: RunType::FailPayment,
            trip_id: "exhaust".into(),
            cancel_failure_rate: 1.0,
        })
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(30), backend.wait(&arn))
        .await
        .expect("finishes")
        .unwrap();
    let events = backend.history_since(&arn, 0).await.unwrap();
    // Replay event by event: the retry number shows while RefundPayment is retried.
    let mut view = sagaview::view::ExecutionView::new(Some(&def));
    let mut seen = vec![];
    for e in &events {
        view.apply(std::slice::from_ref(e));
        let s = view.status_of("RefundPayment");
        if seen.last() != Some(&s) {
            seen.push(s);
        }
    }
    assert_eq!(
        seen,
        [
            StateStatus::NotStarted,
            StateStatus::Running,
            StateStatus::Retrying(1),
            StateStatus::Retrying(2),
            StateStatus::Retrying(3),
            StateStatus::Failed,
        ]
    );
    assert_eq!(view.status_of("TakePayment"), StateStatus::Caught);
    assert_eq!(view.state("RefundPayment").unwrap().attempts, 4);
    let rows = backend.rows("exhaust").await.unwrap();
    let graph = sagaview::view::StateGraph::from_definition(&def);
    let verdict = sagaview::view::judge(&view, &graph, &rows).unwrap();
    assert_eq!(verdict.level, VerdictLevel::Error);
    assert!(verdict.text.contains("RefundPayment"), "{}", verdict.text);
    let kinds: Vec<&str> = verdict.orphans.iter().map(|o| o.kind.as_str()).collect();
    assert_eq!(kinds, ["Flight", "Hotel"]);
}

#[test]
fn only_the_newest_finished_histories_stay_in_memory() {
    use sagaview::tui::app::KEPT_HISTORIES;
    let mut app = idle();
    let total = KEPT_HISTORIES + 10;
    let arns: Vec<String> = (0..total)
        .map(|i| format!("arn:aws:states:us-east-1:123456789012:execution:BookingSaga:e{i:03}"))
        .collect();
    for arn in &arns {
        app.update(Msg::Started {
            seq: app.launches,
            launch: Launch {
                run_type: RunType::FailPayment,
                trip_id: sample::TRIP_ID.into(),
                cancel_failure_rate: 1.0,
            },
            result: Ok(arn.clone()),
        });
        app.update(Msg::History {
            arn: arn.clone(),
            result: Ok(sample::history(Scenario::CompensationExhausted)),
        });
        app.update(Msg::Rows {
            trip_id: sample::TRIP_ID.into(),
            for_verdict: Some(arn.clone()),
            result: Ok(sample::rows(Scenario::CompensationExhausted)),
        });
    }
    // One more history arrival lets the app release what it no longer needs.
    app.update(Msg::History {
        arn: arns[total - 1].clone(),
        result: Ok(vec![]),
    });
    let loaded = app
        .executions
        .iter()
        .filter(|e| !e.view.events.is_empty())
        .count();
    assert!(loaded <= KEPT_HISTORIES + 1, "{loaded} histories kept");
    // A released execution still lists its outcome, and reloads when selected.
    let old = app.executions.iter().find(|e| e.arn == arns[0]).unwrap();
    assert!(old.view.events.is_empty());
    assert_eq!(old.status(), ExecutionStatus::Failed);
    assert!(old.duration_secs().is_some());
}

/// A workshop hammering `1`: after 200 launches through the real loop, only a bounded
/// number of full histories stay in the app.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_launches_keep_a_bounded_number_of_histories() {
    use sagaview::tui::app::KEPT_HISTORIES;
    let mut script = vec![(200, '2')];
    script.extend(std::iter::repeat_n((5, '2'), 199));
    script.push((5_000, 'q'));
    let (app, _) = embedded_session(3, "many", script, 60).await;
    assert_eq!(app.executions.len(), 200);
    let running = app
        .executions
        .iter()
        .filter(|e| e.status() == ExecutionStatus::Running)
        .count();
    assert_eq!(running, 0);
    let loaded: Vec<_> = app
        .executions
        .iter()
        .filter(|e| !e.view.events.is_empty())
        .map(|e| (e.verdict.is_some(), e.view.is_finished()))
        .collect();
    assert!(
        loaded.len() <= KEPT_HISTORIES + 2,
        "{} kept: {loaded:?}",
        loaded.len()
    );
}

/// An execution that had ended before the UI first listed it is never judged (its rows
/// may have changed since) and says so once its history is read, rather than waiting for
/// a verdict that is never asked for.
#[test]
fn an_execution_ended_before_it_was_listed_says_it_is_not_judged() {
    let mut app = idle();
    let arn = format!("{ARN}-earlier");
    let cmds = app.update(Msg::Executions(Ok(vec![summary(
        &arn,
        RunType::Success,
        ExecutionStatus::Succeeded,
        10,
    )])));
    assert!(
        !cmds.iter().any(|c| matches!(
            c,
            Cmd::FetchRows {
                for_verdict: Some(_),
                ..
            }
        )),
        "{cmds:?}"
    );
    let cmds = app.update(Msg::History {
        arn: arn.clone(),
        result: Ok(sample::history(Scenario::Success)),
    });
    assert!(
        !cmds.iter().any(|c| matches!(
            c,
            Cmd::FetchRows {
                for_verdict: Some(_),
                ..
            }
        )),
        "{cmds:?}"
    );
    assert_eq!(app.selected.as_deref(), Some(arn.as_str()));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
    terminal
        .draw(|f| sagaview::tui::draw(f, &app))
        .expect("drawn");
    let text = terminal.backend().to_string();
    assert!(
        text.contains("not judged: its rows may have changed since"),
        "{text}"
    );
    assert!(!text.contains("judging…"), "{text}");
}
