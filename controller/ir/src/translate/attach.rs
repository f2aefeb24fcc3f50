//! HTTPRoute `parentRefs` -> the Gateway listeners a route attaches to, and the route's parent status.

use std::collections::BTreeMap;

use dynagate_api::gateway::httproutes::HttpRouteParentRefs;
use dynagate_api::gateway::{CONTROLLER_NAME, GROUP as GATEWAY_GROUP};
use dynagate_api::{ObjectKey, ObjectKind};

use super::gateway::{GatewayModel, RouteNamespaces};
use super::hostname;
use super::reasons::*;
use super::route::CompiledRoute;
use crate::resources::{NsName, Resources};
use crate::status::{Condition, ParentRef, RouteParentStatus, StatusReport};

/// Label Kubernetes puts on every Namespace; we assume it too, so selectors on it work without Namespace
/// manifests.
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A route attached to one listener of a Gateway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Attachment {
    pub(crate) route: NsName,
    pub(crate) listener: usize,
    /// Hostnames the route serves on this listener (`*` = any).
    pub(crate) hostnames: Vec<String>,
}

/// The Gateway a parentRef names, if it names one of ours.
pub(crate) fn parent_gateway(
    route_namespace: &str,
    parent: &HttpRouteParentRefs,
) -> Option<NsName> {
    let group = parent.group.as_deref().unwrap_or(GATEWAY_GROUP);
    let kind = parent.kind.as_deref().unwrap_or("Gateway");
    (group == GATEWAY_GROUP && kind == "Gateway").then(|| {
        (
            parent
                .namespace
                .clone()
                .unwrap_or_else(|| route_namespace.to_owned()),
            parent.name.clone(),
        )
    })
}

/// Attaches one compiled route to our Gateways, recording attachments and the route's status.
pub(crate) fn attach_route(
    resources: &Resources,
    gateways: &mut BTreeMap<NsName, GatewayModel>,
    route: &CompiledRoute,
    parents: &[HttpRouteParentRefs],
    attachments: &mut BTreeMap<NsName, Vec<Attachment>>,
    status: &mut StatusReport,
) {
    let route_namespace = route.key.0.as_str();
    let mut namespace_labels = resources.namespace_labels(route_namespace);
    namespace_labels
        .entry(NAMESPACE_NAME_LABEL.to_owned())
        .or_insert_with(|| route_namespace.to_owned());

    let mut parent_statuses = Vec::new();
    for parent in parents {
        let Some(gateway_key) = parent_gateway(route_namespace, parent) else {
            continue;
        };
        let Some(gateway) = gateways.get_mut(&gateway_key) else {
            continue;
        };
        let parent_ref = ParentRef {
            group: parent
                .group
                .clone()
                .unwrap_or_else(|| GATEWAY_GROUP.to_owned()),
            kind: parent.kind.clone().unwrap_or_else(|| "Gateway".to_owned()),
            namespace: gateway_key.0.clone(),
            name: gateway_key.1.clone(),
            section_name: parent.section_name.clone(),
            port: parent.port,
        };
        let accepted = match accept(route, parent, gateway, route_namespace, &namespace_labels) {
            Ok(found) => {
                for (listener, hostnames) in found {
                    gateway.listeners[listener].status.attached_routes += 1;
                    attachments
                        .entry(gateway_key.clone())
                        .or_default()
                        .push(Attachment {
                            route: route.key.clone(),
                            listener,
                            hostnames,
                        });
                }
                Condition::ok(ACCEPTED, R_ACCEPTED, "route is attached")
            }
            Err((reason, message)) => Condition::failed(ACCEPTED, reason, message),
        };
        let resolved = match &route.unresolved {
            None => Condition::ok(RESOLVED_REFS, R_RESOLVED_REFS, "all references resolved"),
            Some((reason, message)) => Condition::failed(RESOLVED_REFS, reason, message.clone()),
        };
        let mut conditions = vec![accepted, resolved];
        for condition in &mut conditions {
            condition.observed_generation = route.generation;
        }
        parent_statuses.push(RouteParentStatus {
            parent_ref,
            controller_name: CONTROLLER_NAME.to_owned(),
            conditions,
        });
    }
    if !parent_statuses.is_empty() {
        let key = ObjectKey::new(ObjectKind::HttpRoute, &route.key.0, &route.key.1);
        status.entry(key).parents.extend(parent_statuses);
    }
}

/// A listener index and the hostnames a route serves there.
type ListenerHosts = (usize, Vec<String>);

/// The listeners a parentRef attaches to, or why none.
fn accept(
    route: &CompiledRoute,
    parent: &HttpRouteParentRefs,
    gateway: &GatewayModel,
    route_namespace: &str,
    namespace_labels: &BTreeMap<String, String>,
) -> Result<Vec<ListenerHosts>, (&'static str, String)> {
    if !gateway.accepted {
        return Err((
            R_NO_MATCHING_PARENT,
            "the Gateway is not accepted".to_owned(),
        ));
    }
    if let Some(message) = &route.not_accepted {
        return Err((R_UNSUPPORTED_VALUE, message.clone()));
    }
    let candidates: Vec<usize> = gateway
        .listeners
        .iter()
        .enumerate()
        .filter(|(_, l)| parent.section_name.as_ref().is_none_or(|s| *s == l.name))
        .filter(|(_, l)| parent.port.is_none_or(|p| i32::from(l.port) == p))
        .filter(|(_, l)| l.programmable)
        .map(|(i, _)| i)
        .collect();
    if candidates.is_empty() {
        return Err((
            R_NO_MATCHING_PARENT,
            "no valid listener matches the parentRef's sectionName/port".to_owned(),
        ));
    }
    let allowed: Vec<usize> = candidates
        .into_iter()
        .filter(|i| {
            let listener = &gateway.listeners[*i];
            listener.accepts_http_routes
                && match &listener.namespaces {
                    RouteNamespaces::Same => route_namespace == gateway.key.namespace,
                    RouteNamespaces::All => true,
                    RouteNamespaces::Selector(selector) => selector.matches(namespace_labels),
                }
        })
        .collect();
    if allowed.is_empty() {
        return Err((
            R_NOT_ALLOWED_BY_LISTENERS,
            "no listener allows this route (allowedRoutes)".to_owned(),
        ));
    }
    let found: Vec<ListenerHosts> = allowed
        .into_iter()
        .filter_map(|i| {
            let hosts =
                hostname::intersect(gateway.listeners[i].hostname.as_deref(), &route.hostnames);
            (!hosts.is_empty()).then_some((i, hosts))
        })
        .collect();
    if found.is_empty() {
        return Err((
            R_NO_MATCHING_LISTENER_HOSTNAME,
            "no listener hostname matches the route's hostnames".to_owned(),
        ));
    }
    Ok(found)
}
