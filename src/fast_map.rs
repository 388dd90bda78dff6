//! The hash map of the runtime's hot paths.
//!
//! Every saga step looks up its state by name, its function by name and its execution
//! by ARN, and the in-memory store files executions and rows by ARN and trip. With
//! std's SipHash those lookups were a few percent of a saga; foldhash, still seeded at
//! random per map, hashes the same keys several times faster.

/// A [`std::collections::HashMap`] hashed with foldhash.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
