//! The graph's selected state and the state inspector: arrows, clicks and the history
//! cursor select a state; Enter or `i` opens its visits; JSON folds, wraps and scrolls.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use insta::assert_snapshot;
use ratatui::style::Modifier;
use sagaview::tui::app::Mode;
use sagaview::tui::demo::{self, DemoScreen};
use sagaview::tui::geometry;
use sagaview::tui::inspector;
use sagaview::tui::keymap::Focus;
use sagaview::tui::{App, Msg};
use sagaview::view::NodeStyle;

fn press(app: &mut App, code: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn screen(app: &App, w: u16, h: u16) -> String {
    demo::to_text(&demo::render(app, w, h))
}

/// The inspector's lines as text, for asserting on what it holds.
fn document(app: &App) -> Vec<String> {
    match &app.mode {
        Mode::Inspect(insp) => inspector::document(app, insp)
            .iter()
            .map(|l| format!("{}{}", " ".repeat(usize::from(l.indent)), l.text()))
            .collect(),
        m => panic!("the inspector is not open: {m:?}"),
    }
}

/// The app at `screen`, with `state` selected in the graph and the inspector opened
/// with Enter.
fn inspecting(screen: DemoScreen, state: &str, w: u16, h: u16) -> App {
    let mut app = demo::app(screen, &demo::options(false), w, h);
    app.selected_state = Some(state.into());
    assert_eq!(app.focus, Focus::Graph);
    press(&mut app, KeyCode::Enter);
    app
}

/// Checks that `state`, and only it, is highlighted in the graph panel: its name drawn
/// reversed and, where states are boxed, its box drawn heavy (the panel's own border
/// is left out, as a focused panel's is heavy too).
fn assert_highlighted(app: &App, w: u16, h: u16, state: &str) {
    let buf = demo::render(app, w, h);
    let inside = geometry::inside(geometry::areas_of((w, h), app.zoom()).graph);
    let row_text = |y: u16| -> String {
        (inside.x..inside.right())
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect()
    };
    let name = format!(" {state} ");
    let y = (inside.y..inside.bottom())
        .find(|&y| row_text(y).contains(&name))
        .unwrap_or_else(|| panic!("{state} not drawn:\n{}", screen(app, w, h)));
    let row = row_text(y);
    let col = row[..row.find(&name).unwrap()].chars().count() + 1;
    let x = inside.x + u16::try_from(col).unwrap();
    assert!(
        buf[(x, y)].modifier.contains(Modifier::REVERSED),
        "{state}'s name drawn reversed"
    );
    let reversed_rows = (inside.y..inside.bottom())
        .filter(|&y| {
            (inside.x..inside.right()).any(|x| buf[(x, y)].modifier.contains(Modifier::REVERSED))
        })
        .count();
    assert_eq!(reversed_rows, 1, "only the selected state is highlighted");
    let (layout, _) = app.graph_viewport((inside.width, inside.height)).unwrap();
    let heavy = (inside.y..inside.bottom())
        .filter(|&y| row_text(y).contains('┏'))
        .count();
    if layout.style == NodeStyle::Boxed {
        assert!(row.contains('┃'), "{state} boxed heavy: {row}");
        assert_eq!(heavy, 1, "one heavy box:\n{}", screen(app, w, h));
    } else {
        assert_eq!(heavy, 0);
    }
}

#[test]
fn a_successful_task_shows_its_input_output_attempt_and_events() {
    for (w, h) in [(120, 40), (80, 24)] {
        let app = inspecting(DemoScreen::SuccessFinished, "ReserveHotel", w, h);
        let doc = document(&app).join("\n");
        for part in [
            "ReserveHotel  Task  · ✓ succeeded · 1 visit · 1 attempt",
            "▾ Visit 1 of 1 · entered +",
            "  Attempts",
            "✓ succeeded",
            "  Input",
            "  Output",
            "  Events  ",
            "TaskStateEntered",
            "TaskStateExited",
            "\"trip_id\": \"trip-0001\"",
        ] {
            assert!(doc.contains(part), "{part:?} not in:\n{doc}");
        }
        assert!(!doc.contains("Error"), "no failure, no error:\n{doc}");
        let text = screen(&app, w, h);
        assert!(text.contains("Inspect ReserveHotel"), "{text}");
        insta::with_settings!({snapshot_suffix => format!("{w}x{h}")}, {
            assert_snapshot!(text);
        });
    }
}

#[test]
fn a_compensation_that_failed_and_retried_shows_each_attempt_and_the_cause() {
    for (w, h) in [(120, 40), (80, 24)] {
        let app = inspecting(
            DemoScreen::CompensationExhausted,
            "CancelFlightReservation",
            w,
            h,
        );
        let doc = document(&app);
        let attempts: Vec<&String> = doc
            .iter()
            .filter(|l| l.trim_start().starts_with('#'))
            .collect();
        assert!(attempts.len() >= 2, "{doc:#?}");
        assert!(
            attempts.iter().skip(1).all(|l| l.contains("after ")),
            "each retry says how long it waited: {attempts:#?}"
        );
        assert!(attempts.iter().all(|l| l.contains('✗')), "{attempts:#?}");
        let doc = doc.join("\n");
        assert!(doc.contains("  Error  "), "{doc}");
        assert!(doc.contains("  Cause"), "{doc}");
        assert!(
            doc.contains("not exited"),
            "the execution failed in it:\n{doc}"
        );
        let text = screen(&app, w, h);
        insta::with_settings!({snapshot_suffix => format!("{w}x{h}")}, {
            assert_snapshot!(text);
        });
    }
}

#[test]
fn space_folds_the_line_under_the_cursor_z_folds_all_and_w_scrolls_sideways() {
    let mut app = inspecting(DemoScreen::SuccessFinished, "ReserveHotel", 80, 24);
    let doc = document(&app);
    let input = doc.iter().position(|l| l.trim() == "Input").unwrap();
    for _ in 0..=input {
        press(&mut app, KeyCode::Down);
    }
    assert_eq!(
        document(&app)[input + 1].trim(),
        "{",
        "the cursor on the input's brace"
    );
    press(&mut app, KeyCode::Char(' '));
    let folded = document(&app);
    assert!(folded[input + 1].contains("{ … }"), "{folded:#?}");
    assert!(folded.len() < doc.len());
    press(&mut app, KeyCode::Enter);
    assert_eq!(document(&app), doc, "Enter unfolds it again");

    // The visit header folds the whole visit.
    press(&mut app, KeyCode::Home);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Char(' '));
    let visit = document(&app);
    assert!(visit[1].starts_with("▸ Visit 1 of 1"), "{visit:#?}");
    assert_eq!(visit.len(), 2);
    press(&mut app, KeyCode::Char(' '));

    // Wrap off: Right scrolls sideways, and the wrap key brings wrapping back.
    press(&mut app, KeyCode::Char('w'));
    press(&mut app, KeyCode::Right);
    match &app.mode {
        Mode::Inspect(i) => assert!(!i.wrap && i.hscroll > 0, "{i:?}"),
        m => panic!("{m:?}"),
    }
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("w wrap"),
        "the footer of the popup says how: {text}"
    );
    press(&mut app, KeyCode::Char('w'));
    match &app.mode {
        Mode::Inspect(i) => assert!(i.wrap && i.hscroll == 0, "{i:?}"),
        m => panic!("{m:?}"),
    }

    // z folds everything shown, Z unfolds it all again.
    press(&mut app, KeyCode::Char('z'));
    let all = document(&app);
    assert_eq!(all.len(), 2, "the summary and the folded visit: {all:#?}");
    press(&mut app, KeyCode::Char('Z'));
    assert_eq!(document(&app), doc);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn long_payload_lines_wrap_inside_the_inspector() {
    let mut app = inspecting(
        DemoScreen::CompensationExhausted,
        "CancelFlightReservation",
        80,
        24,
    );
    press(&mut app, KeyCode::End);
    let text = screen(&app, 80, 24);
    for line in text.lines() {
        assert!(line.chars().count() <= 82, "{line}");
    }
}

#[test]
fn a_click_on_a_state_box_selects_it() {
    let (w, h) = (120, 40);
    let mut app = demo::app(DemoScreen::SuccessFinished, &demo::options(false), w, h);
    app.focus = Focus::History;
    let inside = geometry::inside(geometry::areas_of((w, h), None).graph);
    let model = app.graph.clone().unwrap();
    let (layout, off) = app.graph_viewport((inside.width, inside.height)).unwrap();
    let i = model.graph.index_of("ReserveFlight").unwrap();
    let node = layout.node(i).unwrap().clone();
    let (x, y) = (
        inside.x + node.x + node.width / 2 - off.0,
        inside.y + node.y + node.height / 2 - off.1,
    );
    app.update(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: x,
        row: y,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(app.focus, Focus::Graph);
    assert_eq!(app.selected_state.as_deref(), Some("ReserveFlight"));
    assert_highlighted(&app, w, h, "ReserveFlight");
    press(&mut app, KeyCode::Char('z'));
    assert_highlighted(&app, w, h, "ReserveFlight");
    press(&mut app, KeyCode::Char('i'));
    assert!(document(&app)[0].starts_with("ReserveFlight"));
}

#[test]
fn moving_the_history_cursor_selects_the_events_state() {
    let (w, h) = (120, 40);
    let mut app = demo::app(DemoScreen::SuccessFinished, &demo::options(false), w, h);
    assert_eq!(app.selected_state, None);
    app.focus = Focus::History;
    press(&mut app, KeyCode::Home);
    let notes = app.selected_execution().unwrap().view.notes.clone();
    let mut seen = Vec::new();
    for _ in 0..notes.len() {
        press(&mut app, KeyCode::Down);
        if let Some(state) = &notes[app.history_cursor].state {
            assert_eq!(app.selected_state.as_ref(), Some(state));
            seen.push(state.clone());
        }
    }
    assert!(seen.contains(&"TakePayment".to_string()), "{seen:?}");
    app.focus = Focus::History;
    press(&mut app, KeyCode::Home);
    for _ in 0..4 {
        press(&mut app, KeyCode::Down);
    }
    let state = app.selected_state.clone().unwrap();
    assert_highlighted(&app, w, h, &state);
    press(&mut app, KeyCode::Char('i'));
    assert!(
        document(&app)[0].starts_with(&state),
        "i opens the cursor's state"
    );
}

#[test]
fn arrows_move_the_selection_along_the_graph_and_keep_it_in_view() {
    let (w, h) = (80, 24);
    let mut app = demo::app(DemoScreen::SuccessFinished, &demo::options(false), w, h);
    app.selected_state = Some("ReserveHotel".into());
    press(&mut app, KeyCode::Down);
    assert_eq!(app.selected_state.as_deref(), Some("ReserveFlight"));
    press(&mut app, KeyCode::Up);
    assert_eq!(app.selected_state.as_deref(), Some("ReserveHotel"));
    let inside = geometry::inside(geometry::areas_of((w, h), None).graph);
    let view = (inside.width, inside.height);
    for _ in 0..30 {
        press(&mut app, KeyCode::Char('j'));
        let name = app.selected_state.clone().unwrap();
        let model = app.graph.clone().unwrap();
        let (layout, off) = app.graph_viewport(view).unwrap();
        let node = layout.node(model.graph.index_of(&name).unwrap()).unwrap();
        assert!(
            node.y >= off.1 && node.y + node.height <= off.1 + view.1,
            "{name} at row {} not in the window from {}",
            node.y,
            off.1
        );
    }
    press(&mut app, KeyCode::Right);
    let right = app.selected_state.clone().unwrap();
    let graph = app.graph.clone().unwrap().graph;
    assert!(
        graph.is_compensation(&right),
        "→ reaches the compensation lane: {right}"
    );
    press(&mut app, KeyCode::Char('h'));
    let left = app.selected_state.clone().unwrap();
    assert!(
        !graph.is_compensation(&left),
        "← back to the forward lane: {right} → {left}"
    );
}

#[test]
fn the_event_popup_wraps_its_payload_to_the_popup() {
    let (w, h) = (80, 24);
    let mut app = demo::app(
        DemoScreen::CompensationExhausted,
        &demo::options(false),
        w,
        h,
    );
    app.focus = Focus::History;
    press(&mut app, KeyCode::End);
    press(&mut app, KeyCode::Enter);
    let text = screen(&app, w, h);
    assert!(text.contains("ExecutionFailed"), "{text}");
    assert!(text.contains("\"cause\""), "{text}");
}

/// A state whose input and output are as large as Step Functions allows (256 KiB):
/// the inspector lays out a bounded number of lines and still draws.
#[test]
fn a_payload_of_the_largest_size_is_bounded() {
    use sagaview::view::sample::{self, HistoryBuilder};
    let items: Vec<serde_json::Value> = (0..6_000)
        .map(|i| serde_json::json!({"sk": format!("ITEM#{i:08}"), "n": i}))
        .collect();
    let input = serde_json::json!({"items": items, "note": "x".repeat(20_000)});
    assert!(input.to_string().len() > 200_000);
    let mut b = HistoryBuilder::start(sample::epoch(), &input);
    b.task_ok("ReserveHotel");
    let (w, h) = (120, 40);
    let mut app = demo::app(DemoScreen::Idle, &demo::options(false), w, h);
    demo::started(
        &mut app,
        "arn:aws:states:us-east-1:123456789012:execution:BookingSaga:big",
        saga_lambdas::RunType::Success,
        sample::TRIP_ID,
        b.build(),
    );
    app.selected_state = Some("ReserveHotel".into());
    press(&mut app, KeyCode::Enter);
    let doc = document(&app);
    let text = screen(&app, w, h);
    assert!(
        doc.len() < 2 * inspector::MAX_EVENTS + 2 * 2_100,
        "{}",
        doc.len()
    );
    assert!(
        doc.iter().any(|l| l.contains("… cut here")),
        "the input is cut"
    );
    assert!(text.contains("Inspect ReserveHotel"));
    press(&mut app, KeyCode::End);
    assert!(
        screen(&app, w, h).contains("TaskStateExited"),
        "its end is reachable"
    );
}

/// A compensation that failed twice and then succeeded: each failure shows on its
/// attempt, and the visit reads as recovered, not failed.
#[test]
fn a_compensation_that_recovered_after_retries_reads_as_recovered() {
    use sagaview::view::sample::{self, HistoryBuilder};
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
    let (w, h) = (120, 40);
    let mut app = demo::app(DemoScreen::Idle, &demo::options(false), w, h);
    demo::started(
        &mut app,
        "arn:aws:states:us-east-1:123456789012:execution:BookingSaga:run-0001",
        saga_lambdas::RunType::FailPayment,
        sample::TRIP_ID,
        b.build(),
    );
    app.selected_state = Some("RefundPayment".into());
    press(&mut app, KeyCode::Char('i'));
    let doc = document(&app);
    assert!(
        doc[0].contains("✓ succeeded · 1 visit · 3 attempts"),
        "{doc:#?}"
    );
    assert!(!doc[1].contains('✗'), "the visit recovered: {}", doc[1]);
    let attempts: Vec<&String> = doc
        .iter()
        .filter(|l| l.trim_start().starts_with('#'))
        .collect();
    assert_eq!(attempts.len(), 3);
    assert!(attempts[1].contains("after 1.000s") && attempts[2].contains("after 2.000s"));
    assert!(attempts[2].contains("✓ succeeded"), "{attempts:#?}");
    assert!(
        doc.iter()
            .any(|l| l.contains("Last failure, retried  InternalServerError"))
    );
}
