//! The status each object would carry, in Gateway API shapes, without timestamps (so it is deterministic;
//! the Kubernetes status writer adds `lastTransitionTime`).

use std::collections::BTreeMap;

use dynagate_api::{ObjectKey, ObjectKind};
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};

/// `True`, `False` or `Unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ConditionStatus {
    /// The condition holds.
    True,
    /// The condition does not hold.
    False,
    /// Not known.
    Unknown,
}

/// A Gateway API condition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// `Accepted`, `Programmed`, `ResolvedRefs`, `Attached`, ...
    #[serde(rename = "type")]
    pub condition_type: String,
    /// Whether it holds.
    pub status: ConditionStatus,
    /// CamelCase reason, e.g. `NotAllowedByListeners`.
    pub reason: String,
    /// Human-readable detail.
    pub message: String,
    /// `metadata.generation` of the object the condition was computed from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

impl Condition {
    /// A condition without observed generation.
    pub fn new(
        condition_type: &str,
        status: ConditionStatus,
        reason: &str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            condition_type: condition_type.to_owned(),
            status,
            reason: reason.to_owned(),
            message: message.into(),
            observed_generation: None,
        }
    }

    /// A `True` condition.
    pub fn ok(condition_type: &str, reason: &str, message: impl Into<String>) -> Self {
        Self::new(condition_type, ConditionStatus::True, reason, message)
    }

    /// A `False` condition.
    pub fn failed(condition_type: &str, reason: &str, message: impl Into<String>) -> Self {
        Self::new(condition_type, ConditionStatus::False, reason, message)
    }
}

/// Gateway API `ParentReference` (as in route parent status and policy ancestor status).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentRef {
    /// API group.
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Listener (or rule) name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
    /// Listener port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
}

/// Status of one Gateway listener.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerStatus {
    /// Listener name.
    pub name: String,
    /// Number of routes attached to it.
    pub attached_routes: i32,
    /// Route kinds it accepts.
    pub supported_kinds: Vec<RouteGroupKind>,
    /// `Accepted`, `Programmed`, `ResolvedRefs`, `Conflicted`.
    pub conditions: Vec<Condition>,
}

/// A route group and kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouteGroupKind {
    /// API group.
    pub group: String,
    /// Kind.
    pub kind: String,
}

/// A route's status with respect to one parent (Gateway, possibly one listener).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteParentStatus {
    /// The parentRef as written in the route.
    pub parent_ref: ParentRef,
    /// Our controller name.
    pub controller_name: String,
    /// `Accepted`, `ResolvedRefs`.
    pub conditions: Vec<Condition>,
}

/// A policy's status with respect to one ancestor (usually a Gateway).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyAncestorStatus {
    /// The ancestor.
    pub ancestor_ref: ParentRef,
    /// Our controller name.
    pub controller_name: String,
    /// `Accepted` (`Valid`, `PartiallyValid`, `Invalid`, `TargetNotFound`) and `Attached`.
    pub conditions: Vec<Condition>,
}

/// The status of one object; only the parts that apply to its kind are filled.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectStatus {
    /// Object-level conditions (GatewayClass, Gateway, Backend, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Gateway listeners.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub listeners: Vec<ListenerStatus>,
    /// Route parents.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<RouteParentStatus>,
    /// Policy ancestors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ancestors: Vec<PolicyAncestorStatus>,
}

/// Status of every object the translation looked at, keyed and ordered by object identity.
///
/// Serialises as a list of `{group, kind, namespace, name, conditions?, listeners?, parents?, ancestors?}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusReport {
    /// Status per object.
    pub objects: BTreeMap<ObjectKey, ObjectStatus>,
}

impl StatusReport {
    /// The status of one object, if it has any.
    pub fn get(&self, kind: ObjectKind, namespace: &str, name: &str) -> Option<&ObjectStatus> {
        self.objects.get(&ObjectKey::new(kind, namespace, name))
    }

    /// One line per condition that signals a problem (`X=False`, `Conflicted=True`, or a policy accepted
    /// only partially), as `Kind ns/name [scope]: Type=Status Reason: message`, in object order. Handy for
    /// `dynagate validate` and logs.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut push = |key: &ObjectKey, scope: String, c: &Condition| {
            let bad = match c.condition_type.as_str() {
                "Conflicted" => c.status == ConditionStatus::True,
                _ => c.status == ConditionStatus::False || c.reason == "PartiallyValid",
            };
            if bad {
                let status = match c.status {
                    ConditionStatus::True => "True",
                    ConditionStatus::False => "False",
                    ConditionStatus::Unknown => "Unknown",
                };
                out.push(format!(
                    "{key}{scope}: {}={status} {}: {}",
                    c.condition_type, c.reason, c.message
                ));
            }
        };
        for (key, status) in &self.objects {
            for c in &status.conditions {
                push(key, String::new(), c);
            }
            for listener in &status.listeners {
                for c in &listener.conditions {
                    push(key, format!(" listener {}", listener.name), c);
                }
            }
            for parent in &status.parents {
                for c in &parent.conditions {
                    push(
                        key,
                        format!(
                            " parent {}/{}",
                            parent.parent_ref.namespace, parent.parent_ref.name
                        ),
                        c,
                    );
                }
            }
            for ancestor in &status.ancestors {
                for c in &ancestor.conditions {
                    push(
                        key,
                        format!(
                            " ancestor {}/{}",
                            ancestor.ancestor_ref.namespace, ancestor.ancestor_ref.name
                        ),
                        c,
                    );
                }
            }
        }
        out
    }

    /// The entry for an object, created empty on first use.
    pub(crate) fn entry(&mut self, key: ObjectKey) -> &mut ObjectStatus {
        self.objects.entry(key).or_default()
    }
}

impl Serialize for StatusReport {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.objects.len()))?;
        for (key, status) in &self.objects {
            seq.serialize_element(&Entry { key, status })?;
        }
        seq.end()
    }
}

struct Entry<'a> {
    key: &'a ObjectKey,
    status: &'a ObjectStatus,
}

impl Serialize for Entry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("ObjectStatus", 8)?;
        s.serialize_field("group", self.key.kind.group())?;
        s.serialize_field("kind", self.key.kind.name())?;
        if !self.key.namespace.is_empty() {
            s.serialize_field("namespace", &self.key.namespace)?;
        }
        s.serialize_field("name", &self.key.name)?;
        let status = self.status;
        if !status.conditions.is_empty() {
            s.serialize_field("conditions", &status.conditions)?;
        }
        if !status.listeners.is_empty() {
            s.serialize_field("listeners", &status.listeners)?;
        }
        if !status.parents.is_empty() {
            s.serialize_field("parents", &status.parents)?;
        }
        if !status.ancestors.is_empty() {
            s.serialize_field("ancestors", &status.ancestors)?;
        }
        s.end()
    }
}
