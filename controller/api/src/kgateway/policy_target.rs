//! How a kgateway policy names what it attaches to: `targetRefs` and `targetSelectors`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One `spec.targetRefs[]` entry (kgateway `LocalPolicyTargetReferenceWithSectionName`): an object in the
/// policy's own namespace, optionally narrowed to a Gateway listener or an HTTPRoute rule by `sectionName`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyTargetRef {
    /// API group of the target, e.g. `gateway.networking.k8s.io`.
    pub group: String,
    /// Kind of the target: `Gateway`, `HTTPRoute`, ...
    pub kind: String,
    /// Name of the target, in the policy's namespace.
    pub name: String,
    /// Gateway listener name or HTTPRoute rule name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
}

/// One `spec.targetSelectors[]` entry: every object of `group`/`kind` in the policy's namespace whose labels
/// include all of `matchLabels`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyTargetSelector {
    /// API group of the selected objects.
    pub group: String,
    /// Kind of the selected objects.
    pub kind: String,
    /// Labels a selected object must carry (all of them).
    pub match_labels: BTreeMap<String, String>,
    /// Gateway listener name or HTTPRoute rule name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
}

/// A policy target reference without section (kgateway `LocalPolicyTargetReference`), used by listener
/// policies which attach to whole Gateways.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocalPolicyTargetRef {
    /// API group of the target.
    pub group: String,
    /// Kind of the target.
    pub kind: String,
    /// Name of the target, in the policy's namespace.
    pub name: String,
    /// Accepted for forward compatibility; listener policies apply to the whole Gateway or one port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
}

/// Selector form of [`LocalPolicyTargetRef`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocalPolicyTargetSelector {
    /// API group of the selected objects.
    pub group: String,
    /// Kind of the selected objects.
    pub kind: String,
    /// Labels a selected object must carry (all of them).
    pub match_labels: BTreeMap<String, String>,
}
