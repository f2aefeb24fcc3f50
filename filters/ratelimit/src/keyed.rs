//! Per-key buckets of one descriptor (a bucket per header value, client address or path), in
//! bounded memory.
//!
//! Keys live in one concurrent map (`scc::HashIndex`) pointing at their 16-byte bucket state. A
//! known key costs a hash, a lock-free lookup that writes no shared memory, and the bucket's
//! compare-and-swap: two workers checking different keys share no written cache line (short of
//! neighbouring slots), where a reader-writer lock's read side writes the lock word and bounces
//! it between them. A new key is inserted under the map's per-slot lock.
//!
//! Memory is bounded twice. Rested buckets (full for a whole interval) are dropped whenever the
//! map doubles, which changes no decision since a new bucket starts the same way. And the map
//! never holds much more than `max_keys`: when full, it drops rested keys and then the stalest
//! eighth of the busy ones, which forgets what those keys owed (they may get a burst early).
//!
//! Dropping races with lookups that found the bucket just before: a dropped bucket is first
//! *retired* (a state that gives no token), so such a lookup comes back to the map and the key
//! never has two live buckets. Retiring a rested bucket is one compare-and-swap with the check.
//!
//! The state sits behind an `Arc`, not inline in the map: the index relocates entries when it grows
//! while lock-free readers may still be using the old slot, so an inline atomic could exist twice for a
//! moment and admit one request per copy (the race test below caught exactly that).
//!
//! The hash is foldhash with a random seed per descriptor: clients choosing header values cannot
//! predict slots or aim collisions.

use crate::bucket::{BucketState, Limit, Take};
use crate::clock::Nanos;
use hashbrown::DefaultHashBuilder;
use scc::HashIndex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// The map is swept for rested keys at this size at the earliest.
const MIN_SWEEP: usize = 1024;

/// Default bound on the keys of one descriptor (~10 MB of keys of 100 bytes at worst).
pub const DEFAULT_MAX_KEYS: usize = 65_536;

/// Buckets by key for one descriptor of one attachment, all with the same limit.
#[derive(Debug)]
pub struct KeyedBuckets {
    limit: Limit,
    max_keys: usize,
    buckets: HashIndex<Box<[u8]>, Arc<BucketState>, DefaultHashBuilder>,
    /// Keys held, kept here because the map can only count them by a scan. Written on inserts
    /// and sweeps only, never on the lookup of a known key.
    held: AtomicUsize,
    /// Size at which the next sweep runs.
    sweep_at: AtomicUsize,
    /// One sweeper at a time; inserters wait for it when the map is at its bound.
    sweeping: Mutex<()>,
}

impl KeyedBuckets {
    /// Buckets for `limit`, holding at most about `max_keys` keys (at least one).
    pub fn new(limit: Limit, max_keys: usize) -> Self {
        let max_keys = max_keys.max(1);
        Self {
            limit,
            max_keys,
            buckets: HashIndex::with_hasher(DefaultHashBuilder::default()),
            held: AtomicUsize::new(0),
            sweep_at: AtomicUsize::new(MIN_SWEEP.min(max_keys)),
            sweeping: Mutex::new(()),
        }
    }

    /// The limit of every key.
    pub fn limit(&self) -> &Limit {
        &self.limit
    }

    /// Takes a token from the bucket of `key` (created full if unknown).
    pub fn take(&self, key: &[u8], now: Nanos) -> Take {
        loop {
            let found = self.buckets.peek_with(key, |_, bucket| {
                bucket.take_unless_retired(&self.limit, now)
            });
            match found {
                Some(Some(take)) => return take,
                // Retired by a sweep that has not removed it yet: remove it ourselves and retry.
                Some(None) => self.remove_retired(key),
                None => self.insert(key, now),
            }
        }
    }

    /// Returns a token taken from `key`'s bucket (no-op if the key was dropped meanwhile).
    pub fn refund(&self, key: &[u8], now: Nanos) {
        self.buckets
            .peek_with(key, |_, bucket| bucket.refund(&self.limit, now));
    }

    /// Tokens available to `key` at `now`.
    pub fn available(&self, key: &[u8], now: Nanos) -> u32 {
        self.buckets
            .peek_with(key, |_, bucket| bucket.available(&self.limit, now))
            .unwrap_or(self.limit.max_tokens())
    }

    /// Keys currently held (a scan; for tests and stats).
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// Adds a full bucket for `key` unless another thread just did.
    fn insert(&self, key: &[u8], now: Nanos) {
        self.make_room(now);
        // Counted before it is in the map, so a sweep that drops it at once cannot wrap the count.
        self.held.fetch_add(1, Ordering::Relaxed);
        if self
            .buckets
            .insert_sync(key.into(), Arc::new(BucketState::new()))
            .is_err()
        {
            self.held.fetch_sub(1, Ordering::Relaxed);
        }
    }

    fn remove_retired(&self, key: &[u8]) {
        if self
            .buckets
            .remove_if_sync(key, |bucket| bucket.is_retired())
        {
            self.held.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Before inserting one key: sweep rested buckets when the map doubled, and evict when full.
    fn make_room(&self, now: Nanos) {
        if self.held.load(Ordering::Relaxed) < self.sweep_at.load(Ordering::Relaxed) {
            return;
        }
        // A poisoned lock only means a sweeper panicked; the map is still a valid map.
        let _sweeping = self.sweeping.lock().unwrap_or_else(PoisonError::into_inner);
        if self.held.load(Ordering::Relaxed) < self.sweep_at.load(Ordering::Relaxed) {
            return; // Another thread swept while this one waited.
        }
        let limit = &self.limit;
        self.drop_where(|bucket| bucket.retire_if_rested(limit, now));
        if self.held.load(Ordering::Relaxed) >= self.max_keys {
            self.evict_stalest();
        }
        let held = self.held.load(Ordering::Relaxed);
        let next = held.saturating_mul(2).max(MIN_SWEEP).min(self.max_keys);
        self.sweep_at.store(next, Ordering::Relaxed);
    }

    /// Drops the eighth of the map whose fill schedules advanced longest ago.
    fn evict_stalest(&self) {
        let age = |bucket: &BucketState| bucket.last_anchor().unwrap_or(Nanos::ZERO);
        let mut anchors: Vec<Nanos> = Vec::new();
        self.buckets.iter_sync(|_, bucket| {
            anchors.push(age(bucket));
            true
        });
        if anchors.is_empty() {
            return;
        }
        let drop = (anchors.len() / 8).max(1);
        let (_, threshold, _) = anchors.select_nth_unstable(drop - 1);
        let threshold = *threshold;
        let mut dropped = 0;
        self.drop_where(|bucket| {
            let evict = dropped < drop && age(bucket) <= threshold;
            if evict {
                bucket.retire();
                dropped += 1;
            }
            evict
        });
    }

    /// Removes the buckets that `retire` retired (it must retire a bucket before saying so).
    fn drop_where(&self, mut retire: impl FnMut(&BucketState) -> bool) {
        let mut removed = 0;
        self.buckets.retain_sync(|_, bucket| {
            let gone = retire(bucket);
            removed += usize::from(gone);
            !gone
        });
        self.held.fetch_sub(removed, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests;
