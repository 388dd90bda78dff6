//! A running execution's events in the in-memory store, in id order.

use super::events::NewEvent;

/// A history still growing: its events by ascending id.
///
/// The engine hands a history's events over in id order, one or a few at a time, so
/// adding one is a push onto a vector; a tree paid for a node search and, now and
/// then, a node allocation per event, and copying one to be packed rebuilt it. Events
/// a caller hands over in another order still land in their place.
#[derive(Debug, Clone, Default)]
pub(super) struct OpenEvents(Vec<NewEvent>);

impl OpenEvents {
    /// Adds an event in its place; `false` (and nothing added) if its id is there.
    pub(super) fn insert(&mut self, event: NewEvent) -> bool {
        match self.0.last() {
            Some(last) if last.id() >= event.id() => {
                match self.0.binary_search_by_key(&event.id(), NewEvent::id) {
                    Ok(_) => false,
                    Err(at) => {
                        self.0.insert(at, event);
                        true
                    }
                }
            }
            _ => {
                self.0.push(event);
                true
            }
        }
    }

    /// Whether an event with this id is there.
    pub(super) fn contains(&self, id: i64) -> bool {
        self.0.binary_search_by_key(&id, NewEvent::id).is_ok()
    }

    /// How many events there are.
    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    /// The highest event id.
    pub(super) fn last_id(&self) -> Option<i64> {
        self.0.last().map(NewEvent::id)
    }

    /// The events, in id order.
    pub(super) fn iter(&self) -> std::slice::Iter<'_, NewEvent> {
        self.0.iter()
    }

    /// The event ids, ascending.
    pub(super) fn ids(&self) -> impl ExactSizeIterator<Item = i64> + Clone + '_ {
        self.0.iter().map(NewEvent::id)
    }

    /// The events with an id above `after_id`.
    pub(super) fn after(&self, after_id: i64) -> &[NewEvent] {
        let from = self.0.partition_point(|e| e.id() <= after_id);
        &self.0[from..]
    }
}

impl FromIterator<NewEvent> for OpenEvents {
    fn from_iter<I: IntoIterator<Item = NewEvent>>(events: I) -> Self {
        let mut open = OpenEvents::default();
        for e in events {
            open.insert(e);
        }
        open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: i64) -> NewEvent {
        NewEvent::from_json(id, format!(r#"{{"id":{id}}}"#))
    }

    #[test]
    fn events_keep_id_order_whatever_order_they_come_in() {
        let mut open = OpenEvents::default();
        for id in [1, 2, 5, 3, 9, 4] {
            assert!(open.insert(event(id)));
        }
        assert!(!open.insert(event(3)), "an id already there");
        assert!(!open.insert(event(9)), "the last id again");
        assert_eq!(open.ids().collect::<Vec<_>>(), [1, 2, 3, 4, 5, 9]);
        assert_eq!(open.len(), 6);
        assert_eq!(open.last_id(), Some(9));
        assert!(open.contains(4) && !open.contains(6) && !open.contains(0));
        let after = |id| open.after(id).iter().map(NewEvent::id).collect::<Vec<_>>();
        assert_eq!(after(0), [1, 2, 3, 4, 5, 9]);
        assert_eq!(after(3), [4, 5, 9]);
        assert_eq!(after(6), [9]);
        assert!(after(9).is_empty());
        let collected: OpenEvents = [3, 1, 2].map(event).into_iter().collect();
        assert_eq!(collected.ids().collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(OpenEvents::default().last_id(), None);
    }
}
