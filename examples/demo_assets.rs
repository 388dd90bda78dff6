//! Writes the README's screenshots (text and SVG) of every demo screen into a folder
//! (default `assets/`). Run through `scripts/demo-assets`.

use sagaview::tui::demo::{self, DemoScreen};

fn main() -> std::io::Result<()> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "assets".into()));
    std::fs::create_dir_all(&dir)?;
    for (screen, name) in DemoScreen::ALL {
        let (w, h) = (120, 40);
        let app = demo::app(screen, &demo::options(false), w, h);
        let buf = demo::render(&app, w, h);
        std::fs::write(dir.join(format!("tui-{name}.txt")), demo::to_text(&buf))?;
        std::fs::write(dir.join(format!("tui-{name}.svg")), demo::to_svg(&buf))?;
        println!("wrote tui-{name}.txt and tui-{name}.svg");
    }
    Ok(())
}
