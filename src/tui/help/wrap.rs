//! Word wrapping of help items: an entry's meaning wraps in its own column, right of
//! the term; a note wraps under its first word. Words keep their tones.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::{HelpLine, Item, Piece, Tone};

/// Columns of the term column (keys like `PgUp/PgDn` fit, with a space after).
const TERM_COLUMNS: usize = 10;
/// Where an entry's meaning starts: a space, the term column, a space.
const BODY_INDENT: usize = 1 + TERM_COLUMNS + 1;
/// Where a note starts.
const NOTE_INDENT: usize = 1;
/// The narrowest a text column gets, however narrow the overlay.
const MIN_COLUMN: usize = 8;

/// The lines of one item at `width` columns.
pub fn item_lines(item: &Item, width: usize) -> Vec<HelpLine> {
    let indented = |indent: usize, lines: Vec<Vec<Piece>>| -> Vec<HelpLine> {
        lines
            .into_iter()
            .map(|mut line| {
                line.insert(0, Piece::new(" ".repeat(indent), Tone::Text));
                merge(line)
            })
            .collect()
    };
    match item {
        Item::Entry { term, body } => {
            let body = wrap(body, width.saturating_sub(BODY_INDENT));
            let term_w = term.text.width();
            let mut head = vec![Piece::new(" ", Tone::Text), term.clone()];
            if term_w > TERM_COLUMNS {
                // Too wide for its column: the meaning starts on the next line.
                let mut lines = vec![merge(head)];
                lines.extend(indented(BODY_INDENT, body));
                return lines;
            }
            head.push(Piece::new(
                " ".repeat(TERM_COLUMNS - term_w + 1),
                Tone::Text,
            ));
            let mut body = body.into_iter();
            head.extend(body.next().unwrap_or_default());
            let mut lines = vec![merge(head)];
            lines.extend(indented(BODY_INDENT, body.collect()));
            lines
        }
        Item::Note(pieces) => {
            indented(NOTE_INDENT, wrap(pieces, width.saturating_sub(NOTE_INDENT)))
        }
    }
}

/// Keeps the words on either side on one line; written as a plain space.
pub const NO_BREAK: char = '\u{a0}';

/// Splits pieces into words (a word may span pieces when no space separates them;
/// a [`NO_BREAK`] space does not separate words).
fn words(pieces: &[Piece]) -> Vec<Vec<Piece>> {
    let mut words: Vec<Vec<Piece>> = Vec::new();
    let mut glued = false;
    for piece in pieces {
        for (i, part) in piece.text.split(' ').enumerate() {
            if i > 0 {
                glued = false;
            }
            if part.is_empty() {
                continue;
            }
            let bit = Piece::new(part.replace(NO_BREAK, " "), piece.tone);
            match words.last_mut() {
                Some(word) if glued => word.push(bit),
                _ => words.push(vec![bit]),
            }
            glued = true;
        }
    }
    words
}

fn word_width(word: &[Piece]) -> usize {
    word.iter().map(|p| p.text.width()).sum()
}

/// Cuts a word wider than `columns` into pieces that fit.
fn split_long(word: Vec<Piece>, columns: usize) -> Vec<Vec<Piece>> {
    let mut out = vec![Vec::new()];
    let mut used = 0;
    for piece in word {
        let mut text = String::new();
        for ch in piece.text.chars() {
            let w = ch.width().unwrap_or(0);
            if used + w > columns && used > 0 {
                if let Some(last) = out.last_mut() {
                    last.push(Piece::new(std::mem::take(&mut text), piece.tone));
                }
                out.push(Vec::new());
                used = 0;
            }
            text.push(ch);
            used += w;
        }
        if let Some(last) = out.last_mut() {
            last.push(Piece::new(text, piece.tone));
        }
    }
    out
}

/// Greedy wrapping of `pieces` into lines of at most `columns` columns.
fn wrap(pieces: &[Piece], columns: usize) -> Vec<Vec<Piece>> {
    let columns = columns.max(MIN_COLUMN);
    let mut lines = Vec::new();
    let mut line: Vec<Piece> = Vec::new();
    let mut used = 0;
    for word in words(pieces) {
        let parts = if word_width(&word) > columns {
            split_long(word, columns)
        } else {
            vec![word]
        };
        for part in parts {
            let w = word_width(&part);
            if used > 0 && used + 1 + w > columns {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            if used > 0 {
                // Between words of one tone the space has it too (a struck-through
                // phrase stays struck through).
                let before = line.last().map(|p| p.tone);
                let after = part.first().map(|p| p.tone);
                let tone = before.filter(|&t| Some(t) == after).unwrap_or(Tone::Text);
                line.push(Piece::new(" ", tone));
                used += 1;
            }
            line.extend(part);
            used += w;
        }
    }
    if used > 0 {
        lines.push(line);
    }
    lines
}

/// Joins neighbouring pieces of one tone.
fn merge(pieces: Vec<Piece>) -> HelpLine {
    let mut out: HelpLine = Vec::new();
    for piece in pieces.into_iter().filter(|p| !p.text.is_empty()) {
        match out.last_mut() {
            Some(last) if last.tone == piece.tone => last.text.push_str(&piece.text),
            _ => out.push(piece),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(lines: &[HelpLine]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.iter().map(|p| p.text.as_str()).collect())
            .collect()
    }

    #[test]
    fn an_entry_wraps_in_its_own_column() {
        let item = Item::Entry {
            term: Piece::new("Enter", Tone::Key),
            body: vec![Piece::new(
                "show the event's input and output JSON",
                Tone::Text,
            )],
        };
        assert_eq!(
            text(&item_lines(&item, 32)),
            [
                " Enter      show the event's",
                "            input and output",
                "            JSON",
            ]
        );
    }

    #[test]
    fn words_keep_their_tones_across_pieces() {
        let pieces = [
            Piece::new("deleted: ", Tone::Text),
            Piece::new("struck through", Tone::RowDeleted),
            Piece::new(", then gone", Tone::Text),
        ];
        let lines = item_lines(&Item::Note(pieces.to_vec()), 40);
        assert_eq!(text(&lines), [" deleted: struck through, then gone"]);
        let struck: Vec<&str> = lines[0]
            .iter()
            .filter(|p| p.tone == Tone::RowDeleted)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(struck, ["struck through"]);
    }

    #[test]
    fn a_no_break_space_keeps_words_together() {
        let pieces = vec![Piece::new("a b 6\u{a0}failFlightsConfirmation", Tone::Text)];
        assert_eq!(
            text(&item_lines(&Item::Note(pieces), 27)),
            [" a b", " 6 failFlightsConfirmation"]
        );
    }

    #[test]
    fn a_word_wider_than_the_column_is_cut_and_a_wide_term_pushes_its_text() {
        let lines = item_lines(
            &Item::Note(vec![Piece::new("abcdefghijklmnop", Tone::Text)]),
            9,
        );
        assert_eq!(text(&lines), [" abcdefgh", " ijklmnop"]);
        let item = Item::Entry {
            term: Piece::new("a-long-term-key", Tone::Key),
            body: vec![Piece::new("does it", Tone::Text)],
        };
        assert_eq!(
            text(&item_lines(&item, 40)),
            [" a-long-term-key", "            does it"]
        );
    }
}
