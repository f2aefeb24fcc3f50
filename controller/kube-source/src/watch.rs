//! One watcher per kind: a kube-runtime watch stream (list, then watch, re-listing after a gap) turned
//! into [`WatchEvent`]s on the shared store.

use std::fmt::Debug;
use std::sync::Arc;

use dynagate_api::gateway::{Gateway, GatewayClass, HttpRoute, ReferenceGrant};
use dynagate_api::k8s_openapi::api::core::v1::{Namespace, Secret, Service};
use dynagate_api::k8s_openapi::api::discovery::v1::EndpointSlice;
use dynagate_api::kgateway::{
    Backend, DirectResponse, GatewayParameters, HttpListenerPolicy, ListenerPolicy, TrafficPolicy,
};
use dynagate_api::{Object, ObjectKey, ObjectKind};
use futures::StreamExt as _;
use kube::api::{DynamicObject, PartialObjectMeta};
use kube::core::Resource;
use kube::discovery::ApiResource;
use kube::runtime::WatchStreamExt as _;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client};
use serde::de::DeserializeOwned;

use crate::convert::object_from_json;
use crate::discover::Served;
use crate::source::Shared;
use crate::store::WatchEvent;

/// Starts the watcher of `kind` as `served` (nothing for an absent kind).
pub(crate) fn spawn(
    client: &Client,
    kind: ObjectKind,
    served: &Served,
    shared: &Arc<Shared>,
) -> Option<tokio::task::JoinHandle<()>> {
    let shared = Arc::clone(shared);
    let client = client.clone();
    let task = match served {
        Served::Absent => return None,
        Served::Dynamic(resource) => {
            let api: Api<DynamicObject> = Api::all_with(client, resource);
            let resource = resource.clone();
            tokio::spawn(pump(api, kind, shared, move |object: DynamicObject| {
                dynamic_object(kind, &resource, object)
            }))
        }
        Served::Typed => match kind {
            ObjectKind::GatewayClass => {
                typed::<GatewayClass>(client, kind, shared, Object::GatewayClass)
            }
            ObjectKind::Gateway => typed::<Gateway>(client, kind, shared, Object::Gateway),
            ObjectKind::HttpRoute => typed::<HttpRoute>(client, kind, shared, Object::HttpRoute),
            ObjectKind::ReferenceGrant => {
                typed::<ReferenceGrant>(client, kind, shared, Object::ReferenceGrant)
            }
            ObjectKind::Service => typed::<Service>(client, kind, shared, Object::Service),
            ObjectKind::EndpointSlice => {
                typed::<EndpointSlice>(client, kind, shared, Object::EndpointSlice)
            }
            // Metadata only: the data of the few referenced Secrets is fetched by `secrets::resolve`.
            ObjectKind::Secret => {
                let api: Api<PartialObjectMeta<Secret>> = Api::all(client);
                tokio::spawn(pump(
                    api,
                    kind,
                    shared,
                    |meta: PartialObjectMeta<Secret>| {
                        Ok(Object::Secret(Secret {
                            metadata: meta.metadata,
                            ..Secret::default()
                        }))
                    },
                ))
            }
            ObjectKind::Namespace => typed::<Namespace>(client, kind, shared, Object::Namespace),
            ObjectKind::TrafficPolicy => {
                typed::<TrafficPolicy>(client, kind, shared, Object::TrafficPolicy)
            }
            ObjectKind::Backend => typed::<Backend>(client, kind, shared, Object::Backend),
            ObjectKind::DirectResponse => {
                typed::<DirectResponse>(client, kind, shared, Object::DirectResponse)
            }
            ObjectKind::HttpListenerPolicy => {
                typed::<HttpListenerPolicy>(client, kind, shared, Object::HttpListenerPolicy)
            }
            ObjectKind::ListenerPolicy => {
                typed::<ListenerPolicy>(client, kind, shared, Object::ListenerPolicy)
            }
            ObjectKind::GatewayParameters => {
                typed::<GatewayParameters>(client, kind, shared, Object::GatewayParameters)
            }
        },
    };
    Some(task)
}

fn typed<K>(
    client: Client,
    kind: ObjectKind,
    shared: Arc<Shared>,
    wrap: fn(K) -> Object,
) -> tokio::task::JoinHandle<()>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + 'static,
{
    let api: Api<K> = Api::all(client);
    tokio::spawn(pump(api, kind, shared, move |object| Ok(wrap(object))))
}

fn dynamic_object(
    kind: ObjectKind,
    resource: &ApiResource,
    object: DynamicObject,
) -> Result<Object, String> {
    let mut value = serde_json::to_value(&object).map_err(|err| err.to_string())?;
    // Watch events of a dynamic API may omit the type fields; the conversion keys on them.
    if let Some(fields) = value.as_object_mut() {
        fields
            .entry("apiVersion")
            .or_insert_with(|| serde_json::Value::from(resource.api_version.clone()));
    }
    object_from_json(kind, value).map_err(|err| err.to_string())
}

/// Feeds the watch stream of `api` into the store until the source is dropped. Errors (the API server
/// restarting, a lost watch) are logged and retried with kube-runtime's default backoff.
async fn pump<K, F>(api: Api<K>, kind: ObjectKind, shared: Arc<Shared>, to_object: F)
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    F: Fn(K) -> Result<Object, String> + Send + 'static,
{
    let stream = watcher::watcher(api, watcher::Config::default()).default_backoff();
    futures::pin_mut!(stream);
    while let Some(event) = stream.next().await {
        let event = match event {
            Ok(event) => event,
            Err(err) => {
                tracing::warn!(%kind, error = %err, "watch failed; retrying");
                continue;
            }
        };
        let event = match event {
            Event::Init => WatchEvent::Init,
            Event::InitDone => WatchEvent::InitDone,
            Event::InitApply(object) => match convert(kind, &to_object, object) {
                Ok(object) => WatchEvent::InitApply(object),
                Err(_) => continue,
            },
            Event::Apply(object) => match convert(kind, &to_object, object) {
                Ok(object) => WatchEvent::Apply(object),
                // Do not keep serving an older version of an object we can no longer read.
                Err(key) => WatchEvent::Delete(key),
            },
            Event::Delete(object) => WatchEvent::Delete(key_of(kind, object.meta())),
        };
        shared.update(|store| store.apply(kind, event));
    }
}

/// Converts one watched object, logging (and returning the key of) one that does not fit our types.
fn convert<K: Resource, F: Fn(K) -> Result<Object, String>>(
    kind: ObjectKind,
    to_object: &F,
    object: K,
) -> Result<Object, ObjectKey> {
    let key = key_of(kind, object.meta());
    to_object(object).map_err(|reason| {
        tracing::warn!(object = %key, %reason, "ignoring an object that does not match its schema");
        key
    })
}

fn key_of(
    kind: ObjectKind,
    meta: &dynagate_api::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> ObjectKey {
    let namespace = if kind.is_namespaced() {
        meta.namespace.clone().unwrap_or_default()
    } else {
        String::new()
    };
    ObjectKey::new(kind, namespace, meta.name.clone().unwrap_or_default())
}
