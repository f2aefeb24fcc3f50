//! Time for the buckets: nanoseconds on a monotonic clock, injectable so tests never sleep.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A point in time: nanoseconds since the clock's origin (monotonic, never wraps in practice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Nanos(pub u64);

impl Nanos {
    /// The origin.
    pub const ZERO: Self = Self(0);

    /// `duration` after the origin (saturating).
    pub fn from_duration(duration: Duration) -> Self {
        Self(u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX))
    }

    /// This instant moved `duration` later (saturating).
    #[must_use]
    pub fn after(self, duration: Duration) -> Self {
        Self(self.0.saturating_add(Self::from_duration(duration).0))
    }
}

/// Where the buckets read the time. Every bucket of a registry must see the same clock.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> Nanos;
}

/// The system's monotonic clock (`CLOCK_MONOTONIC`, read through the vDSO): every thread and
/// every config of the process agrees on its origin (boot).
#[derive(Debug, Clone, Copy, Default)]
pub struct MonotonicClock;

impl Clock for MonotonicClock {
    fn now(&self) -> Nanos {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
        // The monotonic clock is never negative; a bogus value reads as the origin.
        let seconds = u64::try_from(now.tv_sec).unwrap_or(0);
        let nanos = u64::try_from(now.tv_nsec).unwrap_or(0);
        Nanos(seconds.saturating_mul(1_000_000_000).saturating_add(nanos))
    }
}

/// A clock that only moves when told to (tests, benchmarks, simulations).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    /// A clock at `start`.
    pub fn new(start: Nanos) -> Self {
        Self(AtomicU64::new(start.0))
    }

    /// Moves the clock forward by `duration`.
    pub fn advance(&self, duration: Duration) {
        self.0
            .fetch_add(Nanos::from_duration(duration).0, Ordering::Relaxed);
    }

    /// Sets the clock to `now`.
    pub fn set(&self, now: Nanos) {
        self.0.store(now.0, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Nanos {
        Nanos(self.0.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests;
