//! Prepared screens (fixed trip, fixed timestamps, spinner frame 0) rendered without a
//! terminal: the README's screenshots, the snapshot tests and the render benchmark all
//! use them, so what they show is what the UI shows.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use saga_lambdas::RunType;

use super::app::App;
use super::msg::Msg;
use super::theme::Theme;
use super::{TuiOptions, ui};
use crate::asl::{Definition, load_definition};
use crate::backend::{BackendInfo, BackendKind, Launch};
use crate::history::{EventType, HistoryEvent};
use crate::view::sample::{self, Scenario};

/// The screens there are pictures of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoScreen {
    /// Just started: nothing launched yet.
    Idle,
    /// A success run, finished and judged.
    SuccessFinished,
    /// failPayment: TakePayment caught, RefundPayment on its 2nd retry.
    CompensationRetrying,
    /// failPayment: a compensation gave up; orphaned rows named.
    CompensationExhausted,
    /// The help overlay over the idle screen.
    Help,
    /// failPayment whose RefundPayment recovered after three retries, on the timeline,
    /// the history cursor on its last failure.
    Timeline,
}

impl DemoScreen {
    /// Every screen, with a file-friendly name.
    pub const ALL: [(DemoScreen, &'static str); 6] = [
        (DemoScreen::Idle, "idle"),
        (DemoScreen::SuccessFinished, "success-finished"),
        (DemoScreen::CompensationRetrying, "compensation-retrying"),
        (DemoScreen::CompensationExhausted, "compensation-exhausted"),
        (DemoScreen::Help, "help"),
        (DemoScreen::Timeline, "timeline"),
    ];
}

/// The saga definition shipped in `infra/`.
pub fn saga_definition() -> Arc<Definition> {
    let text = include_str!("../../infra/statemachine/saga.asl.json");
    // The file is part of the crate and covered by tests; failing here is a build defect.
    Arc::new(load_definition(text).unwrap_or_else(|e| panic!("saga definition: {e}")))
}

/// Backend facts as the embedded backend reports them.
pub fn embedded_info() -> BackendInfo {
    BackendInfo {
        kind: BackendKind::Embedded,
        state_machine_name: "BookingSaga".into(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:BookingSaga".into(),
        approval_state_machine_arn: Some(
            "arn:aws:states:us-east-1:123456789012:stateMachine:BookingSagaWithApproval".into(),
        ),
    }
}

/// Options of every demo screen: the defaults (a fresh trip per launch, demo pace at
/// 1×, rate 0.4), dark theme.
pub fn options(no_color: bool) -> TuiOptions {
    TuiOptions {
        trip_id: None,
        pace: Some(crate::engine::Pace::Demo),
        run_type: RunType::Success,
        cancel_failure_rate: 0.4,
        speed: 1.0,
        theme: Theme::Dark,
        log_file: None,
        no_color,
        export_dir: None,
    }
}

fn arn(n: u32) -> String {
    format!("arn:aws:states:us-east-1:123456789012:execution:BookingSaga:run-{n:04}")
}

/// Answers the latest launch as the loop would: execution `arn` of `run_type` started on
/// `trip`, and its history so far is `events`.
pub fn started(app: &mut App, arn: &str, run_type: RunType, trip: &str, events: Vec<HistoryEvent>) {
    app.update(Msg::Started {
        seq: app.launches,
        launch: Launch {
            run_type,
            trip_id: trip.into(),
            cancel_failure_rate: app.cancel_failure_rate,
        },
        result: Ok(arn.into()),
    });
    app.update(Msg::History {
        arn: arn.into(),
        result: Ok(events),
    });
}

/// Launches `run_type` on `trip` as a key would, answers it with the scenario's history
/// and then its rows (judged, when `judged`).
fn launched(
    app: &mut App,
    n: u32,
    run_type: RunType,
    scenario: Scenario,
    trip: &str,
    judged: bool,
) {
    let a = arn(n);
    app.launches += 1;
    started(app, &a, run_type, trip, sample::history(scenario));
    app.update(Msg::Rows {
        trip_id: trip.into(),
        for_verdict: judged.then_some(a),
        result: Ok(sample::rows(scenario)),
    });
}

/// Builds the app state of a screen at the given size.
pub fn app(screen: DemoScreen, options: &TuiOptions, width: u16, height: u16) -> App {
    let mut app = App::new(embedded_info(), options);
    app.update(Msg::Resize(width, height));
    app.startup();
    app.update(Msg::Definition(Ok(saga_definition())));
    app.update(Msg::Executions(Ok(vec![])));
    match screen {
        DemoScreen::Idle => {}
        DemoScreen::Help => {
            app.update(Msg::Key(KeyEvent::new(
                KeyCode::Char('?'),
                KeyModifiers::NONE,
            )));
        }
        DemoScreen::SuccessFinished => {
            app.run_type = RunType::Success;
            launched(
                &mut app,
                1,
                RunType::Success,
                Scenario::Success,
                sample::TRIP_ID,
                true,
            );
        }
        DemoScreen::CompensationRetrying => {
            app.run_type = RunType::FailPayment;
            launched(
                &mut app,
                1,
                RunType::Success,
                Scenario::Success,
                sample::TRIP_ID,
                true,
            );
            launched(
                &mut app,
                2,
                RunType::FailPayment,
                Scenario::CompensationRetrying,
                "trip-0002",
                false,
            );
        }
        DemoScreen::Timeline => {
            app.run_type = RunType::FailPayment;
            launched(
                &mut app,
                1,
                RunType::FailPayment,
                Scenario::CompensationRecovered,
                sample::TRIP_ID,
                true,
            );
            app.update(Msg::Key(KeyEvent::new(
                KeyCode::Char('v'),
                KeyModifiers::NONE,
            )));
            // The cursor on the last failure, as a presenter would walk the room to it.
            let last_failure = app.selected_execution().and_then(|e| {
                e.view
                    .events
                    .iter()
                    .rposition(|ev| ev.event_type == EventType::TaskFailed)
            });
            if let Some(i) = last_failure {
                app.history_cursor = i;
                app.follow = false;
            }
        }
        DemoScreen::CompensationExhausted => {
            app.run_type = RunType::FailPayment;
            launched(
                &mut app,
                1,
                RunType::FailPayment,
                Scenario::CompensationExhausted,
                sample::TRIP_ID,
                true,
            );
        }
    }
    app
}

/// Renders an app into a buffer of its size.
pub fn render(app: &App, width: u16, height: u16) -> Buffer {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(never) => match never {},
    };
    if let Err(never) = terminal.draw(|f| ui::draw(f, app)) {
        match never {}
    }
    terminal.backend().buffer().clone()
}

/// Renders a screen at a size into a `TestBackend` (for snapshot assertions).
pub fn terminal(screen: DemoScreen, width: u16, height: u16) -> Terminal<TestBackend> {
    let app = app(screen, &options(false), width, height);
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(never) => match never {},
    };
    if let Err(never) = terminal.draw(|f| ui::draw(f, &app)) {
        match never {}
    }
    terminal
}

/// A heavy screen for the render benchmark: one execution with `events` history events
/// (a compensation retried over and over) and `rows` rows on the trip.
pub fn busy_app(events: usize, rows: usize, width: u16, height: u16) -> App {
    let mut app = app(DemoScreen::Idle, &options(false), width, height);
    app.launches += 1;
    started(
        &mut app,
        &arn(1),
        RunType::FailPayment,
        sample::TRIP_ID,
        sample::long_history(events),
    );
    app.update(Msg::Rows {
        trip_id: sample::TRIP_ID.into(),
        for_verdict: None,
        result: Ok(sample::many_rows(rows)),
    });
    app
}

/// The buffer as plain text, one line per row (trailing spaces trimmed).
pub fn to_text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.y..area.y + area.height {
        let mut line = String::new();
        for x in area.x..area.x + area.width {
            if let Some(cell) = buf.cell(ratatui::layout::Position::new(x, y)) {
                line.push_str(cell.symbol());
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn hex(color: ratatui::style::Color, default: &'static str) -> String {
    use ratatui::style::Color as C;
    let named = match color {
        C::Reset => default,
        C::Black => "#1e1e1e",
        C::Red => "#e05555",
        C::Green => "#5fbf5f",
        C::Yellow => "#d7c25a",
        C::Blue => "#5a8fd7",
        C::Magenta => "#c678dd",
        C::Cyan => "#56b6c2",
        C::Gray => "#c8c8c8",
        C::DarkGray => "#7a7a7a",
        C::LightRed => "#ff7b7b",
        C::LightGreen => "#8ae28a",
        C::LightYellow => "#f0e080",
        C::LightBlue => "#82aaff",
        C::LightMagenta => "#e0a0f0",
        C::LightCyan => "#90e0ea",
        C::White => "#ffffff",
        C::Rgb(r, g, b) => return format!("#{r:02x}{g:02x}{b:02x}"),
        C::Indexed(_) => default,
    };
    named.to_string()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The buffer as an SVG picture with its colours (for the README).
pub fn to_svg(buf: &Buffer) -> String {
    use ratatui::style::Modifier;
    const CW: f32 = 8.4;
    const CH: f32 = 18.0;
    const FG: &str = "#c8c8c8";
    const BG: &str = "#1e1e1e";
    let area = buf.area;
    let (w, h) = (f32::from(area.width) * CW, f32::from(area.height) * CH);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" \
         viewBox=\"0 0 {w:.0} {h:.0}\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" \
         font-size=\"14\">\n<rect width=\"100%\" height=\"100%\" fill=\"{BG}\"/>\n"
    );
    for y in area.y..area.y + area.height {
        let ty = f32::from(y - area.y) * CH + 13.5;
        for x in area.x..area.x + area.width {
            let Some(cell) = buf.cell(ratatui::layout::Position::new(x, y)) else {
                continue;
            };
            let mut fg = hex(cell.fg, FG);
            let mut bg = hex(cell.bg, BG);
            if cell.modifier.contains(Modifier::REVERSED) {
                std::mem::swap(&mut fg, &mut bg);
            }
            let px = f32::from(x - area.x) * CW;
            if bg != BG {
                out.push_str(&format!(
                    "<rect x=\"{px:.1}\" y=\"{:.1}\" width=\"{CW}\" height=\"{CH}\" fill=\"{bg}\"/>\n",
                    f32::from(y - area.y) * CH
                ));
            }
            let sym = cell.symbol();
            if sym.trim().is_empty() {
                continue;
            }
            let weight = if cell.modifier.contains(Modifier::BOLD) {
                " font-weight=\"bold\""
            } else {
                ""
            };
            let deco = if cell.modifier.contains(Modifier::CROSSED_OUT) {
                " text-decoration=\"line-through\""
            } else {
                ""
            };
            out.push_str(&format!(
                "<text x=\"{px:.1}\" y=\"{ty:.1}\" fill=\"{fg}\"{weight}{deco}>{}</text>\n",
                escape(sym)
            ));
        }
    }
    out.push_str("</svg>\n");
    out
}
