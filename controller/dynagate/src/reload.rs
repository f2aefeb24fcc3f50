//! One reload of the manifest directory: evaluate, then publish if good or keep the last good
//! configuration if not; log and record the outcome for `/status` and `/metrics`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use dynagate_ir::{LastGood, TranslateOptions};

use crate::metrics::Metrics;
use crate::outcome::Recorder;
use crate::pipeline::{Evaluation, evaluate_with};
use crate::publish::Publisher;
use crate::status::{ControllerStatus, Finding, ManifestReport};

/// Reloads a directory into the xDS cache.
#[derive(Debug)]
pub struct Reloader {
    dir: PathBuf,
    recorder: Recorder,
    options: Arc<TranslateOptions>,
    /// Last good versions of policies, across reloads (one reload at a time uses it).
    memory: Arc<Mutex<LastGood>>,
    /// Notes of the previous reload: logged again only when they change.
    last_notes: Vec<String>,
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
            recorder: Recorder::new(publisher, status, metrics),
            options: Arc::new(options),
            memory: Arc::default(),
            last_notes: Vec::new(),
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
            self.recorder.rejected(report, evaluation.errors.len());
            return;
        };
        self.recorder.published(
            &translation.proxies,
            translation.status,
            report,
            evaluation.translate_time,
        );
    }
}
