//! The whole UI state and its one transition function, [`App::update`]: pure and
//! synchronous, so every key and every backend answer can be tested without a terminal.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};
use saga_lambdas::RunType;
use saga_lambdas::trip::validate_trip_id;

use super::TuiOptions;
use super::keymap::{self, Action, Focus};
use super::msg::{Cmd, Msg};
use super::rows::RowsState;
use super::theme::Palette;
use super::ui;
use crate::asl::Definition;
use crate::backend::{BackendInfo, BackendKind, ExecutionSummary, Launch};
use crate::engine::ExecutionStatus;
use crate::view::{ExecutionView, LayoutSet, StateGraph, Verdict, VerdictLevel, judge};

/// How often a running execution's history and the trip's rows are polled (embedded).
pub const POLL_MS: u64 = 250;
/// The same against AWS, which throttles `GetExecutionHistory` to a few calls a second.
pub const AWS_POLL_MS: u64 = 1_000;
/// How often the execution list is refreshed against AWS while something runs, so
/// executions started elsewhere (the API, a colleague) appear.
pub const AWS_LIST_BUSY_MS: u64 = 5_000;
/// The same when nothing runs.
pub const AWS_LIST_IDLE_MS: u64 = 15_000;
/// How long to wait before asking again for a definition that could not be loaded.
pub const DEFINITION_RETRY_MS: u64 = 5_000;
/// How long a notice (e.g. a backend error) stays in the header.
pub const NOTICE_MS: u64 = 6_000;
/// Cancel failure rates `c` cycles through.
pub const RATES: [f64; 3] = [0.0, 0.4, 1.0];
/// Demo speeds `+` / `-` step through.
pub const SPEEDS: [f64; 9] = [0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0];
/// The smallest screen the layout supports.
pub const MIN_SIZE: (u16, u16) = (80, 24);

/// The definition with everything derived from it once.
#[derive(Debug, Clone)]
pub struct GraphModel {
    /// The definition.
    pub definition: Arc<Definition>,
    /// Its states and edges.
    pub graph: StateGraph,
    /// Its layouts.
    pub layouts: LayoutSet,
}

impl GraphModel {
    /// Derives graph and layouts from a definition.
    pub fn new(definition: Arc<Definition>) -> Self {
        let graph = StateGraph::from_definition(&definition);
        let layouts = LayoutSet::new(&graph);
        Self {
            definition,
            graph,
            layouts,
        }
    }
}

/// One execution the UI knows about.
#[derive(Debug, Clone)]
pub struct Execution {
    /// ARN.
    pub arn: String,
    /// Name (last part of the ARN).
    pub name: String,
    /// Run type from the input.
    pub run_type: Option<String>,
    /// Trip id from the input.
    pub trip_id: Option<String>,
    /// Status from the list, until the history says more.
    pub listed_status: ExecutionStatus,
    /// Start from the list.
    pub start: Option<DateTime<Utc>>,
    /// Stop from the list.
    pub stop: Option<DateTime<Utc>>,
    /// The reduced history.
    pub view: ExecutionView,
    /// The verdict, once judged.
    pub verdict: Option<Verdict>,
    verdict_requested: bool,
    poll_in_flight: bool,
    last_poll_ms: Option<u64>,
    /// The definition this execution runs, when asked for it (AWS: it may differ from
    /// the state machine's current one).
    definition: Option<Arc<Definition>>,
    definition_requested: bool,
}

impl Execution {
    fn new(arn: String, definition: Option<&Definition>) -> Self {
        let name = arn.rsplit(':').next().unwrap_or(&arn).to_string();
        Self {
            arn,
            name,
            run_type: None,
            trip_id: None,
            listed_status: ExecutionStatus::Running,
            start: None,
            stop: None,
            view: ExecutionView::new(definition),
            verdict: None,
            verdict_requested: false,
            poll_in_flight: false,
            last_poll_ms: None,
            definition: None,
            definition_requested: false,
        }
    }

    /// Re-reduces the history with another definition.
    fn use_definition(&mut self, definition: &Definition) {
        let events = std::mem::take(&mut self.view.events);
        self.view = ExecutionView::new(Some(definition));
        self.view.apply(&events);
    }

    /// Status: from the history when it has one, else from the list.
    pub fn status(&self) -> ExecutionStatus {
        self.view.status.unwrap_or(self.listed_status)
    }

    /// Seconds run so far (to the stop, or to the latest event while running).
    pub fn duration_secs(&self) -> Option<f64> {
        let start = self.view.started_at.or(self.start)?;
        let end = self
            .view
            .stopped_at
            .or(self.stop)
            .or_else(|| self.view.events.last().map(|e| e.timestamp))?;
        Some((end - start).num_milliseconds() as f64 / 1000.0)
    }

    /// Only running executions are polled; finished ones load once, when viewed.
    fn needs_poll(&self) -> bool {
        self.status() == ExecutionStatus::Running
    }

    /// Drops the history of a finished, judged execution, keeping what the list shows;
    /// selecting it again reloads the history from the backend.
    fn release_history(&mut self, definition: Option<&Definition>) {
        self.listed_status = self.status();
        self.start = self.start.or(self.view.started_at);
        self.stop = self.stop.or(self.view.stopped_at);
        self.view = ExecutionView::new(self.definition.as_deref().or(definition));
    }
}

/// Finished executions whose full history stays in memory besides the selected one; a
/// workshop can run thousands of sagas without the UI growing.
pub const KEPT_HISTORIES: usize = 16;

/// Which overlay or input has the keyboard.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    /// Panels have the keyboard.
    #[default]
    Normal,
    /// Editing the trip id.
    EditTrip {
        /// What was typed.
        buffer: String,
        /// Why the last Enter was refused.
        error: Option<String>,
    },
    /// The help overlay.
    Help,
    /// One event's payloads.
    Event {
        /// Index into the selected execution's events.
        index: usize,
        /// First line shown.
        scroll: u16,
    },
}

/// Everything the screen shows.
#[derive(Debug, Clone)]
pub struct App {
    /// Connection facts.
    pub info: BackendInfo,
    /// The trip launches use and whose rows are shown.
    pub trip_id: String,
    /// The run type `Enter` relaunches.
    pub run_type: RunType,
    /// Probability that a compensation fails.
    pub cancel_failure_rate: f64,
    /// Demo speed.
    pub speed: f64,
    /// Resolved styles.
    pub palette: Palette,
    /// The panel with the keyboard.
    pub focus: Focus,
    /// Overlay / input mode.
    pub mode: Mode,
    /// The definition's graph, once loaded.
    pub graph: Option<GraphModel>,
    /// Known executions, newest first.
    pub executions: Vec<Execution>,
    /// The execution whose graph and history are shown.
    pub selected: Option<String>,
    /// Cursor in the executions list.
    pub exec_cursor: usize,
    /// Cursor in the history list.
    pub history_cursor: usize,
    /// Whether the history cursor follows new events.
    pub follow: bool,
    /// The trip's rows.
    pub rows: RowsState,
    /// Manual graph offset; `None` keeps the active state in view.
    pub graph_pan: Option<(u16, u16)>,
    /// Verdict of the latest execution judged.
    pub last_verdict: Option<Verdict>,
    /// A message for the header (level, text, when).
    pub notice: Option<(VerdictLevel, String, u64)>,
    /// UI clock (ms since start).
    pub now_ms: u64,
    /// Terminal size.
    pub size: (u16, u16),
    /// Set once the user quit.
    pub quitting: bool,
    rows_in_flight: bool,
    rows_last_ms: Option<u64>,
    list_in_flight: bool,
    list_last_ms: Option<u64>,
    definition_in_flight: bool,
    definition_failed_ms: Option<u64>,
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
            trip_id: options.trip_id.clone(),
            run_type: options.run_type,
            cancel_failure_rate: options.cancel_failure_rate,
            speed: options.speed,
            palette: Palette::new(options.theme, options.no_color),
            focus: Focus::default(),
            mode: Mode::default(),
            graph: None,
            executions: Vec::new(),
            selected: None,
            exec_cursor: 0,
            history_cursor: 0,
            follow: true,
            rows: RowsState::new(&options.trip_id),
            graph_pan: None,
            last_verdict: None,
            notice: None,
            now_ms: 0,
            size: MIN_SIZE,
            quitting: false,
            rows_in_flight: false,
            rows_last_ms: None,
            list_in_flight: false,
            list_last_ms: None,
            definition_in_flight: false,
            definition_failed_ms: None,
        }
    }

    /// What to fetch first: the definition, the execution list and the trip's rows.
    pub fn startup(&mut self) -> Vec<Cmd> {
        self.rows_in_flight = true;
        self.list_in_flight = true;
        self.list_last_ms = Some(self.now_ms);
        self.definition_in_flight = true;
        vec![
            Cmd::LoadDefinition,
            Cmd::ListExecutions,
            Cmd::FetchRows {
                trip_id: self.trip_id.clone(),
                for_verdict: None,
            },
        ]
    }

    /// The header's backend label (`embedded`, `aws us-east-1`).
    pub fn backend_label(&self) -> String {
        match &self.info.kind {
            BackendKind::Embedded => "embedded".into(),
            BackendKind::Aws { region } => format!("aws {region}"),
        }
    }

    /// The execution being viewed.
    pub fn selected_execution(&self) -> Option<&Execution> {
        let arn = self.selected.as_deref()?;
        self.executions.iter().find(|e| e.arn == arn)
    }

    fn execution_mut(&mut self, arn: &str) -> Option<&mut Execution> {
        self.executions.iter_mut().find(|e| e.arn == arn)
    }

    /// Whether the loop should keep a timer running (polls, spinner, fading marks).
    pub fn needs_tick(&self) -> bool {
        self.is_aws()
            || self.graph.is_none()
            || self.executions.iter().any(|e| e.needs_poll())
            || self.rows.has_marks()
            || self.notice.is_some()
    }

    fn is_aws(&self) -> bool {
        matches!(self.info.kind, BackendKind::Aws { .. })
    }

    /// Whether the screen is below the supported minimum.
    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_SIZE.0 || self.size.1 < MIN_SIZE.1
    }

    /// The one transition: applies a message, returns the work to do.
    pub fn update(&mut self, msg: Msg) -> Vec<Cmd> {
        match msg {
            Msg::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            Msg::Key(_) => vec![],
            Msg::Mouse(m) => self.on_mouse(m),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                vec![]
            }
            Msg::Tick { now_ms } => self.on_tick(now_ms),
            Msg::Definition(Ok(def)) => {
                self.definition_in_flight = false;
                self.definition_failed_ms = None;
                for e in self
                    .executions
                    .iter_mut()
                    .filter(|e| e.definition.is_none())
                {
                    e.use_definition(&def);
                }
                let own = self.selected_execution().and_then(|e| e.definition.clone());
                self.graph = Some(GraphModel::new(own.unwrap_or(def)));
                vec![]
            }
            Msg::ExecutionDefinition { arn, result } => match result {
                Ok(def) => {
                    if let Some(e) = self.execution_mut(&arn) {
                        e.use_definition(&def);
                        e.definition = Some(def);
                    }
                    self.show_selected_definition();
                    vec![]
                }
                Err(e) => self.notify(VerdictLevel::Error, format!("definition: {e}")),
            },
            Msg::Definition(Err(e)) => {
                self.definition_in_flight = false;
                self.definition_failed_ms = Some(self.now_ms);
                self.notify(VerdictLevel::Error, format!("definition: {e}"))
            }
            Msg::Started { launch, result } => self.on_started(launch, result),
            Msg::History { arn, result } => self.on_history(&arn, result),
            Msg::Executions(Ok(list)) => {
                self.list_in_flight = false;
                self.on_executions(list)
            }
            Msg::Executions(Err(e)) => {
                self.list_in_flight = false;
                self.notify(VerdictLevel::Error, format!("list: {e}"))
            }
            Msg::Rows {
                trip_id,
                for_verdict,
                result,
            } => self.on_rows(trip_id, for_verdict, result),
            Msg::Stopped { arn, result } => match result {
                Ok(()) => self.poll_now(&arn),
                Err(e) => self.notify(VerdictLevel::Error, format!("stop: {e}")),
            },
            Msg::TripGenerated(id) => self.set_trip(id),
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
        vec![Cmd::Start(Launch {
            run_type: self.run_type,
            trip_id: self.trip_id.clone(),
            cancel_failure_rate: self.cancel_failure_rate,
        })]
    }

    fn set_trip(&mut self, id: String) -> Vec<Cmd> {
        if id == self.trip_id && self.rows.loaded {
            return vec![];
        }
        self.trip_id = id;
        self.rows = RowsState::new(&self.trip_id);
        self.rows_in_flight = true;
        vec![Cmd::FetchRows {
            trip_id: self.trip_id.clone(),
            for_verdict: None,
        }]
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Cmd> {
        let ctrl_c = keymap::action_for(&key, Focus::Graph) == Some(Action::Quit)
            && key.code == KeyCode::Char('c');
        if ctrl_c {
            return self.quit();
        }
        match self.mode.clone() {
            Mode::EditTrip { buffer, .. } => self.on_edit_key(key, buffer),
            Mode::Help => {
                if matches!(
                    key.code,
                    KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') | KeyCode::Enter
                ) {
                    self.mode = Mode::Normal;
                }
                vec![]
            }
            Mode::Event { index, scroll } => {
                match key.code {
                    KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => self.mode = Mode::Normal,
                    KeyCode::Up | KeyCode::Char('k') => {
                        self.mode = Mode::Event {
                            index,
                            scroll: scroll.saturating_sub(1),
                        }
                    }
                    KeyCode::Down | KeyCode::Char('j') => {
                        self.mode = Mode::Event {
                            index,
                            scroll: scroll.saturating_add(1),
                        }
                    }
                    KeyCode::PageDown => {
                        self.mode = Mode::Event {
                            index,
                            scroll: scroll.saturating_add(10),
                        }
                    }
                    KeyCode::PageUp => {
                        self.mode = Mode::Event {
                            index,
                            scroll: scroll.saturating_sub(10),
                        }
                    }
                    _ => {}
                }
                vec![]
            }
            Mode::Normal => match keymap::action_for(&key, self.focus) {
                Some(action) => self.on_action(action, &key),
                None => vec![],
            },
        }
    }

    fn on_edit_key(&mut self, key: KeyEvent, mut buffer: String) -> Vec<Cmd> {
        match key.code {
            KeyCode::Esc => {
                self.mode = Mode::Normal;
                vec![]
            }
            KeyCode::Enter => match validate_trip_id(&buffer) {
                Ok(_) => {
                    self.mode = Mode::Normal;
                    self.set_trip(buffer)
                }
                Err(e) => {
                    self.mode = Mode::EditTrip {
                        buffer,
                        error: Some(e),
                    };
                    vec![]
                }
            },
            KeyCode::Backspace => {
                buffer.pop();
                self.mode = Mode::EditTrip {
                    buffer,
                    error: None,
                };
                vec![]
            }
            KeyCode::Char(c) => {
                let error = if !(c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                    Some(format!("{c:?} is not allowed: use A-Z a-z 0-9 _ -"))
                } else if buffer.len() >= 64 {
                    Some("at most 64 characters".to_string())
                } else {
                    buffer.push(c);
                    None
                };
                self.mode = Mode::EditTrip { buffer, error };
                vec![]
            }
            _ => vec![],
        }
    }

    fn on_action(&mut self, action: Action, key: &KeyEvent) -> Vec<Cmd> {
        match action {
            Action::Launch => {
                let index = match key.code {
                    KeyCode::Char(c) => c.to_digit(10).map(|d| d as usize),
                    _ => None,
                };
                match index.and_then(|i| RunType::ALL.get(i.wrapping_sub(1))) {
                    Some(&run_type) => {
                        self.run_type = run_type;
                        self.launch()
                    }
                    None => vec![],
                }
            }
            Action::Relaunch => self.launch(),
            Action::EditTrip => {
                self.mode = Mode::EditTrip {
                    buffer: self.trip_id.clone(),
                    error: None,
                };
                vec![]
            }
            Action::NewTrip => vec![Cmd::NewTripId],
            Action::CycleRate => {
                self.cancel_failure_rate = next_in(&RATES, self.cancel_failure_rate);
                vec![]
            }
            Action::Faster => {
                self.speed = next_in(&SPEEDS, self.speed);
                vec![Cmd::SetSpeed(self.speed)]
            }
            Action::Slower => {
                self.speed = SPEEDS
                    .iter()
                    .rev()
                    .copied()
                    .find(|&v| v < self.speed - 1e-9)
                    .unwrap_or(SPEEDS[0]);
                vec![Cmd::SetSpeed(self.speed)]
            }
            Action::FocusNext => {
                self.focus = self.focus.cycle(false);
                vec![]
            }
            Action::FocusPrev => {
                self.focus = self.focus.cycle(true);
                vec![]
            }
            Action::Up => self.move_by(self.focus, -1),
            Action::Down => self.move_by(self.focus, 1),
            Action::PageUp => self.move_by(self.focus, -10),
            Action::PageDown => self.move_by(self.focus, 10),
            Action::Top => self.move_by(self.focus, i64::MIN / 2),
            Action::Bottom => self.move_by(self.focus, i64::MAX / 2),
            Action::Left => self.pan(-4, 0),
            Action::Right => self.pan(4, 0),
            Action::SelectExecution => {
                let arn = self.executions.get(self.exec_cursor).map(|e| e.arn.clone());
                match arn {
                    Some(arn) => self.select(arn),
                    None => vec![],
                }
            }
            Action::OpenEvent => {
                let has = self
                    .selected_execution()
                    .is_some_and(|e| self.history_cursor < e.view.events.len());
                if has {
                    self.mode = Mode::Event {
                        index: self.history_cursor,
                        scroll: 0,
                    };
                }
                vec![]
            }
            Action::Follow => {
                self.follow = !self.follow;
                if self.follow {
                    self.history_cursor = self.history_len().saturating_sub(1);
                }
                vec![]
            }
            Action::Stop => match self.selected_execution() {
                Some(e) if e.status() == ExecutionStatus::Running => vec![Cmd::Stop(e.arn.clone())],
                _ => self.notify(VerdictLevel::Warning, "nothing running to stop".into()),
            },
            Action::Help => {
                self.mode = Mode::Help;
                vec![]
            }
            Action::Quit => self.quit(),
        }
    }

    fn history_len(&self) -> usize {
        self.selected_execution().map_or(0, |e| e.view.events.len())
    }

    fn move_by(&mut self, focus: Focus, delta: i64) -> Vec<Cmd> {
        let step = |cur: usize, len: usize| -> usize {
            let target = (cur as i64).saturating_add(delta);
            target.clamp(0, len.saturating_sub(1) as i64) as usize
        };
        match focus {
            Focus::Graph => return self.pan(0, delta.clamp(-1000, 1000) as i32),
            Focus::History => {
                let len = self.history_len();
                self.history_cursor = step(self.history_cursor, len);
                self.follow = len > 0 && self.history_cursor + 1 >= len && delta > 0;
            }
            Focus::Rows => self.rows.scroll = step(self.rows.scroll, self.rows.entries.len()),
            Focus::Executions => {
                self.exec_cursor = step(self.exec_cursor, self.executions.len());
            }
        }
        vec![]
    }

    fn pan(&mut self, dx: i32, dy: i32) -> Vec<Cmd> {
        let area = ui::areas(Rect::new(0, 0, self.size.0, self.size.1));
        if let Some((layout, offset)) = ui::graph::viewport(self, area.graph) {
            let inner = ui::graph::inner(area.graph);
            let max_x = layout.width.saturating_sub(inner.width);
            let max_y = layout.height.saturating_sub(inner.height);
            let x = (i32::from(offset.0) + dx).clamp(0, i32::from(max_x));
            let y = (i32::from(offset.1) + dy).clamp(0, i32::from(max_y));
            self.graph_pan = Some((u16::try_from(x).unwrap_or(0), u16::try_from(y).unwrap_or(0)));
        }
        vec![]
    }

    /// Draws the graph of the definition the selected execution runs, when it has its
    /// own (an execution started before the state machine was updated).
    fn show_selected_definition(&mut self) {
        let Some(own) = self.selected_execution().and_then(|e| e.definition.clone()) else {
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

    fn select(&mut self, arn: String) -> Vec<Cmd> {
        self.selected = Some(arn.clone());
        self.show_selected_definition();
        let aws = self.is_aws();
        let mut cmds = Vec::new();
        if let Some(e) = self.execution_mut(&arn)
            && aws
            && !e.definition_requested
        {
            e.definition_requested = true;
            cmds.push(Cmd::LoadExecutionDefinition(arn.clone()));
        }
        if let Some(i) = self.executions.iter().position(|e| e.arn == arn) {
            self.exec_cursor = i;
        }
        self.follow = true;
        self.history_cursor = self.history_len().saturating_sub(1);
        self.graph_pan = None;
        let needs = self
            .executions
            .iter()
            .find(|e| e.arn == arn)
            .is_some_and(|e| e.view.events.is_empty() && !e.poll_in_flight);
        if needs {
            cmds.extend(self.poll_now(&arn));
        }
        cmds
    }

    fn poll_now(&mut self, arn: &str) -> Vec<Cmd> {
        let now = self.now_ms;
        match self.execution_mut(arn) {
            Some(e) if !e.poll_in_flight => {
                e.poll_in_flight = true;
                e.last_poll_ms = Some(now);
                vec![Cmd::PollHistory {
                    arn: e.arn.clone(),
                    after_id: e.view.last_event_id(),
                }]
            }
            _ => vec![],
        }
    }

    fn on_mouse(&mut self, m: MouseEvent) -> Vec<Cmd> {
        let areas = ui::areas(Rect::new(0, 0, self.size.0, self.size.1));
        let at = Position::new(m.column, m.row);
        let Some(panel) = areas.panel_at(at) else {
            return vec![];
        };
        match m.kind {
            MouseEventKind::ScrollUp => self.move_by(panel, -3),
            MouseEventKind::ScrollDown => self.move_by(panel, 3),
            MouseEventKind::Down(MouseButton::Left) if self.mode == Mode::Normal => {
                self.focus = panel;
                let rect = areas.rect(panel);
                let row = usize::from(m.row.saturating_sub(rect.y + 1));
                let visible = usize::from(rect.height.saturating_sub(2));
                match panel {
                    Focus::Executions => {
                        let offset = ui::list_offset(self.exec_cursor, visible);
                        let i = offset + row.saturating_sub(1); // one header line
                        if row >= 1 && i < self.executions.len() {
                            self.exec_cursor = i;
                            let arn = self.executions[i].arn.clone();
                            return self.select(arn);
                        }
                    }
                    Focus::History => {
                        let offset = ui::list_offset(self.history_cursor, visible);
                        let i = offset + row;
                        if i < self.history_len() {
                            self.history_cursor = i;
                            self.follow = false;
                        }
                    }
                    Focus::Rows | Focus::Graph => {}
                }
                vec![]
            }
            _ => vec![],
        }
    }

    fn on_tick(&mut self, now_ms: u64) -> Vec<Cmd> {
        self.now_ms = now_ms;
        self.rows.expire(now_ms);
        if self
            .notice
            .as_ref()
            .is_some_and(|(_, _, at)| now_ms.saturating_sub(*at) >= NOTICE_MS)
        {
            self.notice = None;
        }
        let mut cmds = Vec::new();
        let every = match self.info.kind {
            BackendKind::Embedded => POLL_MS,
            BackendKind::Aws { .. } => AWS_POLL_MS,
        };
        let due = |last: Option<u64>| last.is_none_or(|l| now_ms.saturating_sub(l) >= every);
        let mut trip_running = false;
        for e in &mut self.executions {
            if e.status() == ExecutionStatus::Running
                && e.trip_id.as_deref().is_none_or(|t| t == self.trip_id)
            {
                trip_running = true;
            }
            if e.needs_poll() && !e.poll_in_flight && due(e.last_poll_ms) {
                e.poll_in_flight = true;
                e.last_poll_ms = Some(now_ms);
                cmds.push(Cmd::PollHistory {
                    arn: e.arn.clone(),
                    after_id: e.view.last_event_id(),
                });
            }
        }
        if self.graph.is_none()
            && !self.definition_in_flight
            && self
                .definition_failed_ms
                .is_some_and(|at| now_ms.saturating_sub(at) >= DEFINITION_RETRY_MS)
        {
            self.definition_in_flight = true;
            cmds.push(Cmd::LoadDefinition);
        }
        if self.is_aws() && !self.list_in_flight {
            let any_running = self.executions.iter().any(|e| e.needs_poll());
            let every = if any_running {
                AWS_LIST_BUSY_MS
            } else {
                AWS_LIST_IDLE_MS
            };
            if self
                .list_last_ms
                .is_none_or(|l| now_ms.saturating_sub(l) >= every)
            {
                self.list_in_flight = true;
                self.list_last_ms = Some(now_ms);
                cmds.push(Cmd::ListExecutions);
            }
        }
        if trip_running && !self.rows_in_flight && due(self.rows_last_ms) {
            self.rows_in_flight = true;
            self.rows_last_ms = Some(now_ms);
            cmds.push(Cmd::FetchRows {
                trip_id: self.trip_id.clone(),
                for_verdict: None,
            });
        }
        cmds
    }

    fn on_started(
        &mut self,
        launch: Launch,
        result: Result<String, crate::backend::BackendError>,
    ) -> Vec<Cmd> {
        match result {
            Ok(arn) => {
                let def = self.graph.as_ref().map(|g| g.definition.clone());
                let mut e = Execution::new(arn.clone(), def.as_deref());
                e.run_type = Some(launch.run_type.as_str().to_string());
                e.trip_id = Some(launch.trip_id.clone());
                self.executions.insert(0, e);
                let mut cmds = self.select(arn);
                if launch.trip_id == self.trip_id && !self.rows_in_flight {
                    self.rows_in_flight = true;
                    self.rows_last_ms = Some(self.now_ms);
                    cmds.push(Cmd::FetchRows {
                        trip_id: self.trip_id.clone(),
                        for_verdict: None,
                    });
                }
                cmds
            }
            Err(e) => self.notify(
                VerdictLevel::Error,
                format!("launch {}: {e}", launch.run_type),
            ),
        }
    }

    fn on_history(
        &mut self,
        arn: &str,
        result: Result<Vec<crate::history::HistoryEvent>, crate::backend::BackendError>,
    ) -> Vec<Cmd> {
        let selected = self.selected.as_deref() == Some(arn);
        let follow = self.follow;
        let Some(e) = self.execution_mut(arn) else {
            return vec![];
        };
        e.poll_in_flight = false;
        let events = match result {
            Ok(events) => events,
            Err(err) => return self.notify(VerdictLevel::Error, format!("history: {err}")),
        };
        e.view.apply(&events);
        if (e.run_type.is_none() || e.trip_id.is_none())
            && let Some(first) = e.view.events.first()
            && let Some(crate::history::EventDetails::ExecutionStarted(d)) = &first.details
        {
            let (run_type, trip) = ExecutionSummary::labels_from_input(&d.input);
            e.run_type = e.run_type.take().or(run_type);
            e.trip_id = e.trip_id.take().or(trip);
        }
        let len = e.view.events.len();
        let mut cmds = Vec::new();
        if e.view.is_finished() && !e.verdict_requested {
            e.verdict_requested = true;
            if let Some(trip_id) = e.trip_id.clone() {
                cmds.push(Cmd::FetchRows {
                    trip_id,
                    for_verdict: Some(e.arn.clone()),
                });
            }
        }
        if selected && follow {
            self.history_cursor = len.saturating_sub(1);
        }
        self.release_old_histories();
        cmds
    }

    /// Keeps the histories of the selected execution, the running ones, the ones still
    /// waiting for a verdict and the [`KEPT_HISTORIES`] newest others.
    fn release_old_histories(&mut self) {
        let definition = self.graph.as_ref().map(|g| g.definition.clone());
        let selected = self.selected.clone();
        let mut kept = 0;
        for e in &mut self.executions {
            let releasable = !e.view.events.is_empty()
                && e.view.is_finished()
                && !e.poll_in_flight
                && e.verdict.is_some()
                && selected.as_deref() != Some(e.arn.as_str());
            if !releasable {
                continue;
            }
            kept += 1;
            if kept > KEPT_HISTORIES {
                e.release_history(definition.as_deref());
            }
        }
    }

    fn on_executions(&mut self, list: Vec<ExecutionSummary>) -> Vec<Cmd> {
        let def = self.graph.as_ref().map(|g| g.definition.clone());
        for s in list {
            if let Some(e) = self.execution_mut(&s.execution_arn) {
                e.listed_status = s.status;
                e.stop = s.stop_date;
                continue;
            }
            let mut e = Execution::new(s.execution_arn.clone(), def.as_deref());
            e.name = s.name;
            e.run_type = s.run_type;
            e.trip_id = s.trip_id;
            e.listed_status = s.status;
            e.start = Some(s.start_date);
            e.stop = s.stop_date;
            // Earlier executions are not judged: their rows may have changed since.
            e.verdict_requested = s.status.is_terminal();
            self.executions.push(e);
        }
        self.executions
            .sort_by(|a, b| b.start.cmp(&a.start).then_with(|| b.arn.cmp(&a.arn)));
        if let Some(arn) = &self.selected {
            if let Some(i) = self.executions.iter().position(|e| &e.arn == arn) {
                self.exec_cursor = i;
            }
        } else if let Some(first) = self.executions.first() {
            let arn = first.arn.clone();
            return self.select(arn);
        }
        vec![]
    }

    fn on_rows(
        &mut self,
        trip_id: String,
        for_verdict: Option<String>,
        result: Result<Vec<saga_lambdas::Item>, crate::backend::BackendError>,
    ) -> Vec<Cmd> {
        if for_verdict.is_none() {
            self.rows_in_flight = false;
        }
        let rows = match result {
            Ok(rows) => rows,
            Err(e) => return self.notify(VerdictLevel::Error, format!("rows: {e}")),
        };
        if trip_id == self.trip_id {
            self.rows.apply_snapshot(rows.clone(), self.now_ms);
        }
        if let Some(arn) = for_verdict {
            let graph = self.graph.as_ref().map(|g| g.graph.clone());
            if let (Some(graph), Some(e)) = (graph, self.execution_mut(&arn))
                && let Some(v) = judge(&e.view, &graph, &rows)
            {
                e.verdict = Some(v.clone());
                self.last_verdict = Some(v);
            }
            self.release_old_histories();
        }
        vec![]
    }
}
