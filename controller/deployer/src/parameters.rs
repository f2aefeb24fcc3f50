//! Which GatewayParameters apply to a Gateway, and their merge (class first, then the Gateway's).

use dynagate_api::gateway::{Gateway, GatewayClass};
use dynagate_api::kgateway::{self, GatewayParameters, GatewayParametersSpec};
use serde_json::Value;

use crate::plan::{Inputs, PlanError};

/// Kind of the only parametersRef we understand.
const PARAMETERS_KIND: &str = "GatewayParameters";

/// What the merged GatewayParameters ask for.
#[derive(Debug)]
pub(crate) enum Provisioning {
    /// Deploy a proxy with these settings (all defaults when no parameters apply).
    Kube(Box<kgateway::KubernetesProxyConfig>),
    /// `selfManaged`: the user runs Envoy; deploy nothing.
    SelfManaged,
}

/// Resolves `GatewayClass.spec.parametersRef` and `Gateway.spec.infrastructure.parametersRef` and merges them,
/// the Gateway's fields over the class's (kgateway's precedence). A reference to a missing object is an
/// error: kgateway keeps such a Gateway unprovisioned until the object exists.
pub(crate) fn resolve(
    inputs: &Inputs<'_>,
    gateway_namespace: &str,
    gateway: &Gateway,
    class: Option<&GatewayClass>,
    controller_namespace: &str,
) -> Result<Provisioning, PlanError> {
    let class_params = match class.and_then(|c| c.spec.parameters_ref.as_ref()) {
        Some(r) => {
            let namespace = r.namespace.as_deref().unwrap_or(controller_namespace);
            Some(lookup(inputs, &r.group, &r.kind, namespace, &r.name)?)
        }
        None => None,
    };
    let gateway_ref = gateway
        .spec
        .infrastructure
        .as_ref()
        .and_then(|i| i.parameters_ref.as_ref());
    let gateway_params = match gateway_ref {
        Some(r) => Some(lookup(
            inputs,
            &r.group,
            &r.kind,
            gateway_namespace,
            &r.name,
        )?),
        None => None,
    };
    let spec = merge_specs(
        class_params.map(|p| &p.spec),
        gateway_params.map(|p| &p.spec),
    )?;
    if spec.self_managed.is_some() {
        return Ok(Provisioning::SelfManaged);
    }
    Ok(Provisioning::Kube(Box::new(spec.kube.unwrap_or_default())))
}

fn lookup<'a>(
    inputs: &Inputs<'a>,
    group: &str,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Result<&'a GatewayParameters, PlanError> {
    if group != kgateway::GROUP || kind != PARAMETERS_KIND {
        return Err(PlanError::UnsupportedParametersRef {
            group: group.to_owned(),
            kind: kind.to_owned(),
        });
    }
    inputs
        .parameters
        .get(&(namespace, name))
        .copied()
        .ok_or_else(|| PlanError::ParametersNotFound {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        })
}

/// Deep merge through JSON: objects merge key by key, anything else (scalars, lists) is replaced, so a
/// Gateway's `replicas` wins while the class's `image` stays.
fn merge_specs(
    class: Option<&GatewayParametersSpec>,
    gateway: Option<&GatewayParametersSpec>,
) -> Result<GatewayParametersSpec, PlanError> {
    let mut merged = Value::Object(serde_json::Map::new());
    for spec in [class, gateway].into_iter().flatten() {
        let value = serde_json::to_value(spec).map_err(|e| invalid("spec", e))?;
        merge_json(&mut merged, value);
    }
    serde_json::from_value(merged).map_err(|e| invalid("spec", e))
}

pub(crate) fn merge_json(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(slot) => merge_json(slot, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (slot, value) => *slot = value,
    }
}

pub(crate) fn invalid(field: &str, reason: impl ToString) -> PlanError {
    PlanError::InvalidParameters {
        field: field.to_owned(),
        reason: reason.to_string(),
    }
}
