//! One object's status write: read the live object, build the status document, server-side apply it
//! to the `/status` subresource, retrying transient failures a bounded number of times.

use std::time::Duration;

use dynagate_api::gateway::{Gateway, GatewayClass, HttpRoute};
use dynagate_api::kgateway::{Backend, HttpListenerPolicy, ListenerPolicy, TrafficPolicy};
use dynagate_api::{ObjectKey, ObjectKind};
use dynagate_ir::ObjectStatus;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams};
use serde_json::{Value, json};

use super::FIELD_MANAGER;
use crate::document::{StatusShape, status_document};

/// Attempts per object and pass (the first try included).
const MAX_ATTEMPTS: u32 = 4;
/// Delay after the first failed attempt; doubles after each further one.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(200);

/// How one write ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WriteOutcome {
    /// The status is on the server.
    Written,
    /// The object does not exist (any more).
    Gone,
    /// The server refused the write for a reason retrying cannot fix (invalid, forbidden).
    Rejected,
    /// Still failing after the retries; may succeed later.
    Failed,
}

/// Whether an error is worth another attempt, and what it means otherwise.
pub(crate) fn classify(error: &kube::Error) -> Option<WriteOutcome> {
    match error {
        kube::Error::Api(status) if status.code == 404 => Some(WriteOutcome::Gone),
        // Conflict: the object changed since we read it (another writer); read again and retry.
        kube::Error::Api(status) if status.code == 409 || status.code == 429 => None,
        kube::Error::Api(status) if status.code >= 500 => None,
        kube::Error::Api(_) => Some(WriteOutcome::Rejected),
        // Transport and other client errors: the server may be back soon.
        _ => None,
    }
}

/// The API resource (group, version, kind, plural) of a kind we write status for.
pub(crate) fn api_resource(kind: ObjectKind) -> Option<ApiResource> {
    Some(match kind {
        ObjectKind::GatewayClass => ApiResource::erase::<GatewayClass>(&()),
        ObjectKind::Gateway => ApiResource::erase::<Gateway>(&()),
        ObjectKind::HttpRoute => ApiResource::erase::<HttpRoute>(&()),
        ObjectKind::TrafficPolicy => ApiResource::erase::<TrafficPolicy>(&()),
        ObjectKind::Backend => ApiResource::erase::<Backend>(&()),
        ObjectKind::HttpListenerPolicy => ApiResource::erase::<HttpListenerPolicy>(&()),
        ObjectKind::ListenerPolicy => ApiResource::erase::<ListenerPolicy>(&()),
        _ => return None,
    })
}

/// Writes one object's status, retrying conflicts and transient errors up to [`MAX_ATTEMPTS`] times.
pub(crate) async fn write_object(
    client: &kube::Client,
    key: &ObjectKey,
    desired: &ObjectStatus,
    shape: StatusShape,
) -> WriteOutcome {
    let Some(resource) = api_resource(key.kind) else {
        return WriteOutcome::Rejected;
    };
    let api: Api<DynamicObject> = if key.kind.is_namespaced() {
        Api::namespaced_with(client.clone(), &key.namespace, &resource)
    } else {
        Api::all_with(client.clone(), &resource)
    };
    let mut delay = FIRST_RETRY_DELAY;
    for attempt in 1..=MAX_ATTEMPTS {
        let error = match try_write(&api, &resource, key, desired, shape).await {
            Ok(()) => {
                tracing::debug!(object = %key, "status written");
                return WriteOutcome::Written;
            }
            Err(error) => error,
        };
        match classify(&error) {
            Some(WriteOutcome::Gone) => {
                tracing::debug!(object = %key, "object gone; status not written");
                return WriteOutcome::Gone;
            }
            Some(outcome) => {
                tracing::warn!(object = %key, %error, "status write refused");
                return outcome;
            }
            None if attempt == MAX_ATTEMPTS => {
                tracing::warn!(object = %key, %error, attempts = attempt, "status write failed");
            }
            None => {
                tracing::debug!(object = %key, %error, attempt, "status write failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
    WriteOutcome::Failed
}

/// One attempt: read the live status, then apply ours over it.
async fn try_write(
    api: &Api<DynamicObject>,
    resource: &ApiResource,
    key: &ObjectKey,
    desired: &ObjectStatus,
    shape: StatusShape,
) -> Result<(), kube::Error> {
    let live = api.get_status(&key.name).await?;
    let status = status_document(shape, desired, live.data.get("status"), Timestamp::now());
    let body = apply_body(resource, key, shape, live.metadata.resource_version, status);
    api.patch_status(
        &key.name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&body),
    )
    .await?;
    Ok(())
}

/// The apply configuration: identity, the status, and for lists shared with other controllers the
/// `resourceVersion` we read, so the apply fails (409) rather than drop an entry written in between.
pub(crate) fn apply_body(
    resource: &ApiResource,
    key: &ObjectKey,
    shape: StatusShape,
    resource_version: Option<String>,
    status: Value,
) -> Value {
    let mut metadata = json!({ "name": key.name });
    if key.kind.is_namespaced() {
        metadata["namespace"] = json!(key.namespace);
    }
    if shape.is_shared()
        && let Some(version) = resource_version
    {
        metadata["resourceVersion"] = json!(version);
    }
    json!({
        "apiVersion": resource.api_version,
        "kind": resource.kind,
        "metadata": metadata,
        "status": status,
    })
}
