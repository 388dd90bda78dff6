//! Keys pressed faster than launches answer, through the real loop on the embedded
//! runtime: whatever order the answers come back in, header, graph, history and rows
//! all describe one execution, the one the last key chose.

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use futures_util::FutureExt;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use saga_lambdas::Item;
use saga_lambdas::RunType;
use sagaview::asl::Definition;
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::backend::{
    BackendError, BackendInfo, ClockControl, ExecutionSummary, Launch, SagaBackend,
};
use sagaview::engine::Pace;
use sagaview::future::BoxFuture;
use sagaview::history::{EventDetails, HistoryEvent};
use sagaview::store::Store;
use sagaview::tui::app::Mode;
use sagaview::tui::keymap::{self, Action};
use sagaview::tui::runner::Runner;
use sagaview::tui::{App, Msg, TuiOptions, demo};
use support::tui::screen;

/// The embedded backend with answers that take a random while, as a network's do:
/// launches answer out of the order they were asked in, and polls come back late.
struct Latency {
    inner: EmbeddedBackend,
    rng: Mutex<StdRng>,
}

impl Latency {
    fn delay(&self, max_ms: u64) -> tokio::time::Sleep {
        let ms = self
            .rng
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .random_range(0..=max_ms);
        tokio::time::sleep(Duration::from_millis(ms))
    }
}

impl SagaBackend for Latency {
    fn info(&self) -> BackendInfo {
        self.inner.info()
    }

    fn definition<'a>(
        &'a self,
        execution_arn: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Arc<Definition>, BackendError>> {
        self.inner.definition(execution_arn)
    }

    fn start(&self, launch: Launch) -> BoxFuture<'_, Result<String, BackendError>> {
        Box::pin(async move {
            let arn = self.inner.start(launch).await;
            self.delay(40).await;
            arn
        })
    }

    fn history_since<'a>(
        &'a self,
        execution_arn: &'a str,
        after_id: u64,
    ) -> BoxFuture<'a, Result<Vec<HistoryEvent>, BackendError>> {
        Box::pin(async move {
            let events = self.inner.history_since(execution_arn, after_id).await;
            self.delay(15).await;
            events
        })
    }

    fn describe<'a>(
        &'a self,
        execution_arn: &'a str,
    ) -> BoxFuture<'a, Result<ExecutionSummary, BackendError>> {
        self.inner.describe(execution_arn)
    }

    fn list_executions(
        &self,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<ExecutionSummary>, BackendError>> {
        Box::pin(async move {
            let list = self.inner.list_executions(limit).await;
            self.delay(15).await;
            list
        })
    }

    fn rows<'a>(&'a self, trip_id: &'a str) -> BoxFuture<'a, Result<Vec<Item>, BackendError>> {
        Box::pin(async move {
            let rows = self.inner.rows(trip_id).await;
            self.delay(15).await;
            rows
        })
    }

    fn stop<'a>(&'a self, execution_arn: &'a str) -> BoxFuture<'a, Result<(), BackendError>> {
        self.inner.stop(execution_arn)
    }

    fn send_task_success<'a>(
        &'a self,
        task_token: &'a str,
        output: &'a str,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        self.inner.send_task_success(task_token, output)
    }

    fn send_task_failure<'a>(
        &'a self,
        task_token: &'a str,
        error: Option<&'a str>,
        cause: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        self.inner.send_task_failure(task_token, error, cause)
    }

    fn send_task_heartbeat<'a>(
        &'a self,
        task_token: &'a str,
    ) -> BoxFuture<'a, Result<(), BackendError>> {
        self.inner.send_task_heartbeat(task_token)
    }

    fn set_speed(&self, speed: f64) {
        self.inner.set_speed(speed);
    }

    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock_now()
    }

    fn clock_control(&self) -> Option<&dyn ClockControl> {
        self.inner.clock_control()
    }
}

const BURSTS: usize = 50;
/// How long one burst may take to settle; it takes a fraction of a second.
const SETTLE: Duration = Duration::from_secs(30);

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn char_key(c: char) -> Msg {
    key(KeyCode::Char(c))
}

/// One burst of keys, as a user hammering the keyboard types them: mostly launches,
/// with relaunches, trip changes, pause and step, panel and cursor moves and the
/// failure rate mixed in.
fn burst(rng: &mut StdRng, n: usize) -> Vec<Msg> {
    let len = rng.random_range(4..13);
    let mut keys = Vec::new();
    for k in 0..len {
        match rng.random_range(0..20) {
            0..=7 => keys.push(char_key(char::from(b'1' + rng.random_range(0..6u8)))),
            8 => keys.push(key(KeyCode::Enter)),
            9 => keys.push(char_key('y')),
            10 => keys.push(char_key('n')),
            11 => {
                keys.push(char_key('t'));
                // The editor starts from the trip fixed so far: clear it first.
                keys.push(Msg::Key(KeyEvent::new(
                    KeyCode::Char('u'),
                    KeyModifiers::CONTROL,
                )));
                keys.extend(format!("burst-{n:02}-{k:02}").chars().map(char_key));
                keys.push(key(KeyCode::Enter));
            }
            12 => keys.push(char_key('p')),
            13 => keys.push(char_key('.')),
            14..=15 => keys.push(key(KeyCode::Tab)),
            16 => keys.push(key(KeyCode::Up)),
            17 => keys.push(key(KeyCode::Down)),
            18 => keys.push(Msg::Key(KeyEvent::new(
                [KeyCode::Left, KeyCode::Right][rng.random_range(0..2usize)],
                KeyModifiers::SHIFT,
            ))),
            _ => keys.push(char_key('c')),
        }
    }
    keys
}

/// What the last key that chose an execution asked for.
#[derive(Debug, Clone)]
enum Choice {
    /// Launch number `seq`, of this run type, on this trip (`None`: a fresh one).
    Launch {
        seq: u64,
        run_type: RunType,
        trip: Option<String>,
    },
    /// This execution, picked from the list.
    Picked(String),
}

/// The real loop, turned by the test, with what the keys asked for and what the
/// launches answered.
struct Session<'t> {
    runner: Runner<'t, TestBackend>,
    tx: tokio::sync::mpsc::UnboundedSender<Msg>,
    choice: Option<Choice>,
    /// Launch answers by launch number.
    answered: HashMap<u64, Launch>,
    arns: HashMap<u64, String>,
    /// The keys of the current burst, for failure messages.
    typed: Vec<String>,
    /// Keys sent to the loop, and keys it has handled.
    sent: usize,
    handled: usize,
}

impl Session<'_> {
    fn app(&self) -> &App {
        self.runner.app()
    }

    /// Applies one message as the loop does, noting launch answers and what a key
    /// chose.
    fn apply(&mut self, msg: Msg) {
        let app = self.runner.app();
        let launches = app.launches;
        let picks = match &msg {
            Msg::Key(k) => {
                self.handled += 1;
                self.typed.push(format!("{:?}", k.code));
                keymap::action_for(k, app.context()) == Some(Action::SelectExecution)
                    && !app.executions.is_empty()
            }
            _ => false,
        };
        if let Msg::Started {
            seq,
            launch,
            result,
        } = &msg
        {
            let arn = result.as_ref().expect("launches succeed").clone();
            assert!(
                self.answered.insert(*seq, launch.clone()).is_none(),
                "launch {seq} answered twice"
            );
            self.arns.insert(*seq, arn);
        }
        assert!(
            self.runner.handle(msg).expect("the loop draws"),
            "the loop ended"
        );
        let app = self.runner.app();
        if app.launches > launches {
            self.choice = Some(Choice::Launch {
                seq: app.launches,
                run_type: app.run_type,
                trip: app.fixed_trip.clone(),
            });
        } else if picks {
            let arn = app.selected.clone().expect("a pick selects");
            self.choice = Some(Choice::Picked(arn));
        }
    }

    /// Turns the loop on whatever is already queued, without waiting.
    fn drain(&mut self, at_most: usize) {
        for _ in 0..at_most {
            match self.runner.next().now_or_never() {
                Some(Some(msg)) => self.apply(msg),
                _ => return,
            }
        }
    }

    /// Turns the loop (ticks included) until `done`; fails with the screen after
    /// [`SETTLE`].
    async fn until(&mut self, what: &str, done: impl Fn(&Self) -> bool) {
        let deadline = tokio::time::Instant::now() + SETTLE;
        while !done(self) {
            match tokio::time::timeout_at(deadline, self.runner.next()).await {
                Ok(Some(msg)) => self.apply(msg),
                Ok(None) => panic!("the loop's channel closed"),
                Err(_) => panic!(
                    "waited {SETTLE:?} for {what} after {:?}; the screen:\n{}",
                    self.typed,
                    screen(&self.runner).join("\n")
                ),
            }
        }
    }

    fn send(&mut self, msg: Msg) {
        self.sent += 1;
        self.tx.send(msg).expect("the loop is listening");
    }

    /// Every key is handled, every answer is in, no overlay is open, and the selected
    /// execution shows its history (a paused one is stepped to its first event).
    async fn settle(&mut self) {
        loop {
            self.until("every key handled and every backend call answered", |s| {
                s.handled == s.sent && s.runner.owed() == 0
            })
            .await;
            let app = self.app();
            if app.mode != Mode::Normal {
                self.send(key(KeyCode::Esc));
                continue;
            }
            let Some(e) = app.selected_execution() else {
                return;
            };
            if !e.view.events.is_empty() {
                return;
            }
            if app.paused && e.is_running() {
                self.send(char_key('.'));
                continue;
            }
            let arn = e.arn.clone();
            self.until("the selected execution's history", |s| {
                s.app()
                    .selected_execution()
                    .is_none_or(|e| e.arn != arn || !e.view.events.is_empty())
            })
            .await;
        }
    }

    /// The execution the last choosing key asked for: its ARN, run type and trip.
    fn expected(&self, fresh_trips: &mut HashSet<String>) -> (String, String, String) {
        match self
            .choice
            .clone()
            .expect("every burst starts with a launch")
        {
            Choice::Launch {
                seq,
                run_type,
                trip,
            } => {
                let launch = &self.answered[&seq];
                assert_eq!(
                    launch.run_type, run_type,
                    "launch {seq} asked for {run_type}"
                );
                match trip {
                    Some(trip) => assert_eq!(launch.trip_id, trip, "launch {seq}'s trip"),
                    None => {
                        assert!(
                            !launch.trip_id.starts_with("burst-"),
                            "launch {seq} should book a fresh trip, booked {}",
                            launch.trip_id
                        );
                        fresh_trips.insert(launch.trip_id.clone());
                    }
                }
                (
                    self.arns[&seq].clone(),
                    run_type.to_string(),
                    launch.trip_id.clone(),
                )
            }
            Choice::Picked(arn) => {
                let e = self
                    .app()
                    .executions
                    .iter()
                    .find(|e| e.arn == arn)
                    .expect("the picked execution is listed");
                (
                    arn,
                    e.run_type.clone().expect("a run type"),
                    e.trip_id.clone().expect("a trip"),
                )
            }
        }
    }

    /// Header, graph, history and rows all describe the expected execution.
    fn check(&self, n: usize, expected: &(String, String, String)) {
        let (arn, run_type, trip) = expected;
        let app = self.app();
        let lines = screen(&self.runner);
        let shown = lines.join("\n");
        let why = format!("burst {n} {:?}\n{shown}", self.typed);
        let e = app.selected_execution().expect("an execution is selected");
        assert_eq!(&e.arn, arn, "the selected execution; {why}");
        assert_eq!(e.run_type.as_deref(), Some(run_type.as_str()), "{why}");
        assert_eq!(e.trip_id.as_deref(), Some(trip.as_str()), "{why}");
        // Header, line 2: run type and trip of the selected execution.
        assert!(
            lines[1].contains(&format!("▶ {run_type} · {trip} · ")),
            "header line 2: {why}"
        );
        // The graph's title names the same run type.
        assert!(
            lines[3].contains(&format!("State graph {run_type} ")),
            "graph title: {why}"
        );
        // The history is this execution's: its input books this trip for this run type.
        let first = e.view.events.first().expect("a history");
        let Some(EventDetails::ExecutionStarted(started)) = &first.details else {
            panic!("the history starts with ExecutionStarted: {first:?}; {why}");
        };
        let (input_run_type, input_trip) = ExecutionSummary::labels_from_input(&started.input);
        assert_eq!(input_run_type.as_deref(), Some(run_type.as_str()), "{why}");
        assert_eq!(input_trip.as_deref(), Some(trip.as_str()), "{why}");
        assert!(
            lines[3].contains(&format!("Event history {} ", e.view.events.len())),
            "history title counts this history: {why}"
        );
        // The rows are this trip's.
        assert_eq!(app.rows.trip_id, *trip, "{why}");
        assert!(
            shown.contains(&format!("Rows of trip {trip} ({run_type})")),
            "rows title: {why}"
        );
    }
}

/// 50 bursts of mixed keys, each typed ahead of the answers (all queued at once, or
/// with only the messages already there handled between two keys); after each burst,
/// once every answer is in, the screen describes the execution the last choosing key
/// asked for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_of_keys_leave_one_execution_on_screen() {
    let began = Instant::now();
    let inner = EmbeddedBackend::new(
        Store::open_in_memory().expect("memory store"),
        EmbeddedOptions {
            seed: Some(17),
            pace: Pace::Demo,
            speed: 100.0,
        },
    )
    .expect("embedded backend");
    let backend: Arc<dyn SagaBackend> = Arc::new(Latency {
        inner,
        rng: Mutex::new(StdRng::seed_from_u64(5)),
    });
    let options = TuiOptions {
        pace: Some(Pace::Demo),
        speed: 100.0,
        ..demo::options(true)
    };
    let app = App::new(backend.info(), &options);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let runner = Runner::new(&mut terminal, app, backend, tx.clone(), rx).expect("first frame");
    let mut s = Session {
        runner,
        tx,
        choice: None,
        answered: HashMap::new(),
        arns: HashMap::new(),
        typed: Vec::new(),
        sent: 0,
        handled: 0,
    };
    s.until("the definition", |s| s.app().graph.is_some()).await;
    let mut rng = StdRng::seed_from_u64(2024);
    let mut fresh = HashSet::new();
    for n in 0..BURSTS {
        s.typed.clear();
        let mut keys = burst(&mut rng, n);
        if n == 0 {
            // 1 4 2 5 pressed quickly: what once left the graph on another run type.
            keys.splice(0..0, "1425".chars().map(char_key));
        }
        let typed_ahead = rng.random_range(0..2) == 0;
        for k in keys {
            s.send(k);
            if !typed_ahead {
                let at_most = rng.random_range(0..4);
                s.drain(at_most);
            }
        }
        s.settle().await;
        let expected = s.expected(&mut fresh);
        s.check(n, &expected);
        // Leave the next burst running time.
        if s.app().paused {
            s.send(char_key('p'));
            s.until("resumed", |s| !s.app().paused).await;
        }
    }
    let launched = s.app().launches;
    assert!(
        launched >= 100,
        "only {launched} launches in {BURSTS} bursts"
    );
    assert_eq!(
        s.answered.len() as u64,
        launched,
        "every launch was answered"
    );
    // Each launch without a fixed trip booked a trip of its own.
    let unfixed: Vec<&str> = s
        .answered
        .values()
        .map(|l| l.trip_id.as_str())
        .filter(|t| !t.starts_with("burst-"))
        .collect();
    let distinct: HashSet<&str> = unfixed.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        unfixed.len(),
        "a fresh trip was booked twice"
    );
    assert!(
        !fresh.is_empty() && unfixed.len() < s.answered.len(),
        "both kinds of trips"
    );
    let elapsed = began.elapsed();
    assert!(
        elapsed < Duration::from_secs(60),
        "the bursts took {elapsed:?}"
    );
}
