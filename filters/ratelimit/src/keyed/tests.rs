use super::*;
use core::time::Duration;
use std::sync::Arc;

const SECOND: u64 = 1_000_000_000;

fn one_per_second(max: u32) -> Limit {
    Limit::new(max, 1, Duration::from_secs(1)).unwrap()
}

fn key(i: usize) -> Vec<u8> {
    format!("client-{i}").into_bytes()
}

#[test]
fn each_key_has_its_own_bucket() {
    let buckets = KeyedBuckets::new(one_per_second(2), DEFAULT_MAX_KEYS);
    let now = Nanos(5);
    for _ in 0..2 {
        assert!(buckets.take(b"alice", now).admitted());
    }
    assert!(!buckets.take(b"alice", now).admitted());
    assert!(buckets.take(b"bob", now).admitted());
    assert_eq!(buckets.available(b"alice", now), 0);
    assert_eq!(buckets.available(b"bob", now), 1);
    assert_eq!(buckets.available(b"carol", now), 2);
    assert_eq!(buckets.len(), 2);
}

#[test]
fn refund_returns_the_token_to_that_key() {
    let buckets = KeyedBuckets::new(one_per_second(1), DEFAULT_MAX_KEYS);
    assert!(buckets.take(b"alice", Nanos(0)).admitted());
    buckets.refund(b"alice", Nanos(0));
    assert!(buckets.take(b"alice", Nanos(0)).admitted());
    buckets.refund(b"unknown", Nanos(0));
    assert_eq!(buckets.len(), 1);
}

#[test]
fn rested_keys_are_swept_as_new_keys_arrive() {
    let buckets = KeyedBuckets::new(one_per_second(1), DEFAULT_MAX_KEYS);
    for i in 0..10_000 {
        assert!(buckets.take(&key(i), Nanos(0)).admitted());
    }
    assert_eq!(buckets.len(), 10_000);
    // Two seconds later all of them refilled and rested a whole interval; new keys push them out.
    let later = Nanos(2 * SECOND);
    for i in 10_000..20_000 {
        assert!(buckets.take(&key(i), later).admitted());
    }
    assert!(buckets.len() < 15_000, "{} keys kept", buckets.len());
    // The newest keys are still tracked: they owe their token.
    assert!(!buckets.take(&key(19_999), later).admitted());
}

#[test]
fn busy_keys_are_capped_and_the_stalest_go_first() {
    // 512 keys at most; keys stay busy for an hour, so only the cap frees memory.
    let slow = Limit::new(1, 1, Duration::from_secs(3600)).unwrap();
    let buckets = KeyedBuckets::new(slow, 64 * 8);
    for i in 0..4_000 {
        assert!(buckets.take(&key(i), Nanos(i as u64 * 1_000)).admitted());
    }
    assert!(buckets.len() <= 64 * 8, "{} keys", buckets.len());
    let now = Nanos(4_000 * 1_000);
    // The first keys were the stalest: forgotten, so they get a fresh bucket.
    assert!(buckets.take(&key(0), now).admitted());
    // The last key was just inserted: remembered, still empty.
    assert!(!buckets.take(&key(3_999), now).admitted());
}

#[test]
fn contended_keys_admit_exactly_their_tokens() {
    let buckets = Arc::new(KeyedBuckets::new(one_per_second(3), DEFAULT_MAX_KEYS));
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let buckets = Arc::clone(&buckets);
            std::thread::spawn(move || {
                let mut admitted = 0_u64;
                for round in 0..10 {
                    for i in 0..500 {
                        // Workers walk the keys in different orders to collide on inserts.
                        let k = (i * (worker + 1) + round) % 500;
                        admitted += u64::from(buckets.take(&key(k), Nanos(7)).admitted());
                    }
                }
                admitted
            })
        })
        .collect();
    let total: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(total, 500 * 3);
    assert_eq!(buckets.len(), 500);
}

#[test]
fn a_key_never_has_two_live_buckets_while_sweeps_drop_rested_ones() {
    // One token an hour per key. Every "hot" key is fresh (so rested, and fair game for a sweep)
    // until its first token; two workers race for it while a third floods new keys so that
    // sweeps run all along. Whoever wins, each hot key must admit exactly one request.
    let slow = Limit::new(1, 1, Duration::from_secs(3600)).unwrap();
    let buckets = Arc::new(KeyedBuckets::new(slow, 4_096));
    let now = Nanos(SECOND);
    let hot = |i: usize| format!("hot-{i}").into_bytes();
    let workers: Vec<_> = (0..2)
        .map(|worker| {
            let buckets = Arc::clone(&buckets);
            std::thread::spawn(move || {
                let mut admitted = vec![0_u32; 2_000];
                for _ in 0..3 {
                    for i in 0..2_000 {
                        let i = if worker == 0 { i } else { 1_999 - i };
                        admitted[i] += u32::from(buckets.take(&hot(i), now).admitted());
                    }
                }
                admitted
            })
        })
        .collect();
    let flood = {
        let buckets = Arc::clone(&buckets);
        std::thread::spawn(move || {
            for i in 0..50_000 {
                // Refunded at once, so these keys rest and every sweep has work to do.
                let key = key(i);
                if buckets.take(&key, now).admitted() {
                    buckets.refund(&key, now);
                }
            }
        })
    };
    flood.join().unwrap();
    let per_key: Vec<Vec<u32>> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    for (i, (first, second)) in per_key[0].iter().zip(&per_key[1]).enumerate() {
        assert_eq!(first + second, 1, "hot-{i}");
    }
    assert!(buckets.len() <= 4_096 + 8, "{} keys", buckets.len());
}
