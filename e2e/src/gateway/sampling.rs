//! Tolerances for random outcomes (weighted backends, mirror fractions) that do not make tests flaky.

use std::ops::RangeInclusive;

/// How many standard deviations [`binomial_range`] allows: a correct split falls outside less than once
/// in a million runs, a wrong one (say 50% instead of 75% over 400 requests) falls outside every time.
pub const TOLERANCE_SIGMAS: f64 = 5.0;

/// The counts of successes, out of `trials` independent tries each succeeding with probability `p`, that
/// a correct implementation produces: the mean ± [`TOLERANCE_SIGMAS`] standard deviations
/// (√(n·p·(1−p))), clamped to `0..=trials`.
pub fn binomial_range(trials: usize, p: f64) -> RangeInclusive<usize> {
    let p = p.clamp(0.0, 1.0);
    // Test trial counts are small: the conversions are exact, and the bounds are clamped first.
    let n = trials as f64;
    let mean = n * p;
    let spread = TOLERANCE_SIGMAS * (n * p * (1.0 - p)).sqrt();
    let low = (mean - spread).ceil().clamp(0.0, n) as usize;
    let high = (mean + spread).floor().clamp(0.0, n) as usize;
    low..=high
}
