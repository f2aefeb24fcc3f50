//! [`KubeSource`]: discovery, one watcher per kind, the Secret resolver, and the shared store they feed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use dynagate_api::{Object, ObjectKind};
use kube::Client;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::debounce::{Changes, Progress};
use crate::discover::{Served, discover};
use crate::store::{KindState, Store};

/// How often discovery runs again to pick up CRDs installed after start.
const REDISCOVER_EVERY: Duration = Duration::from_secs(60);

/// Why the source could not start.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// API discovery failed (the API server is unreachable or refused us).
    #[error("Kubernetes API discovery failed: {0}")]
    Discovery(#[source] kube::Error),
}

/// The store and the channel announcing its changes, shared by every task of a source.
#[derive(Debug)]
pub(crate) struct Shared {
    store: Mutex<Store>,
    progress: watch::Sender<Progress>,
}

impl Shared {
    fn new() -> Self {
        Self {
            store: Mutex::new(Store::new()),
            progress: watch::Sender::new(Progress::default()),
        }
    }

    /// Reads the store.
    pub(crate) fn read<T>(&self, read: impl FnOnce(&Store) -> T) -> T {
        read(&self.store.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Changes the store (`change` returns whether the object set changed) and announces the result.
    pub(crate) fn update(&self, change: impl FnOnce(&mut Store) -> bool) {
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        let changed = change(&mut store);
        let (synced, settled) = (store.is_synced(), store.is_settled());
        // Sent under the lock, so progress is announced in the order the changes were made.
        self.progress.send_if_modified(|progress| {
            let before = *progress;
            if changed {
                progress.generation += 1;
            }
            progress.synced = synced;
            progress.settled = settled;
            *progress != before
        });
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<Progress> {
        self.progress.subscribe()
    }
}

/// Kubernetes objects of every kind we translate, kept current by watches. Dropping it stops them.
#[derive(Debug)]
pub struct KubeSource {
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for KubeSource {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl KubeSource {
    /// Discovers the served kinds and starts watching them (all namespaces). Returns at once; watch
    /// [`KubeSource::changes`] for the first complete state.
    pub async fn start(client: Client) -> Result<Self, SourceError> {
        let plan = discover(&client).await.map_err(SourceError::Discovery)?;
        let shared = Arc::new(Shared::new());
        let mut tasks = Vec::new();
        let mut absent = Vec::new();
        for (kind, served) in &plan {
            match served {
                Served::Absent => absent.push(*kind),
                Served::Dynamic(resource) => tracing::info!(
                    %kind,
                    version = %resource.api_version,
                    "watching an older served version, converted"
                ),
                Served::Typed => {}
            }
            tasks.extend(crate::watch::spawn(&client, *kind, served, &shared));
        }
        if !absent.is_empty() {
            let names: Vec<&str> = absent.iter().map(|kind| kind.name()).collect();
            tracing::warn!(
                kinds = ?names,
                "the cluster does not serve these kinds (CRDs not installed?); treating them as empty and checking again every {REDISCOVER_EVERY:?}"
            );
        }
        shared.update(|store| {
            for kind in &absent {
                store.set_absent(*kind);
            }
            false
        });
        tasks.push(tokio::spawn(crate::secrets::resolve(
            client.clone(),
            Arc::clone(&shared),
        )));
        if !absent.is_empty() {
            tasks.push(tokio::spawn(rediscover(
                client,
                Arc::clone(&shared),
                absent,
            )));
        }
        Ok(Self { shared, tasks })
    }

    /// Debounced change notifications; the first arrives once every watcher has listed.
    pub fn changes(&self) -> Changes {
        Changes::new(self.shared.subscribe())
    }

    /// Every object now (Secrets: only referenced ones), ready for `Resources::new`.
    pub fn snapshot(&self) -> Vec<Object> {
        self.shared.read(Store::snapshot)
    }

    /// Whether every watcher has completed its initial list.
    pub fn is_synced(&self) -> bool {
        self.shared.read(Store::is_synced)
    }

    /// State and object count of every kind.
    pub fn summary(&self) -> BTreeMap<ObjectKind, (KindState, usize)> {
        self.shared.read(Store::summary)
    }
}

/// Runs discovery again now and then and starts watchers for kinds that appeared (a CRD installed after
/// the controller). Watchers of kinds that disappear keep retrying on their own.
async fn rediscover(client: Client, shared: Arc<Shared>, mut absent: Vec<ObjectKind>) {
    // Dropping the source aborts this task; a JoinHandle does not stop its task, so abort them with it.
    let mut watchers = AbortOnDrop(Vec::new());
    while !absent.is_empty() {
        tokio::time::sleep(REDISCOVER_EVERY).await;
        let plan = match discover(&client).await {
            Ok(plan) => plan,
            Err(err) => {
                tracing::debug!(error = %err, "rediscovery failed");
                continue;
            }
        };
        absent.retain(|kind| {
            let served = plan.get(kind).cloned().unwrap_or(Served::Absent);
            if matches!(served, Served::Absent) {
                return true;
            }
            tracing::info!(%kind, "the cluster serves this kind now; watching it");
            shared.update(|store| {
                store.set_listing(*kind);
                false
            });
            watchers
                .0
                .extend(crate::watch::spawn(&client, *kind, &served, &shared));
            false
        });
    }
    // Keep the watchers alive for the life of the source.
    std::future::pending::<()>().await;
    drop(watchers);
}

struct AbortOnDrop(Vec<JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}
