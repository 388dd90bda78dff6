//! Key bindings as data: one table drives key handling, the footer and the help overlay,
//! so what the screen advertises is exactly what works.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The panel that has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    /// The state graph (arrows pan).
    #[default]
    Graph,
    /// The event history (arrows move, Enter shows payloads).
    History,
    /// The trip's rows (arrows scroll).
    Rows,
    /// Earlier and running executions (Enter selects).
    Executions,
}

impl Focus {
    /// Tab order.
    pub const ORDER: [Focus; 4] = [Focus::Graph, Focus::History, Focus::Rows, Focus::Executions];

    /// The next panel in tab order (`back` for Shift-Tab).
    pub fn cycle(self, back: bool) -> Focus {
        let i = Focus::ORDER.iter().position(|&f| f == self).unwrap_or(0);
        let n = Focus::ORDER.len();
        Focus::ORDER[if back { (i + n - 1) % n } else { (i + 1) % n }]
    }
}

/// What a key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `1`–`6`: choose that run type and launch it.
    Launch,
    /// Launch the selected run type again.
    Relaunch,
    /// Edit the trip id.
    EditTrip,
    /// A new random trip id.
    NewTrip,
    /// Cycle the cancel failure rate 0 → 0.4 → 1.
    CycleRate,
    /// Demo speed up.
    Faster,
    /// Demo speed down.
    Slower,
    /// Next panel.
    FocusNext,
    /// Previous panel.
    FocusPrev,
    /// Move / pan up.
    Up,
    /// Move / pan down.
    Down,
    /// Pan left.
    Left,
    /// Pan right.
    Right,
    /// A page up.
    PageUp,
    /// A page down.
    PageDown,
    /// To the first entry.
    Top,
    /// To the last entry (history: follow again).
    Bottom,
    /// Select the execution under the cursor.
    SelectExecution,
    /// Show the event's input/output.
    OpenEvent,
    /// Toggle history follow mode.
    Follow,
    /// Stop the selected execution.
    Stop,
    /// Show / hide the help overlay.
    Help,
    /// Leave.
    Quit,
}

/// A key as bindings name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A printable character.
    Char(char),
    /// Ctrl + character.
    Ctrl(char),
    /// Any other key.
    Code(KeyCode),
}

impl Key {
    fn matches(self, ev: &KeyEvent) -> bool {
        match self {
            Key::Char(c) => {
                ev.code == KeyCode::Char(c)
                    && !ev
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
            }
            Key::Ctrl(c) => {
                ev.code == KeyCode::Char(c) && ev.modifiers.contains(KeyModifiers::CONTROL)
            }
            Key::Code(code) => ev.code == code,
        }
    }
}

/// One binding: keys, what they do, where they apply, and how help shows them.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// Any of these keys.
    pub keys: &'static [Key],
    /// The action.
    pub action: Action,
    /// Panels where it applies (empty: everywhere).
    pub focus: &'static [Focus],
    /// How the keys are written in help and footer.
    pub label: &'static str,
    /// What it does, for help.
    pub help: &'static str,
    /// Short text for the footer; `None` keeps it out of the footer.
    pub footer: Option<&'static str>,
}

const DIGITS: &[Key] = &[
    Key::Char('1'),
    Key::Char('2'),
    Key::Char('3'),
    Key::Char('4'),
    Key::Char('5'),
    Key::Char('6'),
];
const NOT_LISTS: &[Focus] = &[Focus::Graph, Focus::Rows];

/// Every binding, in help order. The first binding that matches the key and focus wins.
pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: DIGITS,
        action: Action::Launch,
        focus: &[],
        label: "1-6",
        help: "choose the run type and launch it",
        footer: Some("launch"),
    },
    Binding {
        keys: &[Key::Code(KeyCode::Enter)],
        action: Action::SelectExecution,
        focus: &[Focus::Executions],
        label: "Enter",
        help: "view the execution under the cursor",
        footer: Some("view"),
    },
    Binding {
        keys: &[Key::Code(KeyCode::Enter)],
        action: Action::OpenEvent,
        focus: &[Focus::History],
        label: "Enter",
        help: "show the event's input/output JSON",
        footer: Some("payload"),
    },
    Binding {
        keys: &[Key::Code(KeyCode::Enter)],
        action: Action::Relaunch,
        focus: NOT_LISTS,
        label: "Enter",
        help: "launch the selected run type again",
        footer: Some("relaunch"),
    },
    Binding {
        keys: &[Key::Char('t')],
        action: Action::EditTrip,
        focus: &[],
        label: "t",
        help: "edit trip id (1-64 of A-Za-z0-9_-)",
        footer: Some("trip"),
    },
    Binding {
        keys: &[Key::Char('n')],
        action: Action::NewTrip,
        focus: &[],
        label: "n",
        help: "new random trip id",
        footer: Some("new trip"),
    },
    Binding {
        keys: &[Key::Char('c')],
        action: Action::CycleRate,
        focus: &[],
        label: "c",
        help: "cycle cancel failure rate 0/0.4/1",
        footer: Some("fail rate"),
    },
    Binding {
        keys: &[Key::Char('+'), Key::Char('=')],
        action: Action::Faster,
        focus: &[],
        label: "+/-",
        help: "demo speed up / down",
        footer: Some("speed"),
    },
    Binding {
        keys: &[Key::Char('-'), Key::Char('_')],
        action: Action::Slower,
        focus: &[],
        label: "-",
        help: "",
        footer: None,
    },
    Binding {
        keys: &[Key::Code(KeyCode::Tab)],
        action: Action::FocusNext,
        focus: &[],
        label: "Tab",
        help: "next panel (Shift-Tab: previous)",
        footer: Some("panel"),
    },
    Binding {
        keys: &[Key::Code(KeyCode::BackTab)],
        action: Action::FocusPrev,
        focus: &[],
        label: "S-Tab",
        help: "",
        footer: None,
    },
    Binding {
        keys: &[Key::Code(KeyCode::Up), Key::Char('k')],
        action: Action::Up,
        focus: &[],
        label: "↑↓/jk",
        help: "move (graph: pan up/down)",
        footer: Some("move"),
    },
    Binding {
        keys: &[Key::Code(KeyCode::Down), Key::Char('j')],
        action: Action::Down,
        focus: &[],
        label: "j",
        help: "",
        footer: None,
    },
    Binding {
        keys: &[Key::Code(KeyCode::Left), Key::Char('h')],
        action: Action::Left,
        focus: &[Focus::Graph],
        label: "←→/hl",
        help: "pan the graph sideways",
        footer: Some("pan"),
    },
    Binding {
        keys: &[Key::Code(KeyCode::Right), Key::Char('l')],
        action: Action::Right,
        focus: &[Focus::Graph],
        label: "l",
        help: "",
        footer: None,
    },
    Binding {
        keys: &[Key::Code(KeyCode::PageUp)],
        action: Action::PageUp,
        focus: &[],
        label: "PgUp/PgDn",
        help: "a page up / down",
        footer: None,
    },
    Binding {
        keys: &[Key::Code(KeyCode::PageDown)],
        action: Action::PageDown,
        focus: &[],
        label: "PgDn",
        help: "",
        footer: None,
    },
    Binding {
        keys: &[Key::Code(KeyCode::Home), Key::Char('g')],
        action: Action::Top,
        focus: &[],
        label: "Home/End",
        help: "first / last (End: follow history)",
        footer: None,
    },
    Binding {
        keys: &[Key::Code(KeyCode::End), Key::Char('G')],
        action: Action::Bottom,
        focus: &[],
        label: "End",
        help: "",
        footer: None,
    },
    Binding {
        keys: &[Key::Char('f')],
        action: Action::Follow,
        focus: &[Focus::History],
        label: "f",
        help: "follow new events on/off",
        footer: Some("follow"),
    },
    Binding {
        keys: &[Key::Char('s')],
        action: Action::Stop,
        focus: &[],
        label: "s",
        help: "stop the selected execution",
        footer: Some("stop"),
    },
    Binding {
        keys: &[Key::Char('?')],
        action: Action::Help,
        focus: &[],
        label: "?",
        help: "this help",
        footer: Some("help"),
    },
    Binding {
        keys: &[Key::Char('q'), Key::Ctrl('c')],
        action: Action::Quit,
        focus: &[],
        label: "q/Ctrl-C",
        help: "quit",
        footer: Some("quit"),
    },
];

impl Binding {
    /// Whether the binding applies with `focus`.
    pub fn applies(&self, focus: Focus) -> bool {
        self.focus.is_empty() || self.focus.contains(&focus)
    }
}

/// The action of a key in a panel, if any.
pub fn action_for(ev: &KeyEvent, focus: Focus) -> Option<Action> {
    BINDINGS
        .iter()
        .find(|b| b.applies(focus) && b.keys.iter().any(|k| k.matches(ev)))
        .map(|b| b.action)
}

/// `(keys, text)` pairs for the footer in a panel.
pub fn footer(focus: Focus) -> Vec<(&'static str, &'static str)> {
    BINDINGS
        .iter()
        .filter(|b| b.applies(focus))
        .filter_map(|b| b.footer.map(|f| (b.label, f)))
        .collect()
}

/// `(keys, text)` pairs for the help overlay, every panel's.
pub fn help() -> Vec<(&'static str, &'static str)> {
    BINDINGS
        .iter()
        .filter(|b| !b.help.is_empty())
        .map(|b| (b.label, b.help))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn enter_depends_on_focus() {
        let enter = key(KeyCode::Enter);
        assert_eq!(action_for(&enter, Focus::Graph), Some(Action::Relaunch));
        assert_eq!(action_for(&enter, Focus::Rows), Some(Action::Relaunch));
        assert_eq!(
            action_for(&enter, Focus::Executions),
            Some(Action::SelectExecution)
        );
        assert_eq!(action_for(&enter, Focus::History), Some(Action::OpenEvent));
    }

    #[test]
    fn ctrl_c_quits_but_plain_c_cycles() {
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(&ctrl_c, Focus::Graph), Some(Action::Quit));
        assert_eq!(
            action_for(&key(KeyCode::Char('c')), Focus::Graph),
            Some(Action::CycleRate)
        );
    }

    #[test]
    fn footer_shows_only_what_works_here() {
        assert!(footer(Focus::History).contains(&("f", "follow")));
        assert!(!footer(Focus::Graph).contains(&("f", "follow")));
        assert!(footer(Focus::Graph).contains(&("←→/hl", "pan")));
    }

    #[test]
    fn every_action_is_reachable_by_some_key() {
        for b in BINDINGS {
            assert!(!b.keys.is_empty());
        }
        assert!(help().len() >= 15);
    }
}
