//! The controller end to end: `dynagate run` on a manifest directory (in-process), a stock Envoy 1.40
//! started on the bootstrap `dynagate bootstrap` prints, and the echo upstream behind a kgateway Backend.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers should fail loudly"
)]

use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::Duration;

use dynagate_controller::bootstrap::{BootstrapParams, GatewayKey};
use dynagate_controller::run::Controller;
use dynagate_e2e::{EchoUpstream, Envoy, EnvoyOptions, HttpRequest, Value, module_dir};
use tokio::time::Instant;

/// Generous: Envoy reconnects with backoff, and the machine may be busy compiling.
const DEADLINE: Duration = Duration::from_secs(20);

/// A port for the Gateway listener. The Gateway API needs a real port in the manifest, so this binds
/// port 0 and releases it for Envoy to take (a narrow race with other processes, not with fixed numbers).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn gateway_yaml(port: u16) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: dynagate
spec:
  controllerName: dynagate.dev/gateway-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: edge
  namespace: default
spec:
  gatewayClassName: dynagate
  listeners:
  - name: http
    protocol: HTTP
    port: {port}
"
    )
}

fn backend_yaml(upstream: SocketAddr) -> String {
    format!(
        "apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata:
  name: echo
  namespace: default
spec:
  type: Static
  static:
    hosts:
    - host: {}
      port: {}
",
        upstream.ip(),
        upstream.port()
    )
}

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

/// Writes atomically (write + rename), as editors and `kubectl`-style tools do, so the watcher never
/// reads half a file.
fn write(dir: &Path, name: &str, text: &str) {
    let staged = dir.join(format!(".{name}.tmp"));
    std::fs::write(&staged, text).unwrap();
    std::fs::rename(&staged, dir.join(name)).unwrap();
}

/// Polls `probe` until it yields a value or the deadline passes.
async fn eventually<T, F: Future<Output = Option<T>>>(
    what: &str,
    mut probe: impl FnMut() -> F,
) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {DEADLINE:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

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

/// Starts Envoy on the bootstrap for Gateway default/edge and returns it with its Gateway listener.
async fn start_envoy(work: &Path, controller: &Controller, port: u16) -> (Envoy, SocketAddr) {
    let mut params = BootstrapParams::new(
        GatewayKey::new("default", "edge"),
        controller.xds_addr().to_string().parse().unwrap(),
    );
    params.admin_port = 0;
    params.module_dir = Some(module_dir().unwrap());
    let config = work.join("envoy.yaml");
    std::fs::write(&config, params.render_yaml().unwrap()).unwrap();
    let envoy = Envoy::start_from_file(&config, EnvoyOptions::default())
        .await
        .unwrap();
    let listener = envoy
        .wait_for_listener(&format!("listener~{port}"))
        .await
        .unwrap();
    (envoy, listener)
}

#[tokio::test]
async fn a_manifest_directory_is_served_follows_changes_and_survives_a_broken_file() {
    let upstream = EchoUpstream::start().await.unwrap();
    let manifests = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let port = free_port();
    write(manifests.path(), "gateway.yaml", &gateway_yaml(port));
    write(
        manifests.path(),
        "backend.yaml",
        &backend_yaml(upstream.addr()),
    );
    write(manifests.path(), "route.yaml", &route_yaml("v1"));

    let controller = Controller::start(manifests.path(), "127.0.0.1:0", "127.0.0.1:0")
        .await
        .unwrap();
    let (_envoy, gateway) = start_envoy(work.path(), &controller, port).await;

    // A route works.
    let seen = eventually("the route to reach the echo upstream", || {
        version_seen(gateway)
    })
    .await;
    assert_eq!(seen, "v1");

    // A manifest change is pushed.
    write(manifests.path(), "route.yaml", &route_yaml("v2"));
    let started = Instant::now();
    eventually("the changed route to take effect", || async {
        (version_seen(gateway).await.as_deref() == Some("v2")).then_some(())
    })
    .await;
    eprintln!("change took effect after {:?}", started.elapsed());

    // An invalid manifest is reported and the last good configuration keeps serving.
    write(manifests.path(), "policy.yaml", BROKEN_POLICY);
    let status = eventually("the broken file to be reported", || async {
        let status = controller_status(&controller).await;
        let reported = status["manifests"]["errors"]
            .as_array()
            .is_some_and(|errors| !errors.is_empty());
        reported.then_some(status)
    })
    .await;
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
    std::fs::remove_file(manifests.path().join("policy.yaml")).unwrap();
    write(manifests.path(), "route.yaml", &route_yaml("v3"));
    eventually("the fix to take effect", || async {
        (version_seen(gateway).await.as_deref() == Some("v3")).then_some(())
    })
    .await;
    let status = controller_status(&controller).await;
    let envoys = status["xds"]["default/edge"]
        .as_object()
        .expect("the Envoy is tracked");
    for (id, envoy) in envoys {
        for (kind, delivery) in envoy["types"].as_object().unwrap() {
            assert_eq!(delivery["nacks"], 0, "{id} rejected {kind}: {delivery}");
        }
    }
    controller.stop().await.unwrap();
}

#[tokio::test]
async fn envoy_recovers_when_the_controller_restarts() {
    let upstream = EchoUpstream::start().await.unwrap();
    let manifests = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let port = free_port();
    write(manifests.path(), "gateway.yaml", &gateway_yaml(port));
    write(
        manifests.path(),
        "backend.yaml",
        &backend_yaml(upstream.addr()),
    );
    write(manifests.path(), "route.yaml", &route_yaml("before"));

    let controller = Controller::start(manifests.path(), "127.0.0.1:0", "127.0.0.1:0")
        .await
        .unwrap();
    let xds = controller.xds_addr();
    let (_envoy, gateway) = start_envoy(work.path(), &controller, port).await;
    assert_eq!(
        eventually("the first route", || version_seen(gateway)).await,
        "before"
    );

    // Controller gone: Envoy keeps serving what it has.
    controller.stop().await.unwrap();
    assert_eq!(version_seen(gateway).await.as_deref(), Some("before"));

    // A new controller on the same address, with changed manifests: Envoy reconnects and follows.
    write(manifests.path(), "route.yaml", &route_yaml("after"));
    let controller = Controller::start(manifests.path(), &xds.to_string(), "127.0.0.1:0")
        .await
        .unwrap();
    eventually("Envoy to reconnect and take the new route", || async {
        (version_seen(gateway).await.as_deref() == Some("after")).then_some(())
    })
    .await;
    controller.stop().await.unwrap();
}
