//! What only the leader does: write status back to the objects and deploy the Gateways' proxies.
//!
//! The translation loop hands over its latest report and plan without waiting; one task writes them
//! while this replica leads, and writes the latest again when it becomes leader (a new leader must not
//! wait for the next change to correct what the old one left).

use std::sync::Arc;

use dynagate_deployer::{DeployError, Deployer, Plan};
use dynagate_ir::StatusReport;
use dynagate_kube_status::{LeaderElection, StatusWriter};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Duration, Instant};

/// How long after a failed deployment the same plan is applied again.
const DEPLOY_RETRY: Duration = Duration::from_secs(15);

/// The latest outcome of a translation.
#[derive(Clone, Debug)]
struct Latest {
    report: Arc<StatusReport>,
    /// `None` when this controller does not deploy proxies.
    plan: Option<Arc<Plan>>,
}

/// Handle to the writer task.
#[derive(Debug)]
pub(crate) struct Writers {
    latest: watch::Sender<Option<Latest>>,
    stop: watch::Sender<bool>,
    task: JoinHandle<LeaderElection>,
}

impl Writers {
    /// Starts the task; it acts only while `leader` says this replica leads.
    pub(crate) fn spawn(
        leader: LeaderElection,
        status: StatusWriter,
        deployer: Option<Deployer>,
    ) -> Self {
        let (latest, updates) = watch::channel(None);
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(
            leader,
            status,
            deployer.map(Arc::new),
            updates,
            stopped,
        ));
        Self { latest, stop, task }
    }

    /// Hands over the latest report and plan (never blocks; an unwritten older one is replaced).
    pub(crate) fn submit(&self, report: Arc<StatusReport>, plan: Option<Arc<Plan>>) {
        self.latest.send_replace(Some(Latest { report, plan }));
    }

    /// Stops writing and gives up the Lease at once (so another replica takes over without waiting
    /// for it to expire).
    pub(crate) async fn stop(self) {
        self.stop.send_replace(true);
        match self.task.await {
            Ok(leader) => leader.release().await,
            Err(err) => tracing::warn!(error = %err, "the status writer task failed"),
        }
    }
}

async fn run(
    leader: LeaderElection,
    status: StatusWriter,
    deployer: Option<Arc<Deployer>>,
    mut updates: watch::Receiver<Option<Latest>>,
    mut stopped: watch::Receiver<bool>,
) -> LeaderElection {
    let mut leading = leader.subscribe();
    let mut was_leading = false;
    // What this replica last wrote while leading; forgotten when it stops leading, so a new term
    // writes the latest again instead of waiting for the next change.
    let mut written: Option<Arc<StatusReport>> = None;
    let mut deployed: Option<Arc<Plan>> = None;
    // Set when a proxy could not be deployed: the same plan is applied again then.
    let mut retry_at: Option<Instant> = None;
    loop {
        let is_leading = *leading.borrow_and_update();
        if is_leading != was_leading {
            tracing::info!(leading = is_leading, "leadership changed");
            was_leading = is_leading;
            written = None;
            deployed = None;
            retry_at = None;
        }
        let latest = updates.borrow_and_update().clone();
        if let Some(latest) = latest.filter(|_| is_leading) {
            if !is_same(written.as_ref(), &latest.report) {
                status.submit(Arc::clone(&latest.report));
                written = Some(latest.report);
            }
            let retry = retry_at.is_some_and(|at| at <= Instant::now());
            if let (Some(deployer), Some(plan)) = (&deployer, latest.plan)
                && (retry || !is_same(deployed.as_ref(), &plan))
            {
                retry_at = None;
                deployed = Some(Arc::clone(&plan));
                if !deploy(deployer, &plan).await {
                    retry_at = Some(Instant::now() + DEPLOY_RETRY);
                }
            }
        }
        tokio::select! {
            biased;
            _ = stopped.wait_for(|stop| *stop) => return leader,
            changed = leading.changed() => if changed.is_err() { return leader },
            changed = updates.changed() => if changed.is_err() { return leader },
            () = sleep_until(retry_at), if retry_at.is_some() => {}
        }
    }
}

/// Whether `latest` is what was already done (translations of an unchanged state give equal values: an
/// EndpointSlice change redeploys nothing).
fn is_same<T: PartialEq>(done: Option<&Arc<T>>, latest: &Arc<T>) -> bool {
    done.is_some_and(|done| Arc::ptr_eq(done, latest) || **done == **latest)
}

/// Applies `plan`, logging failures; false when something should be retried.
async fn deploy(deployer: &Arc<Deployer>, plan: &Arc<Plan>) -> bool {
    let report = match apply(deployer, plan).await {
        Ok(report) => report,
        Err(err) => {
            tracing::error!(error = %err, "the deployer failed; retrying in {DEPLOY_RETRY:?}");
            return false;
        }
    };
    let mut ok = true;
    for error in &report.pruning {
        ok = false;
        tracing::warn!(%error, "cannot remove a proxy of a deleted Gateway; retrying in {DEPLOY_RETRY:?}");
    }
    for (gateway, result) in &report.gateways {
        match result {
            Ok(()) => {}
            // Wrong inputs (reported in the Gateway's status): retrying changes nothing.
            Err(error @ DeployError::Invalid(_)) => {
                tracing::warn!(%gateway, %error, "not deploying this Gateway's proxy");
            }
            Err(error) => {
                ok = false;
                tracing::warn!(%gateway, %error, "cannot deploy this Gateway's proxy; retrying in {DEPLOY_RETRY:?}");
            }
        }
    }
    ok
}

/// Runs [`Deployer::apply`] in its own task, so a panic in it is reported as an error, not a crash.
async fn apply(
    deployer: &Arc<Deployer>,
    plan: &Arc<Plan>,
) -> Result<dynagate_deployer::ApplyReport, tokio::task::JoinError> {
    let (deployer, plan) = (Arc::clone(deployer), Arc::clone(plan));
    tokio::spawn(async move { deployer.apply(&plan).await }).await
}

async fn sleep_until(deadline: Option<Instant>) {
    if let Some(deadline) = deadline {
        tokio::time::sleep_until(deadline).await;
    }
}
