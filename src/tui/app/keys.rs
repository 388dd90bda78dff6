//! Keys and the mouse. A key means what the keymap binds it to in the current context
//! and nothing else; the mouse focuses, selects and scrolls what it points at.

use crate::backend::approval::Decision;
use crate::tui::run_choices::RunChoice;
use crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::{App, Mode, Pending, RATES, SPEEDS, next_in};
use crate::tui::geometry::{self, Direction};
use crate::tui::help::HelpPage;
use crate::tui::keymap::{self, Action, Context, Focus};
use crate::tui::msg::Cmd;
use crate::tui::runner::NOT_PAUSABLE;
use crate::view::VerdictLevel;

/// Lines a page key moves.
const PAGE: u16 = 10;
/// Lines a wheel notch moves.
const WHEEL: i64 = 3;
/// Columns a sideways pan moves.
const PAN_STEP: i32 = 4;
/// The notice when `s` finds nothing to stop.
const NOTHING_TO_STOP: &str = "nothing running to stop";

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Cmd> {
        let context = self.context();
        let Some(action) = keymap::action_for(&key, context) else {
            // Text is not a binding: the trip editor takes printable characters.
            match (context, key.code) {
                (Context::EditTrip, KeyCode::Char(c)) if !keymap::is_chord(&key) => {
                    self.on_trip_text(c);
                }
                (Context::Filter, KeyCode::Char(c)) if !keymap::is_chord(&key) => {
                    self.on_filter_text(c);
                }
                _ => {}
            }
            return vec![];
        };
        match context {
            _ if action == Action::QuitNow => self.quit(),
            Context::Panel(_) => self.on_panel_action(action, &key),
            Context::Help => self.on_help_action(action),
            Context::Event => self.on_event_action(action),
            Context::Inspect => self.on_inspect_action(action),
            Context::EditTrip => self.on_trip_action(action),
            Context::Confirm => self.on_confirm_action(action),
            Context::Filter => self.on_filter_action(action),
        }
    }

    fn on_panel_action(&mut self, action: Action, key: &KeyEvent) -> Vec<Cmd> {
        match action {
            Action::Launch => {
                let index = match key.code {
                    KeyCode::Char(c) => c.to_digit(10).map(|d| d as usize),
                    _ => None,
                };
                match index.and_then(RunChoice::for_digit) {
                    Some(choice) => {
                        self.run_type = choice.run_type;
                        self.machine = choice.machine;
                        self.launch()
                    }
                    None => vec![],
                }
            }
            Action::EditTrip => {
                self.edit_trip();
                vec![]
            }
            Action::NewTrip => {
                self.fixed_trip = None;
                self.notify(VerdictLevel::Ok, "each launch books a fresh trip".into())
            }
            Action::Pause if self.read_only() => self.refuse_read_only("time cannot be paused"),
            Action::Pause => {
                if self.is_aws() {
                    return self.notify(VerdictLevel::Warning, NOT_PAUSABLE.into());
                }
                // Taken at once, not when answered: a `p` or `.` typed ahead of the
                // answer then means what it says (the answers, in order, confirm it).
                self.paused = !self.paused;
                vec![Cmd::SetPaused(self.paused)]
            }
            Action::Step => self.step(),
            Action::Zoom => {
                self.zoomed = !self.zoomed;
                self.graph_pan = None;
                vec![]
            }
            Action::Timeline => {
                self.timeline = !self.timeline;
                self.timeline_scroll = None;
                vec![]
            }
            Action::Load => self.toggle_load(),
            Action::LeaveLoad => {
                self.leave_load();
                vec![]
            }
            Action::CycleRate => {
                self.cancel_failure_rate = next_in(&RATES, self.cancel_failure_rate);
                // A saved execution has no runtime to tell; launches carry the rate too.
                if self.read_only() {
                    return vec![];
                }
                vec![Cmd::SetCancelFailureRate(self.cancel_failure_rate)]
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
            Action::FocusNext | Action::FocusPrev => {
                self.focus = self.focus.cycle(action == Action::FocusPrev);
                vec![]
            }
            Action::Up => self.move_by(self.focus, -1),
            Action::Down => self.move_by(self.focus, 1),
            Action::PageUp => self.move_by(self.focus, -i64::from(PAGE)),
            Action::PageDown => self.move_by(self.focus, i64::from(PAGE)),
            Action::Top => self.move_by(self.focus, i64::MIN / 2),
            Action::Bottom => self.move_by(self.focus, i64::MAX / 2),
            Action::Left => self.pan(-PAN_STEP, 0),
            Action::Right => self.pan(PAN_STEP, 0),
            Action::PanUp => self.pan(0, -1),
            Action::PanDown => self.pan(0, 1),
            // The timeline shows no boxes to select: its visits scroll instead.
            Action::SelectUp if self.timeline => self.move_by(Focus::Graph, -1),
            Action::SelectDown if self.timeline => self.move_by(Focus::Graph, 1),
            Action::SelectLeft | Action::SelectRight if self.timeline => vec![],
            Action::SelectUp => self.select_toward(Direction::Up),
            Action::SelectDown => self.select_toward(Direction::Down),
            Action::SelectLeft => self.select_toward(Direction::Left),
            Action::SelectRight => self.select_toward(Direction::Right),
            Action::Inspect => self.open_inspector(),
            Action::SelectExecution => match self.executions.get(self.exec_cursor) {
                Some(e) => {
                    let arn = e.arn.clone();
                    self.pick(arn)
                }
                None => vec![],
            },
            Action::OpenEvent => {
                if self.history_entries() > 0 && self.history_cursor < self.history_len() {
                    self.mode = Mode::Event {
                        index: self.history_cursor,
                        scroll: 0,
                    };
                }
                vec![]
            }
            Action::Follow => {
                // Following puts the cursor on the last event shown (see
                // `refresh_history_list`).
                self.follow = !self.follow;
                vec![]
            }
            Action::Stop if self.read_only() => self.refuse_read_only("nothing can be stopped"),
            Action::TravelBack => self.travel_by(-1),
            Action::TravelForward => self.travel_by(1),
            Action::Stop => self.ask_stop(),
            Action::Redrive if self.read_only() => self.refuse_read_only("nothing can be redriven"),
            Action::Redrive => self.ask_redrive(),
            Action::Approve => self.decide(Decision::Approve),
            Action::Reject => self.decide(Decision::Reject),
            Action::Filter => self.open_filter(),
            // With no filter to clear, Esc leaves the load panel as it does elsewhere.
            Action::ClearFilter if self.history_filter.is_empty() && self.leave_load() => vec![],
            Action::ClearFilter => self.clear_filter(),
            Action::CopyArn => self.copy_arn(),
            Action::Export => self.export(),
            Action::Help => {
                let scroll = HelpPage::of(self.size, self.focus).opening_scroll(self.focus);
                self.mode = Mode::Help { scroll };
                vec![]
            }
            Action::Quit => self.ask_quit(),
            _ => vec![],
        }
    }

    /// Scrolls the help within its text, or closes it.
    fn on_help_action(&mut self, action: Action) -> Vec<Cmd> {
        if action == Action::Close {
            self.mode = Mode::Normal;
            return vec![];
        }
        let delta = match action {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp | Action::PageDown => {
                let page = HelpPage::of(self.size, self.focus).page();
                let page = i64::try_from(page).unwrap_or(i64::MAX);
                if action == Action::PageUp {
                    -page
                } else {
                    page
                }
            }
            Action::Top => i64::MIN / 2,
            Action::Bottom => i64::MAX / 2,
            _ => 0,
        };
        self.scroll_help(delta);
        vec![]
    }

    /// Moves the help's first line by `delta`, within its text.
    fn scroll_help(&mut self, delta: i64) {
        let max = HelpPage::of(self.size, self.focus).max_scroll();
        if let Mode::Help { scroll } = &mut self.mode {
            let max = i64::try_from(max).unwrap_or(i64::MAX);
            let at = i64::try_from(*scroll).unwrap_or(i64::MAX);
            *scroll = usize::try_from(at.saturating_add(delta).clamp(0, max)).unwrap_or(0);
        }
    }

    fn on_event_action(&mut self, action: Action) -> Vec<Cmd> {
        if let Mode::Event { scroll, .. } = &mut self.mode {
            match action {
                Action::Up => *scroll = scroll.saturating_sub(1),
                Action::Down => *scroll = scroll.saturating_add(1),
                Action::PageUp => *scroll = scroll.saturating_sub(PAGE),
                Action::PageDown => *scroll = scroll.saturating_add(PAGE),
                Action::Close => self.mode = Mode::Normal,
                _ => {}
            }
        }
        vec![]
    }

    /// Quits at once when nothing runs, else asks: quitting leaves running sagas
    /// half done.
    fn ask_quit(&mut self) -> Vec<Cmd> {
        let running = self.running();
        // A saved execution shown as running is a record: nothing is left half done.
        if running == 0 || self.read_only() {
            return self.quit();
        }
        let (what, them, their) = if running == 1 {
            ("execution", "it", "its")
        } else {
            ("executions", "them", "their")
        };
        let question = if self.is_aws() {
            format!("{running} {what} running: AWS carries on without this view. Quit?")
        } else {
            format!(
                "{running} {what} running: quitting aborts {them} and leaves {their} rows. Quit?"
            )
        };
        self.mode = Mode::Confirm {
            question,
            on_yes: Pending::Quit,
        };
        vec![]
    }

    /// While paused, advances the selected execution by one event.
    fn step(&mut self) -> Vec<Cmd> {
        if self.read_only() {
            return self.refuse_read_only("nothing runs to step");
        }
        if self.is_aws() {
            return self.notify(VerdictLevel::Warning, NOT_PAUSABLE.into());
        }
        if !self.paused {
            let pause = keymap::label(self.context(), Action::Pause);
            return self.notify(
                VerdictLevel::Warning,
                format!("step works while paused: press {pause} first"),
            );
        }
        match self.selected_execution() {
            Some(e) if e.is_running() => vec![Cmd::Step(e.arn.clone())],
            _ => self.notify(VerdictLevel::Warning, "nothing running to step".into()),
        }
    }

    /// Asks before stopping the selected execution: a stop skips its compensations.
    fn ask_stop(&mut self) -> Vec<Cmd> {
        match self.selected_execution() {
            Some(e) if e.is_running() => {
                self.mode = Mode::Confirm {
                    question: format!("Stop {}?", e.name),
                    on_yes: Pending::Stop(e.arn.clone()),
                };
                vec![]
            }
            _ => self.notify(VerdictLevel::Warning, NOTHING_TO_STOP.into()),
        }
    }

    fn on_confirm_action(&mut self, action: Action) -> Vec<Cmd> {
        let Mode::Confirm { on_yes, .. } = std::mem::take(&mut self.mode) else {
            return vec![];
        };
        match (action, on_yes) {
            (Action::Accept, Pending::Quit) => self.quit(),
            (Action::Accept, Pending::Load) => self.start_load(),
            (Action::Accept, Pending::Stop(arn)) => match self.execution(&arn) {
                Some(e) if e.is_running() => vec![Cmd::Stop(arn)],
                _ => self.notify(VerdictLevel::Warning, NOTHING_TO_STOP.into()),
            },
            (Action::Accept, Pending::Redrive(arn)) => vec![Cmd::Redrive(arn)],
            _ => vec![],
        }
    }

    pub(super) fn on_mouse(&mut self, m: MouseEvent) -> Vec<Cmd> {
        if matches!(self.mode, Mode::Help { .. }) {
            // The help covers the panels: the wheel scrolls it, wherever the pointer is.
            match m.kind {
                MouseEventKind::ScrollUp => self.scroll_help(-WHEEL),
                MouseEventKind::ScrollDown => self.scroll_help(WHEEL),
                _ => {}
            }
            return vec![];
        }
        if matches!(self.mode, Mode::Inspect(_)) {
            // So does the inspector.
            match m.kind {
                MouseEventKind::ScrollUp => self.scroll_inspector(-WHEEL),
                MouseEventKind::ScrollDown => self.scroll_inspector(WHEEL),
                _ => {}
            }
            return vec![];
        }
        let areas = geometry::areas_of(self.size, self.zoom());
        let Some(panel) = areas.panel_at(Position::new(m.column, m.row)) else {
            return vec![];
        };
        match m.kind {
            MouseEventKind::ScrollUp => self.move_by(panel, -WHEEL),
            MouseEventKind::ScrollDown => self.move_by(panel, WHEEL),
            MouseEventKind::Down(MouseButton::Left) if self.mode == Mode::Normal => {
                self.focus = panel;
                self.click(panel, areas.rect(panel), m.column, m.row)
            }
            _ => vec![],
        }
    }

    /// A click at (`x`, `y`) in a panel: selects the execution, event or state drawn
    /// there.
    fn click(&mut self, panel: Focus, rect: Rect, x: u16, y: u16) -> Vec<Cmd> {
        let inside = geometry::inside(rect);
        let header = geometry::header_lines(panel);
        match panel {
            Focus::Executions => {
                let len = self.executions.len();
                match geometry::list_entry_at(inside, header, self.exec_cursor, len, y) {
                    Some(i) => {
                        let arn = self.executions[i].arn.clone();
                        self.pick(arn)
                    }
                    None => vec![],
                }
            }
            Focus::History => {
                let len = self.history_entries();
                if let Some(i) =
                    geometry::list_entry_at(inside, header, self.history_position(), len, y)
                {
                    self.history_move_to(i);
                    self.follow = false;
                    self.select_cursor_state();
                }
                vec![]
            }
            Focus::Graph if self.timeline => {
                self.click_timeline(inside, y);
                vec![]
            }
            Focus::Graph => self.click_graph(rect, x, y),
            Focus::Rows => vec![],
        }
    }

    fn move_by(&mut self, focus: Focus, delta: i64) -> Vec<Cmd> {
        let step = |cur: usize, len: usize| -> usize {
            let target = (cur as i64).saturating_add(delta);
            target.clamp(0, len.saturating_sub(1) as i64) as usize
        };
        match focus {
            Focus::Graph if self.timeline => self.scroll_timeline(delta),
            Focus::Graph => return self.pan(0, delta.clamp(-1000, 1000) as i32),
            Focus::History => {
                let len = self.history_entries();
                let at = step(self.history_position(), len);
                self.history_move_to(at);
                self.follow = len > 0 && at + 1 >= len && delta > 0;
                self.select_cursor_state();
            }
            Focus::Rows => self.rows.scroll = step(self.rows.scroll, self.rows.entries.len()),
            Focus::Executions => {
                self.exec_cursor = step(self.exec_cursor, self.executions.len());
            }
        }
        vec![]
    }

    fn pan(&mut self, dx: i32, dy: i32) -> Vec<Cmd> {
        if self.timeline {
            // The timeline always fits the panel's width: nothing to pan.
            return vec![];
        }
        let inside = geometry::inside(geometry::areas_of(self.size, self.zoom()).graph);
        let view = (inside.width, inside.height);
        let pan = self.graph_viewport(view).map(|(layout, offset)| {
            geometry::panned(offset, (dx, dy), (layout.width, layout.height), view)
        });
        if pan.is_some() {
            self.graph_pan = pan;
        }
        vec![]
    }
}
