//! What a transform reads from the message: the host-agnostic view the render step asks for.
//!
//! The render step asks only for what the compiled templates use (no header copy for a constant
//! header, no body for a header-only transform), so implementations may be lazy.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::HeaderSnapshot;

/// The message a transform renders against.
pub trait MessageView {
    /// The headers of the message being transformed, as they are before the transform: request
    /// headers for a request transform, response headers (with `:status`) for a response transform.
    fn headers(&self) -> Arc<HeaderSnapshot>;

    /// Response transforms only: the request headers as they arrived, before the request transform
    /// (what `request_header()` and `get_cookie()` read on the response side). `None` reads as empty.
    fn original_request_headers(&self) -> Option<Arc<HeaderSnapshot>> {
        None
    }

    /// The whole buffered body, `None` when it was not buffered (an empty body is `Some(&[])`).
    fn body(&self) -> Option<Cow<'_, [u8]>> {
        None
    }

    /// False when the message must not carry a body (a response to `HEAD`, `1xx`, `204`, `304`):
    /// a body template is then not applied.
    fn body_allowed(&self) -> bool {
        true
    }

    /// A value of Envoy dynamic metadata (`namespace`, `key`), read by `dynamic_metadata()`.
    fn dynamic_metadata(&self, namespace: &str, key: &str) -> Option<MetadataValue> {
        let _ = (namespace, key);
        None
    }
}

/// A dynamic metadata value as templates see it.
#[derive(Clone, Debug, PartialEq)]
pub enum MetadataValue {
    /// A string value, rendered as is.
    String(String),
    /// A number, rendered without a fraction when it is integral.
    Number(f64),
    /// A boolean, rendered `true` / `false`.
    Bool(bool),
}

impl fmt::Display for MetadataValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::String(text) => f.write_str(text),
            // Protobuf numbers are doubles: `3` reads better than `3.0` in a header.
            Self::Number(number) if number.fract() == 0.0 && number.abs() < 9.0e15 => {
                write!(f, "{}", *number as i64)
            }
            Self::Number(number) => write!(f, "{number}"),
            Self::Bool(flag) => write!(f, "{flag}"),
        }
    }
}

/// A message held in memory: for tests, benchmarks and offline dry runs of a config.
#[derive(Clone, Debug, Default)]
pub struct OwnedMessage {
    /// See [`MessageView::headers`].
    pub headers: Arc<HeaderSnapshot>,
    /// See [`MessageView::original_request_headers`].
    pub request_headers: Option<Arc<HeaderSnapshot>>,
    /// See [`MessageView::body`].
    pub body: Option<Vec<u8>>,
    /// `(namespace, key, value)` entries of dynamic metadata.
    pub metadata: Vec<(String, String, MetadataValue)>,
}

impl OwnedMessage {
    /// A message with these headers and nothing else.
    pub fn with_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let pairs = headers
            .into_iter()
            .map(|(name, value)| (name.as_bytes(), value.as_bytes()));
        Self {
            headers: Arc::new(HeaderSnapshot::capture(pairs)),
            ..Self::default()
        }
    }

    /// Sets the buffered body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Sets the original request headers (for a response transform).
    pub fn request_headers<'a>(
        mut self,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let pairs = headers
            .into_iter()
            .map(|(name, value)| (name.as_bytes(), value.as_bytes()));
        self.request_headers = Some(Arc::new(HeaderSnapshot::capture(pairs)));
        self
    }

    /// Adds a dynamic metadata value.
    pub fn metadata(mut self, namespace: &str, key: &str, value: MetadataValue) -> Self {
        self.metadata
            .push((namespace.to_owned(), key.to_owned(), value));
        self
    }
}

impl MessageView for OwnedMessage {
    fn headers(&self) -> Arc<HeaderSnapshot> {
        Arc::clone(&self.headers)
    }

    fn original_request_headers(&self) -> Option<Arc<HeaderSnapshot>> {
        self.request_headers.clone()
    }

    fn body(&self) -> Option<Cow<'_, [u8]>> {
        self.body.as_deref().map(Cow::Borrowed)
    }

    fn dynamic_metadata(&self, namespace: &str, key: &str) -> Option<MetadataValue> {
        self.metadata
            .iter()
            .find(|(ns, k, _)| ns == namespace && k == key)
            .map(|(_, _, value)| value.clone())
    }
}
