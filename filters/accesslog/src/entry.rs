//! `LogEntry`: everything the formatter and the filters read about one finished request.
//!
//! The trait is the seam between the host-agnostic core and Envoy: the SDK adapter implements it
//! over the access-logger callbacks, [`RecordedEntry`] implements it over owned values for tests,
//! benches and previews. Values are borrowed for the duration of one log call.

mod recorded;

use std::time::{Duration, SystemTime};

pub use recorded::{RecordedEntry, RecordedMetadata};

/// Which header map a header operator or filter reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeaderSource {
    /// Request headers, including `:method`, `:path`, `:authority`, `:scheme`.
    Request,
    /// Response headers, including `:status`.
    Response,
    /// Response trailers.
    ResponseTrailers,
}

/// A scalar found in dynamic metadata.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MetadataValue<'a> {
    /// A string value (rendered raw in text, as a JSON string in JSON).
    String(&'a [u8]),
    /// A number (protobuf `double`).
    Number(f64),
    /// A boolean.
    Bool(bool),
}

/// Why the request is traced (Envoy's `Tracing::Reason`); the traceable filter wants
/// [`TraceReason::ServiceForced`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TraceReason {
    /// Not traced.
    #[default]
    NotTraceable,
    /// Traced by random sampling.
    Sampling,
    /// Traced because the service forced it (`x-envoy-force-trace`).
    ServiceForced,
    /// Traced because the client asked for it (`x-client-trace-id`).
    ClientForced,
}

/// An IP socket address as Envoy reports it: the IP text and the port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SocketAddress<'a> {
    /// `127.0.0.1` or `::1` (no brackets).
    pub ip: &'a [u8],
    /// The port.
    pub port: u32,
}

/// The request's timeline: wall-clock start and offsets from it. `None` means "did not happen".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timing {
    /// When the first request byte arrived (`%START_TIME%`).
    pub start: Option<SystemTime>,
    /// Until the stream completed (`%DURATION%`, duration filter).
    pub request_complete: Option<Duration>,
    /// Until the last request byte arrived (`%REQUEST_DURATION%`).
    pub last_downstream_rx_byte_received: Option<Duration>,
    /// Until the first response byte arrived from upstream (`%RESPONSE_DURATION%`).
    pub first_upstream_rx_byte_received: Option<Duration>,
    /// Until the last response byte was sent downstream (`%RESPONSE_TX_DURATION%`).
    pub last_downstream_tx_byte_sent: Option<Duration>,
}

/// Body bytes of the stream (`%BYTES_RECEIVED%`, `%BYTES_SENT%`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ByteCounts {
    /// Request body bytes received from downstream.
    pub received: u64,
    /// Response body bytes sent downstream.
    pub sent: u64,
}

/// Envoy's core response flags as the legacy bitmask (bit `n` = flag `n` of
/// `StreamInfo::CoreResponseFlag`); see [`crate::ResponseFlag`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ResponseFlags(pub u64);

/// Read access to one finished request. Every getter is cheap to call more than once per line
/// only if the implementation makes it so (the SDK adapter caches what costs an FFI round trip).
pub trait LogEntry {
    /// Value number `index` of header `name` (lowercase) in `source`.
    fn header_value(&self, source: HeaderSource, name: &str, index: usize) -> Option<&[u8]>;

    /// Number of values of header `name` (lowercase) in `source`.
    fn header_count(&self, source: HeaderSource, name: &str) -> usize;

    /// Start time and durations.
    fn timing(&self) -> Timing;

    /// Body byte counts.
    fn bytes(&self) -> ByteCounts;

    /// `HTTP/1.1`, `HTTP/2`, `HTTP/3`, ...
    fn protocol(&self) -> Option<&[u8]>;

    /// The response code sent downstream, if any.
    fn response_code(&self) -> Option<u32>;

    /// Why that response code (`via_upstream`, `route_not_found`, ...).
    fn response_code_details(&self) -> Option<&[u8]>;

    /// The response flags.
    fn response_flags(&self) -> ResponseFlags;

    /// The upstream host's address as Envoy prints it (`10.0.0.1:8080`).
    fn upstream_host(&self) -> Option<&[u8]>;

    /// The upstream cluster name.
    fn upstream_cluster(&self) -> Option<&[u8]>;

    /// The local address of the upstream connection (`10.0.0.2:41234`).
    fn upstream_local_address(&self) -> Option<&[u8]>;

    /// Why the upstream connection failed, as reported by the transport socket.
    fn upstream_transport_failure_reason(&self) -> Option<&[u8]>;

    /// The downstream peer (after XFF processing, as Envoy's `remoteAddress`).
    fn downstream_remote_address(&self) -> Option<SocketAddress<'_>>;

    /// The local address the downstream connection arrived on.
    fn downstream_local_address(&self) -> Option<SocketAddress<'_>>;

    /// The route's name, when it has one.
    fn route_name(&self) -> Option<&[u8]>;

    /// The TLS SNI the client sent.
    fn requested_server_name(&self) -> Option<&[u8]>;

    /// Why the connection was terminated, when Envoy closed it.
    fn connection_termination_details(&self) -> Option<&[u8]>;

    /// A scalar in dynamic metadata: `namespace` (filter name) and a dotted `path`.
    fn dynamic_metadata(&self, namespace: &str, path: &str) -> Option<MetadataValue<'_>>;

    /// The serialized filter state object under `key`.
    fn filter_state(&self, key: &str) -> Option<&[u8]>;

    /// Whether Envoy classified the request as a health check.
    fn is_health_check(&self) -> bool;

    /// Why the request is (not) traced.
    fn trace_reason(&self) -> TraceReason;

    /// First value of header `name` (lowercase) in `source`.
    fn header(&self, source: HeaderSource, name: &str) -> Option<&[u8]> {
        self.header_value(source, name, 0)
    }
}
