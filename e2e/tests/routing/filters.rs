//! Rule filters end to end: header modifiers, redirects, URL rewrites, mirrors, direct responses, and
//! the 500 that rules with unusable backends answer.

use std::fmt::Write as _;

use dynagate_e2e::{
    ECHO_RESPONSE_HEADER, EchoUpstream, GATEWAY_NAMESPACE, HttpRequest, endpoint_service_manifest,
    eventually, static_backend_manifest,
};

use super::{ECHO, Gateway, get, http_route, path, tagged};

#[tokio::test]
async fn header_modifiers_edit_the_forwarded_request_and_the_response() {
    let echo = EchoUpstream::start().await.unwrap();
    let rule = format!(
        "{{matches: {}, filters: [\
         {{type: RequestHeaderModifier, requestHeaderModifier: {{set: [{{name: X-Set, value: gateway}}], \
         add: [{{name: x-add, value: gateway}}], remove: [x-remove]}}}}, \
         {{type: ResponseHeaderModifier, responseHeaderModifier: {{set: [{{name: x-resp-set, value: gateway}}], \
         add: [{{name: x-resp-add, value: gateway}}], remove: [X-Resp-Remove]}}}}], backendRefs: [{ECHO}]}}",
        path("PathPrefix", "/headers")
    );
    let files = [
        ("backend.yaml", static_backend_manifest("echo", echo.addr())),
        ("route.yaml", http_route("headers", "", &[], &[rule])),
    ];
    let gateway = Gateway::start(&files).await;
    gateway.wait_for_status(&get("/headers"), 200).await;

    let response = gateway
        .send(
            get("/headers")
                .header("x-set", "client")
                .header("x-add", "client")
                .header("x-remove", "client")
                .header("x-keep", "client")
                .header(ECHO_RESPONSE_HEADER, "x-resp-set: upstream")
                .header(ECHO_RESPONSE_HEADER, "x-resp-add: upstream")
                .header(ECHO_RESPONSE_HEADER, "x-resp-remove: upstream")
                .header(ECHO_RESPONSE_HEADER, "x-resp-keep: upstream"),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let seen = response.echo().unwrap();
    assert_eq!(seen.header_values("x-set"), ["gateway"], "set overwrites");
    assert_eq!(
        joined(&seen.header_values("x-add")),
        "client,gateway",
        "add appends"
    );
    assert_eq!(seen.header("x-remove"), None, "remove removes");
    assert_eq!(seen.header("x-keep"), Some("client"));

    assert_eq!(response.header_values("x-resp-set"), ["gateway"]);
    assert_eq!(
        joined(&response.header_values("x-resp-add")),
        "upstream,gateway"
    );
    assert_eq!(response.header("x-resp-remove"), None);
    assert_eq!(response.header("x-resp-keep"), Some("upstream"));
}

/// Header values as one comma-separated list (HTTP treats repeated headers and a list the same way).
fn joined(values: &[&str]) -> String {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(",")
}

#[tokio::test]
async fn redirects_answer_with_the_status_and_location_asked_for() {
    let echo = EchoUpstream::start().await.unwrap();
    let redirect = |prefix_kind: &str, prefix: &str, spec: &str| {
        format!(
            "{{matches: {}, filters: [{{type: RequestRedirect, requestRedirect: {spec}}}]}}",
            path(prefix_kind, prefix)
        )
    };
    let rules = [
        redirect(
            "PathPrefix",
            "/old",
            "{scheme: https, hostname: new.example.com, statusCode: 301, \
             path: {type: ReplacePrefixMatch, replacePrefixMatch: /new}}",
        ),
        redirect(
            "Exact",
            "/moved",
            "{path: {type: ReplaceFullPath, replaceFullPath: /elsewhere}}",
        ),
        redirect("PathPrefix", "/to-port", "{scheme: https, port: 8443}"),
        redirect("PathPrefix", "/secure", "{scheme: https}"),
        redirect("PathPrefix", "/host-only", "{hostname: other.example.com}"),
        redirect(
            "PathPrefix",
            "/strip",
            "{path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}",
        ),
    ];
    let files = [
        ("backend.yaml", static_backend_manifest("echo", echo.addr())),
        ("route.yaml", http_route("redirects", "", &[], &rules)),
    ];
    let gateway = Gateway::start(&files).await;
    gateway.wait_for_status(&get("/moved"), 302).await;

    // Requests carry the port in Host, as clients do for a non-default port. Expected locations are
    // compared as (status, scheme, host, effective port, path): a scheme's well-known port may be written
    // or left out.
    let port = gateway.port;
    let origin = format!("old.example.com:{port}");
    let cases = [
        (
            "/old/page?q=1",
            301,
            "https://new.example.com/new/page?q=1".to_owned(),
        ),
        ("/moved", 302, format!("http://{origin}/elsewhere")),
        (
            "/to-port/a",
            302,
            "https://old.example.com:8443/to-port/a".to_owned(),
        ),
        // A scheme without a port means the scheme's well-known port.
        (
            "/secure/a",
            302,
            "https://old.example.com/secure/a".to_owned(),
        ),
        // Neither scheme nor port: the listener's port, also when the hostname changes.
        (
            "/host-only/a",
            302,
            format!("http://other.example.com:{port}/host-only/a"),
        ),
        ("/strip/a/b", 302, format!("http://{origin}/a/b")),
        ("/strip", 302, format!("http://{origin}/")),
    ];
    let mut wrong = String::new();
    for (target, status, location) in cases {
        let response = gateway
            .send(get(target).header("host", origin.as_str()))
            .await;
        let actual = response.header("location").map(parse_location);
        if (response.status.as_u16(), actual.clone()) != (status, Some(parse_location(&location))) {
            writeln!(
                wrong,
                "{target}: expected {status} {location}, got {} {:?}",
                response.status,
                response.header("location")
            )
            .unwrap();
        }
    }
    assert!(wrong.is_empty(), "wrong redirects:\n{wrong}");
    assert_eq!(echo.request_count(), 0, "redirects never reach a backend");
}

/// `scheme://host[:port]/path` as (scheme, lower-case host, port with the scheme's default filled in,
/// path and query).
fn parse_location(location: &str) -> (String, String, u16, String) {
    let (scheme, rest) = location.split_once("://").expect("an absolute location");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, port.parse().expect("a numeric port")),
        None => (authority, if scheme == "https" { 443 } else { 80 }),
    };
    (
        scheme.to_owned(),
        host.to_ascii_lowercase(),
        port,
        path.to_owned(),
    )
}

#[tokio::test]
async fn url_rewrites_change_the_path_and_host_the_backend_sees() {
    let echo = EchoUpstream::start().await.unwrap();
    let rewrite = |prefix: &str, spec: &str| {
        format!(
            "{{matches: {}, filters: [{{type: URLRewrite, urlRewrite: {spec}}}], backendRefs: [{ECHO}]}}",
            path("PathPrefix", prefix)
        )
    };
    let rules = [
        rewrite(
            "/api/v1",
            "{path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}",
        ),
        rewrite(
            "/strip",
            "{path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}",
        ),
        rewrite(
            "/slashed/",
            "{path: {type: ReplacePrefixMatch, replacePrefixMatch: /xyz/}}",
        ),
        rewrite(
            "/full",
            "{path: {type: ReplaceFullPath, replaceFullPath: /replaced}}",
        ),
        rewrite("/host", "{hostname: internal.example.com}"),
        rewrite(
            "/both",
            "{hostname: both.internal, path: {type: ReplacePrefixMatch, replacePrefixMatch: /inner}}",
        ),
    ];
    let files = [
        ("backend.yaml", static_backend_manifest("echo", echo.addr())),
        ("route.yaml", http_route("rewrites", "", &[], &rules)),
    ];
    let gateway = Gateway::start(&files).await;
    gateway.wait_for_status(&get("/host"), 200).await;

    let cases = [
        ("/api/v1", "/v2", "localhost"),
        ("/api/v1/users?x=1", "/v2/users?x=1", "localhost"),
        ("/strip", "/", "localhost"),
        ("/strip/a/b", "/a/b", "localhost"),
        ("/slashed/bar", "/xyz/bar", "localhost"),
        ("/full", "/replaced", "localhost"),
        ("/full/x/y?k=v", "/replaced?k=v", "localhost"),
        ("/host/a?b=c", "/host/a?b=c", "internal.example.com"),
        ("/both/a", "/inner/a", "both.internal"),
    ];
    let mut wrong = String::new();
    for (target, expected_path, expected_host) in cases {
        let response = gateway.send(get(target)).await;
        assert_eq!(response.status, 200, "{target}: {}", response.text());
        let seen = response.echo().unwrap();
        let actual = (seen.path.as_str(), seen.header("host").unwrap_or_default());
        if actual != (expected_path, expected_host) {
            writeln!(
                wrong,
                "{target}: expected {expected_path} at {expected_host}, got {actual:?}"
            )
            .unwrap();
        }
    }
    assert!(wrong.is_empty(), "wrong rewrites:\n{wrong}");
}

#[tokio::test]
async fn a_mirrored_request_also_reaches_the_mirror_backend() {
    let (echo, shadow) = (
        EchoUpstream::start().await.unwrap(),
        EchoUpstream::start().await.unwrap(),
    );
    let rule = format!(
        "{{matches: {}, filters: [{{type: RequestMirror, requestMirror: {{backendRef: \
         {{group: gateway.kgateway.dev, kind: Backend, name: shadow}}}}}}], backendRefs: [{ECHO}]}}",
        path("PathPrefix", "/mirror")
    );
    let files = [
        ("backend.yaml", static_backend_manifest("echo", echo.addr())),
        (
            "shadow.yaml",
            static_backend_manifest("shadow", shadow.addr()),
        ),
        ("route.yaml", http_route("mirror", "", &[], &[rule])),
    ];
    let gateway = Gateway::start(&files).await;
    gateway.wait_for_status(&get("/mirror"), 200).await;

    let response = gateway
        .send(
            HttpRequest::post("/mirror/copy?n=1")
                .header("x-request-tag", "mirrored-1")
                .body("copy me"),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let primary = response.echo().unwrap();
    assert_eq!(primary.header("x-request-tag"), Some("mirrored-1"));

    // The copy is sent beside the request, not before its answer: wait for it to show up.
    let copy = eventually("the mirror backend to see the copy", || async {
        shadow
            .requests()
            .into_iter()
            .find(|r| r.header("x-request-tag") == Some("mirrored-1"))
            .ok_or_else(|| format!("it saw {} requests", shadow.request_count()))
    })
    .await
    .unwrap();
    assert_eq!(copy.method, "POST");
    assert_eq!(copy.path, "/mirror/copy?n=1");
    assert_eq!(copy.body, "copy me");
}

#[tokio::test]
async fn direct_responses_answer_at_the_gateway_and_missing_backends_answer_500() {
    let echo = EchoUpstream::start().await.unwrap();
    let direct = |name: &str| {
        format!(
            "{{type: ExtensionRef, extensionRef: {{group: gateway.kgateway.dev, kind: DirectResponse, \
             name: {name}}}}}"
        )
    };
    let rules = [
        format!(
            "{{matches: {}, filters: [{}]}}",
            path("Exact", "/teapot"),
            direct("teapot")
        ),
        format!(
            "{{matches: {}, filters: [{}]}}",
            path("Exact", "/no-such-direct-response"),
            direct("absent")
        ),
        format!(
            "{{matches: {}, backendRefs: [{{group: gateway.kgateway.dev, kind: Backend, name: absent}}]}}",
            path("Exact", "/no-such-backend")
        ),
        format!(
            "{{matches: {}, backendRefs: [{{name: absent, port: 80}}]}}",
            path("Exact", "/no-such-service")
        ),
        format!(
            "{{matches: {}, backendRefs: [{{name: present, port: 81}}]}}",
            path("Exact", "/no-such-port")
        ),
        tagged("echo", &path("Exact", "/echo")),
    ];
    let teapot = format!(
        "apiVersion: gateway.kgateway.dev/v1alpha1
kind: DirectResponse
metadata: {{name: teapot, namespace: {GATEWAY_NAMESPACE}}}
spec: {{status: 418, body: \"I'm a teapot\"}}
"
    );
    let files = [
        ("backend.yaml", static_backend_manifest("echo", echo.addr())),
        (
            "present.yaml",
            endpoint_service_manifest("present", 80, echo.addr()),
        ),
        ("teapot.yaml", teapot),
        ("route.yaml", http_route("direct", "", &[], &rules)),
    ];
    let gateway = Gateway::start(&files).await;
    gateway.wait_for_status(&get("/echo"), 200).await;

    let response = gateway.send(get("/teapot")).await;
    assert_eq!(response.status, 418);
    assert_eq!(response.text(), "I'm a teapot");
    for target in [
        "/no-such-direct-response",
        "/no-such-backend",
        "/no-such-service",
        "/no-such-port",
    ] {
        let response = gateway.send(get(target)).await;
        assert_eq!(response.status, 500, "{target}: {}", response.text());
    }
    assert_eq!(
        echo.request_count(),
        1,
        "only the readiness probe reached the backend"
    );
}
