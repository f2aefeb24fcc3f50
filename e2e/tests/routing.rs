//! HTTPRoute behaviour end to end: the `dynagate` controller (in-process) on a manifest directory, a stock
//! Envoy 1.40 on the bootstrap it prints, and echo upstreams behind kgateway Backends or Services with
//! EndpointSlices. Each test starts its own cheap controller + Envoy, so tests run in parallel.
//!
//! Expected results come from the Gateway API specification, not from the translation's output.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers should fail loudly"
)]

use std::fmt::Write as _;
use std::net::SocketAddr;

use controlled::ControlledGateway;
use dynagate_controller::run::Controller;
use dynagate_e2e::{
    EchoUpstream, Envoy, GATEWAY_NAME, GATEWAY_NAMESPACE, HttpConnection, HttpRequest,
    HttpResponse, ManifestDir, Value, binomial_range, endpoint_service_manifest, eventually,
    gateway_manifest, static_backend_manifest,
};

#[path = "support/controlled.rs"]
mod controlled;
#[path = "routing/filters.rs"]
mod filters;
#[path = "routing/reload.rs"]
mod reload;

/// The header every tagged rule sets on requests it forwards: which rule matched.
const RULE_HEADER: &str = "x-rule";
/// A backendRef to the kgateway Backend named `echo` (flow-style YAML).
const ECHO: &str = "{group: gateway.kgateway.dev, kind: Backend, name: echo}";

/// A request (`"METHOD target"` and extra headers) and the tag of the rule that should forward it.
type RuleCase<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

/// The controller and an Envoy serving Gateway `default/edge`, with the manifest directory they follow.
struct Gateway {
    manifests: ManifestDir,
    controller: Controller,
    envoy: Envoy,
    addr: SocketAddr,
    port: u16,
}

impl Gateway {
    /// Writes the Gateway manifest and `files` (name, YAML), then starts the controller and Envoy.
    async fn start<N: AsRef<str>>(files: &[(N, String)]) -> Self {
        let ControlledGateway {
            envoy,
            controller,
            manifests,
            addr,
            port,
        } = ControlledGateway::start(gateway_manifest, files).await;
        Self {
            manifests,
            controller,
            envoy,
            addr,
            port,
        }
    }

    async fn send(&self, request: HttpRequest) -> HttpResponse {
        request.send(self.addr).await.unwrap()
    }

    /// Waits until `request` is answered with `status` (routes arrive over xDS after the listener).
    async fn wait_for_status(&self, request: &HttpRequest, status: u16) {
        eventually(&format!("{request:?} to be answered {status}"), || async {
            match request.clone().send(self.addr).await {
                Ok(response) if response.status == status => Ok(()),
                Ok(response) => Err(format!("{}: {}", response.status, response.text())),
                Err(err) => Err(err.to_string()),
            }
        })
        .await
        .unwrap();
    }

    /// The tag of the rule that forwarded `request` (see [`tagged`]).
    async fn rule_for(&self, request: HttpRequest) -> String {
        let response = self.send(request).await;
        assert_eq!(response.status, 200, "{}", response.text());
        let echoed = response.echo().unwrap();
        echoed
            .header(RULE_HEADER)
            .unwrap_or("<untagged>")
            .to_owned()
    }

    /// Sends each case's request (`"METHOD target"` plus headers) and fails listing every case that was
    /// forwarded by another rule than the expected one.
    async fn assert_rules(&self, cases: &[RuleCase<'_>]) {
        let mut wrong = String::new();
        for (line, headers, expected) in cases {
            let (method, target) = line.split_once(' ').expect("METHOD target");
            let mut request = HttpRequest::new(method, target);
            for (name, value) in *headers {
                request = request.header(name, *value);
            }
            let actual = self.rule_for(request).await;
            if actual != *expected {
                writeln!(
                    wrong,
                    "{line} {headers:?}: expected rule {expected}, got {actual}"
                )
                .unwrap();
            }
        }
        assert!(
            wrong.is_empty(),
            "requests routed to the wrong rule:\n{wrong}"
        );
    }

    async fn status(&self) -> Value {
        let response = HttpRequest::get("/status")
            .send(self.controller.admin_addr())
            .await
            .unwrap();
        assert_eq!(response.status, 200);
        response.json().unwrap()
    }
}

/// An HTTPRoute attached to the Gateway. `metadata` is extra flow-style fields (e.g. a timestamp);
/// `rules` are flow-style rule mappings.
fn http_route(name: &str, metadata: &str, hostnames: &[&str], rules: &[String]) -> String {
    let mut yaml = format!(
        "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {name}, namespace: {GATEWAY_NAMESPACE}{metadata}}}
spec:
  parentRefs: [{{name: {GATEWAY_NAME}}}]
  hostnames: [{}]
  rules:
",
        hostnames
            .iter()
            .map(|h| format!("\"{h}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for rule in rules {
        writeln!(yaml, "  - {rule}").unwrap();
    }
    yaml
}

/// A rule forwarding `matches` to the echo Backend, setting `x-rule: <tag>` so tests see which rule won.
fn tagged(tag: &str, matches: &str) -> String {
    format!(
        "{{matches: {matches}, filters: [{{type: RequestHeaderModifier, requestHeaderModifier: \
         {{set: [{{name: {RULE_HEADER}, value: {tag}}}]}}}}], backendRefs: [{ECHO}]}}"
    )
}

/// `[{path: {type: <kind>, value: "<value>"}}]`.
fn path(kind: &str, value: &str) -> String {
    format!("[{{path: {{type: {kind}, value: \"{value}\"}}}}]")
}

fn get(target: &str) -> HttpRequest {
    HttpRequest::get(target)
}

#[tokio::test]
async fn every_match_type_selects_its_rule_and_the_most_precise_match_wins() {
    let echo = EchoUpstream::start().await.unwrap();
    // Within each group, the least precise rule is listed first: list order must not decide.
    let rules = [
        tagged("fallback", &path("PathPrefix", "/")),
        tagged("prefix", &path("PathPrefix", "/prefix")),
        tagged("exact", &path("Exact", "/exact")),
        tagged("both-prefix", &path("PathPrefix", "/both")),
        tagged("both-exact", &path("Exact", "/both")),
        tagged("long", &path("PathPrefix", "/long")),
        tagged("longer", &path("PathPrefix", "/long/longer")),
        tagged("regex", &path("RegularExpression", "/regex/[0-9]+")),
        tagged("no-header", &path("PathPrefix", "/headers")),
        tagged(
            "header",
            "[{path: {value: /headers}, headers: [{name: x-env, value: canary}]}]",
        ),
        tagged(
            "header-regex",
            "[{path: {value: /headers}, headers: [{type: RegularExpression, name: x-version, \
             value: \"v[0-9]+\"}]}]",
        ),
        tagged(
            "two-headers",
            "[{path: {value: /headers}, headers: [{name: x-env, value: canary}, \
             {name: X-Tier, value: gold}]}]",
        ),
        tagged("no-query", &path("PathPrefix", "/query")),
        tagged(
            "query",
            "[{path: {value: /query}, queryParams: [{name: q, value: \"yes\"}]}]",
        ),
        tagged(
            "query-regex",
            "[{path: {value: /query}, queryParams: [{type: RegularExpression, name: id, \
             value: \"[0-9]+\"}]}]",
        ),
        tagged("any-method", &path("PathPrefix", "/method")),
        tagged("post", "[{path: {value: /method}, method: POST}]"),
        // Precedence after the path: method, then header count, then query param count.
        tagged(
            "order-headers",
            "[{path: {value: /order}, headers: [{name: x-a, value: \"1\"}, {name: x-b, value: \"1\"}]}]",
        ),
        tagged("order-method", "[{path: {value: /order}, method: GET}]"),
        tagged("order-longer-path", &path("PathPrefix", "/order/deep")),
        tagged(
            "rank-queries",
            "[{path: {value: /rank}, queryParams: [{name: p, value: \"1\"}, {name: r, value: \"1\"}]}]",
        ),
        tagged(
            "rank-header",
            "[{path: {value: /rank}, headers: [{name: x-a, value: \"1\"}]}]",
        ),
        // Equal matches in one route: the first rule wins.
        tagged("first-rule", &path("PathPrefix", "/tie-rule")),
        tagged("second-rule", &path("PathPrefix", "/tie-rule")),
        // One rule, several matches: any of them selects it.
        tagged(
            "either",
            "[{path: {type: Exact, value: /either-a}}, {path: {value: /either-b}, method: PUT}]",
        ),
    ];
    // Equal matches in different routes: the oldest route wins, then `namespace/name` order.
    let tie_routes = [
        (
            "b-older",
            ", creationTimestamp: \"2020-01-01T00:00:00Z\"",
            "/tie-age",
        ),
        (
            "a-newer",
            ", creationTimestamp: \"2024-01-01T00:00:00Z\"",
            "/tie-age",
        ),
        ("z-route", "", "/tie-name"),
        ("m-route", "", "/tie-name"),
    ];
    let mut files = vec![
        (
            "backend.yaml".to_owned(),
            static_backend_manifest("echo", echo.addr()),
        ),
        (
            "matching.yaml".to_owned(),
            http_route("matching", "", &[], &rules),
        ),
    ];
    for (name, metadata, prefix) in tie_routes {
        let route = http_route(
            name,
            metadata,
            &[],
            &[tagged(name, &path("PathPrefix", prefix))],
        );
        files.push((format!("{name}.yaml"), route));
    }
    let gateway = Gateway::start(&files).await;
    gateway.wait_for_status(&get("/tie-name"), 200).await;

    let canary = [("x-env", "canary")];
    let a_and_b = [("x-a", "1"), ("x-b", "1")];
    gateway
        .assert_rules(&[
            ("GET /exact", &[], "exact"),
            ("GET /exact/more", &[], "fallback"),
            ("GET /EXACT", &[], "fallback"),
            ("GET /prefix", &[], "prefix"),
            ("GET /prefix/a/b", &[], "prefix"),
            ("GET /prefixed", &[], "fallback"),
            ("GET /both", &[], "both-exact"),
            ("GET /both/x", &[], "both-prefix"),
            ("GET /long/x", &[], "long"),
            ("GET /long/longer", &[], "longer"),
            ("GET /long/longer/x", &[], "longer"),
            ("GET /long/longerer", &[], "long"),
            ("GET /regex/123", &[], "regex"),
            ("GET /regex/abc", &[], "fallback"),
            ("GET /headers", &[], "no-header"),
            ("GET /headers", &canary, "header"),
            ("GET /headers", &[("x-env", "stable")], "no-header"),
            ("GET /headers", &[("x-version", "v42")], "header-regex"),
            ("GET /headers", &[("x-version", "vx")], "no-header"),
            (
                "GET /headers",
                &[canary[0], ("x-tier", "gold")],
                "two-headers",
            ),
            ("GET /query", &[], "no-query"),
            ("GET /query?q=yes", &[], "query"),
            ("GET /query?q=no", &[], "no-query"),
            ("GET /query?id=42", &[], "query-regex"),
            ("GET /query?id=x", &[], "no-query"),
            ("GET /method", &[], "any-method"),
            ("POST /method", &[], "post"),
            ("GET /order", &a_and_b, "order-method"),
            ("POST /order", &a_and_b, "order-headers"),
            ("GET /order/deep", &a_and_b, "order-longer-path"),
            ("GET /rank?p=1&r=1", &a_and_b[..1], "rank-header"),
            ("GET /rank?p=1&r=1", &[], "rank-queries"),
            ("GET /tie-rule", &[], "first-rule"),
            ("GET /either-a", &[], "either"),
            ("PUT /either-b", &[], "either"),
            ("GET /either-b", &[], "fallback"),
            ("GET /tie-age", &[], "b-older"),
            ("GET /tie-name", &[], "m-route"),
        ])
        .await;
}

#[tokio::test]
async fn the_host_header_selects_routes_and_hostname_specificity_breaks_ties() {
    let echo = EchoUpstream::start().await.unwrap();
    let any = |tag: &str| tagged(tag, &path("PathPrefix", "/"));
    // Named against their hostname specificity, so `namespace/name` order would pick the wrong one.
    let files = [
        ("backend.yaml", static_backend_manifest("echo", echo.addr())),
        (
            "exact.yaml",
            http_route("z-exact", "", &["foo.example.com"], &[any("foo")]),
        ),
        (
            "wildcard.yaml",
            http_route(
                "y-wildcard",
                "",
                &["*.example.com"],
                &[
                    any("wildcard"),
                    tagged("wildcard-longer-path", &path("PathPrefix", "/wild")),
                ],
            ),
        ),
        ("any.yaml", http_route("x-any", "", &[], &[any("any-host")])),
    ];
    let gateway = Gateway::start(&files).await;
    gateway.wait_for_status(&get("/"), 200).await;

    let foo_with_port = format!("foo.example.com:{}", gateway.port);
    let bar_with_port = format!("bar.example.com:{}", gateway.port);
    fn host(name: &str) -> [(&str, &str); 1] {
        [("host", name)]
    }
    gateway
        .assert_rules(&[
            ("GET /", &host("foo.example.com"), "foo"),
            ("GET /", &host("FOO.Example.COM"), "foo"),
            ("GET /", &host(&foo_with_port), "foo"),
            ("GET /", &host("bar.example.com"), "wildcard"),
            ("GET /", &host("a.b.example.com"), "wildcard"),
            ("GET /", &host(&bar_with_port), "wildcard"),
            // A wildcard needs at least one more label.
            ("GET /", &host("example.com"), "any-host"),
            ("GET /", &host("foo.example.org"), "any-host"),
            ("GET /", &host("127.0.0.1"), "any-host"),
            // Match precedence comes before hostname specificity: the longer path of a route with a
            // wildcard hostname beats `/` of the exact hostname (conformance: HTTPRouteMatchingAcrossRoutes).
            (
                "GET /wild/x",
                &host("foo.example.com"),
                "wildcard-longer-path",
            ),
            (
                "GET /wild",
                &host("bar.example.com"),
                "wildcard-longer-path",
            ),
            ("GET /wild", &host("example.com"), "any-host"),
        ])
        .await;
}

/// Fails unless `count` of `trials` is what a `p` share of them gives (see [`binomial_range`]).
fn assert_share(what: &str, count: usize, trials: usize, p: f64) {
    let expected = binomial_range(trials, p);
    assert!(
        expected.contains(&count),
        "{what}: {count} of {trials}, expected {expected:?}"
    );
    eprintln!("{what}: {count} of {trials} (expected {expected:?})");
}

#[tokio::test]
async fn weights_split_requests_between_backends_and_an_invalid_backend_share_gets_500() {
    let (a, b, idle) = (
        EchoUpstream::start().await.unwrap(),
        EchoUpstream::start().await.unwrap(),
        EchoUpstream::start().await.unwrap(),
    );
    let service = |name: &str, weight: u32| format!("{{name: {name}, port: 80, weight: {weight}}}");
    let split = format!(
        "{{matches: {}, backendRefs: [{}, {}, {}]}}",
        path("PathPrefix", "/split"),
        service("svc-a", 3),
        service("svc-b", 1),
        service("svc-idle", 0)
    );
    let half_missing = format!(
        "{{matches: {}, backendRefs: [{}, {}]}}",
        path("PathPrefix", "/half-missing"),
        service("svc-a", 1),
        service("no-such-service", 1)
    );
    let files = [
        (
            "svc-a.yaml",
            endpoint_service_manifest("svc-a", 80, a.addr()),
        ),
        (
            "svc-b.yaml",
            endpoint_service_manifest("svc-b", 80, b.addr()),
        ),
        (
            "svc-idle.yaml",
            endpoint_service_manifest("svc-idle", 80, idle.addr()),
        ),
        (
            "split.yaml",
            http_route("split", "", &[], &[split, half_missing]),
        ),
    ];
    let gateway = Gateway::start(&files).await;
    gateway.wait_for_status(&get("/split"), 200).await;
    let before = (a.request_count(), b.request_count());

    // Envoy picks a backend per request, so one keep-alive connection sees the split.
    const TRIALS: usize = 400;
    let mut connection = HttpConnection::open(gateway.addr).await.unwrap();
    for _ in 0..TRIALS {
        let response = connection.send(get("/split")).await.unwrap();
        assert_eq!(response.status, 200, "{}", response.text());
    }
    let to_a = a.request_count() - before.0;
    let to_b = b.request_count() - before.1;
    assert_eq!(to_a + to_b, TRIALS, "every request reached svc-a or svc-b");
    assert_eq!(
        idle.request_count(),
        0,
        "a backend of weight 0 gets nothing"
    );
    assert_share("svc-a (weight 3 of 4)", to_a, TRIALS, 0.75);

    // Gateway API: the share of a backend that does not resolve is answered 500.
    let mut failed = 0;
    for _ in 0..TRIALS {
        let response = connection.send(get("/half-missing")).await.unwrap();
        match response.status.as_u16() {
            500 => failed += 1,
            200 => {}
            other => panic!("unexpected {other}: {}", response.text()),
        }
    }
    assert_share("500 for the missing half", failed, TRIALS, 0.5);
}
