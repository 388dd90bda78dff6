//! Header: what is connected, which trip and run type a launch uses, and the last verdict.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use saga_lambdas::RunType;

use crate::tui::app::{App, Mode};
use crate::tui::keymap::{self, Action, Context};
use crate::tui::theme::verdict_glyph;

/// Formats a speed as `20×` / `0.5×`.
pub fn speed_label(speed: f64) -> String {
    if speed.fract() == 0.0 {
        format!("{speed:.0}×")
    } else {
        format!("{speed}×")
    }
}

/// Draws the two header lines.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let p = &app.palette;
    let sep = || Span::styled(" │ ", p.dim);
    let key = RunType::ALL
        .iter()
        .position(|&r| r == app.run_type)
        .map_or(0, |i| i + 1);
    let mut first = vec![
        Span::styled(" sagaview", p.title),
        sep(),
        Span::styled(app.backend_label(), p.header),
        sep(),
        Span::styled(app.info.state_machine_name.clone(), p.header),
        sep(),
        Span::styled("trip ", p.dim),
    ];
    let mut second = vec![
        Span::styled(" cancel failure ", p.dim),
        Span::styled(format!("{}", app.cancel_failure_rate), p.header),
        sep(),
        Span::styled("speed ", p.dim),
        Span::styled(speed_label(app.speed), p.header),
        sep(),
    ];
    if let Mode::EditTrip { buffer, error } = &app.mode {
        first.push(Span::styled(
            format!("{buffer}▏"),
            p.key.add_modifier(Modifier::UNDERLINED),
        ));
        match error {
            Some(e) => second.push(Span::styled(e.clone(), p.error)),
            None => second.push(Span::styled(
                format!(
                    "editing trip id: {} accepts, {} cancels",
                    keymap::label(Context::EditTrip, Action::Accept),
                    keymap::label(Context::EditTrip, Action::Close)
                ),
                p.warn,
            )),
        }
    } else {
        first.push(Span::styled(app.trip_id.clone(), p.header));
        match (&app.notice, &app.last_verdict) {
            (Some((level, text, _)), _) => {
                second.push(Span::styled(text.clone(), p.verdict(*level)));
            }
            (None, Some(v)) => {
                second.push(Span::styled("verdict ", p.dim));
                second.push(Span::styled(
                    format!("{} {}", verdict_glyph(v.level), v.text),
                    p.verdict(v.level),
                ));
            }
            (None, None) => second.push(Span::styled("verdict —", p.dim)),
        }
    }
    first.extend([
        sep(),
        Span::styled("run ", p.dim),
        Span::styled(format!("{key} {}", app.run_type), p.header),
    ]);
    super::text::render_lines(
        frame.buffer_mut(),
        area,
        &[Line::from(first), Line::from(second)],
    );
}
