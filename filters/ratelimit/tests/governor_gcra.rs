//! Why the buckets are not governor's GCRA: the same traffic replayed through both, compared with
//! kgateway's formula `max + floor(elapsed / interval) * tokens_per_fill` (counted from the first
//! request). Run with `--nocapture` to see the measured counts.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a broken setup should fail the test loudly"
)]

use core::num::NonZeroU32;
use core::time::Duration;
use dynagate_ratelimit::{Limit, Nanos, TokenBucket};
use governor::clock::FakeRelativeClock;
use governor::{Quota, RateLimiter};

/// Admitted count at each arrival, for our bucket and for governor configured the usual way
/// (burst = max, one cell every interval / tokens_per_fill).
fn replay(limit: Limit, arrivals: &[u64]) -> (Vec<u64>, Vec<u64>) {
    let ours = TokenBucket::new(limit);
    let period = limit.fill_interval() / limit.tokens_per_fill();
    let burst = NonZeroU32::new(limit.max_tokens()).unwrap();
    let quota = Quota::with_period(period).unwrap().allow_burst(burst);
    let clock = FakeRelativeClock::default();
    let theirs = RateLimiter::direct_with_clock(quota, clock.clone());
    let (mut ours_total, mut theirs_total) = (0, 0);
    let (mut ours_counts, mut theirs_counts) = (Vec::new(), Vec::new());
    let mut last = 0;
    for &at in arrivals {
        clock.advance(Duration::from_nanos(at - last));
        last = at;
        ours_total += u64::from(ours.take(Nanos(at)).admitted());
        theirs_total += u64::from(theirs.check().is_ok());
        ours_counts.push(ours_total);
        theirs_counts.push(theirs_total);
    }
    (ours_counts, theirs_counts)
}

/// Largest excess over the formula and the final shortfall, over all arrivals.
fn against_formula(limit: Limit, arrivals: &[u64], counts: &[u64]) -> (i64, i64) {
    let start = arrivals[0];
    let mut worst_excess = i64::MIN;
    for (&at, &count) in arrivals.iter().zip(counts) {
        let allowed = limit.admits_within(Duration::from_nanos(at - start));
        worst_excess = worst_excess.max(count as i64 - allowed as i64);
    }
    let end = *arrivals.last().unwrap();
    let final_allowed = limit.admits_within(Duration::from_nanos(end - start));
    let shortfall = final_allowed as i64 - *counts.last().unwrap() as i64;
    (worst_excess, shortfall)
}

#[test]
fn gcra_spreads_tokens_per_fill_and_admits_early() {
    // 10 tokens per second in one fill; a request every millisecond for 3.5s.
    let limit = Limit::new(10, 10, Duration::from_secs(1)).unwrap();
    let arrivals: Vec<u64> = (0..3_500).map(|ms| ms * 1_000_000).collect();
    let (ours, theirs) = replay(limit, &arrivals);
    let (ours_excess, ours_short) = against_formula(limit, &arrivals, &ours);
    let (theirs_excess, theirs_short) = against_formula(limit, &arrivals, &theirs);
    eprintln!(
        "tokens_per_fill=10/1s over 3.5s: ours admitted {} (excess {ours_excess}, short {ours_short}), \
         governor {} (excess {theirs_excess}, short {theirs_short})",
        ours.last().unwrap(),
        theirs.last().unwrap()
    );
    assert_eq!((ours_excess, ours_short), (0, 0));
    // governor hands out one token every 100ms instead of 10 per second: ahead of the formula.
    assert!(theirs_excess >= 9, "governor excess {theirs_excess}");
}

#[test]
fn gcra_drifts_behind_when_a_fill_tops_the_bucket_up() {
    // max 1, one token per 100ms, requests every 7ms for 20s: every fill refills the bucket
    // completely, and GCRA restarts its schedule at the next arrival.
    let limit = Limit::new(1, 1, Duration::from_millis(100)).unwrap();
    let arrivals: Vec<u64> = (0..2_858).map(|i| i * 7_000_000).collect();
    let (ours, theirs) = replay(limit, &arrivals);
    let (ours_excess, ours_short) = against_formula(limit, &arrivals, &ours);
    let (theirs_excess, theirs_short) = against_formula(limit, &arrivals, &theirs);
    eprintln!(
        "max=1, 1/100ms, every 7ms over 20s: ours admitted {} (excess {ours_excess}, short {ours_short}), \
         governor {} (excess {theirs_excess}, short {theirs_short})",
        ours.last().unwrap(),
        theirs.last().unwrap()
    );
    assert_eq!((ours_excess, ours_short), (0, 0));
    assert!(theirs_short >= 5, "governor short by {theirs_short}");
}
