//! Prometheus metrics of the xDS server: pushes, ACKs, NACKs, connected streams, resources served.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Labels of per-type counters: the resource type, as the message name (`envoy.config.cluster.v3.Cluster`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TypeLabels {
    /// Message name of the resource type.
    pub r#type: String,
}

/// Labels of per-node gauges: the node key (the Gateway) and the resource type.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct NodeTypeLabels {
    /// The node key (`namespace/name` of the Gateway in dynagate's bootstraps).
    pub node: String,
    /// Message name of the resource type.
    pub r#type: String,
}

/// The xDS server's metric handles; clones share the same series.
#[derive(Clone, Debug, Default)]
pub struct XdsMetrics {
    pushes: Family<TypeLabels, Counter>,
    acks: Family<TypeLabels, Counter>,
    nacks: Family<TypeLabels, Counter>,
    streams: Gauge,
    resources: Family<NodeTypeLabels, Gauge>,
}

impl XdsMetrics {
    /// Registers every series under `registry` (names get the `dynagate_xds_` prefix).
    pub fn register(&self, registry: &mut Registry) {
        let xds = registry.sub_registry_with_prefix("dynagate_xds");
        xds.register(
            "pushes",
            "Discovery responses sent, per resource type",
            self.pushes.clone(),
        );
        xds.register(
            "acks",
            "Responses Envoy accepted, per resource type",
            self.acks.clone(),
        );
        xds.register(
            "nacks",
            "Responses Envoy rejected (NACK), per resource type; the reason is logged and in /status",
            self.nacks.clone(),
        );
        xds.register("streams", "Connected ADS streams", self.streams.clone());
        xds.register(
            "resources",
            "Resources in the current snapshot, per node and resource type",
            self.resources.clone(),
        );
    }

    pub(crate) fn pushed(&self, type_url: &str) {
        self.pushes.get_or_create(&type_labels(type_url)).inc();
    }

    pub(crate) fn acked(&self, type_url: &str) {
        self.acks.get_or_create(&type_labels(type_url)).inc();
    }

    pub(crate) fn nacked(&self, type_url: &str) {
        self.nacks.get_or_create(&type_labels(type_url)).inc();
    }

    pub(crate) fn stream_opened(&self) {
        self.streams.inc();
    }

    pub(crate) fn stream_closed(&self) {
        self.streams.dec();
    }

    pub(crate) fn set_resources(&self, node: &str, type_url: &str, count: usize) {
        let labels = NodeTypeLabels {
            node: node.to_owned(),
            r#type: type_name(type_url).to_owned(),
        };
        self.resources
            .get_or_create(&labels)
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    pub(crate) fn clear_resources(&self, node: &str, type_url: &str) {
        self.resources.remove(&NodeTypeLabels {
            node: node.to_owned(),
            r#type: type_name(type_url).to_owned(),
        });
    }
}

fn type_labels(type_url: &str) -> TypeLabels {
    TypeLabels {
        r#type: type_name(type_url).to_owned(),
    }
}

/// `type.googleapis.com/envoy.config.cluster.v3.Cluster` -> `envoy.config.cluster.v3.Cluster`.
pub(crate) fn type_name(type_url: &str) -> &str {
    type_url.rsplit('/').next().unwrap_or(type_url)
}
