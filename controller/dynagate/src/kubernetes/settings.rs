//! What `run --kubernetes` needs beyond the directory mode: where its Lease lives, who it is, and
//! (optionally) how to deploy proxies.

use dynagate_deployer::{DeployerSettings, ImageRef};

use crate::bootstrap::XdsAddress;

/// Port of the proxies' readiness endpoint (`GET /ready`, what kgateway's proxies use too).
pub const PROXY_READINESS_PORT: u16 = 8082;

/// Default Lease name (the chart sets `DYNAGATE_LEASE_NAME`).
pub const DEFAULT_LEASE_NAME: &str = "dynagate-controller";

/// Settings from flags and the environment the chart sets (`POD_NAMESPACE`, `POD_NAME`, ...).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KubernetesSettings {
    /// The controller's namespace (Lease, GatewayClass `parametersRef` default); `None`: the client's
    /// default namespace (from the kubeconfig context or the service account).
    pub namespace: Option<String>,
    /// This replica's identity in leader election; `None`: the host name.
    pub identity: Option<String>,
    /// Lease name.
    pub lease_name: Option<String>,
    /// The Envoy image to deploy for each Gateway; `None`: no deployer.
    pub envoy_image: Option<String>,
    /// `imagePullPolicy` of the deployed Envoy containers; `None`: the cluster's default.
    pub envoy_image_pull_policy: Option<String>,
    /// Where proxies reach the controller's xDS server (`host:port` of its Service).
    pub xds_service: Option<String>,
}

/// Settings with every default filled in.
#[derive(Clone, Debug)]
pub(crate) struct ResolvedSettings {
    pub namespace: String,
    pub identity: String,
    pub lease_name: String,
    /// Deployer settings and the xDS address written into proxies' bootstraps, when deploying.
    pub deployer: Option<DeployerSettings>,
    pub xds_service: Option<XdsAddress>,
}

/// A flag or variable that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// `--envoy-image` does not parse.
    #[error("--envoy-image {image:?}: {reason}")]
    EnvoyImage {
        /// The value.
        image: String,
        /// Why.
        reason: String,
    },
    /// `DYNAGATE_XDS_SERVICE` does not parse.
    #[error("DYNAGATE_XDS_SERVICE / --xds-service: {0}")]
    XdsService(String),
    /// Deploying proxies without telling them where xDS is.
    #[error(
        "--envoy-image needs DYNAGATE_XDS_SERVICE (--xds-service): where proxies reach this controller"
    )]
    MissingXdsService,
}

impl KubernetesSettings {
    /// Fills in defaults (namespace: `default_namespace`, the client's; identity: the host name) and
    /// parses.
    pub(crate) fn resolve(
        &self,
        default_namespace: &str,
    ) -> Result<ResolvedSettings, SettingsError> {
        let namespace = non_empty(&self.namespace).unwrap_or_else(|| default_namespace.to_owned());
        let identity = non_empty(&self.identity).unwrap_or_else(default_identity);
        let lease_name =
            non_empty(&self.lease_name).unwrap_or_else(|| DEFAULT_LEASE_NAME.to_owned());
        let xds_service = non_empty(&self.xds_service)
            .map(|text| text.parse::<XdsAddress>())
            .transpose()
            .map_err(|err| SettingsError::XdsService(err.to_string()))?;
        let deployer = match non_empty(&self.envoy_image) {
            None => None,
            Some(image) => {
                if xds_service.is_none() {
                    return Err(SettingsError::MissingXdsService);
                }
                let envoy_image =
                    image
                        .parse::<ImageRef>()
                        .map_err(|err| SettingsError::EnvoyImage {
                            image: image.clone(),
                            reason: err.to_string(),
                        })?;
                Some(DeployerSettings {
                    image_pull_policy: non_empty(&self.envoy_image_pull_policy),
                    readiness_port: Some(PROXY_READINESS_PORT),
                    ..DeployerSettings::new(namespace.clone(), envoy_image)
                })
            }
        };
        Ok(ResolvedSettings {
            namespace,
            identity,
            lease_name,
            deployer,
            xds_service,
        })
    }
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The host name (a Pod's name in Kubernetes), else a per-process name.
fn default_identity() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| format!("dynagate-{}", std::process::id()))
}
