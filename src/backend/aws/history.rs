//! Reading only the new part of a history from `GetExecutionHistory`.
//!
//! The API has no "events after id N" parameter, and its `nextToken` ends with the last
//! page, so a viewer cannot resume a forward listing. sagaview therefore reads a new
//! execution forward once (following `nextToken` through every page) and afterwards asks
//! for the newest events first (`reverseOrder`), a small page at a time, stopping at the
//! first event it already has: each poll costs one call and transfers only new events
//! plus at most one page of overlap, however long the history grows.

use crate::backend::BackendError;
use crate::future::BoxFuture;
use crate::history::HistoryEvent;

/// One page of a history, as the API returns it.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct Page {
    /// The events, in the order asked for.
    #[serde(default)]
    pub events: Vec<HistoryEvent>,
    /// Present when more events follow.
    #[serde(rename = "nextToken", default)]
    pub next_token: Option<String>,
}

/// Something that answers `GetExecutionHistory` for one execution.
pub trait PageSource: Send + Sync {
    /// One page: `max` events from `token` on, newest first when `reverse`.
    fn page(
        &self,
        token: Option<String>,
        reverse: bool,
        max: i32,
    ) -> BoxFuture<'_, Result<Page, BackendError>>;
}

/// Page sizes for the two kinds of read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSizes {
    /// Reading a history from the start (AWS allows up to 1000).
    pub full: i32,
    /// Reading the newest events of a history already seen.
    pub tail: i32,
}

impl Default for PageSizes {
    fn default() -> Self {
        Self {
            full: 1000,
            tail: 50,
        }
    }
}

/// The events with id greater than `after_id`, oldest first.
pub async fn events_after(
    source: &dyn PageSource,
    after_id: u64,
    sizes: PageSizes,
) -> Result<Vec<HistoryEvent>, BackendError> {
    if after_id == 0 {
        return forward_from(source, None, 0, sizes.full).await;
    }
    let mut newest_first = Vec::new();
    let mut token = None;
    loop {
        let page = source.page(token, true, sizes.tail).await?;
        if page.events.len() >= 2 && page.events[0].id < page.events[1].id {
            // The server ignored reverseOrder: this is a forward listing. Still correct,
            // just not incremental.
            let mut events: Vec<_> = page
                .events
                .into_iter()
                .filter(|e| e.id > after_id)
                .collect();
            if page.next_token.is_some() {
                events.extend(forward_from(source, page.next_token, after_id, sizes.tail).await?);
            }
            return Ok(events);
        }
        let mut reached_known = false;
        for e in page.events {
            if e.id <= after_id {
                reached_known = true;
                break;
            }
            newest_first.push(e);
        }
        match page.next_token {
            Some(next) if !reached_known => token = Some(next),
            _ => break,
        }
    }
    newest_first.reverse();
    Ok(newest_first)
}

async fn forward_from(
    source: &dyn PageSource,
    mut token: Option<String>,
    after_id: u64,
    max: i32,
) -> Result<Vec<HistoryEvent>, BackendError> {
    let mut events = Vec::new();
    loop {
        let page = source.page(token, false, max).await?;
        events.extend(page.events.into_iter().filter(|e| e.id > after_id));
        match page.next_token {
            Some(next) => token = Some(next),
            None => return Ok(events),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::EventType;
    use std::sync::Mutex;

    /// Pages a fixed history as AWS documents it (or ignoring reverseOrder, as some
    /// compatible servers do), counting what it serves.
    struct Fake {
        events: Vec<HistoryEvent>,
        honours_reverse: bool,
        served: Mutex<(usize, usize)>,
    }

    impl Fake {
        fn new(n: u64, honours_reverse: bool) -> Self {
            let events = (1..=n)
                .map(|id| HistoryEvent {
                    timestamp: chrono::DateTime::from_timestamp(id as i64, 0).unwrap(),
                    event_type: EventType::PassStateEntered,
                    id,
                    previous_event_id: id - 1,
                    details: None,
                })
                .collect();
            Self {
                events,
                honours_reverse,
                served: Mutex::new((0, 0)),
            }
        }
    }

    impl PageSource for Fake {
        fn page(
            &self,
            token: Option<String>,
            reverse: bool,
            max: i32,
        ) -> BoxFuture<'_, Result<Page, BackendError>> {
            Box::pin(async move {
                let mut all = self.events.clone();
                if reverse && self.honours_reverse {
                    all.reverse();
                }
                let start: usize = token.map_or(0, |t| t.parse().unwrap());
                let end = (start + max as usize).min(all.len());
                let mut served = self.served.lock().unwrap();
                served.0 += 1;
                served.1 += end - start;
                Ok(Page {
                    events: all[start..end].to_vec(),
                    next_token: (end < all.len()).then(|| end.to_string()),
                })
            })
        }
    }

    fn ids(events: &[HistoryEvent]) -> Vec<u64> {
        events.iter().map(|e| e.id).collect()
    }

    #[tokio::test]
    async fn a_new_history_is_read_forward_through_every_page() {
        let fake = Fake::new(10, true);
        let sizes = PageSizes { full: 3, tail: 2 };
        let events = events_after(&fake, 0, sizes).await.unwrap();
        assert_eq!(ids(&events), (1..=10).collect::<Vec<_>>());
        assert_eq!(fake.served.lock().unwrap().0, 4);
    }

    #[tokio::test]
    async fn later_polls_read_only_the_newest_pages() {
        let fake = Fake::new(1000, true);
        let sizes = PageSizes {
            full: 1000,
            tail: 4,
        };
        let events = events_after(&fake, 990, sizes).await.unwrap();
        assert_eq!(ids(&events), (991..=1000).collect::<Vec<_>>());
        let (calls, served) = *fake.served.lock().unwrap();
        assert_eq!(calls, 3, "three pages of four cover ten new events");
        assert!(served <= 12, "{served} events transferred for 10 new ones");
        let none = events_after(&fake, 1000, sizes).await.unwrap();
        assert!(none.is_empty());
    }

    #[tokio::test]
    async fn a_server_ignoring_reverse_order_still_gives_the_right_events() {
        let fake = Fake::new(9, false);
        let sizes = PageSizes {
            full: 1000,
            tail: 4,
        };
        let events = events_after(&fake, 5, sizes).await.unwrap();
        assert_eq!(ids(&events), vec![6, 7, 8, 9]);
    }
}
