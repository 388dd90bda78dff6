//! The holiday-booking saga's Lambda handlers.
//!
//! Handlers are plain async functions over a small [`table::Table`] trait so the very
//! same code runs inside AWS Lambda (against DynamoDB) and in-process in sagaview's
//! embedded runtime (against its embedded table).

pub mod approval;
pub mod chance;
pub mod error;
pub mod handlers;
pub mod ids;
pub mod item;
pub mod settings;
pub mod step;
pub mod table;
pub mod trip;

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "dynamodb")]
pub mod dynamo;
#[cfg(feature = "aws")]
pub mod start;

pub use chance::{Chance, FixedChance, SeededChance, ThreadChance};
pub use error::SagaError;
pub use handlers::{Env, handle, handle_text};
pub use item::{AttrValue, Item};
pub use settings::{InputOnly, Settings, SharedSettings};
pub use step::Step;
pub use table::{Table, TableError};
pub use trip::{RunType, TripRequest};
