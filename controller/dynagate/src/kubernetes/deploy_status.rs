//! The deployer's verdict in the Gateway's status: a Gateway whose proxy cannot be deployed (a missing or
//! invalid GatewayParameters) is reported, not just logged, as kgateway does.

use dynagate_api::{ObjectKey, ObjectKind};
use dynagate_deployer::{GatewayPlan, Plan};
use dynagate_ir::{ConditionStatus, StatusReport};

/// Gateway API's reason for a Gateway whose `infrastructure.parametersRef` (or its class's) is unusable.
const INVALID_PARAMETERS: &str = "InvalidParameters";
/// Gateway API's reason for a Gateway that is not programmed because of its own spec.
const INVALID: &str = "Invalid";

/// Turns `Accepted` and `Programmed` of every Gateway the plan cannot deploy to False, with the reason.
pub(crate) fn mark_undeployable(report: &mut StatusReport, plan: &Plan) {
    for (gateway, gateway_plan) in &plan.gateways {
        let GatewayPlan::Invalid(error) = gateway_plan else {
            continue;
        };
        let key = ObjectKey::new(ObjectKind::Gateway, &gateway.namespace, &gateway.name);
        let Some(status) = report.objects.get_mut(&key) else {
            continue;
        };
        let message = format!("the Envoy proxy cannot be deployed: {error}");
        for condition in &mut status.conditions {
            let reason = match condition.condition_type.as_str() {
                "Accepted" => INVALID_PARAMETERS,
                "Programmed" => INVALID,
                _ => continue,
            };
            condition.status = ConditionStatus::False;
            condition.reason = reason.to_owned();
            condition.message.clone_from(&message);
        }
    }
}
