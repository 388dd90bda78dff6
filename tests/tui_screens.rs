//! Whole-screen snapshots of the terminal UI (ratatui `TestBackend` + insta).
//!
//! Every screen is built from fixed histories and rows (`sagaview::tui::demo`), so the
//! text is reproducible: fixed trip id, fixed timestamps, spinner frame 0.

use chrono::{DateTime, TimeDelta, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use insta::assert_snapshot;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use saga_lambdas::{AttrValue, Item, RunType};
use sagaview::backend::Launch;
use sagaview::tui::demo::{self, DemoScreen};
use sagaview::tui::{App, Cmd, Msg, geometry, keymap};
use sagaview::view::StateGraph;
use sagaview::view::sample::{self, HistoryBuilder, Scenario};

fn screen(s: DemoScreen, w: u16, h: u16) -> String {
    demo::terminal(s, w, h).backend().to_string()
}

#[test]
fn idle_start_120x40() {
    assert_snapshot!(demo::terminal(DemoScreen::Idle, 120, 40).backend());
}

#[test]
fn idle_start_80x24() {
    assert_snapshot!(demo::terminal(DemoScreen::Idle, 80, 24).backend());
}

#[test]
fn success_finished_120x40() {
    let text = screen(DemoScreen::SuccessFinished, 120, 40);
    assert!(text.contains("booking complete"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn success_finished_80x24() {
    assert_snapshot!(demo::terminal(DemoScreen::SuccessFinished, 80, 24).backend());
}

#[test]
fn fail_payment_compensation_retrying_120x40() {
    let text = screen(DemoScreen::CompensationRetrying, 120, 40);
    assert!(text.contains("↻2 RefundPayment"), "{text}");
    assert!(text.contains("⤳ TakePayment"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn fail_payment_compensation_retrying_80x24() {
    let text = screen(DemoScreen::CompensationRetrying, 80, 24);
    assert!(text.contains("↻2"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn compensation_exhausted_names_orphans_120x40() {
    let text = screen(DemoScreen::CompensationExhausted, 120, 40);
    assert!(text.contains("✗↻3 CancelFlightReservation"), "{text}");
    assert!(text.contains("orphaned: FLIGHT#"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn compensation_exhausted_80x24() {
    assert_snapshot!(demo::terminal(DemoScreen::CompensationExhausted, 80, 24).backend());
}

#[test]
fn help_overlay_120x40() {
    let text = screen(DemoScreen::Help, 120, 40);
    // The focused panel's keys, and as much of the keys of every panel as fits above.
    assert!(
        text.contains("Graph panel · focused") && text.contains("Ctrl-C"),
        "{text}"
    );
    assert_snapshot!(text);
}

#[test]
fn help_overlay_80x24() {
    let text = screen(DemoScreen::Help, 80, 24);
    assert!(
        text.contains("Graph panel · focused") && text.contains("↑↓ more"),
        "opens at the focused panel's keys, and says there is more: {text}"
    );
    assert_snapshot!(text);
}

/// The overlay's inside, line by line, and its bottom border (where it says how far
/// it is), read off a rendered screen.
fn help_window(app: &sagaview::tui::App, w: u16, h: u16) -> (Vec<String>, String) {
    let text = demo::to_text(&demo::render(app, w, h));
    let mut inside = Vec::new();
    let mut bottom = String::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        let borders: Vec<usize> = (0..chars.len()).filter(|&i| chars[i] == '║').collect();
        if let [first, .., last] = borders[..] {
            inside.push(chars[first + 1..last].iter().collect());
        } else if line.contains('╚') {
            bottom = line.to_string();
        }
    }
    (inside, bottom)
}

fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every key with help text is explained in the overlay, and the overlay scrolls
/// line by line from its top to its end, where `End` lands too.
#[test]
fn help_explains_every_key_and_scrolls_to_its_end() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = demo::app(DemoScreen::Help, &demo::options(true), w, h);
        press(&mut app, KeyCode::Home, 1);
        let (top, bottom) = help_window(&app, w, h);
        assert!(top[0].contains("Keys in every panel"), "{top:?}");
        assert!(bottom.contains("↓ more · 1–"), "{bottom}");
        let mut windows = vec![squeeze(&top.join(" "))];
        let mut last_bottom = bottom;
        for _ in 0..500 {
            press(&mut app, KeyCode::Char('j'), 1);
            let (inside, bottom) = help_window(&app, w, h);
            if bottom == last_bottom {
                break;
            }
            windows.push(squeeze(&inside.join(" ")));
            last_bottom = bottom;
        }
        assert!(
            last_bottom.contains("↑ more"),
            "reached the end: {last_bottom}"
        );
        let end = squeeze(&help_window(&app, w, h).0.join(" "));
        assert!(end.ends_with("or this help."), "{end}");
        press(&mut app, KeyCode::Home, 1);
        press(&mut app, KeyCode::End, 1);
        assert_eq!(
            help_window(&app, w, h).1,
            last_bottom,
            "End goes to the end"
        );
        press(&mut app, KeyCode::PageUp, 1);
        assert!(help_window(&app, w, h).1.contains("↑↓ more"));

        for b in keymap::BINDINGS.iter().filter(|b| !b.help.is_empty()) {
            let said = squeeze(&format!("{} {}", b.label, b.help));
            assert!(
                windows.iter().any(|t| t.contains(&said)),
                "{said:?} not in help at {w}x{h}"
            );
        }
        for topic in [
            "+ new row",
            "→ status changed",
            "− deleted (struck through, then gone)",
            "! orphaned: left behind by a compensation that gave up",
            "c cycles it 0 → 0.4 → 1, at once: running and redriven executions use it too",
            "R redrives the execution from the compensation that gave up",
            "✓ ok the table agrees with the outcome",
            "! warning stopped or timed out",
            "✗ error rows the outcome contradicts; orphans named in red",
            "p pauses every execution of the embedded runtime",
            ". advances the selected execution by one history event. Not on AWS",
            "--pace demo|aws|instant",
            "narration what the execution just did",
            "A click focuses the panel",
            "✓↻n ok after n retries",
        ] {
            assert!(
                windows.iter().any(|t| t.contains(topic)),
                "{topic:?} not in help at {w}x{h}"
            );
        }
    }
}

/// Help opens at the focused panel's section; the wheel scrolls it.
#[test]
fn help_opens_at_the_focused_panel_and_the_wheel_scrolls_it() {
    let (w, h) = (80, 24);
    let mut app = demo::app(DemoScreen::Idle, &demo::options(true), w, h);
    press(&mut app, KeyCode::Tab, 2);
    press(&mut app, KeyCode::Char('?'), 1);
    let (inside, bottom) = help_window(&app, w, h);
    assert!(
        inside.iter().any(|l| l.contains("Rows panel · focused")),
        "{inside:?}"
    );
    let wheel = |kind| {
        Msg::Mouse(MouseEvent {
            kind,
            column: 40,
            row: 12,
            modifiers: KeyModifiers::NONE,
        })
    };
    app.update(wheel(MouseEventKind::ScrollDown));
    assert_ne!(help_window(&app, w, h).1, bottom, "scrolled: {bottom}");
    app.update(wheel(MouseEventKind::ScrollUp));
    assert_eq!(help_window(&app, w, h).1, bottom);
}

fn footer(s: DemoScreen, w: u16, h: u16) -> String {
    let text = screen(s, w, h);
    let last = text.lines().last().unwrap_or_default();
    last.trim_matches('"').trim_end().to_string()
}

/// Help and quit are always offered; the rest of the line goes by priority, and a hint
/// that does not fit is left out whole.
#[test]
fn the_footer_fits_by_priority_at_80_and_120_columns() {
    assert_eq!(
        footer(DemoScreen::Idle, 80, 24),
        " 1-8 launch  Enter inspect  t trip  p pause  . step  s stop  ? help  q quit"
    );
    assert_eq!(
        footer(DemoScreen::Idle, 120, 40),
        " 1-8 launch  Enter inspect  t trip  p pause  . step  z zoom  Tab panel  \
         ←↓↑→/hjkl select  s stop  ? help  q quit"
    );
    assert_eq!(
        footer(DemoScreen::Help, 80, 24),
        " ↑↓/jk scroll  Esc/? close"
    );
}

#[test]
fn below_80x24_says_too_small() {
    let text = screen(DemoScreen::Idle, 79, 24);
    assert!(text.contains("terminal too small"), "{text}");
    let text = screen(DemoScreen::Idle, 80, 23);
    assert!(text.contains("terminal too small"), "{text}");
    let text = screen(DemoScreen::Idle, 80, 24);
    assert!(!text.contains("terminal too small"), "{text}");
}

/// failPayment where RefundPayment failed twice and then succeeded; the next
/// compensation has just been entered.
fn recovered_after_two_retries() -> Vec<sagaview::history::HistoryEvent> {
    let cause = "refund-payment failed at random";
    let mut b = HistoryBuilder::start(sample::epoch(), &serde_json::json!({}));
    b.task_ok("ReserveHotel").task_ok("ReserveFlight");
    b.enter("Task", "TakePayment")
        .attempt("TakePayment", Some(("PaymentFailed", "on purpose")))
        .exit("Task", "TakePayment");
    b.enter("Task", "RefundPayment")
        .attempt("RefundPayment", Some(("InternalServerError", cause)))
        .wait(1000)
        .attempt("RefundPayment", Some(("InternalServerError", cause)))
        .wait(2000)
        .attempt("RefundPayment", None)
        .exit("Task", "RefundPayment");
    b.enter("Task", "CancelFlightReservation");
    b.build()
}

#[test]
fn a_step_that_succeeded_after_retries_keeps_its_mark_120x40() {
    let (w, h) = (120, 40);
    let mut app = demo::app(DemoScreen::Idle, &demo::options(false), w, h);
    let arn = "arn:aws:states:us-east-1:123456789012:execution:BookingSaga:run-0001".to_string();
    demo::started(
        &mut app,
        &arn,
        saga_lambdas::RunType::FailPayment,
        sample::TRIP_ID,
        recovered_after_two_retries(),
    );
    let text = demo::to_text(&demo::render(&app, w, h));
    assert!(text.contains("✓↻2 RefundPayment"), "{text}");
    assert!(
        text.contains("  ✓ ReserveHotel"),
        "no retries, no count: {text}"
    );
    assert_snapshot!(text);
}

fn press(app: &mut sagaview::tui::App, code: KeyCode, times: usize) {
    for _ in 0..times {
        app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }
}

/// Shift + `code` (how the graph pans), `times` times.
fn press_shift(app: &mut sagaview::tui::App, code: KeyCode, times: usize) {
    for _ in 0..times {
        app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::SHIFT)));
    }
}

/// Every state name of the saga, as the definition spells it.
fn saga_state_names() -> Vec<String> {
    let graph = StateGraph::from_definition(&demo::saga_definition());
    graph.states.iter().map(|s| s.name.clone()).collect()
}

/// The graph panel's text at each corner the user can pan to: the rendered screens of
/// `app` unpanned, then panned right and down as far as the graph goes.
fn graph_views(app: &mut sagaview::tui::App, w: u16, h: u16) -> Vec<String> {
    let mut views = vec![demo::to_text(&demo::render(app, w, h))];
    for code in [KeyCode::Right, KeyCode::Down, KeyCode::Left] {
        press_shift(app, code, 60);
        views.push(demo::to_text(&demo::render(app, w, h)));
    }
    views
}

/// From 120 columns the graph cuts no name: each shows whole on screen, panning to
/// it where the drawing is larger than the panel; below, names may be shortened.
#[test]
fn state_names_are_whole_from_120_columns_panning_if_needed() {
    let names = saga_state_names();
    for (w, h) in [(120, 40), (160, 48), (200, 60)] {
        for (screen, file) in DemoScreen::ALL {
            // Neither shows the graph: the help covers it, the timeline replaces it.
            if matches!(screen, DemoScreen::Help | DemoScreen::Timeline) {
                continue;
            }
            let mut app = demo::app(screen, &demo::options(true), w, h);
            let view = geometry::inside(geometry::areas_of((w, h), None).graph);
            let (layout, _) = app.graph_viewport((view.width, view.height)).unwrap();
            assert!(!layout.shortened, "{file} at {w}x{h}");
            let views = graph_views(&mut app, w, h);
            for name in &names {
                assert!(
                    views.iter().any(|v| v.contains(&format!(" {name}"))),
                    "{name:?} never whole in {file} at {w}x{h}:\n{}",
                    views.join("\n")
                );
            }
            assert!(
                views.iter().all(|v| !v.contains("…┃") && !v.contains("…│")),
                "no name cut with … in {file} at {w}x{h}"
            );
        }
    }
    let app = demo::app(DemoScreen::Idle, &demo::options(true), 80, 24);
    let view = geometry::inside(geometry::areas_of((80, 24), None).graph);
    let (layout, _) = app.graph_viewport((view.width, view.height)).unwrap();
    assert!(
        layout.shortened && layout.width <= view.width,
        "below 120 columns names give way so the graph fits the panel's width"
    );
}

/// At 120×40 the drawing is wider than the graph panel: the panel says so, and
/// panning right shows the widest name whole.
#[test]
fn the_graph_pans_to_full_names_120x40() {
    let (w, h) = (120, 40);
    let mut app = demo::app(
        DemoScreen::CompensationExhausted,
        &demo::options(false),
        w,
        h,
    );
    let text = demo::to_text(&demo::render(&app, w, h));
    assert!(text.contains(" more ▶ "), "{text}");
    press_shift(&mut app, KeyCode::Right, 20);
    let text = demo::to_text(&demo::render(&app, w, h));
    assert!(
        text.contains("· Sorry, We Couldn't make the booking┃"),
        "{text}"
    );
    assert!(text.contains(" more ◀ "), "{text}");
    assert_snapshot!(text);
}

/// `z` gives the graph the whole screen: at 120×40 every name fits whole, unpanned.
#[test]
fn the_zoomed_graph_shows_full_names_120x40() {
    let (w, h) = (120, 40);
    let mut app = demo::app(DemoScreen::SuccessFinished, &demo::options(false), w, h);
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('z'),
        KeyModifiers::NONE,
    )));
    let text = demo::to_text(&demo::render(&app, w, h));
    for name in saga_state_names() {
        assert!(text.contains(&format!(" {name} ")), "{name:?}:\n{text}");
    }
    assert!(!text.contains(" more "), "nothing to pan to:\n{text}");
    assert_snapshot!(text);
}

/// A clean rollback ends in the Fail state, whose name is wider than what is left of
/// the panel at 120×40: the window keeps still, so the forward lane keeps its names,
/// and the title says the rest is to the right.
#[test]
fn following_the_last_state_keeps_the_forward_lane_whole_120x40() {
    let (w, h) = (120, 40);
    let mut app = demo::app(DemoScreen::Idle, &demo::options(true), w, h);
    let arn = "arn:aws:states:us-east-1:123456789012:execution:BookingSaga:run-0001".to_string();
    demo::started(
        &mut app,
        &arn,
        saga_lambdas::RunType::FailPayment,
        sample::TRIP_ID,
        sample::history(sample::Scenario::CleanRollback),
    );
    let text = demo::to_text(&demo::render(&app, w, h));
    assert!(text.contains("  ✓ ReserveHotel"), "{text}");
    assert!(text.contains("  ⤳ TakePayment"), "{text}");
    assert!(text.contains("✗ Sorry, We Couldn't make"), "{text}");
    assert!(text.contains(" more ▶ "), "{text}");
}

/// An app's screen, as the snapshots above print it.
fn drawn(app: &App, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    terminal
        .draw(|f| sagaview::tui::draw(f, app))
        .expect("drawn");
    terminal.backend().to_string()
}

/// Row `n` of a drawn screen, without the quotes.
fn line(text: &str, n: usize) -> &str {
    text.lines()
        .nth(n)
        .unwrap_or_default()
        .trim_matches('"')
        .trim_end()
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

/// failPayment, RefundPayment's second attempt just failed: the run is waiting for
/// its third.
fn retrying(w: u16, h: u16) -> App {
    demo::app(
        DemoScreen::CompensationRetrying,
        &demo::options(false),
        w,
        h,
    )
}

/// When the selected execution's last event happened.
fn last_event_at(app: &App) -> DateTime<Utc> {
    let e = app.selected_execution().expect("a selected execution");
    e.view.events.last().expect("a history").timestamp
}

#[test]
fn paused_120x40() {
    let mut app = retrying(120, 40);
    assert!(app.update(Msg::Paused(Ok(true))).is_empty());
    let text = drawn(&app, 120, 40);
    assert_eq!(
        line(&text, 1),
        "  ⏸ PAUSED · . steps · p resumes   ▶ failPayment · trip-0002 · RUNNING 1.8 s \
         │ verdict running"
    );
    assert_snapshot!(text);
}

#[test]
fn paused_80x24() {
    let mut app = retrying(80, 24);
    app.update(Msg::Paused(Ok(true)));
    let text = drawn(&app, 80, 24);
    assert!(
        line(&text, 1).starts_with("  ⏸ PAUSED · . steps · p resumes   ▶ failPayment · "),
        "{text}"
    );
    assert_snapshot!(text);
}

/// The success run's rows just after TakePayment: hotel and flight still pending.
fn rows_before_the_confirmations() -> Vec<Item> {
    let mut rows = sample::rows(Scenario::Success);
    for row in &mut rows {
        if matches!(row.get("type"), Some(AttrValue::S(t)) if t != "Payment") {
            row.insert("transaction_status".into(), AttrValue::S("pending".into()));
        }
    }
    rows
}

/// Paused in a success run while TakePayment's task has succeeded; `.` steps: one
/// more event (TakePayment exited) in the history, and the narration tells of it.
#[test]
fn a_step_adds_one_event_and_narrates_it_120x40() {
    let (w, h) = (120, 40);
    let mut app = demo::app(DemoScreen::Idle, &demo::options(false), w, h);
    let arn = "arn:aws:states:us-east-1:123456789012:execution:BookingSaga:run-0001".to_string();
    app.update(key('1'));
    app.update(Msg::Started {
        seq: app.launches,
        launch: Launch {
            run_type: RunType::Success,
            trip_id: sample::TRIP_ID.into(),
            cancel_failure_rate: 0.4,
        },
        result: Ok(arn.clone()),
    });
    let events = sample::history(Scenario::Success);
    app.update(Msg::History {
        arn: arn.clone(),
        result: Ok(events[..15].to_vec()),
    });
    app.update(Msg::Rows {
        trip_id: sample::TRIP_ID.into(),
        for_verdict: None,
        result: Ok(rows_before_the_confirmations()),
    });
    app.update(Msg::Paused(Ok(true)));
    let before = drawn(&app, w, h);
    assert!(before.contains("Event history 15 "), "{before}");
    assert_eq!(line(&before, 2), " → TakePayment running (attempt 1)");

    assert_eq!(app.update(key('.')), vec![Cmd::Step(arn.clone())]);
    let cmds = app.update(Msg::Stepped {
        arn: arn.clone(),
        result: Ok(()),
    });
    assert!(
        cmds.contains(&Cmd::PollHistory {
            arn: arn.clone(),
            after_id: events[14].id
        }),
        "{cmds:?}"
    );
    app.update(Msg::History {
        arn,
        result: Ok(events[15..16].to_vec()),
    });
    let after = drawn(&app, w, h);
    assert!(after.contains("Event history 16 "), "{after}");
    assert!(after.contains("TaskStateExited TakePayment"), "{after}");
    assert!(after.contains("✓ TakePayment"), "{after}");
    assert!(line(&after, 1).contains("⏸ PAUSED"), "{after}");
    assert_eq!(line(&after, 2), " ✓ TakePayment succeeded");
    assert_snapshot!(after);
}

/// RefundPayment failed 0.4 s ago on the execution clock; its retry is due 2 s after
/// the failure: the narration counts down what is left, and keeps counting.
#[test]
fn a_retry_counts_down_on_the_execution_clock_120x40() {
    let mut app = retrying(120, 40);
    let failed_at = last_event_at(&app);
    app.update(Msg::Tick {
        now_ms: 0,
        clock: failed_at + TimeDelta::milliseconds(400),
    });
    let text = drawn(&app, 120, 40);
    assert_eq!(
        line(&text, 2),
        " ! RefundPayment failed (InternalServerError); retry 2 of 3 in 1.6 s"
    );
    assert_snapshot!(text);
    app.update(Msg::Tick {
        now_ms: 100,
        clock: failed_at + TimeDelta::milliseconds(1_500),
    });
    let later = drawn(&app, 120, 40);
    assert!(
        line(&later, 2).ends_with("retry 2 of 3 in 0.5 s"),
        "{later}"
    );
}

#[test]
fn a_retry_counts_down_on_the_execution_clock_80x24() {
    let mut app = retrying(80, 24);
    let failed_at = last_event_at(&app);
    app.update(Msg::Tick {
        now_ms: 0,
        clock: failed_at + TimeDelta::milliseconds(400),
    });
    let text = drawn(&app, 80, 24);
    assert!(line(&text, 2).ends_with("retry 2 of 3 in 1.6 s"), "{text}");
    assert_snapshot!(text);
}

/// `z` on the panel that has the keyboard (after `tabs` Tabs from the graph).
fn zoomed(tabs: usize, w: u16, h: u16) -> String {
    let mut app = retrying(w, h);
    for _ in 0..tabs {
        app.update(Msg::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)));
    }
    app.update(key('z'));
    assert!(app.zoomed);
    drawn(&app, w, h)
}

#[test]
fn graph_zoomed_120x40() {
    let text = zoomed(0, 120, 40);
    assert!(
        line(&text, 3).starts_with("┏ State graph failPayment RUNNING"),
        "{text}"
    );
    assert!(
        text.contains("Sorry, We Couldn't make the booking"),
        "{text}"
    );
    for other in ["Event history", "Rows of trip", "Executions"] {
        assert!(!text.contains(other), "{other} hidden: {text}");
    }
    assert!(
        line(&text, 1).contains("▶ failPayment · trip-0002"),
        "{text}"
    );
    assert_snapshot!(text);
}

#[test]
fn graph_zoomed_80x24() {
    let text = zoomed(0, 80, 24);
    assert!(
        line(&text, 3).starts_with("┏ State graph failPayment RUNNING"),
        "{text}"
    );
    assert!(!text.contains("Event history"), "{text}");
    // However short the footer, it tells the way back.
    assert!(line(&text, 23).contains("z unzoom"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn history_zoomed_120x40() {
    let text = zoomed(1, 120, 40);
    assert!(line(&text, 3).starts_with("┏ Event history 23 "), "{text}");
    // The whole history fits, failure causes unclipped.
    assert!(text.contains("+0.000s ExecutionStarted"), "{text}");
    assert!(
        text.contains("refund-payment failed at random (cancel failure rate 0.4)"),
        "{text}"
    );
    for other in ["State graph", "Rows of trip", "Executions"] {
        assert!(!text.contains(other), "{other} hidden: {text}");
    }
    assert!(line(&text, 39).contains("z unzoom"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn a_store_fault_takes_the_header_in_red_and_refuses_launches_120x40() {
    let mut app = retrying(120, 40);
    let fault = "the store failed: /data/sagaview.db: No space left on device (os error 28) \
                 (SQLite: database or disk is full, committing a batch of writes)";
    assert!(app.update(Msg::StoreFault(Some(fault.into()))).is_empty());
    let cmds = app.update(key('1'));
    assert!(!cmds.iter().any(|c| matches!(c, Cmd::Start(_))), "{cmds:?}");
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
    terminal
        .draw(|f| sagaview::tui::draw(f, &app))
        .expect("drawn");
    let cell = &terminal.backend().buffer()[(3, 0)];
    assert_eq!(Some(cell.fg), app.palette.error.fg, "the fault is in red");
    let text = terminal.backend().to_string();
    assert!(
        line(&text, 0).starts_with(
            " ✖ the store failed: /data/sagaview.db: No space left on device (os error 28)"
        ),
        "{text}"
    );
    assert!(line(&text, 1).contains("not launched"), "{text}");
    assert_snapshot!(text);

    // Should the store come back, launches do too.
    app.update(Msg::StoreFault(None));
    let cmds = app.update(key('1'));
    assert!(cmds.iter().any(|c| matches!(c, Cmd::Start(_))), "{cmds:?}");
}
