//! `Resources`: every object the controller knows, indexed by kind and `namespace/name`.
//!
//! Built once per change from the full object list (directory source) or from watch caches (Kubernetes
//! source); translation only reads it.

use std::collections::BTreeMap;

use dynagate_api::gateway::{Gateway, GatewayClass, HttpRoute, ReferenceGrant};
use dynagate_api::k8s_openapi::api::core::v1::{Namespace, Secret, Service};
use dynagate_api::k8s_openapi::api::discovery::v1::EndpointSlice;
use dynagate_api::kgateway::{
    Backend, DirectResponse, GatewayParameters, HttpListenerPolicy, ListenerPolicy, TrafficPolicy,
};
use dynagate_api::{Object, ObjectKey, ObjectKind};

#[cfg(test)]
mod tests;

/// `(namespace, name)`.
pub(crate) type NsName = (String, String);

/// Label EndpointSlices carry to name their Service.
const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// Two or more objects share a kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("duplicate objects: {}", .duplicates.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
pub struct ResourcesError {
    /// Each duplicated identity, once, sorted.
    pub duplicates: Vec<ObjectKey>,
}

/// Every object the controller knows.
#[derive(Clone, Debug, Default)]
pub struct Resources {
    pub(crate) gateway_classes: BTreeMap<String, GatewayClass>,
    pub(crate) gateways: BTreeMap<NsName, Gateway>,
    pub(crate) http_routes: BTreeMap<NsName, HttpRoute>,
    pub(crate) reference_grants: BTreeMap<NsName, ReferenceGrant>,
    pub(crate) services: BTreeMap<NsName, Service>,
    pub(crate) endpoint_slices: BTreeMap<NsName, EndpointSlice>,
    pub(crate) secrets: BTreeMap<NsName, Secret>,
    pub(crate) namespaces: BTreeMap<String, Namespace>,
    pub(crate) traffic_policies: BTreeMap<NsName, TrafficPolicy>,
    pub(crate) backends: BTreeMap<NsName, Backend>,
    pub(crate) direct_responses: BTreeMap<NsName, DirectResponse>,
    pub(crate) http_listener_policies: BTreeMap<NsName, HttpListenerPolicy>,
    pub(crate) listener_policies: BTreeMap<NsName, ListenerPolicy>,
    pub(crate) gateway_parameters: BTreeMap<NsName, GatewayParameters>,
    /// EndpointSlices of each Service, by the `kubernetes.io/service-name` label.
    pub(crate) slices_by_service: BTreeMap<NsName, Vec<NsName>>,
}

impl Resources {
    /// Indexes `objects`. Two objects with the same kind, namespace and name are an error (in a directory of
    /// manifests that is almost always a copy-paste mistake, and picking one would be arbitrary).
    pub fn new(objects: impl IntoIterator<Item = Object>) -> Result<Self, ResourcesError> {
        let mut resources = Self::default();
        let mut duplicates = Vec::new();
        for object in objects {
            let key = object.key();
            if !resources.insert(object) {
                duplicates.push(key);
            }
        }
        if !duplicates.is_empty() {
            duplicates.sort();
            duplicates.dedup();
            return Err(ResourcesError { duplicates });
        }
        resources.index_endpoint_slices();
        Ok(resources)
    }

    /// Number of objects of each kind (every kind present, possibly 0).
    pub fn count_by_kind(&self) -> BTreeMap<ObjectKind, usize> {
        ObjectKind::ALL
            .into_iter()
            .map(|kind| {
                let count = match kind {
                    ObjectKind::GatewayClass => self.gateway_classes.len(),
                    ObjectKind::Gateway => self.gateways.len(),
                    ObjectKind::HttpRoute => self.http_routes.len(),
                    ObjectKind::ReferenceGrant => self.reference_grants.len(),
                    ObjectKind::Service => self.services.len(),
                    ObjectKind::EndpointSlice => self.endpoint_slices.len(),
                    ObjectKind::Secret => self.secrets.len(),
                    ObjectKind::Namespace => self.namespaces.len(),
                    ObjectKind::TrafficPolicy => self.traffic_policies.len(),
                    ObjectKind::Backend => self.backends.len(),
                    ObjectKind::DirectResponse => self.direct_responses.len(),
                    ObjectKind::HttpListenerPolicy => self.http_listener_policies.len(),
                    ObjectKind::ListenerPolicy => self.listener_policies.len(),
                    ObjectKind::GatewayParameters => self.gateway_parameters.len(),
                };
                (kind, count)
            })
            .collect()
    }

    /// Total number of objects.
    pub fn len(&self) -> usize {
        self.count_by_kind().values().sum()
    }

    /// Whether there are no objects at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Inserts one object; false if its identity is already taken.
    fn insert(&mut self, object: Object) -> bool {
        let ns_name = (object.namespace().to_owned(), object.name().to_owned());
        match object {
            Object::GatewayClass(o) => insert_unique(&mut self.gateway_classes, ns_name.1, o),
            Object::Namespace(o) => insert_unique(&mut self.namespaces, ns_name.1, o),
            Object::Gateway(o) => insert_unique(&mut self.gateways, ns_name, o),
            Object::HttpRoute(o) => insert_unique(&mut self.http_routes, ns_name, o),
            Object::ReferenceGrant(o) => insert_unique(&mut self.reference_grants, ns_name, o),
            Object::Service(o) => insert_unique(&mut self.services, ns_name, o),
            Object::EndpointSlice(o) => insert_unique(&mut self.endpoint_slices, ns_name, o),
            Object::Secret(o) => insert_unique(&mut self.secrets, ns_name, o),
            Object::TrafficPolicy(o) => insert_unique(&mut self.traffic_policies, ns_name, o),
            Object::Backend(o) => insert_unique(&mut self.backends, ns_name, o),
            Object::DirectResponse(o) => insert_unique(&mut self.direct_responses, ns_name, o),
            Object::HttpListenerPolicy(o) => {
                insert_unique(&mut self.http_listener_policies, ns_name, o)
            }
            Object::ListenerPolicy(o) => insert_unique(&mut self.listener_policies, ns_name, o),
            Object::GatewayParameters(o) => insert_unique(&mut self.gateway_parameters, ns_name, o),
        }
    }

    /// Puts `object` in place of the object with its identity (inserting it if absent). Only the
    /// kinds [`crate::LastGood`] keeps; other kinds are ignored (false).
    pub(crate) fn replace(&mut self, object: Object) -> bool {
        let ns_name = (object.namespace().to_owned(), object.name().to_owned());
        match object {
            Object::TrafficPolicy(o) => {
                self.traffic_policies.insert(ns_name, o);
            }
            Object::Backend(o) => {
                self.backends.insert(ns_name, o);
            }
            Object::HttpListenerPolicy(o) => {
                self.http_listener_policies.insert(ns_name, o);
            }
            Object::ListenerPolicy(o) => {
                self.listener_policies.insert(ns_name, o);
            }
            _ => return false,
        }
        true
    }

    /// The objects of the kinds [`crate::LastGood`] keeps, with their identities.
    pub(crate) fn policy_objects(&self) -> impl Iterator<Item = (ObjectKey, Object)> + '_ {
        fn key(kind: ObjectKind, (namespace, name): &NsName) -> ObjectKey {
            ObjectKey::new(kind, namespace, name)
        }
        let traffic = self.traffic_policies.iter().map(|(k, o)| {
            (
                key(ObjectKind::TrafficPolicy, k),
                Object::TrafficPolicy(o.clone()),
            )
        });
        let backends = (self.backends.iter())
            .map(|(k, o)| (key(ObjectKind::Backend, k), Object::Backend(o.clone())));
        let http_listener = self.http_listener_policies.iter().map(|(k, o)| {
            (
                key(ObjectKind::HttpListenerPolicy, k),
                Object::HttpListenerPolicy(o.clone()),
            )
        });
        let listener = self.listener_policies.iter().map(|(k, o)| {
            (
                key(ObjectKind::ListenerPolicy, k),
                Object::ListenerPolicy(o.clone()),
            )
        });
        traffic.chain(backends).chain(http_listener).chain(listener)
    }

    fn index_endpoint_slices(&mut self) {
        for ((namespace, name), slice) in &self.endpoint_slices {
            let service = slice
                .metadata
                .labels
                .as_ref()
                .and_then(|labels| labels.get(SERVICE_NAME_LABEL));
            if let Some(service) = service {
                self.slices_by_service
                    .entry((namespace.clone(), service.clone()))
                    .or_default()
                    .push((namespace.clone(), name.clone()));
            }
        }
    }

    /// Labels of a namespace (empty when the Namespace object is not known).
    pub(crate) fn namespace_labels(&self, namespace: &str) -> BTreeMap<String, String> {
        self.namespaces
            .get(namespace)
            .and_then(|ns| ns.metadata.labels.clone())
            .unwrap_or_default()
    }
}

fn insert_unique<K: Ord, V>(map: &mut BTreeMap<K, V>, key: K, value: V) -> bool {
    match map.entry(key) {
        std::collections::btree_map::Entry::Occupied(_) => false,
        std::collections::btree_map::Entry::Vacant(slot) => {
            slot.insert(value);
            true
        }
    }
}
