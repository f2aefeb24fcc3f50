//! Manifests every controller test needs: the Gateway under test and backends pointing at local servers.

use std::net::SocketAddr;

/// The GatewayClass [`gateway_manifest`] declares (with the controller's `controllerName`).
pub const GATEWAY_CLASS: &str = "dynagate";
/// Namespace of the Gateway [`gateway_manifest`] declares; also where the other builders put objects.
pub const GATEWAY_NAMESPACE: &str = "default";
/// Name of the Gateway [`gateway_manifest`] declares.
pub const GATEWAY_NAME: &str = "edge";

/// The GatewayClass and Gateway `default/edge` with one HTTP listener named `http` on `port`, accepting
/// routes from its own namespace.
pub fn gateway_manifest(port: u16) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: {GATEWAY_CLASS}
spec:
  controllerName: dynagate.dev/gateway-controller
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: {GATEWAY_NAME}
  namespace: {GATEWAY_NAMESPACE}
spec:
  gatewayClassName: {GATEWAY_CLASS}
  listeners:
  - name: http
    protocol: HTTP
    port: {port}
"
    )
}

/// A kgateway `Backend` named `name` with one static host: `upstream`.
pub fn static_backend_manifest(name: &str, upstream: SocketAddr) -> String {
    format!(
        "apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata:
  name: {name}
  namespace: {GATEWAY_NAMESPACE}
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

/// A Service named `name` exposing port `service_port` (port name `http`), and the EndpointSlice that
/// lists `upstream` as its one ready endpoint, as Kubernetes would publish for a Pod listening there.
pub fn endpoint_service_manifest(name: &str, service_port: u16, upstream: SocketAddr) -> String {
    format!(
        "apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {GATEWAY_NAMESPACE}
spec:
  ports:
  - name: http
    port: {service_port}
    targetPort: {target}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: {name}-1
  namespace: {GATEWAY_NAMESPACE}
  labels:
    kubernetes.io/service-name: {name}
addressType: IPv4
ports:
- name: http
  port: {target}
endpoints:
- addresses:
  - \"{ip}\"
  conditions:
    ready: true
",
        target = upstream.port(),
        ip = upstream.ip(),
    )
}
