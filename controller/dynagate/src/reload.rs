//! One reload of the manifest directory: evaluate, then publish if good or keep the last good
//! configuration if not; log and record the outcome for `/status` and `/metrics`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use dynagate_ir::{LastGood, TranslateOptions};

use crate::metrics::{Metrics, ReloadResult};
use crate::pipeline::{Evaluation, evaluate_with, status_problems};
use crate::publish::Publisher;
use crate::status::{ControllerStatus, Finding, ManifestReport};

/// Reloads a directory into the xDS cache.
#[derive(Debug)]
pub struct Reloader {
    dir: PathBuf,
    publisher: Publisher,
    status: Arc<RwLock<ControllerStatus>>,
    metrics: Arc<Metrics>,
    options: Arc<TranslateOptions>,
    /// Last good versions of policies, across reloads (one reload at a time uses it).
    memory: Arc<Mutex<LastGood>>,
    /// Notes and status problems of the previous reload: logged again only when they change.
    last_notes: Vec<String>,
    last_problems: Vec<String>,
}

impl Reloader {
    /// A reloader for `dir` translating with `options` and publishing through `publisher`.
    pub fn new(
        dir: PathBuf,
        options: TranslateOptions,
        publisher: Publisher,
        status: Arc<RwLock<ControllerStatus>>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            dir,
            publisher,
            status,
            metrics,
            options: Arc::new(options),
            memory: Arc::default(),
            last_notes: Vec::new(),
            last_problems: Vec::new(),
        }
    }

    /// Reads the directory again (on a blocking thread: translation is CPU work) and publishes it.
    pub async fn reload(&mut self) {
        let (dir, options) = (self.dir.clone(), Arc::clone(&self.options));
        let memory = Arc::clone(&self.memory);
        let evaluate = move || {
            let mut memory = memory.lock().unwrap_or_else(PoisonError::into_inner);
            evaluate_with(&dir, &options, &mut memory)
        };
        match tokio::task::spawn_blocking(evaluate).await {
            Ok(evaluation) => self.apply(evaluation),
            Err(err) => {
                tracing::error!(error = %err, "manifest evaluation failed; the last good configuration keeps serving")
            }
        }
    }

    fn apply(&mut self, evaluation: Evaluation) {
        let notes: Vec<String> = evaluation.notes.iter().map(ToString::to_string).collect();
        if notes != self.last_notes {
            for note in &notes {
                tracing::info!("{note}");
            }
            self.last_notes = notes;
        }
        let report = ManifestReport {
            directory: self.dir.clone(),
            files: evaluation.files,
            objects: evaluation.objects,
            errors: evaluation.errors.iter().map(Finding::from).collect(),
            notes: evaluation.notes.iter().map(Finding::from).collect(),
        };

        let Some(translation) = evaluation
            .translation
            .filter(|_| evaluation.errors.is_empty())
        else {
            for error in &evaluation.errors {
                tracing::error!("{error}");
            }
            let mut status = self.status.write().unwrap_or_else(PoisonError::into_inner);
            tracing::warn!(
                errors = evaluation.errors.len(),
                serving_generation = status.serving.generation,
                "manifests rejected; the last good configuration keeps serving"
            );
            status.manifests = report;
            status.up_to_date = false;
            self.metrics
                .reloaded(ReloadResult::Rejected, evaluation.errors.len());
            return;
        };

        let seconds = evaluation.translate_time.as_secs_f64();
        self.metrics.translated(seconds, translation.proxies.len());
        let publication = self.publisher.publish(&translation.proxies);
        for (gateway, err) in &publication.failed {
            tracing::error!(%gateway, error = %err, "translation produced an unservable configuration; this Gateway keeps its previous one");
        }
        let problems = status_problems(&translation.status);
        if problems != self.last_problems {
            for problem in &problems {
                tracing::warn!("{problem}");
            }
            self.last_problems = problems;
        }

        let mut status = self.status.write().unwrap_or_else(PoisonError::into_inner);
        status.serving.generation += 1;
        status.serving.gateways = self.publisher.versions();
        status.manifests = report;
        status.objects = translation.status;
        status.up_to_date = publication.failed.is_empty();
        tracing::info!(
            generation = status.serving.generation,
            files = evaluation.files,
            objects = evaluation.objects,
            gateways = translation.proxies.len(),
            updated = ?publication.updated.iter().map(ToString::to_string).collect::<Vec<_>>(),
            removed = ?publication.removed.iter().map(ToString::to_string).collect::<Vec<_>>(),
            translate_ms = seconds * 1000.0,
            "configuration published"
        );
        self.metrics.reloaded(ReloadResult::Published, 0);
    }
}
