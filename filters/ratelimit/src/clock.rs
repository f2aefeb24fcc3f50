//! Time for the buckets: nanoseconds on a monotonic clock, injectable so tests never sleep.

use std::sync::LazyLock;
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

/// The CPU's time-stamp counter scaled to nanoseconds (`quanta`, calibrated once per process
/// against `CLOCK_MONOTONIC`): the same nanosecond resolution as [`MonotonicClock`] at about half
/// the cost (~20 ns against ~34 ns per read here), which is a third of a whole check. The counter
/// is the kernel's own clock source on current x86 and ARM machines: one counter for all cores,
/// ticking at a constant rate, so every thread reads the same time. Without an invariant counter
/// `quanta` reads `CLOCK_MONOTONIC` instead. Scaling can drift from `CLOCK_MONOTONIC` by the
/// calibration's error (parts per million); a bucket only compares readings of this one clock.
///
/// Not a coarse clock (`CLOCK_MONOTONIC_COARSE`, ~5 ns): it moves once per kernel tick (1-10 ms),
/// so a bucket would start its schedule up to a tick before the real first token and see a fill
/// up to a tick early or late. That never accumulates, but within a tick of each fill the
/// admitted count could exceed the formula by one fill, and the buckets here promise the formula.
#[derive(Debug, Clone, Copy)]
pub struct CounterClock(());

/// The process's counter: calibration is global in `quanta`, and one origin for every reading.
struct Counter {
    clock: quanta::Clock,
    origin: u64,
}

static COUNTER: LazyLock<Counter> = LazyLock::new(|| {
    let clock = quanta::Clock::new();
    let origin = clock.raw();
    Counter { clock, origin }
});

impl CounterClock {
    /// The process's counter clock. The first call calibrates it (up to 200 ms, once per process),
    /// so make it at load time rather than on a request.
    pub fn new() -> Self {
        LazyLock::force(&COUNTER);
        Self(())
    }
}

impl Default for CounterClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for CounterClock {
    fn now(&self) -> Nanos {
        let counter = &*COUNTER;
        Nanos(
            counter
                .clock
                .delta_as_nanos(counter.origin, counter.clock.raw()),
        )
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
