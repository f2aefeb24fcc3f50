//! TrafficPolicy.transformation through the controller: `dynagate run` on a manifest directory, Envoy on
//! the bootstrap it prints, and the most specific attachment (rule > route > Gateway) winning.

#[path = "../support/controlled.rs"]
mod controlled;

use controlled::ControlledGateway;
use dynagate_e2e::{
    EchoUpstream, HttpRequest, eventually, gateway_manifest, static_backend_manifest,
};

/// HTTPRoute `app`: rule `special` for `/special`, an unnamed rule for everything else, both to `echo`.
const ROUTE: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: app, namespace: default}
spec:
  parentRefs: [{name: edge}]
  hostnames: [app.test]
  rules:
  - name: special
    matches: [{path: {type: PathPrefix, value: /special}}]
    backendRefs: [{group: gateway.kgateway.dev, kind: Backend, name: echo}]
  - matches: [{path: {type: PathPrefix, value: /}}]
    backendRefs: [{group: gateway.kgateway.dev, kind: Backend, name: echo}]
";

/// HTTPRoute `other`: no policy of its own, so the Gateway's applies.
const OTHER_ROUTE: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: other, namespace: default}
spec:
  parentRefs: [{name: edge}]
  hostnames: [other.test]
  rules:
  - backendRefs: [{group: gateway.kgateway.dev, kind: Backend, name: echo}]
";

/// A TrafficPolicy `name` targeting `target` that tags requests (`x-level`) and responses (`x-level-seen`,
/// with the client's `x-client` as the request arrived, read on the response side).
fn policy(name: &str, target: &str) -> String {
    format!(
        "apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {{name: {name}, namespace: default}}
spec:
  targetRefs: [{target}]
  transformation:
    request:
      set: [{{name: x-level, value: '{name}'}}]
    response:
      set: [{{name: x-level-seen, value: '{{{{ request_header(\"x-client\") }}}}-{name}'}}]
"
    )
}

#[tokio::test]
async fn the_most_specific_transformation_policy_wins_through_the_controller() {
    let upstream = EchoUpstream::start().await.unwrap();
    let files = [
        (
            "backend.yaml",
            static_backend_manifest("echo", upstream.addr()),
        ),
        ("route.yaml", ROUTE.to_owned()),
        ("other.yaml", OTHER_ROUTE.to_owned()),
        (
            "gateway-policy.yaml",
            policy(
                "gateway",
                "{group: gateway.networking.k8s.io, kind: Gateway, name: edge}",
            ),
        ),
        (
            "route-policy.yaml",
            policy(
                "route",
                "{group: gateway.networking.k8s.io, kind: HTTPRoute, name: app}",
            ),
        ),
        (
            "rule-policy.yaml",
            policy(
                "rule",
                "{group: gateway.networking.k8s.io, kind: HTTPRoute, name: app, sectionName: special}",
            ),
        ),
    ];
    let ControlledGateway {
        envoy: _envoy,
        controller,
        manifests: _manifests,
        addr: gateway,
        ..
    } = ControlledGateway::start(gateway_manifest, &files).await;

    for (host, path, level) in [
        ("app.test", "/special/x", "rule"),
        ("app.test", "/anything", "route"),
        ("other.test", "/", "gateway"),
    ] {
        let request = HttpRequest::get(path)
            .header("host", host)
            .header("x-client", "c1");
        let what = format!("{request:?} to be transformed by the {level} policy");
        let (upstream_saw, client_saw) = eventually(&what, || {
            let request = request.clone();
            async move {
                let response = request.send(gateway).await.map_err(|err| err.to_string())?;
                if response.status != 200 {
                    return Err(format!("{}: {}", response.status, response.text()));
                }
                let seen = response.echo().map_err(|err| err.to_string())?;
                Ok((
                    seen.header("x-level").map(str::to_owned),
                    response.header("x-level-seen").map(str::to_owned),
                ))
            }
        })
        .await
        .unwrap();
        assert_eq!(upstream_saw.as_deref(), Some(level), "{what}");
        // The response side of the same policy ran, reading the request as the client sent it.
        assert_eq!(client_saw, Some(format!("c1-{level}")), "{what}");
    }
    controller.stop().await.unwrap();
}
