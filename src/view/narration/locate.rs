//! Finding a state by name anywhere in a definition, nested ones included: history
//! events name Parallel branch and Map processor states just like top-level ones.

use crate::asl::Definition;
use crate::asl::model::{State, StateKind};

/// A state and the (sub-)definition holding it, whose indices its `Catch` targets use.
#[derive(Debug, Clone, Copy)]
pub(super) struct Located<'d> {
    /// The flow the state belongs to: the machine, a branch or an item processor.
    pub within: &'d Definition,
    /// The state itself.
    pub state: &'d State,
    /// The Parallel or Map state whose branch holds it; `None` at the top level.
    pub parent: Option<&'d State>,
}

/// The named state: top level first, then inside Parallel branches and Map processors.
pub(super) fn locate<'d>(def: &'d Definition, name: &str) -> Option<Located<'d>> {
    if let Some(state) = def.state(name) {
        return Some(Located {
            within: def,
            state,
            parent: None,
        });
    }
    def.states.iter().find_map(|s| {
        let nested = match &s.kind {
            StateKind::Parallel(p) => p.branches.iter().find_map(|b| locate(b, name)),
            StateKind::Map(m) => locate(&m.processor, name),
            _ => None,
        }?;
        Some(Located {
            parent: nested.parent.or(Some(s)),
            ..nested
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asl::load_definition;

    #[test]
    fn finds_top_level_and_nested_states_with_their_flow() {
        let def = load_definition(crate::view::layout::tests::KITCHEN_SINK).unwrap();
        let top = locate(&def, "Check").unwrap();
        assert_eq!(top.state.kind.type_name(), "Choice");
        assert!(std::ptr::eq(top.within, &def));
        assert!(top.parent.is_none());
        let nested = locate(&def, "Left 2").unwrap();
        assert_eq!(nested.state.name, "Left 2");
        assert_eq!(nested.parent.map(|p| p.name.as_str()), Some("Fan out"));
        assert!(nested.within.state("Left").is_some());
        assert!(nested.within.state("Check").is_none());
        let item = locate(&def, "Item").unwrap();
        assert_eq!(item.parent.map(|p| p.name.as_str()), Some("Each"));
        assert!(locate(&def, "Nowhere").is_none());
    }
}
