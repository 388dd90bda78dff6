//! The whole UI state and its one transition function, [`App::update`]: pure and
//! synchronous, so every key and every backend answer can be tested without a terminal.
//!
//! `update` only dispatches: keys and the mouse are handled in `keys`, the trip editor
//! in `trip_editor`, the passing of time (polls) in `tick`, backend answers in
//! `answers`.

mod answers;
mod approval;
mod execution;
mod graph;
mod history_list;
mod inspect;
mod keys;
mod load;
mod mode;
mod redrive;
mod tick;
mod timeline;
mod travel;
mod trip_editor;

use std::path::Path;
use std::sync::Arc;

use crossterm::event::KeyEventKind;
use saga_lambdas::RunType;

pub use self::execution::Execution;
pub use self::graph::GraphModel;
pub use self::load::{LOAD_CONCURRENCY, LOAD_COUNT, LoadRun};
pub use self::mode::{Mode, Pending};
pub use self::tick::{
    AWS_LIST_BUSY_MS, AWS_LIST_IDLE_MS, AWS_POLL_MS, DEFINITION_RETRY_MS, POLL_MS,
};
pub use self::timeline::AXIS_ROWS;
pub use self::travel::Travel;
use super::TuiOptions;
use super::geometry;
use super::keymap::{Context, Focus};
use super::msg::{Cmd, LaunchRequest, Msg};
use super::poll::Poll;
use super::rows::RowsState;
use super::theme::Palette;
use crate::backend::{BackendInfo, BackendKind, SagaMachine};
use crate::engine::Pace;
use crate::fast_map::FastMap;
use crate::view::VerdictLevel;
use chrono::{DateTime, Utc};

/// How long a notice (e.g. a backend error) stays in the header.
pub const NOTICE_MS: u64 = 6_000;
/// Cancel failure rates `c` cycles through.
pub const RATES: [f64; 3] = [0.0, 0.4, 1.0];
/// Demo speeds `+` / `-` step through.
pub const SPEEDS: [f64; 9] = [0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0];
/// Finished executions whose full history stays in memory besides the selected one; a
/// workshop can run thousands of sagas without the UI growing.
pub const KEPT_HISTORIES: usize = 16;

/// Everything the screen shows.
#[derive(Debug, Clone)]
pub struct App {
    /// Connection facts.
    pub info: BackendInfo,
    /// The trip every launch books, when fixed (`--trip-id`, `t`); `None` gives each
    /// launch a fresh trip (`n` returns to that).
    pub fixed_trip: Option<String>,
    /// The run type `Enter` relaunches.
    pub run_type: RunType,
    /// The state machine it runs on (the digits after 6 choose the approval one).
    pub machine: SagaMachine,
    /// Probability that a compensation fails.
    pub cancel_failure_rate: f64,
    /// How fast paced time runs.
    pub speed: f64,
    /// The embedded runtime's pace; `None` where time is real (AWS).
    pub pace: Option<Pace>,
    /// Whether the runtime's execution time is paused.
    pub paused: bool,
    /// The backend's execution time at the last tick (countdowns count against it).
    pub clock: Option<DateTime<Utc>>,
    /// Whether the focused panel fills the screen.
    pub zoomed: bool,
    /// The number of the latest launch asked for: its answer is the one selected.
    pub launches: u64,
    /// Whether that answer is still to be selected: an execution picked from the list
    /// after the launch keeps the screen.
    launch_selects: bool,
    /// Resolved styles.
    pub palette: Palette,
    /// The panel with the keyboard.
    pub focus: Focus,
    /// Overlay / input mode.
    pub mode: Mode,
    /// The definition's graph, once loaded.
    pub graph: Option<GraphModel>,
    /// The backend's saga definition, drawn for an execution without one of its own
    /// (the other machine's executions have theirs).
    saga_definition: Option<Arc<crate::asl::Definition>>,
    /// Known executions, newest first.
    pub executions: Vec<Execution>,
    /// Where each of `executions` is, by ARN: the list only grows (a workshop lists
    /// thousands), and every frame looks the viewed execution up. Rebuilt by
    /// [`App::reindex`] whenever the list is reordered.
    positions: FastMap<String, usize>,
    /// The execution whose graph and history are shown.
    pub selected: Option<String>,
    /// Cursor in the executions list.
    pub exec_cursor: usize,
    /// Cursor in the history list.
    pub history_cursor: usize,
    /// Whether the history cursor follows new events.
    pub follow: bool,
    /// The history's `/` filter as typed (empty: every event).
    pub history_filter: String,
    history_list: history_list::HistoryList,
    /// The rows of the selected execution's trip.
    pub rows: RowsState,
    /// The state selected in the graph (arrows, a click, the history cursor), by name;
    /// the inspector opens on it.
    pub selected_state: Option<String>,
    /// Manual graph offset; `None` keeps the active state in view.
    pub graph_pan: Option<(u16, u16)>,
    /// Whether the graph panel shows the timeline instead of the state graph.
    pub timeline: bool,
    /// First visit the timeline shows; `None` keeps the cursor's visit in view.
    pub timeline_scroll: Option<usize>,
    /// The latest crowd of sagas `L` started.
    pub load: Option<LoadRun>,
    /// Whether the graph panel shows the load panel (over the graph or the timeline).
    pub load_shown: bool,
    /// How many sagas `L` starts.
    pub load_count: usize,
    /// A message for the header (level, text, when).
    pub notice: Option<(VerdictLevel, String, u64)>,
    /// What `y` last copied and when: the header shows it whole for a while, for a
    /// terminal that ignores the copy (OSC 52) to be selected by hand.
    pub copied: Option<(String, u64)>,
    /// "the store failed: <file>: <OS error>" once the backend's store has failed:
    /// shown in the header, and launches are refused while it lasts.
    pub store_fault: Option<String>,
    /// UI clock (ms since start).
    pub now_ms: u64,
    /// Terminal size.
    pub size: (u16, u16),
    /// Set once the user quit.
    pub quitting: bool,
    /// Where `x` saves executions.
    pub export_dir: std::path::PathBuf,
    rows_poll: Poll,
    list_poll: Poll,
    definition_poll: Poll,
    /// The selected execution as it was right after the cursor's event, while
    /// travelling (see [`App::shown_view`]).
    travel: Option<Travel>,
    /// The past rows asked for and not yet answered.
    rows_at_asked: Option<super::msg::RowsKey>,
}

fn next_in(list: &[f64], current: f64) -> f64 {
    list.iter()
        .copied()
        .find(|&v| v > current + 1e-9)
        .unwrap_or(list[0])
}

impl App {
    /// A fresh UI for a backend, with the options' trip, run type, rate, speed and theme.
    pub fn new(info: BackendInfo, options: &TuiOptions) -> Self {
        Self {
            info,
            fixed_trip: options.trip_id.clone(),
            run_type: options.run_type,
            machine: SagaMachine::Booking,
            cancel_failure_rate: options.cancel_failure_rate,
            speed: options.speed,
            pace: options.pace,
            paused: false,
            clock: None,
            zoomed: false,
            launches: 0,
            launch_selects: true,
            palette: Palette::new(options.theme, options.no_color),
            focus: Focus::default(),
            mode: Mode::default(),
            graph: None,
            saga_definition: None,
            executions: Vec::new(),
            positions: FastMap::default(),
            selected: None,
            exec_cursor: 0,
            history_cursor: 0,
            follow: true,
            history_filter: String::new(),
            history_list: history_list::HistoryList::default(),
            rows: RowsState::default(),
            selected_state: None,
            graph_pan: None,
            timeline: false,
            timeline_scroll: None,
            load: None,
            load_shown: false,
            load_count: LOAD_COUNT,
            notice: None,
            copied: None,
            store_fault: None,
            now_ms: 0,
            size: geometry::MIN_SIZE,
            quitting: false,
            export_dir: options
                .export_dir
                .clone()
                .unwrap_or_else(|| std::path::PathBuf::from(".")),
            rows_poll: Poll::default(),
            list_poll: Poll::default(),
            definition_poll: Poll::default(),
            travel: None,
            rows_at_asked: None,
        }
    }

    /// What to fetch first: the definition and the execution list (whose newest entry
    /// is then selected, with its trip's rows).
    pub fn startup(&mut self) -> Vec<Cmd> {
        self.list_poll.start(self.now_ms);
        self.definition_poll.start(self.now_ms);
        vec![Cmd::LoadDefinition, Cmd::ListExecutions]
    }

    /// The header's backend label (`embedded`, `aws us-east-1`).
    pub fn backend_label(&self) -> String {
        match &self.info.kind {
            BackendKind::Embedded => "embedded".into(),
            BackendKind::Aws { region } => format!("aws {region}"),
            BackendKind::File { name } => format!("{name} · read-only"),
        }
    }

    /// Whether a saved execution is shown: nothing can be launched, stopped or paused.
    pub fn read_only(&self) -> bool {
        matches!(self.info.kind, BackendKind::File { .. })
    }

    /// Refuses what a saved execution cannot do, saying why (the header names the file).
    fn refuse_read_only(&mut self, what: &str) -> Vec<Cmd> {
        self.notify(
            VerdictLevel::Warning,
            format!("read-only: {what} in a saved execution"),
        )
    }

    /// Saves the selected execution to a new file (`x`).
    fn export(&mut self) -> Vec<Cmd> {
        match &self.selected {
            Some(arn) => vec![Cmd::Export {
                arn: arn.clone(),
                dir: self.export_dir.clone(),
            }],
            None => self.notify(
                VerdictLevel::Warning,
                "nothing to save: no execution is selected".into(),
            ),
        }
    }

    fn on_exported(&mut self, result: Result<std::path::PathBuf, String>) -> Vec<Cmd> {
        match result {
            Ok(path) => {
                // Relative to where sagaview started when it is there: shorter to read.
                let shown = std::env::current_dir()
                    .ok()
                    .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| Path::new(".").join(p)))
                    .unwrap_or(path);
                self.notify(VerdictLevel::Ok, format!("saved to {}", shown.display()))
            }
            Err(e) => self.notify(VerdictLevel::Error, format!("not saved: {e}")),
        }
    }

    /// The execution being viewed.
    pub fn selected_execution(&self) -> Option<&Execution> {
        self.execution(self.selected.as_deref()?)
    }

    /// Where the execution is in the list.
    fn position(&self, arn: &str) -> Option<usize> {
        let &i = self.positions.get(arn)?;
        self.executions
            .get(i)
            .is_some_and(|e| e.arn == arn)
            .then_some(i)
    }

    fn execution(&self, arn: &str) -> Option<&Execution> {
        self.position(arn).map(|i| &self.executions[i])
    }

    fn execution_mut(&mut self, arn: &str) -> Option<&mut Execution> {
        self.position(arn).map(|i| &mut self.executions[i])
    }

    /// Records where every execution is, after the list was reordered.
    fn reindex(&mut self) {
        self.positions.clear();
        for (i, e) in self.executions.iter().enumerate() {
            self.positions.insert(e.arn.clone(), i);
        }
    }

    /// How many executions are running (quitting then asks first).
    pub fn running(&self) -> usize {
        self.executions.iter().filter(|e| e.is_running()).count()
    }

    fn is_aws(&self) -> bool {
        matches!(self.info.kind, BackendKind::Aws { .. })
    }

    /// Whether the screen is below the supported minimum.
    pub fn too_small(&self) -> bool {
        geometry::too_small(self.size)
    }

    /// The panel that fills the screen, when zoomed.
    pub fn zoom(&self) -> Option<Focus> {
        self.zoomed.then_some(self.focus)
    }

    /// Which bindings apply now.
    pub fn context(&self) -> Context {
        self.mode.context(self.focus)
    }

    /// The one transition: applies a message, returns the work to do.
    pub fn update(&mut self, msg: Msg) -> Vec<Cmd> {
        let mut cmds = self.dispatch(msg);
        // The cursor lands on an event the filter shows before the travel follows it.
        self.refresh_history_list();
        cmds.extend(self.sync_travel());
        cmds
    }

    fn dispatch(&mut self, msg: Msg) -> Vec<Cmd> {
        match msg {
            Msg::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            Msg::Key(_) => vec![],
            Msg::Mouse(m) => self.on_mouse(m),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                vec![]
            }
            Msg::Tick { now_ms, clock } => {
                self.clock = Some(clock);
                self.on_tick(now_ms)
            }
            Msg::Definition(result) => self.on_definition(result),
            Msg::ExecutionDefinition { arn, result } => self.on_execution_definition(&arn, result),
            Msg::Started {
                seq,
                launch,
                result,
            } => self.on_started(seq, launch, result),
            Msg::History { arn, result } => self.on_history(&arn, result),
            Msg::StoreFault(fault) => {
                self.store_fault = fault;
                vec![]
            }
            Msg::Executions(result) => self.on_executions(result),
            Msg::Rows {
                trip_id,
                for_verdict,
                result,
            } => self.on_rows(trip_id, for_verdict, result),
            Msg::RowsAt { at, result } => self.on_rows_at(at, result),
            Msg::Stopped { arn, result } => self.on_stopped(&arn, result),
            Msg::Redriven { arn, result } => self.on_redriven(&arn, result),
            Msg::RateSet { rate, result } => self.on_rate_set(rate, result),
            Msg::Paused(result) => self.on_paused(result),
            Msg::Stepped { arn, result } => self.on_stepped(&arn, result),
            Msg::Exported { result, .. } => self.on_exported(result),
            Msg::Load { id, update } => self.on_load(id, update),
            Msg::Info(info) => {
                // A file's facts come from the file; only a running backend learns more.
                if !self.read_only() {
                    self.info = info;
                }
                vec![]
            }
            Msg::Decided {
                arn,
                decision,
                result,
            } => self.on_decided(&arn, decision, result),
            Msg::Terminate => self.quit(),
        }
    }

    fn notify(&mut self, level: VerdictLevel, text: String) -> Vec<Cmd> {
        self.notice = Some((level, text, self.now_ms));
        vec![]
    }

    fn quit(&mut self) -> Vec<Cmd> {
        self.quitting = true;
        vec![Cmd::Quit]
    }

    fn launch(&mut self) -> Vec<Cmd> {
        if self.read_only() {
            return self.refuse_read_only("nothing can be launched");
        }
        if self.store_fault.is_some() {
            // Nothing it did would be recorded: refused, and the header says why.
            return self.notify(
                VerdictLevel::Error,
                "not launched: the store has failed (above); fix it, then restart sagaview".into(),
            );
        }
        self.launches += 1;
        self.launch_selects = true;
        vec![Cmd::Start(LaunchRequest {
            seq: self.launches,
            run_type: self.run_type,
            machine: self.machine,
            trip_id: self.fixed_trip.clone(),
            cancel_failure_rate: self.cancel_failure_rate,
        })]
    }

    /// Asks for the shown trip's rows (not for a verdict); nothing when no trip is shown.
    fn fetch_rows(&mut self) -> Option<Cmd> {
        // While travelling the panel shows past rows: the present would overwrite them.
        if self.rows.trip_id.is_empty() || self.travel().is_some() {
            return None;
        }
        self.rows_poll.start(self.now_ms);
        Some(Cmd::FetchRows {
            trip_id: self.rows.trip_id.clone(),
            for_verdict: None,
        })
    }

    /// Fixes the trip every launch books from now on.
    fn set_trip(&mut self, id: String) -> Vec<Cmd> {
        self.fixed_trip = Some(id);
        vec![]
    }

    /// Shows the rows of `trip` (the selected execution's), fetching them when it is
    /// another trip than the one shown.
    fn show_rows_of(&mut self, trip: Option<String>) -> Vec<Cmd> {
        let trip = trip.unwrap_or_default();
        if trip == self.rows.trip_id {
            return vec![];
        }
        self.rows = RowsState::new(&trip);
        self.rows_poll = Poll::default();
        self.fetch_rows().into_iter().collect()
    }

    /// Draws the graph of the definition the selected execution runs, when it has its
    /// own (an execution started before the state machine was updated).
    fn show_selected_definition(&mut self) {
        let Some(own) = self
            .selected_execution()
            .and_then(|e| e.definition.clone())
            .or_else(|| self.saga_definition.clone())
        else {
            return;
        };
        if !self
            .graph
            .as_ref()
            .is_some_and(|g| Arc::ptr_eq(&g.definition, &own))
        {
            self.graph = Some(GraphModel::new(own));
        }
    }

    /// Selects an execution the user picked: the screen follows the last key pressed,
    /// so a launch asked for before the pick no longer takes the screen when answered.
    fn pick(&mut self, arn: String) -> Vec<Cmd> {
        self.launch_selects = false;
        self.select(arn)
    }

    fn select(&mut self, arn: String) -> Vec<Cmd> {
        self.selected = Some(arn.clone());
        self.show_selected_definition();
        // On AWS every execution's own; on the embedded runtime the approval machine's.
        let own_definition = self.is_aws() || self.info.runs_approval(&arn);
        let mut cmds = Vec::new();
        if let Some(e) = self.execution_mut(&arn)
            && own_definition
            && !e.definition_requested
        {
            e.definition_requested = true;
            cmds.push(Cmd::LoadExecutionDefinition(arn.clone()));
        }
        if let Some(i) = self.position(&arn) {
            self.exec_cursor = i;
        }
        let trip = self.selected_execution().and_then(|e| e.trip_id.clone());
        cmds.extend(self.show_rows_of(trip));
        self.follow = true;
        self.history_cursor = self.history_len().saturating_sub(1);
        self.graph_pan = None;
        self.timeline_scroll = None;
        let needs = self
            .execution(&arn)
            .is_some_and(|e| e.view.events.is_empty() && !e.poll.in_flight());
        if needs {
            cmds.extend(self.poll_now(&arn));
        }
        cmds
    }

    fn poll_now(&mut self, arn: &str) -> Vec<Cmd> {
        let now = self.now_ms;
        match self.execution_mut(arn) {
            Some(e) if !e.poll.in_flight() => vec![e.poll_history(now)],
            _ => vec![],
        }
    }

    /// `y`: the selected execution's ARN to the terminal's clipboard; the header
    /// shows the whole ARN too, for a terminal that ignores OSC 52.
    fn copy_arn(&mut self) -> Vec<Cmd> {
        let Some(arn) = self.selected.clone() else {
            return self.notify(
                VerdictLevel::Warning,
                "no execution selected to copy".into(),
            );
        };
        self.copied = Some((arn.clone(), self.now_ms));
        vec![Cmd::Copy(arn)]
    }

    fn history_len(&self) -> usize {
        self.selected_execution().map_or(0, |e| e.view.events.len())
    }
}
