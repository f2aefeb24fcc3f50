//! kgateway-compatible CRDs (`gateway.kgateway.dev/v1alpha1`), field names as kgateway spells them.
//!
//! Fields we translate are typed; fields we know but do not translate yet are kept as opaque JSON so the
//! controller can report them as "not supported" instead of dropping them. Fields nobody knows are caught
//! by the manifest loader (see [`crate::manifest`]) and reported as errors for these kinds.

mod access_log;
mod backend;
mod direct_response;
mod gateway_parameters;
mod listener_policy;
mod policy_target;
mod rate_limit;
mod traffic_policy;
mod transformation;

pub use access_log::*;
pub use backend::*;
pub use direct_response::*;
pub use gateway_parameters::*;
pub use listener_policy::*;
pub use policy_target::*;
pub use rate_limit::*;
pub use traffic_policy::*;
pub use transformation::*;

/// API group of every kgateway CRD.
pub const GROUP: &str = "gateway.kgateway.dev";
/// The one served version.
pub const VERSION: &str = "v1alpha1";
/// `apiVersion` string of every kgateway CRD.
pub const API_VERSION: &str = "gateway.kgateway.dev/v1alpha1";

/// Annotation carrying a policy's priority among policies at the same attachment level (integer, default 0,
/// higher wins).
pub const POLICY_WEIGHT_ANNOTATION: &str = "kgateway.dev/policy-weight";
/// Annotation on a parent (Gateway) choosing how its policies merge with its children's.
pub const INHERITED_POLICY_PRIORITY_ANNOTATION: &str = "kgateway.dev/inherited-policy-priority";
