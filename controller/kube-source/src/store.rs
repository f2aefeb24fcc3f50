//! The watched objects of every kind, the sync state of each watcher, and the data of referenced Secrets.
//!
//! Pure (no I/O): watchers feed it [`WatchEvent`]s, the Secret resolver feeds it fetched Secrets, and
//! the translation loop reads [`Store::snapshot`]. The Secret watcher only sees metadata (what exists,
//! at which resourceVersion); the data of a Secret is kept only while some object references it.

use std::collections::BTreeMap;

use dynagate_api::k8s_openapi::api::core::v1::Secret;
use dynagate_api::{Object, ObjectKey, ObjectKind};
use serde::Serialize;

use crate::convert::slim_metadata;
use crate::secrets::referenced_secrets;

#[cfg(test)]
mod tests;

/// Where the watcher of one kind stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum KindState {
    /// Its initial list has not completed yet.
    Listing,
    /// Listed; now following changes.
    Synced,
    /// The cluster does not serve this kind (CRD not installed): treated as empty.
    Absent,
}

/// One change from a watcher, in the order the API server reported it.
#[derive(Clone, Debug)]
pub enum WatchEvent {
    /// A (re-)list starts: the objects that follow replace the kind's contents at [`WatchEvent::InitDone`].
    Init,
    /// One object of the list.
    InitApply(Object),
    /// The list is complete.
    InitDone,
    /// An object was created or changed.
    Apply(Object),
    /// An object was deleted.
    Delete(ObjectKey),
}

#[derive(Debug)]
struct KindStore {
    state: KindState,
    objects: BTreeMap<ObjectKey, Object>,
    /// Objects of a list in progress.
    listing: Option<BTreeMap<ObjectKey, Object>>,
}

/// Every watched object, by kind.
#[derive(Debug)]
pub struct Store {
    kinds: BTreeMap<ObjectKind, KindStore>,
    /// Full Secrets (with data), only those referenced by current objects, with the watched
    /// resourceVersion that made us fetch them (a GET may return a newer one than the watch has seen).
    loaded_secrets: BTreeMap<ObjectKey, (String, Secret)>,
    /// Secrets whose fetch failed, with the resourceVersion that failed (not retried until it changes or
    /// [`Store::clear_secret_failures`]); they do not hold back [`Store::is_settled`].
    failed_secrets: BTreeMap<ObjectKey, String>,
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

impl Store {
    /// An empty store: every kind listing.
    pub fn new() -> Self {
        let kinds = ObjectKind::ALL
            .into_iter()
            .map(|kind| {
                let store = KindStore {
                    state: KindState::Listing,
                    objects: BTreeMap::new(),
                    listing: None,
                };
                (kind, store)
            })
            .collect();
        Self {
            kinds,
            loaded_secrets: BTreeMap::new(),
            failed_secrets: BTreeMap::new(),
        }
    }

    /// Marks `kind` as not served by the cluster: empty and counted as synced.
    pub fn set_absent(&mut self, kind: ObjectKind) {
        let store = self.kind_mut(kind);
        store.state = KindState::Absent;
        store.objects.clear();
        store.listing = None;
        if kind == ObjectKind::Secret {
            self.loaded_secrets.clear();
        }
    }

    /// Marks `kind` as listing again (a watcher is starting for a kind that was absent).
    pub fn set_listing(&mut self, kind: ObjectKind) {
        self.kind_mut(kind).state = KindState::Listing;
    }

    /// Applies one watcher event of `kind`; true when what [`Store::snapshot`] returns changed.
    pub fn apply(&mut self, kind: ObjectKind, event: WatchEvent) -> bool {
        let store = self.kind_mut(kind);
        let changed = match event {
            WatchEvent::Init => {
                store.listing = Some(BTreeMap::new());
                false
            }
            WatchEvent::InitApply(object) => {
                let object = slim(object);
                store
                    .listing
                    .get_or_insert_default()
                    .insert(object.key(), object);
                false
            }
            WatchEvent::InitDone => {
                if let Some(listed) = store.listing.take() {
                    store.objects = listed;
                }
                store.state = KindState::Synced;
                true
            }
            WatchEvent::Apply(object) => {
                let object = slim(object);
                store.objects.insert(object.key(), object);
                true
            }
            WatchEvent::Delete(key) => store.objects.remove(&key).is_some(),
        };
        if changed
            && matches!(
                kind,
                ObjectKind::Gateway | ObjectKind::Backend | ObjectKind::Secret
            )
        {
            self.prune_secrets();
        }
        changed
    }

    /// Whether every kind has completed its initial list (or is absent).
    pub fn is_synced(&self) -> bool {
        self.kinds
            .values()
            .all(|store| store.state != KindState::Listing)
    }

    /// Synced, and every referenced Secret that exists is loaded: a snapshot now is complete.
    pub fn is_settled(&self) -> bool {
        self.is_synced() && self.pending_secrets().is_empty()
    }

    /// Referenced Secrets that exist but whose current version is not loaded (and did not fail to load),
    /// with the watched resourceVersion to fetch.
    pub fn pending_secrets(&self) -> Vec<(ObjectKey, String)> {
        let existing = &self.kind(ObjectKind::Secret).objects;
        referenced_secrets(self.kind(ObjectKind::Gateway).objects.values())
            .into_iter()
            .chain(referenced_secrets(
                self.kind(ObjectKind::Backend).objects.values(),
            ))
            .filter_map(|key| {
                let version =
                    resource_version(existing.get(&key)?.meta().resource_version.as_ref());
                let loaded = self
                    .loaded_secrets
                    .get(&key)
                    .map(|(wanted, _)| wanted.as_str());
                let failed = self.failed_secrets.get(&key).map(String::as_str);
                (loaded != Some(version) && failed != Some(version))
                    .then(|| (key, version.to_owned()))
            })
            .collect::<BTreeMap<_, _>>()
            .into_iter()
            .collect()
    }

    /// Stores a Secret fetched because the watch showed it at `watched_version`, if it is still
    /// referenced and existing; true when the snapshot changed.
    pub fn load_secret(&mut self, watched_version: String, secret: Secret) -> bool {
        let Object::Secret(secret) = slim(Object::Secret(secret)) else {
            return false;
        };
        let key = ObjectKey::new(
            ObjectKind::Secret,
            secret.metadata.namespace.clone().unwrap_or_default(),
            secret.metadata.name.clone().unwrap_or_default(),
        );
        self.failed_secrets.remove(&key);
        if !self.is_referenced(&key) {
            return false;
        }
        self.loaded_secrets.insert(key, (watched_version, secret));
        true
    }

    /// Records that fetching `key` at `resource_version` failed (a 404 after a race, RBAC, ...).
    pub fn secret_failed(&mut self, key: ObjectKey, resource_version: String) {
        self.failed_secrets.insert(key, resource_version);
    }

    /// Forgets fetch failures so that the next pass retries them.
    pub fn clear_secret_failures(&mut self) -> bool {
        let had = !self.failed_secrets.is_empty();
        self.failed_secrets.clear();
        had
    }

    /// Every object, as a manifest directory would hold them (Secrets: only referenced ones, with data).
    pub fn snapshot(&self) -> Vec<Object> {
        self.kinds
            .iter()
            .filter(|(kind, _)| **kind != ObjectKind::Secret)
            .flat_map(|(_, store)| store.objects.values().cloned())
            .chain(
                self.loaded_secrets
                    .values()
                    .map(|(_, secret)| Object::Secret(secret.clone())),
            )
            .collect()
    }

    /// State and object count of every kind (Secrets: loaded ones).
    pub fn summary(&self) -> BTreeMap<ObjectKind, (KindState, usize)> {
        self.kinds
            .iter()
            .map(|(kind, store)| {
                let count = if *kind == ObjectKind::Secret {
                    self.loaded_secrets.len()
                } else {
                    store.objects.len()
                };
                (*kind, (store.state, count))
            })
            .collect()
    }

    fn is_referenced(&self, key: &ObjectKey) -> bool {
        self.kind(ObjectKind::Secret).objects.contains_key(key)
            && (referenced_secrets(self.kind(ObjectKind::Gateway).objects.values()).contains(key)
                || referenced_secrets(self.kind(ObjectKind::Backend).objects.values())
                    .contains(key))
    }

    /// Drops loaded Secrets that are no longer referenced or no longer exist.
    fn prune_secrets(&mut self) {
        if self.loaded_secrets.is_empty() && self.failed_secrets.is_empty() {
            return;
        }
        let mut referenced = referenced_secrets(self.kind(ObjectKind::Gateway).objects.values());
        referenced.extend(referenced_secrets(
            self.kind(ObjectKind::Backend).objects.values(),
        ));
        let existing = self
            .kinds
            .get(&ObjectKind::Secret)
            .map(|store| &store.objects);
        let keep = |key: &ObjectKey| {
            referenced.contains(key) && existing.is_some_and(|objects| objects.contains_key(key))
        };
        self.loaded_secrets.retain(|key, _| keep(key));
        self.failed_secrets.retain(|key, _| keep(key));
    }

    fn kind(&self, kind: ObjectKind) -> &KindStore {
        // Every kind is inserted by `new`; the fallback only keeps this total.
        static EMPTY: KindStore = KindStore {
            state: KindState::Absent,
            objects: BTreeMap::new(),
            listing: None,
        };
        self.kinds.get(&kind).unwrap_or(&EMPTY)
    }

    fn kind_mut(&mut self, kind: ObjectKind) -> &mut KindStore {
        self.kinds.entry(kind).or_insert_with(|| KindStore {
            state: KindState::Listing,
            objects: BTreeMap::new(),
            listing: None,
        })
    }
}

fn slim(mut object: Object) -> Object {
    slim_metadata(object.meta_mut());
    object
}

fn resource_version(version: Option<&String>) -> &str {
    version.map_or("", String::as_str)
}
