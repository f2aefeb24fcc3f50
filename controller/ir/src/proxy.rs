//! What one Envoy (one Gateway) is served: xDS resources, sorted by name, ready to be packed.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use envoy_types::pb::envoy::config::cluster::v3::Cluster;
use envoy_types::pb::envoy::config::endpoint::v3::ClusterLoadAssignment;
use envoy_types::pb::envoy::config::listener::v3::Listener;
use envoy_types::pb::envoy::config::route::v3::RouteConfiguration;
use envoy_types::pb::envoy::extensions::transport_sockets::tls::v3::Secret;
use envoy_types::pb::google::protobuf::Any;
use prost::Name;

/// The xDS type URLs we serve, in the order a State-of-the-World push should go (clusters and their
/// endpoints before the listeners and routes that use them).
pub mod type_url {
    /// CDS.
    pub const CLUSTER: &str = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    /// EDS.
    pub const CLUSTER_LOAD_ASSIGNMENT: &str =
        "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
    /// LDS.
    pub const LISTENER: &str = "type.googleapis.com/envoy.config.listener.v3.Listener";
    /// RDS.
    pub const ROUTE_CONFIGURATION: &str =
        "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
    /// SDS.
    pub const SECRET: &str = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";
    /// Every type above, in push order.
    pub const ALL: [&str; 5] = [
        CLUSTER,
        CLUSTER_LOAD_ASSIGNMENT,
        LISTENER,
        ROUTE_CONFIGURATION,
        SECRET,
    ];
}

/// Identity of a Gateway, and so of the Envoy serving it. Displays and parses as `namespace/name`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GatewayKey {
    /// Gateway namespace.
    pub namespace: String,
    /// Gateway name.
    pub name: String,
}

impl GatewayKey {
    /// A key from its parts.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for GatewayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// `namespace/name` was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected NAMESPACE/NAME, got {0:?}")]
pub struct GatewayKeyParseError(pub String);

impl FromStr for GatewayKey {
    type Err = GatewayKeyParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('/') {
            Some((namespace, name))
                if !namespace.is_empty() && !name.is_empty() && !name.contains('/') =>
            {
                Ok(Self::new(namespace, name))
            }
            _ => Err(GatewayKeyParseError(s.to_owned())),
        }
    }
}

/// The complete xDS configuration of one Gateway's Envoy. Every list is sorted by resource name, so the
/// same input always gives byte-identical resources.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProxyConfig {
    /// LDS: one listener per Gateway port.
    pub listeners: Vec<Listener>,
    /// RDS: one route configuration per HTTP port (per HTTPS filter chain).
    pub route_configs: Vec<RouteConfiguration>,
    /// CDS: one cluster per backend (Service port or Backend).
    pub clusters: Vec<Cluster>,
    /// EDS: endpoints of every EDS cluster.
    pub endpoints: Vec<ClusterLoadAssignment>,
    /// SDS: certificates of HTTPS listeners.
    pub secrets: Vec<Secret>,
}

/// One named resource packed for a `DiscoveryResponse`.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedResource {
    /// Resource name (what Envoy subscribes to).
    pub name: String,
    /// The packed resource.
    pub resource: Any,
}

impl ProxyConfig {
    /// Every resource packed, grouped by type URL (all five types present, possibly empty), each group
    /// sorted by name.
    pub fn resources_by_type(&self) -> BTreeMap<&'static str, Vec<NamedResource>> {
        let mut by_type = BTreeMap::new();
        by_type.insert(type_url::CLUSTER, pack_all(&self.clusters, |c| &c.name));
        by_type.insert(
            type_url::CLUSTER_LOAD_ASSIGNMENT,
            pack_all(&self.endpoints, |e| &e.cluster_name),
        );
        by_type.insert(type_url::LISTENER, pack_all(&self.listeners, |l| &l.name));
        by_type.insert(
            type_url::ROUTE_CONFIGURATION,
            pack_all(&self.route_configs, |r| &r.name),
        );
        by_type.insert(type_url::SECRET, pack_all(&self.secrets, |s| &s.name));
        by_type
    }

    /// Sorts every list by resource name (translation calls this; exposed for hand-built configs).
    pub fn sort(&mut self) {
        self.listeners.sort_by(|a, b| a.name.cmp(&b.name));
        self.route_configs.sort_by(|a, b| a.name.cmp(&b.name));
        self.clusters.sort_by(|a, b| a.name.cmp(&b.name));
        self.endpoints
            .sort_by(|a, b| a.cluster_name.cmp(&b.cluster_name));
        self.secrets.sort_by(|a, b| a.name.cmp(&b.name));
    }
}

fn pack_all<T: Name + prost::Message + Clone>(
    items: &[T],
    name: impl Fn(&T) -> &String,
) -> Vec<NamedResource> {
    items
        .iter()
        .map(|item| NamedResource {
            name: name(item).clone(),
            resource: pack(item),
        })
        .collect()
}

/// Packs a message into an `Any` with its canonical type URL.
pub(crate) fn pack<T: Name + prost::Message>(message: &T) -> Any {
    Any {
        type_url: T::type_url(),
        value: message.encode_to_vec(),
    }
}
