//! The help overlay's text as data: sections of keys (taken from the keymap, grouped by
//! where they work) and of what the screen's marks mean, wrapped to the overlay's
//! width. Pure, so drawing, scrolling and tests all see the same lines.

mod content;
mod wrap;

use std::ops::Range;

use ratatui::layout::Rect;

use super::keymap::Focus;

/// What a piece of help text looks like; the renderer maps it to the palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// A section's title.
    Heading,
    /// Keys, and glyphs standing for themselves.
    Key,
    /// Plain explanation.
    Text,
    /// Asides.
    Dim,
    /// What went well (a succeeded state, an ok verdict).
    Ok,
    /// What needs a look (a warning verdict).
    Warn,
    /// What went wrong (an error verdict, an orphaned row).
    Error,
    /// A row just added.
    RowNew,
    /// A row whose status just changed.
    RowChanged,
    /// A row just deleted (struck through).
    RowDeleted,
}

/// A run of text in one tone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The text.
    pub text: String,
    /// How it looks.
    pub tone: Tone,
}

impl Piece {
    /// A piece of `text` in `tone`.
    pub fn new(text: impl Into<String>, tone: Tone) -> Self {
        Self {
            text: text.into(),
            tone,
        }
    }
}

/// One line of the help, as pieces.
pub type HelpLine = Vec<Piece>;

/// The help's sections, in order: the keys by where they work, then what the screen
/// says. Help opens at the focused panel's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Keys of every panel.
    Everywhere,
    /// One panel: its own keys and its marks.
    Panel(Focus),
    /// Keys over the panels: this help, an event's payload, the inspector, the trip
    /// editor, a question.
    Overlays,
    /// The narration line and the verdict.
    Header,
    /// The cancel failure rate and the retries it causes.
    CancelFailure,
    /// Pausing and stepping the embedded runtime.
    PauseAndStep,
    /// `--pace` and the speed keys.
    Pace,
    /// Clicks and the wheel.
    Mouse,
}

impl Section {
    /// Every section, in the order help shows them.
    pub const ORDER: [Section; 11] = [
        Section::Everywhere,
        Section::Panel(Focus::Graph),
        Section::Panel(Focus::History),
        Section::Panel(Focus::Rows),
        Section::Panel(Focus::Executions),
        Section::Overlays,
        Section::Header,
        Section::CancelFailure,
        Section::PauseAndStep,
        Section::Pace,
        Section::Mouse,
    ];

    /// The section's title.
    pub fn title(self) -> &'static str {
        match self {
            Section::Everywhere => "Keys in every panel",
            Section::Panel(Focus::Graph) => "Graph panel",
            Section::Panel(Focus::History) => "History panel",
            Section::Panel(Focus::Rows) => "Rows panel",
            Section::Panel(Focus::Executions) => "Executions panel",
            Section::Overlays => "Over the panels",
            Section::Header => "Header: narration and verdict",
            Section::CancelFailure => "Cancel failure",
            Section::PauseAndStep => "Pause and step",
            Section::Pace => "Pace and speed",
            Section::Mouse => "Mouse",
        }
    }
}

/// One paragraph of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A term (keys, a glyph) and what it means, the meaning in a column of its own.
    Entry {
        /// The keys or glyph.
        term: Piece,
        /// What it does or means.
        body: Vec<Piece>,
    },
    /// Running text.
    Note(Vec<Piece>),
}

/// The help laid out for a width: its lines and where each section starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpText {
    /// Every line, sections separated by an empty one.
    pub lines: Vec<HelpLine>,
    starts: Vec<(Section, usize)>,
}

impl HelpText {
    /// The help wrapped to `width` columns; the `focus`ed panel's title says so.
    pub fn new(width: usize, focus: Focus) -> Self {
        let mut lines = Vec::new();
        let mut starts = Vec::new();
        for section in Section::ORDER {
            if !lines.is_empty() {
                lines.push(Vec::new());
            }
            starts.push((section, lines.len()));
            let mut heading = vec![Piece::new(format!(" {}", section.title()), Tone::Heading)];
            if section == Section::Panel(focus) {
                heading.push(Piece::new(" · focused", Tone::Dim));
            }
            lines.push(heading);
            for item in content::items(section) {
                lines.extend(wrap::item_lines(&item, width));
            }
        }
        Self { lines, starts }
    }

    /// The lines of a section, its title included.
    pub fn section(&self, section: Section) -> Range<usize> {
        let mut starts = self.starts.iter().skip_while(|(s, _)| *s != section);
        let start = starts.next().map_or(0, |&(_, at)| at);
        let end = starts
            .next()
            .map_or(self.lines.len(), |&(_, at)| at.saturating_sub(1));
        start..end
    }
}

/// The widest the overlay gets: wider lines read worse.
pub const MAX_WIDTH: u16 = 96;

/// The help overlay on a screen: where it goes, its text and how far it scrolls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpPage {
    /// The overlay, borders included.
    pub area: Rect,
    /// The text, wrapped to the inside.
    pub text: HelpText,
    /// Lines the inside shows at once.
    pub visible: usize,
}

impl HelpPage {
    /// The overlay for a screen of `size`: as wide as the screen allows up to
    /// [`MAX_WIDTH`], as high as its text up to the screen less a line above and below.
    pub fn of(size: (u16, u16), focus: Focus) -> Self {
        let width = size.0.saturating_sub(2).min(MAX_WIDTH);
        // Inside the borders, a column kept free on the right.
        let text = HelpText::new(usize::from(width.saturating_sub(3)), focus);
        let lines = u16::try_from(text.lines.len()).unwrap_or(u16::MAX);
        let height = lines.saturating_add(2).min(size.1.saturating_sub(2));
        let area = Rect::new((size.0 - width) / 2, (size.1 - height) / 2, width, height);
        Self {
            area,
            text,
            visible: usize::from(height.saturating_sub(2)),
        }
    }

    /// The first line shown at most: the last line then shows at the bottom.
    pub fn max_scroll(&self) -> usize {
        self.text.lines.len().saturating_sub(self.visible)
    }

    /// Lines a page key moves: one less than a page, so a line stays for context.
    pub fn page(&self) -> usize {
        self.visible.saturating_sub(1).max(1)
    }

    /// Where help opens: scrolled just enough to show the focused panel's section
    /// whole (its start at the top when it is taller than the overlay).
    pub fn opening_scroll(&self, focus: Focus) -> usize {
        let section = self.text.section(Section::Panel(focus));
        let scroll = if section.len() >= self.visible {
            section.start
        } else {
            section.end.saturating_sub(self.visible)
        };
        scroll.min(self.max_scroll())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(line: &HelpLine) -> String {
        line.iter().map(|p| p.text.as_str()).collect()
    }

    #[test]
    fn sections_come_in_order_each_under_its_title() {
        let text = HelpText::new(76, Focus::Rows);
        let mut last = 0;
        for section in Section::ORDER {
            let range = text.section(section);
            assert!(
                range.start >= last && range.end > range.start,
                "{section:?}"
            );
            assert!(plain(&text.lines[range.start]).contains(section.title()));
            last = range.end;
        }
        assert_eq!(last, text.lines.len());
        let rows = text.section(Section::Panel(Focus::Rows)).start;
        assert!(plain(&text.lines[rows]).ends_with("· focused"));
    }

    #[test]
    fn no_line_is_wider_than_asked() {
        for width in [40, 76, 93] {
            for line in HelpText::new(width, Focus::Graph).lines {
                let w = unicode_width::UnicodeWidthStr::width(plain(&line).as_str());
                assert!(w <= width, "{w} > {width}: {}", plain(&line));
            }
        }
    }

    #[test]
    fn help_opens_showing_the_focused_section() {
        for size in [(80, 24), (120, 40)] {
            let page = HelpPage::of(size, Focus::Graph);
            assert!(page.max_scroll() > 0, "scrolls at {size:?}");
            for focus in Focus::ORDER {
                let range = page.text.section(Section::Panel(focus));
                let scroll = page.opening_scroll(focus);
                assert!(scroll <= range.start, "{focus:?} at {size:?}");
                assert!(
                    scroll + page.visible >= range.end.min(range.start + page.visible),
                    "{focus:?} at {size:?}"
                );
            }
        }
    }

    #[test]
    fn the_overlay_stays_inside_the_screen() {
        for size in [(80, 24), (120, 40), (200, 60)] {
            let page = HelpPage::of(size, Focus::Graph);
            assert!(page.area.right() <= size.0 && page.area.bottom() <= size.1);
            assert!(page.area.width <= MAX_WIDTH);
        }
    }
}
