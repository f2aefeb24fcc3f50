//! Errors of config load, and the local reply a request ends with when a transform cannot run.

use std::borrow::Cow;

use dynagate_config::transformation::ParseError;

/// Why a config was rejected at load; each variant names the template or entry at fault
/// (e.g. `request.set[0] (x-user)`, `response.body`, `request.dynamicMetadata[1] (ns/key)`).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The JSON is not a `transformation` object (unknown key, wrong type, ...).
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// A template does not compile.
    #[error("{location}: template does not compile (line {line}): {message}")]
    Template {
        /// Which template.
        location: String,
        /// Line within the template (1-based).
        line: usize,
        /// The engine's message.
        message: String,
    },
    /// A template that reads nothing from the request fails to render, so it would fail every time.
    #[error("{location}: template fails on every request: {message}")]
    AlwaysFails {
        /// Which template.
        location: String,
        /// The engine's message.
        message: String,
    },
    /// A header name is malformed, or names a pseudo header that cannot be changed this way.
    #[error("{location}: invalid header name {name:?}: {reason}")]
    HeaderName {
        /// Which entry.
        location: String,
        /// The name as written.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `dynamic_metadata()` was called with something other than string literals.
    #[error(
        "{location}: dynamic_metadata() arguments must be string literals, e.g. dynamic_metadata(\"key\", \"namespace\")"
    )]
    MetadataArguments {
        /// Which template.
        location: String,
    },
    /// A `dynamicMetadata` entry has no `value.stringValue`.
    #[error("{location}: value.stringValue is required")]
    MissingMetadataValue {
        /// Which entry.
        location: String,
    },
}

/// The transform cannot run on this message: answer it locally instead (400 with a short reason).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {reason}")]
pub struct LocalReply {
    /// HTTP status to answer with.
    pub status: u16,
    /// Short reason, for the response-code details and logs (never contains message data).
    pub reason: Cow<'static, str>,
}

impl LocalReply {
    pub(crate) fn bad_request(reason: &'static str) -> Self {
        Self {
            status: 400,
            reason: Cow::Borrowed(reason),
        }
    }
}
