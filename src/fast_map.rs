//! The hash map of the runtime's hot paths.
//!
//! Every saga step looks up its state by name, its function by name and its execution
//! by ARN, and the in-memory store files executions and rows by ARN and trip. std's
//! SipHash guards against adversarial keys these maps never see; foldhash, still
//! seeded at random per map, hashes short keys for much less work.

/// A [`std::collections::HashMap`] hashed with foldhash.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
