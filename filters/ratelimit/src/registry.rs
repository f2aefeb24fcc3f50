//! The process-wide registry of buckets, so a config push that does not change a limit keeps its
//! bucket (a push must not refill every bucket) and a changed or removed limit frees it.
//!
//! A bucket's identity is the policy attachment, the descriptor it serves (none for the policy's
//! own `tokenBucket`) and its limit. Envoy parses the new config while the old one is still in
//! use, so looking up the identity finds the live bucket and shares it. The registry holds only
//! weak references: when the last config using a bucket is destroyed, the bucket is freed, and
//! the dead entries are swept whenever the registry doubles. Lookups happen at config load (main
//! thread), never per request.

use crate::bucket::{Limit, TokenBucket};
use crate::keyed::{DEFAULT_MAX_KEYS, KeyedBuckets};
use dynagate_config::rate_limit::DescriptorEntry;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError, Weak};

/// Who owns a bucket: an attachment, optionally one of its descriptors, and the limit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BucketIdentity {
    /// The policy attachment (`RateLimitFilterConfig::attachment`).
    pub attachment: String,
    /// The descriptor's entries, or `None` for the policy's own `tokenBucket`.
    pub descriptor: Option<Vec<DescriptorEntry>>,
    /// The limit: a changed limit is a new bucket.
    pub limit: Limit,
}

/// The buckets of one descriptor: a single bucket when every entry is constant, else one per key.
#[derive(Debug, Clone)]
pub enum DescriptorBuckets {
    /// Constant entries only.
    Single(Arc<TokenBucket>),
    /// At least one request-derived entry.
    Keyed(Arc<KeyedBuckets>),
}

#[derive(Debug)]
enum Entry {
    Single(Weak<TokenBucket>),
    Keyed(Weak<KeyedBuckets>),
}

impl Entry {
    fn is_live(&self) -> bool {
        match self {
            Self::Single(weak) => weak.strong_count() > 0,
            Self::Keyed(weak) => weak.strong_count() > 0,
        }
    }
}

/// Buckets by identity, shared by every config of the process.
#[derive(Debug)]
pub struct BucketRegistry {
    max_keys: usize,
    entries: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<BucketIdentity, Entry>,
    sweep_at: usize,
}

const MIN_SWEEP: usize = 16;

impl Default for BucketRegistry {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_KEYS)
    }
}

impl BucketRegistry {
    /// An empty registry whose keyed descriptors hold at most about `max_keys` keys each.
    pub fn new(max_keys: usize) -> Self {
        Self {
            max_keys,
            entries: Mutex::default(),
        }
    }

    /// The registry every config of this process shares.
    pub fn global() -> &'static Self {
        static GLOBAL: LazyLock<BucketRegistry> = LazyLock::new(BucketRegistry::default);
        &GLOBAL
    }

    /// The live bucket of `attachment`'s own `tokenBucket` with `limit`, or a new full one.
    pub fn policy_bucket(&self, attachment: &str, limit: Limit) -> Arc<TokenBucket> {
        let identity = BucketIdentity {
            attachment: attachment.to_owned(),
            descriptor: None,
            limit,
        };
        let mut entries = self.lock();
        if let Some(Entry::Single(weak)) = entries.map.get(&identity)
            && let Some(bucket) = weak.upgrade()
        {
            return bucket;
        }
        let bucket = Arc::new(TokenBucket::new(limit));
        entries.insert(identity, Entry::Single(Arc::downgrade(&bucket)));
        bucket
    }

    /// The live buckets of one descriptor of `attachment`, or new ones.
    pub fn descriptor_buckets(
        &self,
        attachment: &str,
        entries: &[DescriptorEntry],
        limit: Limit,
    ) -> DescriptorBuckets {
        let identity = BucketIdentity {
            attachment: attachment.to_owned(),
            descriptor: Some(entries.to_vec()),
            limit,
        };
        let keyed = entries.iter().any(DescriptorEntry::is_request_derived);
        let mut map = self.lock();
        match map.map.get(&identity) {
            Some(Entry::Single(weak)) if !keyed => {
                if let Some(bucket) = weak.upgrade() {
                    return DescriptorBuckets::Single(bucket);
                }
            }
            Some(Entry::Keyed(weak)) if keyed => {
                if let Some(buckets) = weak.upgrade() {
                    return DescriptorBuckets::Keyed(buckets);
                }
            }
            _ => {}
        }
        if keyed {
            let buckets = Arc::new(KeyedBuckets::new(limit, self.max_keys));
            map.insert(identity, Entry::Keyed(Arc::downgrade(&buckets)));
            DescriptorBuckets::Keyed(buckets)
        } else {
            let bucket = Arc::new(TokenBucket::new(limit));
            map.insert(identity, Entry::Single(Arc::downgrade(&bucket)));
            DescriptorBuckets::Single(bucket)
        }
    }

    /// Identities whose bucket is still used by some config.
    pub fn live(&self) -> usize {
        self.lock()
            .map
            .values()
            .filter(|entry| entry.is_live())
            .count()
    }

    /// Entries held, dead or alive (dead ones go at the next sweep).
    pub fn held(&self) -> usize {
        self.lock().map.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // The map stays consistent even if a holder panicked: keep using it.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Entries {
    fn insert(&mut self, identity: BucketIdentity, entry: Entry) {
        if self.map.len() >= self.sweep_at.max(MIN_SWEEP) {
            self.map.retain(|_, entry| entry.is_live());
            self.sweep_at = self.map.len() * 2;
        }
        self.map.insert(identity, entry);
    }
}

#[cfg(test)]
mod tests;
