//! Which Secrets the translation reads, and the task that fetches their data.
//!
//! Secrets are watched by metadata only (a cluster has many, some large); the data of one is fetched
//! when an object starts referencing it or its resourceVersion changes, and dropped when no object
//! references it any more. The IR reads Secrets in two places: Gateway listener `tls.certificateRefs`
//! (core Secrets, possibly in another namespace) and Backend `spec.aws.auth.secretRef` (same namespace).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use dynagate_api::k8s_openapi::api::core::v1::Secret;
use dynagate_api::{Object, ObjectKey, ObjectKind};
use kube::{Api, Client};

use crate::source::Shared;

#[cfg(test)]
mod tests;

/// How long a failed fetch waits before it is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(10);

/// The Secrets `objects` reference (only Gateways and Backends reference any).
pub fn referenced_secrets<'a>(
    objects: impl IntoIterator<Item = &'a Object>,
) -> BTreeSet<ObjectKey> {
    let mut keys = BTreeSet::new();
    for object in objects {
        let namespace = object.namespace();
        match object {
            Object::Gateway(gateway) => {
                let refs = gateway
                    .spec
                    .listeners
                    .iter()
                    .filter_map(|listener| listener.tls.as_ref()?.certificate_refs.as_ref())
                    .flatten();
                for reference in refs {
                    let group = reference.group.as_deref().unwrap_or_default();
                    let kind = reference.kind.as_deref().unwrap_or("Secret");
                    if group.is_empty() && kind == "Secret" {
                        let target = reference.namespace.as_deref().unwrap_or(namespace);
                        keys.insert(ObjectKey::new(ObjectKind::Secret, target, &reference.name));
                    }
                }
            }
            Object::Backend(backend) => {
                let secret_ref = backend
                    .spec
                    .aws
                    .as_ref()
                    .and_then(|aws| aws.auth.as_ref()?.secret_ref.as_ref());
                if let Some(secret_ref) = secret_ref {
                    keys.insert(ObjectKey::new(
                        ObjectKind::Secret,
                        namespace,
                        &secret_ref.name,
                    ));
                }
            }
            _ => {}
        }
    }
    keys
}

/// Fetches pending Secrets whenever the store changes, until the source is dropped.
pub(crate) async fn resolve(client: Client, shared: Arc<Shared>) {
    let mut progress = shared.subscribe();
    // When failed fetches are next retried (a deadline, so a stream of unrelated changes cannot starve it).
    let mut retry_at: Option<tokio::time::Instant> = None;
    loop {
        let pending = shared.read(|store| store.pending_secrets());
        for (key, version) in pending {
            let api: Api<Secret> = Api::namespaced(client.clone(), &key.namespace);
            match api.get_opt(&key.name).await {
                Ok(Some(secret)) => shared.update(|store| store.load_secret(version, secret)),
                Ok(None) => {
                    // Deleted since the watch saw it: the watch will report the deletion.
                    shared.update(|store| {
                        store.secret_failed(key, version);
                        false
                    });
                }
                Err(err) => {
                    tracing::warn!(secret = %key, error = %err, "cannot read a referenced Secret; retrying in {RETRY_AFTER:?}");
                    retry_at.get_or_insert_with(|| tokio::time::Instant::now() + RETRY_AFTER);
                    shared.update(|store| {
                        store.secret_failed(key, version);
                        false
                    });
                }
            }
        }
        tokio::select! {
            changed = progress.changed() => if changed.is_err() { return },
            () = sleep_until(retry_at), if retry_at.is_some() => {
                retry_at = None;
                shared.update(|store| {
                    store.clear_secret_failures();
                    false
                });
            }
        }
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    if let Some(deadline) = deadline {
        tokio::time::sleep_until(deadline).await;
    }
}
