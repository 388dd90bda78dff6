//! The state graph of a definition: states, typed edges and the compensation lane.
//!
//! Compensation states are derived from the shape of the graph, never from names:
//! they are the states that can only be reached by following at least one `Catch`
//! edge (reachable from the start with every edge, but not without `Catch` edges).

use std::collections::VecDeque;

use crate::asl::Definition;
use crate::asl::model::{StateKind, Transition};

/// How one state leads to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    /// `Next` of a Task/Pass/Wait/Parallel/Map state.
    Next,
    /// One of a Choice state's `Choices`.
    Choice,
    /// A Choice state's `Default`.
    Default,
    /// A `Catch` of a Task/Parallel/Map state: the error path.
    Catch,
}

/// A directed edge between two top-level states (indices into [`StateGraph::states`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Edge {
    /// Source state index.
    pub from: usize,
    /// Target state index.
    pub to: usize,
    /// Which field of the source produced it.
    pub kind: EdgeKind,
}

/// What the graph needs to know about one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphState {
    /// The state's name, as history events name it.
    pub name: String,
    /// The ASL `Type` (`Task`, `Choice`, ...).
    pub type_name: &'static str,
    /// For Parallel: one entry per branch; for Map: the item processor. Each lists the
    /// nested states' names in flow order, so a box can summarise what runs inside.
    pub branches: Vec<Vec<String>>,
}

/// States and typed edges of one definition, plus the derived compensation set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateGraph {
    /// Top-level states in definition order.
    pub states: Vec<GraphState>,
    /// Index of `StartAt`.
    pub start: usize,
    /// Every edge, grouped by source in definition order.
    pub edges: Vec<Edge>,
    /// `compensation[i]`: state `i` is only reachable through a `Catch` edge.
    pub compensation: Vec<bool>,
}

impl StateGraph {
    /// Builds the graph of a loaded definition.
    pub fn from_definition(def: &Definition) -> Self {
        let mut edges = Vec::new();
        let mut states = Vec::with_capacity(def.states.len());
        for (i, state) in def.states.iter().enumerate() {
            let mut push = |to: usize, kind| edges.push(Edge { from: i, to, kind });
            let mut branches = Vec::new();
            match &state.kind {
                StateKind::Pass(p) => next_edge(p.transition, &mut push),
                StateKind::Wait(w) => next_edge(w.transition, &mut push),
                StateKind::Task(t) => {
                    next_edge(t.transition, &mut push);
                    t.catch.iter().for_each(|c| push(c.next, EdgeKind::Catch));
                }
                StateKind::Parallel(p) => {
                    next_edge(p.transition, &mut push);
                    p.catch.iter().for_each(|c| push(c.next, EdgeKind::Catch));
                    branches = p.branches.iter().map(flow_order_names).collect();
                }
                StateKind::Map(m) => {
                    next_edge(m.transition, &mut push);
                    m.catch.iter().for_each(|c| push(c.next, EdgeKind::Catch));
                    branches = vec![flow_order_names(&m.processor)];
                }
                StateKind::Choice(c) => {
                    c.choices
                        .iter()
                        .for_each(|b| push(b.next, EdgeKind::Choice));
                    if let Some(d) = c.default {
                        push(d, EdgeKind::Default);
                    }
                }
                StateKind::Succeed(_) | StateKind::Fail(_) => {}
            }
            states.push(GraphState {
                name: state.name.clone(),
                type_name: state.kind.type_name(),
                branches,
            });
        }
        let n = states.len();
        let all = reachable(n, def.start_at, &edges, |_| true);
        let forward = reachable(n, def.start_at, &edges, |e| e.kind != EdgeKind::Catch);
        let compensation = (0..n).map(|i| all[i] && !forward[i]).collect();
        Self {
            states,
            start: def.start_at,
            edges,
            compensation,
        }
    }

    /// The index of a state by name.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.states.iter().position(|s| s.name == name)
    }

    /// Whether the named state belongs to the compensation lane.
    pub fn is_compensation(&self, name: &str) -> bool {
        self.index_of(name).is_some_and(|i| self.compensation[i])
    }

    /// States in breadth-first order from the start (edges in definition order),
    /// followed by unreachable states in definition order: a stable reading order.
    pub fn discovery_order(&self) -> Vec<usize> {
        let n = self.states.len();
        let mut seen = vec![false; n];
        let mut order = Vec::with_capacity(n);
        let mut queue = VecDeque::from([self.start]);
        seen[self.start] = true;
        while let Some(s) = queue.pop_front() {
            order.push(s);
            for e in self.edges.iter().filter(|e| e.from == s) {
                if !seen[e.to] {
                    seen[e.to] = true;
                    queue.push_back(e.to);
                }
            }
        }
        order.extend((0..n).filter(|&i| !seen[i]));
        order
    }
}

fn next_edge(t: Transition, push: &mut impl FnMut(usize, EdgeKind)) {
    if let Transition::Next(i) = t {
        push(i, EdgeKind::Next);
    }
}

fn reachable(n: usize, start: usize, edges: &[Edge], follow: impl Fn(&Edge) -> bool) -> Vec<bool> {
    let mut seen = vec![false; n];
    let mut stack = vec![start];
    while let Some(s) = stack.pop() {
        if std::mem::replace(&mut seen[s], true) {
            continue;
        }
        stack.extend(
            edges
                .iter()
                .filter(|e| e.from == s && follow(e))
                .map(|e| e.to),
        );
    }
    seen
}

/// Nested states' names in the order a reader follows them (the sub-graph's discovery order).
fn flow_order_names(def: &Definition) -> Vec<String> {
    let g = StateGraph::from_definition(def);
    g.discovery_order()
        .into_iter()
        .map(|i| g.states[i].name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asl::load_definition;

    pub(crate) fn saga() -> Definition {
        load_definition(include_str!("../../infra/statemachine/saga.asl.json")).unwrap()
    }

    #[test]
    fn compensation_lane_is_derived_from_catch_edges() {
        let g = StateGraph::from_definition(&saga());
        let comp: Vec<&str> = g
            .states
            .iter()
            .zip(&g.compensation)
            .filter(|(_, c)| **c)
            .map(|(s, _)| s.name.as_str())
            .collect();
        assert_eq!(
            comp,
            [
                "RefundPayment",
                "CancelFlightReservation",
                "CancelHotelReservation",
                "Sorry, We Couldn't make the booking"
            ]
        );
        let catches = g.edges.iter().filter(|e| e.kind == EdgeKind::Catch).count();
        assert_eq!(catches, 5);
    }

    #[test]
    fn a_catch_back_into_the_forward_path_is_not_a_compensation() {
        let def = load_definition(
            r#"{"StartAt":"A","States":{
                "A":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f",
                     "Catch":[{"ErrorEquals":["States.ALL"],"Next":"B"}],"Next":"B"},
                "B":{"Type":"Succeed"}}}"#,
        )
        .unwrap();
        let g = StateGraph::from_definition(&def);
        assert_eq!(g.compensation, [false, false]);
    }
}
