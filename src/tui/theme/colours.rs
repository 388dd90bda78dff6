//! Each theme's colours as RGB values, background included.
//!
//! Named ANSI colours ("red", "dark gray") are whatever the terminal's scheme makes of
//! them, and a projector washes the weak ones out; RGB values on the theme's own
//! background look the same in every terminal, so their contrast can be checked once
//! (see the palette's WCAG test).

use ratatui::style::Color;

use super::Theme;

/// The colours one theme is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Colours {
    /// Painted under everything.
    pub background: Color,
    /// Ordinary text.
    pub text: Color,
    /// Secondary text, borders, edges not taken.
    pub dim: Color,
    /// Titles, keys, the focused border.
    pub accent: Color,
    /// Success: green.
    pub ok: Color,
    /// Retrying, changed: amber.
    pub warn: Color,
    /// Failure: red.
    pub error: Color,
    /// Running: blue.
    pub running: Color,
    /// Caught by a Catch: magenta.
    pub caught: Color,
}

const fn rgb(hex: u32) -> Color {
    Color::Rgb((hex >> 16) as u8, (hex >> 8) as u8, hex as u8)
}

impl Colours {
    /// The theme's colours; every text colour reads at least 4.5:1 on its background.
    pub(super) fn of(theme: Theme) -> Self {
        match theme {
            // Light grey on a soft black.
            Theme::Dark => Self {
                background: rgb(0x1e1e1e),
                text: rgb(0xd4d4d4),
                dim: rgb(0x9d9d9d),
                accent: rgb(0x4fc1e9),
                ok: rgb(0x6cc96c),
                warn: rgb(0xe3b341),
                error: rgb(0xff6b6b),
                running: rgb(0x7aa2ff),
                caught: rgb(0xd895ee),
            },
            // Near-black on a warm off-white (less glare than pure white on a projector).
            Theme::Light => Self {
                background: rgb(0xfbfbf8),
                text: rgb(0x1f2328),
                dim: rgb(0x595f68),
                accent: rgb(0x0a6a8f),
                ok: rgb(0x17702f),
                warn: rgb(0x8a5a00),
                error: rgb(0xc0242c),
                running: rgb(0x1f5bb8),
                caught: rgb(0x8a3ec0),
            },
            // Bright colours on black, all at 7:1 or more.
            Theme::HighContrast => Self {
                background: rgb(0x000000),
                text: rgb(0xffffff),
                dim: rgb(0xd0d0d0),
                accent: rgb(0x00e5ff),
                ok: rgb(0x5ef25e),
                warn: rgb(0xffd23f),
                error: rgb(0xff6b6b),
                running: rgb(0x66ccff),
                caught: rgb(0xff8cff),
            },
        }
    }
}
