//! Helpers shared by the integration tests: moto fixtures and UI sessions.

pub mod moto;
pub mod starter;
pub mod tui;
