//! The traceable filter against Envoy's own `traceable_filter`, side by side in one Envoy.

use dynagate_e2e::{
    AccessLog, Bootstrap, EchoUpstream, EnvoyOptions, HttpRequest, UPSTREAM_CLUSTER, Value, json,
};

use super::{LOGGER, lines_of, listener, terminate};

/// Adds `filter` to every Envoy file logger of the rendered bootstrap (the builder has no field for
/// an access log's filter).
fn filter_builtin_logger(json: &mut Value, path: &str, filter: &Value) {
    match json {
        Value::Object(object) => {
            if object.get("name") == Some(&json!("envoy.access_loggers.file"))
                && object.get("typed_config").and_then(|c| c.get("path")) == Some(&json!(path))
            {
                object.insert("filter".to_owned(), filter.clone());
            }
            object
                .values_mut()
                .for_each(|value| filter_builtin_logger(value, path, filter));
        }
        Value::Array(values) => values
            .iter_mut()
            .for_each(|value| filter_builtin_logger(value, path, filter)),
        _ => {}
    }
}

/// The traceable filter next to Envoy's own `traceable_filter`: Envoy decides which requests are
/// traceable and both loggers must select the same ones. Without a tracer, an HCM `tracing` block
/// with no provider still makes Envoy take the trace decision (kept in the UUID `x-request-id`);
/// `use_remote_address` with loopback as an internal address makes the test client internal, so its
/// `x-envoy-force-trace` is kept (Envoy strips it from external clients).
#[tokio::test]
async fn the_traceable_filter_selects_what_envoys_traceable_filter_selects() {
    const PATH_FORMAT: &str = "%REQ(:PATH)%\n";
    let upstream = EchoUpstream::start().await.unwrap();
    let listener = listener()
        .hcm_field("generate_request_id", json!(true))
        .hcm_field("tracing", json!({}))
        .hcm_field("use_remote_address", json!(true))
        .hcm_field(
            "internal_address_config",
            json!({ "cidr_ranges": [{ "address_prefix": "127.0.0.1", "prefix_len": 32 }] }),
        )
        .access_log(AccessLog::dynagate(
            LOGGER,
            json!({
                "fileSink": { "path": "ours.log", "stringFormat": PATH_FORMAT },
                "filter": { "traceableFilter": true },
            }),
        ))
        .access_log(AccessLog::file_with_format("builtin.log", PATH_FORMAT))
        .access_log(AccessLog::file_with_format("all.log", PATH_FORMAT));
    let envoy = Bootstrap::new()
        .listener(listener)
        .cluster(upstream.cluster(UPSTREAM_CLUSTER))
        .patch(|json| {
            filter_builtin_logger(json, "builtin.log", &json!({ "traceable_filter": {} }));
        })
        .start_with(EnvoyOptions::default().concurrency(1))
        .await
        .unwrap();

    let requests = [
        HttpRequest::get("/app/plain"),
        HttpRequest::get("/app/forced").header("x-envoy-force-trace", "true"),
        HttpRequest::get("/app/client").header("x-client-trace-id", "client-1"),
        HttpRequest::get("/nowhere/forced").header("x-envoy-force-trace", "true"),
        // A client's request id that claims "service forced" in its UUID version nibble.
        HttpRequest::get("/app/preset-id")
            .header("x-request-id", "1b4e28ba-2fa1-a1d2-883f-0016d3cca427"),
        HttpRequest::get("/app/last"),
    ];
    let sent = requests.len();
    for request in requests {
        envoy.send(request).await.unwrap();
    }
    envoy
        .wait_for_file_line("all.log", "/app/last")
        .await
        .unwrap();
    // A clean shutdown flushes both loggers: a line still queued would be in the files now.
    terminate(&envoy).await;
    let ours = lines_of(&envoy, "ours.log");
    let envoys = lines_of(&envoy, "builtin.log");
    assert_eq!(lines_of(&envoy, "all.log").len(), sent);
    assert_eq!(ours, envoys);
    // The comparison means something only if Envoy selected some requests and not others.
    assert!(envoys.contains(&"/app/forced".to_owned()), "{envoys:?}");
    assert!(!envoys.contains(&"/app/plain".to_owned()), "{envoys:?}");
}
