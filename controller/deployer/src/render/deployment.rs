//! The proxy Deployment: Envoy with the bootstrap ConfigMap mounted and `libdynagate.so` on its search path.

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapVolumeSource, Container, ContainerPort, EnvVar, EnvVarSource,
    HTTPGetAction, ObjectFieldSelector, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
    SeccompProfile, SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{ProxyInput, port_name};
use crate::labels::{BOOTSTRAP_CHECKSUM_ANNOTATION, selector_labels, sha256_hex};
use crate::plan::PlanError;
use crate::settings::{BOOTSTRAP_FILE, CONFIG_DIR, ENVOY_CONTAINER};

/// Environment variable Envoy reads to find `lib<name>.so` for a `dynamic_module_config: {name}`.
const MODULE_SEARCH_PATH_ENV: &str = "ENVOY_DYNAMIC_MODULES_SEARCH_PATH";
const CONFIG_VOLUME: &str = "envoy-config";
/// UID/GID the proxy runs as by default (kgateway's choice; any non-root id works with the upstream image).
const PROXY_UID: i64 = 10101;
/// Ports below this need `NET_BIND_SERVICE` for a non-root Envoy.
const FIRST_UNPRIVILEGED_PORT: i32 = 1024;
const READINESS_PORT_NAME: &str = "readiness";

pub(super) fn deployment(input: &ProxyInput<'_>, ports: &[i32]) -> Result<Deployment, PlanError> {
    let spec = input.spec;
    let pod = &spec.pod;
    let name = input.name();
    let mut pod_annotations = input
        .annotations(pod.extra_annotations.as_ref())
        .unwrap_or_default();
    pod_annotations.insert(
        BOOTSTRAP_CHECKSUM_ANNOTATION.to_owned(),
        sha256_hex(input.bootstrap.as_bytes()),
    );
    let mut volumes = vec![Volume {
        name: CONFIG_VOLUME.to_owned(),
        config_map: Some(ConfigMapVolumeSource {
            name: name.clone(),
            ..ConfigMapVolumeSource::default()
        }),
        ..Volume::default()
    }];
    volumes.extend(pod.extra_volumes.iter().flatten().cloned());
    let default_pod_security = (!spec.omit_default_security_context).then(|| PodSecurityContext {
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".to_owned(),
            ..SeccompProfile::default()
        }),
        ..PodSecurityContext::default()
    });
    Ok(Deployment {
        metadata: input.meta(None, None)?,
        spec: Some(DeploymentSpec {
            replicas: Some(spec.replicas.unwrap_or(input.settings.default_replicas)),
            strategy: spec.strategy.clone(),
            selector: LabelSelector {
                match_labels: Some(selector_labels(&name)),
                ..LabelSelector::default()
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(input.labels(pod.extra_labels.as_ref())),
                    annotations: Some(pod_annotations),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    service_account_name: Some(name),
                    automount_service_account_token: Some(false),
                    containers: vec![envoy_container(input, ports)],
                    volumes: Some(volumes),
                    security_context: pod.security_context.clone().or(default_pod_security),
                    image_pull_secrets: pod.image_pull_secrets.clone(),
                    node_selector: pod.node_selector.clone(),
                    affinity: pod.affinity.clone(),
                    tolerations: pod.tolerations.clone(),
                    topology_spread_constraints: pod.topology_spread_constraints.clone(),
                    termination_grace_period_seconds: pod.termination_grace_period_seconds,
                    priority_class_name: pod.priority_class_name.clone(),
                    ..PodSpec::default()
                }),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    })
}

fn envoy_container(input: &ProxyInput<'_>, ports: &[i32]) -> Container {
    let spec = input.spec;
    let mut container_ports: Vec<ContainerPort> = ports
        .iter()
        .map(|&port| ContainerPort {
            name: Some(port_name(port)),
            container_port: port,
            protocol: Some("TCP".to_owned()),
            ..ContainerPort::default()
        })
        .collect();
    let readiness = input.settings.readiness_port.map(|port| {
        container_ports.push(ContainerPort {
            name: Some(READINESS_PORT_NAME.to_owned()),
            container_port: i32::from(port),
            protocol: Some("TCP".to_owned()),
            ..ContainerPort::default()
        });
        Probe {
            http_get: Some(HTTPGetAction {
                path: Some("/ready".to_owned()),
                port: IntOrString::String(READINESS_PORT_NAME.to_owned()),
                ..HTTPGetAction::default()
            }),
            period_seconds: Some(5),
            ..Probe::default()
        }
    });
    let mut volume_mounts = vec![VolumeMount {
        name: CONFIG_VOLUME.to_owned(),
        mount_path: CONFIG_DIR.to_owned(),
        read_only: Some(true),
        ..VolumeMount::default()
    }];
    volume_mounts.extend(spec.extra_volume_mounts.iter().cloned());
    let needs_bind_service = ports.iter().any(|&p| p < FIRST_UNPRIVILEGED_PORT);
    let default_security =
        (!spec.omit_default_security_context).then(|| default_security_context(needs_bind_service));
    Container {
        name: ENVOY_CONTAINER.to_owned(),
        image: Some(spec.image.to_string()),
        image_pull_policy: spec.pull_policy.clone(),
        // The binary itself, not the upstream image's entrypoint script (which may switch users).
        command: Some(vec!["envoy".to_owned()]),
        args: Some(envoy_args(input)),
        env: Some(env(input)),
        ports: Some(container_ports),
        resources: spec.resources.clone(),
        security_context: spec.security_context.clone().or(default_security),
        volume_mounts: Some(volume_mounts),
        readiness_probe: spec.pod.readiness_probe.clone().or(readiness),
        liveness_probe: spec.pod.liveness_probe.clone(),
        startup_probe: spec.pod.startup_probe.clone(),
        ..Container::default()
    }
}

/// `-c <bootstrap> --disable-hot-restart --service-node <pod>.<ns> --log-level <l> [--component-log-level
/// a:b,...] [extraArgs]`. `--service-node` gives each Envoy its own `node.id` (the xDS server tracks ACKs
/// per node) while `node.cluster` from the bootstrap keeps naming the Gateway.
fn envoy_args(input: &ProxyInput<'_>) -> Vec<String> {
    let spec = input.spec;
    let mut args = vec![
        "-c".to_owned(),
        format!("{CONFIG_DIR}/{BOOTSTRAP_FILE}"),
        "--disable-hot-restart".to_owned(),
        "--service-node".to_owned(),
        "$(POD_NAME).$(POD_NAMESPACE)".to_owned(),
        "--log-level".to_owned(),
        spec.log_level.clone(),
    ];
    if !spec.component_log_levels.is_empty() {
        args.push("--component-log-level".to_owned());
        args.push(
            spec.component_log_levels
                .iter()
                .map(|(component, level)| format!("{component}:{level}"))
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    args.extend(spec.extra_args.iter().cloned());
    args
}

/// Our variables, then GatewayParameters' `env`, which replaces ours by name (a server-side applied list
/// must not repeat a name).
fn env(input: &ProxyInput<'_>) -> Vec<EnvVar> {
    let mut env = vec![
        field_env("POD_NAME", "metadata.name"),
        field_env("POD_NAMESPACE", "metadata.namespace"),
        EnvVar {
            name: MODULE_SEARCH_PATH_ENV.to_owned(),
            value: Some(input.settings.module_dir.clone()),
            ..EnvVar::default()
        },
    ];
    for var in &input.spec.env {
        match env.iter_mut().find(|e| e.name == var.name) {
            Some(slot) => *slot = var.clone(),
            None => env.push(var.clone()),
        }
    }
    env
}

fn field_env(name: &str, field_path: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: field_path.to_owned(),
                ..ObjectFieldSelector::default()
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }
}

/// Non-root, read-only root, no privilege escalation, every capability dropped; `NET_BIND_SERVICE` only when
/// a listener port is privileged (kgateway keeps listener ports unchanged rather than remapping them).
fn default_security_context(needs_bind_service: bool) -> SecurityContext {
    SecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(PROXY_UID),
        run_as_group: Some(PROXY_UID),
        read_only_root_filesystem: Some(true),
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".to_owned()]),
            add: needs_bind_service.then(|| vec!["NET_BIND_SERVICE".to_owned()]),
        }),
        ..SecurityContext::default()
    }
}
