//! Envoy's raw timeline and byte-count structs turned into the SDK's `StreamTiming` / `StreamBytes`.

use crate::access_log::{StreamBytes, StreamTiming};
use dynagate_abi::{BytesInfo, TimingInfoV2};
use std::time::{Duration, SystemTime};

/// An offset that Envoy flagged present; a negative one (a milestone before the stream start,
/// which none of ours can be) reads as absent rather than wrapping.
fn offset(present: bool, nanos: i64) -> Option<Duration> {
    present
        .then(|| u64::try_from(nanos).ok())
        .flatten()
        .map(Duration::from_nanos)
}

/// The timeline of `raw`, keeping only what the flags mark present.
pub(super) fn stream_timing(raw: &TimingInfoV2) -> StreamTiming {
    StreamTiming {
        start: offset(raw.has_start_time, raw.start_time_unix_ns)
            .and_then(|since_epoch| SystemTime::UNIX_EPOCH.checked_add(since_epoch)),
        request_complete: offset(raw.has_request_complete, raw.request_complete_duration_ns),
        last_downstream_rx_byte_received: offset(
            raw.has_last_downstream_rx_byte_received,
            raw.last_downstream_rx_byte_received_ns,
        ),
        first_upstream_rx_byte_received: offset(
            raw.has_first_upstream_rx_byte_received,
            raw.first_upstream_rx_byte_received_ns,
        ),
        last_downstream_tx_byte_sent: offset(
            raw.has_last_downstream_tx_byte_sent,
            raw.last_downstream_tx_byte_sent_ns,
        ),
    }
}

/// The body byte counts of `raw`.
pub(super) const fn stream_bytes(raw: &BytesInfo) -> StreamBytes {
    StreamBytes {
        received: raw.bytes_received,
        sent: raw.bytes_sent,
    }
}

#[cfg(test)]
mod tests;
