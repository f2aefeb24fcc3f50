//! `rateLimit.local` through the controller: `dynagate run` on a manifest directory, Envoy on the
//! bootstrap it prints. A Gateway-level policy is one bucket for all its routes, `local: {}` exempts a
//! route, and a config push that changes one policy leaves the other buckets as they were.

#[path = "../support/controlled.rs"]
mod controlled;

use controlled::ControlledGateway;
use dynagate_e2e::{
    EchoUpstream, HttpRequest, eventually, gateway_manifest, static_backend_manifest,
};

/// HTTPRoute `name` for `/name` to the echo Backend.
fn route(name: &str) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {name}, namespace: default}}
spec:
  parentRefs: [{{name: edge}}]
  rules:
  - matches: [{{path: {{type: PathPrefix, value: /{name}}}}}]
    backendRefs: [{{group: gateway.kgateway.dev, kind: Backend, name: echo}}]
"
    )
}

/// TrafficPolicy `name` on `target` with `rateLimit.local: local`.
fn policy(name: &str, target: &str, local: &str) -> String {
    format!(
        "apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {{name: {name}, namespace: default}}
spec:
  targetRefs: [{target}]
  rateLimit:
    local: {local}
"
    )
}

fn on_route(name: &str) -> String {
    format!("{{group: gateway.networking.k8s.io, kind: HTTPRoute, name: {name}}}")
}

fn bucket(max_tokens: u32) -> String {
    format!("{{tokenBucket: {{maxTokens: {max_tokens}, fillInterval: 1h}}}}")
}

async fn status_of(gateway: std::net::SocketAddr, path: &str) -> u16 {
    HttpRequest::get(path)
        .send(gateway)
        .await
        .unwrap()
        .status
        .as_u16()
}

#[tokio::test]
async fn gateway_buckets_are_shared_exemptions_hold_and_a_push_keeps_unrelated_buckets() {
    let upstream = EchoUpstream::start().await.unwrap();
    let mut files = vec![
        (
            "backend.yaml".to_owned(),
            static_backend_manifest("echo", upstream.addr()),
        ),
        (
            "edge-limit.yaml".to_owned(),
            policy(
                "edge-limit",
                "{group: gateway.networking.k8s.io, kind: Gateway, name: edge}",
                &bucket(3),
            ),
        ),
        (
            "drained-limit.yaml".to_owned(),
            policy("drained-limit", &on_route("drained"), &bucket(2)),
        ),
        (
            "other-limit.yaml".to_owned(),
            policy("other-limit", &on_route("other"), &bucket(5)),
        ),
        (
            "exempt.yaml".to_owned(),
            policy("exempt", &on_route("free"), "{}"),
        ),
    ];
    for name in ["g1", "g2", "drained", "other", "free"] {
        files.push((format!("route-{name}.yaml"), route(name)));
    }
    let ControlledGateway {
        envoy: _envoy,
        controller,
        manifests,
        addr: gateway,
        ..
    } = ControlledGateway::start(gateway_manifest, &files).await;

    // The exempt route takes no tokens, so polling it for readiness costs no bucket anything.
    eventually("the routes to be served", || async {
        match HttpRequest::get("/free").send(gateway).await {
            Ok(response) if response.status == 200 => Ok(()),
            Ok(response) => Err(format!("{}: {}", response.status, response.text())),
            Err(err) => Err(err.to_string()),
        }
    })
    .await
    .unwrap();
    for _ in 0..5 {
        assert_eq!(
            status_of(gateway, "/free").await,
            200,
            "local: {{}} exempts"
        );
    }

    // The Gateway's policy: one bucket of 3 for /g1 and /g2 together.
    let mut admitted = 0;
    for path in ["/g1", "/g2", "/g1", "/g2", "/g1", "/g2"] {
        if status_of(gateway, path).await == 200 {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 3);

    // Drain the route-level bucket.
    let drained: Vec<u16> = [
        status_of(gateway, "/drained").await,
        status_of(gateway, "/drained").await,
        status_of(gateway, "/drained").await,
    ]
    .into();
    assert_eq!(drained, [200, 200, 429]);

    // Push a change to another policy; wait until Envoy runs it.
    manifests
        .write(
            "other-limit.yaml",
            &policy("other-limit", &on_route("other"), &bucket(6)),
        )
        .unwrap();
    eventually("the changed limit to be served on /other", || async {
        let response = HttpRequest::get("/other")
            .send(gateway)
            .await
            .map_err(|err| err.to_string())?;
        match response.header("x-ratelimit-limit") {
            Some("6") => Ok(()),
            other => Err(format!("{}: x-ratelimit-limit {other:?}", response.status)),
        }
    })
    .await
    .unwrap();

    // The untouched buckets kept their state through the push: still empty.
    assert_eq!(status_of(gateway, "/drained").await, 429);
    assert_eq!(status_of(gateway, "/g1").await, 429);
    assert_eq!(status_of(gateway, "/free").await, 200);
    controller.stop().await.unwrap();
}
