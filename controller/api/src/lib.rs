//! Kubernetes resource types: kgateway-compatible CRDs and the Gateway API types we read, plus the
//! manifest loader that turns YAML text into them.
//!
//! - [`gateway`]: Gateway API v1 types (re-exported from the `gateway-api` crate) and our controller name.
//! - [`kgateway`]: our CRDs, group `gateway.kgateway.dev`, version `v1alpha1`, kgateway's field names.
//! - [`Object`], [`ObjectKind`], [`ObjectKey`]: one enum over every kind we read, and its identity.
//! - [`manifest::parse_manifests`]: multi-document YAML -> typed objects, with located errors.
//!
//! Core types (Service, EndpointSlice, Secret, Namespace) come from [`k8s_openapi`], re-exported so every
//! crate agrees on its version.

pub mod gateway;
pub mod kgateway;
pub mod manifest;
mod object;

pub use gateway_api;
pub use k8s_openapi;
pub use object::{DEFAULT_NAMESPACE, Object, ObjectKey, ObjectKind};
