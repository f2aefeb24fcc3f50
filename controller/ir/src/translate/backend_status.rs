//! kgateway `Backend` validity and status (`Accepted`).

use dynagate_api::kgateway::BackendSpec;
use dynagate_api::{ObjectKey, ObjectKind};

use super::reasons::*;
use crate::resources::Resources;
use crate::status::{Condition, StatusReport};

/// Why a Backend cannot be used, if it cannot.
pub(crate) fn backend_problem(
    resources: &Resources,
    namespace: &str,
    spec: &BackendSpec,
) -> Option<String> {
    let set: Vec<&str> = [
        ("static", spec.static_backend.is_some()),
        ("aws", spec.aws.is_some()),
        ("dynamicForwardProxy", spec.dynamic_forward_proxy.is_some()),
        ("gcp", spec.gcp.is_some()),
        ("priorityGroups", spec.priority_groups.is_some()),
        ("ai", spec.ai.is_some()),
    ]
    .into_iter()
    .filter(|(_, on)| *on)
    .map(|(name, _)| name)
    .collect();
    match set.as_slice() {
        ["static"] => {
            let hosts = spec
                .static_backend
                .as_ref()
                .map(|s| s.hosts.as_slice())
                .unwrap_or_default();
            if hosts.is_empty() {
                Some("static.hosts must list at least one host".to_owned())
            } else if hosts.iter().any(|h| h.host.is_empty() || h.port == 0) {
                Some("static.hosts entries need a host and a non-zero port".to_owned())
            } else {
                None
            }
        }
        ["aws"] => spec
            .aws
            .as_ref()
            .and_then(|aws| super::backend::lambda::lambda_config(resources, namespace, aws).err()),
        [] => Some("exactly one backend type must be set (static, aws, ...)".to_owned()),
        [one] => Some(format!("{one} backends are not supported by dynagate yet")),
        many => Some(format!(
            "exactly one backend type must be set, got {}",
            many.join(", ")
        )),
    }
}

/// `Accepted` for every Backend; returns the Backends that cannot be used.
pub(crate) fn write_backend_status(
    resources: &Resources,
    status: &mut StatusReport,
) -> Vec<ObjectKey> {
    let mut invalid = Vec::new();
    for ((namespace, name), backend) in &resources.backends {
        let key = ObjectKey::new(ObjectKind::Backend, namespace, name);
        let mut condition = match backend_problem(resources, namespace, &backend.spec) {
            None => Condition::ok(ACCEPTED, R_ACCEPTED, "Backend is accepted"),
            Some(problem) => {
                invalid.push(key.clone());
                Condition::failed(ACCEPTED, R_INVALID, problem)
            }
        };
        condition.observed_generation = backend.metadata.generation;
        status.entry(key).conditions.push(condition);
    }
    invalid
}
