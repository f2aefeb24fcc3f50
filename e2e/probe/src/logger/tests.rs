use super::*;
use dynagate_sdk::testing::{FakeAccessLogHost, FakeConfigContext};

#[test]
fn writes_one_json_line_per_event_and_counts_it() {
    let dir = std::env::temp_dir().join(format!("probe-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("access.log");
    let json = serde_json::json!({"path": path, "metadata_namespace": "probe"}).to_string();
    let mut ctx = FakeConfigContext::new();
    let config = ProbeLogFactory
        .new_config(&json, &mut ctx)
        .expect("valid config");
    let mut logger = config.new_logger();
    let entry = FakeAccessLogHost::new()
        .with_header(HeaderMap::RequestHeaders, ":method", "GET")
        .with_header(HeaderMap::RequestHeaders, ":path", "/x")
        .with_attribute_int(AttributeId::RESPONSE_CODE, 201)
        .with_metadata_string("probe", "path", "/x")
        .with_filter_state(FILTER_STATE_KEY, "/x")
        .with_worker_index(3)
        .with_metrics(&ctx);

    logger.log(&entry, AccessLogType::DOWNSTREAM_END);
    logger.log(&entry, AccessLogType::DOWNSTREAM_END);

    let text = std::fs::read_to_string(&path).expect("log written");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["kind"], 6);
    assert_eq!(lines[0]["method"], "GET");
    assert_eq!(lines[0]["status"], 201);
    assert_eq!(lines[0]["metadata_path"], "/x");
    assert_eq!(lines[0]["filter_state"], "/x");
    assert_eq!(lines[0]["worker"], 3);
    assert_eq!(entry.counter("probe_log_lines"), 2);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn an_unwritable_path_rejects_the_config() {
    let json = r#"{"path": "/nonexistent-dir/for/sure/access.log"}"#;
    let error = ProbeLogFactory
        .new_config(json, &mut FakeConfigContext::new())
        .expect_err("bad path");
    assert!(
        error
            .to_string()
            .starts_with("cannot open /nonexistent-dir"),
        "{error}"
    );
}
