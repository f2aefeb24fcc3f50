//! Protobuf map fields (`typed_per_filter_config`, `Struct.fields`) are `std` HashMaps, which prost encodes
//! in iteration order. Every map we build shares one hasher state, so equal maps built the same way
//! iterate, and therefore encode, identically within a process.

use std::collections::HashMap;
use std::hash::RandomState;
use std::sync::OnceLock;

static SHARED: OnceLock<RandomState> = OnceLock::new();

/// An empty map whose iteration order depends only on its contents and insertion order.
pub(crate) fn new_map<V>() -> HashMap<String, V> {
    HashMap::with_hasher(SHARED.get_or_init(RandomState::new).clone())
}
