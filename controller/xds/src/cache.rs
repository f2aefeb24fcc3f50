//! The snapshot store: the current [`Snapshot`] per node key, observable by the streams serving that key.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};

use envoy_types::pb::envoy::config::core::v3::Node;
use tokio::sync::watch;

use crate::lock;
use crate::metrics::XdsMetrics;
use crate::snapshot::Snapshot;
use crate::tracker::{DeliveryStatus, Tracker};

#[cfg(test)]
mod tests;

/// Which snapshot an Envoy gets: its `node.cluster`, verbatim.
///
/// dynagate's bootstraps set `node.cluster` to `namespace/name` of the Gateway the Envoy serves, and
/// `node.id` to something unique per Envoy instance; every replica of one Gateway shares the snapshot.
/// The key is opaque here: this crate never interprets it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeKey(String);

impl NodeKey {
    /// A key from its text.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key of the Envoy that sent `node`; `None` when `node.cluster` is empty.
    pub fn from_node(node: &Node) -> Option<Self> {
        (!node.cluster.is_empty()).then(|| Self(node.cluster.clone()))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

type Slot = watch::Sender<Option<Arc<Snapshot>>>;

/// Current snapshots by node key; clones share the store. The publisher calls [`SnapshotCache::set`],
/// the ADS streams watch their node's slot and push what changed.
#[derive(Clone, Debug, Default)]
pub struct SnapshotCache {
    slots: Arc<Mutex<HashMap<NodeKey, Slot>>>,
    /// Nodes already reported as waiting for a snapshot, so a crash-looping Envoy logs once.
    reported_waiting: Arc<Mutex<BTreeSet<NodeKey>>>,
    tracker: Tracker,
}

impl SnapshotCache {
    /// An empty store whose events feed `metrics`.
    pub fn new(metrics: XdsMetrics) -> Self {
        Self {
            slots: Arc::default(),
            reported_waiting: Arc::default(),
            tracker: Tracker::new(metrics),
        }
    }

    /// Makes `snapshot` current for `key`. Returns false (and wakes nobody) when the content is unchanged.
    pub fn set(&self, key: NodeKey, snapshot: Snapshot) -> bool {
        let metrics = self.tracker.metrics();
        let mut slots = lock(&self.slots);
        let slot = slots
            .entry(key.clone())
            .or_insert_with(|| watch::Sender::new(None));
        let previous = slot.borrow().clone();
        if previous.as_deref() == Some(&snapshot) {
            return false;
        }
        if let Some(previous) = &previous {
            for type_url in previous.type_urls() {
                metrics.clear_resources(key.as_str(), type_url);
            }
        }
        for type_url in snapshot.type_urls() {
            metrics.set_resources(key.as_str(), type_url, snapshot.count(type_url));
        }
        tracing::debug!(node = %key, version = snapshot.version(), "snapshot updated");
        slot.send_replace(Some(Arc::new(snapshot)));
        lock(&self.reported_waiting).remove(&key);
        true
    }

    /// Forgets the snapshot of `key`. Connected Envoys keep what they have and get nothing new until a
    /// snapshot is set again; to make them drop their configuration, set [`Snapshot::empty`] instead.
    pub fn remove(&self, key: &NodeKey) {
        let mut slots = lock(&self.slots);
        let Some(slot) = slots.get(key) else {
            return;
        };
        if let Some(previous) = slot.send_replace(None) {
            for type_url in previous.type_urls() {
                self.tracker
                    .metrics()
                    .clear_resources(key.as_str(), type_url);
            }
        }
        // A slot still watched by a stream must stay: a later `set` has to reach that stream.
        if slot.receiver_count() == 0 {
            slots.remove(key);
        }
    }

    /// The current snapshot of `key`.
    pub fn get(&self, key: &NodeKey) -> Option<Arc<Snapshot>> {
        lock(&self.slots)
            .get(key)
            .and_then(|slot| slot.borrow().clone())
    }

    /// Every key that has a snapshot, sorted.
    pub fn keys(&self) -> Vec<NodeKey> {
        let slots = lock(&self.slots);
        let mut keys: Vec<NodeKey> = slots
            .iter()
            .filter(|(_, slot)| slot.borrow().is_some())
            .map(|(key, _)| key.clone())
            .collect();
        keys.sort();
        keys
    }

    /// The snapshot version of every key that has one.
    pub fn versions(&self) -> BTreeMap<String, String> {
        lock(&self.slots)
            .iter()
            .filter_map(|(key, slot)| {
                let version = slot.borrow().as_ref()?.version().to_owned();
                Some((key.as_str().to_owned(), version))
            })
            .collect()
    }

    /// What every connected Envoy was sent, accepted and rejected.
    pub fn delivery(&self) -> DeliveryStatus {
        self.tracker.status()
    }

    /// The metric handles this store reports to.
    pub fn metrics(&self) -> &XdsMetrics {
        self.tracker.metrics()
    }

    pub(crate) fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// Watches the slot of `key`, creating an empty one so a snapshot set later still arrives.
    pub(crate) fn watch(&self, key: &NodeKey) -> watch::Receiver<Option<Arc<Snapshot>>> {
        let receiver = lock(&self.slots)
            .entry(key.clone())
            .or_insert_with(|| watch::Sender::new(None))
            .subscribe();
        if receiver.borrow().is_none() && lock(&self.reported_waiting).insert(key.clone()) {
            tracing::warn!(
                node = %key,
                "an Envoy connected for a node key with no configuration; it gets nothing until one exists \
                 (check node.cluster in its bootstrap names an existing Gateway as namespace/name)"
            );
        }
        receiver
    }
}
