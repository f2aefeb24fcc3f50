use super::*;

#[test]
fn absent_milestones_stay_absent_even_with_a_value() {
    // Envoy writes -1 with a false flag; a stale non-negative value with a false flag must not leak.
    let raw = TimingInfoV2 {
        first_upstream_rx_byte_received_ns: 7,
        ..TimingInfoV2::UNAVAILABLE
    };
    assert_eq!(stream_timing(&raw), StreamTiming::default());
}

#[test]
fn present_milestones_become_durations_from_start() {
    let raw = TimingInfoV2 {
        start_time_unix_ns: 1_700_000_000_123_456_789,
        has_start_time: true,
        request_complete_duration_ns: 5_000_000,
        has_request_complete: true,
        last_downstream_rx_byte_received_ns: 0,
        has_last_downstream_rx_byte_received: true,
        first_upstream_rx_byte_received_ns: 3_000_000,
        has_first_upstream_rx_byte_received: true,
        last_downstream_tx_byte_sent_ns: 4_500_000,
        has_last_downstream_tx_byte_sent: true,
        ..TimingInfoV2::UNAVAILABLE
    };
    let timing = stream_timing(&raw);
    let start = timing
        .start
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok());
    assert_eq!(
        start,
        Some(Duration::new(1_700_000_000, 123_456_789)),
        "start keeps nanosecond precision"
    );
    assert_eq!(timing.request_complete, Some(Duration::from_millis(5)));
    assert_eq!(
        timing.last_downstream_rx_byte_received,
        Some(Duration::ZERO)
    );
    assert_eq!(
        timing.first_upstream_rx_byte_received,
        Some(Duration::from_millis(3))
    );
    assert_eq!(
        timing.last_downstream_tx_byte_sent,
        Some(Duration::from_micros(4500))
    );
}

#[test]
fn a_negative_offset_flagged_present_reads_as_absent() {
    let raw = TimingInfoV2 {
        request_complete_duration_ns: -5,
        has_request_complete: true,
        ..TimingInfoV2::UNAVAILABLE
    };
    assert_eq!(stream_timing(&raw).request_complete, None);
}

#[test]
fn byte_counts_are_the_body_counts_not_the_wire_counts() {
    let raw = BytesInfo {
        bytes_received: 11,
        bytes_sent: 22,
        wire_bytes_received: 33,
        wire_bytes_sent: 44,
    };
    assert_eq!(
        stream_bytes(&raw),
        StreamBytes {
            received: 11,
            sent: 22
        }
    );
}
