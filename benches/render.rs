//! Rendering one whole frame: 200×60, the saga graph, 2,000 history events, 100 rows.
//! Target: median under 1 ms (the UI redraws at most every 100 ms while animating).
//!
//! * `frame`: what every redraw costs: all panels rendered into the frame buffer, then
//!   diffed against the previous frame (only changes reach the terminal).
//! * `frame + full repaint`: the same after the screen was cleared, so every cell is
//!   sent to the backend (a resize or first paint).

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagaview::tui::{demo, ui};

fn render_frame(c: &mut Criterion) {
    let (w, h) = (200, 60);
    let app = demo::busy_app(2_000, 100, w, h);
    assert_eq!(
        app.selected_execution().map(|e| e.view.events.len()),
        Some(2_000)
    );
    assert_eq!(app.rows.entries.len(), 100);
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    c.bench_function("frame 200x60, 2000 events, 100 rows", |b| {
        b.iter(|| {
            terminal.draw(|f| ui::draw(f, &app)).expect("test backend");
        })
    });
    c.bench_function("frame + full repaint 200x60, 2000 events, 100 rows", |b| {
        b.iter(|| {
            terminal.clear().expect("test backend");
            terminal.draw(|f| ui::draw(f, &app)).expect("test backend");
        })
    });
    c.bench_function("baseline: full repaint of an empty 200x60 frame", |b| {
        b.iter(|| {
            terminal.clear().expect("test backend");
            terminal.draw(|_| {}).expect("test backend");
        })
    });
}

criterion_group!(benches, render_frame);
criterion_main!(benches);
