//! An immutable, versioned set of xDS resources for one node, with versions derived from content.

use std::collections::BTreeMap;

use envoy_types::pb::google::protobuf::Any;

#[cfg(test)]
mod tests;

/// Type URLs of the resource types Envoy fetches over ADS, and the order in which they are pushed.
pub mod type_url {
    /// `envoy.config.listener.v3.Listener` (LDS).
    pub const LISTENER: &str = "type.googleapis.com/envoy.config.listener.v3.Listener";
    /// `envoy.config.route.v3.RouteConfiguration` (RDS).
    pub const ROUTE: &str = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
    /// `envoy.config.cluster.v3.Cluster` (CDS).
    pub const CLUSTER: &str = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    /// `envoy.config.endpoint.v3.ClusterLoadAssignment` (EDS).
    pub const ENDPOINT: &str = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
    /// `envoy.extensions.transport_sockets.tls.v3.Secret` (SDS).
    pub const SECRET: &str = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";

    /// Push order when several types change at once: what a resource refers to goes before the resource,
    /// so Envoy's warming finds it (secrets before the listeners and clusters that use them, clusters
    /// before their endpoints, listeners before their route configurations). Types not listed go last.
    pub const PUSH_ORDER: [&str; 5] = [SECRET, CLUSTER, ENDPOINT, LISTENER, ROUTE];

    /// Where `type_url` sorts in [`PUSH_ORDER`]; unknown types after every known one.
    pub fn push_rank(type_url: &str) -> usize {
        PUSH_ORDER
            .iter()
            .position(|known| *known == type_url)
            .unwrap_or(PUSH_ORDER.len())
    }

    /// Whether an empty first request for this type subscribes to every resource ("legacy wildcard").
    /// Envoy asks for listeners and clusters that way; routes, endpoints and secrets are asked by name.
    pub fn is_wildcard_by_default(type_url: &str) -> bool {
        type_url == LISTENER || type_url == CLUSTER
    }
}

/// A resource as served: its name and the packed message.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedResource {
    /// The resource name Envoy subscribes to (listener, cluster, route configuration name, ...).
    pub name: String,
    /// The message, packed; its `type_url` equals the group's type URL.
    pub resource: Any,
}

/// All resources of one type in a snapshot, sorted by name, with the version of exactly this content.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeResources {
    version: String,
    items: Vec<NamedResource>,
}

impl TypeResources {
    /// The content version: equal content gives the same version, in this process and the next.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The resources, sorted by name.
    pub fn items(&self) -> &[NamedResource] {
        &self.items
    }
}

/// Why a set of resources cannot become a snapshot.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SnapshotError {
    /// Two resources of one type share a name: Envoy would keep one at random.
    #[error("duplicate {type_url} resource named {name:?}")]
    DuplicateName {
        /// The type URL of the group.
        type_url: String,
        /// The repeated name.
        name: String,
    },
    /// A packed message does not hold the type of the group it was filed under.
    #[error("resource {name:?} is packed as {found} but was filed under {type_url}")]
    TypeMismatch {
        /// The type URL of the group.
        type_url: String,
        /// The resource name.
        name: String,
        /// The type URL inside the `Any`.
        found: String,
    },
}

/// Everything one node (one Gateway's Envoy) should hold, per type URL; immutable once built.
///
/// Versions are a hash of the content (type URL, names, serialized bytes), so rebuilding a snapshot from
/// unchanged input yields the same versions and the server pushes nothing.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Snapshot {
    version: String,
    types: BTreeMap<String, TypeResources>,
}

impl Snapshot {
    /// Builds a snapshot from `type_url -> [(name, packed message)]`; input order does not matter.
    pub fn new(resources: BTreeMap<String, Vec<(String, Any)>>) -> Result<Self, SnapshotError> {
        let mut types = BTreeMap::new();
        for (type_url, group) in resources {
            // An empty group and an absent one mean the same to Envoy; keep one representation.
            if group.is_empty() {
                continue;
            }
            let group = TypeResources::new(&type_url, group)?;
            types.insert(type_url, group);
        }
        let mut overall = ContentHash::new();
        for (type_url, group) in &types {
            overall.field(type_url.as_bytes());
            overall.field(group.version.as_bytes());
        }
        Ok(Self {
            version: overall.finish(),
            types,
        })
    }

    /// A snapshot with no resources: a node holding it drops every listener and cluster.
    pub fn empty() -> Self {
        Self {
            version: ContentHash::new().finish(),
            types: BTreeMap::new(),
        }
    }

    /// The version of the whole snapshot (changes when any type's content changes).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The resources of one type; `None` when the snapshot holds none of it.
    pub fn get(&self, type_url: &str) -> Option<&TypeResources> {
        self.types.get(type_url)
    }

    /// The version Envoy is told for `type_url`; a type with no resources still has a (stable) version,
    /// so that an emptied type is pushed as an empty list and Envoy removes what it had.
    pub fn type_version(&self, type_url: &str) -> String {
        match self.types.get(type_url) {
            Some(group) => group.version.clone(),
            None => ContentHash::of_type(type_url).finish(),
        }
    }

    /// The type URLs present, in push order.
    pub fn type_urls(&self) -> Vec<&str> {
        let mut urls: Vec<&str> = self.types.keys().map(String::as_str).collect();
        urls.sort_by_key(|url| (type_url::push_rank(url), *url));
        urls
    }

    /// Number of resources of one type.
    pub fn count(&self, type_url: &str) -> usize {
        self.types
            .get(type_url)
            .map_or(0, |group| group.items.len())
    }
}

impl TypeResources {
    fn new(type_url: &str, mut group: Vec<(String, Any)>) -> Result<Self, SnapshotError> {
        group.sort_by(|a, b| a.0.cmp(&b.0));
        let mut items: Vec<NamedResource> = Vec::with_capacity(group.len());
        for (name, resource) in group {
            if resource.type_url != type_url {
                return Err(SnapshotError::TypeMismatch {
                    type_url: type_url.to_owned(),
                    name,
                    found: resource.type_url,
                });
            }
            if items.last().is_some_and(|last| last.name == name) {
                return Err(SnapshotError::DuplicateName {
                    type_url: type_url.to_owned(),
                    name,
                });
            }
            items.push(NamedResource { name, resource });
        }
        Ok(Self {
            version: selection_version(type_url, &items),
            items,
        })
    }
}

/// The version of a subset of one type's resources (what a by-name subscription selects); selecting every
/// resource gives the type's own version.
pub(crate) fn selection_version<'a>(
    type_url: &str,
    items: impl IntoIterator<Item = &'a NamedResource>,
) -> String {
    let mut hash = ContentHash::of_type(type_url);
    for item in items {
        hash.field(item.name.as_bytes());
        hash.field(&item.resource.value);
    }
    hash.finish()
}

/// 64-bit FNV-1a over length-prefixed fields. Hand-rolled because std's hasher is not specified to stay
/// the same across Rust releases, and versions should survive a controller upgrade without a spurious push.
/// Not collision resistant against an adversary; the input is our own translation output.
struct ContentHash(u64);

impl ContentHash {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;

    fn new() -> Self {
        Self(Self::OFFSET)
    }

    fn of_type(type_url: &str) -> Self {
        let mut hash = Self::new();
        hash.field(type_url.as_bytes());
        hash
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    /// Length prefix first, so ("ab", "c") and ("a", "bc") hash differently.
    fn field(&mut self, bytes: &[u8]) {
        self.bytes(&(bytes.len() as u64).to_le_bytes());
        self.bytes(bytes);
    }

    fn finish(self) -> String {
        format!("{:016x}", self.0)
    }
}
