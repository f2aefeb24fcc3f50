//! The controller's Prometheus registry: reloads, translation time, manifest errors, plus the xDS series.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use dynagate_xds::XdsMetrics;

/// How a reload ended.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum ReloadResult {
    /// Translated and published (possibly with nothing changed).
    Published,
    /// Rejected: a manifest error; the last good configuration keeps serving.
    Rejected,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

/// Metric handles plus the registry that exposes them (shared behind an `Arc`).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    xds: XdsMetrics,
    reloads: Family<ResultLabels, Counter>,
    translation_seconds: Histogram,
    manifest_errors: Gauge,
    gateways: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every series registered.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let xds = XdsMetrics::default();
        xds.register(&mut registry);
        let reloads = Family::<ResultLabels, Counter>::default();
        // 100 µs .. ~3.3 s: 10k routes should stay well under a second.
        let translation_seconds = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        let manifest_errors = Gauge::default();
        let gateways = Gauge::default();
        let ours = registry.sub_registry_with_prefix("dynagate");
        ours.register(
            "reloads",
            "Manifest reloads, by result (published or rejected)",
            reloads.clone(),
        );
        ours.register(
            "translation_duration_seconds",
            "Time to translate all resources into xDS",
            translation_seconds.clone(),
        );
        ours.register(
            "manifest_errors",
            "Errors in the manifest directory as last read (non-zero: the last good config is serving)",
            manifest_errors.clone(),
        );
        ours.register(
            "gateways",
            "Gateways with a served configuration",
            gateways.clone(),
        );
        Self {
            registry,
            xds,
            reloads,
            translation_seconds,
            manifest_errors,
            gateways,
        }
    }

    /// The xDS server's handles (give them to the [`dynagate_xds::SnapshotCache`]).
    pub fn xds(&self) -> &XdsMetrics {
        &self.xds
    }

    /// Records one reload.
    pub fn reloaded(&self, result: ReloadResult, manifest_errors: usize) {
        let result = match result {
            ReloadResult::Published => "published",
            ReloadResult::Rejected => "rejected",
        };
        self.reloads.get_or_create(&ResultLabels { result }).inc();
        self.manifest_errors
            .set(i64::try_from(manifest_errors).unwrap_or(i64::MAX));
    }

    /// Records one translation.
    pub fn translated(&self, seconds: f64, gateways: usize) {
        self.translation_seconds.observe(seconds);
        self.gateways
            .set(i64::try_from(gateways).unwrap_or(i64::MAX));
    }

    /// The Prometheus text exposition of every series.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        Ok(text)
    }
}
