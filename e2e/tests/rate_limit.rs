//! The `rate_limit` filter of `libdynagate.so` against the real Envoy 1.40 (2 workers): the 429 and its
//! headers, buckets shared by attachment id, `local: {}` exemptions, per-header-value descriptor buckets,
//! `percentEnforced: 0`, and an accuracy run comparing admitted requests with the token bucket formula.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers should fail loudly"
)]

use dynagate_e2e::{
    AccessLog, Bootstrap, EchoUpstream, Envoy, HttpRequest, HttpResponse, Listener, MAIN_LISTENER,
    ModuleFilter, Route, UPSTREAM_CLUSTER, Value, json,
};

#[path = "rate_limit/accuracy.rs"]
mod accuracy;
#[path = "rate_limit/controller.rs"]
mod controller;

/// The filter name registered in `libdynagate.so`.
const FILTER: &str = "rate_limit";
/// Counter names as Envoy exposes a module's custom stats.
const ALLOWED: &str = "dynamicmodulescustom.local_rate_limit.allowed";
const LIMITED: &str = "dynamicmodulescustom.local_rate_limit.limited";
const NOT_ENFORCED: &str = "dynamicmodulescustom.local_rate_limit.not_enforced";
/// Envoy's own access log of every listener [`start`] builds: path, status and response details.
const ACCESS_LOG: &str = "access.log";

/// The listener filter: `{}` means no default limit, only what routes carry.
fn listener_filter(default: Value) -> ModuleFilter {
    ModuleFilter::dynagate(FILTER, default)
}

/// A `RateLimitFilterConfig` with draft-03 headers.
fn limit(attachment: &str, local: Value) -> Value {
    json!({ "attachment": attachment, "local": local, "xRateLimitHeaders": "DraftVersion03" })
}

/// A bucket that never refills within a test: every admission comes from `max_tokens`.
fn no_refill(max_tokens: u32) -> Value {
    json!({ "tokenBucket": { "maxTokens": max_tokens, "fillInterval": "1h" } })
}

/// A route to the upstream for `prefix`, limited by `config` when given.
fn route(filter: &ModuleFilter, prefix: &str, config: Option<Value>) -> Route {
    let route = Route::prefix(prefix).to_cluster(UPSTREAM_CLUSTER);
    match config {
        Some(config) => route.module_config(filter, FILTER, config),
        None => route,
    }
}

async fn start(upstream: &EchoUpstream, filter: ModuleFilter, routes: Vec<Route>) -> Envoy {
    let log = AccessLog::file_with_format(
        ACCESS_LOG,
        "%REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_CODE_DETAILS%\n",
    );
    let listener = routes.into_iter().fold(
        Listener::new(MAIN_LISTENER)
            .http_filter(filter)
            .access_log(log),
        Listener::route,
    );
    Bootstrap::new()
        .listener(listener)
        .cluster(upstream.cluster(UPSTREAM_CLUSTER))
        .start()
        .await
        .unwrap()
}

/// Statuses of `count` sequential `GET path` requests with `headers`.
async fn statuses(envoy: &Envoy, path: &str, headers: &[(&str, &str)], count: usize) -> Vec<u16> {
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let request = headers
            .iter()
            .fold(HttpRequest::get(path), |r, (name, value)| {
                r.header(name, *value)
            });
        out.push(envoy.send(request).await.unwrap().status.as_u16());
    }
    out
}

fn header_u64(response: &HttpResponse, name: &str) -> Option<u64> {
    response.header(name)?.parse().ok()
}

#[tokio::test]
async fn a_route_limit_answers_429_with_body_retry_after_and_draft_03_headers() {
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = listener_filter(json!({}));
    let routes = vec![
        route(
            &filter,
            "/limited",
            Some(limit("route-limited", no_refill(2))),
        ),
        route(&filter, "/", None),
    ];
    let envoy = start(&upstream, filter, routes).await;

    for remaining in [1, 0] {
        let response = envoy.get("/limited").await.unwrap();
        assert_eq!(response.status, 200, "{}", response.text());
        assert_eq!(header_u64(&response, "x-ratelimit-limit"), Some(2));
        assert_eq!(
            header_u64(&response, "x-ratelimit-remaining"),
            Some(remaining)
        );
        assert!(header_u64(&response, "x-ratelimit-reset").is_some_and(|s| s <= 3600));
        assert!(
            response.echo().is_ok(),
            "an admitted request reaches the upstream"
        );
    }
    let denied = envoy.get("/limited").await.unwrap();
    assert_eq!(denied.status, 429);
    assert_eq!(denied.text(), "local_rate_limited");
    let retry_after = header_u64(&denied, "retry-after").expect("retry-after");
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert_eq!(header_u64(&denied, "x-ratelimit-limit"), Some(2));
    assert_eq!(header_u64(&denied, "x-ratelimit-remaining"), Some(0));
    assert!(header_u64(&denied, "x-ratelimit-reset").is_some_and(|s| (1..=3600).contains(&s)));
    // The reason is in the access log.
    envoy
        .wait_for_file_line(ACCESS_LOG, "/limited 429 local_rate_limited")
        .await
        .unwrap();

    // A route without a limit is untouched, and carries no rate limit headers.
    let free = envoy.get("/free").await.unwrap();
    assert_eq!(free.status, 200);
    assert_eq!(free.header("x-ratelimit-limit"), None);

    assert_eq!(envoy.wait_for_stat(ALLOWED, 2).await.unwrap(), 2);
    assert_eq!(envoy.wait_for_stat(LIMITED, 1).await.unwrap(), 1);
}

#[tokio::test]
async fn routes_with_one_attachment_share_one_bucket_and_other_attachments_have_their_own() {
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = listener_filter(json!({}));
    // What the controller emits for a Gateway-level policy: the same attachment on every route.
    let gateway = limit(
        "TrafficPolicy/default/edge@Gateway/default/gw",
        no_refill(3),
    );
    let own = limit(
        "TrafficPolicy/default/own@HTTPRoute/default/c",
        no_refill(3),
    );
    let routes = vec![
        route(&filter, "/a", Some(gateway.clone())),
        route(&filter, "/b", Some(gateway)),
        route(&filter, "/c", Some(own)),
    ];
    let envoy = start(&upstream, filter, routes).await;

    let mut admitted = 0;
    for path in ["/a", "/b", "/a", "/b", "/a", "/b"] {
        if envoy.get(path).await.unwrap().status == 200 {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 3, "/a and /b draw from one bucket of 3");
    assert_eq!(statuses(&envoy, "/c", &[], 4).await, [200, 200, 200, 429]);
}

#[tokio::test]
async fn an_empty_local_policy_exempts_a_route_from_the_inherited_limit() {
    let upstream = EchoUpstream::start().await.unwrap();
    // The listener default plays the Gateway-wide limit; `/exempt` switches it off.
    let filter = listener_filter(limit("gateway", no_refill(1)));
    let routes = vec![
        route(&filter, "/exempt", Some(limit("route-exempt", json!({})))),
        route(&filter, "/", None),
    ];
    let envoy = start(&upstream, filter, routes).await;

    assert_eq!(statuses(&envoy, "/limited", &[], 2).await, [200, 429]);
    assert_eq!(statuses(&envoy, "/exempt", &[], 5).await, [200; 5]);
    let exempt = envoy.get("/exempt").await.unwrap();
    assert_eq!(exempt.header("x-ratelimit-limit"), None);
}

#[tokio::test]
async fn descriptors_give_each_header_value_its_own_bucket() {
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = listener_filter(json!({}));
    let local = json!({
        "tokenBucket": { "maxTokens": 100, "fillInterval": "1h" },
        "descriptors": [{
            "entries": [{ "type": "Header", "header": "x-user" }],
            "tokenBucket": { "maxTokens": 2, "fillInterval": "1h" },
        }],
    });
    let routes = vec![route(&filter, "/", Some(limit("keyed", local)))];
    let envoy = start(&upstream, filter, routes).await;

    let alice = [("x-user", "alice")];
    let bob = [("x-user", "bob")];
    assert_eq!(statuses(&envoy, "/", &alice, 3).await, [200, 200, 429]);
    assert_eq!(statuses(&envoy, "/", &bob, 3).await, [200, 200, 429]);
    // Without the header the descriptor does not apply: only the route bucket (100) counts.
    assert_eq!(statuses(&envoy, "/", &[], 5).await, [200; 5]);
    assert_eq!(statuses(&envoy, "/", &alice, 1).await, [429]);
}

#[tokio::test]
async fn percent_enforced_zero_counts_over_limit_requests_without_blocking_them() {
    let upstream = EchoUpstream::start().await.unwrap();
    let filter = listener_filter(json!({}));
    let mut local = no_refill(1);
    local["percentEnforced"] = json!(0);
    let routes = vec![route(&filter, "/", Some(limit("shadow", local)))];
    let envoy = start(&upstream, filter, routes).await;

    assert_eq!(statuses(&envoy, "/", &[], 4).await, [200; 4]);
    assert_eq!(envoy.wait_for_stat(ALLOWED, 1).await.unwrap(), 1);
    assert_eq!(envoy.wait_for_stat(NOT_ENFORCED, 3).await.unwrap(), 3);
    assert_eq!(envoy.stat(LIMITED).await.unwrap().unwrap_or(0), 0);
}
