//! The controller end to end: `dynagate run` on a manifest directory (in-process), a stock Envoy 1.40
//! started on the bootstrap `dynagate bootstrap` prints, and the echo upstream behind a kgateway Backend.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers should fail loudly"
)]

#[path = "support/controlled.rs"]
mod controlled;

use std::net::SocketAddr;

use controlled::ControlledGateway;
use dynagate_controller::run::Controller;
use dynagate_e2e::{
    EchoUpstream, HttpRequest, Value, eventually, gateway_manifest, static_backend_manifest,
};
use tokio::time::Instant;

/// One route to the echo Backend that tags requests with `x-version: <version>`.
fn route_yaml(version: &str) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: echo
  namespace: default
spec:
  parentRefs:
  - name: edge
  rules:
  - matches:
    - path:
        type: PathPrefix
        value: /echo
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set:
        - name: x-version
          value: {version}
    backendRefs:
    - group: gateway.kgateway.dev
      kind: Backend
      name: echo
"
    )
}

const BROKEN_POLICY: &str = "apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata:
  name: broken
  namespace: default
spec:
  transformaton: {}
";

/// The `x-version` the echo upstream saw for `GET /echo`, or `None` if the request did not reach it.
async fn version_seen(gateway: SocketAddr) -> Option<String> {
    let response = HttpRequest::get("/echo/hello").send(gateway).await.ok()?;
    if response.status != 200 {
        return None;
    }
    response.echo().ok()?.header("x-version").map(str::to_owned)
}

async fn controller_status(controller: &Controller) -> Value {
    let response = HttpRequest::get("/status")
        .send(controller.admin_addr())
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    response.json().unwrap()
}

/// The echo upstream, and a Gateway served through the controller that routes `/echo` to it with the
/// route tagging requests `x-version: version`.
async fn echo_gateway(version: &str) -> (EchoUpstream, ControlledGateway) {
    let upstream = EchoUpstream::start().await.unwrap();
    let files = [
        (
            "backend.yaml",
            static_backend_manifest("echo", upstream.addr()),
        ),
        ("route.yaml", route_yaml(version)),
    ];
    let served = ControlledGateway::start(gateway_manifest, &files).await;
    (upstream, served)
}

/// Polls until requests through `gateway` reach the echo upstream tagged `x-version: version`.
async fn wait_for_version(what: &str, gateway: SocketAddr, version: &str) {
    eventually(what, || async {
        match version_seen(gateway).await {
            Some(seen) if seen == version => Ok(()),
            other => Err(format!("x-version seen: {other:?}")),
        }
    })
    .await
    .unwrap();
}

/// The `x-version` of the first request through `gateway` that reaches the echo upstream.
async fn first_version_seen(what: &str, gateway: SocketAddr) -> String {
    eventually(what, || async {
        version_seen(gateway)
            .await
            .ok_or_else(|| "no request reached the echo upstream".to_owned())
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_manifest_directory_is_served_follows_changes_and_survives_a_broken_file() {
    let (_upstream, served) = echo_gateway("v1").await;
    let (gateway, manifests) = (served.addr, &served.manifests);

    // A route works.
    let seen = first_version_seen("the route to reach the echo upstream", gateway).await;
    assert_eq!(seen, "v1");

    // A manifest change is pushed.
    manifests.write("route.yaml", &route_yaml("v2")).unwrap();
    let started = Instant::now();
    wait_for_version("the changed route to take effect", gateway, "v2").await;
    eprintln!("change took effect after {:?}", started.elapsed());

    // An invalid manifest is reported and the last good configuration keeps serving.
    manifests.write("policy.yaml", BROKEN_POLICY).unwrap();
    let status = eventually("the broken file to be reported", || async {
        let status = controller_status(&served.controller).await;
        let reported = status["manifests"]["errors"]
            .as_array()
            .is_some_and(|errors| !errors.is_empty());
        if reported {
            Ok(status)
        } else {
            Err(format!("status: {status}"))
        }
    })
    .await
    .unwrap();
    assert_eq!(
        status["manifests"]["errors"][0]["field"],
        "spec.transformaton"
    );
    assert_eq!(status["up_to_date"], false);
    for _ in 0..5 {
        assert_eq!(
            version_seen(gateway).await.as_deref(),
            Some("v2"),
            "the last good route still serves"
        );
    }

    // Fixing the file publishes again; Envoy accepted everything it was sent.
    manifests.remove("policy.yaml").unwrap();
    manifests.write("route.yaml", &route_yaml("v3")).unwrap();
    wait_for_version("the fix to take effect", gateway, "v3").await;
    let status = controller_status(&served.controller).await;
    let envoys = status["xds"]["default/edge"]
        .as_object()
        .expect("the Envoy is tracked");
    for (id, envoy) in envoys {
        for (kind, delivery) in envoy["types"].as_object().unwrap() {
            assert_eq!(delivery["nacks"], 0, "{id} rejected {kind}: {delivery}");
        }
    }
    served.controller.stop().await.unwrap();
}

#[tokio::test]
async fn envoy_recovers_when_the_controller_restarts() {
    let (_upstream, served) = echo_gateway("before").await;
    let (gateway, manifests) = (served.addr, &served.manifests);
    let xds = served.controller.xds_addr();
    assert_eq!(
        first_version_seen("the first route", gateway).await,
        "before"
    );

    // Controller gone: Envoy keeps serving what it has.
    served.controller.stop().await.unwrap();
    assert_eq!(version_seen(gateway).await.as_deref(), Some("before"));

    // A new controller on the same address, with changed manifests: Envoy reconnects and follows.
    manifests.write("route.yaml", &route_yaml("after")).unwrap();
    let controller = Controller::start(manifests.path(), &xds.to_string(), "127.0.0.1:0")
        .await
        .unwrap();
    wait_for_version(
        "Envoy to reconnect and take the new route",
        gateway,
        "after",
    )
    .await;
    controller.stop().await.unwrap();
}
