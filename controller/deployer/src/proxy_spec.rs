//! `ProxySpec`: merged GatewayParameters decoded into Kubernetes types and validated, defaults applied.

use std::collections::BTreeMap;

use dynagate_api::kgateway::{KubernetesProxyConfig, ProxyService, ProxyServiceAccount};
use k8s_openapi::api::apps::v1::DeploymentStrategy;
use k8s_openapi::api::core::v1::{
    Affinity, EnvVar, LocalObjectReference, PodSecurityContext, Probe, ResourceRequirements,
    SecurityContext, Toleration, TopologySpreadConstraint, Volume, VolumeMount,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::image::ImageRef;
use crate::parameters::invalid;
use crate::plan::PlanError;
use crate::settings::DeployerSettings;

/// Envoy `--log-level` values.
const LOG_LEVELS: &[&str] = &[
    "trace", "debug", "info", "warning", "warn", "error", "critical", "off",
];
/// Arguments the deployer sets itself; kgateway refuses them in `extraArgs` too.
const RESERVED_ARGS: &[&str] = &[
    "-c",
    "--config-path",
    "--disable-hot-restart",
    "--service-node",
    "--service-cluster",
    "-l",
    "--log-level",
    "--component-log-level",
];
/// kgateway's limit on `extraArgs`.
const MAX_EXTRA_ARGS: usize = 32;

/// Everything about one proxy that GatewayParameters decide.
#[derive(Debug)]
pub(crate) struct ProxySpec {
    pub replicas: Option<i32>,
    pub strategy: Option<DeploymentStrategy>,
    pub image: ImageRef,
    pub pull_policy: Option<String>,
    pub log_level: String,
    pub component_log_levels: BTreeMap<String, String>,
    pub extra_args: Vec<String>,
    pub env: Vec<EnvVar>,
    pub resources: Option<ResourceRequirements>,
    pub security_context: Option<SecurityContext>,
    pub omit_default_security_context: bool,
    pub extra_volume_mounts: Vec<VolumeMount>,
    pub pod: PodTemplate,
    pub service: ProxyService,
    pub node_ports: BTreeMap<i32, i32>,
    pub service_account: ProxyServiceAccount,
}

/// `kube.podTemplate` (kept opaque in the CRD type; decoded here into core types).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PodTemplate {
    pub extra_labels: Option<BTreeMap<String, String>>,
    pub extra_annotations: Option<BTreeMap<String, String>>,
    pub security_context: Option<PodSecurityContext>,
    pub image_pull_secrets: Option<Vec<LocalObjectReference>>,
    pub node_selector: Option<BTreeMap<String, String>>,
    pub affinity: Option<Affinity>,
    pub tolerations: Option<Vec<Toleration>>,
    pub topology_spread_constraints: Option<Vec<TopologySpreadConstraint>>,
    pub termination_grace_period_seconds: Option<i64>,
    pub priority_class_name: Option<String>,
    pub extra_volumes: Option<Vec<Volume>>,
    pub readiness_probe: Option<Probe>,
    pub liveness_probe: Option<Probe>,
    pub startup_probe: Option<Probe>,
}

/// One `kube.service.ports` entry: a fixed nodePort for a listener port.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServicePortOverride {
    port: i32,
    node_port: Option<i32>,
}

impl ProxySpec {
    /// Decodes and validates `kube`; `settings` only supplies the default image.
    pub(crate) fn new(
        kube: &KubernetesProxyConfig,
        settings: &DeployerSettings,
    ) -> Result<Self, PlanError> {
        let deployment = kube.deployment.clone().unwrap_or_default();
        let envoy = kube.envoy_container.clone().unwrap_or_default();
        let bootstrap = envoy.bootstrap.clone().unwrap_or_default();
        let replicas = deployment
            .replicas
            .map(|r| {
                i32::try_from(r)
                    .map_err(|_| invalid("kube.deployment.replicas", format!("{r} is too large")))
            })
            .transpose()?;
        let log_level = bootstrap.log_level.unwrap_or_else(|| "info".to_owned());
        if !LOG_LEVELS.contains(&log_level.as_str()) {
            return Err(invalid(
                "kube.envoyContainer.bootstrap.logLevel",
                format!("{log_level:?} is not one of {}", LOG_LEVELS.join(", ")),
            ));
        }
        let component_log_levels = bootstrap.component_log_levels.unwrap_or_default();
        for (component, level) in &component_log_levels {
            if !LOG_LEVELS.contains(&level.as_str()) || component.contains([',', ':']) {
                return Err(invalid(
                    "kube.envoyContainer.bootstrap.componentLogLevels",
                    format!("{component}: {level} is not a component and a log level"),
                ));
            }
        }
        let extra_args = envoy.extra_args.clone().unwrap_or_default();
        validate_extra_args(&extra_args)?;
        let service = kube.service.clone().unwrap_or_default();
        let node_ports =
            decode::<Vec<ServicePortOverride>>("kube.service.ports", service.ports.as_ref())?
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| p.node_port.map(|node_port| (p.port, node_port)))
                .collect();
        let image = envoy.image.unwrap_or_default();
        Ok(Self {
            replicas,
            strategy: decode("kube.deployment.strategy", deployment.strategy.as_ref())?,
            image: settings.envoy_image.with_overrides(&image),
            pull_policy: image
                .pull_policy
                .clone()
                .or_else(|| settings.image_pull_policy.clone()),
            log_level,
            component_log_levels,
            extra_args,
            env: decode("kube.envoyContainer.env", envoy.env.as_ref())?.unwrap_or_default(),
            resources: decode("kube.envoyContainer.resources", envoy.resources.as_ref())?,
            security_context: decode(
                "kube.envoyContainer.securityContext",
                envoy.security_context.as_ref(),
            )?,
            omit_default_security_context: kube.omit_default_security_context.unwrap_or(false),
            extra_volume_mounts: decode(
                "kube.envoyContainer.extraVolumeMounts",
                envoy.extra_volume_mounts.as_ref(),
            )?
            .unwrap_or_default(),
            pod: decode("kube.podTemplate", kube.pod_template.as_ref())?.unwrap_or_default(),
            service,
            node_ports,
            service_account: kube.service_account.clone().unwrap_or_default(),
        })
    }
}

fn validate_extra_args(args: &[String]) -> Result<(), PlanError> {
    const FIELD: &str = "kube.envoyContainer.extraArgs";
    if args.len() > MAX_EXTRA_ARGS {
        return Err(invalid(
            FIELD,
            format!("more than {MAX_EXTRA_ARGS} arguments"),
        ));
    }
    for arg in args {
        let flag = arg.split_once('=').map_or(arg.as_str(), |(flag, _)| flag);
        if RESERVED_ARGS.contains(&flag) {
            return Err(invalid(FIELD, format!("{flag} is set by the deployer")));
        }
    }
    Ok(())
}

/// An opaque CRD field decoded into its Kubernetes type; a shape error names the field.
fn decode<T: DeserializeOwned>(
    field: &str,
    value: Option<&serde_json::Value>,
) -> Result<Option<T>, PlanError> {
    value
        .map(|v| serde_json::from_value(v.clone()).map_err(|e| invalid(field, e)))
        .transpose()
}
