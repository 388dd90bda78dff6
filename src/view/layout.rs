//! Where every state box and edge of a [`StateGraph`] goes on a character grid.
//!
//! Computed once per definition (a handful of variants, see [`LayoutSet`]); live
//! status only changes styles at render time.
//!
//! ```text
//!  left channel   forward lane         middle channel   compensation lane   right channel
//!  (skip edges)   one box per row      (cross-lane)     one box per row     (skip edges)
//!       ╭────────   ✓ ReserveHotel ┄┄┄┄┄┄┄┄┄┄┄┄╮
//!       │           │                            ┆
//!       ╰───────▶ ✓↻2 ReserveFlight ┄┄┄┄┄┄┄┄╮    ┆
//!                   │                      ┆    ┆
//!                   ⤳ TakePayment ┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄▶  ↻2 RefundPayment
//! ```
//!
//! Every box reserves [`MARK_COLUMNS`] for its status mark, so the widest mark
//! (`✓↻9`: succeeded after nine retries) never cuts or shifts a name.
//!
//! Boxes never overlap: each lane holds one box per row band, lanes and channels own
//! disjoint column ranges, and edges only run in channels and gap rows.

use std::collections::HashMap;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::graph::{EdgeKind, StateGraph};

/// How a state is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeStyle {
    /// One row per state: `  ✓ Name` (a mark slot of [`MARK_COLUMNS`]).
    Compact,
    /// A bordered box per state (three rows).
    Boxed,
}

/// One state's rectangle on the grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeBox {
    /// Index into [`StateGraph::states`].
    pub state: usize,
    /// 0 = forward lane, 1 = compensation lane.
    pub lane: u8,
    /// Left column.
    pub x: u16,
    /// Top row.
    pub y: u16,
    /// Columns taken.
    pub width: u16,
    /// Rows taken.
    pub height: u16,
    /// The name, shortened with `…` to the layout's label cap.
    pub label: String,
    /// Parallel branches / Map processor: nested states' full names, one line each
    /// (the renderer shortens them to the box).
    pub inner: Vec<Vec<String>>,
}

impl NodeBox {
    /// The row holding glyph and label (where side edges attach).
    pub fn label_row(&self, style: NodeStyle) -> u16 {
        match style {
            NodeStyle::Compact => self.y,
            NodeStyle::Boxed => self.y + 1,
        }
    }

    /// The column of the status mark's slot ([`MARK_COLUMNS`] wide, right-aligned).
    pub fn mark_x(&self, style: NodeStyle) -> u16 {
        match style {
            NodeStyle::Compact => self.x,
            NodeStyle::Boxed => self.x + 1,
        }
    }

    /// The column of the name: after the mark slot and a space.
    pub fn label_x(&self, style: NodeStyle) -> u16 {
        self.mark_x(style) + MARK_COLUMNS + 1
    }

    /// The column after the last one a branch line (`‖ · A › · B`) may take: the box's
    /// right edge, or its right border.
    pub fn branch_end(&self, style: NodeStyle) -> u16 {
        match style {
            NodeStyle::Compact => self.x + self.width,
            NodeStyle::Boxed => self.x + self.width - 1,
        }
    }

    /// The column where vertical edges attach: under the mark slot's last column, where
    /// the status glyph of a plain mark (`  ✓`) sits.
    pub fn port_x(&self, style: NodeStyle) -> u16 {
        self.mark_x(style) + MARK_COLUMNS - 1
    }

    /// Whether a cell lies inside the box.
    pub fn contains(&self, x: u16, y: u16) -> bool {
        x >= self.x && x < self.x + self.width && y >= self.y && y < self.y + self.height
    }
}

/// One grid cell of one or more edges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeCell {
    /// Column.
    pub x: u16,
    /// Row.
    pub y: u16,
    /// Box-drawing character or arrowhead.
    pub symbol: char,
    /// Indices into [`StateGraph::edges`] passing through this cell.
    pub edges: Vec<usize>,
    /// Every edge here is a `Catch` edge (drawn dashed).
    pub dashed: bool,
}

/// A complete placement of a graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphLayout {
    /// Box style of this variant.
    pub style: NodeStyle,
    /// Longest label, in columns, before shortening.
    pub label_cap: u16,
    /// Whether some name is drawn shortened (`…`), as a state's label or in a branch
    /// line; never in a whole-name variant.
    pub shortened: bool,
    /// One box per state, indexed like [`StateGraph::states`].
    pub nodes: Vec<NodeBox>,
    /// Edge cells, row-major.
    pub cells: Vec<EdgeCell>,
    /// Grid width.
    pub width: u16,
    /// Grid height.
    pub height: u16,
}

/// Columns every box reserves for its status mark: the widest is a glyph with a retry
/// count (`✓↻9`, `↻+` past nine).
pub const MARK_COLUMNS: u16 = 3;

/// Label caps tried, widest first, so names are shortened only when space demands it.
const LABEL_CAPS: [u16; 13] = [40, 32, 28, 26, 24, 22, 20, 18, 16, 15, 14, 13, 12];

/// How long a state's label may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cap {
    /// Names are shortened to this many columns; branch lines to two more.
    Columns(u16),
    /// Names and branch lines are never shortened.
    Whole,
}

/// Every layout variant of one graph, computed once; the renderer picks one per frame size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutSet {
    /// Variants ordered by preference: whole names first, then widest labels first,
    /// boxed before compact.
    pub variants: Vec<GraphLayout>,
}

impl LayoutSet {
    /// Computes all variants of a graph.
    pub fn new(graph: &StateGraph) -> Self {
        let styles = [NodeStyle::Boxed, NodeStyle::Compact];
        let whole = styles.map(|style| GraphLayout::whole(graph, style));
        let capped = LABEL_CAPS
            .iter()
            .flat_map(|&cap| styles.map(|style| GraphLayout::compute(graph, style, cap)));
        Self {
            variants: whole.into_iter().chain(capped).collect(),
        }
    }

    /// The best variant that shows every name whole, for screens wide enough to pan
    /// rather than cut: the first that fits the viewport, else the compact one (the
    /// smallest), which the viewport then pans over.
    pub fn choose_whole(&self, width: u16, height: u16) -> &GraphLayout {
        let whole = || self.variants.iter().filter(|l| !l.shortened);
        whole()
            .find(|l| l.width <= width && l.height <= height)
            .or_else(|| whole().find(|l| l.style == NodeStyle::Compact))
            .unwrap_or(&self.variants[0])
    }

    /// The best variant for a viewport: the first that fits whole, else the widest-labelled
    /// compact one that fits the width (scroll vertically), else the narrowest (pan).
    pub fn choose(&self, width: u16, height: u16) -> &GraphLayout {
        let compact = || {
            self.variants
                .iter()
                .filter(|l| l.style == NodeStyle::Compact)
        };
        self.variants
            .iter()
            .find(|l| l.width <= width && l.height <= height)
            .or_else(|| compact().find(|l| l.width <= width))
            .or_else(|| compact().next_back())
            .unwrap_or(&self.variants[0])
    }
}

const UP: u8 = 1;
const DOWN: u8 = 2;
const LEFT: u8 = 4;
const RIGHT: u8 = 8;

#[derive(Default)]
struct Acc {
    mask: u8,
    arrow: Option<char>,
    edges: Vec<usize>,
    all_catch: bool,
}

#[derive(Default)]
struct Canvas {
    cells: HashMap<(i32, i32), Acc>,
}

impl Canvas {
    fn touch(&mut self, p: (i32, i32), edge: usize, catch: bool, bits: u8) {
        let acc = self.cells.entry(p).or_insert_with(|| Acc {
            all_catch: true,
            ..Acc::default()
        });
        acc.mask |= bits;
        acc.all_catch &= catch;
        if !acc.edges.contains(&edge) {
            acc.edges.push(edge);
        }
    }

    /// Draws an orthogonal polyline through `points`.
    fn line(&mut self, edge: usize, catch: bool, points: &[(i32, i32)]) {
        for w in points.windows(2) {
            let (mut cur, end) = (w[0], w[1]);
            while cur != end {
                let (step, here, there) = if cur.0 < end.0 {
                    ((1, 0), RIGHT, LEFT)
                } else if cur.0 > end.0 {
                    ((-1, 0), LEFT, RIGHT)
                } else if cur.1 < end.1 {
                    ((0, 1), DOWN, UP)
                } else {
                    ((0, -1), UP, DOWN)
                };
                let next = (cur.0 + step.0, cur.1 + step.1);
                self.touch(cur, edge, catch, here);
                self.touch(next, edge, catch, there);
                cur = next;
            }
        }
    }

    fn arrow(&mut self, edge: usize, catch: bool, p: (i32, i32), ch: char) {
        self.touch(p, edge, catch, 0);
        if let Some(acc) = self.cells.get_mut(&p) {
            acc.arrow = Some(ch);
        }
    }

    fn into_cells(self) -> Vec<EdgeCell> {
        let mut cells: Vec<EdgeCell> = self
            .cells
            .into_iter()
            .filter(|((x, y), _)| *x >= 0 && *y >= 0)
            .map(|((x, y), acc)| EdgeCell {
                x: clamp_u16(x),
                y: clamp_u16(y),
                symbol: acc
                    .arrow
                    .unwrap_or_else(|| box_char(acc.mask, acc.all_catch)),
                edges: acc.edges,
                dashed: acc.all_catch,
            })
            .collect();
        cells.sort_by_key(|c| (c.y, c.x));
        cells
    }
}

fn clamp_u16(v: i32) -> u16 {
    u16::try_from(v.max(0)).unwrap_or(u16::MAX)
}

fn box_char(mask: u8, dashed: bool) -> char {
    match mask {
        m if m == UP | DOWN || m == UP || m == DOWN => {
            if dashed {
                '┆'
            } else {
                '│'
            }
        }
        m if m == LEFT | RIGHT || m == LEFT || m == RIGHT => {
            if dashed {
                '┄'
            } else {
                '─'
            }
        }
        m if m == DOWN | RIGHT => '╭',
        m if m == DOWN | LEFT => '╮',
        m if m == UP | RIGHT => '╰',
        m if m == UP | LEFT => '╯',
        m if m == UP | DOWN | RIGHT => '├',
        m if m == UP | DOWN | LEFT => '┤',
        m if m == LEFT | RIGHT | DOWN => '┬',
        m if m == LEFT | RIGHT | UP => '┴',
        _ => '┼',
    }
}

/// Shortens `s` to at most `max` columns, ending with `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.width() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in s.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        out.push(ch);
        used += w;
    }
    out.push('…');
    out
}

fn width_u16(s: &str) -> u16 {
    u16::try_from(s.width()).unwrap_or(u16::MAX)
}

/// Width of one summarised branch line: `‖ · A › · B`.
fn inner_width(names: &[String]) -> u16 {
    let items: usize = names.iter().map(|n| n.width() + 2).sum();
    let separators = names.len().saturating_sub(1) * 3;
    u16::try_from(2 + items + separators).unwrap_or(u16::MAX)
}

impl GraphLayout {
    /// Places a graph with the given box style, shortening names to `label_cap` columns.
    pub fn compute(graph: &StateGraph, style: NodeStyle, label_cap: u16) -> Self {
        Self::place(graph, style, Cap::Columns(label_cap))
    }

    /// Places a graph with the given box style and every name whole, however wide the
    /// boxes get: for viewports that pan rather than cut names.
    pub fn whole(graph: &StateGraph, style: NodeStyle) -> Self {
        Self::place(graph, style, Cap::Whole)
    }

    fn place(graph: &StateGraph, style: NodeStyle, cap: Cap) -> Self {
        let n = graph.states.len();
        let lane_of = |i: usize| u8::from(graph.compensation[i]);
        let order = lane_orders(graph);
        let mut pos_in_lane = vec![0usize; n];
        for lane in &order {
            for (p, &s) in lane.iter().enumerate() {
                pos_in_lane[s] = p;
            }
        }

        // Boxes, sized; positions follow.
        let mut nodes: Vec<NodeBox> = graph
            .states
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let shorten = |name: &str| match cap {
                    Cap::Columns(c) => truncate(name, usize::from(c)),
                    Cap::Whole => name.to_string(),
                };
                let label = shorten(&s.name);
                let inner: Vec<Vec<String>> = s.branches.clone();
                let inner_w = inner
                    .iter()
                    .map(|b| {
                        let shown: Vec<String> = b.iter().map(|name| shorten(name)).collect();
                        match cap {
                            Cap::Columns(c) => inner_width(&shown).min(c.saturating_add(2)),
                            Cap::Whole => inner_width(&shown),
                        }
                    })
                    .max()
                    .unwrap_or(0);
                let extra = u16::try_from(inner.len()).unwrap_or(u16::MAX);
                // Mark, space, name; boxed adds the borders and a space before the right one.
                let line = MARK_COLUMNS + 1 + width_u16(&label);
                let (width, height) = match style {
                    NodeStyle::Compact => (line.max(inner_w + 1), 1 + extra),
                    NodeStyle::Boxed => ((line + 3).max(inner_w + 4), 3 + extra),
                };
                NodeBox {
                    state: i,
                    lane: lane_of(i),
                    x: 0,
                    y: 0,
                    width,
                    height,
                    label,
                    inner,
                }
            })
            .collect();

        // Rows: each lane stacks its boxes with one gap row. Row 0 stays free when some
        // edge skips boxes, so every box has a gap row above it for such incoming edges.
        let skips_any = graph.edges.iter().any(|e| {
            lane_of(e.from) == lane_of(e.to) && pos_in_lane[e.to] != pos_in_lane[e.from] + 1
        });
        let top = u16::from(skips_any);
        let label_offset = match style {
            NodeStyle::Compact => 0,
            NodeStyle::Boxed => 1,
        };
        let mut y = top;
        for &s in &order[0] {
            nodes[s].y = y;
            y += nodes[s].height + 1;
        }
        if let Some(&first) = order[1].first() {
            let aligned = graph
                .edges
                .iter()
                .filter(|e| e.to == first && lane_of(e.from) == 0)
                .map(|e| nodes[e.from].y + label_offset)
                .min()
                .map_or(top, |row| row.saturating_sub(label_offset).max(top));
            let mut y = aligned;
            for &s in &order[1] {
                nodes[s].y = y;
                y += nodes[s].height + 1;
            }
        }

        // Classify edges.
        let mut vertical = Vec::new();
        let mut skips: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
        let mut cross: Vec<usize> = Vec::new();
        for (ei, e) in graph.edges.iter().enumerate() {
            let (lf, lt) = (lane_of(e.from), lane_of(e.to));
            if lf != lt {
                cross.push(ei);
            } else if pos_in_lane[e.to] == pos_in_lane[e.from] + 1 {
                vertical.push(ei);
            } else {
                skips[usize::from(lf)].push(ei);
            }
        }
        let span = |ei: usize| {
            let e = graph.edges[ei];
            nodes[e.from].y.abs_diff(nodes[e.to].y)
        };
        for lane in &mut skips {
            lane.sort_by_key(|&ei| (span(ei), ei));
        }
        // Cross edges share one track per target; tracks ordered by target row so a
        // source's horizontal run never overlays another target's incoming run.
        let mut groups: Vec<usize> = Vec::new();
        for &ei in &cross {
            let to = graph.edges[ei].to;
            if !groups.contains(&to) {
                groups.push(to);
            }
        }
        groups.sort_by_key(|&t| (lane_of(t), nodes[t].y, t));

        // Columns.
        let n_left = u16::try_from(skips[0].len()).unwrap_or(u16::MAX);
        let lane0_x = 2 * n_left;
        let w0 = order[0].iter().map(|&s| nodes[s].width).max().unwrap_or(0);
        let m0 = lane0_x + w0 + 2;
        let n_mid = u16::try_from(groups.len()).unwrap_or(u16::MAX);
        let lane1_x = m0 + 2 * n_mid + 2;
        let w1 = order[1].iter().map(|&s| nodes[s].width).max().unwrap_or(0);
        let r0 = lane1_x + w1 + 2;
        for node in &mut nodes {
            node.x = if node.lane == 0 { lane0_x } else { lane1_x };
        }

        // Edges.
        let mut canvas = Canvas::default();
        let p = |x: u16, y: u16| (i32::from(x), i32::from(y));
        for &ei in &vertical {
            let e = graph.edges[ei];
            let (src, dst) = (&nodes[e.from], &nodes[e.to]);
            let catch = e.kind == EdgeKind::Catch;
            let x = src.port_x(style);
            let (top, bottom) = (src.y + src.height, dst.y.saturating_sub(1));
            canvas.line(ei, catch, &[p(x, top), p(x, bottom)]);
            canvas.touch(p(x, top), ei, catch, UP);
            canvas.touch(p(x, bottom), ei, catch, DOWN);
        }
        for (lane, edges) in skips.iter().enumerate() {
            for (track, &ei) in edges.iter().enumerate() {
                let e = graph.edges[ei];
                let (src, dst) = (&nodes[e.from], &nodes[e.to]);
                let catch = e.kind == EdgeKind::Catch;
                let track = u16::try_from(track).unwrap_or(u16::MAX);
                let row = src.label_row(style);
                let above = dst.y.saturating_sub(1);
                let port = dst.port_x(style);
                let (start, tx, stub) = if lane == 0 {
                    (src.x.saturating_sub(1), lane0_x - 2 - 2 * track, RIGHT)
                } else {
                    (src.x + src.width, r0 + 2 * track, LEFT)
                };
                canvas.touch(p(start, row), ei, catch, stub);
                canvas.line(
                    ei,
                    catch,
                    &[p(start, row), p(tx, row), p(tx, above), p(port, above)],
                );
                canvas.touch(p(port, above), ei, catch, DOWN);
            }
        }
        for &ei in &cross {
            let e = graph.edges[ei];
            let (src, dst) = (&nodes[e.from], &nodes[e.to]);
            let catch = e.kind == EdgeKind::Catch;
            let g = groups.iter().position(|&t| t == e.to).unwrap_or(0);
            let tx = m0 + 2 * u16::try_from(g).unwrap_or(u16::MAX);
            let (rs, rt) = (src.label_row(style), dst.label_row(style));
            if src.lane == 0 {
                let start = src.x + src.width + 1;
                canvas.touch(p(start, rs), ei, catch, LEFT);
                canvas.line(
                    ei,
                    catch,
                    &[p(start, rs), p(tx, rs), p(tx, rt), p(lane1_x - 3, rt)],
                );
                canvas.touch(p(lane1_x - 3, rt), ei, catch, RIGHT);
                canvas.arrow(ei, catch, p(lane1_x - 2, rt), '▶');
            } else {
                let start = src.x - 1;
                let end = dst.x + dst.width + 1;
                canvas.touch(p(start, rs), ei, catch, RIGHT);
                canvas.line(ei, catch, &[p(start, rs), p(tx, rs), p(tx, rt), p(end, rt)]);
                canvas.touch(p(end, rt), ei, catch, LEFT);
                canvas.arrow(ei, catch, p(end - 1, rt), '◀');
            }
        }
        let cells = canvas.into_cells();
        let width = nodes
            .iter()
            .map(|b| b.x + b.width)
            .chain(cells.iter().map(|c| c.x + 1))
            .max()
            .unwrap_or(0);
        let height = nodes
            .iter()
            .map(|b| b.y + b.height)
            .chain(cells.iter().map(|c| c.y + 1))
            .max()
            .unwrap_or(0);
        let shortened = nodes.iter().any(|node| {
            node.label != graph.states[node.state].name
                || node.inner.iter().any(|branch| {
                    let start = node.mark_x(style).saturating_add(1);
                    start.saturating_add(inner_width(branch)) > node.branch_end(style)
                })
        });
        let label_cap = match cap {
            Cap::Columns(c) => c,
            Cap::Whole => nodes.iter().map(|b| width_u16(&b.label)).max().unwrap_or(0),
        };
        Self {
            style,
            label_cap,
            shortened,
            nodes,
            cells,
            width,
            height,
        }
    }

    /// The box of the named state's index.
    pub fn node(&self, state: usize) -> Option<&NodeBox> {
        self.nodes.get(state)
    }
}

/// Per lane, the states in flow order: a topological order of the lane's own edges,
/// ties (and cycles) broken by discovery order from the start.
fn lane_orders(graph: &StateGraph) -> [Vec<usize>; 2] {
    let n = graph.states.len();
    let discovery = graph.discovery_order();
    let mut rank = vec![0usize; n];
    for (r, &s) in discovery.iter().enumerate() {
        rank[s] = r;
    }
    let lane_of = |i: usize| usize::from(graph.compensation[i]);
    let mut out = [Vec::new(), Vec::new()];
    for (lane, lane_out) in out.iter_mut().enumerate() {
        let members: Vec<usize> = discovery
            .iter()
            .copied()
            .filter(|&s| lane_of(s) == lane)
            .collect();
        let mut indegree = vec![0usize; n];
        for e in &graph.edges {
            if e.from != e.to && lane_of(e.from) == lane && lane_of(e.to) == lane {
                indegree[e.to] += 1;
            }
        }
        let mut placed = vec![false; n];
        let mut last: Option<usize> = None;
        while lane_out.len() < members.len() {
            // Ready states first, preferring one that continues the chain just placed
            // (so a path stays together), then by rank; when a cycle blocks, take the
            // earliest remaining state.
            let follows = |s: usize| {
                last.is_some_and(|l| graph.edges.iter().any(|e| e.from == l && e.to == s))
            };
            let next = members
                .iter()
                .copied()
                .filter(|&s| !placed[s])
                .min_by_key(|&s| (indegree[s] != 0, !follows(s), rank[s]));
            let Some(s) = next else { break };
            placed[s] = true;
            last = Some(s);
            lane_out.push(s);
            for e in graph.edges.iter().filter(|e| e.from == s && e.from != e.to) {
                if lane_of(e.to) == lane && !placed[e.to] {
                    indegree[e.to] = indegree[e.to].saturating_sub(1);
                }
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::asl::load_definition;

    fn saga_graph() -> StateGraph {
        let def = load_definition(include_str!("../../infra/statemachine/saga.asl.json")).unwrap();
        StateGraph::from_definition(&def)
    }

    /// Everything a definition of every state type exercises: Choice (with a loop back
    /// and a skip), Wait, Parallel, Map, Pass, Succeed, Fail and a Catch.
    pub(crate) const KITCHEN_SINK: &str = r#"{
      "StartAt": "Check",
      "States": {
        "Check": {"Type": "Choice",
          "Choices": [
            {"Variable": "$.n", "NumericGreaterThan": 3, "Next": "Done"},
            {"Variable": "$.n", "NumericEquals": 2, "Next": "Fan out"}
          ],
          "Default": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Bump"},
        "Bump": {"Type": "Pass", "Next": "Check"},
        "Fan out": {"Type": "Parallel", "Branches": [
            {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "Next": "Left 2"}, "Left 2": {"Type": "Pass", "End": true}}},
            {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "End": true}}}
          ],
          "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Oops"}],
          "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items",
          "Iterator": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": true}}},
          "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Oops"}],
          "Next": "Done"},
        "Done": {"Type": "Succeed"},
        "Oops": {"Type": "Pass", "Next": "Failed"},
        "Failed": {"Type": "Fail", "Error": "X"}
      }
    }"#;

    pub(crate) fn assert_no_overlap(l: &GraphLayout) {
        for (i, a) in l.nodes.iter().enumerate() {
            for b in &l.nodes[i + 1..] {
                let disjoint = a.x + a.width <= b.x
                    || b.x + b.width <= a.x
                    || a.y + a.height <= b.y
                    || b.y + b.height <= a.y;
                assert!(
                    disjoint,
                    "{:?} overlaps {:?} ({:?})",
                    a.label, b.label, l.style
                );
            }
            assert!(a.x + a.width <= l.width && a.y + a.height <= l.height);
        }
        for c in &l.cells {
            assert!(
                !l.nodes.iter().any(|n| n.contains(c.x, c.y)),
                "edge cell {:?} at ({}, {}) lies inside a box ({:?}, cap {})",
                c.symbol,
                c.x,
                c.y,
                l.style,
                l.label_cap
            );
        }
    }

    #[test]
    fn saga_layout_never_overlaps_in_any_variant() {
        for l in &LayoutSet::new(&saga_graph()).variants {
            assert_no_overlap(l);
        }
    }

    #[test]
    fn every_state_type_lays_out_without_overlap() {
        let def = load_definition(KITCHEN_SINK).unwrap();
        let g = StateGraph::from_definition(&def);
        for l in &LayoutSet::new(&g).variants {
            assert_no_overlap(l);
            // Every edge is drawn somewhere.
            for ei in 0..g.edges.len() {
                assert!(l.cells.iter().any(|c| c.edges.contains(&ei)), "edge {ei}");
            }
        }
    }

    #[test]
    fn forward_and_compensation_lanes_are_separate_columns() {
        let g = saga_graph();
        let l = GraphLayout::compute(&g, NodeStyle::Compact, 40);
        let x_of = |name: &str| l.nodes[g.index_of(name).unwrap()].x;
        assert_eq!(x_of("ReserveHotel"), x_of("ConfirmFlight"));
        assert_eq!(x_of("RefundPayment"), x_of("CancelHotelReservation"));
        assert!(x_of("RefundPayment") > x_of("ConfirmHotelBooking"));
        // The first compensation lines up with the first state that catches into it.
        let y_of = |name: &str| l.nodes[g.index_of(name).unwrap()].y;
        assert_eq!(y_of("RefundPayment"), y_of("TakePayment"));
        assert!(y_of("ReserveHotel") < y_of("ReserveFlight"));
        assert!(y_of("CancelFlightReservation") < y_of("CancelHotelReservation"));
    }

    #[test]
    fn catch_edges_are_dashed() {
        let g = saga_graph();
        let l = GraphLayout::compute(&g, NodeStyle::Compact, 40);
        assert!(l.cells.iter().any(|c| c.symbol == '┄'));
        assert!(l.cells.iter().filter(|c| c.symbol == '▶').count() >= 3);
        let catch_only = l
            .cells
            .iter()
            .filter(|c| c.edges.iter().all(|&e| g.edges[e].kind == EdgeKind::Catch));
        assert!(catch_only.clone().all(|c| c.dashed));
    }

    #[test]
    fn narrow_viewports_pick_shorter_labels() {
        let set = LayoutSet::new(&saga_graph());
        let wide = set.choose(200, 60);
        let narrow = set.choose(50, 12);
        assert!(wide.width <= 200 && wide.height <= 60);
        assert!(narrow.label_cap < wide.label_cap);
        assert_eq!(narrow.style, NodeStyle::Compact);
    }

    #[test]
    fn every_name_fits_beside_the_widest_mark() {
        let sink = StateGraph::from_definition(&load_definition(KITCHEN_SINK).unwrap());
        for graph in [saga_graph(), sink] {
            for l in &LayoutSet::new(&graph).variants {
                for node in &l.nodes {
                    let mark = node.mark_x(l.style);
                    let label = node.label_x(l.style);
                    // `✓↻9` and a space fit before the name, inside the box.
                    assert!(mark > node.x || l.style == NodeStyle::Compact);
                    assert_eq!(label, mark + "✓↻9 ".width() as u16);
                    let right = match l.style {
                        NodeStyle::Compact => node.x + node.width,
                        NodeStyle::Boxed => node.x + node.width - 2,
                    };
                    assert!(
                        label + width_u16(&node.label) <= right,
                        "{:?} overflows its box ({:?}, cap {})",
                        node.label,
                        l.style,
                        l.label_cap
                    );
                    let port = node.port_x(l.style);
                    assert!((mark..label).contains(&port), "edges attach under the mark");
                }
            }
        }
    }

    #[test]
    fn whole_variants_shorten_no_name_and_pan_when_too_wide() {
        let sink = StateGraph::from_definition(&load_definition(KITCHEN_SINK).unwrap());
        for graph in [saga_graph(), sink] {
            let set = LayoutSet::new(&graph);
            for style in [NodeStyle::Boxed, NodeStyle::Compact] {
                let whole = GraphLayout::whole(&graph, style);
                assert!(!whole.shortened, "{style:?}");
                for node in &whole.nodes {
                    assert_eq!(node.label, graph.states[node.state].name);
                }
                assert!(set.variants.contains(&whole), "whole variants are offered");
            }
            // Any viewport, however small: a variant that shortens nothing.
            for (w, h) in [(20, 5), (70, 19), (94, 24), (200, 60)] {
                assert!(!set.choose_whole(w, h).shortened, "{w}x{h}");
            }
        }
        let set = LayoutSet::new(&saga_graph());
        let panned = set.choose_whole(70, 19);
        assert_eq!(panned.style, NodeStyle::Compact);
        assert!(panned.width > 70, "too wide for the panel: it pans");
        assert_eq!(set.choose_whole(94, 24).style, NodeStyle::Boxed);
    }

    #[test]
    fn capped_variants_know_what_they_shorten() {
        let saga = saga_graph();
        assert!(GraphLayout::compute(&saga, NodeStyle::Compact, 12).shortened);
        assert!(!GraphLayout::compute(&saga, NodeStyle::Compact, 40).shortened);
        let sink = StateGraph::from_definition(&load_definition(KITCHEN_SINK).unwrap());
        // Names of at most 7 columns, but a branch line `‖ · Left › · Left 2` of 19.
        let narrow = GraphLayout::compute(&sink, NodeStyle::Compact, 12);
        assert!(narrow.nodes.iter().all(|n| n.label.width() <= 7));
        assert!(narrow.shortened, "the branch line is cut");
        assert!(!GraphLayout::compute(&sink, NodeStyle::Compact, 20).shortened);
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("ConfirmHotelBooking", 10), "ConfirmHo…");
        assert_eq!(truncate("Short", 10), "Short");
    }
}
