//! Turns a translation into xDS snapshots, one per Gateway, and hands them to the ADS server's cache.
//!
//! prost encodes map fields (`typed_per_filter_config`, `Struct`) in `HashMap` order, which differs between
//! two translations of the same input. To keep the content-hash versions stable, a resource equal (by
//! value) to the one published before reuses the previously packed bytes; only changed resources are
//! re-encoded, so only they can move a version.

use std::collections::{BTreeMap, HashMap};

use dynagate_ir::{GatewayKey, ProxyConfig};
use dynagate_xds::{Any, NodeKey, Snapshot, SnapshotCache, SnapshotError, type_url};
use prost::{Message, Name};

#[cfg(test)]
mod tests;

/// What one publication changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Publication {
    /// Gateways whose snapshot changed (new or updated).
    pub updated: Vec<GatewayKey>,
    /// Gateways that disappeared; their Envoys were sent an empty configuration.
    pub removed: Vec<GatewayKey>,
    /// Gateways whose resources could not form a snapshot; they keep their previous one.
    pub failed: Vec<(GatewayKey, SnapshotError)>,
}

/// The packed form of one Gateway's configuration, kept to reuse bytes next time.
#[derive(Debug)]
struct Published {
    config: ProxyConfig,
    packed: BTreeMap<String, Vec<(String, Any)>>,
}

/// Publishes translations to a [`SnapshotCache`], remembering what it published.
#[derive(Debug)]
pub struct Publisher {
    cache: SnapshotCache,
    published: BTreeMap<GatewayKey, Published>,
}

impl Publisher {
    /// A publisher feeding `cache`.
    pub fn new(cache: SnapshotCache) -> Self {
        Self {
            cache,
            published: BTreeMap::new(),
        }
    }

    /// The node key of a Gateway's Envoy (what `dynagate bootstrap` writes into `node.cluster`).
    pub fn node_key(gateway: &GatewayKey) -> NodeKey {
        NodeKey::new(gateway.to_string())
    }

    /// The snapshot version of every published Gateway (`namespace/name` -> version).
    pub fn versions(&self) -> BTreeMap<String, String> {
        self.published
            .keys()
            .filter_map(|gateway| {
                let snapshot = self.cache.get(&Self::node_key(gateway))?;
                Some((gateway.to_string(), snapshot.version().to_owned()))
            })
            .collect()
    }

    /// Makes `proxies` the served configuration: every Gateway in it gets its snapshot, every Gateway
    /// published before but absent now gets an empty one (its Envoy drops its listeners).
    pub fn publish(&mut self, proxies: &BTreeMap<GatewayKey, ProxyConfig>) -> Publication {
        let mut publication = Publication::default();
        for (gateway, config) in proxies {
            let previous = self.published.get(gateway);
            if previous.is_some_and(|previous| previous.config == *config) {
                continue;
            }
            let packed = pack(config, previous);
            match Snapshot::new(packed.clone()) {
                Ok(snapshot) => {
                    if self.cache.set(Self::node_key(gateway), snapshot) {
                        publication.updated.push(gateway.clone());
                    }
                    let config = config.clone();
                    self.published
                        .insert(gateway.clone(), Published { config, packed });
                }
                Err(err) => publication.failed.push((gateway.clone(), err)),
            }
        }
        let gone: Vec<GatewayKey> = self
            .published
            .keys()
            .filter(|gateway| !proxies.contains_key(gateway))
            .cloned()
            .collect();
        for gateway in gone {
            self.published.remove(&gateway);
            self.cache.set(Self::node_key(&gateway), Snapshot::empty());
            publication.removed.push(gateway);
        }
        publication
    }
}

fn pack(
    config: &ProxyConfig,
    previous: Option<&Published>,
) -> BTreeMap<String, Vec<(String, Any)>> {
    let old = |url: &str| {
        previous
            .and_then(|p| p.packed.get(url))
            .map(Vec::as_slice)
            .unwrap_or_default()
    };
    let prev = previous.map(|p| &p.config);
    let mut packed = BTreeMap::new();
    let mut put = |url: &str, resources| {
        packed.insert(url.to_owned(), resources);
    };
    put(
        type_url::CLUSTER,
        pack_stable(
            &config.clusters,
            prev.map(|c| &c.clusters[..]),
            old(type_url::CLUSTER),
            |c| &c.name,
        ),
    );
    put(
        type_url::ENDPOINT,
        pack_stable(
            &config.endpoints,
            prev.map(|c| &c.endpoints[..]),
            old(type_url::ENDPOINT),
            |e| &e.cluster_name,
        ),
    );
    put(
        type_url::LISTENER,
        pack_stable(
            &config.listeners,
            prev.map(|c| &c.listeners[..]),
            old(type_url::LISTENER),
            |l| &l.name,
        ),
    );
    put(
        type_url::ROUTE,
        pack_stable(
            &config.route_configs,
            prev.map(|c| &c.route_configs[..]),
            old(type_url::ROUTE),
            |r| &r.name,
        ),
    );
    put(
        type_url::SECRET,
        pack_stable(
            &config.secrets,
            prev.map(|c| &c.secrets[..]),
            old(type_url::SECRET),
            |s| &s.name,
        ),
    );
    packed
}

/// Packs `resources`, reusing the bytes from `old_packed` (which holds `old` packed) for every resource
/// equal to its namesake in `old`.
fn pack_stable<T: Message + Name + PartialEq>(
    resources: &[T],
    old: Option<&[T]>,
    old_packed: &[(String, Any)],
    name: impl Fn(&T) -> &String,
) -> Vec<(String, Any)> {
    let old_by_name: HashMap<&str, &T> = old
        .unwrap_or_default()
        .iter()
        .map(|resource| (name(resource).as_str(), resource))
        .collect();
    let packed_by_name: HashMap<&str, &Any> = old_packed
        .iter()
        .map(|(n, any)| (n.as_str(), any))
        .collect();
    resources
        .iter()
        .map(|resource| {
            let resource_name = name(resource);
            let unchanged = old_by_name.get(resource_name.as_str()) == Some(&resource);
            let reused = unchanged
                .then(|| packed_by_name.get(resource_name.as_str()))
                .flatten();
            let any = match reused {
                Some(any) => (*any).clone(),
                None => Any {
                    type_url: T::type_url(),
                    value: resource.encode_to_vec(),
                },
            };
            (resource_name.clone(), any)
        })
        .collect()
}
