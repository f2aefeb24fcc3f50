//! HTTP callouts: a request a filter sends to a cluster, and the response handed back to it.

use std::borrow::Cow;
use std::time::Duration;

/// A one-shot HTTP request to an Envoy cluster, started with `HttpHost::http_callout`.
#[derive(Debug, Clone, Copy)]
pub struct CalloutRequest<'a> {
    /// Name of the target cluster.
    pub cluster: &'a str,
    /// Request headers; must include `:method`, `:path` and `host`.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// Request body (may be empty).
    pub body: &'a [u8],
    /// Overall timeout.
    pub timeout: Duration,
}

/// The response of a callout, borrowed from Envoy for the duration of `on_http_callout_done`.
#[derive(Debug, Clone, Default)]
pub struct CalloutResponse<'a> {
    headers: Vec<(&'a [u8], &'a [u8])>,
    body: Vec<&'a [u8]>,
}

impl<'a> CalloutResponse<'a> {
    /// A response made of `headers` and body `chunks` (also how tests build one).
    pub fn new(headers: Vec<(&'a [u8], &'a [u8])>, chunks: Vec<&'a [u8]>) -> Self {
        Self {
            headers,
            body: chunks,
        }
    }

    /// The `:status` of the response, when present and numeric.
    pub fn status(&self) -> Option<u16> {
        let raw = self.header(":status")?;
        core::str::from_utf8(raw).ok()?.parse().ok()
    }

    /// First value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, value)| *value)
    }

    /// Every header, in order.
    pub fn headers(&self) -> &[(&'a [u8], &'a [u8])] {
        &self.headers
    }

    /// The body slices as Envoy holds them.
    pub fn body_chunks(&self) -> &[&'a [u8]] {
        &self.body
    }

    /// The whole body; borrowed when it is one slice, copied otherwise.
    pub fn body(&self) -> Cow<'a, [u8]> {
        match self.body.as_slice() {
            [] => Cow::Borrowed(&[]),
            [only] => Cow::Borrowed(only),
            chunks => Cow::Owned(chunks.concat()),
        }
    }
}
