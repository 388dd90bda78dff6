//! The one boxed-future type the crate's object-safe async traits return.

use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future: lets a trait with async methods stay usable as a trait
/// object (the backends behind the UI, the runtime's invokers and clock).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
