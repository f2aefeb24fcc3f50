//! The `transformation` filter of `libdynagate.so` against the real Envoy 1.40: header transforms both
//! ways, pseudo headers that re-route, per-route overrides, dynamic metadata in Envoy's access log, and
//! header-only transforms that never buffer. Body transforms are in `bodies`, the controller in `controller`.

use dynagate_e2e::{
    AccessLog, Bootstrap, ECHO_RESPONSE_HEADER, EchoUpstream, HttpRequest, Listener, MAIN_LISTENER,
    ModuleFilter, Route, UPSTREAM_CLUSTER, Value, json,
};

#[path = "transformation/bodies.rs"]
mod bodies;
#[path = "transformation/controller.rs"]
mod controller;

/// The filter name registered in `libdynagate.so`.
const FILTER: &str = "transformation";

pub(crate) fn transformation(config: Value) -> ModuleFilter {
    ModuleFilter::dynagate(FILTER, config)
}

/// Listener [`MAIN_LISTENER`] running `filter` with `routes`, plus the upstream cluster.
pub(crate) fn bootstrap(
    upstream: &EchoUpstream,
    filter: ModuleFilter,
    routes: Vec<Route>,
) -> Bootstrap {
    let listener = routes.into_iter().fold(
        Listener::new(MAIN_LISTENER).http_filter(filter),
        Listener::route,
    );
    Bootstrap::new()
        .listener(listener)
        .cluster(upstream.cluster(UPSTREAM_CLUSTER))
}

#[tokio::test]
async fn request_and_response_headers_are_set_added_and_removed() {
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = transformation(json!({
        "request": {
            "set": [
                { "name": "x-greeting", "value": "hello {{ header(\"x-name\") }}" },
                { "name": "X-Drop-When-Empty", "value": "{{ header(\"x-absent\") }}" },
            ],
            "add": [{ "name": "x-multi", "value": "added" }],
            "remove": ["x-secret"],
        },
        "response": {
            "set": [
                { "name": "x-seen-name", "value": "{{ request_header(\"x-name\") }}" },
                { "name": "x-upstream-replaced", "value": "by-transform" },
            ],
            "add": [{ "name": "x-upstream-appended", "value": "second" }],
            "remove": ["x-upstream-internal"],
        },
    }));
    let envoy = Bootstrap::proxy(upstream.addr(), [filter])
        .start()
        .await
        .unwrap();

    let response = envoy
        .send(
            HttpRequest::get("/")
                .header("x-name", "ann")
                .header("x-drop-when-empty", "original")
                .header("x-multi", "original")
                .header("x-secret", "s3cret")
                .header(ECHO_RESPONSE_HEADER, "x-upstream-replaced: original")
                .header(ECHO_RESPONSE_HEADER, "x-upstream-appended: first")
                .header(ECHO_RESPONSE_HEADER, "x-upstream-internal: leak"),
        )
        .await
        .unwrap();

    assert_eq!(response.status, 200);
    let seen = response.echo().unwrap();
    assert_eq!(seen.header("x-greeting"), Some("hello ann"));
    assert_eq!(
        seen.header("x-drop-when-empty"),
        None,
        "an empty rendering removes: {seen:?}"
    );
    assert_eq!(seen.header_values("x-multi"), ["original", "added"]);
    assert_eq!(seen.header("x-secret"), None);
    assert_eq!(response.header("x-seen-name"), Some("ann"));
    assert_eq!(
        response.header_values("x-upstream-replaced"),
        ["by-transform"]
    );
    assert_eq!(
        response.header_values("x-upstream-appended"),
        ["first", "second"]
    );
    assert_eq!(response.header("x-upstream-internal"), None);
}

#[tokio::test]
async fn pseudo_headers_change_method_path_and_status_and_routing_follows() {
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = transformation(json!({
        "request": {
            "set": [
                { "name": ":method", "value": "{{ header(\"x-method\") }}" },
                { "name": ":path", "value": "/v2{{ header(\":path\") }}" },
            ],
        },
        "response": {
            "set": [{ "name": ":status", "value": "{{ request_header(\"x-want-status\") }}" }],
        },
    }));
    // Only the rewritten path reaches the upstream: the original one would get the direct response.
    let routes = vec![
        Route::prefix("/v2/").to_cluster(UPSTREAM_CLUSTER),
        Route::prefix("/").direct_response(418, "route cache not cleared"),
    ];
    let envoy = bootstrap(&upstream, filter, routes).start().await.unwrap();

    let response = envoy
        .send(
            HttpRequest::get("/pets?id=7")
                .header("x-method", "PUT")
                .header("x-want-status", "202"),
        )
        .await
        .unwrap();

    assert_eq!(response.status, 202, "{}", response.text());
    let seen = response.echo().unwrap();
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("PUT", "/v2/pets?id=7")
    );

    // An empty rendering leaves the pseudo header alone.
    let untouched = envoy.get("/v2/kept").await.unwrap();
    assert_eq!(untouched.status, 200);
    let seen = untouched.echo().unwrap();
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("GET", "/v2/v2/kept")
    );
}

#[tokio::test]
async fn a_route_config_overrides_the_listener_default_only_on_its_route() {
    let upstream = EchoUpstream::start().await.unwrap();
    let listener_default =
        json!({ "request": { "set": [{ "name": "x-config", "value": "listener" }] } });
    let filter = transformation(listener_default);
    let overridden = Route::prefix("/override")
        .to_cluster(UPSTREAM_CLUSTER)
        .module_config(
            &filter,
            FILTER,
            json!({ "response": { "set": [{ "name": "x-config", "value": "route" }] } }),
        );
    let routes = vec![overridden, Route::prefix("/").to_cluster(UPSTREAM_CLUSTER)];
    let envoy = bootstrap(&upstream, filter, routes).start().await.unwrap();

    for (path, upstream_sees, client_sees) in [
        ("/override", None, Some("route")),
        ("/plain", Some("listener"), None),
        ("/override/again", None, Some("route")),
        ("/plain/again", Some("listener"), None),
    ] {
        let response = envoy.get(path).await.unwrap();
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(response.header("x-config"), client_sees, "{path}");
        assert_eq!(
            response.echo().unwrap().header("x-config"),
            upstream_sees,
            "{path}"
        );
    }
}

#[tokio::test]
async fn dynamic_metadata_reaches_envoys_access_log() {
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = transformation(json!({
        "request": {
            "body": { "parseAs": "AsJson" },
            "dynamicMetadata": [
                { "namespace": "dynagate.e2e", "key": "tenant", "value": { "stringValue": "{{ header(\"x-tenant\") }}" } },
                { "namespace": "dynagate.e2e", "key": "order", "value": { "stringValue": "{{ jsonpath(context(), \"$.order.id\") }}" } },
            ],
        },
    }));
    let listener = Listener::new(MAIN_LISTENER)
        .http_filter(filter)
        .route(Route::prefix("/").to_cluster(UPSTREAM_CLUSTER))
        .access_log(AccessLog::file_with_format(
            "metadata.log",
            "%REQ(:PATH)% tenant=%DYNAMIC_METADATA(dynagate.e2e:tenant)% order=%DYNAMIC_METADATA(dynagate.e2e:order)%\n",
        ));
    let envoy = Bootstrap::new()
        .listener(listener)
        .cluster(upstream.cluster(UPSTREAM_CLUSTER))
        .start()
        .await
        .unwrap();

    let response = envoy
        .send(
            HttpRequest::post("/orders")
                .header("x-tenant", "acme")
                .json(&json!({ "order": { "id": "o-42" } })),
        )
        .await
        .unwrap();

    assert_eq!(response.status, 200);
    envoy
        .wait_for_file_line("metadata.log", "/orders tenant=acme order=o-42")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_header_only_transform_streams_a_large_body_without_buffering() {
    const CHUNK: usize = 64 * 1024;
    const CHUNKS: usize = 8;
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = transformation(json!({
        "request": { "set": [{ "name": "x-tagged", "value": "{{ header(\"x-tag\") }}" }] },
        "response": { "set": [{ "name": "x-tagged", "value": "{{ request_header(\"x-tag\") }}" }] },
    }));
    // Far below the body size: a filter that buffered would be answered 413.
    let listener = Listener::new(MAIN_LISTENER)
        .http_filter(filter)
        .route(Route::prefix("/").to_cluster(UPSTREAM_CLUSTER))
        .field("per_connection_buffer_limit_bytes", json!(CHUNK / 2));
    let envoy = Bootstrap::new()
        .listener(listener)
        .cluster(upstream.cluster(UPSTREAM_CLUSTER))
        .start()
        .await
        .unwrap();

    let mut request = envoy
        .stream(HttpRequest::post("/upload").header("x-tag", "streamed"))
        .await
        .unwrap();
    for sent in 1..=CHUNKS {
        request
            .send_chunk(vec![b'a' + sent as u8; CHUNK])
            .await
            .unwrap();
        // The upstream holds this chunk before the client has produced the next one.
        upstream.wait_for_body_bytes(sent * CHUNK).await.unwrap();
        assert_eq!(upstream.request_count(), 0, "the request is still open");
    }
    let response = request.finish().await.unwrap();

    assert_eq!(response.status, 200);
    assert_eq!(response.header("x-tagged"), Some("streamed"));
    let seen = response.echo().unwrap();
    assert_eq!(seen.header("x-tagged"), Some("streamed"));
    assert_eq!(seen.body.len(), CHUNKS * CHUNK);
    assert!(seen.body_chunks >= CHUNKS, "{} chunks", seen.body_chunks);
}
