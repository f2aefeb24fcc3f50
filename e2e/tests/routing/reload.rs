//! Configuration changes end to end: a changed manifest is applied while requests keep flowing and
//! none fails, and an invalid manifest leaves the last good configuration serving.

use std::collections::BTreeMap;

use dynagate_e2e::{
    ECHO_DELAY_MS, EchoUpstream, HarnessError, HttpResponse, Traffic, Value,
    endpoint_service_manifest, eventually, static_backend_manifest,
};
use tokio::task::JoinHandle;

use super::{Gateway, get, http_route, path};

/// The tag header the reload routes set.
const VERSION_HEADER: &str = "x-version";

/// A route for `/reload` to `backend_ref` (flow-style YAML), tagging requests with `x-version: <version>`.
fn versioned_route_to(version: &str, backend_ref: &str) -> String {
    let rule = format!(
        "{{matches: {}, filters: [{{type: RequestHeaderModifier, requestHeaderModifier: \
         {{set: [{{name: {VERSION_HEADER}, value: {version}}}]}}}}], backendRefs: [{backend_ref}]}}",
        path("PathPrefix", "/reload")
    );
    http_route("reload", "", &[], &[rule])
}

/// A route for `/reload` to the Backend named `backend`, tagging requests with `x-version: <version>`.
fn versioned_route(version: &str, backend: &str) -> String {
    versioned_route_to(
        version,
        &format!("{{group: gateway.kgateway.dev, kind: Backend, name: {backend}}}"),
    )
}

/// Starts `count` requests that backend `upstream` answers only after a second, and waits until they
/// are in flight there.
async fn slow_requests(
    gateway: &Gateway,
    upstream: &EchoUpstream,
    count: usize,
) -> Vec<JoinHandle<Result<HttpResponse, HarnessError>>> {
    let tag = format!("slow-{}", upstream.addr().port());
    let requests = (0..count)
        .map(|_| {
            let request = get("/reload")
                .header(ECHO_DELAY_MS, "1000")
                .header("x-slow", tag.as_str());
            tokio::spawn(request.send(gateway.addr))
        })
        .collect();
    eventually("the slow requests to reach their backend", || async {
        let arrived = upstream
            .requests()
            .iter()
            .filter(|r| r.header("x-slow") == Some(tag.as_str()))
            .count();
        if arrived == count {
            Ok(())
        } else {
            Err(format!("{arrived} of {count} arrived"))
        }
    })
    .await
    .unwrap();
    requests
}

/// Waits until Envoy no longer has cluster `cluster`.
async fn wait_for_cluster_removal(gateway: &Gateway, cluster: &str) {
    let line_prefix = format!("{cluster}::");
    eventually(&format!("Envoy to remove cluster {cluster}"), || async {
        let clusters = gateway
            .envoy
            .admin_get("/clusters")
            .await
            .map_err(|e| e.to_string())?;
        if clusters.contains(&line_prefix) {
            Err("still there".to_owned())
        } else {
            Ok(())
        }
    })
    .await
    .unwrap();
}

/// Gateway with `/reload` routed to Backend `echo-a` (tagged `v1`), and traffic flowing through it.
async fn reloading_gateway(a: &EchoUpstream) -> (Gateway, Traffic) {
    let files = [
        (
            "backend-a.yaml",
            static_backend_manifest("echo-a", a.addr()),
        ),
        ("route.yaml", versioned_route("v1", "echo-a")),
    ];
    let gateway = Gateway::start(&files).await;
    gateway.wait_for_status(&get("/reload"), 200).await;
    let traffic = Traffic::start(gateway.addr, &get("/reload"), VERSION_HEADER, 2, 2);
    traffic.wait_for_more(20).await.unwrap();
    (gateway, traffic)
}

/// Asserts every slow request succeeded with the version it was routed by.
async fn assert_slow_requests_succeeded(
    slow: Vec<JoinHandle<Result<HttpResponse, HarnessError>>>,
    version: &str,
) {
    for request in slow {
        let response = request.await.unwrap().unwrap();
        assert_eq!(response.status, 200, "{}", response.text());
        let seen = response.echo().unwrap();
        assert_eq!(seen.header(VERSION_HEADER), Some(version));
    }
}

/// Stops `traffic`, fails listing every failed request, and returns how many requests saw each version.
async fn assert_no_failures(traffic: Traffic) -> BTreeMap<String, usize> {
    let report = traffic.stop().await.unwrap();
    let failures = report.failures();
    assert!(
        failures.is_empty(),
        "{} of {} requests failed: {failures:#?}",
        failures.len(),
        report.outcomes.len()
    );
    let versions = report.tags();
    eprintln!("requests per version: {versions:?}");
    versions
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_manifest_is_applied_without_failing_requests_in_flight() {
    let (a, b) = (
        EchoUpstream::start().await.unwrap(),
        EchoUpstream::start().await.unwrap(),
    );
    let (gateway, traffic) = reloading_gateway(&a).await;
    let slow_to_a = slow_requests(&gateway, &a, 3).await;

    // Change 1, one atomic write: the traffic's rule is retagged, and a new rule sends `/other` to a new
    // Service (a new cluster with endpoints by EDS).
    let other = format!(
        "{{matches: {}, backendRefs: [{{name: svc-b, port: 80}}]}}",
        path("PathPrefix", "/other")
    );
    let with_other = format!(
        "{}---\n{}  - {other}\n",
        endpoint_service_manifest("svc-b", 80, b.addr()),
        versioned_route("v2", "echo-a")
    );
    gateway.manifests.write("route.yaml", &with_other).unwrap();
    traffic.wait_for_tag("v2").await.unwrap();
    gateway.wait_for_status(&get("/other"), 200).await;
    assert!(b.request_count() > 0, "`/other` reached the new Service");

    // Change 2: the `/other` rule and its Service go away; the traffic's rule is retagged again.
    gateway
        .manifests
        .write("route.yaml", &versioned_route("v3", "echo-a"))
        .unwrap();
    traffic.wait_for_tag("v3").await.unwrap();
    wait_for_cluster_removal(&gateway, "kube_default_svc-b_80").await;
    traffic.wait_for_more(20).await.unwrap();
    let versions = assert_no_failures(traffic).await;
    assert_slow_requests_succeeded(slow_to_a, "v1").await;
    assert_eq!(
        versions.keys().collect::<Vec<_>>(),
        ["v1", "v2", "v3"],
        "{versions:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_a_route_to_another_backend_fails_no_request() {
    let (a, b, c) = (
        EchoUpstream::start().await.unwrap(),
        EchoUpstream::start().await.unwrap(),
        EchoUpstream::start().await.unwrap(),
    );
    let (gateway, traffic) = reloading_gateway(&a).await;
    let slow_to_a = slow_requests(&gateway, &a, 3).await;

    // Move 1, to a new static Backend: its cluster needs no warming, but the old one is dropped.
    gateway.manifests.remove("backend-a.yaml").unwrap();
    let to_b = format!(
        "{}---\n{}",
        static_backend_manifest("echo-b", b.addr()),
        versioned_route("v2", "echo-b")
    );
    gateway.manifests.write("route.yaml", &to_b).unwrap();
    traffic.wait_for_tag("v2").await.unwrap();
    wait_for_cluster_removal(&gateway, "backend_default_echo-a").await;
    traffic.wait_for_more(20).await.unwrap();

    // Move 2, to a new Service: its cluster warms until its endpoints arrive over EDS.
    let to_c = format!(
        "{}---\n{}",
        endpoint_service_manifest("svc-c", 80, c.addr()),
        versioned_route_to("v3", "{name: svc-c, port: 80}")
    );
    gateway.manifests.write("route.yaml", &to_c).unwrap();
    traffic.wait_for_tag("v3").await.unwrap();
    traffic.wait_for_more(20).await.unwrap();
    let versions = assert_no_failures(traffic).await;
    assert_slow_requests_succeeded(slow_to_a, "v1").await;
    assert_eq!(versions.keys().collect::<Vec<_>>(), ["v1", "v2", "v3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_manifest_leaves_the_last_good_configuration_serving() {
    let echo = EchoUpstream::start().await.unwrap();
    let files = [
        ("backend.yaml", static_backend_manifest("echo", echo.addr())),
        ("route.yaml", versioned_route("v1", "echo")),
    ];
    let gateway = Gateway::start(&files).await;
    gateway.wait_for_status(&get("/reload"), 200).await;
    let traffic = Traffic::start(gateway.addr, &get("/reload"), VERSION_HEADER, 1, 1);
    traffic.wait_for_more(10).await.unwrap();

    // Not YAML at all, then YAML that breaks the schema while changing the route: neither is applied.
    let not_yaml = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nspec: [unclosed\n";
    let bad_schema =
        versioned_route("v-broken", "echo").replace("type: PathPrefix", "type: Sideways");
    assert_ne!(bad_schema, versioned_route("v-broken", "echo"));
    for (broken, field) in [(not_yaml.to_owned(), None), (bad_schema, Some("path.type"))] {
        gateway.manifests.write("route.yaml", &broken).unwrap();
        let error = eventually("the broken route.yaml to be reported", || async {
            let status = gateway.status().await;
            let errors = status["manifests"]["errors"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let reported = errors.into_iter().find(|e| {
                e["file"]
                    .as_str()
                    .is_some_and(|f| f.ends_with("route.yaml"))
                    && field
                        .is_none_or(|field| e["field"].as_str().is_some_and(|f| f.contains(field)))
            });
            match reported {
                Some(error) => Ok((error, status["up_to_date"].clone())),
                None => Err(format!("status: {}", status["manifests"])),
            }
        })
        .await
        .unwrap();
        eprintln!("reported: {}", error.0);
        assert_eq!(
            error.1, false,
            "the served configuration is not the directory's"
        );
        traffic.wait_for_more(20).await.unwrap();
    }

    // Fixed: the new route is served and the status is clean again.
    gateway
        .manifests
        .write("route.yaml", &versioned_route("v2", "echo"))
        .unwrap();
    traffic.wait_for_tag("v2").await.unwrap();
    let status = gateway.status().await;
    assert_eq!(status["manifests"]["errors"], Value::Array(Vec::new()));
    assert_eq!(status["up_to_date"], true);
    let versions = assert_no_failures(traffic).await;
    assert!(!versions.contains_key("v-broken"), "{versions:?}");
    assert!(
        versions["v1"] >= 40,
        "the old route served throughout: {versions:?}"
    );
}
