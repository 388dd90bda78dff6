//! The trip's rows as the panel shows them: each new snapshot is diffed against the
//! last so additions, `pending → confirmed` flips and deletions stay visible for a while.

use saga_lambdas::{AttrValue, Item};

/// How long a change stays marked (and a deleted row stays on screen).
pub const MARK_MS: u64 = 3_000;

/// A recent change of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowMark {
    /// The row appeared.
    New,
    /// `transaction_status` changed.
    Changed {
        /// Old status.
        from: String,
        /// New status.
        to: String,
    },
    /// The row is gone (shown struck through until the mark expires).
    Deleted,
}

/// One row on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct RowEntry {
    /// Sort key.
    pub sk: String,
    /// The item as last seen.
    pub item: Item,
    /// A recent change.
    pub mark: Option<RowMark>,
    /// When the mark was set (UI clock).
    pub marked_at_ms: u64,
}

impl RowEntry {
    /// A string attribute, or "".
    pub fn attr(&self, name: &str) -> &str {
        self.item.get(name).and_then(AttrValue::as_s).unwrap_or("")
    }
}

/// The rows of the current trip, with change marks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowsState {
    /// Whose rows.
    pub trip_id: String,
    /// Rows ordered by `sk` (deleted ones stay in place while marked).
    pub entries: Vec<RowEntry>,
    /// Whether a first snapshot arrived (the first one marks nothing as new).
    pub loaded: bool,
    /// First row shown.
    pub scroll: usize,
    /// While travelling: the point in time the rows are from (`None`: now).
    pub past: Option<crate::tui::msg::RowsKey>,
    /// Why the rows shown while travelling are the current ones (the backend keeps
    /// no past rows).
    pub note: Option<String>,
}

fn sk_of(item: &Item) -> String {
    item.get("sk")
        .and_then(AttrValue::as_s)
        .unwrap_or("")
        .to_string()
}

fn status_of(item: &Item) -> &str {
    item.get("transaction_status")
        .and_then(AttrValue::as_s)
        .unwrap_or("")
}

impl RowsState {
    /// Empty state for a trip.
    pub fn new(trip_id: &str) -> Self {
        Self {
            trip_id: trip_id.to_string(),
            ..Self::default()
        }
    }

    /// Merges a fresh snapshot taken at `now_ms`.
    pub fn apply_snapshot(&mut self, rows: Vec<Item>, now_ms: u64) {
        let first = !self.loaded;
        self.loaded = true;
        let mut next: Vec<RowEntry> = Vec::with_capacity(rows.len());
        for item in rows {
            let sk = sk_of(&item);
            let old = self
                .entries
                .iter()
                .find(|e| e.sk == sk && e.mark != Some(RowMark::Deleted));
            let (mark, at) = match old {
                None if first => (None, now_ms),
                None => (Some(RowMark::New), now_ms),
                Some(old) => {
                    let (before, after) = (status_of(&old.item), status_of(&item));
                    if before != after {
                        (
                            Some(RowMark::Changed {
                                from: before.to_string(),
                                to: after.to_string(),
                            }),
                            now_ms,
                        )
                    } else {
                        (old.mark.clone(), old.marked_at_ms)
                    }
                }
            };
            next.push(RowEntry {
                sk,
                item,
                mark,
                marked_at_ms: at,
            });
        }
        for old in &self.entries {
            if !next.iter().any(|e| e.sk == old.sk) {
                let mut gone = old.clone();
                if gone.mark != Some(RowMark::Deleted) {
                    gone.mark = Some(RowMark::Deleted);
                    gone.marked_at_ms = now_ms;
                }
                next.push(gone);
            }
        }
        next.sort_by(|a, b| a.sk.cmp(&b.sk));
        self.entries = next;
        self.clamp_scroll();
    }

    /// Shows `rows` as they are, with no marks: rows from an earlier moment than those
    /// shown (a step back in time), where "what changed" would read backwards
    /// (`confirmed → pending`, a row reappearing as new).
    pub fn replace_unmarked(&mut self, rows: Vec<Item>, now_ms: u64) {
        self.loaded = true;
        self.entries = rows
            .into_iter()
            .map(|item| RowEntry {
                sk: sk_of(&item),
                item,
                mark: None,
                marked_at_ms: now_ms,
            })
            .collect();
        self.entries.sort_by(|a, b| a.sk.cmp(&b.sk));
        self.clamp_scroll();
    }

    /// Drops expired marks and deleted rows; returns whether anything changed.
    pub fn expire(&mut self, now_ms: u64) -> bool {
        let before = self.entries.len();
        let mut changed = false;
        self.entries.retain(|e| {
            !(e.mark == Some(RowMark::Deleted) && now_ms.saturating_sub(e.marked_at_ms) >= MARK_MS)
        });
        for e in &mut self.entries {
            if e.mark.is_some() && now_ms.saturating_sub(e.marked_at_ms) >= MARK_MS {
                e.mark = None;
                changed = true;
            }
        }
        self.clamp_scroll();
        changed || before != self.entries.len()
    }

    /// Whether some mark is still counting down (the UI keeps ticking).
    pub fn has_marks(&self) -> bool {
        self.entries.iter().any(|e| e.mark.is_some())
    }

    /// Rows that are really there (not the struck-through leftovers).
    pub fn live_count(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.mark != Some(RowMark::Deleted))
            .count()
    }

    fn clamp_scroll(&mut self) {
        self.scroll = self.scroll.min(self.entries.len().saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use saga_lambdas::item::string_item;

    fn row(sk: &str, status: &str) -> Item {
        string_item([
            ("sk", sk.to_string()),
            ("transaction_status", status.to_string()),
        ])
    }

    #[test]
    fn rows_from_earlier_are_shown_unmarked() {
        let mut r = RowsState::new("t");
        r.apply_snapshot(vec![row("A", "confirmed"), row("B", "confirmed")], 0);
        r.apply_snapshot(vec![row("A", "confirmed")], 100);
        assert!(r.has_marks(), "B struck through");
        // Back in time: the rows as they were, nothing marked, nothing struck through.
        r.replace_unmarked(vec![row("B", "pending"), row("A", "pending")], 200);
        let shown: Vec<(&str, &str)> = r
            .entries
            .iter()
            .map(|e| (e.sk.as_str(), status_of(&e.item)))
            .collect();
        assert_eq!(shown, [("A", "pending"), ("B", "pending")]);
        assert!(!r.has_marks());
        assert_eq!(r.live_count(), 2);
    }

    #[test]
    fn marks_new_changed_and_deleted_rows_then_forgets_them() {
        let mut r = RowsState::new("t");
        r.apply_snapshot(vec![row("A", "pending")], 0);
        assert_eq!(r.entries[0].mark, None, "the first snapshot marks nothing");
        r.apply_snapshot(vec![row("A", "confirmed"), row("B", "pending")], 100);
        assert_eq!(
            r.entries[0].mark,
            Some(RowMark::Changed {
                from: "pending".into(),
                to: "confirmed".into()
            })
        );
        assert_eq!(r.entries[1].mark, Some(RowMark::New));
        r.apply_snapshot(vec![row("B", "pending")], 200);
        assert_eq!(r.entries[0].mark, Some(RowMark::Deleted));
        assert_eq!(r.live_count(), 1);
        assert!(r.has_marks());
        assert!(r.expire(200 + MARK_MS));
        assert_eq!(r.entries.len(), 1);
        assert!(!r.has_marks());
    }
}
