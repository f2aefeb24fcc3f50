//! Pure translation: Kubernetes-style resources -> IR -> xDS resources and status.
//!
//! No kube client, no tonic server, no I/O: everything here is a function of its input, so it is
//! golden-tested and the directory source and the Kubernetes source share it unchanged.
//!
//! The contract with the rest of the controller (keep these names stable):
//! - [`Resources`]: every object the controller knows, as typed values from `dynagate-api`
//!   ([`Resources::new`] rejects duplicate identities).
//! - [`translate`]: `&Resources -> Translation`.
//! - [`Translation::proxies`]: one [`ProxyConfig`] per Gateway of our class, keyed by [`GatewayKey`]; this is
//!   what the xDS server serves to the Envoy whose bootstrap names that Gateway.
//!   [`ProxyConfig::resources_by_type`] packs it per [`type_url`].
//! - [`Translation::status`]: the conditions each object would carry (Gateway API and policy ancestor status).
//! - [`LastGood`]: [`translate`] across changes, keeping the last good version of a policy whose update is
//!   invalid (what the controller runs; `translate` alone is the pure one-shot function).

mod last_good;
mod proxy;
mod resources;
mod status;
mod translate;

pub use last_good::LastGood;
pub use proxy::{GatewayKey, GatewayKeyParseError, NamedResource, ProxyConfig, type_url};
pub use resources::{Resources, ResourcesError};
pub use status::{
    Condition, ConditionStatus, ListenerStatus, ObjectStatus, ParentRef, PolicyAncestorStatus,
    RouteGroupKind, RouteParentStatus, StatusReport,
};
pub use translate::{
    DYNAMIC_MODULE_NAME, RATE_LIMIT_FILTER, RATE_LIMIT_HTTP_FILTER_NAME, TRANSFORMATION_FILTER,
    TRANSFORMATION_HTTP_FILTER_NAME, TranslateOptions, Translation, translate, translate_with,
};
