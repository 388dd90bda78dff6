//! What help says, section by section. Keys come from the keymap (labels and help
//! texts alike), so help names what works; the rest explains what the screen shows.

use crate::tui::run_choices::RUN_CHOICES;

use super::wrap::NO_BREAK;
use super::{Item, Piece, Section, Tone};
use crate::engine::Pace;
use crate::tui::app::{RATES, SPEEDS};
use crate::tui::geometry::WHOLE_NAMES_MIN_WIDTH;
use crate::tui::keymap::{self, Action, Context, Focus, Scope};
use crate::tui::theme::{LEGEND, verdict_glyph};
use crate::tui::ui::header::speed_label;
use crate::view::VerdictLevel;

fn text(s: impl Into<String>) -> Piece {
    Piece::new(s, Tone::Text)
}

fn key(s: impl Into<String>) -> Piece {
    Piece::new(s, Tone::Key)
}

fn entry(term: Piece, body: Vec<Piece>) -> Item {
    Item::Entry { term, body }
}

/// The label of a panel key (every panel binds these alike).
fn panel_key(action: Action) -> &'static str {
    keymap::label(Context::Panel(Focus::Graph), action)
}

/// A group's bindings as entries: keys, then what they do.
fn key_entries(scope: Scope) -> Vec<Item> {
    keymap::help_in(scope)
        .into_iter()
        .map(|(label, help)| entry(key(label), vec![text(help)]))
        .collect()
}

/// The run types behind `1`–`8`, one line of `n name` pairs (7 and 8 on the approval
/// machine).
fn run_types() -> Item {
    let mut body = Vec::new();
    for (i, choice) in RUN_CHOICES.iter().enumerate() {
        if i > 0 {
            body.push(Piece::new(" · ", Tone::Dim));
        }
        body.push(key(format!("{}", i + 1)));
        body.push(text(format!("{NO_BREAK}{}", choice.label())));
    }
    entry(text(""), body)
}

/// Rates as `0 → 0.4 → 1`.
fn rates() -> String {
    RATES
        .iter()
        .map(f64::to_string)
        .collect::<Vec<_>>()
        .join(" → ")
}

/// The items of a section.
pub fn items(section: Section) -> Vec<Item> {
    match section {
        Section::Everywhere => everywhere(),
        Section::Panel(Focus::Graph) => graph(),
        Section::Panel(Focus::History) => history(),
        Section::Panel(Focus::Rows) => rows(),
        Section::Panel(Focus::Executions) => executions(),
        Section::Overlays => overlays(),
        Section::Header => header(),
        Section::CancelFailure => cancel_failure(),
        Section::PauseAndStep => pause_and_step(),
        Section::Pace => pace(),
        Section::Mouse => mouse(),
    }
}

fn everywhere() -> Vec<Item> {
    let launch = panel_key(Action::Launch);
    let mut items = Vec::new();
    for item in key_entries(Scope::Everywhere) {
        let launches = matches!(&item, Item::Entry { term, .. } if term.text == launch);
        items.push(item);
        if launches {
            items.push(run_types());
        }
    }
    items
}

fn graph() -> Vec<Item> {
    let mut items = key_entries(Scope::Panel(Focus::Graph));
    items.extend(
        LEGEND
            .iter()
            .map(|(glyph, meaning)| entry(key(*glyph), vec![text(*meaning)])),
    );
    items.push(Item::Note(vec![
        text(format!(
            "From {WHOLE_NAMES_MIN_WIDTH} columns every state name shows whole; when the drawing is larger than the panel, its title says "
        )),
        key("more ◀▶▲▼"),
        text(": pan there with "),
        key(panel_key(Action::Left)),
        text(" (or Shift and the arrows), or zoom with "),
        key(panel_key(Action::Zoom)),
        text(". The selected state's box is drawn heavy; choosing an event in the history selects its state."),
    ]));
    items.push(Item::Note(vec![
        key(panel_key(Action::Timeline)),
        text(" shows the execution on a time axis instead: a bar per state visit, "),
        key("█"),
        text(" an attempt ("),
        key("▓"),
        text(" a compensation's), "),
        key("┄"),
        text(" the backoff before a retry, "),
        key("✗"),
        text(" a failed attempt, "),
        key("▶"),
        text(" still running, "),
        key("↻"),
        text(" when a pending retry is due, "),
        key("│ ▲"),
        text(" the history cursor, "),
        key("▸"),
        text(" its state. "),
        key(panel_key(Action::Up)),
        text(" scroll the visits when they outnumber the rows; a click on a bar moves the history cursor to that visit."),
    ]));
    items.push(Item::Note(vec![
        key(panel_key(Action::Load)),
        text(" runs a crowd of sagas of every run type at the current failure rate and sums it up here as it runs: how many were booked, rolled back cleanly, orphaned or aborted; the orphan rate observed beside the one the definition's Retry blocks predict; per state the p50/p95/p99 time and the retries. "),
        key(panel_key(Action::Load)),
        text(" again or Esc shows the graph (the crowd runs on; "),
        key(panel_key(Action::Load)),
        text(" shows it again). Against AWS it asks first: each saga is a billed execution."),
    ]));
    items
}

fn history() -> Vec<Item> {
    let mut items = key_entries(Scope::Panel(Focus::History));
    items.push(Item::Note(vec![
        text("The selected execution's events as they arrive, timed from its start. Moving up stops following new events; "),
        key(panel_key(Action::Bottom)),
        text(" follows them again."),
    ]));
    items
}

fn rows() -> Vec<Item> {
    let mut items = key_entries(Scope::Panel(Focus::Rows));
    items.push(Item::Note(vec![text(
        "The rows of the selected execution's trip, as the table holds them; what just changed is marked:",
    )]));
    items.extend([
        entry(Piece::new("+", Tone::RowNew), vec![text("new row")]),
        entry(
            Piece::new("→", Tone::RowChanged),
            vec![text("status changed (old → new)")],
        ),
        entry(
            Piece::new("−", Tone::Error),
            vec![
                text("deleted ("),
                Piece::new("struck through", Tone::RowDeleted),
                text(", then gone)"),
            ],
        ),
        entry(
            Piece::new("!", Tone::Error),
            vec![text(
                "orphaned: left behind by a compensation that gave up (named in red under the panel)",
            )],
        ),
    ]);
    items
}

fn executions() -> Vec<Item> {
    let mut items = key_entries(Scope::Panel(Focus::Executions));
    items.push(Item::Note(vec![
        text("Newest first; "),
        key("▸"),
        text(" marks the one the header, graph, history and rows show."),
    ]));
    items
}

fn overlays() -> Vec<Item> {
    [
        (Context::Help, "this help"),
        (Context::Event, "payload"),
        (Context::Inspect, "inspector"),
        (Context::EditTrip, "trip id"),
        (Context::Filter, "history filter"),
        (Context::Confirm, "question"),
    ]
    .into_iter()
    .map(|(context, name)| {
        let mut body = Vec::new();
        for (i, (label, help)) in keymap::help_in(Scope::Overlay(context))
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                body.push(Piece::new(" · ", Tone::Dim));
            }
            body.push(key(label));
            body.push(text(format!(" {help}")));
        }
        entry(Piece::new(name, Tone::Dim), body)
    })
    .collect()
}

fn header() -> Vec<Item> {
    let verdict =
        |level, name: &str| Piece::new(format!("{} {name}", verdict_glyph(level)), tone_of(level));
    vec![
        Item::Note(vec![text(
            "The second line is the selected execution and its verdict, the third its narration.",
        )]),
        entry(
            Piece::new("narration", Tone::Dim),
            vec![text(
                "what the execution just did and why, in one line, coloured by how it went; a countdown while it waits (a retry's backoff, a Wait state)",
            )],
        ),
        entry(
            verdict(VerdictLevel::Ok, "ok"),
            vec![text(
                "the table agrees with the outcome: booking complete, or rolled back cleanly",
            )],
        ),
        entry(
            verdict(VerdictLevel::Warning, "warning"),
            vec![text(
                "stopped or timed out (or a compensation failed but left no rows): not a finished saga",
            )],
        ),
        entry(
            verdict(VerdictLevel::Error, "error"),
            vec![
                text("rows the outcome contradicts; orphans named in "),
                Piece::new("red", Tone::Error),
            ],
        ),
    ]
}

fn tone_of(level: VerdictLevel) -> Tone {
    match level {
        VerdictLevel::Ok => Tone::Ok,
        VerdictLevel::Warning => Tone::Warn,
        VerdictLevel::Error => Tone::Error,
    }
}

fn cancel_failure() -> Vec<Item> {
    vec![Item::Note(vec![
        text("The chance each compensation attempt fails. "),
        key(panel_key(Action::CycleRate)),
        text(format!(
            " cycles it {}, at once: running and redriven executions use it too (the runtime's setting, over the rate in their input). A failed attempt is retried: the graph shows ",
            rates()
        )),
        Piece::new("↻n", Tone::Warn),
        text(" while retry n waits or runs, "),
        Piece::new("✓↻n", Tone::Ok),
        text(
            " when it then succeeded. When the retries run out the compensation gives up, the execution fails and the rows it should have removed stay, ",
        ),
        Piece::new("orphaned", Tone::Error),
        text("; once the outage is over, "),
        key(panel_key(Action::Redrive)),
        text(" redrives the execution from the compensation that gave up."),
    ])]
}

fn pause_and_step() -> Vec<Item> {
    vec![Item::Note(vec![
        key(panel_key(Action::Pause)),
        text(
            " pauses every execution of the embedded runtime at once, and resumes them; the header says PAUSED. While paused, ",
        ),
        key(panel_key(Action::Step)),
        text(
            " advances the selected execution by one history event. Not on AWS: its executions run on their own.",
        ),
    ])]
}

fn pace() -> Vec<Item> {
    let paces: Vec<&str> = Pace::ALL.iter().map(|p| p.as_str()).collect();
    let (slowest, fastest) = (SPEEDS[0], SPEEDS[SPEEDS.len() - 1]);
    vec![Item::Note(vec![
        key(format!("--pace {}", paces.join("|"))),
        text(
            " (when starting) sets how long the embedded runtime's steps take: demo, slow enough to narrate (the default); aws, like Step Functions and Lambda; instant, no waiting at all. ",
        ),
        key(panel_key(Action::Faster)),
        text(format!(
            " speed it up or down, {} to {}, what already waits included; the header shows pace and speed.",
            speed_label(slowest),
            speed_label(fastest)
        )),
    ])]
}

fn mouse() -> Vec<Item> {
    vec![Item::Note(vec![text(
        "A click focuses the panel under it and selects the execution, event or state clicked; the wheel scrolls the panel under the pointer, the inspector, or this help.",
    )])]
}
