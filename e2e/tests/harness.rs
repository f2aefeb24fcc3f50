//! The harness against the real Envoy: it starts fast, proxies to the echo upstream, reports rejected configs
//! with Envoy's own error line, runs side by side, and leaves nothing behind.

use std::path::Path;
use std::time::{Duration, Instant};

use dynagate_e2e::{
    AccessLog, Bootstrap, Cluster, DynamicModule, EchoUpstream, Envoy, EnvoyOptions, HarnessError,
    HttpFilter, HttpRequest, Listener, ModuleFilter, Route, UPSTREAM_CLUSTER, VirtualHost, json,
};

#[tokio::test]
async fn envoy_proxies_headers_and_body_to_the_echo_upstream_and_back() {
    let upstream = EchoUpstream::start().await.unwrap();
    let started = Instant::now();
    let envoy = Bootstrap::passthrough(upstream.addr())
        .start()
        .await
        .unwrap();
    let startup = started.elapsed();

    let response = envoy
        .send(
            HttpRequest::post("/pets/1?verbose=true")
                .header("x-multi", "a")
                .header("x-multi", "b")
                .header("x-echo-status", "201")
                .header("x-echo-response-header", "x-from-upstream: yes")
                .body("hello upstream"),
        )
        .await
        .unwrap();

    assert_eq!(response.status, 201);
    assert_eq!(response.header("x-from-upstream"), Some("yes"));
    // Envoy stamps what it proxies.
    assert_eq!(response.header("server"), Some("envoy"));
    let seen = response.echo().unwrap();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, "/pets/1?verbose=true");
    assert_eq!(seen.header_values("x-multi"), ["a", "b"]);
    assert_eq!(seen.body, "hello upstream");
    assert!(
        seen.header("x-request-id").is_some(),
        "Envoy adds a request id: {seen:?}"
    );
    assert_eq!(upstream.requests(), [seen]);
    assert_eq!(
        envoy
            .wait_for_stat("http.main.downstream_rq_2xx", 1)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        envoy
            .stat("cluster.upstream.upstream_rq_total")
            .await
            .unwrap(),
        Some(1)
    );
    assert!(
        startup < Duration::from_secs(5),
        "Envoy took {startup:?} to become ready"
    );
}

#[tokio::test]
async fn two_envoys_run_side_by_side_without_clashing() {
    let upstream = EchoUpstream::start().await.unwrap();
    let bootstrap = Bootstrap::passthrough(upstream.addr());
    let (first, second) = tokio::join!(bootstrap.start(), bootstrap.start());
    let (first, second) = (first.unwrap(), second.unwrap());

    assert_ne!(first.pid(), second.pid());
    assert_ne!(first.admin_addr(), second.admin_addr());
    assert_ne!(first.addr().unwrap(), second.addr().unwrap());
    for envoy in [&first, &second] {
        assert_eq!(envoy.get("/").await.unwrap().status, 200);
    }
    assert_eq!(upstream.request_count(), 2);
}

#[tokio::test]
async fn a_rejected_bootstrap_is_a_startup_failure_carrying_envoys_error_line() {
    let bootstrap = Bootstrap::passthrough(([127, 0, 0, 1], 9).into())
        .patch(|json| json["static_resources"]["listeners"][0]["no_such_field"] = json!(1));

    let err = bootstrap.start().await.unwrap_err();

    let failure = err
        .startup_failure()
        .unwrap_or_else(|| panic!("not a startup failure: {err}"));
    assert!(failure.exited(), "{failure}");
    let errors = failure.error_lines();
    assert!(
        errors
            .iter()
            .any(|line| line.contains("[critical]") && line.contains("no_such_field")),
        "{errors:#?}"
    );
    assert!(
        err.to_string().contains("no_such_field"),
        "the message shows the log tail: {err}"
    );
}

/// Every module-bearing config shape (filter, per-route config, access logger, upstream filter) gets past
/// Envoy's proto parsing and fails only when the module itself is loaded: the shapes are right.
#[tokio::test]
async fn module_config_shapes_are_parsed_by_envoy_up_to_loading_the_module() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_module = dir.path().join("libnot_a_module.so");
    std::fs::write(&not_a_module, "not an ELF file").unwrap();
    let module = DynamicModule::File(not_a_module.clone());
    let filter = ModuleFilter::new(module.clone(), "filter", json!({ "k": "v" }));
    let echo: std::net::SocketAddr = ([127, 0, 0, 1], 9).into();

    let shapes = [
        (
            "http filter",
            Listener::new("l").http_filter(filter.clone()),
        ),
        (
            "per-route config",
            Listener::new("l").route(Route::prefix("/").to_cluster("c").module_config(
                &filter,
                "r",
                json!({}),
            )),
        ),
        (
            "access logger",
            Listener::new("l").access_log(AccessLog::module(module.clone(), "log", json!({}))),
        ),
    ];
    let mut bootstraps: Vec<(&str, Bootstrap)> = shapes
        .into_iter()
        .map(|(shape, listener)| {
            let listener = listener.route(Route::prefix("/").to_cluster("c"));
            (
                shape,
                Bootstrap::new()
                    .listener(listener)
                    .cluster(Cluster::new("c", echo)),
            )
        })
        .collect();
    bootstraps.push((
        "upstream filter",
        Bootstrap::new()
            .listener(Listener::new("l").route(Route::prefix("/").to_cluster("c")))
            .cluster(Cluster::new("c", echo).upstream_filter(filter)),
    ));

    for (shape, bootstrap) in bootstraps {
        let err = bootstrap.start().await.unwrap_err();
        let failure = err
            .startup_failure()
            .unwrap_or_else(|| panic!("{shape}: {err}"));
        let loading = format!("Failed to load dynamic module: {}", not_a_module.display());
        assert!(
            failure
                .error_lines()
                .iter()
                .any(|line| line.contains(&loading)),
            "{shape}: {:#?}",
            failure.error_lines()
        );
    }
}

#[tokio::test]
async fn a_module_that_was_not_built_is_reported_before_envoy_starts() {
    let filter = ModuleFilter::new(
        DynamicModule::Named("dynagate_never_built".to_owned()),
        "f",
        json!({}),
    );
    let err = Bootstrap::proxy(([127, 0, 0, 1], 9).into(), [filter])
        .start()
        .await
        .unwrap_err();

    assert!(matches!(err, HarnessError::ModuleMissing { .. }), "{err}");
    assert!(err.to_string().contains("make modules"), "{err}");
}

#[tokio::test]
async fn a_chunked_upstream_response_arrives_whole() {
    let upstream = EchoUpstream::start().await.unwrap();
    let envoy = Bootstrap::passthrough(upstream.addr())
        .start()
        .await
        .unwrap();
    let body: String = (0..2000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();

    let response = envoy
        .send(
            HttpRequest::get("/")
                .header("x-echo-chunked", "5")
                .header("x-echo-body", body.clone()),
        )
        .await
        .unwrap();

    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-length"),
        None,
        "still streamed, not buffered"
    );
    assert_eq!(response.text(), body);
}

#[tokio::test]
async fn a_request_body_streams_through_envoy_chunk_by_chunk() {
    let upstream = EchoUpstream::start().await.unwrap();
    let envoy = Bootstrap::passthrough(upstream.addr())
        .start()
        .await
        .unwrap();

    let mut request = envoy.stream(HttpRequest::post("/upload")).await.unwrap();
    for (sent, chunk) in ["first", "second", "third"].into_iter().enumerate() {
        request.send_chunk(chunk).await.unwrap();
        // Envoy forwarded this chunk before the next one exists.
        upstream
            .wait_for_body_bytes(["first", "second", "third"][..=sent].concat().len())
            .await
            .unwrap();
    }
    let response = request.finish().await.unwrap();

    let seen = response.echo().unwrap();
    assert_eq!(seen.body, "firstsecondthird");
    assert_eq!(seen.body_chunks, 3);
}

#[tokio::test]
async fn routes_virtual_hosts_and_file_access_logs_work_as_built() {
    let upstream = EchoUpstream::start().await.unwrap();
    let listener = Listener::new("edge")
        .virtual_host(
            VirtualHost::new("api", &["api.test"])
                .route(
                    Route::prefix("/")
                        .header("x-canary", "1")
                        .direct_response(299, "canary"),
                )
                .route(
                    Route::prefix("/v1/")
                        .route_option("prefix_rewrite", json!("/"))
                        .to_cluster("echo"),
                ),
        )
        .route(Route::path("/health").direct_response(200, "ok"))
        .access_log(AccessLog::file_with_format(
            "access.log",
            "%REQ(:PATH)% %RESPONSE_CODE%\n",
        ));
    let envoy = Bootstrap::new()
        .listener(listener)
        .cluster(upstream.cluster("echo"))
        .start()
        .await
        .unwrap();

    let health = envoy.get("/health").await.unwrap();
    assert_eq!(
        (health.status.as_u16(), health.text().as_str()),
        (200, "ok")
    );
    let api = |path: &str| HttpRequest::get(path).header("host", "api.test");
    let canary = envoy
        .send(api("/v1/x").header("x-canary", "1"))
        .await
        .unwrap();
    assert_eq!(
        (canary.status.as_u16(), canary.text().as_str()),
        (299, "canary")
    );
    let rewritten = envoy.send(api("/v1/pets")).await.unwrap();
    assert_eq!(rewritten.echo().unwrap().path, "/pets");
    assert_eq!(
        envoy.get("/v1/pets").await.unwrap().status,
        404,
        "no route outside api.test"
    );

    assert_eq!(upstream.request_count(), 1);
    // The access log sees the path after the rewrite.
    envoy
        .wait_for_file_line("access.log", "/pets 200")
        .await
        .unwrap();
    envoy
        .wait_for_file_line("access.log", "/health 200")
        .await
        .unwrap();
}

#[tokio::test]
async fn an_upstream_filter_runs_on_the_way_to_the_cluster() {
    let upstream = EchoUpstream::start().await.unwrap();
    let add_header = HttpFilter::typed(
        "envoy.filters.http.header_mutation",
        json!({
            "@type": "type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation",
            "mutations": { "request_mutations": [{ "append": { "header": { "key": "x-upstream-filter", "value": "ran" } } }] },
        }),
    );
    let envoy = Bootstrap::new()
        .listener(Listener::new("main").route(Route::prefix("/").to_cluster(UPSTREAM_CLUSTER)))
        .cluster(
            upstream
                .cluster(UPSTREAM_CLUSTER)
                .upstream_filter(add_header),
        )
        .start()
        .await
        .unwrap();

    let seen = envoy.get("/").await.unwrap().echo().unwrap();
    assert_eq!(seen.header("x-upstream-filter"), Some("ran"));
}

#[tokio::test]
async fn log_lines_and_options_reach_envoy() {
    let upstream = EchoUpstream::start().await.unwrap();
    let options = EnvoyOptions::default().concurrency(1).log_level("debug");
    let envoy = Bootstrap::passthrough(upstream.addr())
        .start_with(options)
        .await
        .unwrap();

    let cursor = envoy.log_cursor();
    envoy.get("/logged").await.unwrap();
    let line = envoy
        .wait_for_log_since(cursor, "match for URL '/logged'")
        .await
        .unwrap();
    assert!(line.contains("[debug][router]"), "{line}");
    assert!(
        !envoy.log_since(cursor).contains("initializing epoch"),
        "the cursor skips the startup log"
    );
    assert_eq!(envoy.stat("server.concurrency").await.unwrap(), Some(1));
}

#[tokio::test]
async fn an_arbitrary_config_file_can_be_started() {
    let upstream = EchoUpstream::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("from-elsewhere.json");
    std::fs::write(
        &file,
        Bootstrap::passthrough(upstream.addr())
            .to_json()
            .to_string(),
    )
    .unwrap();

    let envoy = Envoy::start_from_file(&file, EnvoyOptions::default())
        .await
        .unwrap();

    let addr = envoy.wait_for_listener("main").await.unwrap();
    assert_eq!(envoy.addr().unwrap(), addr);
    assert_eq!(envoy.get("/").await.unwrap().status, 200);
}

#[tokio::test]
async fn the_envoy_process_is_gone_after_drop() {
    let upstream = EchoUpstream::start().await.unwrap();
    let envoy = Bootstrap::passthrough(upstream.addr())
        .start()
        .await
        .unwrap();
    let (pid, admin, work_dir) = (
        envoy.pid(),
        envoy.admin_addr(),
        envoy.work_dir().to_path_buf(),
    );
    assert!(Path::new(&format!("/proc/{pid}")).exists());

    drop(envoy);

    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "pid {pid} still exists"
    );
    assert!(
        tokio::net::TcpStream::connect(admin).await.is_err(),
        "admin {admin} still accepts"
    );
    assert!(
        !work_dir.exists(),
        "a passing test leaves no working directory behind"
    );
}
