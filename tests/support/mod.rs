//! Helpers shared by the tests that talk to a moto server.

pub mod moto;
pub mod starter;
