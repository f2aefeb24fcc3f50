use super::*;
use crate::entry::{RecordedEntry, ResponseFlags, Timing};
use dynagate_config::access_log::AccessLog;
use serde_json::json;
use std::time::Duration;

fn compile(filter: serde_json::Value) -> Result<LogFilter, FilterError> {
    let config = AccessLog::from_json(&json!({ "filter": filter }).to_string()).unwrap();
    LogFilter::compile(config.filter.as_ref().unwrap())
}

fn accepts(filter: serde_json::Value, entry: &RecordedEntry) -> bool {
    compile(filter).unwrap().accepts(entry)
}

fn with_code(code: Option<u32>) -> RecordedEntry {
    let mut entry = RecordedEntry::new();
    entry.response_code = code;
    entry
}

fn with_duration(millis: Option<u64>) -> RecordedEntry {
    let mut entry = RecordedEntry::new();
    entry.timing = Timing {
        request_complete: millis.map(|ms| Duration::from_micros(ms * 1000 + 999)),
        ..Timing::default()
    };
    entry
}

#[test]
fn status_code_comparisons() {
    let ge = json!({"statusCodeFilter": {"op": "GE", "value": 400}});
    assert!(accepts(ge.clone(), &with_code(Some(400))));
    assert!(accepts(ge.clone(), &with_code(Some(503))));
    assert!(!accepts(ge.clone(), &with_code(Some(399))));
    // No response at all compares as 0.
    assert!(!accepts(ge, &with_code(None)));
    assert!(accepts(
        json!({"statusCodeFilter": {"op": "LE", "value": 0}}),
        &with_code(None)
    ));
    let eq = json!({"statusCodeFilter": {"op": "EQ", "value": 404}});
    assert!(accepts(eq.clone(), &with_code(Some(404))));
    assert!(!accepts(eq, &with_code(Some(405))));
}

#[test]
fn duration_comparisons_use_whole_milliseconds() {
    let ge = json!({"durationFilter": {"op": "GE", "value": 10}});
    assert!(accepts(ge.clone(), &with_duration(Some(10))));
    assert!(!accepts(ge.clone(), &with_duration(Some(9))));
    // 10.999 ms is 10 ms.
    let eq = json!({"durationFilter": {"op": "EQ", "value": 10}});
    assert!(accepts(eq, &with_duration(Some(10))));
    let le = json!({"durationFilter": {"op": "LE", "value": 10}});
    assert!(accepts(le.clone(), &with_duration(Some(10))));
    assert!(!accepts(le.clone(), &with_duration(Some(11))));
    // An unfinished stream has no duration: never matches.
    assert!(!accepts(le, &with_duration(None)));
}

#[test]
fn not_health_check() {
    let mut health = RecordedEntry::new();
    health.health_check = true;
    assert!(!accepts(json!({"notHealthCheckFilter": true}), &health));
    assert!(accepts(
        json!({"notHealthCheckFilter": true}),
        &RecordedEntry::new()
    ));
    // Presence applies it, as kgateway translates `notHealthCheckFilter: false`.
    assert!(!accepts(json!({"notHealthCheckFilter": false}), &health));
}

#[test]
fn traceable_means_forced_by_the_service() {
    let traced = |reason, health_check| {
        let mut entry = RecordedEntry::new();
        entry.trace_reason = reason;
        entry.health_check = health_check;
        accepts(json!({"traceableFilter": true}), &entry)
    };
    assert!(traced(TraceReason::ServiceForced, false));
    assert!(!traced(TraceReason::ServiceForced, true));
    assert!(!traced(TraceReason::Sampling, false));
    assert!(!traced(TraceReason::ClientForced, false));
    assert!(!traced(TraceReason::NotTraceable, false));
}

#[test]
fn header_exact_and_regex() {
    let entry = RecordedEntry::new()
        .with_header(HeaderSource::Request, "X-Debug", "On")
        .with_header(HeaderSource::Request, "x-multi", "a")
        .with_header(HeaderSource::Request, "x-multi", "b");
    let exact = |name: &str, value: &str| {
        accepts(
            json!({"headerFilter": {"header": {"name": name, "value": value}}}),
            &entry,
        )
    };
    assert!(exact("x-debug", "On"));
    assert!(exact("X-DEBUG", "On"));
    assert!(!exact("x-debug", "on"), "values are case-sensitive");
    assert!(!exact("x-absent", ""), "an absent header never matches");
    assert!(
        exact("x-multi", "a,b"),
        "several values are joined with commas"
    );
    let regex = |pattern: &str| {
        accepts(
            json!({"headerFilter": {"header": {
                "type": "RegularExpression", "name": "x-debug", "value": pattern}}}),
            &entry,
        )
    };
    assert!(regex("O[nf]+"));
    assert!(!regex("O"), "the whole value must match");
    assert!(!regex("n"));
}

#[test]
fn header_filter_config_errors() {
    let bad_regex = json!({"headerFilter": {"header": {
        "type": "RegularExpression", "name": "x", "value": "("}}});
    assert!(matches!(
        compile(bad_regex),
        Err(FilterError::InvalidRegex { .. })
    ));
    let bad_name = json!({"headerFilter": {"header": {"name": "x y", "value": "1"}}});
    assert_eq!(
        compile(bad_name).unwrap_err(),
        FilterError::InvalidHeaderName("x y".to_owned())
    );
}

#[test]
fn response_flags() {
    let mut entry = RecordedEntry::new();
    // NR (8).
    entry.response_flags = ResponseFlags(1 << 8);
    assert!(accepts(
        json!({"responseFlagFilter": {"flags": ["UH", "NR"]}}),
        &entry
    ));
    assert!(!accepts(
        json!({"responseFlagFilter": {"flags": ["UH", "UF"]}}),
        &entry
    ));
    assert!(accepts(
        json!({"responseFlagFilter": {"flags": []}}),
        &entry
    ));
    assert!(!accepts(
        json!({"responseFlagFilter": {"flags": []}}),
        &RecordedEntry::new()
    ));
    assert_eq!(
        compile(json!({"responseFlagFilter": {"flags": ["NR", "XX"]}})).unwrap_err(),
        FilterError::UnknownResponseFlag("XX".to_owned())
    );
}

#[test]
fn grpc_status_from_trailers_headers_or_http_code() {
    let filter = |statuses: serde_json::Value, exclude: bool| {
        compile(json!({"grpcStatusFilter": {"statuses": statuses, "exclude": exclude}})).unwrap()
    };
    let trailers = RecordedEntry::new()
        .with_header(HeaderSource::Response, "grpc-status", "0")
        .with_header(HeaderSource::ResponseTrailers, "grpc-status", "4");
    assert!(filter(json!(["DEADLINE_EXCEEDED"]), false).accepts(&trailers));
    assert!(
        !filter(json!(["OK"]), false).accepts(&trailers),
        "trailers win over headers"
    );

    let headers_only = RecordedEntry::new().with_header(HeaderSource::Response, "grpc-status", "5");
    assert!(filter(json!(["NOT_FOUND"]), false).accepts(&headers_only));

    // No grpc-status: mapped from the HTTP status as gRPC does (503 -> UNAVAILABLE).
    assert!(filter(json!(["UNAVAILABLE"]), false).accepts(&with_code(Some(503))));
    assert!(filter(json!(["UNIMPLEMENTED"]), false).accepts(&with_code(Some(404))));
    assert!(filter(json!(["UNKNOWN"]), false).accepts(&with_code(Some(200))));
    assert!(filter(json!(["UNKNOWN"]), false).accepts(&with_code(None)));

    // Exclude inverts.
    assert!(!filter(json!(["UNAVAILABLE"]), true).accepts(&with_code(Some(503))));
    assert!(filter(json!(["OK"]), true).accepts(&with_code(Some(503))));

    // An invalid status matches no name (so `exclude` logs it).
    let invalid = RecordedEntry::new().with_header(HeaderSource::Response, "grpc-status", "99");
    assert!(!filter(json!(["UNKNOWN", "OK"]), false).accepts(&invalid));
    assert!(filter(json!(["UNKNOWN", "OK"]), true).accepts(&invalid));
}

#[test]
fn and_or_combinations() {
    let mut entry = with_code(Some(500));
    entry.health_check = false;
    let server_error = json!({"statusCodeFilter": {"op": "GE", "value": 500}});
    let not_found = json!({"statusCodeFilter": {"op": "EQ", "value": 404}});
    let not_health = json!({"notHealthCheckFilter": true});
    assert!(accepts(
        json!({"andFilter": [server_error, not_health]}),
        &entry
    ));
    assert!(!accepts(
        json!({"andFilter": [not_found, not_health]}),
        &entry
    ));
    assert!(accepts(
        json!({"orFilter": [not_found, server_error]}),
        &entry
    ));
    assert!(!accepts(
        json!({"orFilter": [not_found, {"durationFilter": {"op": "GE", "value": 1}}]}),
        &entry
    ));
    // Nested.
    let nested = json!({"orFilter": [not_found, {"andFilter": [server_error, not_health]}]});
    assert!(accepts(nested, &entry));
}

#[test]
fn and_or_need_two_filters() {
    assert_eq!(
        compile(json!({"andFilter": [{"notHealthCheckFilter": true}]})).unwrap_err(),
        FilterError::TooFewFilters {
            kind: "andFilter",
            count: 1
        }
    );
    assert_eq!(
        compile(json!({"orFilter": []})).unwrap_err(),
        FilterError::TooFewFilters {
            kind: "orFilter",
            count: 0
        }
    );
}

#[test]
fn cel_and_runtime_filters_are_not_supported_yet() {
    let cel = compile(json!({"celFilter": {"match": "response.code >= 400"}})).unwrap_err();
    assert_eq!(cel.to_string(), "celFilter is not supported yet");
    let runtime = compile(json!({"runtimeFilter": {"runtimeKey": "k"}})).unwrap_err();
    assert_eq!(
        runtime,
        FilterError::NotSupported {
            kind: "runtimeFilter"
        }
    );
    // Also when nested.
    let nested =
        json!({"andFilter": [{"notHealthCheckFilter": true}, {"celFilter": {"match": "x"}}]});
    assert!(compile(nested).is_err());
}
