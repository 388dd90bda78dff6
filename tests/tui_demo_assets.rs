//! The README's screenshots (text and SVG) of every demo screen, and their export.

use sagaview::tui::demo::{self, DemoScreen};

/// The README shows these files; they must be what the UI draws today.
#[test]
fn committed_assets_match_the_current_ui() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    for (screen, name) in DemoScreen::ALL {
        let (w, h) = (120, 40);
        let app = demo::app(screen, &demo::options(false), w, h);
        let buf = demo::render(&app, w, h);
        for (ext, now) in [("txt", demo::to_text(&buf)), ("svg", demo::to_svg(&buf))] {
            let path = dir.join(format!("tui-{name}.{ext}"));
            let committed = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                committed == now,
                "{} is out of date: run scripts/demo-assets",
                path.display()
            );
        }
    }
}

#[test]
fn svg_and_text_carry_the_screen() {
    let app = demo::app(
        DemoScreen::CompensationRetrying,
        &demo::options(false),
        120,
        40,
    );
    let buf = demo::render(&app, 120, 40);
    let text = demo::to_text(&buf);
    assert!(text.contains("↻2 RefundPayment"));
    assert_eq!(text.lines().count(), 40);
    let svg = demo::to_svg(&buf);
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    let Some(ratatui::style::Color::Rgb(r, g, b)) = app.palette.warn.fg else {
        panic!("the dark theme's warning colour is RGB");
    };
    let warn = format!("fill=\"#{r:02x}{g:02x}{b:02x}\"");
    assert!(
        svg.contains(">↻<") && svg.contains(&warn),
        "retry glyph in the warning colour"
    );
}
