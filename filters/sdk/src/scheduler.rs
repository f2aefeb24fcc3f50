//! Schedulers: post an event id from any thread back to the owning Envoy thread.

use core::fmt;

/// Posts events back to the thread that owns a filter (its worker) or a config (the main
/// thread); the event arrives as `on_scheduled(event_id)`. `Send + Sync`: commit from any
/// thread, e.g. a background task that finished work for a stream. Dropping it releases the
/// Envoy-side scheduler; events committed after the owner is gone are dropped by Envoy.
pub struct Scheduler {
    backend: Box<dyn Fn(u64) + Send + Sync>,
}

impl Scheduler {
    /// A scheduler that calls `commit` for each event (fake hosts use this to record events).
    pub fn from_fn(commit: impl Fn(u64) + Send + Sync + 'static) -> Self {
        Self {
            backend: Box::new(commit),
        }
    }

    /// Posts `event_id` to the owning thread.
    pub fn commit(&self, event_id: u64) {
        (self.backend)(event_id);
    }
}

impl fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Scheduler")
    }
}
