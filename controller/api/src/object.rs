//! One enum over every object kind the controller reads, with the identity helpers the index needs.

use std::fmt;

use k8s_openapi::api::core::v1::{Namespace, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::gateway::{Gateway, GatewayClass, HttpRoute, ReferenceGrant};
use crate::kgateway::{
    Backend, DirectResponse, GatewayParameters, HttpListenerPolicy, ListenerPolicy, TrafficPolicy,
};

/// Namespace given to namespaced objects whose manifest has none (what `kubectl apply` would do).
pub const DEFAULT_NAMESPACE: &str = "default";

/// Every kind the controller understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    /// `gateway.networking.k8s.io/GatewayClass` (cluster scoped).
    GatewayClass,
    /// `gateway.networking.k8s.io/Gateway`.
    Gateway,
    /// `gateway.networking.k8s.io/HTTPRoute`.
    HttpRoute,
    /// `gateway.networking.k8s.io/ReferenceGrant`.
    ReferenceGrant,
    /// Core `Service`.
    Service,
    /// `discovery.k8s.io/EndpointSlice`.
    EndpointSlice,
    /// Core `Secret`.
    Secret,
    /// Core `Namespace` (cluster scoped).
    Namespace,
    /// `gateway.kgateway.dev/TrafficPolicy`.
    TrafficPolicy,
    /// `gateway.kgateway.dev/Backend`.
    Backend,
    /// `gateway.kgateway.dev/DirectResponse`.
    DirectResponse,
    /// `gateway.kgateway.dev/HTTPListenerPolicy`.
    HttpListenerPolicy,
    /// `gateway.kgateway.dev/ListenerPolicy`.
    ListenerPolicy,
    /// `gateway.kgateway.dev/GatewayParameters`.
    GatewayParameters,
}

impl ObjectKind {
    /// Every kind, in a fixed order.
    pub const ALL: [ObjectKind; 14] = [
        ObjectKind::GatewayClass,
        ObjectKind::Gateway,
        ObjectKind::HttpRoute,
        ObjectKind::ReferenceGrant,
        ObjectKind::Service,
        ObjectKind::EndpointSlice,
        ObjectKind::Secret,
        ObjectKind::Namespace,
        ObjectKind::TrafficPolicy,
        ObjectKind::Backend,
        ObjectKind::DirectResponse,
        ObjectKind::HttpListenerPolicy,
        ObjectKind::ListenerPolicy,
        ObjectKind::GatewayParameters,
    ];

    /// API group ("" for the core group).
    pub fn group(self) -> &'static str {
        match self {
            Self::GatewayClass | Self::Gateway | Self::HttpRoute | Self::ReferenceGrant => {
                crate::gateway::GROUP
            }
            Self::Service | Self::Secret | Self::Namespace => "",
            Self::EndpointSlice => "discovery.k8s.io",
            Self::TrafficPolicy
            | Self::Backend
            | Self::DirectResponse
            | Self::HttpListenerPolicy
            | Self::ListenerPolicy
            | Self::GatewayParameters => crate::kgateway::GROUP,
        }
    }

    /// The `kind` string as written in manifests.
    pub fn name(self) -> &'static str {
        match self {
            Self::GatewayClass => "GatewayClass",
            Self::Gateway => "Gateway",
            Self::HttpRoute => "HTTPRoute",
            Self::ReferenceGrant => "ReferenceGrant",
            Self::Service => "Service",
            Self::EndpointSlice => "EndpointSlice",
            Self::Secret => "Secret",
            Self::Namespace => "Namespace",
            Self::TrafficPolicy => "TrafficPolicy",
            Self::Backend => "Backend",
            Self::DirectResponse => "DirectResponse",
            Self::HttpListenerPolicy => "HTTPListenerPolicy",
            Self::ListenerPolicy => "ListenerPolicy",
            Self::GatewayParameters => "GatewayParameters",
        }
    }

    /// Whether objects of this kind live in a namespace.
    pub fn is_namespaced(self) -> bool {
        !matches!(self, Self::GatewayClass | Self::Namespace)
    }

    /// Whether this is one of our (kgateway-compatible) CRDs, whose unknown fields are errors.
    pub fn is_kgateway(self) -> bool {
        self.group() == crate::kgateway::GROUP
    }

    /// The kind for a `group` and `kind` pair, if we know it (any served version).
    pub fn from_group_kind(group: &str, kind: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.group() == group && k.name() == kind)
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Identity of an object: kind, namespace ("" when cluster scoped) and name. Orders deterministically.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    /// Kind.
    pub kind: ObjectKind,
    /// Namespace, empty for cluster-scoped kinds.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ObjectKey {
    /// A key from its parts.
    pub fn new(kind: ObjectKind, namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            kind,
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// One typed object read from a manifest or from the API server.
#[derive(Clone, Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "objects are moved into maps once; boxing buys nothing"
)]
pub enum Object {
    /// A GatewayClass.
    GatewayClass(GatewayClass),
    /// A Gateway.
    Gateway(Gateway),
    /// An HTTPRoute.
    HttpRoute(HttpRoute),
    /// A ReferenceGrant.
    ReferenceGrant(ReferenceGrant),
    /// A Service.
    Service(Service),
    /// An EndpointSlice.
    EndpointSlice(EndpointSlice),
    /// A Secret.
    Secret(Secret),
    /// A Namespace.
    Namespace(Namespace),
    /// A TrafficPolicy.
    TrafficPolicy(TrafficPolicy),
    /// A Backend.
    Backend(Backend),
    /// A DirectResponse.
    DirectResponse(DirectResponse),
    /// An HTTPListenerPolicy.
    HttpListenerPolicy(HttpListenerPolicy),
    /// A ListenerPolicy.
    ListenerPolicy(ListenerPolicy),
    /// A GatewayParameters.
    GatewayParameters(GatewayParameters),
}

impl Object {
    /// The kind of this object.
    pub fn kind(&self) -> ObjectKind {
        match self {
            Self::GatewayClass(_) => ObjectKind::GatewayClass,
            Self::Gateway(_) => ObjectKind::Gateway,
            Self::HttpRoute(_) => ObjectKind::HttpRoute,
            Self::ReferenceGrant(_) => ObjectKind::ReferenceGrant,
            Self::Service(_) => ObjectKind::Service,
            Self::EndpointSlice(_) => ObjectKind::EndpointSlice,
            Self::Secret(_) => ObjectKind::Secret,
            Self::Namespace(_) => ObjectKind::Namespace,
            Self::TrafficPolicy(_) => ObjectKind::TrafficPolicy,
            Self::Backend(_) => ObjectKind::Backend,
            Self::DirectResponse(_) => ObjectKind::DirectResponse,
            Self::HttpListenerPolicy(_) => ObjectKind::HttpListenerPolicy,
            Self::ListenerPolicy(_) => ObjectKind::ListenerPolicy,
            Self::GatewayParameters(_) => ObjectKind::GatewayParameters,
        }
    }

    /// The object's metadata.
    pub fn meta(&self) -> &ObjectMeta {
        match self {
            Self::GatewayClass(o) => &o.metadata,
            Self::Gateway(o) => &o.metadata,
            Self::HttpRoute(o) => &o.metadata,
            Self::ReferenceGrant(o) => &o.metadata,
            Self::Service(o) => &o.metadata,
            Self::EndpointSlice(o) => &o.metadata,
            Self::Secret(o) => &o.metadata,
            Self::Namespace(o) => &o.metadata,
            Self::TrafficPolicy(o) => &o.metadata,
            Self::Backend(o) => &o.metadata,
            Self::DirectResponse(o) => &o.metadata,
            Self::HttpListenerPolicy(o) => &o.metadata,
            Self::ListenerPolicy(o) => &o.metadata,
            Self::GatewayParameters(o) => &o.metadata,
        }
    }

    /// Mutable metadata (the loader uses it to default the namespace).
    pub fn meta_mut(&mut self) -> &mut ObjectMeta {
        match self {
            Self::GatewayClass(o) => &mut o.metadata,
            Self::Gateway(o) => &mut o.metadata,
            Self::HttpRoute(o) => &mut o.metadata,
            Self::ReferenceGrant(o) => &mut o.metadata,
            Self::Service(o) => &mut o.metadata,
            Self::EndpointSlice(o) => &mut o.metadata,
            Self::Secret(o) => &mut o.metadata,
            Self::Namespace(o) => &mut o.metadata,
            Self::TrafficPolicy(o) => &mut o.metadata,
            Self::Backend(o) => &mut o.metadata,
            Self::DirectResponse(o) => &mut o.metadata,
            Self::HttpListenerPolicy(o) => &mut o.metadata,
            Self::ListenerPolicy(o) => &mut o.metadata,
            Self::GatewayParameters(o) => &mut o.metadata,
        }
    }

    /// Name ("" if the manifest had none; the loader rejects that).
    pub fn name(&self) -> &str {
        self.meta().name.as_deref().unwrap_or_default()
    }

    /// Namespace ("" for cluster-scoped kinds).
    pub fn namespace(&self) -> &str {
        if self.kind().is_namespaced() {
            self.meta()
                .namespace
                .as_deref()
                .unwrap_or(DEFAULT_NAMESPACE)
        } else {
            ""
        }
    }

    /// Identity of this object.
    pub fn key(&self) -> ObjectKey {
        ObjectKey::new(self.kind(), self.namespace(), self.name())
    }
}
