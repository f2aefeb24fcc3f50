//! The Kubernetes translation loop: on every settled change, snapshot the watches, translate (the same
//! `LastGood::translate` as the directory mode), publish to the xDS cache, record `/status`, and hand
//! the status report and the proxies' plan to the leader's writers.

use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use dynagate_api::{Object, ObjectKind};
use dynagate_deployer::Plan;
use dynagate_ir::{GatewayKey, LastGood, TranslateOptions, Translation};
use dynagate_kube_source::{KindState, KubeSource};
use tokio::sync::watch;

use super::deploy_status::mark_undeployable;
use super::settings::ResolvedSettings;
use super::writers::Writers;
use crate::bootstrap::BootstrapParams;
use crate::metrics::Metrics;
use crate::outcome::Recorder;
use crate::publish::Publisher;
use crate::run::until;
use crate::status::{ControllerStatus, Finding, ManifestReport};

/// What one pass computed on the blocking pool.
struct Pass {
    objects: usize,
    translation: Result<Translation, String>,
    plan: Option<Plan>,
    translate_time: Duration,
}

/// Translates and publishes the cluster's state after every settled change.
pub(crate) struct Syncer {
    options: Arc<TranslateOptions>,
    settings: Arc<ResolvedSettings>,
    recorder: Recorder,
    writers: Writers,
    /// Last good versions of policies, across passes (one pass at a time uses it).
    memory: Arc<std::sync::Mutex<LastGood>>,
}

impl Syncer {
    pub(crate) fn new(
        options: TranslateOptions,
        settings: ResolvedSettings,
        publisher: Publisher,
        status: Arc<RwLock<ControllerStatus>>,
        metrics: Arc<Metrics>,
        writers: Writers,
    ) -> Self {
        Self {
            options: Arc::new(options),
            settings: Arc::new(settings),
            recorder: Recorder::new(publisher, status, metrics),
            writers,
            memory: Arc::default(),
        }
    }

    /// Runs until `stopped`; sets `ready` after the first publication.
    pub(crate) async fn run(
        mut self,
        source: KubeSource,
        ready: watch::Sender<bool>,
        stopped: watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        let mut changes = source.changes();
        let stop_signal = until(stopped);
        tokio::pin!(stop_signal);
        loop {
            tokio::select! {
                biased;
                () = &mut stop_signal => break,
                change = changes.next() => {
                    if change.is_none() {
                        anyhow::bail!("the Kubernetes watches stopped");
                    }
                    self.sync(&source).await;
                    ready.send_replace(true);
                }
            }
        }
        self.writers.stop().await;
        Ok(())
    }

    async fn sync(&mut self, source: &KubeSource) {
        let objects = source.snapshot();
        let summary = source.summary();
        let (options, settings, memory) = (
            Arc::clone(&self.options),
            Arc::clone(&self.settings),
            Arc::clone(&self.memory),
        );
        let pass = move || {
            let count = objects.len();
            // The deployer reads only these kinds: keep a copy of them, not of the whole cluster.
            let deployer_inputs: Vec<Object> = match settings.deployer {
                Some(_) => objects
                    .iter()
                    .filter(|o| is_deployer_input(o))
                    .cloned()
                    .collect(),
                None => Vec::new(),
            };
            let started = Instant::now();
            let translation = memory
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .translate(objects, &options)
                .map_err(|err| err.to_string());
            let translate_time = started.elapsed();
            let plan = translation.as_ref().ok().and_then(|translation| {
                plan(&deployer_inputs, translation.proxies.keys(), &settings)
            });
            Pass {
                objects: count,
                translation,
                plan,
                translate_time,
            }
        };
        match tokio::task::spawn_blocking(pass).await {
            Ok(pass) => self.apply(pass, &summary),
            Err(err) => {
                tracing::error!(error = %err, "translation failed; the last good configuration keeps serving")
            }
        }
    }

    fn apply(
        &mut self,
        pass: Pass,
        summary: &std::collections::BTreeMap<ObjectKind, (KindState, usize)>,
    ) {
        let report = source_report(pass.objects, summary);
        let translation = match pass.translation {
            Ok(translation) => translation,
            Err(err) => {
                tracing::error!(error = %err, "cluster state rejected");
                self.recorder.rejected(report, 1);
                return;
            }
        };
        let mut objects = translation.status;
        if let Some(plan) = &pass.plan {
            mark_undeployable(&mut objects, plan);
        }
        let objects = Arc::new(objects);
        self.writers
            .submit(Arc::clone(&objects), pass.plan.map(Arc::new));
        self.recorder.published(
            &translation.proxies,
            Arc::unwrap_or_clone(objects),
            report,
            pass.translate_time,
        );
    }
}

fn is_deployer_input(object: &Object) -> bool {
    matches!(
        object.kind(),
        ObjectKind::GatewayClass | ObjectKind::Gateway | ObjectKind::GatewayParameters
    )
}

/// The proxies' plan, when this controller deploys them.
fn plan<'a>(
    objects: &[Object],
    accepted: impl IntoIterator<Item = &'a GatewayKey>,
    settings: &ResolvedSettings,
) -> Option<Plan> {
    let (deployer, xds) = (settings.deployer.as_ref()?, settings.xds_service.as_ref()?);
    let bootstrap = |gateway: &GatewayKey| {
        BootstrapParams {
            module_dir: Some(PathBuf::from(&deployer.module_dir)),
            readiness_port: deployer.readiness_port,
            ..BootstrapParams::new(gateway.clone(), xds.clone())
        }
        .render_yaml()
    };
    Some(dynagate_deployer::plan(
        objects, accepted, deployer, &bootstrap,
    ))
}

/// `/status`'s source section: object count, and the kinds the cluster does not serve.
pub(crate) fn source_report(
    objects: usize,
    summary: &std::collections::BTreeMap<ObjectKind, (KindState, usize)>,
) -> ManifestReport {
    let notes = summary
        .iter()
        .filter(|(_, (state, _))| *state == KindState::Absent)
        .map(|(kind, _)| {
            let reason = format!(
                "{}/{kind} is not served by the cluster (CRD not installed?): treated as empty",
                kind.group()
            );
            Finding {
                file: PathBuf::from(SOURCE_NAME),
                document: 0,
                line: 0,
                field: String::new(),
                message: reason.clone(),
                reason,
            }
        })
        .collect();
    ManifestReport {
        directory: PathBuf::from(SOURCE_NAME),
        files: 0,
        objects,
        errors: Vec::new(),
        notes,
    }
}

/// How `/status` names the Kubernetes source where the directory mode names its directory.
const SOURCE_NAME: &str = "kubernetes";
