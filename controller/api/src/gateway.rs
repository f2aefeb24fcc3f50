//! Gateway API v1 types (standard channel, from the `gateway-api` crate) and the strings we match on.

pub use gateway_api::gatewayclasses::{self, GatewayClass, GatewayClassSpec};
pub use gateway_api::gateways::{self, Gateway, GatewaySpec};
pub use gateway_api::httproutes::{self, HttpRoute, HttpRouteSpec};
pub use gateway_api::referencegrants::{self, ReferenceGrant, ReferenceGrantSpec};

/// API group of the Gateway API.
pub const GROUP: &str = "gateway.networking.k8s.io";

/// Our GatewayClass `controllerName`.
pub const CONTROLLER_NAME: &str = "dynagate.dev/gateway-controller";

/// kgateway's `controllerName`, also accepted so existing kgateway manifests apply unchanged.
pub const KGATEWAY_CONTROLLER_NAME: &str = "kgateway.dev/kgateway";

/// Whether a GatewayClass with this `controllerName` is ours to program.
pub fn is_our_controller(controller_name: &str) -> bool {
    controller_name == CONTROLLER_NAME || controller_name == KGATEWAY_CONTROLLER_NAME
}
