//! Per-line cost of the access logger core: a typical JSON line, Envoy's default text line, and
//! the whole worker path (filter + format + queue) for the JSON line.
//! Run: `cargo bench -p dynagate-accesslog`.

#![allow(
    clippy::expect_used,
    reason = "a benchmark whose setup is broken should stop loudly"
)]

use std::hint::black_box;
use std::time::{Duration, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use dynagate_accesslog::{
    ByteCounts, CompiledAccessLog, FileSink, FormatContext, HeaderSource, LineFormat,
    RecordedEntry, SinkOptions, Timing,
};

/// A proxied `GET` as a browser sends it, answered 200 by the upstream.
fn typical_request() -> RecordedEntry {
    let request = [
        (":method", "GET"),
        (":path", "/api/v1/orders?limit=10&cursor=abc"),
        (":authority", "shop.example.com"),
        (":scheme", "https"),
        (
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
        ),
        ("accept", "application/json"),
        ("x-request-id", "7f0c3a52-0d7e-4c1e-9a8e-6f1b2f0e9b11"),
        ("x-forwarded-for", "203.0.113.7"),
    ];
    let mut entry = RecordedEntry::new();
    for (name, value) in request {
        entry = entry.with_header(HeaderSource::Request, name, value);
    }
    entry = entry
        .with_header(HeaderSource::Response, ":status", "200")
        .with_header(HeaderSource::Response, "content-type", "application/json")
        .with_header(
            HeaderSource::Response,
            "x-envoy-upstream-service-time",
            "12",
        );
    entry.timing = Timing {
        start: Some(UNIX_EPOCH + Duration::new(1_795_811_819, 100_719_000)),
        request_complete: Some(Duration::from_micros(13_250)),
        last_downstream_rx_byte_received: Some(Duration::from_micros(150)),
        first_upstream_rx_byte_received: Some(Duration::from_micros(12_400)),
        last_downstream_tx_byte_sent: Some(Duration::from_micros(13_200)),
    };
    entry.bytes = ByteCounts {
        received: 0,
        sent: 1_843,
    };
    entry.protocol = Some("HTTP/1.1".to_owned());
    entry.response_code = Some(200);
    entry.response_code_details = Some("via_upstream".to_owned());
    entry.upstream_host = Some("10.0.3.17:8080".to_owned());
    entry.upstream_cluster = Some("kube_default_orders_8080".to_owned());
    entry.downstream_remote_address = Some(("203.0.113.7".to_owned(), 51_234));
    entry.route_name = Some("default.orders.0".to_owned());
    entry
}

/// The JSON format of kgateway's access-logging guide, plus a few common fields.
const TYPICAL_JSON: &str = r#"{
    "start_time": "%START_TIME%",
    "method": "%REQ(X-ENVOY-ORIGINAL-METHOD?:METHOD)%",
    "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
    "protocol": "%PROTOCOL%",
    "response_code": "%RESPONSE_CODE%",
    "response_flags": "%RESPONSE_FLAGS%",
    "bytes_received": "%BYTES_RECEIVED%",
    "bytes_sent": "%BYTES_SENT%",
    "duration": "%DURATION%",
    "upstream_service_time": "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%",
    "x_forwarded_for": "%REQ(X-FORWARDED-FOR)%",
    "user_agent": "%REQ(USER-AGENT)%",
    "request_id": "%REQ(X-REQUEST-ID)%",
    "authority": "%REQ(:AUTHORITY)%",
    "upstream_host": "%UPSTREAM_HOST%",
    "upstream_cluster": "%UPSTREAM_CLUSTER%",
    "route_name": "%ROUTE_NAME%"
}"#;

fn formats(c: &mut Criterion) {
    let context = FormatContext::default();
    let entry = typical_request();
    let json: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(TYPICAL_JSON).expect("valid JSON format");
    let json = LineFormat::json(&json, &context).expect("JSON format compiles");
    let text = LineFormat::envoy_default(&context).expect("default format compiles");
    let mut line = Vec::with_capacity(1024);

    c.bench_function("json_line", |b| {
        b.iter(|| {
            line.clear();
            json.write(black_box(&entry), &mut line);
            black_box(line.len())
        });
    });
    c.bench_function("default_text_line", |b| {
        b.iter(|| {
            line.clear();
            text.write(black_box(&entry), &mut line);
            black_box(line.len())
        });
    });
}

fn worker_path(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("access.log");
    let config = serde_json::json!({
        "fileSink": {
            "path": path,
            "jsonFormat": serde_json::from_str::<serde_json::Value>(TYPICAL_JSON).expect("json"),
        },
        "filter": {"notHealthCheckFilter": true},
    });
    let compiled = CompiledAccessLog::from_json(&config.to_string(), &FormatContext::default())
        .expect("config compiles");
    let sink = FileSink::open(
        &path,
        SinkOptions {
            reopen_on_signal: false,
            ..SinkOptions::default()
        },
    )
    .expect("sink opens");
    let entry = typical_request();
    c.bench_function("filter_format_submit_json", |b| {
        b.iter(|| {
            let entry = black_box(&entry);
            if compiled
                .filter
                .as_ref()
                .is_none_or(|filter| filter.accepts(entry))
            {
                let mut line = Vec::with_capacity(512);
                compiled.format.write(entry, &mut line);
                black_box(sink.submit(line));
            }
        });
    });
    let stats = sink.stats();
    eprintln!(
        "sink: {} written, {} dropped while benchmarking",
        stats.written_lines, stats.dropped_lines
    );
}

criterion_group!(benches, formats, worker_path);
criterion_main!(benches);
