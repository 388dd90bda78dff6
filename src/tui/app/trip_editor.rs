//! The trip editor: typing a trip id in the header; Enter takes the id only when it is
//! valid.

use saga_lambdas::trip::validate_trip_id;

use super::{App, Mode};
use crate::tui::keymap::Action;
use crate::tui::msg::Cmd;

/// The most characters a trip id has.
const MAX_LEN: usize = 64;

/// Types `c`, or says why it is refused.
fn type_char(buffer: &mut String, c: char) -> Option<String> {
    if !(c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        Some(format!("{c:?} is not allowed: use A-Z a-z 0-9 _ -"))
    } else if buffer.len() >= MAX_LEN {
        Some(format!("at most {MAX_LEN} characters"))
    } else {
        buffer.push(c);
        None
    }
}

impl App {
    /// Opens the editor on the current trip id.
    pub(super) fn edit_trip(&mut self) {
        self.mode = Mode::EditTrip {
            buffer: self.trip_id.clone(),
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

    #[test]
    fn only_trip_id_characters_are_typed() {
        let mut s = String::new();
        assert!(type_char(&mut s, 'a').is_none());
        assert!(type_char(&mut s, '-').is_none());
        assert!(type_char(&mut s, ' ').is_some());
        assert_eq!(s, "a-");
    }
}
