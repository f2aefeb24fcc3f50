//! The per-request check: clock read + policy decision (+ key lookup for keyed descriptors), on one
//! and two threads sharing the buckets, against governor's direct limiter for scale.
//!
//! `cargo bench -p dynagate-ratelimit --bench check`. With two threads every thread runs the
//! reported number of checks at the same time, so the time shown is the latency of one check
//! under contention. The clock is the filter's own ([`CounterClock`]), read on every check.
//! `shared_fetch_add` is the floor for anything exact on one shared key: a single atomic add on
//! one shared word, no clock, no logic; on two threads its cost is the cache line moving between
//! the two cores.
#![allow(
    clippy::unwrap_used,
    reason = "a benchmark whose setup is broken should stop loudly"
)]

use core::num::NonZeroU32;
use core::time::Duration;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use dynagate_config::rate_limit::RateLimitFilterConfig;
use dynagate_ratelimit::{
    BucketRegistry, Clock, CounterClock, MonotonicClock, PercentDice, RateLimitPolicy,
    RequestFacts, ThreadDice,
};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Instant;

/// A request carrying one `x-user` value.
struct Request<'a>(&'a [u8]);

impl RequestFacts for Request<'_> {
    fn header(&self, _name: &str) -> Option<&[u8]> {
        Some(self.0)
    }
    fn path(&self) -> Option<&[u8]> {
        None
    }
    fn remote_address(&self) -> Option<&[u8]> {
        None
    }
}

/// Generous limits: most checks are admitted, so the compare-and-swap path is what is measured.
fn policy(local: &str) -> RateLimitPolicy {
    let json = format!(r#"{{"attachment": "bench", "local": {local}}}"#);
    let config = RateLimitFilterConfig::from_json(&json).unwrap();
    RateLimitPolicy::compile(&config, &BucketRegistry::default()).unwrap()
}

fn single_key() -> RateLimitPolicy {
    policy(
        r#"{"tokenBucket": {"maxTokens": 2000000000, "tokensPerFill": 2000000000, "fillInterval": "50ms"}}"#,
    )
}

fn per_user() -> RateLimitPolicy {
    policy(
        r#"{"descriptors": [{"entries": [{"type": "Header", "header": "x-user"}],
            "tokenBucket": {"maxTokens": 2000000000, "tokensPerFill": 2000000000, "fillInterval": "50ms"}}]}"#,
    )
}

fn keys(count: usize) -> Arc<Vec<Vec<u8>>> {
    Arc::new(
        (0..count)
            .map(|i| format!("user-{i:05}").into_bytes())
            .collect(),
    )
}

/// Runs `iters` checks on each of `threads` threads at once; returns the wall time from the first
/// worker's start to the last worker's end. The workers take the times themselves, so a
/// descheduled main thread cannot miss part of the run.
fn run(threads: usize, iters: u64, check: Arc<dyn Fn(u64) + Send + Sync>) -> Duration {
    let barrier = Arc::new(Barrier::new(threads));
    let workers: Vec<_> = (0..threads)
        .map(|thread| {
            let (barrier, check) = (Arc::clone(&barrier), Arc::clone(&check));
            std::thread::spawn(move || {
                barrier.wait();
                let start = Instant::now();
                let offset = thread as u64 * 7_919;
                for i in 0..iters {
                    check(i + offset);
                }
                (start, Instant::now())
            })
        })
        .collect();
    let spans: Vec<(Instant, Instant)> = workers
        .into_iter()
        .map(|worker| worker.join().unwrap())
        .collect();
    let first = spans.iter().map(|span| span.0).min().unwrap();
    let last = spans.iter().map(|span| span.1).max().unwrap();
    last - first
}

fn policy_check(c: &mut Criterion) {
    let mut group = c.benchmark_group("check");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    for threads in [1, 2] {
        let policy = Arc::new(single_key());
        group.bench_with_input(
            BenchmarkId::new("single_key", threads),
            &threads,
            |b, &threads| {
                let policy = Arc::clone(&policy);
                let clock = CounterClock::new();
                let check: Arc<dyn Fn(u64) + Send + Sync> = Arc::new(move |_| {
                    let now = clock.now();
                    black_box(policy.check(&Request(b"-"), now, &mut ThreadDice));
                });
                b.iter_custom(|iters| run(threads, iters, Arc::clone(&check)));
            },
        );
        for count in [1, 10_000] {
            let policy = Arc::new(per_user());
            let keys = keys(count);
            let name = format!("keyed_{count}_keys");
            group.bench_with_input(BenchmarkId::new(name, threads), &threads, |b, &threads| {
                let (policy, keys) = (Arc::clone(&policy), Arc::clone(&keys));
                let clock = CounterClock::new();
                let check: Arc<dyn Fn(u64) + Send + Sync> = Arc::new(move |i| {
                    let key = &keys[(i as usize) % keys.len()];
                    let now = clock.now();
                    black_box(policy.check(&Request(key), now, &mut ThreadDice));
                });
                b.iter_custom(|iters| run(threads, iters, Arc::clone(&check)));
            });
        }
        let quota = governor::Quota::with_period(Duration::from_nanos(1))
            .unwrap()
            .allow_burst(NonZeroU32::new(2_000_000_000).unwrap());
        let limiter = Arc::new(governor::RateLimiter::direct(quota));
        group.bench_with_input(
            BenchmarkId::new("governor_direct", threads),
            &threads,
            |b, &threads| {
                let limiter = Arc::clone(&limiter);
                let check: Arc<dyn Fn(u64) + Send + Sync> = Arc::new(move |_| {
                    black_box(limiter.check().is_ok());
                });
                b.iter_custom(|iters| run(threads, iters, Arc::clone(&check)));
            },
        );
        let word = Arc::new(AtomicU64::new(0));
        group.bench_with_input(
            BenchmarkId::new("shared_fetch_add", threads),
            &threads,
            |b, &threads| {
                let word = Arc::clone(&word);
                let check: Arc<dyn Fn(u64) + Send + Sync> = Arc::new(move |_| {
                    black_box(word.fetch_add(1, Ordering::Relaxed));
                });
                b.iter_custom(|iters| run(threads, iters, Arc::clone(&check)));
            },
        );
    }
    group.finish();
}

fn pieces(c: &mut Criterion) {
    let mut group = c.benchmark_group("pieces");
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20);
    group.bench_function("monotonic_clock_now", |b| {
        b.iter(|| black_box(MonotonicClock.now()))
    });
    let counter = CounterClock::new();
    group.bench_function("counter_clock_now", |b| b.iter(|| black_box(counter.now())));
    group.bench_function("thread_dice_roll", |b| {
        b.iter(|| black_box(ThreadDice.roll()))
    });
    let quanta = governor::clock::QuantaClock::default();
    group.bench_function("quanta_clock_now", |b| {
        b.iter(|| black_box(governor::clock::Clock::now(&quanta)))
    });
    group.bench_function("std_instant_now", |b| b.iter(|| black_box(Instant::now())));
    group.finish();
}

criterion_group!(benches, policy_check, pieces);
criterion_main!(benches);
