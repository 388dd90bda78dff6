//! Colours and status glyphs, as data.
//!
//! Every status has a glyph as well as a colour, so the screen reads the same with
//! `NO_COLOR` (where only bold / reversed / crossed-out remain) or in a screenshot
//! without colour:
//!
//! | status        | glyph      | meaning                                          |
//! |---------------|------------|--------------------------------------------------|
//! | not reached   | `·`        | never entered                                    |
//! | running       | `◐◓◑◒`     | entered, working (animated)                      |
//! | succeeded     | `✓`        | exited normally                                  |
//! | failed        | `✗`        | failed with nothing to handle it                 |
//! | caught        | `⤳`        | failed; a `Catch` routed the flow on (to a compensation) |
//! | retrying      | `↻n`       | failed, retry `n` pending or running             |
//! | after retries | `✓↻n`      | succeeded after `n` retries (`⤳↻n`, `✗↻n` alike) |
//! | aborted       | `⊘`        | interrupted by a stop or timeout                 |

use std::fmt;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

use crate::view::StateStatus;
use crate::view::VerdictLevel;
use crate::view::layout::MARK_COLUMNS;

/// The colour scheme, chosen with `--theme`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Theme {
    /// Light text on a dark terminal (default).
    #[default]
    Dark,
    /// Dark text on a light terminal.
    Light,
    /// Maximum contrast: bright colours, bold statuses.
    HighContrast,
}

impl Theme {
    /// Every theme, for help texts.
    pub const ALL: [Theme; 3] = [Theme::Dark, Theme::Light, Theme::HighContrast];

    /// The flag value (`dark`, `light`, `high-contrast`).
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Dark => "dark",
            Theme::Light => "light",
            Theme::HighContrast => "high-contrast",
        }
    }
}

impl fmt::Display for Theme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Theme {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Theme::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown theme {s:?}; valid themes: dark, light, high-contrast"))
    }
}

/// Resolved styles for one theme (or for no colour at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    /// Ordinary text.
    pub text: Style,
    /// Secondary text (timestamps, hints).
    pub dim: Style,
    /// Panel borders.
    pub border: Style,
    /// The focused panel's border.
    pub border_focused: Style,
    /// Panel titles.
    pub title: Style,
    /// Header bar.
    pub header: Style,
    /// Key names in the footer and help.
    pub key: Style,
    /// Selected list entry.
    pub selected: Style,
    /// Good outcome / succeeded state.
    pub ok: Style,
    /// Warning / retrying.
    pub warn: Style,
    /// Error / failed state.
    pub error: Style,
    /// Running state.
    pub running: Style,
    /// Caught state.
    pub caught: Style,
    /// Not reached / aborted.
    pub idle: Style,
    /// An edge not taken.
    pub edge: Style,
    /// A `Catch` edge not taken.
    pub catch_edge: Style,
    /// An edge the selected execution took.
    pub edge_taken: Style,
    /// A `Catch` edge the selected execution took.
    pub catch_taken: Style,
    /// A row that was just added.
    pub row_new: Style,
    /// A row whose status just changed.
    pub row_changed: Style,
    /// A row that was just deleted (shown struck through until it goes).
    pub row_deleted: Style,
}

impl Palette {
    /// The styles of a theme; `no_color` keeps only modifiers.
    pub fn new(theme: Theme, no_color: bool) -> Self {
        if no_color {
            return Self::monochrome();
        }
        let s = Style::default;
        let (text, dim, accent, ok, warn, err, run, caught) = match theme {
            Theme::Dark => (
                Color::Gray,
                Color::DarkGray,
                Color::Cyan,
                Color::Green,
                Color::Yellow,
                Color::Red,
                Color::LightBlue,
                Color::Magenta,
            ),
            Theme::Light => (
                Color::Black,
                Color::DarkGray,
                Color::Blue,
                Color::Green,
                Color::Rgb(176, 112, 0),
                Color::Red,
                Color::Blue,
                Color::Magenta,
            ),
            Theme::HighContrast => (
                Color::White,
                Color::Gray,
                Color::LightCyan,
                Color::LightGreen,
                Color::LightYellow,
                Color::LightRed,
                Color::LightBlue,
                Color::LightMagenta,
            ),
        };
        let strong = if theme == Theme::HighContrast {
            Modifier::BOLD
        } else {
            Modifier::empty()
        };
        Self {
            text: s().fg(text),
            dim: s().fg(dim),
            border: s().fg(dim),
            border_focused: s().fg(accent).add_modifier(Modifier::BOLD),
            title: s().fg(accent).add_modifier(Modifier::BOLD),
            header: s().fg(text).add_modifier(strong),
            key: s().fg(accent).add_modifier(Modifier::BOLD),
            selected: s().add_modifier(Modifier::REVERSED),
            ok: s().fg(ok).add_modifier(strong),
            warn: s().fg(warn).add_modifier(strong),
            error: s().fg(err).add_modifier(Modifier::BOLD),
            running: s().fg(run).add_modifier(Modifier::BOLD),
            caught: s().fg(caught).add_modifier(strong),
            idle: s().fg(dim),
            edge: s().fg(dim),
            catch_edge: s().fg(dim),
            edge_taken: s().fg(ok).add_modifier(Modifier::BOLD),
            catch_taken: s().fg(caught).add_modifier(Modifier::BOLD),
            row_new: s().fg(ok).add_modifier(Modifier::BOLD),
            row_changed: s().fg(warn).add_modifier(Modifier::BOLD),
            row_deleted: s().fg(err).add_modifier(Modifier::CROSSED_OUT),
        }
    }

    fn monochrome() -> Self {
        let plain = Style::default();
        let bold = plain.add_modifier(Modifier::BOLD);
        Self {
            text: plain,
            dim: plain,
            border: plain,
            border_focused: bold,
            title: bold,
            header: plain,
            key: bold,
            selected: plain.add_modifier(Modifier::REVERSED),
            ok: plain,
            warn: bold,
            error: bold,
            running: bold,
            caught: bold,
            idle: plain,
            edge: plain,
            catch_edge: plain,
            edge_taken: bold,
            catch_taken: bold,
            row_new: bold,
            row_changed: bold,
            row_deleted: plain.add_modifier(Modifier::CROSSED_OUT),
        }
    }

    /// Style of a state's glyph and name.
    pub fn status(&self, status: StateStatus) -> Style {
        match status {
            StateStatus::NotStarted => self.idle,
            StateStatus::Running => self.running,
            StateStatus::Retrying(_) => self.warn,
            StateStatus::Succeeded => self.ok,
            StateStatus::Failed => self.error,
            StateStatus::Caught => self.caught,
            StateStatus::Aborted => self.idle,
        }
    }

    /// Style of a verdict.
    pub fn verdict(&self, level: VerdictLevel) -> Style {
        match level {
            VerdictLevel::Ok => self.ok,
            VerdictLevel::Warning => self.warn,
            VerdictLevel::Error => self.error,
        }
    }
}

/// Frames of the running spinner.
pub const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

/// A state's mark, [`MARK_COLUMNS`] wide (right-aligned); `frame` animates the
/// spinner. A state that ended after retries keeps their count beside its glyph
/// (`✓↻2`), so a retried step stays visible once it is done.
pub fn status_glyph(status: StateStatus, retries: u32, frame: usize) -> String {
    let glyph = match status {
        StateStatus::NotStarted => "·",
        StateStatus::Running => SPINNER[frame % SPINNER.len()],
        StateStatus::Retrying(_) => "",
        StateStatus::Succeeded => "✓",
        StateStatus::Failed => "✗",
        StateStatus::Caught => "⤳",
        StateStatus::Aborted => "⊘",
    };
    let mark = match status {
        StateStatus::Retrying(n) => format!("↻{}", count(n)),
        StateStatus::Succeeded | StateStatus::Failed | StateStatus::Caught if retries > 0 => {
            format!("{glyph}↻{}", count(retries))
        }
        _ => glyph.to_string(),
    };
    // Every glyph here is one column wide, so chars count columns.
    format!("{mark:>width$}", width = usize::from(MARK_COLUMNS))
}

/// A retry count in one column: `1`…`9`, then `+`.
fn count(n: u32) -> String {
    if n < 10 { n.to_string() } else { "+".into() }
}

/// The glyph of a verdict.
pub fn verdict_glyph(level: VerdictLevel) -> &'static str {
    match level {
        VerdictLevel::Ok => "✓",
        VerdictLevel::Warning => "!",
        VerdictLevel::Error => "✗",
    }
}

/// The legend shown in the help overlay: glyph and meaning.
pub const LEGEND: [(&str, &str); 9] = [
    ("·", "not reached"),
    ("◐", "running"),
    ("✓", "succeeded"),
    ("✗", "failed"),
    ("⤳", "caught by a Catch"),
    ("↻n", "retry n pending/running"),
    ("✓↻n", "ok after n retries"),
    ("⊘", "aborted"),
    ("┄", "Catch edge, bold: taken"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_has_no_colours() {
        let p = Palette::new(Theme::Dark, true);
        for style in [
            p.text,
            p.ok,
            p.error,
            p.warn,
            p.running,
            p.edge_taken,
            p.row_deleted,
        ] {
            assert_eq!(style.fg, None);
            assert_eq!(style.bg, None);
        }
        assert_ne!(Palette::new(Theme::Dark, false).ok.fg, None);
    }

    #[test]
    fn themes_parse_from_their_names() {
        for t in Theme::ALL {
            assert_eq!(t.as_str().parse::<Theme>().unwrap(), t);
        }
        assert!("neon".parse::<Theme>().is_err());
    }

    #[test]
    fn marks_fill_their_slot_whatever_the_retries() {
        use unicode_width::UnicodeWidthStr;
        for s in [
            StateStatus::NotStarted,
            StateStatus::Running,
            StateStatus::Retrying(2),
            StateStatus::Retrying(12),
            StateStatus::Succeeded,
            StateStatus::Failed,
            StateStatus::Caught,
            StateStatus::Aborted,
        ] {
            for retries in [0, 1, 9, 10, 400] {
                let mark = status_glyph(s, retries, 3);
                assert_eq!(mark.width(), usize::from(MARK_COLUMNS), "{s:?} {retries}");
            }
        }
        assert_eq!(status_glyph(StateStatus::Retrying(2), 1, 0), " ↻2");
        assert_eq!(status_glyph(StateStatus::Retrying(12), 11, 0), " ↻+");
    }

    #[test]
    fn a_state_that_ended_after_retries_keeps_their_count() {
        assert_eq!(status_glyph(StateStatus::Succeeded, 0, 0), "  ✓");
        assert_eq!(status_glyph(StateStatus::Succeeded, 2, 0), "✓↻2");
        assert_eq!(status_glyph(StateStatus::Caught, 3, 0), "⤳↻3");
        assert_eq!(status_glyph(StateStatus::Failed, 3, 0), "✗↻3");
        assert_eq!(status_glyph(StateStatus::Failed, 12, 0), "✗↻+");
        // Still running or never reached: the retry count is not the news.
        assert_eq!(status_glyph(StateStatus::Running, 2, 0), "  ◐");
        assert_eq!(status_glyph(StateStatus::Aborted, 2, 0), "  ⊘");
    }
}
