//! One visit of a state: the facts the context object (`$$.State`) and the error
//! messages speak of.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::execution::Run;
use crate::engine::context::{Scope, StateFacts};

/// Per-visit facts about the state being run.
pub(crate) struct StateCtx<'a> {
    pub(crate) name: &'a str,
    pub(crate) entered_at: DateTime<Utc>,
    /// The id of the visit's `…StateEntered` event (a runtime error's cause names it).
    pub(crate) entered_id: u64,
    /// The Map item the flow runs for, with its index.
    pub(crate) map_item: Option<(usize, &'a Value)>,
}

impl Run {
    /// What paths into the context object (`$$`) read during this visit.
    pub(crate) fn scope_for<'a>(
        &'a self,
        ctx: &StateCtx<'a>,
        retry_count: Option<u32>,
    ) -> Scope<'a> {
        Scope {
            execution: &self.facts,
            state: StateFacts {
                name: ctx.name,
                entered_time: ctx.entered_at,
                retry_count,
                map_item: ctx.map_item,
                task_token: None,
            },
        }
    }
}
