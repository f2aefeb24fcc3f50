//! The probe filter's JSON config (listener level and per route share one schema).

use serde::Deserialize;
use std::collections::BTreeMap;

/// What the probe filter does on every request it sees.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProbeSettings {
    /// Echoed as response header `x-probe-config`, so a test sees which config ran.
    pub tag: Option<String>,
    /// Edits of the request headers.
    pub request_headers: HeaderEdits,
    /// Edits of the response headers.
    pub response_headers: HeaderEdits,
    /// Rewrites the whole request body (and its `content-length`).
    pub request_body: Option<BodyWrap>,
    /// Rewrites the whole response body (and its `content-length`).
    pub response_body: Option<BodyWrap>,
    /// Dynamic metadata namespace to write `path` (string) and `worker` (number) into.
    pub metadata_namespace: Option<String>,
    /// Raises the stream's buffer limit.
    pub buffer_limit: Option<u64>,
    /// Makes the factory panic at config load (tests that Envoy survives it).
    pub panic_on_load: bool,
}

/// Header edits, applied in the order remove, set, add.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeaderEdits {
    /// Headers to replace (or create).
    pub set: BTreeMap<String, String>,
    /// Header values to append.
    pub add: BTreeMap<String, String>,
    /// Headers to remove.
    pub remove: Vec<String>,
}

/// A whole-body rewrite: the new body is `prefix + original body + suffix`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BodyWrap {
    /// Text before the original body.
    pub prefix: String,
    /// Text after the original body.
    pub suffix: String,
}

impl BodyWrap {
    /// The rewritten body.
    pub fn apply(&self, original: &[u8]) -> Vec<u8> {
        let mut body = Vec::with_capacity(self.prefix.len() + original.len() + self.suffix.len());
        body.extend_from_slice(self.prefix.as_bytes());
        body.extend_from_slice(original);
        body.extend_from_slice(self.suffix.as_bytes());
        body
    }
}
