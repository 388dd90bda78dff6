//! The narration line: what the selected execution just did and why, in plain words
//! (see [`crate::view::narration`]), styled for the screen. Placed by the layout.

use chrono::{DateTime, Utc};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use crate::tui::theme::{Palette, narration_glyph};
use crate::view::Narration;

/// What the line says when no execution is selected.
pub const PLACEHOLDER: &str = "no execution selected: launch one with 1-8";

/// The narration as one styled line: the level's glyph and the sentence in the level's
/// colour, the countdown (rendered against `now`, the execution's clock) in bold so a
/// room can follow it; a dim placeholder when nothing is selected.
pub fn line<'a>(narration: Option<&Narration>, now: DateTime<Utc>, palette: &Palette) -> Line<'a> {
    let Some(n) = narration else {
        return Line::from(Span::styled(PLACEHOLDER, palette.dim));
    };
    let style = palette.narration(n.level);
    let mut spans = vec![
        Span::styled(format!("{} ", narration_glyph(n.level)), style),
        Span::styled(n.text.clone(), style),
    ];
    if let Some(countdown) = n.countdown_text(now) {
        spans.push(Span::styled(
            format!(" {countdown}"),
            style.add_modifier(Modifier::BOLD),
        ));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use ratatui::buffer::Buffer;
    use ratatui::layout::{Position, Rect};
    use ratatui::widgets::Widget;

    use super::*;
    use crate::asl::load_definition;
    use crate::tui::theme::Theme;
    use crate::view::sample::{self, Scenario};
    use crate::view::{ExecutionView, narrate};

    fn render(line: Line<'_>, width: u16) -> Buffer {
        let area = Rect::new(0, 0, width, 1);
        let mut buf = Buffer::empty(area);
        line.render(area, &mut buf);
        buf
    }

    fn text(buf: &Buffer) -> String {
        let row: String = (0..buf.area.width)
            .filter_map(|x| {
                buf.cell(Position::new(x, 0))
                    .map(|c| c.symbol().to_string())
            })
            .collect();
        row.trim_end().to_string()
    }

    #[test]
    fn a_pending_retry_renders_in_the_warning_colour_with_a_bold_countdown() {
        let def = load_definition(include_str!("../../../infra/statemachine/saga.asl.json"))
            .expect("the saga loads");
        let events = sample::history(Scenario::CompensationRetrying);
        let mut view = ExecutionView::new(Some(&def));
        view.apply(&events);
        let told = narrate(&view, &def).expect("a narration");
        let now = events[events.len() - 1].timestamp + TimeDelta::milliseconds(400);
        let palette = Palette::new(Theme::Dark, false);
        let buf = render(line(Some(&told), now, &palette), 90);
        let shown = text(&buf);
        assert_eq!(
            shown,
            "! RefundPayment failed (InternalServerError); retry 2 of 3 in 1.6 s"
        );
        let cell = |x: usize| {
            buf.cell(Position::new(x as u16, 0))
                .cloned()
                .unwrap_or_default()
        };
        assert_eq!(cell(2).fg, palette.warn.fg.unwrap_or_default());
        let countdown = shown.chars().count() - "1.6 s".len();
        assert!(cell(countdown).modifier.contains(Modifier::BOLD));
        assert!(!cell(2).modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn no_selection_shows_a_dim_placeholder() {
        let palette = Palette::new(Theme::Light, false);
        let buf = render(line(None, sample::epoch(), &palette), 60);
        assert_eq!(text(&buf), PLACEHOLDER);
        assert_eq!(buf.cell(Position::new(0, 0)).map(|c| c.fg), palette.dim.fg);
    }

    #[test]
    fn without_colour_the_glyph_still_tells_the_level() {
        let palette = Palette::new(Theme::Dark, true);
        let def = load_definition(include_str!("../../../infra/statemachine/saga.asl.json"))
            .expect("the saga loads");
        let mut view = ExecutionView::new(Some(&def));
        view.apply(&sample::history(Scenario::CompensationExhausted));
        let told = narrate(&view, &def).expect("a narration");
        let buf = render(line(Some(&told), sample::epoch(), &palette), 120);
        assert!(
            text(&buf).starts_with("✗ CancelFlightReservation failed"),
            "{}",
            text(&buf)
        );
    }
}
