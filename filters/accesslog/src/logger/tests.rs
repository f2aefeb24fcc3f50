use super::*;
use crate::entry::HeaderSource;
use crate::format::FormatContext;
use crate::sink::SinkOptions;
use crate::sink::gate::{Gate, GatedDestination};
use dynagate_sdk::testing::{FakeAccessLogHost, FakeConfigContext};
use dynagate_sdk::{AttributeId, HeaderMap};
use serde_json::json;
use std::path::Path;
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(10);

fn new_config(factory: &AccessLogFactory, config: serde_json::Value) -> AccessLogConfig {
    factory
        .new_config(&config.to_string(), &mut FakeConfigContext::new())
        .unwrap()
}

fn request(path: &str, code: u64) -> FakeAccessLogHost {
    FakeAccessLogHost::new()
        .with_header(HeaderMap::RequestHeaders, ":method", "GET")
        .with_header(HeaderMap::RequestHeaders, ":path", path)
        .with_header(
            HeaderMap::RequestHeaders,
            "x-request-id",
            "949757f4-3f35-4b99-a800-31fba03e1441",
        )
        .with_header(HeaderMap::ResponseHeaders, "content-type", "text/plain")
        .with_attribute_int(AttributeId::RESPONSE_CODE, code)
        .with_attribute_string(AttributeId::REQUEST_PROTOCOL, "HTTP/1.1")
        .with_attribute_string(AttributeId::RESPONSE_CODE_DETAILS, "via_upstream")
        .with_attribute_string(AttributeId::UPSTREAM_ADDRESS, "10.0.0.7:8080")
        .with_attribute_string(AttributeId::SOURCE_ADDRESS, "192.0.2.1:5555")
        .with_attribute_int(AttributeId::SOURCE_PORT, 5555)
        .with_attribute_string(AttributeId::XDS_ROUTE_NAME, "default.route")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn workers_write_filtered_lines_through_the_shared_sink() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let config = new_config(
        &AccessLogFactory::default(),
        json!({
            "fileSink": {
                "path": path,
                "stringFormat": "%REQ(:METHOD)% %REQ(:PATH)% %PROTOCOL% %RESPONSE_CODE% \
                                 %RESPONSE_CODE_DETAILS% %UPSTREAM_HOST% \
                                 %DOWNSTREAM_REMOTE_ADDRESS% %ROUTE_NAME%\n"
            },
            "filter": {"statusCodeFilter": {"op": "GE", "value": 400}}
        }),
    );
    let mut first = config.new_logger();
    let mut second = config.new_logger();
    first.log(&request("/ok", 200), AccessLogType::DOWNSTREAM_END);
    first.log(&request("/missing", 404), AccessLogType::DOWNSTREAM_END);
    second.log(&request("/broken", 503), AccessLogType::DOWNSTREAM_END);
    assert!(config.sink().unwrap().flush_and_wait(DEADLINE));
    assert_eq!(
        read(&path),
        "GET /missing HTTP/1.1 404 via_upstream 10.0.0.7:8080 192.0.2.1:5555 default.route\n\
         GET /broken HTTP/1.1 503 via_upstream 10.0.0.7:8080 192.0.2.1:5555 default.route\n"
    );
}

#[test]
fn json_format_reads_metadata_and_headers_from_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.json");
    let config = new_config(
        &AccessLogFactory::default(),
        json!({"fileSink": {"path": path, "jsonFormat": {
            "code": "%RESPONSE_CODE%",
            "ct": "%RESP(CONTENT-TYPE)%",
            "tenant": "%DYNAMIC_METADATA(dynagate:tenant)%",
            "weight": "%DYNAMIC_METADATA(dynagate:weight)%",
            "missing": "%DYNAMIC_METADATA(dynagate:nope)%"
        }}}),
    );
    let host = request("/", 200)
        .with_metadata_string("dynagate", "tenant", "acme")
        .with_metadata_number("dynagate", "weight", 0.5);
    config
        .new_logger()
        .log(&host, AccessLogType::DOWNSTREAM_END);
    assert!(config.sink().unwrap().flush_and_wait(DEADLINE));
    assert_eq!(
        read(&path),
        "{\"code\":200,\"ct\":\"text/plain\",\"missing\":null,\"tenant\":\"acme\",\"weight\":0.5}\n"
    );
}

#[test]
fn bad_configs_are_rejected_with_the_reason() {
    let factory = AccessLogFactory::default();
    let reject = |config: serde_json::Value| {
        factory
            .new_config(&config.to_string(), &mut FakeConfigContext::new())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        reject(json!({"fileSink": {"path": "/tmp/x", "stringFormat": "%NOPE%"}})),
        "fileSink format: unknown command operator %NOPE%"
    );
    assert_eq!(
        reject(json!({"openTelemetry": {"grpcService": {"logName": "l"}}})),
        "openTelemetry access log sink is not supported yet"
    );
    let unopenable = reject(json!({"fileSink": {"path": "/nonexistent-dir/a/b.log"}}));
    assert!(
        unopenable.starts_with("cannot open access log /nonexistent-dir/a/b.log"),
        "{unopenable}"
    );
}

#[test]
fn validation_mode_checks_without_creating_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("never.log");
    let config = AccessLogFactory::default()
        .new_config(
            &json!({"fileSink": {"path": path}}).to_string(),
            &mut FakeConfigContext::new().validation_mode(),
        )
        .unwrap();
    assert!(config.sink().is_none());
    config
        .new_logger()
        .log(&request("/", 200), AccessLogType::DOWNSTREAM_END);
    assert!(!path.exists());
}

#[test]
fn a_full_queue_counts_dropped_lines_in_envoy_stats() {
    let gate = Arc::new(Gate::default());
    let options = SinkOptions {
        queue_lines: 2,
        flush_interval: Duration::from_millis(5),
        flush_bytes: 1,
        reopen_on_signal: false,
        shutdown_timeout: DEADLINE,
    };
    let destination = Box::new(GatedDestination(Arc::clone(&gate)));
    let sink = FileSink::with_destination("gated".into(), destination, options).unwrap();
    let mut ctx = FakeConfigContext::new();
    let dropped = ctx.define_counter(DROPPED_LINES, &[]).unwrap();
    let compiled = CompiledAccessLog::from_json(
        &json!({"fileSink": {"path": "gated", "stringFormat": "%REQ(:PATH)%\n"}}).to_string(),
        &FormatContext::default(),
    )
    .unwrap();
    let config = AccessLogConfig {
        shared: Arc::new(Shared {
            compiled,
            sink: Some(Arc::new(sink)),
            dropped,
        }),
    };
    let mut worker = config.new_logger();
    let host = request("/x", 200).with_metrics(&ctx);

    worker.log(&host, AccessLogType::DOWNSTREAM_END);
    assert!(
        gate.wait_for_writes(1, DEADLINE),
        "the writer holds line 1 and blocks"
    );
    for _ in 0..5 {
        worker.log(&host, AccessLogType::DOWNSTREAM_END);
    }
    // Two fit in the queue, three are dropped and counted where Envoy's stats see them.
    assert_eq!(host.counter(DROPPED_LINES), 3);
    gate.open();
    drop(worker);
    drop(config);
    assert_eq!(gate.written(), b"/x\n/x\n/x\n");
}

#[test]
fn trace_reason_comes_from_the_request_id() {
    use crate::entry::TraceReason;
    use host_entry::trace_reason_of_request_id as reason;
    assert_eq!(
        reason(b"949757f4-3f35-4b99-a800-31fba03e1441"),
        TraceReason::NotTraceable
    );
    assert_eq!(
        reason(b"949757f4-3f35-ab99-a800-31fba03e1441"),
        TraceReason::ServiceForced
    );
    assert_eq!(
        reason(b"949757f4-3f35-9b99-a800-31fba03e1441"),
        TraceReason::Sampling
    );
    assert_eq!(
        reason(b"949757f4-3f35-bb99-a800-31fba03e1441"),
        TraceReason::ClientForced
    );
    assert_eq!(reason(b"not-a-uuid"), TraceReason::NotTraceable);
}

#[test]
fn host_entry_reads_addresses_flags_and_health_checks() {
    use crate::entry::{LogEntry, ResponseFlags, SocketAddress};
    let host = request("/", 200)
        .with_attribute_string(AttributeId::DESTINATION_ADDRESS, "::1")
        .with_attribute_int(AttributeId::DESTINATION_PORT, 10_000)
        .with_attribute_bool(AttributeId::HEALTH_CHECK, true)
        .with_response_flags(1 << 8)
        .with_header(HeaderMap::ResponseTrailers, "grpc-status", "0");
    let entry = HostEntry::new(&host);
    assert_eq!(
        entry.downstream_local_address(),
        Some(SocketAddress {
            ip: b"::1",
            port: 10_000
        })
    );
    assert!(entry.is_health_check());
    assert_eq!(entry.response_flags(), ResponseFlags(1 << 8));
    assert_eq!(entry.response_code(), Some(200));
    assert_eq!(
        entry.header(HeaderSource::ResponseTrailers, "grpc-status"),
        Some(&b"0"[..])
    );
}

#[test]
fn socket_attributes_with_or_without_a_port() {
    use crate::entry::SocketAddress;
    use host_entry::split_host_port as split;
    // Envoy 1.40 serves `source.address` as `ip:port`.
    assert_eq!(
        split(b"127.0.0.1:57220"),
        Some(SocketAddress {
            ip: b"127.0.0.1",
            port: 57_220
        })
    );
    assert_eq!(
        split(b"[::1]:80"),
        Some(SocketAddress {
            ip: b"::1",
            port: 80
        })
    );
    assert_eq!(split(b"::1"), None);
    assert_eq!(split(b"10.0.0.1"), None);
    assert_eq!(split(b"[::1]"), None);
    // A bare IP falls back to the port attribute.
    let host = FakeAccessLogHost::new()
        .with_attribute_string(AttributeId::SOURCE_ADDRESS, "2001:db8::1")
        .with_attribute_int(AttributeId::SOURCE_PORT, 443);
    let entry = HostEntry::new(&host);
    assert_eq!(
        crate::entry::LogEntry::downstream_remote_address(&entry),
        Some(SocketAddress {
            ip: b"2001:db8::1",
            port: 443
        })
    );
}

#[test]
fn host_entry_formats_the_hosts_timeline_and_byte_counts() {
    use dynagate_sdk::{StreamBytes, StreamTiming};
    use std::time::SystemTime;
    let start = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_250);
    let host = request("/", 200)
        .with_timing(StreamTiming {
            start: Some(start),
            request_complete: Some(Duration::from_millis(42)),
            last_downstream_rx_byte_received: Some(Duration::from_millis(1)),
            first_upstream_rx_byte_received: Some(Duration::from_millis(30)),
            last_downstream_tx_byte_sent: Some(Duration::from_millis(41)),
        })
        .with_bytes(StreamBytes {
            received: 12,
            sent: 345,
        });
    let format = crate::format::LineFormat::text(
        "%START_TIME(%s.%3f)% %DURATION% %REQUEST_DURATION% %RESPONSE_DURATION% \
         %BYTES_RECEIVED% %BYTES_SENT%",
        &FormatContext::default(),
    )
    .unwrap();
    let line = format.render(&HostEntry::new(&host));
    assert_eq!(line, b"1700000000.250 42 1 30 12 345");
}
