//! ADS server (tonic, state of the world): serves per-node snapshots of opaque xDS resources to Envoy and
//! tracks what each Envoy accepted (ACK) or rejected (NACK).
//!
//! The publisher builds a [`Snapshot`] per node key (`type_url -> [(name, Any)]`, versioned by content) and
//! hands it to the shared [`SnapshotCache`]; [`serve`] answers Envoy's ADS streams from that cache. Which
//! snapshot an Envoy gets is its [`NodeKey`]: `node.cluster`, which dynagate's bootstrap sets to the
//! Gateway's `namespace/name`. This crate knows nothing of Gateways or translation.
//!
//! Each stream rolls its Envoy from one snapshot to the next make-before-break (new clusters warm before
//! routes use them, old clusters go only after routes stop using them): see `rollout`.

mod cache;
mod metrics;
mod rollout;
mod server;
mod snapshot;
mod stream;
mod tracker;

pub use cache::{NodeKey, SnapshotCache};
pub use metrics::XdsMetrics;
pub use server::{AdsServer, XdsError, serve};
pub use snapshot::{NamedResource, Snapshot, SnapshotError, TypeResources, type_url};
pub use tracker::{DeliveryStatus, Nack, ProxyDelivery, TypeDelivery};

/// Re-exported so users pack resources with the same `Any` type the server sends.
pub use envoy_types::pb::google::protobuf::Any;

/// Locks a mutex whose critical sections all leave the data consistent, so a poisoned lock is still safe
/// to use (and a panic elsewhere must not take the xDS server down with it).
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
