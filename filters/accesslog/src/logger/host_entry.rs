//! `HostEntry`: the core's `LogEntry` read from Envoy through the SDK's `AccessLogHost`.
//!
//! The timeline and byte counts cost an FFI round trip each (Envoy walks its stream info), so
//! they are fetched once per event and cached. `%UPSTREAM_CLUSTER%` uses the `xds.cluster_name`
//! attribute (Envoy 1.40 serves it to loggers: `e2e/tests/access_log.rs` compares it with Envoy's
//! own logger). The trace reason is read from the UUID `x-request-id`, where Envoy encodes it.

use crate::entry::{
    ByteCounts, HeaderSource, LogEntry, MetadataValue, ResponseFlags, SocketAddress, Timing,
    TraceReason,
};
use dynagate_sdk::{AccessLogHost, AttributeId, HeaderMap};
use std::cell::OnceCell;

/// One log event of Envoy seen as a [`LogEntry`].
pub struct HostEntry<'a> {
    host: &'a dyn AccessLogHost,
    timing: OnceCell<Timing>,
    bytes: OnceCell<ByteCounts>,
}

impl std::fmt::Debug for HostEntry<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostEntry").finish_non_exhaustive()
    }
}

impl<'a> HostEntry<'a> {
    /// Wraps the host of one `log` call.
    pub fn new(host: &'a dyn AccessLogHost) -> Self {
        Self {
            host,
            timing: OnceCell::new(),
            bytes: OnceCell::new(),
        }
    }

    fn string(&self, attribute: AttributeId) -> Option<&'a [u8]> {
        self.host.attribute_string(attribute)
    }

    /// Envoy 1.40 serves `source.address` / `destination.address` as `ip:port` (its
    /// `Address::asString`); a bare IP (older ABIs) takes the port from the port attribute.
    fn socket(&self, address: AttributeId, port: AttributeId) -> Option<SocketAddress<'a>> {
        let address = self.host.attribute_string(address)?;
        if let Some(split) = split_host_port(address) {
            return Some(split);
        }
        let port = u32::try_from(self.host.attribute_int(port)?).ok()?;
        Some(SocketAddress { ip: address, port })
    }
}

const fn header_map(source: HeaderSource) -> HeaderMap {
    match source {
        HeaderSource::Request => HeaderMap::RequestHeaders,
        HeaderSource::Response => HeaderMap::ResponseHeaders,
        HeaderSource::ResponseTrailers => HeaderMap::ResponseTrailers,
    }
}

impl LogEntry for HostEntry<'_> {
    fn header_value(&self, source: HeaderSource, name: &str, index: usize) -> Option<&[u8]> {
        self.host.header_value(header_map(source), name, index)
    }

    fn header_count(&self, source: HeaderSource, name: &str) -> usize {
        self.host.header_count(header_map(source), name)
    }

    fn timing(&self) -> Timing {
        *self.timing.get_or_init(|| {
            let timing = self.host.timing();
            Timing {
                start: timing.start,
                request_complete: timing.request_complete,
                last_downstream_rx_byte_received: timing.last_downstream_rx_byte_received,
                first_upstream_rx_byte_received: timing.first_upstream_rx_byte_received,
                last_downstream_tx_byte_sent: timing.last_downstream_tx_byte_sent,
            }
        })
    }

    fn bytes(&self) -> ByteCounts {
        *self.bytes.get_or_init(|| {
            let bytes = self.host.bytes();
            ByteCounts {
                received: bytes.received,
                sent: bytes.sent,
            }
        })
    }

    fn protocol(&self) -> Option<&[u8]> {
        self.string(AttributeId::REQUEST_PROTOCOL)
    }

    fn response_code(&self) -> Option<u32> {
        self.host.response_code().map(u32::from)
    }

    fn response_code_details(&self) -> Option<&[u8]> {
        self.string(AttributeId::RESPONSE_CODE_DETAILS)
    }

    fn response_flags(&self) -> ResponseFlags {
        ResponseFlags(self.host.response_flags())
    }

    fn upstream_host(&self) -> Option<&[u8]> {
        self.string(AttributeId::UPSTREAM_ADDRESS)
    }

    fn upstream_cluster(&self) -> Option<&[u8]> {
        self.string(AttributeId::XDS_CLUSTER_NAME)
    }

    fn upstream_local_address(&self) -> Option<&[u8]> {
        self.string(AttributeId::UPSTREAM_LOCAL_ADDRESS)
    }

    fn upstream_transport_failure_reason(&self) -> Option<&[u8]> {
        self.string(AttributeId::UPSTREAM_TRANSPORT_FAILURE_REASON)
    }

    fn downstream_remote_address(&self) -> Option<SocketAddress<'_>> {
        self.socket(AttributeId::SOURCE_ADDRESS, AttributeId::SOURCE_PORT)
    }

    fn downstream_local_address(&self) -> Option<SocketAddress<'_>> {
        self.socket(
            AttributeId::DESTINATION_ADDRESS,
            AttributeId::DESTINATION_PORT,
        )
    }

    fn route_name(&self) -> Option<&[u8]> {
        self.string(AttributeId::XDS_ROUTE_NAME)
    }

    fn requested_server_name(&self) -> Option<&[u8]> {
        self.string(AttributeId::CONNECTION_REQUESTED_SERVER_NAME)
    }

    fn connection_termination_details(&self) -> Option<&[u8]> {
        self.string(AttributeId::CONNECTION_TERMINATION_DETAILS)
    }

    fn dynamic_metadata(&self, namespace: &str, path: &str) -> Option<MetadataValue<'_>> {
        if let Some(text) = self.host.metadata_string(namespace, path) {
            return Some(MetadataValue::String(text.as_bytes()));
        }
        if let Some(number) = self.host.metadata_number(namespace, path) {
            return Some(MetadataValue::Number(number));
        }
        self.host
            .metadata_bool(namespace, path)
            .map(MetadataValue::Bool)
    }

    fn filter_state(&self, key: &str) -> Option<&[u8]> {
        self.host.filter_state(key)
    }

    fn is_health_check(&self) -> bool {
        self.host
            .attribute_bool(AttributeId::HEALTH_CHECK)
            .unwrap_or(false)
    }

    fn trace_reason(&self) -> TraceReason {
        self.header(HeaderSource::Request, "x-request-id")
            .map_or(TraceReason::NotTraceable, trace_reason_of_request_id)
    }
}

/// `1.2.3.4:80` or `[::1]:80` split into IP and port; `None` for a bare IP (v4 or v6).
pub(crate) fn split_host_port(address: &[u8]) -> Option<SocketAddress<'_>> {
    let (ip, port) = if let Some(rest) = address.strip_prefix(b"[") {
        let close = rest.iter().position(|&b| b == b']')?;
        (&rest[..close], rest[close + 1..].strip_prefix(b":")?)
    } else {
        let colon = address.iter().position(|&b| b == b':')?;
        if address[colon + 1..].contains(&b':') {
            return None;
        }
        (&address[..colon], &address[colon + 1..])
    };
    let port = std::str::from_utf8(port).ok()?.parse().ok()?;
    Some(SocketAddress { ip, port })
}

/// Envoy's UUID request-id extension keeps the trace decision in the UUID's version nibble
/// (index 14): `9` sampled, `a` forced by the service, `b` forced by the client.
pub(crate) fn trace_reason_of_request_id(id: &[u8]) -> TraceReason {
    if id.len() != 36 {
        return TraceReason::NotTraceable;
    }
    match id[14] {
        b'9' => TraceReason::Sampling,
        b'a' => TraceReason::ServiceForced,
        b'b' => TraceReason::ClientForced,
        _ => TraceReason::NotTraceable,
    }
}
