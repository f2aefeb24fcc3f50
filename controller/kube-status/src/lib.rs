//! Status write-back by server-side apply, and Lease-based leader election.
//!
//! - [`StatusWriter`]: applies the controller's [`dynagate_ir::StatusReport`] to the API server (GatewayClass
//!   and Gateway conditions, listeners, HTTPRoute parents, policy ancestors, Backend conditions) under the
//!   field manager [`FIELD_MANAGER`], through a bounded queue, keeping `lastTransitionTime` stable.
//! - [`LeaderElection`]: competes for a `coordination.k8s.io/v1` Lease; only the leader submits status.

mod conditions;
mod document;
mod leader;
mod writer;

pub use leader::{LeaderElection, LeaseConfig};
pub use writer::{FIELD_MANAGER, MAX_CONCURRENT_WRITES, StatusWriter};
