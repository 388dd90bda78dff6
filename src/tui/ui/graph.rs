//! State graph panel: the cached layout, styled by the selected execution's statuses.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

use super::panel;
use crate::tui::app::App;
use crate::tui::keymap::Focus;
use crate::tui::theme::{Palette, status_glyph};
use crate::view::callback_wait::{duration_text, waiting_callback};
use crate::view::{ExecutionView, NodeStyle, StateStatus};

/// Writes `text` at grid position (`x`, `y`), clipped to the viewport.
fn put(buf: &mut Buffer, view: Rect, off: (u16, u16), x: u16, y: u16, text: &str, style: Style) {
    if y < off.1 || y - off.1 >= view.height {
        return;
    }
    let sy = view.y + (y - off.1);
    let mut col = x;
    for ch in text.chars() {
        let w = u16::try_from(ch.width().unwrap_or(0)).unwrap_or(1);
        if w == 0 {
            continue;
        }
        if col >= off.0 && col + w - off.0 <= view.width {
            let sx = view.x + (col - off.0);
            if let Some(cell) = buf.cell_mut(Position::new(sx, sy)) {
                cell.set_char(ch).set_style(style);
            }
        }
        col += w;
    }
}

/// Draws the graph panel.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let p = &app.palette;
    let selected = app.selected_execution();
    let title = match selected {
        Some(e) => Line::from(vec![
            Span::raw(" State graph "),
            Span::styled(
                format!(
                    "{} {} ",
                    app.run_label(e).as_deref().unwrap_or("?"),
                    app.shown_view()
                        .and_then(|v| v.status)
                        .unwrap_or_else(|| e.status())
                        .as_str()
                ),
                p.dim,
            ),
        ]),
        None => Line::from(" State graph "),
    };
    let legend = " · idle ◐ run ✓ ok ✗ fail ⤳ caught ↻n retries ⊘ stop ┄ catch ";
    let mut block = panel(app, Focus::Graph, title);
    if usize::from(area.width) > legend.chars().count() + 4 {
        block = block.title_bottom(Line::styled(legend, p.dim));
    }
    let view_rect = block.inner(area);
    let (Some(model), Some((layout, off))) = (
        app.graph.as_ref(),
        app.graph_viewport((view_rect.width, view_rect.height)),
    ) else {
        frame.render_widget(block, area);
        frame.render_widget(
            ratatui::widgets::Paragraph::new(Line::styled("loading the definition…", p.dim)),
            view_rect,
        );
        return;
    };
    let hidden = hidden_sides(
        off,
        (layout.width, layout.height),
        (view_rect.width, view_rect.height),
    );
    if !hidden.is_empty() {
        block = block.title_top(Line::styled(format!(" more {hidden} "), p.dim).right_aligned());
    }
    frame.render_widget(block, area);
    let empty = ExecutionView::default();
    let view = app.shown_view().unwrap_or(&empty);
    let frame_no = usize::try_from(app.now_ms / 120).unwrap_or(0);
    let graph = &model.graph;
    let taken: Vec<bool> = graph
        .edges
        .iter()
        .map(|e| view.took(&graph.states[e.from].name, &graph.states[e.to].name))
        .collect();
    let chosen = app.selected_state.as_deref().and_then(|s| model.box_of(s));
    let buf = frame.buffer_mut();
    for cell in &layout.cells {
        let is_taken = cell.edges.iter().any(|&e| taken[e]);
        let style = match (is_taken, cell.dashed) {
            (true, true) => p.catch_taken,
            (true, false) => p.edge_taken,
            (false, true) => p.catch_edge,
            (false, false) => p.edge,
        };
        let mut s = [0u8; 4];
        put(
            buf,
            view_rect,
            off,
            cell.x,
            cell.y,
            cell.symbol.encode_utf8(&mut s),
            style,
        );
    }
    // A callback task waiting for its token says for how long on its box's lower edge
    // (the narration gives the deadline).
    let waiting = waiting_callback(&view.events);
    let now = app
        .travel()
        .map(|t| t.at)
        .or(app.clock)
        .or_else(|| view.events.last().map(|ev| ev.timestamp))
        .unwrap_or_default();
    for node in &layout.nodes {
        let state = &graph.states[node.state];
        let status = view.status_of(&state.name);
        draw_node(
            buf,
            view_rect,
            off,
            layout.style,
            node,
            status,
            retries_of(view, &state.name),
            frame_no,
            p,
            view,
            state.type_name,
            chosen == Some(node.state),
        );
    }
    if let Some(w) = &waiting
        && layout.style == NodeStyle::Boxed
        && let Some(node) = layout
            .nodes
            .iter()
            .find(|n| graph.states[n.state].name == w.state)
    {
        draw_waited(buf, view_rect, off, node, &duration_text(w.waited(now)), p);
    }
}

/// `waited 42 s` (or just `42 s`) on the lower edge of a waiting state's box, where it
/// fits.
fn draw_waited(
    buf: &mut Buffer,
    view_rect: Rect,
    off: (u16, u16),
    node: &crate::view::layout::NodeBox,
    waited: &str,
    p: &Palette,
) {
    let room = usize::from(node.width.saturating_sub(4));
    let text = [format!(" waited {waited} "), format!(" {waited} ")]
        .into_iter()
        .find(|t| t.chars().count() <= room);
    if let Some(text) = text {
        let bottom = node.y + node.height - 1;
        let style = p.status(StateStatus::Running);
        put(buf, view_rect, off, node.x + 2, bottom, &text, style);
    }
}

/// Arrows towards the parts of a `content`-sized drawing a `view`-sized window at
/// `off` does not show (`◀▶▲▼`, empty when it shows all), so a panned or cut graph
/// says where the rest is.
fn hidden_sides(off: (u16, u16), content: (u16, u16), view: (u16, u16)) -> String {
    let sides = [
        (off.0 > 0, '◀'),
        (
            u32::from(off.0) + u32::from(view.0) < u32::from(content.0),
            '▶',
        ),
        (off.1 > 0, '▲'),
        (
            u32::from(off.1) + u32::from(view.1) < u32::from(content.1),
            '▼',
        ),
    ];
    sides
        .into_iter()
        .filter_map(|(hidden, arrow)| hidden.then_some(arrow))
        .collect()
}

/// Retries of the state's latest visit (0 when never entered).
fn retries_of(view: &ExecutionView, name: &str) -> u32 {
    view.state(name).map_or(0, |s| s.retries)
}

#[allow(clippy::too_many_arguments)]
fn draw_node(
    buf: &mut Buffer,
    view_rect: Rect,
    off: (u16, u16),
    style: NodeStyle,
    node: &crate::view::layout::NodeBox,
    status: StateStatus,
    retries: u32,
    frame_no: usize,
    p: &Palette,
    view: &ExecutionView,
    type_name: &str,
    selected: bool,
) {
    let st = p.status(status);
    let glyph = status_glyph(status, retries, frame_no);
    let mut label_style = if status == StateStatus::NotStarted {
        p.text
    } else {
        st
    };
    if selected {
        label_style = label_style.patch(p.selected);
    }
    // The selected state's box is drawn heavy, so the selection reads without colour.
    let (corners, side, rule) = if selected {
        (["┏", "┓", "┗", "┛"], "┃", "━")
    } else {
        (["╭", "╮", "╰", "╯"], "│", "─")
    };
    let (gx, gy) = (node.mark_x(style), node.label_row(style));
    if style == NodeStyle::Boxed {
        let border = if status == StateStatus::NotStarted {
            p.border
        } else {
            st
        };
        let w = usize::from(node.width.saturating_sub(2));
        let top = format!("{}{}{}", corners[0], rule.repeat(w), corners[1]);
        let bottom = format!("{}{}{}", corners[2], rule.repeat(w), corners[3]);
        put(buf, view_rect, off, node.x, node.y, &top, border);
        put(
            buf,
            view_rect,
            off,
            node.x,
            node.y + node.height - 1,
            &bottom,
            border,
        );
        for row in node.y + 1..node.y + node.height - 1 {
            put(buf, view_rect, off, node.x, row, side, border);
            put(
                buf,
                view_rect,
                off,
                node.x + node.width - 1,
                row,
                side,
                border,
            );
        }
    }
    put(buf, view_rect, off, gx, gy, &glyph, st);
    put(
        buf,
        view_rect,
        off,
        node.label_x(style),
        gy,
        &node.label,
        label_style,
    );
    let marker = if type_name == "Map" { "⟳" } else { "‖" };
    let limit = node.branch_end(style);
    for (i, branch) in node.inner.iter().enumerate() {
        let row = gy + 1 + u16::try_from(i).unwrap_or(0);
        let mut x = gx + 1;
        put(buf, view_rect, off, x, row, marker, p.dim);
        x += 2;
        for (j, name) in branch.iter().enumerate() {
            if j > 0 {
                if x + 3 > limit {
                    break;
                }
                put(buf, view_rect, off, x, row, " › ", p.dim);
                x += 3;
            }
            let s = view.status_of(name);
            let g = status_glyph(s, retries_of(view, name), frame_no);
            let g = g.trim_start();
            let text = format!("{g} {name}");
            let room = usize::from(limit.saturating_sub(x));
            let shown = crate::view::layout::truncate(&text, room);
            put(buf, view_rect, off, x, row, &shown, p.status(s));
            x += u16::try_from(unicode_width::UnicodeWidthStr::width(shown.as_str())).unwrap_or(0);
            if x >= limit {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::hidden_sides;

    #[test]
    fn arrows_point_where_the_drawing_continues() {
        assert_eq!(hidden_sides((0, 0), (40, 10), (70, 19)), "");
        assert_eq!(hidden_sides((0, 0), (79, 13), (70, 19)), "▶");
        assert_eq!(hidden_sides((9, 0), (79, 13), (70, 19)), "◀");
        assert_eq!(hidden_sides((4, 2), (79, 30), (70, 19)), "◀▶▲▼");
    }
}
