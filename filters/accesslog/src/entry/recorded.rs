//! `RecordedEntry`: a request captured as owned values, implementing `LogEntry` for unit tests,
//! benches and previews (e.g. the controller rendering a sample line).

use super::{
    ByteCounts, HeaderSource, LogEntry, MetadataValue, ResponseFlags, SocketAddress, Timing,
    TraceReason,
};
use std::collections::BTreeMap;

/// A dynamic metadata scalar, owned.
#[derive(Clone, Debug, PartialEq)]
pub enum RecordedMetadata {
    /// A string.
    String(String),
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
}

/// One request as plain values. Header names are matched case-insensitively.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordedEntry {
    /// Request headers in arrival order.
    pub request_headers: Vec<(String, Vec<u8>)>,
    /// Response headers in order.
    pub response_headers: Vec<(String, Vec<u8>)>,
    /// Response trailers in order.
    pub response_trailers: Vec<(String, Vec<u8>)>,
    /// Start time and durations.
    pub timing: Timing,
    /// Body byte counts.
    pub bytes: ByteCounts,
    /// Downstream protocol.
    pub protocol: Option<String>,
    /// Response code.
    pub response_code: Option<u32>,
    /// Response code details.
    pub response_code_details: Option<String>,
    /// Response flags bitmask.
    pub response_flags: ResponseFlags,
    /// Upstream host address (`ip:port`).
    pub upstream_host: Option<String>,
    /// Upstream cluster name.
    pub upstream_cluster: Option<String>,
    /// Upstream local address (`ip:port`).
    pub upstream_local_address: Option<String>,
    /// Upstream transport failure reason.
    pub upstream_transport_failure_reason: Option<String>,
    /// Downstream remote IP and port.
    pub downstream_remote_address: Option<(String, u32)>,
    /// Downstream local IP and port.
    pub downstream_local_address: Option<(String, u32)>,
    /// Route name.
    pub route_name: Option<String>,
    /// TLS SNI.
    pub requested_server_name: Option<String>,
    /// Connection termination details.
    pub connection_termination_details: Option<String>,
    /// Dynamic metadata by (namespace, dotted path).
    pub dynamic_metadata: BTreeMap<(String, String), RecordedMetadata>,
    /// Filter state by key.
    pub filter_state: BTreeMap<String, Vec<u8>>,
    /// Health-check request.
    pub health_check: bool,
    /// Trace reason.
    pub trace_reason: TraceReason,
}

impl RecordedEntry {
    /// An entry with nothing set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a header value to `source`.
    #[must_use]
    pub fn with_header(
        mut self,
        source: HeaderSource,
        name: &str,
        value: impl AsRef<[u8]>,
    ) -> Self {
        self.headers_mut(source)
            .push((name.to_ascii_lowercase(), value.as_ref().to_vec()));
        self
    }

    /// Sets a dynamic metadata scalar at `namespace` / dotted `path`.
    #[must_use]
    pub fn with_metadata(mut self, namespace: &str, path: &str, value: RecordedMetadata) -> Self {
        self.dynamic_metadata
            .insert((namespace.to_owned(), path.to_owned()), value);
        self
    }

    fn headers(&self, source: HeaderSource) -> &[(String, Vec<u8>)] {
        match source {
            HeaderSource::Request => &self.request_headers,
            HeaderSource::Response => &self.response_headers,
            HeaderSource::ResponseTrailers => &self.response_trailers,
        }
    }

    fn headers_mut(&mut self, source: HeaderSource) -> &mut Vec<(String, Vec<u8>)> {
        match source {
            HeaderSource::Request => &mut self.request_headers,
            HeaderSource::Response => &mut self.response_headers,
            HeaderSource::ResponseTrailers => &mut self.response_trailers,
        }
    }
}

fn bytes(value: Option<&String>) -> Option<&[u8]> {
    value.map(String::as_bytes)
}

impl LogEntry for RecordedEntry {
    fn header_value(&self, source: HeaderSource, name: &str, index: usize) -> Option<&[u8]> {
        self.headers(source)
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .nth(index)
            .map(|(_, value)| value.as_slice())
    }

    fn header_count(&self, source: HeaderSource, name: &str) -> usize {
        self.headers(source)
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .count()
    }

    fn timing(&self) -> Timing {
        self.timing
    }

    fn bytes(&self) -> ByteCounts {
        self.bytes
    }

    fn protocol(&self) -> Option<&[u8]> {
        bytes(self.protocol.as_ref())
    }

    fn response_code(&self) -> Option<u32> {
        self.response_code
    }

    fn response_code_details(&self) -> Option<&[u8]> {
        bytes(self.response_code_details.as_ref())
    }

    fn response_flags(&self) -> ResponseFlags {
        self.response_flags
    }

    fn upstream_host(&self) -> Option<&[u8]> {
        bytes(self.upstream_host.as_ref())
    }

    fn upstream_cluster(&self) -> Option<&[u8]> {
        bytes(self.upstream_cluster.as_ref())
    }

    fn upstream_local_address(&self) -> Option<&[u8]> {
        bytes(self.upstream_local_address.as_ref())
    }

    fn upstream_transport_failure_reason(&self) -> Option<&[u8]> {
        bytes(self.upstream_transport_failure_reason.as_ref())
    }

    fn downstream_remote_address(&self) -> Option<SocketAddress<'_>> {
        let (ip, port) = self.downstream_remote_address.as_ref()?;
        Some(SocketAddress {
            ip: ip.as_bytes(),
            port: *port,
        })
    }

    fn downstream_local_address(&self) -> Option<SocketAddress<'_>> {
        let (ip, port) = self.downstream_local_address.as_ref()?;
        Some(SocketAddress {
            ip: ip.as_bytes(),
            port: *port,
        })
    }

    fn route_name(&self) -> Option<&[u8]> {
        bytes(self.route_name.as_ref())
    }

    fn requested_server_name(&self) -> Option<&[u8]> {
        bytes(self.requested_server_name.as_ref())
    }

    fn connection_termination_details(&self) -> Option<&[u8]> {
        bytes(self.connection_termination_details.as_ref())
    }

    fn dynamic_metadata(&self, namespace: &str, path: &str) -> Option<MetadataValue<'_>> {
        let value = self
            .dynamic_metadata
            .get(&(namespace.to_owned(), path.to_owned()))?;
        Some(match value {
            RecordedMetadata::String(s) => MetadataValue::String(s.as_bytes()),
            RecordedMetadata::Number(n) => MetadataValue::Number(*n),
            RecordedMetadata::Bool(b) => MetadataValue::Bool(*b),
        })
    }

    fn filter_state(&self, key: &str) -> Option<&[u8]> {
        self.filter_state.get(key).map(Vec::as_slice)
    }

    fn is_health_check(&self) -> bool {
        self.health_check
    }

    fn trace_reason(&self) -> TraceReason {
        self.trace_reason
    }
}
