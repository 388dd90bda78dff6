//! Footer: the keys that work right now, from the keymap's bindings for the current
//! context. When the line is too short, the least important hints give way whole.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::key_hint;
use crate::tui::app::App;
use crate::tui::keymap::{self, Action, Hint, Priority};

/// Columns one hint takes: keys, a space, the text.
fn width(h: &Hint) -> usize {
    h.label.width() + 1 + h.text.width()
}

/// The hints that fit in `columns`, kept in their order: taken by priority (table
/// order within one) while the next still fits, each with two columns between hints
/// and one before the first.
pub fn fit(hints: &[Hint], columns: usize) -> Vec<Hint> {
    let mut by_priority: Vec<usize> = (0..hints.len()).collect();
    by_priority.sort_by_key(|&i| hints[i].priority);
    let mut used = 1;
    let mut kept = vec![false; hints.len()];
    for i in by_priority {
        let gap = if used > 1 { 2 } else { 0 };
        if used + gap + width(&hints[i]) > columns {
            break;
        }
        used += gap + width(&hints[i]);
        kept[i] = true;
    }
    hints
        .iter()
        .zip(kept)
        .filter_map(|(h, keep)| keep.then_some(*h))
        .collect()
}

/// The hints of the app's context; while a panel is zoomed, the way back always shows.
/// Approve and reject show only while the selected execution waits for a person, and
/// redrive only while it can be redriven; then at any width: it is what the room
/// waits for.
pub fn hints(app: &App) -> Vec<Hint> {
    let context = app.context();
    let mut hints = keymap::footer(context);
    let decide = [Action::Approve, Action::Reject].map(|a| keymap::label(context, a));
    let redrive = keymap::label(context, Action::Redrive);
    let waits = app.selected_waits_for_token();
    let redrivable = app.selected_can_redrive();
    hints.retain(|h| (waits || !decide.contains(&h.label)) && (redrivable || h.label != redrive));
    for h in hints
        .iter_mut()
        .filter(|h| decide.contains(&h.label) || (!redrive.is_empty() && h.label == redrive))
    {
        h.priority = Priority::Always;
    }
    let zoom = keymap::label(context, Action::Zoom);
    if app.zoom().is_some() && !zoom.is_empty() {
        for h in hints.iter_mut().filter(|h| h.label == zoom) {
            h.text = "unzoom";
            h.priority = Priority::Always;
        }
    }
    hints
}

/// Draws the footer line.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let p = &app.palette;
    let hints = fit(&hints(app), usize::from(area.width));
    let mut spans = vec![Span::raw(" ")];
    for h in &hints {
        spans.extend(key_hint(h.label, h.text, p.key, p.dim));
    }
    super::text::render_lines(frame.buffer_mut(), area, &[Line::from(spans)]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::keymap::{Context, Focus};

    fn line(context: Context, columns: usize) -> String {
        let hints = fit(&keymap::footer(context), columns);
        let text: Vec<String> = hints
            .iter()
            .map(|h| format!("{} {}", h.label, h.text))
            .collect();
        format!(" {}", text.join("  "))
    }

    #[test]
    fn help_and_quit_always_fit_and_nothing_is_cut() {
        for columns in [80, 120] {
            for f in Focus::ORDER {
                let text = line(Context::Panel(f), columns);
                assert!(text.width() <= columns, "{text}");
                assert!(text.ends_with("? help  q quit"), "{text}");
            }
        }
    }

    #[test]
    fn the_least_important_hints_give_way_first() {
        let graph = Context::Panel(Focus::Graph);
        assert_eq!(
            line(graph, 80),
            " 1-8 launch  Enter inspect  t trip  p pause  . step  s stop  ? help  q quit"
        );
        assert_eq!(
            line(graph, 120),
            " 1-8 launch  Enter inspect  t trip  p pause  . step  z zoom  Tab panel  \
             ←↓↑→/hjkl select  s stop  ? help  q quit"
        );
        let all = keymap::footer(graph);
        let kept = fit(&all, 80);
        let worst_kept = kept.iter().map(|h| h.priority).max().unwrap();
        for h in all.iter().filter(|h| !kept.contains(h)) {
            assert!(
                h.priority >= worst_kept,
                "{h:?} dropped before less important"
            );
        }
        assert_eq!(fit(&all, 5), vec![], "too short for even one hint");
        assert!(all.iter().any(|h| h.priority == Priority::Least));
    }
}
