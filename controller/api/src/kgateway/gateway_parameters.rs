//! `GatewayParameters`: how the proxy for a Gateway is deployed (section E.1 basics; the rest opaque).

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `GatewayParameters.spec`: `kube` XOR `selfManaged`.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "gateway.kgateway.dev",
    version = "v1alpha1",
    kind = "GatewayParameters",
    plural = "gatewayparameters",
    namespaced,
    derive = "Default",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct GatewayParametersSpec {
    /// Proxy deployed on Kubernetes by the controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube: Option<KubernetesProxyConfig>,
    /// The user runs Envoy; nothing is deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_managed: Option<serde_json::Value>,
}

/// `spec.kube`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesProxyConfig {
    /// Deployment settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<ProxyDeployment>,
    /// The Envoy container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envoy_container: Option<EnvoyContainer>,
    /// The proxy Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ProxyService>,
    /// The proxy ServiceAccount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<ProxyServiceAccount>,
    /// Pod template settings (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_template: Option<serde_json::Value>,
    /// SDS sidecar (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sds_container: Option<serde_json::Value>,
    /// Istio integration (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub istio: Option<serde_json::Value>,
    /// Stats listener (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<serde_json::Value>,
    /// AI extension sidecar, kgateway 2.0 (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_extension: Option<serde_json::Value>,
    /// agentgateway settings (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agentgateway: Option<serde_json::Value>,
    /// Do not add the default security context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub omit_default_security_context: Option<bool>,
    /// Strategic merge patch for the Deployment (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_overlay: Option<serde_json::Value>,
    /// Strategic merge patch for the Service (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_overlay: Option<serde_json::Value>,
    /// Strategic merge patch for the ServiceAccount (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_overlay: Option<serde_json::Value>,
    /// PodDisruptionBudget to create (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_disruption_budget: Option<serde_json::Value>,
    /// HorizontalPodAutoscaler to create (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizontal_pod_autoscaler: Option<serde_json::Value>,
    /// VerticalPodAutoscaler to create (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertical_pod_autoscaler: Option<serde_json::Value>,
}

/// `kube.deployment`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProxyDeployment {
    /// Replica count (omit with an autoscaler).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    /// Deployment strategy (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<serde_json::Value>,
}

/// `kube.envoyContainer`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvoyContainer {
    /// Bootstrap knobs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<EnvoyBootstrap>,
    /// Image coordinates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    /// Container security context (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<serde_json::Value>,
    /// Resources (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<serde_json::Value>,
    /// Extra Envoy arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_args: Option<Vec<String>>,
    /// Extra environment (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<serde_json::Value>,
    /// Extra volume mounts (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_volume_mounts: Option<serde_json::Value>,
}

/// `envoyContainer.bootstrap`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvoyBootstrap {
    /// Envoy `--log-level` (default `info`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_level: Option<String>,
    /// Envoy `--component-log-level` entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_log_levels: Option<BTreeMap<String, String>>,
    /// Log format (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_format: Option<serde_json::Value>,
    /// DNS resolver (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_resolver: Option<serde_json::Value>,
    /// Proxy protocol on the readiness probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_readiness_probe_proxy_protocol: Option<bool>,
}

/// A container image.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    /// Registry host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// Repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Digest (wins over tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Pull policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_policy: Option<String>,
}

/// `kube.service`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProxyService {
    /// Service type (default `LoadBalancer`).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    /// Fixed cluster IP.
    #[serde(default, rename = "clusterIP", skip_serializing_if = "Option::is_none")]
    pub cluster_ip: Option<String>,
    /// Extra labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_labels: Option<BTreeMap<String, String>>,
    /// Extra annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_annotations: Option<BTreeMap<String, String>>,
    /// Port overrides (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<serde_json::Value>,
    /// `Cluster` or `Local`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_traffic_policy: Option<String>,
    /// Load balancer class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_class: Option<String>,
    /// Allowed client CIDRs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_source_ranges: Option<Vec<String>>,
}

/// `kube.serviceAccount`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProxyServiceAccount {
    /// Extra labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_labels: Option<BTreeMap<String, String>>,
    /// Extra annotations (e.g. an IRSA role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_annotations: Option<BTreeMap<String, String>>,
}
