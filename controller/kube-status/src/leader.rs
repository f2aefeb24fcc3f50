//! Leader election on a `coordination.k8s.io/v1` Lease, so only one controller replica writes status.
//!
//! The algorithm is client-go's: every retry period, read the Lease; renew it if we hold it, take it if
//! it is free or expired, otherwise wait. Expiry is judged by how long this candidate has seen the record
//! unchanged (its own monotonic clock), so clock skew between nodes cannot elect two leaders. Writes replace the Lease with the `resourceVersion` we read, so
//! when two candidates race for an expired Lease exactly one write succeeds (the other gets 409). A leader
//! whose renewals keep failing steps down after the renew deadline, which is shorter than the lease
//! duration, so it stops acting before anyone else may take over.
//!
//! Written here rather than taken from a crate: `kube-lease-manager` 0.13 needs kube 5, its 0.12 (kube 4)
//! renews with unconditional patches and has its own duration/grace model without a renew deadline, and
//! `kube-leader-election` 0.44 acquires with an unconditional merge patch, so two candidates can both win.

mod decision;

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ObjectMeta, PostParams};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use decision::{LeaseDecision, Observation, decide, released};

/// Which Lease to compete for, as whom, and the timings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseConfig {
    /// Namespace of the Lease.
    pub namespace: String,
    /// Name of the Lease.
    pub name: String,
    /// This candidate's identity (e.g. the Pod name); unique among candidates.
    pub identity: String,
    /// How long a Lease holds without renewal (whole seconds; written as `leaseDurationSeconds`).
    pub lease_duration: Duration,
    /// How long a leader keeps leading while renewals fail; must be shorter than `lease_duration`.
    pub renew_deadline: Duration,
    /// Time between attempts to acquire or renew.
    pub retry_period: Duration,
}

impl LeaseConfig {
    /// A config with client-go's default timings: lease 15 s, renew deadline 10 s, retry every 2 s.
    pub fn new(
        namespace: impl Into<String>,
        name: impl Into<String>,
        identity: impl Into<String>,
    ) -> Self {
        Self {
            namespace: namespace.into(),
            name: name.into(),
            identity: identity.into(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

/// A running candidate. Dropping it stops renewing (the Lease then expires) and reports `false` to
/// subscribers; [`LeaderElection::release`] also gives the Lease up at once.
#[derive(Debug)]
pub struct LeaderElection {
    leading: Arc<watch::Sender<bool>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl LeaderElection {
    /// Starts competing for the Lease on the current Tokio runtime.
    pub fn spawn(client: kube::Client, config: LeaseConfig) -> Self {
        let leading = Arc::new(watch::Sender::new(false));
        let (stop, stopped) = oneshot::channel();
        let api = Api::namespaced(client, &config.namespace);
        let task = tokio::spawn(run(api, config, Arc::clone(&leading), stopped));
        Self {
            leading,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Whether this candidate leads now.
    pub fn is_leader(&self) -> bool {
        *self.leading.borrow()
    }

    /// Leadership changes (`true` while leading).
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.leading.subscribe()
    }

    /// Stops competing and, if leading, releases the Lease so another candidate takes over at once.
    pub async fn release(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take()
            && let Err(error) = task.await
        {
            tracing::warn!(%error, "leader election task ended abnormally");
        }
    }
}

impl Drop for LeaderElection {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        self.leading.send_replace(false);
    }
}

/// The candidate loop.
async fn run(
    api: Api<Lease>,
    config: LeaseConfig,
    leading: Arc<watch::Sender<bool>>,
    mut stop: oneshot::Receiver<()>,
) {
    // Start of the last attempt that renewed or acquired the Lease (while leading).
    let mut renewed_at: Option<Instant> = None;
    let mut observation = Observation::default();
    loop {
        let started = Instant::now();
        // A leader's attempt may not outlast its deadline; a follower's is bounded by the deadline too.
        let budget = renewed_at.map_or(config.renew_deadline, |at| {
            (at + config.renew_deadline).saturating_duration_since(started)
        });
        let attempt = tokio::time::timeout(
            budget,
            try_acquire_or_renew(&api, &config, &mut observation),
        )
        .await;
        match attempt {
            Ok(Ok(true)) => renewed_at = Some(started),
            Ok(Ok(false)) => renewed_at = None,
            Ok(Err(error)) => tracing::debug!(lease = %config.name, %error, "lease update failed"),
            Err(_) => tracing::debug!(lease = %config.name, "lease update timed out"),
        }
        if renewed_at.is_some_and(|at| at.elapsed() >= config.renew_deadline) {
            tracing::warn!(lease = %config.name, "could not renew the lease in time; stepping down");
            renewed_at = None;
        }
        set_leading(&leading, &config, renewed_at.is_some());
        tokio::select! {
            _ = &mut stop => {
                if renewed_at.is_some() {
                    release_lease(&api, &config).await;
                }
                set_leading(&leading, &config, false);
                return;
            }
            () = tokio::time::sleep(config.retry_period) => {}
        }
    }
}

/// Publishes the leadership state, logging changes.
fn set_leading(leading: &watch::Sender<bool>, config: &LeaseConfig, now_leading: bool) {
    let changed = leading.send_if_modified(|state| {
        let changed = *state != now_leading;
        *state = now_leading;
        changed
    });
    if changed {
        tracing::info!(lease = %config.name, identity = %config.identity, leading = now_leading, "leadership changed");
    }
}

/// One round: read the Lease and create, renew or take it when the decision says so. `Ok(true)` when we
/// hold it afterwards; a lost race surfaces as an error (409) and is decided again next round.
async fn try_acquire_or_renew(
    api: &Api<Lease>,
    config: &LeaseConfig,
    observation: &mut Observation,
) -> Result<bool, kube::Error> {
    let current = api.get_opt(&config.name).await?;
    let spec = current.as_ref().and_then(|lease| lease.spec.as_ref());
    let unchanged_for = observation.unchanged_for(spec, Instant::now());
    let decision = decide(
        spec,
        &config.identity,
        config.lease_duration,
        Timestamp::now(),
        unchanged_for,
    );
    match (decision, current) {
        (LeaseDecision::Wait { .. }, _) => Ok(false),
        (LeaseDecision::Create(spec), _) => {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(config.name.clone()),
                    namespace: Some(config.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(spec),
            };
            api.create(&PostParams::default(), &lease).await?;
            Ok(true)
        }
        (decision, Some(mut lease)) => {
            lease.spec = decision.spec();
            // `lease` carries the resourceVersion we read: the replace fails if anyone wrote in between.
            api.replace(&config.name, &PostParams::default(), &lease)
                .await?;
            Ok(true)
        }
        // Renew/Acquire are only decided for an existing Lease.
        (_, None) => Ok(false),
    }
}

/// Gives the Lease up if we still hold it (best effort: on failure it simply expires).
async fn release_lease(api: &Api<Lease>, config: &LeaseConfig) {
    let result = async {
        let Some(mut lease) = api.get_opt(&config.name).await? else {
            return Ok(());
        };
        let Some(spec) = lease.spec.as_ref() else {
            return Ok(());
        };
        if spec.holder_identity.as_deref() != Some(config.identity.as_str()) {
            return Ok(());
        }
        lease.spec = Some(released(spec, Timestamp::now()));
        api.replace(&config.name, &PostParams::default(), &lease)
            .await
            .map(drop)
    }
    .await;
    match result {
        Ok(()) => tracing::info!(lease = %config.name, "lease released"),
        Err(error) => tracing::warn!(lease = %config.name, %error, "could not release the lease"),
    }
}
