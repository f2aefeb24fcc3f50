//! What both sources (directory and Kubernetes) do with the outcome of a pass: publish a translation or keep
//! the last good one, log what is wrong once per change, and record it for `/status` and `/metrics`.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use dynagate_ir::{GatewayKey, ProxyConfig, StatusReport};

use crate::metrics::{Metrics, ReloadResult};
use crate::pipeline::status_problems;
use crate::publish::Publisher;
use crate::status::{ControllerStatus, ManifestReport};

/// Publishes passes and records them.
#[derive(Debug)]
pub(crate) struct Recorder {
    publisher: Publisher,
    status: Arc<RwLock<ControllerStatus>>,
    metrics: Arc<Metrics>,
    /// Status problems of the previous pass: logged again only when they change.
    last_problems: Vec<String>,
}

impl Recorder {
    pub(crate) fn new(
        publisher: Publisher,
        status: Arc<RwLock<ControllerStatus>>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            publisher,
            status,
            metrics,
            last_problems: Vec::new(),
        }
    }

    /// The pass produced nothing servable (`errors` reasons, already logged by the caller): the last
    /// good configuration keeps serving.
    pub(crate) fn rejected(&self, report: ManifestReport, errors: usize) {
        let mut status = self.status.write().unwrap_or_else(PoisonError::into_inner);
        tracing::warn!(
            errors,
            serving_generation = status.serving.generation,
            "configuration rejected; the last good configuration keeps serving"
        );
        status.manifests = report;
        status.up_to_date = false;
        self.metrics.reloaded(ReloadResult::Rejected, errors);
    }

    /// Publishes `proxies` and records `objects` as the status of every object.
    pub(crate) fn published(
        &mut self,
        proxies: &BTreeMap<GatewayKey, ProxyConfig>,
        objects: StatusReport,
        report: ManifestReport,
        translate_time: Duration,
    ) {
        let seconds = translate_time.as_secs_f64();
        self.metrics.translated(seconds, proxies.len());
        let publication = self.publisher.publish(proxies);
        for (gateway, err) in &publication.failed {
            tracing::error!(%gateway, error = %err, "translation produced an unservable configuration; this Gateway keeps its previous one");
        }
        let problems = status_problems(&objects);
        if problems != self.last_problems {
            for problem in &problems {
                tracing::warn!("{problem}");
            }
            self.last_problems = problems;
        }

        let mut status = self.status.write().unwrap_or_else(PoisonError::into_inner);
        status.serving.generation += 1;
        status.serving.gateways = self.publisher.versions();
        tracing::info!(
            generation = status.serving.generation,
            source = %report.directory.display(),
            files = report.files,
            objects = report.objects,
            gateways = proxies.len(),
            updated = ?publication.updated.iter().map(ToString::to_string).collect::<Vec<_>>(),
            removed = ?publication.removed.iter().map(ToString::to_string).collect::<Vec<_>>(),
            translate_ms = seconds * 1000.0,
            "configuration published"
        );
        status.manifests = report;
        status.objects = objects;
        status.up_to_date = publication.failed.is_empty();
        self.metrics.reloaded(ReloadResult::Published, 0);
    }
}
