//! The history panel's entries under the `/` filter, and the filter's editor.
//!
//! The history cursor stays an index into the selected execution's events (what the
//! payload overlay opens); the panel lists the events the filter keeps, and moving
//! moves between those. The kept list is extended as events arrive rather than built
//! again, so a long history stays cheap to filter while it grows.

use super::{App, Mode};
use crate::tui::keymap::{Action, Focus};
use crate::tui::msg::Cmd;
use crate::view::history_filter::HistoryFilter;

/// The events the filter keeps, for the execution and query they were computed for.
#[derive(Debug, Clone, Default)]
pub(super) struct HistoryList {
    /// Whose events.
    arn: Option<String>,
    /// The query they were kept by.
    query: String,
    /// How many of the execution's events were looked at.
    scanned: usize,
    /// The indices of the events kept, ascending.
    kept: Vec<usize>,
}

impl App {
    /// Brings the kept events up to date with the selected execution and the query,
    /// and, while following, puts the cursor on the last one shown.
    pub(super) fn refresh_history_list(&mut self) {
        // Runs after every message: copies only when the selection or query changed.
        let query = self.history_filter.trim();
        let list = &mut self.history_list;
        if list.arn != self.selected || list.query != query {
            *list = HistoryList {
                arn: self.selected.clone(),
                query: query.to_owned(),
                ..HistoryList::default()
            };
        }
        if !self.history_list.query.is_empty() {
            let mut list = std::mem::take(&mut self.history_list);
            if let Some(e) = self.selected_execution() {
                let (events, notes) = (&e.view.events, &e.view.notes);
                if events.len() < list.scanned {
                    // The history was dropped and is being read again.
                    list.scanned = 0;
                    list.kept.clear();
                }
                let filter = HistoryFilter::parse(&list.query);
                list.kept.extend(
                    (list.scanned..events.len()).filter(|&i| filter.matches(&events[i], &notes[i])),
                );
                list.scanned = events.len();
            }
            self.history_list = list;
        }
        if self.follow {
            if let Some(last) = self.history_entry(self.history_entries().saturating_sub(1)) {
                self.history_cursor = last;
            }
        } else if self.history_entries() > 0 {
            // Onto an event that is shown: the nearest kept one at or before it.
            let at = self.history_position();
            if let Some(i) = self.history_entry(at) {
                self.history_cursor = i;
            }
        }
    }

    /// Whether the history is filtered.
    pub fn history_filtered(&self) -> bool {
        !self.history_list.query.is_empty()
    }

    /// How many entries the history panel lists.
    pub fn history_entries(&self) -> usize {
        if self.history_filtered() {
            self.history_list.kept.len()
        } else {
            self.history_len()
        }
    }

    /// The event index of the panel's `position`-th entry.
    pub fn history_entry(&self, position: usize) -> Option<usize> {
        if self.history_filtered() {
            self.history_list.kept.get(position).copied()
        } else {
            (position < self.history_len()).then_some(position)
        }
    }

    /// Where the cursor's event is among the entries listed (the nearest entry before
    /// it when the filter hides it).
    pub fn history_position(&self) -> usize {
        if !self.history_filtered() {
            return self.history_cursor;
        }
        match self.history_list.kept.binary_search(&self.history_cursor) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// Moves the cursor to the panel's `position`-th entry (clamped).
    pub(super) fn history_move_to(&mut self, position: usize) {
        let last = self.history_entries().saturating_sub(1);
        if let Some(i) = self.history_entry(position.min(last)) {
            self.history_cursor = i;
        }
    }

    /// `/`: types a filter, applied as it is typed; the history panel takes the focus
    /// so what it keeps is in view.
    pub(super) fn open_filter(&mut self) -> Vec<Cmd> {
        self.focus = Focus::History;
        self.mode = Mode::Filter {
            before: self.history_filter.clone(),
        };
        vec![]
    }

    /// An editing key of the filter.
    pub(super) fn on_filter_action(&mut self, action: Action) -> Vec<Cmd> {
        let Mode::Filter { before } = &self.mode else {
            return vec![];
        };
        match action {
            Action::Accept => self.mode = Mode::Normal,
            Action::Close => {
                self.history_filter = before.clone();
                self.mode = Mode::Normal;
            }
            Action::DeleteChar => {
                self.history_filter.pop();
            }
            Action::DeleteWord => {
                let kept = self.history_filter.trim_end().len();
                let start = self.history_filter[..kept]
                    .rfind(char::is_whitespace)
                    .map_or(0, |i| i + 1);
                self.history_filter.truncate(start);
            }
            Action::ClearInput => self.history_filter.clear(),
            _ => {}
        }
        vec![]
    }

    /// A printable character typed into the filter.
    pub(super) fn on_filter_text(&mut self, c: char) {
        /// Long enough for any state name and a few words.
        const MAX_LEN: usize = 200;
        if self.history_filter.chars().count() < MAX_LEN && !c.is_control() {
            self.history_filter.push(c);
        }
    }

    /// Esc in the history: every event again.
    pub(super) fn clear_filter(&mut self) -> Vec<Cmd> {
        self.history_filter.clear();
        vec![]
    }
}
