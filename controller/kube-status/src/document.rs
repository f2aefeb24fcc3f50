//! The status document applied for one object: the report's status in the kind's API shape, with
//! `lastTransitionTime` carried over from the live status, and other controllers' route parents and policy
//! ancestors kept as they are.
//!
//! Gateway API `status.parents` and policy `status.ancestors` are atomic lists, so applying ours alone would
//! erase every other controller's entries. Like kgateway, we read the live list, keep the entries whose
//! `controllerName` is not ours, and replace ours.

use dynagate_api::ObjectKind;
use dynagate_api::gateway::CONTROLLER_NAME;
use dynagate_ir::{ListenerStatus, ObjectStatus, ParentRef};
use k8s_openapi::jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::conditions;

/// Gateway API limit on `status.parents` entries of a route.
pub(crate) const MAX_ROUTE_PARENTS: usize = 32;
/// Gateway API limit on `status.ancestors` entries of a policy.
pub(crate) const MAX_POLICY_ANCESTORS: usize = 16;

/// Which status shape a kind has on the API server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StatusShape {
    /// `status.conditions` only (GatewayClass, Backend).
    Conditions,
    /// `status.conditions` and `status.listeners` (Gateway).
    Gateway,
    /// `status.parents`, shared with other controllers (HTTPRoute).
    RouteParents,
    /// `status.ancestors`, shared with other controllers (policies).
    PolicyAncestors,
}

impl StatusShape {
    /// The shape for a kind, or `None` when the kind has no status we write: DirectResponse's status
    /// schema has no fields, GatewayParameters has no status subresource, core kinds are not ours.
    pub(crate) fn of(kind: ObjectKind) -> Option<Self> {
        match kind {
            ObjectKind::GatewayClass | ObjectKind::Backend => Some(Self::Conditions),
            ObjectKind::Gateway => Some(Self::Gateway),
            ObjectKind::HttpRoute => Some(Self::RouteParents),
            ObjectKind::TrafficPolicy
            | ObjectKind::HttpListenerPolicy
            | ObjectKind::ListenerPolicy => Some(Self::PolicyAncestors),
            ObjectKind::DirectResponse
            | ObjectKind::GatewayParameters
            | ObjectKind::ReferenceGrant
            | ObjectKind::Service
            | ObjectKind::EndpointSlice
            | ObjectKind::Secret
            | ObjectKind::Namespace => None,
        }
    }

    /// Whether the document merges into a list other controllers write too; such writes carry the live
    /// `resourceVersion` so a concurrent change by another controller is not lost.
    pub(crate) fn is_shared(self) -> bool {
        matches!(self, Self::RouteParents | Self::PolicyAncestors)
    }
}

/// The `status` object to apply, given the desired status, the live object's `status` (if any) and the
/// current time.
pub(crate) fn status_document(
    shape: StatusShape,
    desired: &ObjectStatus,
    live: Option<&Value>,
    now: Timestamp,
) -> Value {
    let live_field = |name: &str| live.and_then(|status| status.get(name));
    match shape {
        StatusShape::Conditions => json!({
            "conditions": conditions::stamp(
                &desired.conditions,
                &conditions::parse(live_field("conditions")),
                now,
            ),
        }),
        StatusShape::Gateway => json!({
            "conditions": conditions::stamp(
                &desired.conditions,
                &conditions::parse(live_field("conditions")),
                now,
            ),
            "listeners": desired
                .listeners
                .iter()
                .map(|listener| listener_document(listener, live_field("listeners"), now))
                .collect::<Vec<_>>(),
        }),
        StatusShape::RouteParents => {
            let ours = desired.parents.iter().map(|parent| OurEntry {
                reference: &parent.parent_ref,
                controller_name: &parent.controller_name,
                conditions: &parent.conditions,
            });
            json!({
                "parents": merge_entries(&SHARED_ROUTE_PARENTS, ours, live_field("parents"), now),
            })
        }
        StatusShape::PolicyAncestors => {
            let ours = desired.ancestors.iter().map(|ancestor| OurEntry {
                reference: &ancestor.ancestor_ref,
                controller_name: &ancestor.controller_name,
                conditions: &ancestor.conditions,
            });
            json!({
                "ancestors": merge_entries(&SHARED_POLICY_ANCESTORS, ours, live_field("ancestors"), now),
            })
        }
    }
}

/// One Gateway listener's status; conditions carry the times of the live listener with the same name.
fn listener_document(listener: &ListenerStatus, live: Option<&Value>, now: Timestamp) -> Value {
    let previous = live
        .and_then(Value::as_array)
        .and_then(|items| {
            items
                .iter()
                .find(|item| item.get("name").and_then(Value::as_str) == Some(&listener.name))
        })
        .and_then(|item| item.get("conditions"));
    json!({
        "name": listener.name,
        "attachedRoutes": listener.attached_routes,
        "supportedKinds": listener
            .supported_kinds
            .iter()
            .map(|k| json!({"group": k.group, "kind": k.kind}))
            .collect::<Vec<_>>(),
        "conditions": conditions::stamp(&listener.conditions, &conditions::parse(previous), now),
    })
}

/// How one shared list is spelled.
struct SharedList {
    /// Field holding the reference in each entry.
    reference_field: &'static str,
    /// Whether the reference schema has `port` (parentRef does, our ancestorRef does not).
    has_port: bool,
    /// Most entries the API accepts.
    max_entries: usize,
}

const SHARED_ROUTE_PARENTS: SharedList = SharedList {
    reference_field: "parentRef",
    has_port: true,
    max_entries: MAX_ROUTE_PARENTS,
};

const SHARED_POLICY_ANCESTORS: SharedList = SharedList {
    reference_field: "ancestorRef",
    has_port: false,
    max_entries: MAX_POLICY_ANCESTORS,
};

/// One entry we own, whatever the list.
struct OurEntry<'a> {
    reference: &'a ParentRef,
    controller_name: &'a str,
    conditions: &'a [dynagate_ir::Condition],
}

/// Other controllers' live entries (unchanged, in their order) followed by ours, stamped with the times of
/// our live entry for the same reference. Ours are cut first if the list would exceed the API limit.
fn merge_entries<'a>(
    list: &SharedList,
    ours: impl Iterator<Item = OurEntry<'a>>,
    live: Option<&Value>,
    now: Timestamp,
) -> Vec<Value> {
    let ours: Vec<OurEntry<'a>> = ours.collect();
    let live: &[Value] = live.and_then(Value::as_array).map_or(&[], Vec::as_slice);
    let is_ours = |entry: &Value| {
        let name = entry.get("controllerName").and_then(Value::as_str);
        name == Some(CONTROLLER_NAME) || ours.iter().any(|o| Some(o.controller_name) == name)
    };
    let mut merged: Vec<Value> = live.iter().filter(|e| !is_ours(e)).cloned().collect();
    let room = list.max_entries.saturating_sub(merged.len());
    if ours.len() > room {
        tracing::warn!(
            kept = room,
            dropped = ours.len() - room,
            "status list full of other controllers' entries; dropping some of ours"
        );
    }
    for entry in ours.iter().take(room) {
        let reference = reference_document(entry.reference, list.has_port);
        let previous = live
            .iter()
            .filter(|e| is_ours(e))
            .find(|e| {
                e.get("controllerName").and_then(Value::as_str) == Some(entry.controller_name)
                    && e.get(list.reference_field)
                        .is_some_and(|r| same_reference(r, &reference))
            })
            .and_then(|e| e.get("conditions"));
        merged.push(json!({
            (list.reference_field): reference,
            "controllerName": entry.controller_name,
            "conditions": conditions::stamp(entry.conditions, &conditions::parse(previous), now),
        }));
    }
    merged
}

/// A parent or ancestor reference as JSON; empty optional parts are left out.
fn reference_document(reference: &ParentRef, with_port: bool) -> Value {
    let mut out = Map::new();
    out.insert("group".into(), reference.group.clone().into());
    out.insert("kind".into(), reference.kind.clone().into());
    if !reference.namespace.is_empty() {
        out.insert("namespace".into(), reference.namespace.clone().into());
    }
    out.insert("name".into(), reference.name.clone().into());
    if let Some(section) = &reference.section_name {
        out.insert("sectionName".into(), section.clone().into());
    }
    if with_port && let Some(port) = reference.port {
        out.insert("port".into(), port.into());
    }
    Value::Object(out)
}

/// Whether a live reference names the same parent as ours, reading the API defaults (`group`
/// `gateway.networking.k8s.io`, `kind` `Gateway`) into absent fields.
fn same_reference(live: &Value, ours: &Value) -> bool {
    let field = |v: &Value, name: &str, default: Option<&str>| -> Option<String> {
        v.get(name)
            .and_then(|f| match f {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .or_else(|| default.map(str::to_owned))
    };
    let defaults = [
        ("group", Some(dynagate_api::gateway::GROUP)),
        ("kind", Some("Gateway")),
        ("namespace", None),
        ("name", None),
        ("sectionName", None),
        ("port", None),
    ];
    defaults
        .iter()
        .all(|(name, default)| field(live, name, *default) == field(ours, name, *default))
}

#[cfg(test)]
mod tests;
