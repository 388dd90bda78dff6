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

use ratatui::style::{Modifier, Style};

use crate::view::layout::MARK_COLUMNS;
use crate::view::{NarrationLevel, StateStatus, VerdictLevel};

mod colours;
pub mod contrast;

use colours::Colours;

/// The colour scheme, chosen with `--theme`. Each brings its own background, so it
/// looks the same whatever the terminal's own colours are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Theme {
    /// Light text on a dark background (default).
    #[default]
    Dark,
    /// Dark text on a light background.
    Light,
    /// Maximum contrast: bright colours on black, bold statuses.
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
    /// The theme's text colour on its background: fill the whole frame with it before
    /// drawing (`frame.buffer_mut().set_style(frame.area(), palette.base)`), so the
    /// other styles, which set only a foreground, sit on the theme's background rather
    /// than the terminal's. Plain (no background) with `NO_COLOR`.
    pub base: Style,
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
        let Colours {
            background,
            text,
            dim,
            accent,
            ok,
            warn,
            error: err,
            running: run,
            caught,
        } = Colours::of(theme);
        let strong = if theme == Theme::HighContrast {
            Modifier::BOLD
        } else {
            Modifier::empty()
        };
        Self {
            base: s().fg(text).bg(background),
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
            base: plain,
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

    /// Style of a narration line.
    pub fn narration(&self, level: NarrationLevel) -> Style {
        match level {
            NarrationLevel::Ok => self.ok,
            NarrationLevel::Progress => self.running,
            NarrationLevel::Warning => self.warn,
            NarrationLevel::Error => self.error,
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

/// The glyph of a narration line, so its level reads without colour too.
pub fn narration_glyph(level: NarrationLevel) -> &'static str {
    match level {
        NarrationLevel::Ok => "✓",
        NarrationLevel::Progress => "→",
        NarrationLevel::Warning => "!",
        NarrationLevel::Error => "✗",
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

    use ratatui::style::Color;

    /// Every style that colours something drawn on the background, by name. No `..`:
    /// a new style must be added here, and so gets its contrast checked.
    fn foregrounds(p: &Palette) -> [(&'static str, Style); 21] {
        let Palette {
            base: _,
            text,
            dim,
            border,
            border_focused,
            title,
            header,
            key,
            selected,
            ok,
            warn,
            error,
            running,
            caught,
            idle,
            edge,
            catch_edge,
            edge_taken,
            catch_taken,
            row_new,
            row_changed,
            row_deleted,
        } = *p;
        [
            ("text", text),
            ("dim", dim),
            ("border", border),
            ("border_focused", border_focused),
            ("title", title),
            ("header", header),
            ("key", key),
            ("selected", selected),
            ("ok", ok),
            ("warn", warn),
            ("error", error),
            ("running", running),
            ("caught", caught),
            ("idle", idle),
            ("edge", edge),
            ("catch_edge", catch_edge),
            ("edge_taken", edge_taken),
            ("catch_taken", catch_taken),
            ("row_new", row_new),
            ("row_changed", row_changed),
            ("row_deleted", row_deleted),
        ]
    }

    fn rgb(color: Option<Color>, what: &str) -> (u8, u8, u8) {
        match color {
            Some(Color::Rgb(r, g, b)) => (r, g, b),
            other => panic!("{what}: {other:?} is not an RGB colour"),
        }
    }

    /// The colours a style's text shows in on the filled frame: its own foreground and
    /// background where it sets them, the base's otherwise, swapped when reversed.
    fn shown(p: &Palette, style: Style, what: &str) -> ((u8, u8, u8), (u8, u8, u8)) {
        let fg = rgb(style.fg.or(p.base.fg), what);
        let bg = rgb(style.bg.or(p.base.bg), what);
        if style.add_modifier.contains(Modifier::REVERSED) {
            (bg, fg)
        } else {
            (fg, bg)
        }
    }

    #[test]
    fn no_color_has_no_colours() {
        let p = Palette::new(Theme::Dark, true);
        for (name, style) in foregrounds(&p).into_iter().chain([("base", p.base)]) {
            assert_eq!((style.fg, style.bg), (None, None), "{name}");
        }
        assert_ne!(Palette::new(Theme::Dark, false).ok.fg, None);
    }

    #[test]
    fn every_theme_paints_its_own_background_in_rgb() {
        for theme in Theme::ALL {
            let p = Palette::new(theme, false);
            rgb(p.base.bg, "background");
            rgb(p.base.fg, "base text");
            for (name, style) in foregrounds(&p) {
                for c in [style.fg, style.bg].into_iter().flatten() {
                    rgb(Some(c), name);
                }
            }
        }
        let backgrounds: Vec<_> = Theme::ALL.map(|t| Palette::new(t, false).base.bg).into();
        assert_ne!(backgrounds[0], backgrounds[1], "dark and light differ");
    }

    #[test]
    fn every_text_border_and_edge_colour_reads_at_4_5_to_1_or_more() {
        for theme in Theme::ALL {
            let p = Palette::new(theme, false);
            let ratios = foregrounds(&p).map(|(name, style)| {
                let (fg, bg) = shown(&p, style, name);
                (contrast::contrast_ratio(fg, bg), name)
            });
            for (ratio, name) in ratios {
                assert!(ratio >= 4.5, "{theme}: {name} reads at {ratio:.2}:1");
            }
            let (lowest, name) = ratios
                .into_iter()
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .unwrap_or((0.0, "none"));
            println!("{theme}: lowest contrast {lowest:.2}:1 ({name})");
            if theme == Theme::HighContrast {
                assert!(
                    lowest >= 7.0,
                    "high contrast keeps 7:1, {name} has {lowest:.2}"
                );
            }
        }
    }

    #[test]
    fn status_colours_are_told_apart() {
        for theme in Theme::ALL {
            let p = Palette::new(theme, false);
            let statuses = [
                ("ok", p.ok),
                ("warn", p.warn),
                ("error", p.error),
                ("running", p.running),
                ("caught", p.caught),
                ("idle", p.idle),
            ]
            .map(|(name, style)| (name, rgb(style.fg, name)));
            for (i, (a, ca)) in statuses.iter().enumerate() {
                for (b, cb) in &statuses[i + 1..] {
                    let d = [
                        ca.0.abs_diff(cb.0),
                        ca.1.abs_diff(cb.1),
                        ca.2.abs_diff(cb.2),
                    ];
                    let distance = d.iter().map(|&x| u32::from(x).pow(2)).sum::<u32>();
                    assert!(distance >= 80 * 80, "{theme}: {a} and {b} look alike");
                }
            }
        }
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
