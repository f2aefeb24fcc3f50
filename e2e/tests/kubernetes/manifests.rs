//! The objects a user applies with kubectl: a Gateway of the chart's class, an HTTPRoute to a Service whose
//! EndpointSlice points at a local echo server, and a TrafficPolicy transforming the route's requests.

use std::net::SocketAddr;

/// Where the application objects live (not the controller's namespace).
pub const APP_NAMESPACE: &str = "shop";
/// The Gateway; the deployer names its proxy objects after it.
pub const GATEWAY: &str = "edge";
/// The HTTPRoute, its hostname, the backend Service and the TrafficPolicy.
pub const ROUTE: &str = "app";
pub const HOSTNAME: &str = "app.shop.test";
pub const SERVICE: &str = "echo";
pub const POLICY: &str = "tag-requests";
/// The request header the TrafficPolicy sets, and the response header echoing the client's header.
pub const TAG_HEADER: &str = "x-policy-tag";
pub const SEEN_HEADER: &str = "x-policy-seen";

/// The namespace of the application objects.
pub fn namespace() -> String {
    format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: {APP_NAMESPACE}}}\n")
}

/// A Gateway of class `dynagate` with one HTTP listener on `port`.
pub fn gateway(port: u16) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: {GATEWAY}, namespace: {APP_NAMESPACE}}}
spec:
  gatewayClassName: dynagate
  listeners:
  - {{name: http, protocol: HTTP, port: {port}}}
"
    )
}

/// HTTPRoute `app` on the Gateway: every path of [`HOSTNAME`] to Service `echo` port 80.
pub fn route() -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: {ROUTE}, namespace: {APP_NAMESPACE}}}
spec:
  parentRefs: [{{name: {GATEWAY}}}]
  hostnames: [{HOSTNAME}]
  rules:
  - matches: [{{path: {{type: PathPrefix, value: /}}}}]
    backendRefs: [{{name: {SERVICE}, port: 80}}]
"
    )
}

/// Service `echo` (port 80) and the EndpointSlice a kubelet-less cluster needs someone to write: one ready
/// endpoint, the echo server at `echo`. `discovery.k8s.io/v1beta1`, the only version Kubernetes 1.20 has.
pub fn backend(echo: SocketAddr) -> String {
    format!(
        "apiVersion: v1
kind: Service
metadata: {{name: {SERVICE}, namespace: {APP_NAMESPACE}}}
spec:
  selector: {{app: {SERVICE}}}
  ports: [{{name: http, port: 80, targetPort: {port}, protocol: TCP}}]
---
apiVersion: discovery.k8s.io/v1beta1
kind: EndpointSlice
metadata:
  name: {SERVICE}-local
  namespace: {APP_NAMESPACE}
  labels: {{kubernetes.io/service-name: {SERVICE}}}
addressType: IPv4
ports: [{{name: http, port: {port}, protocol: TCP}}]
endpoints:
- addresses: ['{ip}']
  conditions: {{ready: true}}
",
        port = echo.port(),
        ip = echo.ip(),
    )
}

/// TrafficPolicy `tag-requests` on the route: requests get `x-policy-tag: <tag>`, responses
/// `x-policy-seen: <the client's x-client>-<tag>` (a template, so a broken one is a translation error).
pub fn policy(tag: &str) -> String {
    policy_with_template(
        tag,
        &format!("{{{{ request_header(\"x-client\") }}}}-{tag}"),
    )
}

/// The same policy, with `response_template` as the value of the response header. The CRD schema takes
/// any string; only the controller's template compiler can reject it.
pub fn policy_with_template(tag: &str, response_template: &str) -> String {
    format!(
        "apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {{name: {POLICY}, namespace: {APP_NAMESPACE}}}
spec:
  targetRefs: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, name: {ROUTE}}}]
  transformation:
    request:
      set: [{{name: {TAG_HEADER}, value: '{tag}'}}]
    response:
      set: [{{name: {SEEN_HEADER}, value: '{response_template}'}}]
"
    )
}
