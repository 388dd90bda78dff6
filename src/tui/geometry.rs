//! Screen geometry as arithmetic on plain sizes: where the panels go, which entries a
//! list shows, what a click hits and how far the graph pans. Drawing and input both
//! ask here, so what is clicked is always what was drawn.

use ratatui::layout::{Constraint, Layout, Position, Rect};

use super::keymap::Focus;

/// The smallest screen the layout supports.
pub const MIN_SIZE: (u16, u16) = (80, 24);

/// Whether a screen of `size` is below [`MIN_SIZE`] (the UI then only says so).
pub fn too_small(size: (u16, u16)) -> bool {
    size.0 < MIN_SIZE.0 || size.1 < MIN_SIZE.1
}

/// The narrowest screen on which the graph shows every state name whole, panning when
/// the drawing is larger than its panel: a projector can afford it, and a cut name
/// cannot be read. Narrower screens may shorten names so the graph fits.
pub const WHOLE_NAMES_MIN_WIDTH: u16 = 120;

/// Whether a screen of `size` shows state names whole ([`WHOLE_NAMES_MIN_WIDTH`]).
pub fn whole_names(size: (u16, u16)) -> bool {
    size.0 >= WHOLE_NAMES_MIN_WIDTH
}

/// Where each panel goes on a screen of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// Header bar.
    pub header: Rect,
    /// State graph panel.
    pub graph: Rect,
    /// Event history panel.
    pub history: Rect,
    /// Rows panel.
    pub rows: Rect,
    /// Executions panel.
    pub executions: Rect,
    /// Footer bar.
    pub footer: Rect,
}

impl Areas {
    /// The panel a screen position falls in, so a click or a wheel reaches it.
    pub fn panel_at(&self, p: Position) -> Option<Focus> {
        Focus::ORDER.into_iter().find(|&f| self.rect(f).contains(p))
    }

    /// The rectangle of a panel, borders included.
    pub fn rect(&self, focus: Focus) -> Rect {
        match focus {
            Focus::Graph => self.graph,
            Focus::History => self.history,
            Focus::Rows => self.rows,
            Focus::Executions => self.executions,
        }
    }
}

/// Lines the header takes: the launch line, the selected execution, its narration.
pub const HEADER_LINES: u16 = 3;

/// Splits a screen: a three-line header, graph and history over rows and executions
/// (60/40, the top three fifths high), a one-line footer. With `zoom`, that panel takes
/// the whole body and the others none.
pub fn areas(screen: Rect, zoom: Option<Focus>) -> Areas {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(HEADER_LINES),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(screen);
    if let Some(zoomed) = zoom {
        let none = Rect::new(body.x, body.y, 0, 0);
        let pick = |f: Focus| if f == zoomed { body } else { none };
        return Areas {
            header,
            graph: pick(Focus::Graph),
            history: pick(Focus::History),
            rows: pick(Focus::Rows),
            executions: pick(Focus::Executions),
            footer,
        };
    }
    let three_fifths = u16::try_from(u32::from(body.height) * 3 / 5).unwrap_or(u16::MAX);
    let top_h = three_fifths.max(13.min(body.height));
    let [top, bottom] =
        Layout::vertical([Constraint::Length(top_h), Constraint::Min(0)]).areas(body);
    let [graph, history] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(top);
    let [rows, executions] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(bottom);
    Areas {
        header,
        graph,
        history,
        rows,
        executions,
        footer,
    }
}

/// The panels of a screen of `size` (what input handling knows of the screen).
pub fn areas_of(size: (u16, u16), zoom: Option<Focus>) -> Areas {
    areas(Rect::new(0, 0, size.0, size.1), zoom)
}

/// A panel's inside: one cell of border off every side.
pub fn inside(panel: Rect) -> Rect {
    let x = panel.x.saturating_add(1).min(panel.right());
    let y = panel.y.saturating_add(1).min(panel.bottom());
    Rect {
        x,
        y,
        width: panel.width.saturating_sub(2),
        height: panel.height.saturating_sub(2),
    }
}

/// Lines a panel shows above its entries (a column header), so drawing and clicking
/// count entries from the same row.
pub fn header_lines(panel: Focus) -> u16 {
    match panel {
        Focus::Rows | Focus::Executions => 1,
        Focus::Graph | Focus::History => 0,
    }
}

/// The entries a cursor list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListWindow {
    /// Index of the first entry shown.
    pub first: usize,
    /// How many entry lines there are.
    pub visible: usize,
    /// The cursor, kept inside the list.
    pub cursor: usize,
}

/// The window of a list of `len` entries under `header` lines in a panel inside
/// `height` lines high: it scrolls just enough to keep the cursor in view.
pub fn list_window(height: u16, header: u16, cursor: usize, len: usize) -> ListWindow {
    let visible = usize::from(height.saturating_sub(header));
    let cursor = cursor.min(len.saturating_sub(1));
    let first = if visible == 0 {
        cursor
    } else {
        (cursor + 1).saturating_sub(visible)
    };
    ListWindow {
        first,
        visible,
        cursor,
    }
}

/// The list entry drawn on screen row `y` of a panel whose inside is `inside`, if any.
pub fn list_entry_at(
    inside: Rect,
    header: u16,
    cursor: usize,
    len: usize,
    y: u16,
) -> Option<usize> {
    let row = usize::from(y.checked_sub(inside.y.saturating_add(header))?);
    let window = list_window(inside.height, header, cursor, len);
    let i = window.first + row;
    (row < window.visible && i < len).then_some(i)
}

/// How far a drawing of `content` size can be scrolled in a `view`-sized window.
pub fn pan_limits(content: (u16, u16), view: (u16, u16)) -> (u16, u16) {
    (
        content.0.saturating_sub(view.0),
        content.1.saturating_sub(view.1),
    )
}

/// The state the graph's window follows while the user has not panned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Follow {
    /// The state's box.
    pub node: Rect,
    /// The column its name starts at, right of its status mark.
    pub name_x: u16,
}

/// Columns of a name that tell a state from its neighbours: while the followed state
/// shows its mark and this much of its name unscrolled, the window does not move
/// sideways, so the lanes on the left keep their names whole.
pub const NAME_SHOWN: u16 = 12;

/// Where the graph's window starts: the user's `pan` if any, else so that `follow` (the
/// state the execution is in) shows, vertically centred; sideways the window moves only
/// when the state's mark or name would not show otherwise (see [`NAME_SHOWN`]), and
/// then just enough to show its whole box. Always within [`pan_limits`].
pub fn graph_offset(
    content: (u16, u16),
    view: (u16, u16),
    pan: Option<(u16, u16)>,
    follow: Option<Follow>,
) -> (u16, u16) {
    let (max_x, max_y) = pan_limits(content, view);
    let (x, y) = pan.unwrap_or_else(|| match follow {
        Some(Follow { node: n, name_x }) => {
            let name_w = (n.x + n.width).saturating_sub(name_x);
            let shows = name_x.saturating_add(name_w.min(NAME_SHOWN)) <= view.0;
            let x = if shows {
                0
            } else {
                (n.x + n.width).saturating_sub(view.0).min(n.x)
            };
            (x, (n.y + n.height / 2).saturating_sub(view.1 / 2))
        }
        None => (0, 0),
    });
    (x.min(max_x), y.min(max_y))
}

/// The graph's window start after moving it by `delta` cells, within [`pan_limits`].
pub fn panned(
    offset: (u16, u16),
    delta: (i32, i32),
    content: (u16, u16),
    view: (u16, u16),
) -> (u16, u16) {
    let (max_x, max_y) = pan_limits(content, view);
    let step = |at: u16, by: i32, max: u16| {
        u16::try_from((i32::from(at) + by).clamp(0, i32::from(max))).unwrap_or(0)
    };
    (
        step(offset.0, delta.0, max_x),
        step(offset.1, delta.1, max_y),
    )
}

/// A way the graph's selection moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Towards the top.
    Up,
    /// Towards the bottom.
    Down,
    /// Towards the left.
    Left,
    /// Towards the right.
    Right,
}

/// Of the boxes `others` (an id with its rectangle), the one nearest to `from` in
/// direction `dir`: boxes wholly beyond `from`'s edge that way first (else any whose
/// centre lies that way), distance across the direction counting double, so the
/// selection keeps to a lane before it jumps to another. Rows count twice columns,
/// as a cell is about twice as tall as it is wide.
pub fn nearest(
    from: Rect,
    others: impl IntoIterator<Item = (usize, Rect)>,
    dir: Direction,
) -> Option<usize> {
    let others: Vec<(usize, Rect)> = others.into_iter().filter(|&(_, r)| r != from).collect();
    let beyond = |r: Rect| match dir {
        Direction::Up => r.bottom() <= from.y,
        Direction::Down => r.y >= from.bottom(),
        Direction::Left => r.right() <= from.x,
        Direction::Right => r.x >= from.right(),
    };
    let wholly: Vec<(usize, Rect)> = others.iter().copied().filter(|&(_, r)| beyond(r)).collect();
    let pool = if wholly.is_empty() { others } else { wholly };
    // Centres, doubled to stay in integers; rows weighted double.
    let centre = |r: Rect| {
        (
            2 * i64::from(r.x) + i64::from(r.width),
            2 * (2 * i64::from(r.y) + i64::from(r.height)),
        )
    };
    let (fx, fy) = centre(from);
    pool.into_iter()
        .filter_map(|(id, r)| {
            let (x, y) = centre(r);
            let (along, across) = match dir {
                Direction::Up => (fy - y, (x - fx).abs()),
                Direction::Down => (y - fy, (x - fx).abs()),
                Direction::Left => (fx - x, (y - fy).abs()),
                Direction::Right => (x - fx, (y - fy).abs()),
            };
            (along > 0).then_some((along + 2 * across, id))
        })
        .min()
        .map(|(_, id)| id)
}

/// The window start, moved as little as possible from `offset` so that `node` shows
/// whole in a `view`-sized window (its top-left corner, when it is larger than the
/// window); within [`pan_limits`].
pub fn revealed(
    offset: (u16, u16),
    node: Rect,
    content: (u16, u16),
    view: (u16, u16),
) -> (u16, u16) {
    let axis = |at: u16, start: u16, len: u16, size: u16| {
        if start < at || len > size {
            start
        } else if start + len > at + size {
            start + len - size
        } else {
            at
        }
    };
    let (max_x, max_y) = pan_limits(content, view);
    (
        axis(offset.0, node.x, node.width, view.0).min(max_x),
        axis(offset.1, node.y, node.height, view.1).min(max_y),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_scrolls_just_enough_to_show_the_cursor() {
        assert_eq!(list_window(10, 1, 3, 20).first, 0);
        assert_eq!(list_window(10, 1, 12, 20).first, 4);
        assert_eq!(list_window(10, 0, 12, 20).first, 3);
        assert_eq!(
            list_window(10, 0, 40, 20).cursor,
            19,
            "cursor kept in the list"
        );
    }

    #[test]
    fn a_click_hits_the_entry_drawn_on_its_row() {
        let inside = Rect::new(10, 5, 30, 10);
        // Header on row 5; entries from row 6; the window starts at 4 for cursor 12.
        assert_eq!(list_entry_at(inside, 1, 12, 20, 5), None, "the header");
        assert_eq!(list_entry_at(inside, 1, 12, 20, 6), Some(4));
        assert_eq!(list_entry_at(inside, 1, 12, 20, 14), Some(12));
        assert_eq!(
            list_entry_at(inside, 1, 12, 20, 15),
            None,
            "below the inside"
        );
        assert_eq!(list_entry_at(inside, 0, 0, 3, 8), None, "past the end");
        assert_eq!(list_entry_at(inside, 0, 0, 3, 4), None, "above the inside");
    }

    #[test]
    fn the_graph_pans_within_its_content() {
        assert_eq!(pan_limits((100, 30), (40, 10)), (60, 20));
        assert_eq!(pan_limits((30, 5), (40, 10)), (0, 0));
        assert_eq!(panned((58, 0), (4, -1), (100, 30), (40, 10)), (60, 0));
        assert_eq!(
            graph_offset((100, 30), (40, 10), Some((99, 99)), None),
            (60, 20)
        );
        let follow = |x, width, name_x| Follow {
            node: Rect::new(x, 12, width, 2),
            name_x,
        };
        let off = |f| graph_offset((100, 30), (40, 10), None, Some(f));
        assert_eq!(off(follow(50, 20, 54)), (30, 8), "out of view: whole box");
        assert_eq!(
            off(follow(20, 30, 24)),
            (0, 8),
            "name shows: no sideways move"
        );
        assert_eq!(off(follow(30, 20, 34)), (10, 8), "name barely shows: moves");
        assert_eq!(
            off(follow(45, 60, 49)),
            (45, 8),
            "wider than the view: its start"
        );
        assert_eq!(graph_offset((100, 30), (40, 10), None, None), (0, 0));
    }

    #[test]
    fn the_selection_moves_to_the_nearest_box_that_way() {
        // Two lanes: a column of three on the left, one box to the right of the middle.
        let boxes = [
            (0, Rect::new(0, 0, 10, 3)),
            (1, Rect::new(0, 4, 10, 3)),
            (2, Rect::new(0, 8, 10, 3)),
            (3, Rect::new(20, 9, 10, 3)),
        ];
        let at = |i: usize| boxes[i].1;
        assert_eq!(
            nearest(at(1), boxes, Direction::Down),
            Some(2),
            "same lane first"
        );
        assert_eq!(nearest(at(1), boxes, Direction::Up), Some(0));
        assert_eq!(nearest(at(0), boxes, Direction::Up), None, "nothing above");
        assert_eq!(nearest(at(1), boxes, Direction::Right), Some(3));
        assert_eq!(
            nearest(at(3), boxes, Direction::Left),
            Some(2),
            "the closest row"
        );
        assert_eq!(nearest(at(2), boxes, Direction::Left), None);
        // A narrower box higher up is not "left" of a wider one just by its centre.
        let lanes = [
            (0, Rect::new(0, 10, 18, 1)),
            (1, Rect::new(28, 4, 17, 1)),
            (2, Rect::new(28, 10, 18, 1)),
        ];
        assert_eq!(nearest(lanes[2].1, lanes, Direction::Left), Some(0));
    }

    #[test]
    fn revealing_a_box_pans_as_little_as_possible() {
        let content = (100, 40);
        let view = (30, 10);
        let visible = Rect::new(5, 2, 10, 3);
        assert_eq!(
            revealed((0, 0), visible, content, view),
            (0, 0),
            "shows: no move"
        );
        let right = Rect::new(40, 2, 10, 3);
        assert_eq!(revealed((0, 0), right, content, view), (20, 0));
        let below = Rect::new(5, 20, 10, 3);
        assert_eq!(revealed((0, 0), below, content, view), (0, 13));
        assert_eq!(
            revealed((30, 15), visible, content, view),
            (5, 2),
            "back up-left"
        );
        let wide = Rect::new(50, 2, 40, 3);
        assert_eq!(revealed((0, 0), wide, content, view), (50, 0), "its start");
        let far = Rect::new(95, 38, 5, 2);
        assert_eq!(
            revealed((0, 0), far, content, view),
            (70, 30),
            "within the limits"
        );
    }

    #[test]
    fn inside_is_the_panel_without_its_border() {
        assert_eq!(inside(Rect::new(2, 3, 10, 5)), Rect::new(3, 4, 8, 3));
    }
}
