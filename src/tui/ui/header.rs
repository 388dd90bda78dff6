//! Header, three lines:
//!
//! ```text
//!  sagaview │ embedded · demo pace 1× │ BookingSaga │ next: 1 success · fresh trip · cancel failure 0.4
//!   ⏸ PAUSED · . steps · p resumes   ▶ failPayment · trip-3f9a1c2e · RUNNING 4.2 s │ verdict running
//!  ! TakePayment failed (PaymentFailed); its Catch sends the execution to RefundPayment: compensating
//! ```
//!
//! The first line is what a launch will do (or, once the store has failed, the fault,
//! in red: no launch is made then); the second and third describe the
//! selected execution, and only it: its trip, its status, its own verdict, and the
//! narration of what it just did.

use crate::backend::SagaMachine;
use crate::tui::run_choices::RunChoice;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::narration;
use crate::history::ExecutionStatus;
use crate::tui::app::{App, Execution, Mode};
use crate::tui::keymap::{self, Action, Context};
use crate::tui::theme::{Palette, verdict_glyph};

/// Formats a speed as `20×` / `0.5×`.
pub fn speed_label(speed: f64) -> String {
    if speed.fract() == 0.0 {
        format!("{speed:.0}×")
    } else {
        format!("{speed}×")
    }
}

/// Draws the three header lines.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let mut first = match &app.store_fault {
        // In place of what a launch would do, since none is made while it lasts.
        Some(fault) => fault_line(app, fault),
        None => launch_line(app, Labels::All),
    };
    // A narrow screen keeps what the next launch does and drops the labels.
    for fewer in [Labels::Machine, Labels::None] {
        if app.store_fault.is_none() && first.width() > usize::from(area.width) {
            first = launch_line(app, fewer);
        }
    }
    let lines = [first, execution_line(app), story_line(app, area.width)];
    super::text::render_lines(frame.buffer_mut(), area, &lines);
}

fn sep<'a>(p: &Palette) -> Span<'a> {
    Span::styled(" │ ", p.dim)
}

/// Which names the launch line carries besides what the next launch does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Labels {
    /// The program's and the state machine's.
    All,
    /// The state machine's only.
    Machine,
    /// Neither.
    None,
}

/// What is connected and what the next launch does, on the machine it runs.
fn launch_line(app: &App, labels: Labels) -> Line<'static> {
    let p = &app.palette;
    let mut spans = vec![Span::raw(" ")];
    if labels == Labels::All {
        spans.push(Span::styled("sagaview", p.title));
        spans.push(sep(p));
    }
    spans.push(Span::styled(app.backend_label(), p.header));
    if let Some(pace) = app.pace {
        spans.push(Span::styled(
            format!(" · {pace} pace {}", speed_label(app.speed)),
            p.header,
        ));
    }
    spans.push(sep(p));
    if labels != Labels::None {
        let approval = app.machine == SagaMachine::Approval;
        let machine = app
            .info
            .approval_state_machine_arn
            .as_deref()
            .filter(|_| approval)
            .and_then(|arn| arn.rsplit(':').next())
            .unwrap_or(&app.info.state_machine_name);
        spans.push(Span::styled(machine.to_owned(), p.header));
        spans.push(sep(p));
    }
    if app.read_only() {
        // Nothing is launched from a saved execution: no "next" to tell.
        let save = keymap::label(Context::Panel(app.focus), Action::Export);
        spans.push(Span::styled(
            format!("nothing runs: {save} saves a copy"),
            p.dim,
        ));
        return Line::from(spans);
    }
    let choice = RunChoice {
        machine: app.machine,
        run_type: app.run_type,
    };
    spans.push(Span::styled("next: ", p.dim));
    spans.push(Span::styled(
        format!("{} {}", choice.digit(), choice.label()),
        p.header,
    ));
    spans.push(Span::styled(" · ", p.dim));
    match (&app.mode, &app.fixed_trip) {
        (Mode::EditTrip { buffer, .. }, _) => {
            spans.push(Span::styled("trip ", p.dim));
            spans.push(Span::styled(
                format!("{buffer}▏"),
                p.key.add_modifier(Modifier::UNDERLINED),
            ));
        }
        (_, Some(trip)) => {
            spans.push(Span::styled("trip ", p.dim));
            spans.push(Span::styled(trip.clone(), p.header));
        }
        (_, None) => spans.push(Span::styled("fresh trip", p.header)),
    }
    spans.push(Span::styled(" · cancel failure ", p.dim));
    spans.push(Span::styled(
        format!("{}", app.cancel_failure_rate),
        p.header,
    ));
    Line::from(spans)
}

/// The store's fault, in the error colour: nothing more is recorded, so no launch.
/// The file and the OS error come first, so a narrow screen cuts only SQLite's words.
fn fault_line(app: &App, fault: &str) -> Line<'static> {
    let p = &app.palette;
    Line::from(vec![
        Span::raw(" "),
        Span::styled(format!("✖ {fault}"), p.error.add_modifier(Modifier::BOLD)),
    ])
}

/// The selected execution: run type, trip, status and its own verdict; or the trip
/// editor's prompt, or a notice, in the verdict's place.
fn execution_line(app: &App) -> Line<'static> {
    let p = &app.palette;
    let mut spans = vec![Span::raw(" ")];
    if app.paused {
        let resume = keymap::label(Context::Panel(app.focus), Action::Pause);
        let step = keymap::label(Context::Panel(app.focus), Action::Step);
        spans.push(Span::styled(
            format!(" ⏸ PAUSED · {step} steps · {resume} resumes "),
            p.warn.add_modifier(Modifier::REVERSED | Modifier::BOLD),
        ));
        spans.push(Span::raw("  "));
    }
    match app.selected_execution() {
        Some(e) => spans.extend(execution_spans(app, e, p)),
        None => spans.push(Span::styled("no execution selected", p.dim)),
    }
    spans.push(sep(p));
    if let Mode::EditTrip { error, .. } = &app.mode {
        spans.push(match error {
            Some(e) => Span::styled(e.clone(), p.error),
            None => Span::styled(
                format!(
                    "editing the trip every launch books: {} accepts, {} cancels",
                    keymap::label(Context::EditTrip, Action::Accept),
                    keymap::label(Context::EditTrip, Action::Close)
                ),
                p.warn,
            ),
        });
    } else if let Some((level, text, _)) = &app.notice {
        spans.push(Span::styled(text.clone(), p.verdict(*level)));
    } else if app.read_only() {
        // The verdict reads the trip's rows, which a saved execution does not hold.
        spans.push(Span::styled(
            "verdict — (not judged: a saved execution has no rows)",
            p.dim,
        ));
    } else {
        spans.extend(verdict_spans(app, app.selected_execution(), p));
    }
    Line::from(spans)
}

fn execution_spans(app: &App, e: &Execution, p: &Palette) -> Vec<Span<'static>> {
    // While travelling: the status as it was then, and where in the history.
    let travel = app.travel();
    let status = travel
        .and_then(|t| t.view.status)
        .unwrap_or_else(|| e.status());
    let style = match status {
        ExecutionStatus::Running => p.running,
        ExecutionStatus::Succeeded => p.ok,
        ExecutionStatus::Failed => p.error,
        ExecutionStatus::TimedOut | ExecutionStatus::Aborted => p.warn,
    };
    let mut spans = vec![
        Span::styled("▶ ", p.title),
        Span::styled(app.run_label(e).unwrap_or_else(|| e.name.clone()), p.header),
    ];
    if let Some(trip) = &e.trip_id {
        spans.push(Span::styled(" · ", p.dim));
        spans.push(Span::styled(trip.clone(), p.header));
    }
    spans.push(Span::styled(" · ", p.dim));
    let took = match travel {
        Some(t) => t.view.events.last().map(|ev| t.view.offset_secs(ev)),
        None => e.duration_secs(),
    }
    .map_or_else(String::new, |s| format!(" {s:.1} s"));
    spans.push(Span::styled(
        format!("{}{took}", status.as_str()),
        style.add_modifier(Modifier::BOLD),
    ));
    if let Some(t) = travel {
        spans.push(Span::styled(
            format!(" ⏪ after event {} of {}", t.event_id, e.view.events.len()),
            p.warn.add_modifier(Modifier::BOLD),
        ));
    }
    spans
}

/// The selected execution's own verdict: "running" until it ends, never another's;
/// while travelling, the verdict so far (its end's verdict once at its last event).
fn verdict_spans(app: &App, selected: Option<&Execution>, p: &Palette) -> Vec<Span<'static>> {
    let label = Span::styled("verdict ", p.dim);
    let Some(e) = selected else {
        return vec![Span::styled("verdict —", p.dim)];
    };
    if let Some(t) = app.travel()
        && !t.view.is_finished()
    {
        return vec![
            Span::styled("verdict so far ", p.dim),
            Span::styled("running: not ended yet at this event", p.running),
        ];
    }
    if e.is_running() {
        return vec![label, Span::styled("running", p.running)];
    }
    match &e.verdict {
        Some(v) => vec![
            label,
            Span::styled(
                format!("{} {}", verdict_glyph(v.level), v.text),
                p.verdict(v.level),
            ),
        ],
        None if e.judging() && !e.view.events.is_empty() => {
            vec![label, Span::styled("judging…", p.dim)]
        }
        None => vec![
            label,
            Span::styled("— (not judged: its rows may have changed since)", p.dim),
        ],
    }
}

/// What `y` copied, whole (with its label when there is room for both), so it can be
/// selected by hand where the terminal ignored the copy.
fn copied_line(app: &App, arn: &str, width: u16) -> Line<'static> {
    let p = &app.palette;
    let label = " ⧉ copied (OSC 52): ";
    let label = if label.width() + arn.width() <= usize::from(width) {
        label
    } else {
        " ⧉ "
    };
    Line::from(vec![
        Span::styled(label, p.ok),
        Span::styled(arn.to_owned(), p.header),
    ])
}

/// What the selected execution just did and why, with a live countdown.
fn story_line(app: &App, width: u16) -> Line<'static> {
    let p = &app.palette;
    if let Some((arn, _)) = &app.copied {
        return copied_line(app, arn, width);
    }
    let Some(e) = app.selected_execution() else {
        return Line::from(Span::styled(
            format!(
                " press {} to launch an execution",
                keymap::label(Context::Panel(app.focus), Action::Launch)
            ),
            p.dim,
        ));
    };
    let Some(told) = app.shown_narration() else {
        return Line::from(Span::styled(" …", p.dim));
    };
    // Travelling, countdowns stand still at the event; before the first tick, they
    // count down from the latest event.
    let now = app
        .travel()
        .map(|t| t.at)
        .or(app.clock)
        .or_else(|| e.view.events.last().map(|ev| ev.timestamp))
        .unwrap_or_default();
    let mut line = narration::line(Some(told), now, p);
    line.spans.insert(0, Span::raw(" "));
    line
}
