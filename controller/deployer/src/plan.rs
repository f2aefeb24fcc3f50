//! `plan`: the desired proxy objects of every Gateway, computed without touching the API server.

use std::collections::BTreeMap;
use std::fmt;

use dynagate_api::Object;
use dynagate_api::gateway::{Gateway, GatewayClass};
use dynagate_api::kgateway::GatewayParameters;
use dynagate_ir::GatewayKey;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service, ServiceAccount};

use crate::parameters::{self, Provisioning};
use crate::proxy_spec::ProxySpec;
use crate::render;
use crate::settings::DeployerSettings;

#[cfg(test)]
mod tests;

/// The desired state of every Gateway the deployer is responsible for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// One entry per accepted Gateway, sorted.
    pub gateways: BTreeMap<GatewayKey, GatewayPlan>,
}

/// What one Gateway needs.
#[derive(Clone, Debug, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "one value per Gateway, built once per change; boxing buys nothing"
)]
pub enum GatewayPlan {
    /// A proxy: these four objects, server-side applied.
    Deploy(ProxyObjects),
    /// `selfManaged` GatewayParameters: no objects (any left from before are deleted).
    SelfManaged,
    /// The inputs are wrong; existing objects are left exactly as they are (kgateway does not update
    /// resources from invalid parameters) and the error is reported for the Gateway's status.
    Invalid(PlanError),
}

/// The objects of one Gateway's proxy, each named [`crate::object_name`] of the Gateway, in its namespace,
/// owned by it.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxyObjects {
    /// The pods' identity (no API access is granted to it).
    pub service_account: ServiceAccount,
    /// The Envoy bootstrap under key [`crate::BOOTSTRAP_FILE`].
    pub config_map: ConfigMap,
    /// One port per distinct listener port.
    pub service: Service,
    /// Envoy with `libdynagate.so`.
    pub deployment: Deployment,
}

/// Why a Gateway gets no (updated) proxy.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The Gateway is in the accepted list but not among the objects.
    #[error("Gateway not found")]
    GatewayNotFound,
    /// Owner references need the Gateway's UID (objects from a manifest directory have none).
    #[error("Gateway has no metadata.uid (was it read from the API server?)")]
    MissingUid,
    /// A Gateway has at least one listener by schema; without one there is nothing to expose.
    #[error("Gateway has no listeners")]
    NoListeners,
    /// A parametersRef names a kind other than `gateway.kgateway.dev/GatewayParameters`.
    #[error(
        "parametersRef {group}/{kind} is not supported (only gateway.kgateway.dev/GatewayParameters)"
    )]
    UnsupportedParametersRef {
        /// Referenced group.
        group: String,
        /// Referenced kind.
        kind: String,
    },
    /// A parametersRef names a GatewayParameters that does not exist (yet).
    #[error("GatewayParameters {namespace}/{name} not found")]
    ParametersNotFound {
        /// Namespace looked in.
        namespace: String,
        /// Name looked for.
        name: String,
    },
    /// The merged GatewayParameters have a field the deployer cannot use.
    #[error("invalid GatewayParameters field {field}: {reason}")]
    InvalidParameters {
        /// Path of the field under `spec`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The bootstrap renderer failed.
    #[error("cannot render the Envoy bootstrap: {0}")]
    Bootstrap(String),
}

/// The objects `plan` looks at, borrowed and indexed.
#[derive(Default)]
pub(crate) struct Inputs<'a> {
    pub classes: BTreeMap<&'a str, &'a GatewayClass>,
    pub gateways: BTreeMap<(&'a str, &'a str), &'a Gateway>,
    pub parameters: BTreeMap<(&'a str, &'a str), &'a GatewayParameters>,
}

impl<'a> Inputs<'a> {
    fn new(objects: impl IntoIterator<Item = &'a Object>) -> Self {
        let mut inputs = Self::default();
        for object in objects {
            let key = (object.namespace(), object.name());
            match object {
                Object::GatewayClass(class) => {
                    inputs.classes.insert(object.name(), class);
                }
                Object::Gateway(gateway) => {
                    inputs.gateways.insert(key, gateway);
                }
                Object::GatewayParameters(parameters) => {
                    inputs.parameters.insert(key, parameters);
                }
                _ => {}
            }
        }
        inputs
    }
}

/// The desired proxy objects of each Gateway in `accepted` (the Gateways of our classes that translation
/// accepted; the deployer does not re-check class ownership).
///
/// `objects` is everything the controller knows (only GatewayClasses, Gateways and GatewayParameters are
/// read). `bootstrap` renders the Envoy bootstrap of a Gateway, e.g. the controller's
/// `BootstrapParams::new(key, xds).render_yaml()`; its error becomes [`PlanError::Bootstrap`].
pub fn plan<'o, 'k, E: fmt::Display>(
    objects: impl IntoIterator<Item = &'o Object>,
    accepted: impl IntoIterator<Item = &'k GatewayKey>,
    settings: &DeployerSettings,
    bootstrap: &dyn Fn(&GatewayKey) -> Result<String, E>,
) -> Plan {
    let inputs = Inputs::new(objects);
    let gateways = accepted
        .into_iter()
        .map(|key| {
            let plan = plan_gateway(&inputs, key, settings, bootstrap)
                .unwrap_or_else(GatewayPlan::Invalid);
            (key.clone(), plan)
        })
        .collect();
    Plan { gateways }
}

fn plan_gateway<E: fmt::Display>(
    inputs: &Inputs<'_>,
    key: &GatewayKey,
    settings: &DeployerSettings,
    bootstrap: &dyn Fn(&GatewayKey) -> Result<String, E>,
) -> Result<GatewayPlan, PlanError> {
    let gateway = inputs
        .gateways
        .get(&(key.namespace.as_str(), key.name.as_str()))
        .copied()
        .ok_or(PlanError::GatewayNotFound)?;
    let class_name = gateway.spec.gateway_class_name.as_str();
    let class = inputs.classes.get(class_name).copied();
    let provisioning = parameters::resolve(
        inputs,
        &key.namespace,
        gateway,
        class,
        &settings.controller_namespace,
    )?;
    let Provisioning::Kube(kube) = provisioning else {
        return Ok(GatewayPlan::SelfManaged);
    };
    let spec = ProxySpec::new(&kube, settings)?;
    let bootstrap = bootstrap(key).map_err(|e| PlanError::Bootstrap(e.to_string()))?;
    let objects = render::proxy_objects(&render::ProxyInput {
        key,
        gateway,
        class_name,
        spec: &spec,
        bootstrap: &bootstrap,
        settings,
    })?;
    Ok(GatewayPlan::Deploy(objects))
}
