use super::*;
use crate::entry::RecordedEntry;
use serde_json::json;

fn compile(config: serde_json::Value) -> Result<CompiledAccessLog, ConfigError> {
    CompiledAccessLog::from_json(&config.to_string(), &FormatContext::default())
}

#[test]
fn file_sink_with_string_format_and_filter() {
    let log = compile(json!({
        "fileSink": {"path": "/var/log/envoy/access.log", "stringFormat": "%RESPONSE_CODE%\n"},
        "filter": {"statusCodeFilter": {"op": "GE", "value": 400}}
    }))
    .unwrap();
    assert_eq!(log.path, std::path::Path::new("/var/log/envoy/access.log"));
    let mut entry = RecordedEntry::new();
    entry.response_code = Some(404);
    assert_eq!(log.format.render(&entry), b"404\n");
    assert!(log.filter.as_ref().unwrap().accepts(&entry));
}

#[test]
fn no_format_means_envoy_default() {
    let log = compile(json!({"fileSink": {"path": "/dev/stdout"}})).unwrap();
    let default = LineFormat::envoy_default(&FormatContext::default()).unwrap();
    assert_eq!(log.format, default);
    assert!(log.filter.is_none());
}

#[test]
fn json_format_compiles() {
    let log =
        compile(json!({"fileSink": {"path": "/tmp/a", "jsonFormat": {"c": "%RESPONSE_CODE%"}}}))
            .unwrap();
    assert_eq!(log.format.render(&RecordedEntry::new()), b"{\"c\":0}\n");
}

#[test]
fn grpc_and_otel_sinks_are_rejected_by_name() {
    let grpc = compile(json!({"grpcService": {"logName": "x", "backendRef": {"name": "als"}}}));
    assert_eq!(
        grpc.unwrap_err().to_string(),
        "grpcService access log sink is not supported yet"
    );
    let otel = compile(json!({"openTelemetry": {"grpcService": {"logName": "x"}}}));
    assert_eq!(
        otel.unwrap_err().to_string(),
        "openTelemetry access log sink is not supported yet"
    );
}

#[test]
fn sink_shape_errors() {
    assert!(matches!(compile(json!({})), Err(ConfigError::NoSink)));
    assert!(matches!(
        compile(json!({"fileSink": {"path": "/a"}, "grpcService": {}})),
        Err(ConfigError::SeveralSinks(_))
    ));
    assert!(matches!(
        compile(json!({"fileSink": {"path": ""}})),
        Err(ConfigError::EmptyPath)
    ));
    assert!(matches!(
        compile(json!({"fileSink": {"path": "/a", "stringFormat": "x", "jsonFormat": {}}})),
        Err(ConfigError::BothFormats)
    ));
}

#[test]
fn errors_name_what_is_wrong() {
    let unknown_key = compile(json!({"fileSink": {"path": "/a", "format": "x"}})).unwrap_err();
    assert!(
        unknown_key.to_string().contains("`format`"),
        "{unknown_key}"
    );
    let operator =
        compile(json!({"fileSink": {"path": "/a", "stringFormat": "%BOGUS%"}})).unwrap_err();
    assert_eq!(
        operator.to_string(),
        "fileSink format: unknown command operator %BOGUS%"
    );
    let filter = compile(json!({
        "fileSink": {"path": "/a"},
        "filter": {"responseFlagFilter": {"flags": ["ZZ"]}}
    }))
    .unwrap_err();
    assert!(
        filter
            .to_string()
            .starts_with("filter: unknown response flag"),
        "{filter}"
    );
}
