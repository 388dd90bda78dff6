//! Key bindings as data: one table drives key handling, the footer and the help overlay
//! in every context (each panel, each overlay, the trip editor, a confirmation), so what
//! the screen advertises is exactly what works.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The panel that has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    /// The state graph (arrows select a state, Shift pans).
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

/// Who has the keyboard: a panel, or whatever is drawn over the panels. A key means
/// what the bindings of the current context say, and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// A panel has the keyboard.
    Panel(Focus),
    /// The help overlay.
    Help,
    /// One event's payloads.
    Event,
    /// One state's visits: input, output, attempts, events.
    Inspect,
    /// Typing a trip id.
    EditTrip,
    /// A yes/no question.
    Confirm,
    /// Typing the history filter.
    Filter,
}

/// What a key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `1`–`8`: choose that run type and launch it (7 and 8 on the approval machine).
    Launch,
    /// Approve the approval the selected execution waits for.
    Approve,
    /// Reject it.
    Reject,
    /// Edit the trip id.
    EditTrip,
    /// Back to a fresh trip id for each launch.
    NewTrip,
    /// Cycle the cancel failure rate 0 → 0.4 → 1.
    CycleRate,
    /// Pause or resume the runtime's execution time.
    Pause,
    /// While paused: advance the selected execution by one history event.
    Step,
    /// The focused panel fills the screen, or gives it back.
    Zoom,
    /// The graph panel shows the timeline, or the state graph again.
    Timeline,
    /// Run a crowd of sagas and show the load panel, or the graph again.
    Load,
    /// Leave the load panel.
    LeaveLoad,
    /// Demo speed up.
    Faster,
    /// Demo speed down.
    Slower,
    /// Next panel.
    FocusNext,
    /// Previous panel.
    FocusPrev,
    /// Move / pan / scroll up.
    Up,
    /// Move / pan / scroll down.
    Down,
    /// Pan left (the inspector: scroll left).
    Left,
    /// Pan right (the inspector: scroll right).
    Right,
    /// Pan the graph up.
    PanUp,
    /// Pan the graph down.
    PanDown,
    /// Select the nearest state above.
    SelectUp,
    /// Select the nearest state below.
    SelectDown,
    /// Select the nearest state to the left.
    SelectLeft,
    /// Select the nearest state to the right.
    SelectRight,
    /// Open the inspector on the selected state.
    Inspect,
    /// Fold or unfold what the cursor is on.
    Fold,
    /// Wrap long lines, or scroll sideways.
    ToggleWrap,
    /// Fold every object, array and visit shown.
    FoldAll,
    /// Unfold everything.
    UnfoldAll,
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
    /// One history event back in time (follow off).
    TravelBack,
    /// One history event forward in time (follow off).
    TravelForward,
    /// Stop the selected execution (asks first).
    Stop,
    /// Redrive the selected failed, timed-out or aborted execution (asks first).
    Redrive,
    /// Save the selected execution to a file `sagaview open` shows.
    Export,
    /// Show the help overlay.
    Help,
    /// Leave (asks first while executions run).
    Quit,
    /// Leave at once, whatever runs: the terminal must always be recoverable.
    QuitNow,
    /// Take what is typed, or answer yes.
    Accept,
    /// Close the overlay, drop what is typed, or answer no.
    Close,
    /// Delete the last character typed.
    DeleteChar,
    /// Delete back to the previous `-` or `_` (or the start).
    DeleteWord,
    /// Delete everything typed.
    ClearInput,
    /// Copy the selected execution's ARN to the terminal's clipboard.
    CopyArn,
    /// Type a filter for the history.
    Filter,
    /// Show every event again.
    ClearFilter,
}

/// A key as bindings name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A printable character, without Ctrl or Alt.
    Char(char),
    /// Ctrl + character.
    Ctrl(char),
    /// Shift + a key that is not a character (Shift+arrows).
    Shift(KeyCode),
    /// Any other key.
    Code(KeyCode),
}

impl Key {
    fn matches(self, ev: &KeyEvent) -> bool {
        match self {
            Key::Char(c) => ev.code == KeyCode::Char(c) && !is_chord(ev),
            Key::Ctrl(c) => {
                ev.code == KeyCode::Char(c) && ev.modifiers.contains(KeyModifiers::CONTROL)
            }
            Key::Shift(code) => ev.code == code && ev.modifiers.contains(KeyModifiers::SHIFT),
            Key::Code(code) => ev.code == code,
        }
    }
}

/// Whether a key is a Ctrl or Alt chord: a command, never text.
pub fn is_chord(ev: &KeyEvent) -> bool {
    ev.modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
}

/// How much a footer hint matters when the line is too short for all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// Shown at any width (help, quit, the way out of an overlay).
    Always,
    /// The context's main keys.
    High,
    /// Keys worth knowing.
    Medium,
    /// Shown when there is room.
    Low,
    /// Shown last.
    Least,
}

/// A binding's footer entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hint {
    /// The keys, as the binding writes them.
    pub label: &'static str,
    /// What they do, in a word or two.
    pub text: &'static str,
    /// Which hints stay when the line is short.
    pub priority: Priority,
}

/// One binding: keys, what they do, where they apply, and how help and footer show them.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// Any of these keys.
    pub keys: &'static [Key],
    /// The action.
    pub action: Action,
    /// Where it applies.
    pub contexts: &'static [Context],
    /// How the keys are written in help and footer.
    pub label: &'static str,
    /// What it does, for the help overlay; empty keeps it out of help.
    pub help: &'static str,
    /// Footer text and priority; `None` keeps it out of the footer.
    pub footer: Option<(&'static str, Priority)>,
}

impl Binding {
    const fn new(
        keys: &'static [Key],
        action: Action,
        contexts: &'static [Context],
        label: &'static str,
    ) -> Self {
        Self {
            keys,
            action,
            contexts,
            label,
            help: "",
            footer: None,
        }
    }

    const fn help(self, help: &'static str) -> Self {
        Self { help, ..self }
    }

    const fn footer(self, text: &'static str, priority: Priority) -> Self {
        Self {
            footer: Some((text, priority)),
            ..self
        }
    }

    /// Whether the binding applies in `context`.
    pub fn applies(&self, context: Context) -> bool {
        self.contexts.contains(&context)
    }
}

const DIGITS: &[Key] = &[
    Key::Char('1'),
    Key::Char('2'),
    Key::Char('3'),
    Key::Char('4'),
    Key::Char('5'),
    Key::Char('6'),
    Key::Char('7'),
    Key::Char('8'),
];
const ENTER: &[Key] = &[Key::Code(KeyCode::Enter)];
const ESC: &[Key] = &[Key::Code(KeyCode::Esc)];
const UP: &[Key] = &[Key::Code(KeyCode::Up), Key::Char('k')];
const DOWN: &[Key] = &[Key::Code(KeyCode::Down), Key::Char('j')];
const PAGE_UP: &[Key] = &[Key::Code(KeyCode::PageUp)];
const PAGE_DOWN: &[Key] = &[Key::Code(KeyCode::PageDown)];

/// The panels whose arrows move a cursor or scroll (the graph's select a state).
const LISTS: &[Context] = &[
    Context::Panel(Focus::History),
    Context::Panel(Focus::Rows),
    Context::Panel(Focus::Executions),
];
const PANELS: &[Context] = &[
    Context::Panel(Focus::Graph),
    Context::Panel(Focus::History),
    Context::Panel(Focus::Rows),
    Context::Panel(Focus::Executions),
];
const EVERYWHERE: &[Context] = &[
    Context::Panel(Focus::Graph),
    Context::Panel(Focus::History),
    Context::Panel(Focus::Rows),
    Context::Panel(Focus::Executions),
    Context::Help,
    Context::Event,
    Context::Inspect,
    Context::EditTrip,
    Context::Confirm,
    Context::Filter,
];
/// The panels where Esc has nothing else to do (the history's clears its filter).
const NOT_HISTORY: &[Context] = &[
    Context::Panel(Focus::Graph),
    Context::Panel(Focus::Rows),
    Context::Panel(Focus::Executions),
];
const GRAPH: &[Context] = &[Context::Panel(Focus::Graph)];
const HISTORY: &[Context] = &[Context::Panel(Focus::History)];
const EXECUTIONS: &[Context] = &[Context::Panel(Focus::Executions)];
const HELP: &[Context] = &[Context::Help];
const EVENT: &[Context] = &[Context::Event];
const INSPECT: &[Context] = &[Context::Inspect];
const EDIT_TRIP: &[Context] = &[Context::EditTrip];
const CONFIRM: &[Context] = &[Context::Confirm];
const FILTER: &[Context] = &[Context::Filter];

use Action as A;
use Priority as P;

/// Every binding, panels first in help order, then the overlays'. The first binding
/// that matches the key in the context wins; no key is bound twice in one context.
pub const BINDINGS: &[Binding] = &[
    // The panels.
    Binding::new(DIGITS, A::Launch, PANELS, "1-8")
        .help("choose the run type and launch it")
        .footer("launch", P::High),
    Binding::new(ENTER, A::SelectExecution, EXECUTIONS, "Enter")
        .help("view the execution under the cursor")
        .footer("view", P::High),
    Binding::new(ENTER, A::OpenEvent, HISTORY, "Enter")
        .help("show the event's input/output JSON")
        .footer("payload", P::High),
    Binding::new(ENTER, A::Inspect, GRAPH, "Enter")
        .help("inspect the selected state: input, output, attempts, events")
        .footer("inspect", P::High),
    Binding::new(&[Key::Char('i')], A::Inspect, PANELS, "i")
        .help("inspect the selected state (history: the cursor event's)"),
    Binding::new(&[Key::Char('t')], A::EditTrip, PANELS, "t")
        .help("edit trip id (1-64 of A-Za-z0-9_-)")
        .footer("trip", P::Medium),
    Binding::new(&[Key::Char('n')], A::NewTrip, PANELS, "n")
        .help("a fresh trip id for each launch (after t)")
        .footer("fresh trips", P::Least),
    Binding::new(&[Key::Char('p'), Key::Char(' ')], A::Pause, PANELS, "p")
        .help("pause / resume every execution (also Space)")
        .footer("pause", P::High),
    Binding::new(&[Key::Char('.')], A::Step, PANELS, ".")
        .help("while paused: the selected execution's next event")
        .footer("step", P::High),
    Binding::new(&[Key::Char('z')], A::Zoom, PANELS, "z")
        .help("zoom the focused panel to the whole screen")
        .footer("zoom", P::Low),
    Binding::new(&[Key::Char('c')], A::CycleRate, PANELS, "c")
        .help("cycle cancel failure rate 0/0.4/1")
        .footer("fail rate", P::Low),
    Binding::new(&[Key::Char('v')], A::Timeline, PANELS, "v")
        .help("graph panel: state graph / timeline")
        .footer("timeline", P::Low),
    Binding::new(&[Key::Char('L')], A::Load, PANELS, "L")
        .help("a crowd: 100 sagas, the six run types alike, summed up live (L/Esc: back)")
        .footer("crowd", P::Low),
    Binding::new(ESC, A::LeaveLoad, NOT_HISTORY, "Esc"),
    Binding::new(&[Key::Char('+'), Key::Char('=')], A::Faster, PANELS, "+/-")
        .help("speed up / down (also what already waits)")
        .footer("speed", P::Least),
    Binding::new(&[Key::Char('-'), Key::Char('_')], A::Slower, PANELS, "-"),
    Binding::new(&[Key::Code(KeyCode::Tab)], A::FocusNext, PANELS, "Tab")
        .help("next panel (Shift-Tab: previous)")
        .footer("panel", P::Medium),
    Binding::new(
        &[Key::Code(KeyCode::BackTab)],
        A::FocusPrev,
        PANELS,
        "S-Tab",
    ),
    Binding::new(UP, A::Up, LISTS, "↑↓/jk")
        .help("move")
        .footer("move", P::Low),
    Binding::new(DOWN, A::Down, LISTS, "j"),
    // The graph: Shift pans (listed first: a plain arrow binding matches Shift too).
    Binding::new(&[Key::Shift(KeyCode::Left)], A::Left, GRAPH, "S-←↓↑→")
        .help("pan the graph")
        .footer("pan", P::Low),
    Binding::new(&[Key::Shift(KeyCode::Down)], A::PanDown, GRAPH, "S-↓"),
    Binding::new(&[Key::Shift(KeyCode::Up)], A::PanUp, GRAPH, "S-↑"),
    Binding::new(&[Key::Shift(KeyCode::Right)], A::Right, GRAPH, "S-→"),
    Binding::new(
        &[Key::Code(KeyCode::Left), Key::Char('h')],
        A::SelectLeft,
        GRAPH,
        "←↓↑→/hjkl",
    )
    .help("select the nearest state that way")
    .footer("select", P::Medium),
    Binding::new(DOWN, A::SelectDown, GRAPH, "j"),
    Binding::new(UP, A::SelectUp, GRAPH, "k"),
    Binding::new(
        &[Key::Code(KeyCode::Right), Key::Char('l')],
        A::SelectRight,
        GRAPH,
        "l",
    ),
    Binding::new(PAGE_UP, A::PageUp, PANELS, "PgUp/PgDn").help("a page up / down"),
    Binding::new(PAGE_DOWN, A::PageDown, PANELS, "PgDn"),
    Binding::new(
        &[Key::Code(KeyCode::Home), Key::Char('g')],
        A::Top,
        PANELS,
        "Home/End",
    )
    .help("first / last (End: follow history)"),
    Binding::new(
        &[Key::Code(KeyCode::End), Key::Char('G')],
        A::Bottom,
        PANELS,
        "End",
    ),
    Binding::new(&[Key::Char('f')], A::Follow, HISTORY, "f")
        .help("follow new events on/off")
        .footer("follow", P::Medium),
    Binding::new(&[Key::Char('/')], A::Filter, PANELS, "/")
        .help("filter the history: words, state:NAME, type:TYPE")
        .footer("filter", P::Low),
    Binding::new(ESC, A::ClearFilter, HISTORY, "Esc").help("show every event again (after /)"),
    Binding::new(&[Key::Char('y')], A::CopyArn, PANELS, "y")
        .help("copy the selected execution's ARN (OSC 52)")
        .footer("copy ARN", P::Least),
    Binding::new(&[Key::Char('[')], A::TravelBack, PANELS, "[/]")
        .help("one event back / forward in time: graph, rows as they were"),
    Binding::new(&[Key::Char(']')], A::TravelForward, PANELS, "]"),
    Binding::new(&[Key::Char('s')], A::Stop, PANELS, "s")
        .help("stop the selected execution")
        .footer("stop", P::High),
    Binding::new(&[Key::Char('R')], A::Redrive, PANELS, "R")
        .help("redrive the selected failed execution from the state that failed")
        .footer("redrive", P::Least),
    Binding::new(&[Key::Char('a')], A::Approve, PANELS, "a")
        .help("approve the payment the selected execution waits for (SendTaskSuccess)")
        .footer("approve", P::Least),
    Binding::new(&[Key::Char('r')], A::Reject, PANELS, "r")
        .help("reject it (SendTaskFailure): the saga compensates")
        .footer("reject", P::Least),
    Binding::new(&[Key::Char('x')], A::Export, PANELS, "x")
        .help("save the selected execution to a file (for sagaview open)"),
    Binding::new(&[Key::Char('?')], A::Help, PANELS, "?")
        .help("this help")
        .footer("help", P::Always),
    Binding::new(&[Key::Char('q')], A::Quit, PANELS, "q")
        .help("quit (asks while executions run)")
        .footer("quit", P::Always),
    Binding::new(&[Key::Ctrl('c')], A::QuitNow, EVERYWHERE, "Ctrl-C").help("quit at once"),
    // The help overlay.
    Binding::new(UP, A::Up, HELP, "↑↓/jk")
        .help("scroll a line")
        .footer("scroll", P::High),
    Binding::new(DOWN, A::Down, HELP, "j"),
    Binding::new(PAGE_UP, A::PageUp, HELP, "PgUp/PgDn").help("a page"),
    Binding::new(PAGE_DOWN, A::PageDown, HELP, "PgDn"),
    Binding::new(
        &[Key::Code(KeyCode::Home), Key::Char('g')],
        A::Top,
        HELP,
        "Home/End",
    )
    .help("top / end"),
    Binding::new(
        &[Key::Code(KeyCode::End), Key::Char('G')],
        A::Bottom,
        HELP,
        "End",
    ),
    Binding::new(
        &[
            Key::Code(KeyCode::Esc),
            Key::Char('?'),
            Key::Char('q'),
            Key::Code(KeyCode::Enter),
        ],
        A::Close,
        HELP,
        "Esc/?",
    )
    .help("close")
    .footer("close", P::Always),
    // One event's payloads.
    Binding::new(UP, A::Up, EVENT, "↑↓/jk")
        .help("scroll")
        .footer("scroll", P::High),
    Binding::new(DOWN, A::Down, EVENT, "j"),
    Binding::new(PAGE_UP, A::PageUp, EVENT, "PgUp/PgDn").help("a page"),
    Binding::new(PAGE_DOWN, A::PageDown, EVENT, "PgDn"),
    Binding::new(
        &[
            Key::Code(KeyCode::Esc),
            Key::Code(KeyCode::Enter),
            Key::Char('q'),
        ],
        A::Close,
        EVENT,
        "Esc",
    )
    .help("close")
    .footer("close", P::Always),
    // One state's visits.
    Binding::new(UP, A::Up, INSPECT, "↑↓/jk")
        .help("move the cursor")
        .footer("move", P::High),
    Binding::new(DOWN, A::Down, INSPECT, "j"),
    Binding::new(PAGE_UP, A::PageUp, INSPECT, "PgUp/PgDn").help("a page"),
    Binding::new(PAGE_DOWN, A::PageDown, INSPECT, "PgDn"),
    Binding::new(
        &[Key::Code(KeyCode::Home), Key::Char('g')],
        A::Top,
        INSPECT,
        "Home/End",
    )
    .help("top / end"),
    Binding::new(
        &[Key::Code(KeyCode::End), Key::Char('G')],
        A::Bottom,
        INSPECT,
        "End",
    ),
    Binding::new(
        &[Key::Char(' '), Key::Code(KeyCode::Enter)],
        A::Fold,
        INSPECT,
        "Space",
    )
    .help("fold / unfold the object, array or visit (also Enter)")
    .footer("fold", P::High),
    Binding::new(&[Key::Char('z')], A::FoldAll, INSPECT, "z/Z")
        .help("fold all / unfold all")
        .footer("fold all", P::Low),
    Binding::new(&[Key::Char('Z')], A::UnfoldAll, INSPECT, "Z"),
    Binding::new(&[Key::Char('w')], A::ToggleWrap, INSPECT, "w")
        .help("wrap long lines / scroll sideways")
        .footer("wrap", P::Medium),
    Binding::new(
        &[Key::Code(KeyCode::Left), Key::Char('h')],
        A::Left,
        INSPECT,
        "←→/hl",
    )
    .help("scroll sideways (wrap off)"),
    Binding::new(
        &[Key::Code(KeyCode::Right), Key::Char('l')],
        A::Right,
        INSPECT,
        "l",
    ),
    Binding::new(
        &[Key::Code(KeyCode::Esc), Key::Char('q'), Key::Char('i')],
        A::Close,
        INSPECT,
        "Esc",
    )
    .help("close")
    .footer("close", P::Always),
    // The trip editor: printable characters are typed, these keys edit.
    Binding::new(ENTER, A::Accept, EDIT_TRIP, "Enter")
        .help("book this trip from now on")
        .footer("accept", P::Always),
    Binding::new(ESC, A::Close, EDIT_TRIP, "Esc")
        .help("cancel")
        .footer("cancel", P::Always),
    Binding::new(
        &[Key::Code(KeyCode::Backspace)],
        A::DeleteChar,
        EDIT_TRIP,
        "⌫",
    )
    .help("delete a character")
    .footer("delete", P::High),
    Binding::new(&[Key::Ctrl('w')], A::DeleteWord, EDIT_TRIP, "Ctrl-W")
        .help("delete a word")
        .footer("delete word", P::Medium),
    Binding::new(&[Key::Ctrl('u')], A::ClearInput, EDIT_TRIP, "Ctrl-U")
        .help("clear")
        .footer("clear", P::Medium),
    // The history filter: printable characters are typed, these keys edit.
    Binding::new(ENTER, A::Accept, FILTER, "Enter")
        .help("keep this filter")
        .footer("keep", P::Always),
    Binding::new(ESC, A::Close, FILTER, "Esc")
        .help("back to the filter before")
        .footer("cancel", P::Always),
    Binding::new(&[Key::Code(KeyCode::Backspace)], A::DeleteChar, FILTER, "⌫")
        .help("delete a character")
        .footer("delete", P::High),
    Binding::new(&[Key::Ctrl('w')], A::DeleteWord, FILTER, "Ctrl-W")
        .help("delete a word")
        .footer("delete word", P::Medium),
    Binding::new(&[Key::Ctrl('u')], A::ClearInput, FILTER, "Ctrl-U")
        .help("clear")
        .footer("clear", P::Medium),
    // A yes/no question.
    Binding::new(
        &[Key::Char('y'), Key::Char('Y'), Key::Code(KeyCode::Enter)],
        A::Accept,
        CONFIRM,
        "y/Enter",
    )
    .help("yes")
    .footer("yes", P::Always),
    Binding::new(
        &[Key::Char('n'), Key::Char('N'), Key::Code(KeyCode::Esc)],
        A::Close,
        CONFIRM,
        "n/Esc",
    )
    .help("no")
    .footer("no", P::Always),
];

/// The action of a key in a context, if any.
pub fn action_for(ev: &KeyEvent, context: Context) -> Option<Action> {
    BINDINGS
        .iter()
        .find(|b| b.applies(context) && b.keys.iter().any(|k| k.matches(ev)))
        .map(|b| b.action)
}

/// How the keys of `action` in `context` are written ("" when nothing is bound), for
/// text that names a key.
pub fn label(context: Context, action: Action) -> &'static str {
    BINDINGS
        .iter()
        .find(|b| b.applies(context) && b.action == action)
        .map_or("", |b| b.label)
}

/// The footer hints of a context, in table order.
pub fn footer(context: Context) -> Vec<Hint> {
    BINDINGS
        .iter()
        .filter(|b| b.applies(context))
        .filter_map(|b| {
            b.footer.map(|(text, priority)| Hint {
                label: b.label,
                text,
                priority,
            })
        })
        .collect()
}

/// `(keys, text)` pairs for the help overlay, every context's.
pub fn help() -> Vec<(&'static str, &'static str)> {
    BINDINGS
        .iter()
        .filter(|b| !b.help.is_empty())
        .map(|b| (b.label, b.help))
        .collect()
}

/// Where a binding works, as the help overlay groups keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// In every panel (and maybe over the panels too, like Ctrl-C).
    Everywhere,
    /// In one panel only.
    Panel(Focus),
    /// In an overlay, the trip editor or a question, and in no panel.
    Overlay(Context),
}

impl Scope {
    /// Whether a binding belongs to this group: each binding with help text belongs
    /// to exactly one (a binding of some panels but not all shows under each of them).
    pub fn holds(self, b: &Binding) -> bool {
        let everywhere = Focus::ORDER.iter().all(|&f| b.applies(Context::Panel(f)));
        match self {
            Scope::Everywhere => everywhere,
            Scope::Panel(f) => !everywhere && b.applies(Context::Panel(f)),
            Scope::Overlay(c) => {
                b.applies(c) && !Focus::ORDER.iter().any(|&f| b.applies(Context::Panel(f)))
            }
        }
    }
}

/// `(keys, text)` pairs of one help group, in table order.
pub fn help_in(scope: Scope) -> Vec<(&'static str, &'static str)> {
    BINDINGS
        .iter()
        .filter(|b| !b.help.is_empty() && scope.holds(b))
        .map(|b| (b.label, b.help))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    const ALL: [Context; 9] = [
        Context::Panel(Focus::Graph),
        Context::Panel(Focus::History),
        Context::Panel(Focus::Rows),
        Context::Panel(Focus::Executions),
        Context::Help,
        Context::Event,
        Context::Inspect,
        Context::EditTrip,
        Context::Confirm,
    ];

    #[test]
    fn enter_depends_on_focus() {
        let enter = key(KeyCode::Enter);
        let panel = |f| action_for(&enter, Context::Panel(f));
        assert_eq!(panel(Focus::Graph), Some(Action::Inspect));
        assert_eq!(panel(Focus::Rows), None, "the rows panel launches nothing");
        assert_eq!(panel(Focus::Executions), Some(Action::SelectExecution));
        assert_eq!(panel(Focus::History), Some(Action::OpenEvent));
        assert_eq!(action_for(&enter, Context::EditTrip), Some(Action::Accept));
        assert_eq!(action_for(&enter, Context::Confirm), Some(Action::Accept));
    }

    #[test]
    fn ctrl_c_quits_at_once_everywhere_but_plain_c_cycles() {
        for context in ALL {
            assert_eq!(action_for(&ctrl('c'), context), Some(Action::QuitNow));
        }
        let graph = Context::Panel(Focus::Graph);
        assert_eq!(
            action_for(&key(KeyCode::Char('c')), graph),
            Some(Action::CycleRate)
        );
        assert_eq!(
            action_for(&key(KeyCode::Char('q')), graph),
            Some(Action::Quit)
        );
    }

    #[test]
    fn the_trip_editor_binds_editing_keys_and_no_text() {
        let e = Context::EditTrip;
        assert_eq!(action_for(&ctrl('u'), e), Some(Action::ClearInput));
        assert_eq!(action_for(&ctrl('w'), e), Some(Action::DeleteWord));
        assert_eq!(
            action_for(&key(KeyCode::Backspace), e),
            Some(Action::DeleteChar)
        );
        for c in ['a', 'q', 's', 'y', 'n', '-', '_', '1', '?'] {
            assert_eq!(action_for(&key(KeyCode::Char(c)), e), None, "{c} is text");
        }
        assert!(is_chord(&ctrl('x')));
    }

    #[test]
    fn every_overlay_has_a_way_out() {
        for context in [
            Context::Help,
            Context::Event,
            Context::Inspect,
            Context::EditTrip,
            Context::Confirm,
        ] {
            assert_eq!(action_for(&key(KeyCode::Esc), context), Some(Action::Close));
        }
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        for context in ALL {
            let keys: Vec<Key> = BINDINGS
                .iter()
                .filter(|b| b.applies(context))
                .flat_map(|b| b.keys.iter().copied())
                .collect();
            for (i, k) in keys.iter().enumerate() {
                assert!(!keys[i + 1..].contains(k), "{k:?} twice in {context:?}");
            }
        }
    }

    #[test]
    fn every_panel_footer_offers_help_and_quit_always() {
        for f in Focus::ORDER {
            let always: Vec<&str> = footer(Context::Panel(f))
                .iter()
                .filter(|h| h.priority == Priority::Always)
                .map(|h| h.label)
                .collect();
            assert_eq!(always, ["?", "q"]);
        }
    }

    #[test]
    fn footer_shows_only_what_works_here() {
        let has = |f, label, text| {
            footer(Context::Panel(f))
                .iter()
                .any(|h| h.label == label && h.text == text)
        };
        assert!(has(Focus::History, "f", "follow"));
        assert!(!has(Focus::Graph, "f", "follow"));
        assert!(has(Focus::Graph, "S-←↓↑→", "pan"));
        assert!(has(Focus::Graph, "←↓↑→/hjkl", "select"));
        assert!(!has(Focus::Rows, "Enter", "relaunch"));
    }

    #[test]
    fn help_groups_hold_every_binding_with_help_text() {
        let scopes: Vec<Scope> = std::iter::once(Scope::Everywhere)
            .chain(Focus::ORDER.map(Scope::Panel))
            .chain(
                [
                    Context::Help,
                    Context::Event,
                    Context::Inspect,
                    Context::EditTrip,
                    Context::Confirm,
                    Context::Filter,
                ]
                .map(Scope::Overlay),
            )
            .collect();
        for b in BINDINGS.iter().filter(|b| !b.help.is_empty()) {
            assert!(scopes.iter().any(|s| s.holds(b)), "{} in no group", b.label);
        }
        let labels = |scope| -> Vec<&str> { help_in(scope).iter().map(|(k, _)| *k).collect() };
        assert!(labels(Scope::Everywhere).contains(&"Ctrl-C"));
        assert_eq!(
            labels(Scope::Panel(Focus::Graph)),
            ["Enter", "S-←↓↑→", "←↓↑→/hjkl"]
        );
        assert_eq!(
            labels(Scope::Panel(Focus::History)),
            ["Enter", "↑↓/jk", "f", "Esc"]
        );
        assert_eq!(labels(Scope::Panel(Focus::Rows)), ["↑↓/jk"]);
        assert_eq!(
            labels(Scope::Overlay(Context::Help)),
            ["↑↓/jk", "PgUp/PgDn", "Home/End", "Esc/?"]
        );
    }

    #[test]
    fn graph_arrows_select_and_shift_pans() {
        let graph = Context::Panel(Focus::Graph);
        let shift = |c| KeyEvent::new(c, KeyModifiers::SHIFT);
        assert_eq!(action_for(&key(KeyCode::Up), graph), Some(Action::SelectUp));
        assert_eq!(
            action_for(&key(KeyCode::Char('l')), graph),
            Some(Action::SelectRight)
        );
        assert_eq!(action_for(&shift(KeyCode::Up), graph), Some(Action::PanUp));
        assert_eq!(action_for(&shift(KeyCode::Left), graph), Some(Action::Left));
        assert_eq!(
            action_for(&shift(KeyCode::Down), graph),
            Some(Action::PanDown)
        );
        let history = Context::Panel(Focus::History);
        assert_eq!(action_for(&shift(KeyCode::Up), history), Some(Action::Up));
        assert_eq!(
            action_for(&key(KeyCode::Char('i')), history),
            Some(Action::Inspect)
        );
    }

    #[test]
    fn help_scrolls_by_line_page_and_end() {
        let help = |c: KeyCode| action_for(&key(c), Context::Help);
        assert_eq!(help(KeyCode::Char('j')), Some(Action::Down));
        assert_eq!(help(KeyCode::Up), Some(Action::Up));
        assert_eq!(help(KeyCode::PageDown), Some(Action::PageDown));
        assert_eq!(help(KeyCode::Home), Some(Action::Top));
        assert_eq!(help(KeyCode::Char('G')), Some(Action::Bottom));
        assert_eq!(help(KeyCode::Char('?')), Some(Action::Close));
    }

    #[test]
    fn every_binding_has_keys_and_contexts() {
        for b in BINDINGS {
            assert!(!b.keys.is_empty() && !b.contexts.is_empty());
        }
        assert!(help().len() >= 15);
        assert_eq!(label(Context::EditTrip, Action::Accept), "Enter");
        assert_eq!(label(Context::Confirm, Action::Stop), "");
    }
}
