//! Key-to-frame latency of the real UI loop while 100 executions run.
//! Target: p99 under 16 ms (one frame at 60 Hz).
//!
//! `runner::run_loop` runs as the binary runs it (on `sagaview::async_runtime`, the
//! loop on the thread that blocks on it) against a real `EmbeddedBackend` on an
//! in-memory store at demo pace, drawing 200×60 frames into a `TestBackend` wrapped to
//! note when each frame is flushed. 100 executions are launched through the loop (`1`
//! pressed 100 times), left to run a few seconds, then key presses are sent one at a
//! time through the loop's channel, as a user types: Tab, arrows, `c`, `+` and `-`
//! (the speed goes back and forth between 0.5× and 1×, so the executions last the
//! whole measurement; the bench checks that all 100 still run at the end).
//!
//! What is timed, per key: from just before it is sent to the flush of the first frame
//! drawn after the loop handled it. The loop traces every message just before it
//! handles it (`trace!(?msg, "message")` in `runner`); a tracing layer listening to that
//! one call site marks when it is a key, and the next flush is that key's frame: the
//! loop draws only between messages, never while handling one. Percentiles are printed
//! at the end.
//!
//! Run by `cargo bench --bench key_latency`; under `cargo test --benches` it only makes
//! a short run with a few executions, to check it still works.

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use sagaview::backend::SagaBackend;
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::engine::Pace;
use sagaview::history::ExecutionStatus;
use sagaview::store::Store;
use sagaview::tui::{App, Msg, TuiOptions, demo, runner};
use tokio::sync::mpsc::UnboundedSender;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, filter};

const WIDTH: u16 = 200;
const HEIGHT: u16 = 60;
/// The demo speed the executions start at (`+` doubles it until `-` comes).
const SPEED: f64 = 0.5;
/// The keys typed, in turn: every panel gets focus, arrows move in each.
const KEYS: [KeyCode; 7] = [
    KeyCode::Tab,
    KeyCode::Down,
    KeyCode::Down,
    KeyCode::Up,
    KeyCode::Char('c'),
    KeyCode::Char('+'),
    KeyCode::Char('-'),
];
/// How long one key may take before the bench gives up on the loop.
const PATIENCE: Duration = Duration::from_secs(5);

/// How big a run is.
struct Plan {
    executions: usize,
    keys: usize,
    /// From the last launch to the first key measured.
    settle: Duration,
    /// Pause before each key: uniform in this range of ms, so keys fall anywhere
    /// between the loop's ticks and poll bursts.
    gap_ms: (u64, u64),
}

const BENCH: Plan = Plan {
    executions: 100,
    keys: 400,
    settle: Duration::from_secs(3),
    gap_ms: (10, 50),
};

const SMOKE: Plan = Plan {
    executions: 5,
    keys: 14,
    settle: Duration::from_millis(300),
    gap_ms: (5, 15),
};

/// A `TestBackend` that says when the frame following a key is flushed.
struct FlushClock {
    inner: TestBackend,
    /// Set by [`KeyMarker`] when the loop takes a key; the next flush answers it.
    key_taken: Arc<AtomicBool>,
    key_frames: mpsc::Sender<Instant>,
    flushes: Arc<AtomicU64>,
}

impl Backend for FlushClock {
    type Error = <TestBackend as Backend>::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }

    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }

    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()?;
        let at = Instant::now();
        self.flushes.fetch_add(1, Ordering::Relaxed);
        if self.key_taken.swap(false, Ordering::AcqRel) {
            let _ = self.key_frames.send(at);
        }
        Ok(())
    }
}

/// Listens to `run_loop`'s per-message trace: counts messages, marks keys.
struct KeyMarker {
    key_taken: Arc<AtomicBool>,
    messages: Arc<AtomicU64>,
}

/// The start of a `Debug` rendering: refusing what follows stops the formatting of a
/// long message (a history page) after its first words.
#[derive(Default)]
struct Prefix(String);

impl fmt::Write for Prefix {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.push_str(s);
        if self.0.len() < 4 {
            Ok(())
        } else {
            Err(fmt::Error)
        }
    }
}

struct IsKey(bool);

impl Visit for IsKey {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "msg" {
            let mut prefix = Prefix::default();
            let _ = write!(prefix, "{value:?}");
            self.0 = prefix.0.starts_with("Key(");
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for KeyMarker {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        self.messages.fetch_add(1, Ordering::Relaxed);
        let mut is_key = IsKey(false);
        event.record(&mut is_key);
        if is_key.0 {
            self.key_taken.store(true, Ordering::Release);
        }
    }
}

fn press(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// A small deterministic generator for the gaps between keys.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// What the typist saw.
struct Typed {
    latencies: Vec<Duration>,
    elapsed: Duration,
    frames: u64,
    messages: u64,
    running_at_start: usize,
}

/// Sends a key and waits for its frame; returns the time between.
fn type_key(
    tx: &UnboundedSender<Msg>,
    key_frames: &mpsc::Receiver<Instant>,
    code: KeyCode,
) -> Duration {
    let sent = Instant::now();
    tx.send(press(code)).expect("the loop is listening");
    let Ok(flushed) = key_frames.recv_timeout(PATIENCE) else {
        panic!("no frame for {code:?} in {PATIENCE:?}: does the loop still trace each message?");
    };
    flushed.saturating_duration_since(sent)
}

/// Launches the executions through the loop, lets them run, then types the keys.
fn typist(
    plan: &Plan,
    tx: UnboundedSender<Msg>,
    key_frames: mpsc::Receiver<Instant>,
    backend: Arc<EmbeddedBackend>,
    runtime: tokio::runtime::Handle,
    counters: (Arc<AtomicU64>, Arc<AtomicU64>),
) -> Typed {
    for _ in 0..plan.executions {
        type_key(&tx, &key_frames, KeyCode::Char('1'));
    }
    std::thread::sleep(plan.settle);
    let listed = runtime
        .block_on(backend.list_executions(plan.executions * 2))
        .expect("the store lists executions");
    let running_at_start = listed
        .iter()
        .filter(|s| s.status == ExecutionStatus::Running)
        .count();

    let (flushes, messages) = counters;
    let (frames_before, messages_before) = (
        flushes.load(Ordering::Relaxed),
        messages.load(Ordering::Relaxed),
    );
    let started = Instant::now();
    let mut gaps = XorShift(0x9e37_79b9_7f4a_7c15);
    let (low, high) = plan.gap_ms;
    let mut latencies = Vec::with_capacity(plan.keys);
    for i in 0..plan.keys {
        std::thread::sleep(Duration::from_millis(low + gaps.below(high - low)));
        latencies.push(type_key(&tx, &key_frames, KEYS[i % KEYS.len()]));
    }
    let elapsed = started.elapsed();
    let typed = Typed {
        latencies,
        elapsed,
        frames: flushes.load(Ordering::Relaxed) - frames_before,
        messages: messages.load(Ordering::Relaxed) - messages_before,
        running_at_start,
    };
    tx.send(Msg::Terminate).expect("the loop is listening");
    typed
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() {
    let plan = if std::env::args().any(|a| a == "--bench") {
        &BENCH
    } else {
        &SMOKE
    };
    let key_taken = Arc::new(AtomicBool::new(false));
    let messages = Arc::new(AtomicU64::new(0));
    let flushes = Arc::new(AtomicU64::new(0));
    let marker = KeyMarker {
        key_taken: key_taken.clone(),
        messages: messages.clone(),
    }
    .with_filter(filter::filter_fn(|meta| {
        meta.target() == "sagaview::tui::runner" && *meta.level() == tracing::Level::TRACE
    }));
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(marker))
        .expect("no other subscriber");

    let runtime = sagaview::async_runtime::build().expect("tokio runtime");
    let (key_frames_tx, key_frames) = mpsc::channel();
    let mut terminal = Terminal::new(FlushClock {
        inner: TestBackend::new(WIDTH, HEIGHT),
        key_taken,
        key_frames: key_frames_tx,
        flushes: flushes.clone(),
    })
    .expect("test backend");
    // Built inside the runtime: the demo clock reads the runtime's time.
    let backend = runtime.block_on(async {
        let options = EmbeddedOptions {
            seed: Some(7),
            pace: Pace::Demo,
            speed: SPEED,
        };
        Arc::new(
            EmbeddedBackend::new(Store::open_in_memory().expect("memory store"), options)
                .expect("embedded backend"),
        )
    });
    let options = TuiOptions {
        speed: SPEED,
        ..demo::options(false)
    };
    let app = App::new(backend.info(), &options);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let typist = {
        let (tx, backend, handle) = (tx.clone(), backend.clone(), runtime.handle().clone());
        let counters = (flushes, messages);
        std::thread::spawn(move || typist(plan, tx, key_frames, backend, handle, counters))
    };
    let app: App = runtime
        .block_on(runner::run_loop(&mut terminal, app, backend, tx, rx))
        .expect("the loop runs");
    let typed = typist.join().expect("the typist finished");
    runtime.shutdown_timeout(Duration::from_secs(1));

    assert_eq!(
        typed.running_at_start, plan.executions,
        "all launched before the first key"
    );
    assert_eq!(app.executions.len(), plan.executions);
    assert_eq!(
        app.running(),
        plan.executions,
        "all still run after the last key"
    );

    let mut sorted = typed.latencies.clone();
    sorted.sort();
    let n = sorted.len();
    let mean = sorted.iter().sum::<Duration>() / u32::try_from(n).unwrap_or(u32::MAX);
    let secs = typed.elapsed.as_secs_f64();
    println!(
        "key to frame, {WIDTH}x{HEIGHT}, {} executions running (demo pace {SPEED}x-{}x), {n} keys:",
        plan.executions,
        SPEED * 2.0
    );
    println!(
        "  p50 {}  p95 {}  p99 {}  max {}  (mean {})",
        ms(percentile(&sorted, 50.0)),
        ms(percentile(&sorted, 95.0)),
        ms(percentile(&sorted, 99.0)),
        ms(sorted[n - 1]),
        ms(mean)
    );
    println!(
        "  meanwhile the loop handled {:.0} messages/s and flushed {:.0} frames/s",
        typed.messages as f64 / secs,
        typed.frames as f64 / secs
    );
}
