//! Plain-data structs Envoy fills with a stream's timeline and byte counts (access loggers).

/// `envoy_dynamic_module_type_timing_info_v2`: the stream's timeline, filled by
/// `get_timing_info_v2`. `start_time_unix_ns` is wall-clock time; every other `*_ns` field is an
/// offset from the stream's start (monotonic clock). A value is meaningful only when its `has_*`
/// flag is set (Envoy writes -1 and `false` for an absent one).
///
/// Layout checked against the Envoy 1.40.0 binary: 19 `i64` followed by 19 `bool` flags in the
/// same order, 176 bytes; the `v1` struct is a subset copied out of this one.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
#[allow(
    missing_docs,
    reason = "field names are the C names; see the struct doc"
)]
pub struct TimingInfoV2 {
    pub start_time_unix_ns: i64,
    pub downstream_connection_begin_ns: i64,
    pub downstream_handshake_start_ns: i64,
    pub downstream_handshake_complete_ns: i64,
    pub last_downstream_header_rx_byte_received_ns: i64,
    pub last_downstream_rx_byte_received_ns: i64,
    pub upstream_connect_start_ns: i64,
    pub upstream_connect_complete_ns: i64,
    pub upstream_handshake_complete_ns: i64,
    pub first_upstream_tx_byte_sent_ns: i64,
    pub last_upstream_tx_byte_sent_ns: i64,
    pub first_upstream_rx_byte_received_ns: i64,
    pub first_upstream_rx_body_byte_received_ns: i64,
    pub last_upstream_rx_byte_received_ns: i64,
    pub first_downstream_tx_byte_sent_ns: i64,
    pub last_downstream_tx_byte_sent_ns: i64,
    pub last_downstream_ack_received_ns: i64,
    pub request_complete_duration_ns: i64,
    pub downstream_connection_end_ns: i64,
    pub has_start_time: bool,
    pub has_downstream_connection_begin: bool,
    pub has_downstream_handshake_start: bool,
    pub has_downstream_handshake_complete: bool,
    pub has_last_downstream_header_rx_byte_received: bool,
    pub has_last_downstream_rx_byte_received: bool,
    pub has_upstream_connect_start: bool,
    pub has_upstream_connect_complete: bool,
    pub has_upstream_handshake_complete: bool,
    pub has_first_upstream_tx_byte_sent: bool,
    pub has_last_upstream_tx_byte_sent: bool,
    pub has_first_upstream_rx_byte_received: bool,
    pub has_first_upstream_rx_body_byte_received: bool,
    pub has_last_upstream_rx_byte_received: bool,
    pub has_first_downstream_tx_byte_sent: bool,
    pub has_last_downstream_tx_byte_sent: bool,
    pub has_last_downstream_ack_received: bool,
    pub has_request_complete: bool,
    pub has_downstream_connection_end: bool,
}

const _: () = assert!(core::mem::size_of::<TimingInfoV2>() == 176);

impl TimingInfoV2 {
    /// Every value absent: the state Envoy starts from, and a safe out-parameter.
    pub const UNAVAILABLE: Self = Self {
        start_time_unix_ns: -1,
        downstream_connection_begin_ns: -1,
        downstream_handshake_start_ns: -1,
        downstream_handshake_complete_ns: -1,
        last_downstream_header_rx_byte_received_ns: -1,
        last_downstream_rx_byte_received_ns: -1,
        upstream_connect_start_ns: -1,
        upstream_connect_complete_ns: -1,
        upstream_handshake_complete_ns: -1,
        first_upstream_tx_byte_sent_ns: -1,
        last_upstream_tx_byte_sent_ns: -1,
        first_upstream_rx_byte_received_ns: -1,
        first_upstream_rx_body_byte_received_ns: -1,
        last_upstream_rx_byte_received_ns: -1,
        first_downstream_tx_byte_sent_ns: -1,
        last_downstream_tx_byte_sent_ns: -1,
        last_downstream_ack_received_ns: -1,
        request_complete_duration_ns: -1,
        downstream_connection_end_ns: -1,
        has_start_time: false,
        has_downstream_connection_begin: false,
        has_downstream_handshake_start: false,
        has_downstream_handshake_complete: false,
        has_last_downstream_header_rx_byte_received: false,
        has_last_downstream_rx_byte_received: false,
        has_upstream_connect_start: false,
        has_upstream_connect_complete: false,
        has_upstream_handshake_complete: false,
        has_first_upstream_tx_byte_sent: false,
        has_last_upstream_tx_byte_sent: false,
        has_first_upstream_rx_byte_received: false,
        has_first_upstream_rx_body_byte_received: false,
        has_last_upstream_rx_byte_received: false,
        has_first_downstream_tx_byte_sent: false,
        has_last_downstream_tx_byte_sent: false,
        has_last_downstream_ack_received: false,
        has_request_complete: false,
        has_downstream_connection_end: false,
    };
}

/// `envoy_dynamic_module_type_bytes_info`: body bytes of the stream (0 when unknown).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct BytesInfo {
    /// Request body bytes received from downstream (`%BYTES_RECEIVED%`).
    pub bytes_received: u64,
    /// Response body bytes sent downstream (`%BYTES_SENT%`).
    pub bytes_sent: u64,
    /// Bytes received on the wire, including TLS overhead.
    pub wire_bytes_received: u64,
    /// Bytes sent on the wire, including TLS overhead.
    pub wire_bytes_sent: u64,
}

const _: () = assert!(core::mem::size_of::<BytesInfo>() == 32);
