//! The JSON config contract of every dynagate filter, shared by filters and controller.
//!
//! Each filter's config is a plain serde type here: the controller serialises it into the Envoy
//! `filter_config`, the filter parses the very same type back. Types mirror what users write in the
//! kgateway-compatible CRDs (camelCase keys) and reject unknown keys, so a typo is an error naming the
//! key instead of a silently ignored setting.

pub mod access_log;
pub mod aws_lambda;
pub mod rate_limit;
pub mod transformation;

pub use transformation::TransformationPolicy;
