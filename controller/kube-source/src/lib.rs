//! Kubernetes watchers: the objects a manifest directory would hold, kept current from the API server.
//!
//! [`KubeSource::start`] discovers which of our kinds the cluster serves (a missing CRD is an empty kind,
//! logged, never a crash), watches each across all namespaces into one [`Store`] of
//! [`dynagate_api::Object`]s, and keeps only the Secrets that current objects reference (see
//! [`secrets`]). [`KubeSource::changes`] yields debounced change notifications, the first one only once
//! every watcher has listed (so the first translation never sees a half-empty cluster);
//! [`KubeSource::snapshot`] is the object list to hand to `dynagate_ir::Resources::new`.

mod convert;
mod debounce;
mod discover;
pub mod secrets;
mod source;
mod store;
mod watch;

#[cfg(test)]
mod test_support;

pub use convert::{endpoint_slice_from_v1beta1, object_from_json, slim_metadata};
pub use debounce::{Changes, Progress};
pub use source::{KubeSource, SourceError};
pub use store::{KindState, Store, WatchEvent};
