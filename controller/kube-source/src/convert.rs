//! Conversions at the API edge: JSON of a served version into our typed [`Object`], and metadata
//! slimming (fields the translation never reads but that cost memory for every watched object).

use dynagate_api::k8s_openapi::api::discovery::v1::EndpointSlice;
use dynagate_api::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use dynagate_api::{Object, ObjectKind};
use serde_json::Value;

#[cfg(test)]
mod tests;

/// The annotation `kubectl apply` writes: a full copy of the object.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Well-known topology labels that v1 EndpointSlice turned into fields.
const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";

/// Drops `managedFields` and the last-applied annotation.
pub fn slim_metadata(meta: &mut ObjectMeta) {
    meta.managed_fields = None;
    if let Some(annotations) = &mut meta.annotations {
        annotations.remove(LAST_APPLIED);
        if annotations.is_empty() {
            meta.annotations = None;
        }
    }
}

/// A `discovery.k8s.io/v1beta1` EndpointSlice (as JSON) as the v1 type. The fields the translation
/// reads (addressType, endpoints' addresses and conditions, ports, labels) are the same in both; v1beta1's
/// per-endpoint `topology` map becomes v1's `deprecatedTopology`, with `nodeName` and `zone` taken from
/// its well-known keys when the endpoint does not set them.
pub fn endpoint_slice_from_v1beta1(mut value: Value) -> Result<EndpointSlice, serde_json::Error> {
    if let Some(object) = value.as_object_mut() {
        object.insert("apiVersion".to_owned(), Value::from("discovery.k8s.io/v1"));
        object.insert("kind".to_owned(), Value::from("EndpointSlice"));
        let endpoints = object
            .get_mut("endpoints")
            .and_then(Value::as_array_mut)
            .map(|endpoints| endpoints.iter_mut().filter_map(Value::as_object_mut));
        for endpoint in endpoints.into_iter().flatten() {
            let Some(topology) = endpoint.remove("topology") else {
                continue;
            };
            for (label, field) in [(ZONE_LABEL, "zone"), (HOSTNAME_LABEL, "nodeName")] {
                if let Some(value) = topology.get(label)
                    && !endpoint.contains_key(field)
                {
                    endpoint.insert(field.to_owned(), value.clone());
                }
            }
            endpoint.insert("deprecatedTopology".to_owned(), topology);
        }
    }
    serde_json::from_value(value)
}

/// An object of `kind` from its JSON (any served version whose fields match our types; EndpointSlice
/// `v1beta1` is converted). `apiVersion` is rewritten to the version of our type, since the typed
/// deserialisers check it.
pub fn object_from_json(kind: ObjectKind, mut value: Value) -> Result<Object, serde_json::Error> {
    if kind == ObjectKind::EndpointSlice
        && value.get("apiVersion").and_then(Value::as_str) == Some("discovery.k8s.io/v1beta1")
    {
        return endpoint_slice_from_v1beta1(value).map(Object::EndpointSlice);
    }
    if let Some(object) = value.as_object_mut() {
        object.insert(
            "apiVersion".to_owned(),
            Value::from(typed_api_version(kind)),
        );
        object.insert("kind".to_owned(), Value::from(kind.name()));
    }
    Ok(match kind {
        ObjectKind::GatewayClass => Object::GatewayClass(serde_json::from_value(value)?),
        ObjectKind::Gateway => Object::Gateway(serde_json::from_value(value)?),
        ObjectKind::HttpRoute => Object::HttpRoute(serde_json::from_value(value)?),
        ObjectKind::ReferenceGrant => Object::ReferenceGrant(serde_json::from_value(value)?),
        ObjectKind::Service => Object::Service(serde_json::from_value(value)?),
        ObjectKind::EndpointSlice => Object::EndpointSlice(serde_json::from_value(value)?),
        ObjectKind::Secret => Object::Secret(serde_json::from_value(value)?),
        ObjectKind::Namespace => Object::Namespace(serde_json::from_value(value)?),
        ObjectKind::TrafficPolicy => Object::TrafficPolicy(serde_json::from_value(value)?),
        ObjectKind::Backend => Object::Backend(serde_json::from_value(value)?),
        ObjectKind::DirectResponse => Object::DirectResponse(serde_json::from_value(value)?),
        ObjectKind::HttpListenerPolicy => {
            Object::HttpListenerPolicy(serde_json::from_value(value)?)
        }
        ObjectKind::ListenerPolicy => Object::ListenerPolicy(serde_json::from_value(value)?),
        ObjectKind::GatewayParameters => Object::GatewayParameters(serde_json::from_value(value)?),
    })
}

/// `group/version` of the Rust type we hold `kind` in.
pub(crate) fn typed_api_version(kind: ObjectKind) -> String {
    use dynagate_api::gateway::{Gateway, GatewayClass, HttpRoute, ReferenceGrant};
    use dynagate_api::k8s_openapi::api::core::v1::{Namespace, Secret, Service};
    use dynagate_api::kgateway::{
        Backend, DirectResponse, GatewayParameters, HttpListenerPolicy, ListenerPolicy,
        TrafficPolicy,
    };
    use kube::Resource;
    let version = match kind {
        ObjectKind::GatewayClass => GatewayClass::api_version(&()),
        ObjectKind::Gateway => Gateway::api_version(&()),
        ObjectKind::HttpRoute => HttpRoute::api_version(&()),
        ObjectKind::ReferenceGrant => ReferenceGrant::api_version(&()),
        ObjectKind::Service => Service::api_version(&()),
        ObjectKind::EndpointSlice => EndpointSlice::api_version(&()),
        ObjectKind::Secret => Secret::api_version(&()),
        ObjectKind::Namespace => Namespace::api_version(&()),
        ObjectKind::TrafficPolicy => TrafficPolicy::api_version(&()),
        ObjectKind::Backend => Backend::api_version(&()),
        ObjectKind::DirectResponse => DirectResponse::api_version(&()),
        ObjectKind::HttpListenerPolicy => HttpListenerPolicy::api_version(&()),
        ObjectKind::ListenerPolicy => ListenerPolicy::api_version(&()),
        ObjectKind::GatewayParameters => GatewayParameters::api_version(&()),
    };
    version.into_owned()
}

/// The version (without group) of the Rust type we hold `kind` in.
pub(crate) fn typed_version(kind: ObjectKind) -> String {
    let api_version = typed_api_version(kind);
    match api_version.split_once('/') {
        Some((_, version)) => version.to_owned(),
        None => api_version,
    }
}
