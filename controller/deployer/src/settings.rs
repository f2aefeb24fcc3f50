//! `DeployerSettings`: what every Gateway's proxy shares (image, where the module and bootstrap live).

use crate::image::ImageRef;

/// Directory of `libdynagate.so` in the proxy image built by `envoy/Dockerfile`; the Deployment sets
/// `ENVOY_DYNAMIC_MODULES_SEARCH_PATH` to it.
pub const DEFAULT_MODULE_DIR: &str = "/usr/local/lib/dynagate";
/// Where the bootstrap ConfigMap is mounted in the Envoy container.
pub const CONFIG_DIR: &str = "/etc/envoy";
/// The ConfigMap key (and file name under [`CONFIG_DIR`]) of the Envoy bootstrap.
pub const BOOTSTRAP_FILE: &str = "envoy.yaml";
/// Name of the Envoy container in the proxy Deployment.
pub const ENVOY_CONTAINER: &str = "envoy";
/// Service type when GatewayParameters say nothing (kgateway's default).
pub const DEFAULT_SERVICE_TYPE: &str = "LoadBalancer";

/// Settings shared by every Gateway's proxy; GatewayParameters override the per-proxy ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeployerSettings {
    /// Namespace the controller runs in: where a GatewayClass `parametersRef` without a namespace is looked up.
    pub controller_namespace: String,
    /// Envoy image when GatewayParameters name none (the image of `envoy/Dockerfile`).
    pub envoy_image: ImageRef,
    /// `imagePullPolicy` when GatewayParameters name none (`None`: the cluster's default).
    pub image_pull_policy: Option<String>,
    /// Directory holding `libdynagate.so` inside the image ([`DEFAULT_MODULE_DIR`]).
    pub module_dir: String,
    /// Port of an HTTP readiness endpoint (`GET /ready`) the bootstrap exposes on all interfaces, probed by
    /// the kubelet; `None`: no readiness probe (the admin endpoint listens on 127.0.0.1 only).
    pub readiness_port: Option<u16>,
    /// Service type when GatewayParameters name none ([`DEFAULT_SERVICE_TYPE`]).
    pub default_service_type: String,
    /// Replicas when GatewayParameters name none.
    pub default_replicas: i32,
    /// How many Gateways [`crate::Deployer::apply`] works on at once.
    pub concurrency: usize,
}

impl DeployerSettings {
    /// Settings with the defaults above.
    pub fn new(controller_namespace: impl Into<String>, envoy_image: ImageRef) -> Self {
        Self {
            controller_namespace: controller_namespace.into(),
            envoy_image,
            image_pull_policy: None,
            module_dir: DEFAULT_MODULE_DIR.to_owned(),
            readiness_port: None,
            default_service_type: DEFAULT_SERVICE_TYPE.to_owned(),
            default_replicas: 1,
            concurrency: 4,
        }
    }
}
