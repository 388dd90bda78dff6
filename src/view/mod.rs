//! Terminal-free models of what the UI shows: the reduced execution, the verdict on
//! its rows, the line narrating it, the state graph's layout and the timeline. Pure data and
//! functions, so every rule can be tested without a screen.

#![warn(missing_docs)]

pub mod callback_wait;
pub mod crowd;
pub mod graph;
pub mod history_filter;
pub mod json;
pub mod layout;
pub mod narration;
pub mod reducer;
pub mod sample;
pub mod timeline;
pub mod verdict;
pub mod visits;

pub use graph::{Edge, EdgeKind, StateGraph};
pub use layout::{GraphLayout, LayoutSet, NodeStyle};
pub use narration::{Narration, NarrationLevel, narrate};
pub use reducer::{ExecutionView, RetryGrant, StateStatus, StateView, TakenEdge};
pub use timeline::Timeline;
pub use verdict::{Verdict, VerdictLevel, judge};

#[cfg(test)]
mod tests;
