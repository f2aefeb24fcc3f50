//! Plain HTTP messages for driving and checking a whole exchange through a filter.

use super::http_host::LocalReply;

/// A request or response: headers (pseudo-headers included), body chunks, trailers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FakeMessage {
    /// Headers in order, names lowercase.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Body as a sequence of chunks (each is one body event).
    pub chunks: Vec<Vec<u8>>,
    /// Trailers (empty: none).
    pub trailers: Vec<(String, Vec<u8>)>,
}

impl FakeMessage {
    /// A request with `:method`, `:path`, `:authority` and `:scheme`.
    pub fn request(method: &str, path: &str) -> Self {
        Self::default()
            .header(":method", method)
            .header(":path", path)
            .header(":authority", "example.com")
            .header(":scheme", "http")
    }

    /// A response with `:status`.
    pub fn response(status: u16) -> Self {
        Self::default().header(":status", status.to_string())
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.as_ref().to_vec()));
        self
    }

    /// Adds one body chunk.
    #[must_use]
    pub fn chunk(mut self, data: impl AsRef<[u8]>) -> Self {
        self.chunks.push(data.as_ref().to_vec());
        self
    }

    /// Adds a trailer.
    #[must_use]
    pub fn trailer(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.trailers
            .push((name.to_ascii_lowercase(), value.as_ref().to_vec()));
        self
    }

    /// First value of header `name` as UTF-8 text.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .and_then(|(_, value)| core::str::from_utf8(value).ok())
    }

    /// Number of values of header `name`.
    pub fn header_count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .count()
    }

    /// The whole body.
    pub fn body(&self) -> Vec<u8> {
        self.chunks.concat()
    }
}

/// What came out of `FakeStream::exchange`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exchange {
    /// The request as it reached the upstream (`None` if the filter answered or reset first).
    pub upstream: Option<FakeMessage>,
    /// The response as it reached the client (`None` after a local reply or a reset).
    pub downstream: Option<FakeMessage>,
    /// The filter's local reply, if it sent one.
    pub local_reply: Option<LocalReply>,
    /// Details of a stream reset, if one happened.
    pub reset: Option<String>,
}
