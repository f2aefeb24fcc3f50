//! The message as the host has it, for one render: headers snapshotted on demand, the body already
//! read out of the host's buffers, dynamic metadata read through the host.

use std::borrow::Cow;
use std::sync::Arc;

use dynagate_sdk::{HeaderMap, HttpHost, MetadataSource};

use crate::{HeaderSnapshot, MessageView, MetadataValue};

pub(super) struct HostView<'h> {
    pub host: &'h dyn HttpHost,
    pub map: HeaderMap,
    /// Headers captured earlier (request headers are captured once, when they arrive).
    pub headers: Option<Arc<HeaderSnapshot>>,
    pub request_headers: Option<Arc<HeaderSnapshot>>,
    pub body: Option<Vec<u8>>,
}

/// Whether the response may carry a body: not for `HEAD`, nor `1xx`, `204` or `304` (RFC 9110 §6.4.1).
pub(super) fn response_body_allowed(host: &dyn HttpHost) -> bool {
    if host.header(HeaderMap::RequestHeaders, ":method") == Some(b"HEAD") {
        return false;
    }
    let status = host
        .header(HeaderMap::ResponseHeaders, ":status")
        .and_then(|s| std::str::from_utf8(s).ok());
    !matches!(
        status.and_then(|s| s.parse::<u16>().ok()),
        Some(100..=199 | 204 | 304)
    )
}

/// Copies a header map out of the host.
pub(super) fn capture(host: &dyn HttpHost, map: HeaderMap) -> Arc<HeaderSnapshot> {
    Arc::new(HeaderSnapshot::capture(host.headers(map)))
}

impl MessageView for HostView<'_> {
    fn headers(&self) -> Arc<HeaderSnapshot> {
        match &self.headers {
            Some(headers) => Arc::clone(headers),
            None => capture(self.host, self.map),
        }
    }

    fn body_allowed(&self) -> bool {
        self.map != HeaderMap::ResponseHeaders || response_body_allowed(self.host)
    }

    fn original_request_headers(&self) -> Option<Arc<HeaderSnapshot>> {
        self.request_headers.clone()
    }

    fn body(&self) -> Option<Cow<'_, [u8]>> {
        self.body.as_deref().map(Cow::Borrowed)
    }

    fn dynamic_metadata(&self, namespace: &str, key: &str) -> Option<MetadataValue> {
        let source = MetadataSource::Dynamic;
        if let Some(text) = self.host.metadata_string(source, namespace, key) {
            return Some(MetadataValue::String(text.to_owned()));
        }
        if let Some(number) = self.host.metadata_number(source, namespace, key) {
            return Some(MetadataValue::Number(number));
        }
        self.host
            .metadata_bool(source, namespace, key)
            .map(MetadataValue::Bool)
    }
}
