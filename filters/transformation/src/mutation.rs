//! The result of rendering one transform: the changes the host applies, in order.

use std::borrow::Cow;

/// One header change. Apply them in the order given: body bookkeeping first (`content-length`,
/// `content-type`), then `set`, `add` and `remove` entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderMutation<'c> {
    /// Replace every value of `name` with one value (pseudo headers included).
    Set {
        /// Lowercase header name.
        name: &'c str,
        /// The new value.
        value: Cow<'c, str>,
    },
    /// Append one more value to `name`.
    Append {
        /// Lowercase header name.
        name: &'c str,
        /// The value appended.
        value: Cow<'c, str>,
    },
    /// Remove every value of `name`.
    Remove {
        /// Lowercase header name.
        name: &'c str,
    },
}

/// One string written to Envoy dynamic metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetadataWrite<'c> {
    /// Metadata namespace.
    pub namespace: &'c str,
    /// Key within the namespace.
    pub key: &'c str,
    /// Rendered value (never empty: an empty rendering writes nothing).
    pub value: Cow<'c, str>,
}

/// A template that failed to render on this message: its output counted as empty (so a `set` header
/// was removed), as kgateway does. Worth a log line, never a failed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateFailure<'c> {
    /// Which template, e.g. `request.set[0] (x-user)`.
    pub location: &'c str,
    /// The engine's message, or why the rendered value was refused.
    pub message: String,
}

/// What a transform changes on one message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mutations<'c> {
    /// Header changes, in application order.
    pub headers: Vec<HeaderMutation<'c>>,
    /// The new body, replacing the whole buffered body; `content-length` is already in `headers`.
    pub body: Option<String>,
    /// Dynamic metadata writes.
    pub dynamic_metadata: Vec<MetadataWrite<'c>>,
    /// Request transforms that changed headers: clear the route cache so routing sees the result.
    pub clear_route_cache: bool,
    /// Templates that failed on this message.
    pub failures: Vec<TemplateFailure<'c>>,
}

impl Mutations<'_> {
    /// True when applying these mutations changes nothing.
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty() && self.body.is_none() && self.dynamic_metadata.is_empty()
    }
}
