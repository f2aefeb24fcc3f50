//! The SDK's behaviour against the real Envoy 1.40, proven through the test-only probe module
//! (`e2e/probe`): header and body edits, per-route config, local replies, access logging, state shared by
//! workers, the panic guard, and config rejection at load.

use std::collections::BTreeSet;

use dynagate_e2e::{
    AccessLog, Bootstrap, DynamicModule, ECHO_BODY, ECHO_CHUNKED, ECHO_RESPONSE_HEADER,
    ECHO_STATUS, EchoUpstream, Envoy, EnvoyOptions, HarnessError, HttpConnection, HttpRequest,
    HttpResponse, Listener, MAIN_LISTENER, ModuleConfig, ModuleFilter, Route, UPSTREAM_CLUSTER,
    Value, json,
};

/// The probe module's HTTP filter and access logger, as registered in `e2e/probe/src/lib.rs`.
const PROBE_FILTER: &str = "probe";
const PROBE_LOGGER: &str = "probe_log";
/// The `details` the SDK's panic guard answers with.
const PANIC_DETAILS: &str = "dynagate_panic";
/// An Envoy file access log recording what the client cannot see: the response code details.
const DETAILS_LOG: &str = "details.log";

fn probe(config: Value) -> ModuleFilter {
    ModuleFilter::probe(PROBE_FILTER, config)
}

/// Listener [`MAIN_LISTENER`] running `filter` with `routes`, plus the upstream cluster.
fn probe_bootstrap(upstream: &EchoUpstream, filter: ModuleFilter, routes: Vec<Route>) -> Bootstrap {
    let listener = routes.into_iter().fold(
        Listener::new(MAIN_LISTENER).http_filter(filter),
        Listener::route,
    );
    Bootstrap::new()
        .listener(listener)
        .cluster(upstream.cluster(UPSTREAM_CLUSTER))
}

fn to_upstream() -> Route {
    Route::prefix("/").to_cluster(UPSTREAM_CLUSTER)
}

#[tokio::test]
async fn request_and_response_header_edits_reach_the_upstream_and_the_client() {
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = probe(json!({
        "request_headers": {
            "set": { "x-replaced": "by-probe", "x-created": "new" },
            "add": { "x-appended": "second" },
            "remove": ["x-secret"],
        },
        "response_headers": {
            "set": { "x-upstream-replaced": "by-probe" },
            "add": { "x-upstream-appended": "second" },
            "remove": ["x-upstream-internal"],
        },
    }));
    let envoy = Bootstrap::proxy(upstream.addr(), [filter])
        .start()
        .await
        .unwrap();

    let response = envoy
        .send(
            HttpRequest::get("/headers")
                .header("x-replaced", "one")
                .header("x-replaced", "two")
                .header("x-appended", "first")
                .header("x-secret", "s3cr3t")
                .header("x-untouched", "kept")
                .header(ECHO_RESPONSE_HEADER, "x-upstream-replaced: original")
                .header(ECHO_RESPONSE_HEADER, "x-upstream-appended: first")
                .header(ECHO_RESPONSE_HEADER, "x-upstream-internal: leak"),
        )
        .await
        .unwrap();

    assert_eq!(response.status, 200);
    let seen = response.echo().unwrap();
    assert_eq!(seen.header_values("x-replaced"), ["by-probe"], "{seen:?}");
    assert_eq!(seen.header_values("x-created"), ["new"]);
    assert_eq!(seen.header_values("x-appended"), ["first", "second"]);
    assert_eq!(seen.header("x-secret"), None);
    assert_eq!(seen.header("x-untouched"), Some("kept"));
    assert_eq!(response.header_values("x-upstream-replaced"), ["by-probe"]);
    assert_eq!(
        response.header_values("x-upstream-appended"),
        ["first", "second"]
    );
    assert_eq!(response.header("x-upstream-internal"), None);
    // Filter state written on the request path is read back on the response path.
    assert_eq!(response.header("x-probe-filter-state"), Some("/headers"));
}

#[tokio::test]
async fn a_whole_response_body_rewrite_sets_content_length_on_chunked_and_direct_responses() {
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = probe(json!({ "response_body": { "prefix": "<<", "suffix": ">>" } }));
    let direct = Route::path("/direct").direct_response(200, "said by envoy");
    let envoy = probe_bootstrap(&upstream, filter, vec![direct, to_upstream()])
        .start()
        .await
        .unwrap();

    let chunked = envoy
        .send(
            HttpRequest::get("/chunked")
                .header(ECHO_CHUNKED, "4")
                .header(ECHO_BODY, "streamed in four chunks"),
        )
        .await
        .unwrap();
    assert_eq!(chunked.status, 200);
    assert_eq!(chunked.text(), "<<streamed in four chunks>>");
    assert_eq!(chunked.content_length(), Some(chunked.body.len()));
    assert_eq!(chunked.header("transfer-encoding"), None);

    let direct = envoy.get("/direct").await.unwrap();
    assert_eq!(direct.status, 200);
    assert_eq!(direct.text(), "<<said by envoy>>");
    assert_eq!(direct.content_length(), Some(direct.body.len()));
    assert_eq!(
        upstream.request_count(),
        1,
        "the direct response stays in Envoy"
    );
}

#[tokio::test]
async fn a_whole_request_body_rewrite_reaches_the_upstream_with_its_content_length() {
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = probe(json!({ "request_body": { "prefix": "[", "suffix": "]" } }));
    let envoy = Bootstrap::proxy(upstream.addr(), [filter])
        .start()
        .await
        .unwrap();

    let sized = envoy
        .send(HttpRequest::post("/sized").body("payload"))
        .await
        .unwrap()
        .echo()
        .unwrap();
    let chunked = envoy
        .send(HttpRequest::post("/chunked").chunked_body(["pay", "lo", "ad"]))
        .await
        .unwrap()
        .echo()
        .unwrap();

    for seen in [sized, chunked] {
        assert_eq!(seen.body, "[payload]", "{}", seen.path);
        assert_eq!(
            seen.header("content-length"),
            Some("[payload]".len().to_string().as_str()),
            "{seen:?}"
        );
        assert_eq!(seen.header("transfer-encoding"), None, "{seen:?}");
    }
}

#[tokio::test]
async fn per_route_config_overrides_the_listener_config_only_on_its_route() {
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = probe(json!({
        "tag": "listener",
        "request_headers": { "set": { "x-config": "listener" } },
    }));
    let overridden = Route::prefix("/override")
        .to_cluster(UPSTREAM_CLUSTER)
        .module_config(
            &filter,
            PROBE_FILTER,
            json!({ "tag": "route", "request_headers": { "set": { "x-config": "route" } } }),
        );
    let envoy = probe_bootstrap(&upstream, filter, vec![overridden, to_upstream()])
        .start()
        .await
        .unwrap();

    assert!(
        !envoy.log().contains("Deprecated field"),
        "the per-route config uses `filter_name`, not the deprecated `per_route_config_name`"
    );
    // Interleaved on purpose: the override must not leak into the listener's streams or back.
    for (path, expected) in [
        ("/override", "route"),
        ("/plain", "listener"),
        ("/override/again", "route"),
        ("/plain/again", "listener"),
    ] {
        let response = envoy.get(path).await.unwrap();
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(response.header("x-probe-config"), Some(expected), "{path}");
        assert_eq!(
            response.echo().unwrap().header("x-config"),
            Some(expected),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_local_reply_from_the_filter_answers_without_the_upstream() {
    let upstream = EchoUpstream::start().await.unwrap();
    let listener = Listener::new(MAIN_LISTENER)
        .http_filter(probe(json!({})))
        .route(to_upstream())
        .access_log(AccessLog::file_with_format(
            DETAILS_LOG,
            "%REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_CODE_DETAILS%\n",
        ));
    let envoy = Bootstrap::new()
        .listener(listener)
        .cluster(upstream.cluster(UPSTREAM_CLUSTER))
        .start()
        .await
        .unwrap();

    let response = envoy
        .send(HttpRequest::get("/refused").header("x-probe-local-reply", "403"))
        .await
        .unwrap();

    assert_eq!(response.status, 403);
    assert_eq!(response.text(), "probe local reply");
    assert_eq!(response.header("x-probe-local"), Some("1"));
    assert_eq!(response.content_length(), Some(response.body.len()));
    envoy
        .wait_for_file_line(DETAILS_LOG, "/refused 403 probe_local_reply")
        .await
        .unwrap();
    assert_eq!(upstream.request_count(), 0);
}

#[tokio::test]
async fn the_access_logger_writes_one_line_per_request_with_its_status() {
    let upstream = EchoUpstream::start().await.unwrap();
    let logger = AccessLog::module(
        DynamicModule::probe(),
        PROBE_LOGGER,
        // Relative to Envoy's working directory, where `wait_for_file_line` looks.
        json!({ "path": "probe.log", "metadata_namespace": "probe" }),
    );
    let listener = Listener::new(MAIN_LISTENER)
        .http_filter(probe(json!({ "metadata_namespace": "probe" })))
        .route(to_upstream())
        .access_log(logger);
    let envoy = Bootstrap::new()
        .listener(listener)
        .cluster(upstream.cluster(UPSTREAM_CLUSTER))
        // One worker: the last request's line is written after every earlier one.
        .start_with(EnvoyOptions::default().concurrency(1))
        .await
        .unwrap();

    let requests = [
        ("/ok", HttpRequest::get("/ok"), 200),
        (
            "/failing",
            HttpRequest::get("/failing").header(ECHO_STATUS, "503"),
            503,
        ),
        (
            "/refused",
            HttpRequest::get("/refused").header("x-probe-local-reply", "429"),
            429,
        ),
        ("/last", HttpRequest::post("/last").body("x"), 200),
    ];
    for (path, request, status) in requests.clone() {
        assert_eq!(envoy.send(request).await.unwrap().status, status, "{path}");
    }
    envoy
        .wait_for_file_line("probe.log", "\"path\":\"/last\"")
        .await
        .unwrap();

    let text = std::fs::read_to_string(envoy.work_dir().join("probe.log")).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), requests.len(), "{text}");
    for (path, _, status) in requests {
        let line = lines
            .iter()
            .find(|line| line["path"] == path)
            .unwrap_or_else(|| panic!("no line for {path}: {text}"));
        assert_eq!(line["status"], status, "{line}");
        // DownstreamEnd: the HCM logs once, when the stream ends.
        assert_eq!(line["kind"], 6, "{line}");
    }
    let ok = lines.iter().find(|line| line["path"] == "/ok").unwrap();
    assert_eq!(ok["method"], "GET");
    // Dynamic metadata the filter wrote during the request is visible to the logger. (Filter state is
    // not: Envoy 1.40's `access_logger_get_filter_state` is a stub that always answers "absent".)
    assert_eq!(ok["metadata_path"], "/ok", "{ok}");
    assert_eq!(ok["metadata_worker"], 0.0, "{ok}");
    let refused = lines
        .iter()
        .find(|line| line["path"] == "/refused")
        .unwrap();
    assert_eq!(refused["details"], "probe_local_reply", "{refused}");
}

/// Connections to Envoy held open together, so the exact balancer spreads them over the workers.
const CONNECTIONS: usize = 8;
/// Requests each connection sends in the concurrent phase.
const ROUNDS: usize = 5;

/// `(worker index, shared count)` the probe stamped on a response.
fn stamp(response: &HttpResponse) -> (u64, u64) {
    assert_eq!(response.status, 200, "{}", response.text());
    let number = |name| response.header(name).and_then(|value| value.parse().ok());
    match (number("x-probe-worker"), number("x-probe-count")) {
        (Some(worker), Some(count)) => (worker, count),
        _ => panic!("no probe stamp: {:?}", response.headers),
    }
}

#[tokio::test]
async fn module_state_is_shared_by_both_workers() {
    let upstream = EchoUpstream::start().await.unwrap();
    // Exact balancing hands each new connection to the worker with the fewest, so connections that are
    // open at the same time land on both workers; the kernel's reuse-port hashing alone could pick one.
    let listener = Listener::new(MAIN_LISTENER)
        .http_filter(probe(json!({})))
        .route(to_upstream())
        .field("connection_balance_config", json!({ "exact_balance": {} }));
    let envoy = Bootstrap::new()
        .listener(listener)
        .cluster(upstream.cluster(UPSTREAM_CLUSTER))
        .start_with(EnvoyOptions::default().concurrency(2))
        .await
        .unwrap();
    let addr = envoy.addr().unwrap();
    let mut connections = Vec::new();
    for _ in 0..CONNECTIONS {
        connections.push(HttpConnection::open(addr).await.unwrap());
    }

    // One request after the other, spread over both workers: the shared count only goes up.
    let mut stamps = Vec::new();
    for connection in &mut connections {
        let response = connection.send(HttpRequest::get("/seq")).await.unwrap();
        stamps.push(stamp(&response));
    }
    let counts: Vec<u64> = stamps.iter().map(|(_, count)| *count).collect();
    assert!(
        counts.windows(2).all(|pair| pair[0] < pair[1]),
        "{stamps:?}"
    );
    let workers: BTreeSet<u64> = stamps.iter().map(|(worker, _)| *worker).collect();
    assert_eq!(workers, BTreeSet::from([0, 1]), "{stamps:?}");

    // All connections at once: every count is handed out exactly once.
    let mut tasks = tokio::task::JoinSet::new();
    for mut connection in connections {
        tasks.spawn(async move {
            let mut stamps = Vec::new();
            for _ in 0..ROUNDS {
                let response = connection.send(HttpRequest::get("/burst")).await?;
                stamps.push(stamp(&response));
            }
            Ok::<_, HarnessError>(stamps)
        });
    }
    while let Some(done) = tasks.join_next().await {
        stamps.extend(done.unwrap().unwrap());
    }
    let unique: BTreeSet<u64> = stamps.iter().map(|(_, count)| *count).collect();
    assert_eq!(unique.len(), CONNECTIONS * (ROUNDS + 1), "{stamps:?}");
    assert_eq!(upstream.request_count(), CONNECTIONS * (ROUNDS + 1));
}

/// An Envoy with the probe and a file access log of the response code details.
async fn panicking_envoy(upstream: &EchoUpstream) -> Result<Envoy, HarnessError> {
    let listener = Listener::new(MAIN_LISTENER)
        .http_filter(probe(json!({})))
        .route(to_upstream())
        .access_log(AccessLog::file_with_format(
            DETAILS_LOG,
            "%REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_CODE_DETAILS%\n",
        ));
    Bootstrap::new()
        .listener(listener)
        .cluster(upstream.cluster(UPSTREAM_CLUSTER))
        .start()
        .await
}

/// Envoy is alive and the probe works normally on a fresh request.
async fn assert_still_serving(envoy: &Envoy) -> Result<(), HarnessError> {
    let next = envoy.get("/after").await?;
    assert_eq!(next.status, 200, "{}", next.text());
    assert_eq!(next.echo()?.path, "/after");
    assert!(next.header("x-probe-count").is_some(), "the probe ran");
    assert_eq!(envoy.exit_status(), None);
    Ok(())
}

#[tokio::test]
async fn a_panic_before_response_headers_answers_500_and_envoy_keeps_serving() {
    let upstream = EchoUpstream::start().await.unwrap();
    let envoy = panicking_envoy(&upstream).await.unwrap();
    let cursor = envoy.log_cursor();

    let response = envoy
        .send(HttpRequest::get("/boom").header("x-probe-panic", "request_headers"))
        .await
        .unwrap();

    assert_eq!(response.status, 500);
    envoy
        .wait_for_file_line(DETAILS_LOG, &format!("/boom 500 {PANIC_DETAILS}"))
        .await
        .unwrap();
    let line = envoy
        .wait_for_log_since(cursor, "probe: panic requested in request_headers")
        .await
        .unwrap();
    assert!(line.contains("[error]"), "{line}");
    assert!(
        !envoy.log_since(cursor).contains("' panicked at"),
        "the default stderr panic hook must not run: {}",
        envoy.log_since(cursor)
    );
    assert_eq!(upstream.request_count(), 0);
    assert_still_serving(&envoy).await.unwrap();
}

#[tokio::test]
async fn a_panic_after_response_headers_resets_the_stream_and_envoy_keeps_serving() {
    let upstream = EchoUpstream::start().await.unwrap();
    let envoy = panicking_envoy(&upstream).await.unwrap();
    let cursor = envoy.log_cursor();

    let result = envoy
        .send(
            HttpRequest::get("/late-boom")
                .header("x-probe-panic", "response_body")
                .header(ECHO_BODY, "never arrives whole"),
        )
        .await;

    // Headers may or may not have reached the client; a complete response must not.
    match result {
        Err(HarnessError::Http { .. }) => {}
        other => panic!("expected a reset stream, got {other:?}"),
    }
    envoy
        .wait_for_log_since(cursor, "probe: panic requested in response_body")
        .await
        .unwrap();
    envoy
        .wait_for_log_since(cursor, "answered stream reset")
        .await
        .unwrap();
    assert_eq!(upstream.request_count(), 1);
    assert_still_serving(&envoy).await.unwrap();
}

#[tokio::test]
async fn an_unknown_filter_name_or_invalid_json_config_is_rejected_at_load() {
    let upstream = EchoUpstream::start().await.unwrap();
    let cases = [
        (
            "unknown filter name",
            Bootstrap::proxy(
                upstream.addr(),
                [ModuleFilter::probe("no_such_filter", json!({}))],
            ),
            "dynagate: config rejected: unknown HTTP filter \"no_such_filter\"; this module provides: [probe]",
        ),
        (
            "invalid JSON",
            Bootstrap::proxy(
                upstream.addr(),
                [ModuleFilter::probe(
                    PROBE_FILTER,
                    ModuleConfig::text("{\"tag\": "),
                )],
            ),
            "dynagate: config rejected: HTTP filter \"probe\": invalid JSON config: ",
        ),
        (
            "JSON off the schema",
            Bootstrap::proxy(upstream.addr(), [probe(json!({ "no_such_field": true }))]),
            "dynagate: config rejected: HTTP filter \"probe\": invalid JSON config: unknown field `no_such_field`",
        ),
        (
            "invalid per-route JSON",
            probe_bootstrap(
                &upstream,
                probe(json!({})),
                vec![to_upstream().module_config(
                    &probe(json!({})),
                    PROBE_FILTER,
                    ModuleConfig::text("not json"),
                )],
            ),
            "dynagate: config rejected: per-route config of HTTP filter \"probe\": invalid JSON config: ",
        ),
    ];

    for (case, bootstrap, expected) in cases {
        let err = bootstrap.start().await.unwrap_err();
        let failure = err
            .startup_failure()
            .unwrap_or_else(|| panic!("{case}: not a startup failure: {err}"));
        assert!(failure.exited(), "{case}: {failure}");
        let errors = failure.error_lines();
        assert!(
            errors
                .iter()
                .any(|line| line.contains("[error]") && line.contains(expected)),
            "{case}: no error line containing {expected:?} in {errors:#?}"
        );
    }
}
