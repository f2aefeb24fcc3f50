//! Backend references (`backendRefs`, mirror targets) -> the cluster that serves them, or why not.

use dynagate_api::gateway::GROUP as GATEWAY_GROUP;
use dynagate_api::kgateway;

use super::reasons::*;
use super::refs;
use crate::resources::{NsName, Resources};

pub(crate) mod lambda;

/// A backend reference as written, whatever struct it came from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BackendRef<'a> {
    pub(crate) group: Option<&'a str>,
    pub(crate) kind: Option<&'a str>,
    pub(crate) name: &'a str,
    pub(crate) namespace: Option<&'a str>,
    pub(crate) port: Option<i32>,
}

/// Where a cluster's endpoints come from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ClusterSource {
    /// A Service port, endpoints by EDS from EndpointSlices.
    Service { service: NsName, port: i32 },
    /// A Service of type ExternalName: DNS.
    ExternalName {
        host: String,
        port: i32,
        http2: bool,
    },
    /// A kgateway Backend with static hosts.
    StaticBackend { backend: NsName },
    /// A kgateway Backend with `aws.lambda`: the Lambda endpoint behind the `aws_lambda`
    /// upstream filter (config rebuilt from the Backend, so no secret sits in this value).
    LambdaBackend { backend: NsName },
}

/// A resolved backend: the Envoy cluster name and how to build it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ClusterRef {
    pub(crate) name: String,
    pub(crate) source: ClusterSource,
}

/// Why a reference did not resolve: a route `ResolvedRefs` reason and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BackendError {
    pub(crate) reason: &'static str,
    pub(crate) message: String,
}

impl BackendError {
    fn new(reason: &'static str, message: String) -> Self {
        Self { reason, message }
    }
}

/// Resolves a reference made by an HTTPRoute in `route_namespace`.
pub(crate) fn resolve(
    resources: &Resources,
    route_namespace: &str,
    reference: BackendRef<'_>,
) -> Result<ClusterRef, BackendError> {
    let group = reference.group.unwrap_or("");
    let kind = reference.kind.unwrap_or("Service");
    let namespace = reference.namespace.unwrap_or(route_namespace);
    let name = reference.name;
    let from = refs::From {
        group: GATEWAY_GROUP,
        kind: "HTTPRoute",
        namespace: route_namespace,
    };
    match (group, kind) {
        ("", "Service") => {
            if !refs::reference_allowed(resources, from, "", "Service", namespace, name) {
                return Err(not_permitted("Service", namespace, name));
            }
            resolve_service(resources, namespace, name, reference.port)
        }
        (kgateway::GROUP, "Backend") => {
            if !refs::reference_allowed(
                resources,
                from,
                kgateway::GROUP,
                "Backend",
                namespace,
                name,
            ) {
                return Err(not_permitted("Backend", namespace, name));
            }
            resolve_backend(resources, namespace, name)
        }
        _ => Err(BackendError::new(
            R_INVALID_KIND,
            format!(
                "backend kind {group}/{kind} is not supported (Service and gateway.kgateway.dev/Backend are)"
            ),
        )),
    }
}

fn not_permitted(kind: &str, namespace: &str, name: &str) -> BackendError {
    BackendError::new(
        R_REF_NOT_PERMITTED,
        format!("no ReferenceGrant allows a reference to {kind} {namespace}/{name}"),
    )
}

fn resolve_service(
    resources: &Resources,
    namespace: &str,
    name: &str,
    port: Option<i32>,
) -> Result<ClusterRef, BackendError> {
    let key = (namespace.to_owned(), name.to_owned());
    let Some(service) = resources.services.get(&key) else {
        return Err(BackendError::new(
            R_BACKEND_NOT_FOUND,
            format!("Service {namespace}/{name} not found"),
        ));
    };
    let Some(port) = port else {
        return Err(BackendError::new(
            R_UNSUPPORTED_VALUE,
            format!("backendRef to Service {namespace}/{name} needs a port"),
        ));
    };
    let spec = service.spec.as_ref();
    let cluster_name = format!("kube_{namespace}_{name}_{port}");
    if spec.and_then(|s| s.type_.as_deref()) == Some("ExternalName") {
        let Some(host) = spec.and_then(|s| s.external_name.clone()) else {
            return Err(BackendError::new(
                R_UNSUPPORTED_VALUE,
                format!("ExternalName Service {namespace}/{name} has no externalName"),
            ));
        };
        let http2 = service_port_is_http2(
            spec.and_then(|s| s.ports.as_ref())
                .and_then(|ports| ports.iter().find(|p| p.port == port)),
        );
        return Ok(ClusterRef {
            name: cluster_name,
            source: ClusterSource::ExternalName { host, port, http2 },
        });
    }
    let has_port = spec
        .and_then(|s| s.ports.as_ref())
        .is_some_and(|ports| ports.iter().any(|p| p.port == port));
    if !has_port {
        return Err(BackendError::new(
            R_BACKEND_NOT_FOUND,
            format!("Service {namespace}/{name} has no port {port}"),
        ));
    }
    Ok(ClusterRef {
        name: cluster_name,
        source: ClusterSource::Service { service: key, port },
    })
}

/// HTTP/2 to the upstream when the port's appProtocol says so.
pub(crate) fn service_port_is_http2(
    port: Option<&dynagate_api::k8s_openapi::api::core::v1::ServicePort>,
) -> bool {
    port.and_then(|p| p.app_protocol.as_deref())
        .is_some_and(is_http2_app_protocol)
}

pub(crate) fn is_http2_app_protocol(app_protocol: &str) -> bool {
    matches!(app_protocol, "http2" | "grpc" | "kubernetes.io/h2c")
}

fn resolve_backend(
    resources: &Resources,
    namespace: &str,
    name: &str,
) -> Result<ClusterRef, BackendError> {
    let key = (namespace.to_owned(), name.to_owned());
    let Some(backend) = resources.backends.get(&key) else {
        return Err(BackendError::new(
            R_BACKEND_NOT_FOUND,
            format!("Backend {namespace}/{name} not found"),
        ));
    };
    match super::backend_status::backend_problem(resources, namespace, &backend.spec) {
        None if backend.spec.aws.is_some() => Ok(ClusterRef {
            name: format!("backend_{namespace}_{name}"),
            source: ClusterSource::LambdaBackend { backend: key },
        }),
        None => Ok(ClusterRef {
            name: format!("backend_{namespace}_{name}"),
            source: ClusterSource::StaticBackend { backend: key },
        }),
        Some(problem) => Err(BackendError::new(
            R_UNSUPPORTED_VALUE,
            format!("Backend {namespace}/{name}: {problem}"),
        )),
    }
}
