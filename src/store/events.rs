//! One history event on its way into a store: either the engine's own event, shared
//! with it and serialised (through serde, as `GetExecutionHistory` shows it) only when
//! a store needs its text, or a caller's JSON text.

use super::StoreError;
use crate::history::event::HistoryEvent;
use std::sync::Arc;

/// One history event on its way into the store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    id: i64,
    pub(super) body: Body,
}

/// What an event is made of.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Body {
    /// Whole `GetExecutionHistory` JSON from a caller, checked when stored.
    Json(String),
    /// An engine event, shared with the engine and encoded only when a store needs
    /// its text (a file store's writer thread, or a reader of the memory store).
    Event(Arc<HistoryEvent>),
}

impl NewEvent {
    /// An event given as its whole `GetExecutionHistory` JSON text (checked when stored).
    pub fn from_json(id: i64, json: impl Into<String>) -> Self {
        NewEvent {
            id,
            body: Body::Json(json.into()),
        }
    }

    /// An event of the engine, stored split into its JSON and its payload text so
    /// that the payload is neither copied, escaped nor validated on the way in.
    pub fn from_event(event: Arc<HistoryEvent>) -> Result<Self, StoreError> {
        let id =
            i64::try_from(event.id).map_err(|_| StoreError::EventIdOutOfRange { id: event.id })?;
        Ok(NewEvent {
            id,
            body: Body::Event(event),
        })
    }

    /// The event id.
    pub fn id(&self) -> i64 {
        self.id
    }

    /// About how many bytes storing the event writes.
    pub fn size(&self) -> usize {
        match &self.body {
            Body::Json(text) => text.len(),
            Body::Event(e) => {
                let payload = e.details.as_ref().and_then(super::sqlite::payload_of);
                200 + payload.map_or(0, |(_, p)| p.len())
            }
        }
    }

    /// Checks text that came from a caller is JSON (an engine event always is).
    pub(super) fn check(&self, arn: &str) -> Result<(), StoreError> {
        match &self.body {
            Body::Json(text) => serde_json::from_str::<serde::de::IgnoredAny>(text)
                .map(drop)
                .map_err(|source| StoreError::NotJson {
                    arn: arn.to_string(),
                    id: self.id,
                    source,
                }),
            Body::Event(_) => Ok(()),
        }
    }

    /// The event's whole `GetExecutionHistory` JSON text: what reading it back gives.
    pub(super) fn to_json(&self) -> Result<String, StoreError> {
        match &self.body {
            Body::Json(text) => Ok(text.clone()),
            Body::Event(e) => {
                serde_json::to_string(e.as_ref()).map_err(|source| StoreError::Encode {
                    what: "a history event",
                    source,
                })
            }
        }
    }
}

/// A caller's `(id, JSON text)` pair.
impl From<(i64, String)> for NewEvent {
    fn from((id, json): (i64, String)) -> Self {
        NewEvent::from_json(id, json)
    }
}
