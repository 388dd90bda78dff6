//! The trip editor: typing a trip id in the header, with shell-like editing keys; Enter
//! takes the id only when it is valid.

use saga_lambdas::trip::validate_trip_id;

use super::{App, Mode};
use crate::tui::keymap::Action;
use crate::tui::msg::Cmd;

/// The most characters a trip id has.
const MAX_LEN: usize = 64;

/// Whether `c` separates the words of a trip id (for Ctrl-W).
fn is_separator(c: char) -> bool {
    c == '-' || c == '_'
}

/// Types `c`, or says why it is refused.
fn type_char(buffer: &mut String, c: char) -> Option<String> {
    if !(c.is_ascii_alphanumeric() || is_separator(c)) {
        Some(format!("{c:?} is not allowed: use A-Z a-z 0-9 _ -"))
    } else if buffer.len() >= MAX_LEN {
        Some(format!("at most {MAX_LEN} characters"))
    } else {
        buffer.push(c);
        None
    }
}

/// Deletes the last word as Ctrl-W does in a shell: trailing separators, then back to
/// the previous `-` or `_` (which stays) or to the start.
fn delete_word(buffer: &mut String) {
    let word_end = buffer.trim_end_matches(is_separator).len();
    let word_start = buffer[..word_end].rfind(is_separator).map_or(0, |i| i + 1);
    buffer.truncate(word_start);
}

impl App {
    /// Opens the editor on the current trip id.
    pub(super) fn edit_trip(&mut self) {
        self.mode = Mode::EditTrip {
            buffer: self.fixed_trip.clone().unwrap_or_default(),
            error: None,
        };
    }

    /// An editing key of the trip editor.
    pub(super) fn on_trip_action(&mut self, action: Action) -> Vec<Cmd> {
        let Mode::EditTrip { buffer, error } = &mut self.mode else {
            return vec![];
        };
        *error = None;
        match action {
            Action::Accept => match validate_trip_id(buffer).err() {
                None => {
                    let id = std::mem::take(buffer);
                    self.mode = Mode::Normal;
                    return self.set_trip(id);
                }
                Some(e) => *error = Some(e),
            },
            Action::Close => self.mode = Mode::Normal,
            Action::DeleteChar => {
                buffer.pop();
            }
            Action::DeleteWord => delete_word(buffer),
            Action::ClearInput => buffer.clear(),
            _ => {}
        }
        vec![]
    }

    /// A printable character typed into the trip editor.
    pub(super) fn on_trip_text(&mut self, c: char) {
        if let Mode::EditTrip { buffer, error } = &mut self.mode {
            *error = type_char(buffer, c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after_ctrl_w(text: &str) -> String {
        let mut s = text.to_string();
        delete_word(&mut s);
        s
    }

    #[test]
    fn ctrl_w_deletes_back_to_the_previous_separator() {
        assert_eq!(after_ctrl_w("trip-0001"), "trip-");
        assert_eq!(after_ctrl_w("trip-"), "");
        assert_eq!(after_ctrl_w("my_trip-7q"), "my_trip-");
        assert_eq!(after_ctrl_w("my_trip-"), "my_");
        assert_eq!(after_ctrl_w("a--b__"), "a--");
        assert_eq!(after_ctrl_w("word"), "");
        assert_eq!(after_ctrl_w(""), "");
    }

    #[test]
    fn only_trip_id_characters_are_typed() {
        let mut s = String::new();
        assert!(type_char(&mut s, 'a').is_none());
        assert!(type_char(&mut s, '-').is_none());
        assert!(type_char(&mut s, ' ').is_some());
        assert_eq!(s, "a-");
    }
}
