//! The history panel's `/` filter: which events a query keeps.
//!
//! A query is words, all of which an event must match (case-insensitive substrings):
//! `state:Refund` looks only at the event's state, `type:Failed` only at its type, and
//! a bare word at either or at the text of its details (payloads, errors, causes,
//! resources). So `Refund failed` keeps RefundPayment's failures, and `trip-0001` keeps
//! the events whose input names that trip.

use serde_json::Value;

use crate::history::HistoryEvent;
use crate::view::reducer::EventNote;

/// What a word of the query looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    /// The event's state name.
    State(String),
    /// The event's type.
    Type(String),
    /// The state name, the type or any text of the details.
    Any(String),
}

/// A parsed query; the empty query keeps every event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistoryFilter {
    terms: Vec<Term>,
}

impl HistoryFilter {
    /// Reads a query as typed. Never fails: a word that is not `state:` or `type:`
    /// is text, and an empty `state:` matches every event.
    pub fn parse(query: &str) -> Self {
        let terms = query
            .split_whitespace()
            .map(|word| {
                let lower = word.to_lowercase();
                if let Some(rest) = lower.strip_prefix("state:") {
                    Term::State(rest.to_owned())
                } else if let Some(rest) = lower.strip_prefix("type:") {
                    Term::Type(rest.to_owned())
                } else {
                    Term::Any(lower)
                }
            })
            .collect();
        Self { terms }
    }

    /// Whether the query keeps every event.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether the event (with the reducer's note on it) matches every word.
    pub fn matches(&self, event: &HistoryEvent, note: &EventNote) -> bool {
        if self.terms.is_empty() {
            return true;
        }
        let state = note.state.as_deref().unwrap_or("").to_lowercase();
        let kind = event.event_type.as_str().to_lowercase();
        // The details are read only when a word needs them: most queries name a state
        // or a type, and a long history is filtered again as it grows.
        let mut text: Option<Vec<String>> = None;
        self.terms.iter().all(|term| match term {
            Term::State(s) => state.contains(s.as_str()),
            Term::Type(t) => kind.contains(t.as_str()),
            Term::Any(w) => {
                state.contains(w.as_str())
                    || kind.contains(w.as_str())
                    || text
                        .get_or_insert_with(|| detail_texts(event))
                        .iter()
                        .any(|t| t.contains(w.as_str()))
            }
        })
    }
}

/// Every string and number in the event's details, lowercased. Payloads are JSON
/// text in the details, so a word is looked for in the text as AWS shows it, not in
/// its escaped form.
fn detail_texts(event: &HistoryEvent) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(details) = &event.details
        && let Ok(value) = serde_json::to_value(details)
    {
        collect(&value, &mut out);
    }
    out
}

fn collect(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.to_lowercase()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect(v, out)),
        Value::Bool(_) | Value::Null => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::sample::{self, Scenario, TRIP_ID};
    use crate::view::{ExecutionView, StateStatus};

    fn failed_payment() -> ExecutionView {
        let events = sample::history(Scenario::CleanRollback);
        let mut view = ExecutionView::new(None);
        view.apply(&events);
        assert_eq!(view.status_of("RefundPayment"), StateStatus::Succeeded);
        view
    }

    fn kept(query: &str) -> Vec<String> {
        let view = failed_payment();
        let filter = HistoryFilter::parse(query);
        view.events
            .iter()
            .zip(&view.notes)
            .filter(|(e, n)| filter.matches(e, n))
            .map(|(e, n)| {
                format!(
                    "{} {}",
                    e.event_type.as_str(),
                    n.state.as_deref().unwrap_or("-")
                )
            })
            .collect()
    }

    #[test]
    fn the_empty_query_keeps_everything() {
        let all = failed_payment().events.len();
        assert_eq!(kept("").len(), all);
        assert_eq!(kept("   ").len(), all);
        assert!(HistoryFilter::parse(" ").is_empty());
    }

    #[test]
    fn state_and_type_words_look_only_at_their_field() {
        let refund = kept("state:refund");
        assert!(!refund.is_empty());
        assert!(
            refund.iter().all(|l| l.ends_with(" RefundPayment")),
            "{refund:?}"
        );
        let failed = kept("type:failed");
        assert!(!failed.is_empty());
        assert!(
            failed
                .iter()
                .all(|l| l.split(' ').next().unwrap().contains("Failed")),
            "{failed:?}"
        );
    }

    #[test]
    fn every_word_must_match() {
        let both = kept("state:takepayment type:failed");
        assert!(!both.is_empty());
        assert!(
            both.iter()
                .all(|l| l.contains("Failed") && l.ends_with("TakePayment")),
            "{both:?}"
        );
        assert!(kept("state:takepayment type:nosuchtype").is_empty());
    }

    #[test]
    fn a_bare_word_finds_text_in_payloads_case_insensitively() {
        // The trip id is only in the payloads, never in a state name or type.
        let by_trip = kept(&TRIP_ID.to_uppercase());
        assert!(!by_trip.is_empty());
        assert!(by_trip.len() < failed_payment().events.len());
        assert!(kept("no-such-text-anywhere").is_empty());
        // A bare word also matches the state name.
        assert_eq!(kept("refundpayment"), kept("state:refundpayment"));
    }
}
