//! Body transforms through the real Envoy: chunked upstream bodies, JSON bodies and `jsonpath`, bodies
//! given to bodiless messages, routing on a body field, trailers, and the 400/413/500 answers.

use dynagate_e2e::{
    AccessLog, Bootstrap, ECHO_BODY, ECHO_CHUNKED, EchoUpstream, HttpRequest, Listener,
    MAIN_LISTENER, Route, UPSTREAM_CLUSTER, Value, json,
};

use super::{bootstrap, transformation};

#[tokio::test]
async fn a_chunked_upstream_body_is_transformed_whole_with_its_content_length() {
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = transformation(json!({
        "response": { "body": { "parseAs": "AsString", "value": "[{{ body() | upper }}]" } },
    }));
    let envoy = Bootstrap::proxy(upstream.addr(), [filter])
        .start()
        .await
        .unwrap();

    let response = envoy
        .send(
            HttpRequest::get("/")
                .header(ECHO_CHUNKED, "4")
                .header(ECHO_BODY, "streamed in four chunks"),
        )
        .await
        .unwrap();

    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "[STREAMED IN FOUR CHUNKS]");
    assert_eq!(response.content_length(), Some(response.text().len()));
    assert_eq!(response.header("transfer-encoding"), None);
}

#[tokio::test]
async fn a_json_body_feeds_variables_context_and_jsonpath() {
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = transformation(json!({
        "request": {
            "set": [
                { "name": "x-user", "value": "{{ user.name }}" },
                { "name": "x-second-item", "value": "{{ jsonpath(context(), \"$.items[1]\") }}" },
                { "name": "x-city", "value": "{{ context().user.address.city }}" },
            ],
            "body": {
                "parseAs": "AsJson",
                "value": "{\"who\": \"{{ user.name }}\", \"items\": {{ jsonpath(context(), \"$.items\") }}}",
            },
        },
    }));
    let envoy = Bootstrap::proxy(upstream.addr(), [filter])
        .start()
        .await
        .unwrap();
    let body = json!({
        "user": { "name": "Zoë", "address": { "city": "Oslo" } },
        "items": ["a", { "b": 2 }],
    });

    let response = envoy
        .send(HttpRequest::post("/orders").json(&body))
        .await
        .unwrap();

    assert_eq!(response.status, 200);
    let seen = response.echo().unwrap();
    assert_eq!(seen.header("x-user"), Some("Zoë"));
    assert_eq!(seen.header("x-second-item"), Some(r#"{"b":2}"#));
    assert_eq!(seen.header("x-city"), Some("Oslo"));
    let rewritten: Value = serde_json::from_str(&seen.body).unwrap();
    assert_eq!(
        rewritten,
        json!({ "who": "Zoë", "items": ["a", { "b": 2 }] })
    );
    assert_eq!(
        seen.header("content-length")
            .and_then(|len| len.parse().ok()),
        Some(seen.body.len())
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_400_and_a_body_over_the_limit_is_413() {
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = transformation(json!({
        "request": {
            "set": [{ "name": "x-user", "value": "{{ user }}" }],
            "body": { "parseAs": "AsJson" },
        },
    }));
    let limit = 4096;
    let listener = Listener::new(MAIN_LISTENER)
        .http_filter(filter)
        .route(Route::prefix("/").to_cluster(UPSTREAM_CLUSTER))
        .field("per_connection_buffer_limit_bytes", json!(limit))
        .access_log(AccessLog::file_with_format(
            "details.log",
            "%REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_CODE_DETAILS%\n",
        ));
    let envoy = Bootstrap::new()
        .listener(listener)
        .cluster(upstream.cluster(UPSTREAM_CLUSTER))
        .start()
        .await
        .unwrap();

    let not_json = envoy
        .send(HttpRequest::post("/not-json").body("user=ann"))
        .await
        .unwrap();
    assert_eq!(not_json.status, 400);
    assert!(!not_json.text().is_empty(), "a short reason");

    let big = "{\"user\": \"".to_owned() + &"x".repeat(8 * limit) + "\"}";
    let too_large = envoy
        .send(
            HttpRequest::post("/too-large")
                .chunked_body(big.as_bytes().chunks(1024).map(|c| c.to_vec())),
        )
        .await
        .unwrap();
    assert_eq!(too_large.status, 413);

    let fine = envoy
        .send(HttpRequest::post("/fine").json(&json!({ "user": "ann" })))
        .await
        .unwrap();
    assert_eq!(fine.echo().unwrap().header("x-user"), Some("ann"));
    assert_eq!(
        upstream.request_count(),
        1,
        "rejected requests never reach the upstream"
    );
    envoy
        .wait_for_file_line("details.log", "/not-json 400 transformation_bad_request")
        .await
        .unwrap();
    envoy
        .wait_for_file_line("details.log", "/too-large 413")
        .await
        .unwrap();
}

#[tokio::test]
async fn a_bodiless_request_gets_a_rendered_body_and_an_empty_rendering_empties_the_response() {
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = transformation(json!({
        "request": { "body": { "value": "payload={{ header(\"x-payload\") }}" } },
        "response": { "body": { "value": "{{ request_header(\"x-absent\") }}" } },
    }));
    let envoy = Bootstrap::proxy(upstream.addr(), [filter])
        .start()
        .await
        .unwrap();

    let response = envoy
        .send(HttpRequest::get("/").header("x-payload", "from-header"))
        .await
        .unwrap();

    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "");
    assert_eq!(response.content_length(), Some(0));
    assert_eq!(response.header("content-type"), None);
    let seen = &upstream.requests()[0];
    assert_eq!(seen.body, "payload=from-header");
    assert_eq!(
        seen.header("content-length"),
        Some("payload=from-header".len().to_string().as_str())
    );
}

#[tokio::test]
async fn a_body_field_lifted_into_a_header_picks_the_route() {
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = transformation(json!({
        "request": {
            "set": [{ "name": "x-tier", "value": "{{ jsonpath(context(), \"$.account.tier\") }}" }],
            "body": { "parseAs": "AsJson" },
        },
    }));
    let routes = vec![
        Route::prefix("/")
            .header("x-tier", "gold")
            .direct_response(299, "gold lane"),
        Route::prefix("/").to_cluster(UPSTREAM_CLUSTER),
    ];
    let envoy = bootstrap(&upstream, filter, routes).start().await.unwrap();

    let gold = envoy
        .send(HttpRequest::post("/buy").json(&json!({ "account": { "tier": "gold" } })))
        .await
        .unwrap();
    let basic = envoy
        .send(HttpRequest::post("/buy").json(&json!({ "account": { "tier": "basic" } })))
        .await
        .unwrap();

    assert_eq!(
        (gold.status.as_u16(), gold.text().as_str()),
        (299, "gold lane")
    );
    assert_eq!(basic.status, 200);
    assert_eq!(basic.echo().unwrap().header("x-tier"), Some("basic"));
}

#[tokio::test]
async fn a_streamed_body_ending_in_trailers_is_transformed_whole() {
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = transformation(json!({
        "request": { "body": { "value": "{{ body() | upper }}" } },
    }));
    // HTTP/1 drops trailers unless both codecs are told to keep them.
    let trailers = json!({ "enable_trailers": true });
    let listener = Listener::new(MAIN_LISTENER)
        .http_filter(filter)
        .route(Route::prefix("/").to_cluster(UPSTREAM_CLUSTER))
        .hcm_field("http_protocol_options", trailers.clone());
    let cluster = upstream.cluster(UPSTREAM_CLUSTER).field(
        "typed_extension_protocol_options",
        json!({ "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
            "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
            "explicit_http_config": { "http_protocol_options": trailers },
        } }),
    );
    let envoy = Bootstrap::new()
        .listener(listener)
        .cluster(cluster)
        .start()
        .await
        .unwrap();

    let mut request = envoy
        .stream(HttpRequest::post("/").header("trailer", "x-checksum"))
        .await
        .unwrap();
    for chunk in ["first ", "second ", "third"] {
        request.send_chunk(chunk).await.unwrap();
    }
    let response = request
        .finish_with_trailers(&[("x-checksum", "abc")])
        .await
        .unwrap();

    assert_eq!(response.status, 200);
    let seen = response.echo().unwrap();
    assert_eq!(seen.body, "FIRST SECOND THIRD");
    assert_eq!(seen.trailers, [("x-checksum".to_owned(), "abc".to_owned())]);
}

#[tokio::test]
async fn a_response_body_over_the_limit_is_a_500_not_a_truncated_body() {
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = transformation(json!({
        "response": { "body": { "value": "{{ body() | length }}" } },
    }));
    let limit = 4096;
    let listener = Listener::new(MAIN_LISTENER)
        .http_filter(filter)
        .route(Route::prefix("/").to_cluster(UPSTREAM_CLUSTER))
        .field("per_connection_buffer_limit_bytes", json!(limit));
    let envoy = Bootstrap::new()
        .listener(listener)
        .cluster(upstream.cluster(UPSTREAM_CLUSTER))
        .start()
        .await
        .unwrap();

    let small = envoy
        .send(HttpRequest::get("/").header(ECHO_BODY, "x".repeat(limit / 2)))
        .await
        .unwrap();
    let large = envoy
        .send(
            HttpRequest::get("/")
                .header(ECHO_CHUNKED, "8")
                .header(ECHO_BODY, "x".repeat(4 * limit)),
        )
        .await
        .unwrap();

    assert_eq!(
        (small.status.as_u16(), small.text()),
        (200, (limit / 2).to_string())
    );
    assert_eq!(large.status, 500, "{}", large.text());
    assert_ne!(large.text(), (4 * limit).to_string());
}
