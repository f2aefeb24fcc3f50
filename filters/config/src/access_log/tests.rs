use super::*;
use serde_json::json;

fn parse(value: serde_json::Value) -> Result<AccessLog, ParseError> {
    AccessLog::from_json(&value.to_string())
}

#[test]
fn kgateway_file_sink_example_parses() {
    let log = parse(json!({
        "fileSink": {
            "path": "/dev/stdout",
            "jsonFormat": {"start_time": "%START_TIME%", "response_code": "%RESPONSE_CODE%"}
        },
        "filter": {"statusCodeFilter": {"op": "GE", "value": 400}}
    }))
    .unwrap();
    let sink = log.file_sink.as_ref().unwrap();
    assert_eq!(sink.path, "/dev/stdout");
    assert_eq!(sink.json_format.as_ref().unwrap().len(), 2);
    assert_eq!(
        log.filter,
        Some(AccessLogFilter::StatusCodeFilter(ComparisonFilter {
            op: ComparisonOp::Ge,
            value: 400
        }))
    );
}

#[test]
fn unknown_keys_are_named() {
    let err = parse(json!({"fileSink": {"path": "/tmp/x", "stringFormatt": "%PROTOCOL%"}}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("stringFormatt"), "{err}");
    let err = parse(json!({"fileSnk": {"path": "/tmp/x"}}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("fileSnk"), "{err}");
    let err = parse(json!({"filter": {"latencyFilter": {}}}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("latencyFilter"), "{err}");
}

#[test]
fn and_or_filters_nest_and_grpc_statuses_parse() {
    let log = parse(json!({
        "fileSink": {"path": "/tmp/x"},
        "filter": {"orFilter": [
            {"headerFilter": {"header": {"name": "x-debug", "value": "1"}}},
            {"andFilter": [
                {"notHealthCheckFilter": true},
                {"grpcStatusFilter": {"statuses": ["OK", "DEADLINE_EXCEEDED"], "exclude": true}}
            ]}
        ]}
    }))
    .unwrap();
    let Some(AccessLogFilter::OrFilter(or)) = log.filter else {
        panic!("expected orFilter");
    };
    let AccessLogFilter::HeaderFilter(header) = &or[0] else {
        panic!("expected headerFilter");
    };
    assert_eq!(header.header.match_type, HeaderMatchType::Exact);
    let AccessLogFilter::AndFilter(and) = &or[1] else {
        panic!("expected andFilter");
    };
    let AccessLogFilter::GrpcStatusFilter(grpc) = &and[1] else {
        panic!("expected grpcStatusFilter");
    };
    assert_eq!(
        grpc.statuses,
        [GrpcStatus::Ok, GrpcStatus::DeadlineExceeded]
    );
    assert_eq!(GrpcStatus::DeadlineExceeded.code(), 4);
    assert_eq!(GrpcStatus::Unauthenticated.code(), 16);
}

#[test]
fn a_filter_object_with_two_kinds_is_rejected() {
    let result = parse(json!({"filter": {
        "notHealthCheckFilter": true,
        "traceableFilter": true
    }}));
    let err = result.unwrap_err().to_string();
    assert!(err.contains("exactly one filter key, got 2"), "{err}");
    let err = parse(json!({"filter": {}})).unwrap_err().to_string();
    assert!(err.contains("exactly one filter key, got 0"), "{err}");
}

#[test]
fn kgateway_2_0_spelling_of_ge_is_accepted() {
    let log = parse(json!({"filter": {"durationFilter": {"op": "GQ", "value": 10}}})).unwrap();
    assert_eq!(
        log.filter,
        Some(AccessLogFilter::DurationFilter(ComparisonFilter {
            op: ComparisonOp::Ge,
            value: 10
        }))
    );
}

#[test]
fn grpc_and_otel_sinks_are_kept_as_written() {
    let grpc = json!({"logName": "als", "backendRef": {"name": "als", "port": 9000}});
    let log = parse(json!({"grpcService": grpc.clone()})).unwrap();
    assert_eq!(log.grpc_service, Some(grpc));
}

#[test]
fn json_round_trip_is_stable() {
    let log = parse(json!({
        "fileSink": {"path": "/var/log/a.log", "stringFormat": "%PROTOCOL%\n"},
        "filter": {"responseFlagFilter": {"flags": ["UH", "NR"]}}
    }))
    .unwrap();
    assert_eq!(AccessLog::from_json(&log.to_json()).unwrap(), log);
}
