//! What each connected Envoy has been sent, accepted and rejected, per resource type (for /status and logs).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::cache::NodeKey;
use crate::lock;
use crate::metrics::{XdsMetrics, type_name};

#[cfg(test)]
mod tests;

/// The last response Envoy rejected for one type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Nack {
    /// The version Envoy rejected.
    pub version: String,
    /// Envoy's reason (`error_detail.message`).
    pub message: String,
}

/// Delivery state of one resource type on one Envoy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TypeDelivery {
    /// The version last sent.
    pub sent_version: Option<String>,
    /// The version Envoy last accepted.
    pub acked_version: Option<String>,
    /// Responses sent.
    pub pushes: u64,
    /// Responses rejected.
    pub nacks: u64,
    /// The most recent rejection; cleared when a later version is accepted.
    pub last_nack: Option<Nack>,
}

/// One Envoy (one `node.id`) connected for a node key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProxyDelivery {
    /// Open ADS streams from this Envoy (1 normally; 2 briefly while it reconnects).
    pub streams: usize,
    /// Per type, by message name (`envoy.config.cluster.v3.Cluster`).
    pub types: BTreeMap<String, TypeDelivery>,
}

/// Delivery state of every connected Envoy: node key -> node id -> state. Serialized into `/status`.
pub type DeliveryStatus = BTreeMap<String, BTreeMap<String, ProxyDelivery>>;

/// Shared record of ACKs and NACKs; cheap to clone.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tracker {
    proxies: Arc<Mutex<DeliveryStatus>>,
    metrics: XdsMetrics,
}

impl Tracker {
    pub(crate) fn new(metrics: XdsMetrics) -> Self {
        Self {
            proxies: Arc::default(),
            metrics,
        }
    }

    pub(crate) fn metrics(&self) -> &XdsMetrics {
        &self.metrics
    }

    pub(crate) fn status(&self) -> DeliveryStatus {
        lock(&self.proxies).clone()
    }

    pub(crate) fn stream_opened(&self, node: &NodeKey, node_id: &str) {
        self.metrics.stream_opened();
        self.with(node, node_id, |proxy| proxy.streams += 1);
    }

    /// Forgets an Envoy once its last stream closes, so pods that come and go do not accumulate.
    pub(crate) fn stream_closed(&self, node: &NodeKey, node_id: &str) {
        self.metrics.stream_closed();
        let mut proxies = lock(&self.proxies);
        let Some(ids) = proxies.get_mut(node.as_str()) else {
            return;
        };
        if let Some(proxy) = ids.get_mut(node_id) {
            proxy.streams = proxy.streams.saturating_sub(1);
            if proxy.streams == 0 {
                ids.remove(node_id);
            }
        }
        if ids.is_empty() {
            proxies.remove(node.as_str());
        }
    }

    pub(crate) fn pushed(&self, node: &NodeKey, node_id: &str, type_url: &str, version: &str) {
        self.metrics.pushed(type_url);
        self.with_type(node, node_id, type_url, |delivery| {
            delivery.sent_version = Some(version.to_owned());
            delivery.pushes += 1;
        });
    }

    pub(crate) fn acked(&self, node: &NodeKey, node_id: &str, type_url: &str, version: &str) {
        self.metrics.acked(type_url);
        self.with_type(node, node_id, type_url, |delivery| {
            delivery.acked_version = Some(version.to_owned());
            delivery.last_nack = None;
        });
    }

    pub(crate) fn nacked(&self, node: &NodeKey, node_id: &str, type_url: &str, nack: Nack) {
        self.metrics.nacked(type_url);
        self.with_type(node, node_id, type_url, |delivery| {
            delivery.nacks += 1;
            delivery.last_nack = Some(nack);
        });
    }

    fn with_type(
        &self,
        node: &NodeKey,
        node_id: &str,
        type_url: &str,
        update: impl FnOnce(&mut TypeDelivery),
    ) {
        self.with(node, node_id, |proxy| {
            update(
                proxy
                    .types
                    .entry(type_name(type_url).to_owned())
                    .or_default(),
            );
        });
    }

    fn with(&self, node: &NodeKey, node_id: &str, update: impl FnOnce(&mut ProxyDelivery)) {
        let mut proxies = lock(&self.proxies);
        let proxy = proxies
            .entry(node.as_str().to_owned())
            .or_default()
            .entry(node_id.to_owned())
            .or_default();
        update(proxy);
    }
}
