//! The deployer: the Envoy proxy objects of each Gateway, created and kept in sync.
//!
//! Two halves, so the decisions are testable without an API server:
//! - [`plan`] (pure): from the objects the controller knows, the Gateways translation accepted, the
//!   [`DeployerSettings`] and a bootstrap renderer, the desired ServiceAccount, ConfigMap (Envoy bootstrap),
//!   Service and Deployment of each Gateway ([`GatewayPlan`]), customised by kgateway's GatewayParameters.
//! - [`Deployer::apply`]: server-side applies a [`Plan`] and deletes the proxy objects of Gateways that no
//!   longer want one. Every object is owned by its Gateway, so the garbage collector removes it with it.
//!
//! Naming, labels and ports follow kgateway's deployer (section E.2 of the kgateway reference).
//!
//! Wiring (the controller binary): after each translation, on the leader only and once the watch caches are
//! synced,
//!
//! ```text
//! let plan = dynagate_deployer::plan(&objects, &accepted_gateway_keys, &settings, &|key| {
//!     BootstrapParams::new(key.clone(), xds_service.clone()).render_yaml()
//! });
//! let report = deployer.apply(&plan).await; // GatewayPlan::Invalid errors belong in Gateway status
//! ```
//!
//! The proxy image (`envoy/Dockerfile`) is upstream Envoy with `libdynagate.so` in [`DEFAULT_MODULE_DIR`];
//! the Deployment mounts the bootstrap at `CONFIG_DIR/BOOTSTRAP_FILE` and runs
//! `envoy -c /etc/envoy/envoy.yaml --disable-hot-restart --service-node $(POD_NAME).$(POD_NAMESPACE) --log-level ...`.

mod apply;
mod image;
mod labels;
mod parameters;
mod plan;
mod proxy_spec;
mod render;
mod settings;

pub use apply::{ApplyReport, DeployError, Deployer, FIELD_MANAGER};
pub use image::{ImageRef, ImageRefParseError};
pub use labels::{
    BOOTSTRAP_CHECKSUM_ANNOTATION, GATEWAY_CLASS_LABEL, GATEWAY_NAME_LABEL, MANAGED_BY_LABEL,
    MANAGED_BY_VALUE, object_name,
};
pub use plan::{GatewayPlan, Plan, PlanError, ProxyObjects, plan};
pub use settings::{
    BOOTSTRAP_FILE, CONFIG_DIR, DEFAULT_MODULE_DIR, DEFAULT_SERVICE_TYPE, DeployerSettings,
    ENVOY_CONTAINER,
};
