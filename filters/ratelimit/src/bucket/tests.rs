use super::*;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Barrier};

const MS: u64 = 1_000_000;

fn limit(max: u32, per_fill: u32, interval_ms: u64) -> Limit {
    Limit::new(max, per_fill, Duration::from_millis(interval_ms)).unwrap()
}

fn at(ms: u64) -> Nanos {
    Nanos(ms * MS)
}

/// Sends `count` requests at `now`, returns how many got a token.
fn burst(bucket: &TokenBucket, now: Nanos, count: u32) -> u32 {
    (0..count).filter(|_| bucket.take(now).admitted()).count() as u32
}

/// A tiny deterministic generator so the arrival patterns are reproducible.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

#[test]
fn invalid_limits_are_rejected() {
    assert_eq!(Limit::new(0, 1, Duration::from_secs(1)), Err(InvalidLimit));
    assert_eq!(Limit::new(1, 0, Duration::from_secs(1)), Err(InvalidLimit));
    assert_eq!(Limit::new(1, 1, Duration::ZERO), Err(InvalidLimit));
}

#[test]
fn a_new_bucket_admits_the_burst_then_denies() {
    let bucket = TokenBucket::new(limit(5, 1, 1000));
    for expected_remaining in (0..5).rev() {
        assert_eq!(
            bucket.take(at(10)),
            Take::Admitted {
                remaining: expected_remaining,
                next_fill: at(1010)
            }
        );
    }
    assert_eq!(
        bucket.take(at(10)),
        Take::Denied {
            next_fill: at(1010)
        }
    );
    assert_eq!(bucket.available(at(10)), 0);
}

#[test]
fn fills_land_one_interval_after_the_first_token() {
    let bucket = TokenBucket::new(limit(2, 1, 1000));
    assert_eq!(burst(&bucket, at(300), 5), 2);
    // Not a nanosecond early.
    assert!(!bucket.take(Nanos(1300 * MS - 1)).admitted());
    assert_eq!(burst(&bucket, at(1300), 5), 1);
    assert_eq!(burst(&bucket, at(2299), 5), 0);
    assert_eq!(burst(&bucket, at(2300), 5), 1);
}

#[test]
fn tokens_per_fill_above_one_arrive_together() {
    let bucket = TokenBucket::new(limit(10, 3, 1000));
    assert_eq!(burst(&bucket, at(0), 20), 10);
    assert_eq!(burst(&bucket, at(999), 20), 0);
    assert_eq!(burst(&bucket, at(1000), 20), 3);
    // Two fills at once, partly used.
    assert_eq!(burst(&bucket, at(3000), 4), 4);
    assert_eq!(bucket.available(at(3000)), 2);
    // Capped at max_tokens after a long idle.
    assert_eq!(bucket.available(at(60_000)), 10);
    assert_eq!(burst(&bucket, at(60_000), 20), 10);
}

#[test]
fn fills_are_capped_at_max_tokens() {
    let bucket = TokenBucket::new(limit(4, 3, 100));
    assert_eq!(burst(&bucket, at(0), 1), 1);
    // One fill of 3 would make 6: capped to 4.
    assert_eq!(bucket.available(at(100)), 4);
    assert_eq!(burst(&bucket, at(150), 10), 4);
}

#[test]
fn a_rested_bucket_restarts_its_schedule_at_the_next_token() {
    let bucket = TokenBucket::new(limit(3, 1, 1000));
    assert_eq!(burst(&bucket, at(0), 3), 3);
    // Full again at 3000, rested from 4000; a burst at 5700 straddles no fill.
    assert_eq!(burst(&bucket, at(5700), 10), 3);
    assert_eq!(burst(&bucket, at(5999), 10), 0);
    assert_eq!(burst(&bucket, at(6699), 10), 0);
    assert_eq!(burst(&bucket, at(6700), 10), 1);
}

#[test]
fn refunds_give_the_token_back() {
    let bucket = TokenBucket::new(limit(2, 1, 1000));
    assert!(bucket.take(at(0)).admitted());
    assert!(bucket.take(at(0)).admitted());
    bucket.refund(at(0));
    assert_eq!(bucket.available(at(0)), 1);
    bucket.refund(at(0));
    bucket.refund(at(0));
    assert_eq!(bucket.available(at(0)), 2, "never beyond max_tokens");
}

/// The spec's accuracy rule, on random traffic (a burst of `max` requests, then a stream with
/// random gaps up to a tenth of the interval): counted from the first admitted request, the admitted
/// total never exceeds `max + floor(elapsed / interval) * per_fill`, and equals it before each fill.
/// Over 100 intervals a schedule that slipped by the arrival gap at each top-up would fall behind.
#[test]
fn admitted_totals_match_the_formula_under_steady_overload() {
    for (max, per_fill, interval_ms, seed) in [
        (1, 1, 100, 1),
        (5, 1, 100, 2),
        (5, 3, 250, 3),
        (2, 7, 50, 4),
        (100, 10, 1000, 5),
    ] {
        let limit = limit(max, per_fill, interval_ms);
        let bucket = TokenBucket::new(limit);
        let mut rng = Lcg(seed);
        let interval = interval_ms * MS;
        let start = 17 * MS + 123;
        let end = start + 100 * interval;
        let fill = |t: u64| (t - start) / interval;
        let mut admitted = u64::from(burst(&bucket, Nanos(start), max));
        let mut totals_before_fill = Vec::new();
        let mut now = start;
        while now < end {
            let next = now + 1 + rng.below(interval / 10);
            if fill(next) > fill(now) {
                totals_before_fill.push((fill(now), admitted));
            }
            now = next;
            if bucket.take(Nanos(now)).admitted() {
                admitted += 1;
                let elapsed = Duration::from_nanos(now - start);
                assert!(
                    admitted <= limit.admits_within(elapsed),
                    "{limit:?} at {now}"
                );
            }
        }
        assert_eq!(totals_before_fill.len(), 100);
        for (fills, total) in totals_before_fill {
            assert_eq!(
                total,
                u64::from(max) + fills * u64::from(per_fill.min(max)),
                "{limit:?} after {fills} fills"
            );
        }
    }
}

#[test]
fn contended_takes_admit_exactly_the_tokens_that_exist() {
    let limit = limit(1000, 250, 100);
    let bucket = Arc::new(TokenBucket::new(limit));
    let now = Arc::new(AtomicU64::new(5 * MS));
    let threads = 4;
    let rounds = 6;
    let barrier = Arc::new(Barrier::new(threads + 1));
    let admitted = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (bucket, now, barrier, admitted) = (
                Arc::clone(&bucket),
                Arc::clone(&now),
                Arc::clone(&barrier),
                Arc::clone(&admitted),
            );
            std::thread::spawn(move || {
                for _ in 0..rounds {
                    barrier.wait();
                    let t = Nanos(now.load(AtomicOrdering::Relaxed));
                    let mine = (0..2_000).filter(|_| bucket.take(t).admitted()).count();
                    admitted.fetch_add(mine as u64, AtomicOrdering::Relaxed);
                    barrier.wait();
                }
            })
        })
        .collect();
    for round in 0..rounds {
        barrier.wait();
        barrier.wait();
        let expected = 1000 + round * 250;
        assert_eq!(
            admitted.load(AtomicOrdering::Relaxed),
            expected,
            "round {round}"
        );
        now.fetch_add(100 * MS, AtomicOrdering::Relaxed);
    }
    for worker in workers {
        worker.join().unwrap();
    }
}

#[test]
fn contended_takes_with_a_moving_clock_never_exceed_the_formula() {
    let limit = limit(50, 5, 50);
    let bucket = Arc::new(TokenBucket::new(limit));
    let clock = Arc::new(AtomicU64::new(0));
    let admitted = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let (bucket, clock, admitted) = (
                Arc::clone(&bucket),
                Arc::clone(&clock),
                Arc::clone(&admitted),
            );
            std::thread::spawn(move || {
                for _ in 0..20_000 {
                    // Each take advances shared time by 1µs: 60ms of traffic in total.
                    let t = clock.fetch_add(1_000, AtomicOrdering::Relaxed);
                    if bucket.take(Nanos(t)).admitted() {
                        admitted.fetch_add(1, AtomicOrdering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let elapsed = Duration::from_nanos(clock.load(AtomicOrdering::Relaxed));
    // 60ms with a 50ms interval: one fill; steady overload, so exactly max + one fill.
    assert_eq!(
        admitted.load(AtomicOrdering::Relaxed),
        limit.admits_within(elapsed)
    );
}

#[test]
fn a_retired_bucket_gives_no_token_and_takes_no_refund() {
    let limit = limit(2, 1, 1_000);
    let state = BucketState::new();
    assert!(state.take(&limit, at(0)).admitted());
    state.retire();
    assert!(state.is_retired());
    assert_eq!(state.take_unless_retired(&limit, at(0)), None);
    // Even after any number of fills it stays retired, and a refund does not revive it.
    state.refund(&limit, at(0));
    assert_eq!(state.take_unless_retired(&limit, at(10_000)), None);
    assert!(!state.take(&limit, at(10_000)).admitted());
    assert!(!state.is_rested(&limit, at(10_000)));
    assert_eq!(state.last_anchor(), None);
    // It reports what the key's next bucket would hold.
    assert_eq!(state.available(&limit, at(0)), 2);
}

#[test]
fn only_a_rested_bucket_is_retired_by_retire_if_rested() {
    let limit = limit(2, 1, 1_000);
    let state = BucketState::new();
    assert!(state.take(&limit, at(0)).admitted());
    // Owes a token until 1s, then full but inside the interval of that fill until 2s.
    assert!(!state.retire_if_rested(&limit, at(500)));
    assert!(!state.retire_if_rested(&limit, at(1_500)));
    assert!(state.take(&limit, at(1_600)).admitted());
    assert!(state.retire_if_rested(&limit, at(4_000)));
    assert!(state.is_retired());
    assert!(state.retire_if_rested(&limit, at(4_000)), "stays retired");
    // A fresh bucket has rested from the start.
    assert!(BucketState::new().retire_if_rested(&limit, at(0)));
}

#[test]
fn fills_are_credited_at_the_interval_boundary_exactly() {
    // The no-fill shortcut must not swallow a fill landing exactly on the boundary.
    let bucket = TokenBucket::new(limit(1, 1, 50));
    assert!(bucket.take(Nanos(7)).admitted());
    assert!(!bucket.take(Nanos(7 + 50 * MS - 1)).admitted());
    assert!(bucket.take(Nanos(7 + 50 * MS)).admitted());
    assert!(!bucket.take(Nanos(7 + 100 * MS - 1)).admitted());
    assert!(bucket.take(Nanos(7 + 100 * MS)).admitted());
}
