//! Event popup: one history event with its JSON payloads (input, output, parameters,
//! cause) parsed, pretty-printed, coloured and wrapped to the popup like the inspector's.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};
use serde_json::Value;

use super::centered;
use super::inspector::{styled, tone_style};
use crate::history::HistoryEvent;
use crate::tui::app::App;
use crate::tui::keymap::{self, Action, Context};
use crate::view::json::{self, JsonTree, Tone};

/// Members whose value is JSON text worth expanding.
const PAYLOAD_MEMBERS: [&str; 4] = ["input", "output", "parameters", "cause"];

fn expand(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if PAYLOAD_MEMBERS.contains(&k.as_str())
                    && let Value::String(s) = v
                    && let Ok(parsed) = serde_json::from_str::<Value>(s)
                    && (parsed.is_object() || parsed.is_array())
                {
                    *v = parsed;
                }
                expand(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(expand),
        _ => {}
    }
}

/// The event as a JSON tree, with embedded JSON payloads expanded.
pub fn tree(event: &HistoryEvent) -> JsonTree {
    let mut v = serde_json::to_value(event).unwrap_or(Value::Null);
    expand(&mut v);
    JsonTree::from_value(&v)
}

/// Draws the popup for event `index` of the viewed execution.
pub fn draw(frame: &mut Frame, app: &App, screen: Rect, index: usize, scroll: u16) {
    let p = &app.palette;
    let Some(event) = app
        .selected_execution()
        .and_then(|e| e.view.events.get(index))
    else {
        return;
    };
    let area = centered(
        screen,
        screen.width.saturating_sub(8),
        screen.height.saturating_sub(4),
    );
    frame.render_widget(Clear, area);
    let title = format!(" Event {} {} ", event.id, event.event_type.as_str());
    let keys = format!(
        " {} scroll · {} closes ",
        keymap::label(Context::Event, Action::Up),
        keymap::label(Context::Event, Action::Close)
    );
    // Clear resets to the terminal's colours: paint the theme's background again.
    let block = Block::default()
        .style(p.base)
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(p.border_focused)
        .title(Line::styled(title, p.title))
        .title_bottom(Line::styled(keys, p.dim));
    let width = block.inner(area).width;
    let text: Vec<Line> = tree(event)
        .lines(&|_| false)
        .iter()
        .flat_map(|l| json::wrap(l.indent, &l.segments, width, Tone::Punct))
        .map(|row| styled(&row, |t| tone_style(p, t)))
        .collect();
    frame.render_widget(Paragraph::new(text).block(block).scroll((scroll, 0)), area);
}
