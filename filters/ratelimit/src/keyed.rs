//! Per-key buckets of one descriptor (a bucket per header value, client address or path), in
//! bounded memory.
//!
//! Keys live in shards, each a `RwLock` over a hash table with the 16-byte bucket state inline; a
//! key is hashed once, for both the shard and the slot. A known key costs a read lock and one
//! compare-and-swap; a new key takes the shard's write lock briefly.
//! Memory is bounded twice. Rested buckets (full for a whole interval) are dropped whenever a shard
//! doubles, which changes no decision since a new bucket starts the same way. And a shard never
//! holds more than its share of `max_keys`: when full, it drops rested keys and then the stalest
//! eighth of the busy ones, which forgets what those keys owed (they may get a burst early).
//!
//! The hash is foldhash with a random seed per descriptor: clients choosing header values cannot
//! predict slots or shards, and even a full collision costs at most one shard's capacity of key
//! comparisons, since a shard never grows past it.

use crate::bucket::{BucketState, Limit, Take};
use crate::clock::Nanos;
use hashbrown::{DefaultHashBuilder, HashTable};
use std::hash::BuildHasher;
use std::sync::{PoisonError, RwLock};

/// Shards per descriptor: enough that two workers rarely meet on one lock.
const SHARDS: usize = 64;

/// A shard is swept for rested keys at this size at the earliest.
const MIN_SWEEP: usize = 32;

/// Default bound on the keys of one descriptor (~10 MB of keys of 100 bytes at worst).
pub const DEFAULT_MAX_KEYS: usize = 65_536;

/// Buckets by key for one descriptor of one attachment, all with the same limit.
#[derive(Debug)]
pub struct KeyedBuckets {
    limit: Limit,
    hasher: DefaultHashBuilder,
    shard_capacity: usize,
    shards: Box<[Shard]>,
}

#[derive(Debug, Default)]
struct Shard {
    map: RwLock<ShardMap>,
}

#[derive(Debug, Default)]
struct ShardMap {
    buckets: HashTable<Slot>,
    /// Length at which the next sweep of rested buckets runs.
    sweep_at: usize,
}

#[derive(Debug)]
struct Slot {
    hash: u64,
    key: Box<[u8]>,
    bucket: BucketState,
}

impl KeyedBuckets {
    /// Buckets for `limit`, holding at most about `max_keys` keys (at least one per shard).
    pub fn new(limit: Limit, max_keys: usize) -> Self {
        Self {
            limit,
            hasher: DefaultHashBuilder::default(),
            shard_capacity: max_keys.div_ceil(SHARDS).max(1),
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
        }
    }

    /// The limit of every key.
    pub fn limit(&self) -> &Limit {
        &self.limit
    }

    /// Takes a token from the bucket of `key` (created full if unknown).
    pub fn take(&self, key: &[u8], now: Nanos) -> Take {
        let hash = self.hasher.hash_one(key);
        let shard = self.shard(hash);
        {
            // A poisoned lock only means another thread panicked mid-operation; the table is
            // still a valid table, so keep serving.
            let map = shard.map.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(slot) = map.find(hash, key) {
                return slot.bucket.take(&self.limit, now);
            }
        }
        let mut map = shard.map.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = map.find(hash, key) {
            return slot.bucket.take(&self.limit, now);
        }
        self.make_room(&mut map, now);
        let slot = Slot {
            hash,
            key: key.into(),
            bucket: BucketState::new(),
        };
        let take = slot.bucket.take(&self.limit, now);
        map.buckets.insert_unique(hash, slot, |slot| slot.hash);
        take
    }

    /// Returns a token taken from `key`'s bucket (no-op if the key was evicted meanwhile).
    pub fn refund(&self, key: &[u8], now: Nanos) {
        let hash = self.hasher.hash_one(key);
        let map = self
            .shard(hash)
            .map
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = map.find(hash, key) {
            slot.bucket.refund(&self.limit, now);
        }
    }

    /// Tokens available to `key` at `now`.
    pub fn available(&self, key: &[u8], now: Nanos) -> u32 {
        let hash = self.hasher.hash_one(key);
        let map = self
            .shard(hash)
            .map
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        map.find(hash, key).map_or(self.limit.max_tokens(), |slot| {
            slot.bucket.available(&self.limit, now)
        })
    }

    /// Keys currently held (all shards; for tests and stats).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| {
                shard
                    .map
                    .read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .buckets
                    .len()
            })
            .sum()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn shard(&self, hash: u64) -> &Shard {
        // Middle bits: the table itself uses the low bits (slot) and the top 7 (tags).
        &self.shards[((hash >> 32) as usize) % SHARDS]
    }

    /// Before inserting one key: sweep rested buckets when the shard doubled, and evict when full.
    fn make_room(&self, map: &mut ShardMap, now: Nanos) {
        let len = map.buckets.len();
        if len < map.sweep_at.max(MIN_SWEEP).min(self.shard_capacity) {
            return;
        }
        let limit = &self.limit;
        map.buckets
            .retain(|slot| !slot.bucket.is_rested(limit, now));
        if map.buckets.len() >= self.shard_capacity {
            self.evict_stalest(map);
        }
        map.sweep_at = map.buckets.len() * 2;
    }

    /// Drops the eighth of the shard whose fill schedules advanced longest ago.
    fn evict_stalest(&self, map: &mut ShardMap) {
        let age = |slot: &Slot| slot.bucket.last_anchor().unwrap_or(Nanos::ZERO);
        let mut anchors: Vec<Nanos> = map.buckets.iter().map(age).collect();
        let drop = (anchors.len() / 8).max(1).min(anchors.len());
        let (_, threshold, _) = anchors.select_nth_unstable(drop - 1);
        let threshold = *threshold;
        let mut dropped = 0;
        map.buckets.retain(|slot| {
            let evict = age(slot) <= threshold && dropped < drop;
            dropped += usize::from(evict);
            !evict
        });
    }
}

impl ShardMap {
    fn find(&self, hash: u64, key: &[u8]) -> Option<&Slot> {
        self.buckets.find(hash, |slot| *slot.key == *key)
    }
}

#[cfg(test)]
mod tests;
