//! Make-before-break: how one ADS stream moves its Envoy from the snapshot it holds to a new one without a
//! moment where a route names a cluster Envoy does not have (or has not finished warming).
//!
//! State of the world pushes each type on its own, and Envoy applies each response as it arrives, so
//! pushing a snapshot that moves a route from cluster `a` to cluster `b` naively either removes `a` before
//! the routes stop using it, or hands Envoy routes to `b` while `b` is still warming (its endpoints not yet
//! delivered): both answer requests with "unknown cluster". So when the set of cluster names changes, each
//! stream (each Envoy, on its own timing, reconnects included) goes through three phases:
//!
//! 1. **Warming**: clusters, endpoints and secrets are served as the union of what the Envoy may still use
//!    (`kept`) and the new snapshot (new content wins on a name clash); listeners and routes are held (not
//!    pushed, requests for them not answered). It ends once this Envoy ACKed the union's clusters and ACKed
//!    endpoints covering every new EDS cluster (so the new clusters are warm).
//! 2. **Switching**: listeners and routes of the new snapshot are released; clusters stay the union, so
//!    the old routes (still live until Envoy applies the new ones) keep their clusters. It ends once Envoy
//!    ACKed the new listeners and route configurations.
//! 3. **Settled**: the new snapshot as is; the final CDS/EDS push removes the clusters nothing uses.
//!
//! A phase whose ACK never comes (a NACK, an Envoy that does not ask) ends after [`PHASE_TIMEOUT`], so a
//! stream never sticks. A new snapshot arriving mid-rollout restarts at Warming, keeping whatever the Envoy
//! may already have been given routes for. A snapshot that keeps the cluster names settles at once (Envoy
//! updates a cluster in place, keeping the old one serving until the new one is warm). A fresh stream keeps
//! nothing but still warms before listeners and routes go out, as a reconnecting Envoy keeps its old
//! listeners meanwhile.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use envoy_types::pb::envoy::config::cluster::v3::Cluster;
use envoy_types::pb::envoy::config::cluster::v3::cluster::{ClusterDiscoveryType, DiscoveryType};
use envoy_types::pb::google::protobuf::Any;
use prost::Message;
use tokio::time::Instant;

use crate::snapshot::{Snapshot, type_url};
use crate::stream::StreamState;

#[cfg(test)]
mod tests;

/// How long a phase waits for Envoy's ACKs before moving on anyway.
pub(crate) const PHASE_TIMEOUT: Duration = Duration::from_secs(10);

/// Types that point at clusters: held back until the clusters they may name are warm.
const HELD: [&str; 2] = [type_url::LISTENER, type_url::ROUTE];

/// Types served as a union during a rollout, so nothing still referenced disappears.
const KEPT: [&str; 3] = [type_url::CLUSTER, type_url::ENDPOINT, type_url::SECRET];

/// Where a stream is in moving to its target snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// New clusters pushed alongside the old ones; listeners and routes held.
    Warming,
    /// New listeners and routes pushed; old clusters still served.
    Switching,
    /// The target snapshot is served as is.
    Settled,
}

/// The rollout state of one stream; see the module docs.
#[derive(Debug)]
pub(crate) struct Rollout {
    target: Option<Arc<Snapshot>>,
    /// Clusters, endpoints and secrets the Envoy may still reference; `None` on a fresh stream.
    kept: Option<Arc<Snapshot>>,
    phase: Phase,
    /// What the stream serves now.
    served: Option<Arc<Snapshot>>,
    /// When the current phase gives up waiting.
    deadline: Option<Instant>,
}

impl Default for Rollout {
    fn default() -> Self {
        Self {
            target: None,
            kept: None,
            phase: Phase::Settled,
            served: None,
            deadline: None,
        }
    }
}

impl Rollout {
    /// What the stream serves now.
    pub(crate) fn served(&self) -> Option<Arc<Snapshot>> {
        self.served.clone()
    }

    /// The phase, for logs and tests.
    pub(crate) fn phase(&self) -> Phase {
        self.phase
    }

    /// When the current phase stops waiting; `None` when settled.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The types to withhold now.
    pub(crate) fn held(&self) -> &'static [&'static str] {
        match self.phase {
            Phase::Warming => &HELD,
            Phase::Switching | Phase::Settled => &[],
        }
    }

    /// Starts moving to `target`.
    pub(crate) fn set_target(&mut self, target: Arc<Snapshot>, now: Instant) {
        let kept = match (self.phase, self.target.take()) {
            // Routes of the previous target may have been sent: keep its clusters too.
            (Phase::Switching, Some(previous)) => Some(match self.kept.take() {
                Some(kept) => Arc::new(union(&kept, &previous)),
                None => previous,
            }),
            (Phase::Settled, Some(previous)) => Some(previous),
            // Warming: the previous target's routes never went out.
            (_, _) => self.kept.take(),
        };
        self.kept = kept;
        let same_clusters = self.kept.as_deref().is_some_and(|kept| {
            names(kept, type_url::CLUSTER) == names(&target, type_url::CLUSTER)
        });
        self.target = Some(target);
        if same_clusters {
            self.settle();
        } else {
            self.phase = Phase::Warming;
            self.deadline = Some(now + PHASE_TIMEOUT);
            self.served = self.target.as_ref().map(|target| match &self.kept {
                Some(kept) => Arc::new(union(kept, target)),
                None => target.clone(),
            });
        }
    }

    /// Moves on as far as `stream`'s ACKs (or the deadline) allow; true when what is served or held
    /// changed, so the caller pushes [`Self::served`] again.
    pub(crate) fn advance(&mut self, stream: &StreamState, now: Instant) -> bool {
        let mut changed = false;
        let expired = self.deadline.is_some_and(|deadline| now >= deadline);
        if self.phase == Phase::Warming {
            if !(expired || self.is_warm(stream)) {
                return false;
            }
            if expired {
                tracing::warn!("new clusters not confirmed warm in time; releasing routes anyway");
            }
            self.phase = Phase::Switching;
            self.deadline = Some(now + PHASE_TIMEOUT);
            changed = true;
        }
        if self.phase == Phase::Switching {
            let expired = self.deadline.is_some_and(|deadline| now >= deadline);
            if !(expired || self.is_switched(stream)) {
                return changed;
            }
            if expired {
                tracing::warn!("new routes not ACKed in time; removing old clusters anyway");
            }
            self.settle();
            changed = true;
        }
        changed
    }

    fn settle(&mut self) {
        self.phase = Phase::Settled;
        self.deadline = None;
        self.kept = self.target.clone();
        self.served = self.target.clone();
    }

    /// Envoy ACKed the served clusters and endpoints covering every EDS cluster it did not have.
    fn is_warm(&self, stream: &StreamState) -> bool {
        let (Some(served), Some(target)) = (&self.served, &self.target) else {
            return true;
        };
        let clusters_done = served.count(type_url::CLUSTER) == 0
            || stream.has_applied(type_url::CLUSTER, served, &BTreeSet::new());
        let had = self
            .kept
            .as_deref()
            .map(|kept| names(kept, type_url::CLUSTER))
            .unwrap_or_default();
        let new_eds = eds_names(target, &had);
        let endpoints_done =
            new_eds.is_empty() || stream.has_applied(type_url::ENDPOINT, served, &new_eds);
        clusters_done && endpoints_done
    }

    /// Envoy ACKed the target's listeners and every one of its route configurations.
    fn is_switched(&self, stream: &StreamState) -> bool {
        let Some(served) = &self.served else {
            return true;
        };
        HELD.iter().all(|type_url| {
            let required = names(served, type_url);
            if required.is_empty() && !stream.is_subscribed(type_url) {
                return true;
            }
            stream.has_applied(type_url, served, &required)
        })
    }
}

/// The names of one type's resources.
fn names(snapshot: &Snapshot, type_url: &str) -> BTreeSet<String> {
    snapshot
        .get(type_url)
        .map(|group| group.items().iter().map(|item| item.name.clone()).collect())
        .unwrap_or_default()
}

/// The endpoint names (EDS service names) of the EDS clusters of `snapshot` not named in `had`.
fn eds_names(snapshot: &Snapshot, had: &BTreeSet<String>) -> BTreeSet<String> {
    let Some(group) = snapshot.get(type_url::CLUSTER) else {
        return BTreeSet::new();
    };
    group
        .items()
        .iter()
        .filter(|item| !had.contains(&item.name))
        .filter_map(|item| {
            let cluster = Cluster::decode(item.resource.value.as_slice()).ok()?;
            let eds = ClusterDiscoveryType::Type(DiscoveryType::Eds as i32);
            (cluster.cluster_discovery_type == Some(eds)).then(|| {
                cluster
                    .eds_cluster_config
                    .map(|config| config.service_name)
                    .filter(|service| !service.is_empty())
                    .unwrap_or(cluster.name)
            })
        })
        .collect()
}

/// `target`, with the clusters, endpoints and secrets of `kept` it lacks added (target wins by name).
fn union(kept: &Snapshot, target: &Snapshot) -> Snapshot {
    let mut resources: BTreeMap<String, Vec<(String, Any)>> = BTreeMap::new();
    for type_url in target.type_urls() {
        let group = target.get(type_url).map(|g| g.items()).unwrap_or_default();
        resources.insert(
            type_url.to_owned(),
            group
                .iter()
                .map(|item| (item.name.clone(), item.resource.clone()))
                .collect(),
        );
    }
    for type_url in KEPT {
        let present = names(target, type_url);
        let extra = kept.get(type_url).map(|g| g.items()).unwrap_or_default();
        let group = resources.entry(type_url.to_owned()).or_default();
        group.extend(
            extra
                .iter()
                .filter(|item| !present.contains(&item.name))
                .map(|item| (item.name.clone(), item.resource.clone())),
        );
    }
    // Names are unique per type by construction; should that ever fail, serve the target unchanged.
    Snapshot::new(resources).unwrap_or_else(|error| {
        tracing::error!(%error, "cannot merge snapshots; serving the new one unmerged");
        target.clone()
    })
}
