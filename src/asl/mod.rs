//! Amazon States Language (JSONPath query language): the definition model,
//! its loader and the pieces shared with the engine (paths, templates,
//! intrinsic calls, choice rules, timestamps).

pub mod choice;
pub mod error;
pub mod heartbeat;
pub mod intrinsic;
pub mod limits;
pub mod load;
pub mod model;
pub mod path;
pub mod template;
pub mod timestamp;
pub mod tolerance;

pub use error::DefinitionError;
pub use load::{load_definition, load_definition_value};
pub use model::Definition;
