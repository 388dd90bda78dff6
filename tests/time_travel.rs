//! Time travel through the real UI loop on the embedded backend: at every event of
//! every run type's history, the rows the UI shows equal the rows an independent
//! replay of the handlers' writes up to that event gives.
//!
//! The replay does not read the store's row versions: it walks the history, runs each
//! task's handler again on a table of its own with the payload the history records
//! (a compensation's random failure forced to what the history says happened), and
//! lets the task's writes show from the event that ends the task on.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use saga_lambdas::{Chance, Item, RunType, Step};
use sagaview::backend::embedded::{EmbeddedBackend, EmbeddedOptions};
use sagaview::backend::{Launch, SagaBackend};
use sagaview::engine::Pace;
use sagaview::history::{EventDetails, EventType, HistoryEvent};
use sagaview::store::Store;
use sagaview::tui::rows::RowMark;
use sagaview::tui::runner::Runner;
use sagaview::tui::{App, Msg, TuiOptions, demo};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// A roll that makes a compensation fail (`0`) or succeed (just below 1).
struct Forced(f64);

impl Chance for Forced {
    fn roll(&self) -> f64 {
        self.0
    }
}

/// The trip's rows right after each event id, from replaying the handlers' writes.
async fn replay(events: &[HistoryEvent], trip: &str) -> BTreeMap<u64, Vec<Item>> {
    let table = Store::open_in_memory().unwrap();
    let mut scheduled: Option<(Step, serde_json::Value)> = None;
    let mut expected = BTreeMap::new();
    for e in events {
        match (&e.event_type, &e.details) {
            (EventType::TaskScheduled, Some(EventDetails::TaskScheduled(d))) => {
                let params: serde_json::Value = serde_json::from_str(&d.parameters).unwrap();
                let function = params["FunctionName"].as_str().unwrap().to_owned();
                let step = Step::ALL
                    .into_iter()
                    .find(|s| {
                        function == s.function_name()
                            || function.ends_with(&format!(":{}", s.function_name()))
                    })
                    .unwrap_or_else(|| panic!("no step for {function}"));
                scheduled = Some((step, params["Payload"].clone()));
            }
            (EventType::TaskSucceeded | EventType::TaskFailed | EventType::TaskTimedOut, _) => {
                let (step, payload) = scheduled.take().expect("a task was scheduled");
                let failed = e.event_type != EventType::TaskSucceeded;
                let chance = Forced(if failed { 0.0 } else { 1.0 - f64::EPSILON });
                let _ =
                    saga_lambdas::handle(step, saga_lambdas::Env::new(&table, &chance), &payload)
                        .await;
            }
            _ => {}
        }
        expected.insert(e.id, table.query_trip_sync(trip).unwrap());
    }
    expected
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

/// The rows the panel shows as really there (not a deletion still struck through).
fn shown_rows(app: &App) -> Vec<Item> {
    app.rows
        .entries
        .iter()
        .filter(|e| e.mark != Some(RowMark::Deleted))
        .map(|e| e.item.clone())
        .collect()
}

/// Turns the loop until `done` holds after a message.
async fn until(
    runner: &mut Runner<'_, TestBackend>,
    what: &str,
    mut done: impl FnMut(&App, usize) -> bool,
) {
    let limit = Duration::from_secs(20);
    let deadline = tokio::time::Instant::now() + limit;
    while !done(runner.app(), runner.owed()) {
        let msg = tokio::time::timeout_at(deadline, runner.next())
            .await
            .unwrap_or_else(|_| panic!("waited {limit:?} for {what}"))
            .expect("the channel is open");
        assert!(
            runner.handle(msg).expect("the loop draws"),
            "the loop ended"
        );
    }
}

/// Whether the app shows the past rows of the cursor's event.
fn at_cursor(app: &App, owed: usize) -> bool {
    let Some(t) = app.travel() else {
        return false;
    };
    owed == 0
        && app
            .rows
            .past
            .as_ref()
            .is_some_and(|k| k.event_id == t.event_id)
}

/// One run, then every event of its history visited with `[` and `]`.
async fn check(store: Store, run_type: RunType, rate: f64, seed: u64) {
    let backend = EmbeddedBackend::new(
        store,
        EmbeddedOptions {
            seed: Some(seed),
            pace: Pace::Instant,
            speed: 1.0,
        },
    )
    .unwrap();
    let trip = format!("trip-tt{seed}");
    let arn = backend
        .start(Launch {
            run_type,
            trip_id: trip.clone(),
            cancel_failure_rate: rate,
        })
        .await
        .unwrap();
    backend.wait(&arn).await.unwrap();
    let events = backend.history_since(&arn, 0).await.unwrap();
    let expected = replay(&events, &trip).await;
    let case = format!("{run_type} at cancel failure rate {rate}, seed {seed}");

    let backend: Arc<dyn SagaBackend> = Arc::new(backend);
    let app = App::new(
        backend.info(),
        &TuiOptions {
            ..demo::options(true)
        },
    );
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut runner = Runner::new(&mut terminal, app, backend, tx.clone(), rx).unwrap();
    until(&mut runner, "the whole history", |app, owed| {
        owed == 0
            && app.graph.is_some()
            && app
                .selected_execution()
                .is_some_and(|e| e.view.events.len() == events.len())
    })
    .await;

    let len = events.len();
    let visit = |runner: &mut Runner<'_, TestBackend>| {
        let app = runner.app();
        let t = app.travel().expect("travelling");
        let want = &expected[&t.event_id];
        assert_eq!(
            &shown_rows(app),
            want,
            "{case}: rows after event {} ({:?})",
            t.event_id,
            events[t.index].event_type
        );
        // The graph, narration and header read the view at the cursor.
        assert_eq!(app.shown_view().unwrap().events.len(), t.index + 1);
    };
    // Back from the end to the first event, then forward to the last one.
    for (keys, steps) in [('[', len - 1), (']', len - 1)] {
        for _ in 0..steps {
            assert!(runner.handle(key(keys)).unwrap());
            until(&mut runner, "the past rows", at_cursor).await;
            visit(&mut runner);
        }
    }
    let last = runner.app().travel().unwrap().event_id;
    assert_eq!(last, events[len - 1].id, "{case}");
    // At the last event the rows are those the run left.
    assert_eq!(shown_rows(runner.app()), expected[&last], "{case}");

    // Polls of the present do not take the panel back while travelling.
    assert!(runner.handle(key('[')).unwrap());
    until(&mut runner, "the past rows", at_cursor).await;
    let (before, held) = {
        let app = runner.app();
        (app.travel().unwrap().event_id, shown_rows(app))
    };
    let mut ticks = 0;
    until(&mut runner, "a few polls", |_, _| {
        ticks += 1;
        ticks > 12
    })
    .await;
    assert_eq!(runner.app().travel().unwrap().event_id, before);
    assert_eq!(shown_rows(runner.app()), held, "{case}: rows flickered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_of_every_run_type_shows_the_replayed_rows() {
    // A rate of 0.5 makes some compensations fail and retry, 1 makes them give up.
    for (n, run_type) in RunType::ALL.into_iter().enumerate() {
        for (m, rate) in [0.0, 0.5, 1.0].into_iter().enumerate() {
            let seed = (n * 3 + m) as u64 + 1;
            check(Store::open_in_memory().unwrap(), run_type, rate, seed).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_durable_store_tags_rows_as_exactly() {
    for (n, run_type) in [RunType::FailFlightsConfirmation, RunType::FailPayment]
        .into_iter()
        .enumerate()
    {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("tt.db")).unwrap();
        check(store, run_type, 0.5, 40 + n as u64).await;
    }
}

/// The embedded runtime behind a backend that keeps no past rows, as AWS: every
/// call but `rows_at` (left to the trait's default) is the runtime's.
struct NoPastRows(EmbeddedBackend);

impl SagaBackend for NoPastRows {
    fn info(&self) -> sagaview::backend::BackendInfo {
        self.0.info()
    }
    fn definition<'a>(
        &'a self,
        arn: Option<&'a str>,
    ) -> sagaview::future::BoxFuture<
        'a,
        Result<Arc<sagaview::asl::Definition>, sagaview::backend::BackendError>,
    > {
        self.0.definition(arn)
    }
    fn start(
        &self,
        launch: Launch,
    ) -> sagaview::future::BoxFuture<'_, Result<String, sagaview::backend::BackendError>> {
        self.0.start(launch)
    }
    fn history_since<'a>(
        &'a self,
        arn: &'a str,
        after: u64,
    ) -> sagaview::future::BoxFuture<'a, Result<Vec<HistoryEvent>, sagaview::backend::BackendError>>
    {
        self.0.history_since(arn, after)
    }
    fn describe<'a>(
        &'a self,
        arn: &'a str,
    ) -> sagaview::future::BoxFuture<
        'a,
        Result<sagaview::backend::ExecutionSummary, sagaview::backend::BackendError>,
    > {
        self.0.describe(arn)
    }
    fn list_executions(
        &self,
        limit: usize,
    ) -> sagaview::future::BoxFuture<
        '_,
        Result<Vec<sagaview::backend::ExecutionSummary>, sagaview::backend::BackendError>,
    > {
        self.0.list_executions(limit)
    }
    fn rows<'a>(
        &'a self,
        trip: &'a str,
    ) -> sagaview::future::BoxFuture<'a, Result<Vec<Item>, sagaview::backend::BackendError>> {
        self.0.rows(trip)
    }
    fn stop<'a>(
        &'a self,
        arn: &'a str,
    ) -> sagaview::future::BoxFuture<'a, Result<(), sagaview::backend::BackendError>> {
        self.0.stop(arn)
    }
    fn send_task_success<'a>(
        &'a self,
        token: &'a str,
        output: &'a str,
    ) -> sagaview::future::BoxFuture<'a, Result<(), sagaview::backend::BackendError>> {
        self.0.send_task_success(token, output)
    }
    fn send_task_failure<'a>(
        &'a self,
        token: &'a str,
        error: Option<&'a str>,
        cause: Option<&'a str>,
    ) -> sagaview::future::BoxFuture<'a, Result<(), sagaview::backend::BackendError>> {
        self.0.send_task_failure(token, error, cause)
    }
    fn send_task_heartbeat<'a>(
        &'a self,
        token: &'a str,
    ) -> sagaview::future::BoxFuture<'a, Result<(), sagaview::backend::BackendError>> {
        self.0.send_task_heartbeat(token)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_past_rows_the_panel_says_it_shows_the_current_ones() {
    let inner = EmbeddedBackend::new(
        Store::open_in_memory().unwrap(),
        EmbeddedOptions {
            seed: Some(3),
            pace: Pace::Instant,
            speed: 1.0,
        },
    )
    .unwrap();
    let arn = inner
        .start(Launch {
            run_type: RunType::Success,
            trip_id: "trip-aws".into(),
            cancel_failure_rate: 0.0,
        })
        .await
        .unwrap();
    inner.wait(&arn).await.unwrap();
    let finished = inner.store().get_execution(&arn).unwrap().unwrap();
    let events = inner.history_since(&arn, 0).await.unwrap();
    let backend: Arc<dyn SagaBackend> = Arc::new(NoPastRows(inner));
    let app = App::new(backend.info(), &demo::options(true));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut runner = Runner::new(&mut terminal, app, backend, tx, rx).unwrap();
    until(&mut runner, "the whole history", |app, owed| {
        owed == 0
            && app
                .selected_execution()
                .is_some_and(|e| e.view.events.len() == events.len())
    })
    .await;
    let current = shown_rows(runner.app());
    assert_eq!(current.len(), 3, "{}", finished.execution_arn);
    // Back to the start: the rows stay the current ones, and the panel says so.
    for _ in 0..events.len() {
        assert!(runner.handle(key('[')).unwrap());
    }
    until(&mut runner, "the rows' answer", at_cursor).await;
    assert_eq!(runner.app().travel().unwrap().index, 0);
    assert_eq!(shown_rows(runner.app()), current);
    let screen = demo::to_text(runner.terminal().backend().buffer());
    assert!(
        screen.contains("current rows: past rows cannot be read on AWS"),
        "{screen}"
    );
}

/// Stepping back shows the rows as they were, unmarked (a mark would read backwards:
/// `confirmed → pending`); stepping forward marks what that step changed, as live.
#[test]
fn a_step_back_shows_rows_unmarked_and_a_step_forward_marks_the_change() {
    use sagaview::backend::RowsAt;
    use sagaview::tui::Cmd;
    use sagaview::view::sample::{self, Scenario};

    let mut app = demo::app(
        demo::DemoScreen::SuccessFinished,
        &demo::options(true),
        120,
        40,
    );
    let row = |sk: &str, status: &str| -> Item {
        saga_lambdas::item::string_item([
            ("pk", sample::TRIP_ID.to_string()),
            ("sk", sk.to_string()),
            ("transaction_status", status.to_string()),
        ])
    };
    let press = |app: &mut App, c: char| {
        app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )))
    };
    let asked = |cmds: Vec<Cmd>| {
        cmds.into_iter()
            .find_map(|c| match c {
                Cmd::FetchRowsAt(key) => Some(key),
                _ => None,
            })
            .expect("past rows asked for")
    };
    let marks = |app: &App| -> Vec<Option<RowMark>> {
        app.rows.entries.iter().map(|e| e.mark.clone()).collect()
    };
    assert_eq!(app.rows.live_count(), sample::rows(Scenario::Success).len());

    // From the present into the past: as they were, nothing marked.
    let back = asked(press(&mut app, '['));
    app.update(Msg::RowsAt {
        at: back.clone(),
        result: Ok(RowsAt::Past(vec![row("HOTEL#1", "pending")])),
    });
    assert_eq!(marks(&app), [None], "{:?}", app.rows.entries);
    // One step further back: the hotel row was not written yet; it is not shown struck
    // through, it is simply not there.
    let further = asked(press(&mut app, '['));
    assert!(further.event_id < back.event_id);
    app.update(Msg::RowsAt {
        at: further,
        result: Ok(RowsAt::Past(vec![])),
    });
    assert!(app.rows.entries.is_empty(), "{:?}", app.rows.entries);
    // Forward again: the step's write is marked new, as it was live.
    let forward = asked(press(&mut app, ']'));
    assert_eq!(forward, back);
    app.update(Msg::RowsAt {
        at: forward,
        result: Ok(RowsAt::Past(vec![row("HOTEL#1", "pending")])),
    });
    assert_eq!(marks(&app), [Some(RowMark::New)]);
}
