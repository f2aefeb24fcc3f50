//! `TrafficPolicy`: per-route and per-Gateway traffic behaviour (kgateway `TrafficPolicySpec`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{PolicyTargetRef, PolicyTargetSelector, RateLimit, TransformationPolicy};

/// `TrafficPolicy.spec`.
///
/// Typed fields are the ones dynagate translates; the `Option<serde_json::Value>` fields are kgateway
/// fields kept verbatim so they can be reported as not supported (never silently dropped).
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "gateway.kgateway.dev",
    version = "v1alpha1",
    kind = "TrafficPolicy",
    plural = "trafficpolicies",
    namespaced,
    status = "PolicyStatus",
    derive = "Default",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct TrafficPolicySpec {
    /// Objects in this namespace the policy attaches to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_refs: Option<Vec<PolicyTargetRef>>,
    /// Label selectors for objects in this namespace the policy attaches to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_selectors: Option<Vec<PolicyTargetSelector>>,
    /// Header and body templates, run by the `transformation` filter of `libdynagate.so`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transformation: Option<TransformationPolicy>,
    /// Local (typed) and global (opaque) rate limiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext_proc: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext_auth: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cors: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csrf: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_modifiers: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_host_rewrite: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buffer: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_redirect: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rbac: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_auth: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_rewrite: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_auth: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracing: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault_injection: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stat_prefix: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_mirror: Option<serde_json::Value>,
}

impl TrafficPolicySpec {
    /// The opaque (not yet translated) top-level fields that are set, by their kgateway JSON name.
    pub fn opaque_fields(&self) -> Vec<&'static str> {
        let fields: [(&'static str, bool); 23] = [
            ("ai", self.ai.is_some()),
            ("extProc", self.ext_proc.is_some()),
            ("extAuth", self.ext_auth.is_some()),
            ("cors", self.cors.is_some()),
            ("csrf", self.csrf.is_some()),
            ("headerModifiers", self.header_modifiers.is_some()),
            ("autoHostRewrite", self.auto_host_rewrite.is_some()),
            ("buffer", self.buffer.is_some()),
            ("timeouts", self.timeouts.is_some()),
            ("retry", self.retry.is_some()),
            ("internalRedirect", self.internal_redirect.is_some()),
            ("rbac", self.rbac.is_some()),
            ("jwtAuth", self.jwt_auth.is_some()),
            ("urlRewrite", self.url_rewrite.is_some()),
            ("compression", self.compression.is_some()),
            ("basicAuth", self.basic_auth.is_some()),
            ("apiKeyAuth", self.api_key_auth.is_some()),
            ("oauth2", self.oauth2.is_some()),
            ("tracing", self.tracing.is_some()),
            ("faultInjection", self.fault_injection.is_some()),
            ("acl", self.acl.is_some()),
            ("statPrefix", self.stat_prefix.is_some()),
            ("requestMirror", self.request_mirror.is_some()),
        ];
        fields
            .into_iter()
            .filter(|(_, set)| *set)
            .map(|(name, _)| name)
            .collect()
    }
}

/// Gateway API `PolicyStatus`: one entry per ancestor (usually a Gateway) the policy affects.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyStatus {
    /// Per-ancestor conditions.
    #[serde(default)]
    pub ancestors: Vec<PolicyAncestorStatus>,
}

/// Status of a policy with respect to one ancestor.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyAncestorStatus {
    /// The ancestor (Gateway) this entry is about.
    pub ancestor_ref: AncestorRef,
    /// Controller that wrote this entry.
    pub controller_name: String,
    /// `Accepted`, `Attached`.
    #[serde(default)]
    pub conditions: Vec<Condition>,
}

/// Gateway API `ParentReference` as used in policy ancestor status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AncestorRef {
    /// API group of the ancestor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Kind of the ancestor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Name of the ancestor.
    pub name: String,
    /// Namespace of the ancestor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Listener or rule name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_name: Option<String>,
}
