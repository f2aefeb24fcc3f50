//! A compiled `rateLimit.local` attachment and the per-request decision.
//!
//! Compiling (config load) resolves every bucket through the registry. Checking a request takes
//! one token from each bucket that applies (the descriptors that match, then the policy's own
//! `tokenBucket`); if one is empty the tokens already taken are given back, so a request that is
//! not admitted costs the other buckets nothing. The tightest bucket is what the response reports.

use crate::bucket::{InvalidLimit, Limit, Take, TokenBucket};
use crate::clock::Nanos;
use crate::registry::{BucketRegistry, DescriptorBuckets};
use crate::request::{PercentDice, RequestFacts};
use dynagate_config::rate_limit::{DescriptorEntry, RateLimitFilterConfig, XRateLimitHeaders};
use std::sync::Arc;

/// Most descriptors per policy (a refund pass tracks them in one 64-bit mask).
pub const MAX_DESCRIPTORS: usize = 64;

/// Why a config cannot be compiled.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// More descriptors than the limiter tracks.
    #[error("local.descriptors: at most {MAX_DESCRIPTORS} descriptors are supported, got {0}")]
    TooManyDescriptors(usize),
    /// A limit with a zero field (the config parser rejects these already).
    #[error("{0}")]
    Limit(#[from] InvalidLimit),
}

/// One attachment's compiled limits. Cheap to share (`Arc` inside); immutable after load.
#[derive(Debug, Clone)]
pub struct RateLimitPolicy {
    attachment: Arc<str>,
    headers: XRateLimitHeaders,
    limits: Option<Arc<Limits>>,
}

#[derive(Debug)]
struct Limits {
    bucket: Option<Arc<TokenBucket>>,
    descriptors: Vec<Descriptor>,
    percent_enabled: u32,
    percent_enforced: u32,
}

#[derive(Debug)]
struct Descriptor {
    /// The request-derived entries, in order (constant entries always match).
    sources: Vec<Source>,
    buckets: DescriptorBuckets,
}

#[derive(Debug)]
enum Source {
    Header(String),
    RemoteAddress,
    Path,
}

/// What the response reports: the tightest bucket the request touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// That bucket's `maxTokens`.
    pub limit: u32,
    /// Tokens left in it.
    pub remaining: u32,
    /// When its next fill lands.
    pub next_fill: Nanos,
}

/// The verdict on one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Not rate limited here: `local: {}`, no bucket applies, or outside `percentEnabled`.
    Skipped,
    /// Every bucket that applies gave a token.
    Allowed(Quota),
    /// A bucket was empty. `enforced: false` (outside `percentEnforced`): counted, let through.
    Limited {
        /// The empty bucket.
        quota: Quota,
        /// Whether to answer 429.
        enforced: bool,
    },
}

impl RateLimitPolicy {
    /// Compiles `config`, sharing live buckets of the same identity from `registry`.
    pub fn compile(
        config: &RateLimitFilterConfig,
        registry: &BucketRegistry,
    ) -> Result<Self, CompileError> {
        let local = &config.local;
        let attachment: Arc<str> = config.attachment.as_str().into();
        let limits = if local.is_disabled() {
            None
        } else {
            if local.descriptors.len() > MAX_DESCRIPTORS {
                return Err(CompileError::TooManyDescriptors(local.descriptors.len()));
            }
            let bucket = match &local.token_bucket {
                Some(bucket) => {
                    Some(registry.policy_bucket(&attachment, Limit::from_config(bucket)?))
                }
                None => None,
            };
            let descriptors = local
                .descriptors
                .iter()
                .map(|descriptor| {
                    let limit = Limit::from_config(&descriptor.token_bucket)?;
                    Ok(Descriptor {
                        sources: descriptor.entries.iter().filter_map(source).collect(),
                        buckets: registry.descriptor_buckets(
                            &attachment,
                            &descriptor.entries,
                            limit,
                        ),
                    })
                })
                .collect::<Result<Vec<_>, CompileError>>()?;
            Some(Arc::new(Limits {
                bucket,
                descriptors,
                percent_enabled: local.percent_enabled(),
                percent_enforced: local.percent_enforced(),
            }))
        };
        Ok(Self {
            attachment,
            headers: config.x_rate_limit_headers,
            limits,
        })
    }

    /// The attachment the buckets belong to.
    pub fn attachment(&self) -> &str {
        &self.attachment
    }

    /// Whether responses carry `x-ratelimit-*` headers.
    pub fn sends_rate_limit_headers(&self) -> bool {
        self.headers == XRateLimitHeaders::DraftVersion03
    }

    /// Whether this is `local: {}` (or limits nothing).
    pub fn is_disabled(&self) -> bool {
        self.limits
            .as_ref()
            .is_none_or(|limits| limits.bucket.is_none() && limits.descriptors.is_empty())
    }

    /// Decides on one request at `now`.
    pub fn check<R, D>(&self, request: &R, now: Nanos, dice: &mut D) -> Decision
    where
        R: RequestFacts + ?Sized,
        D: PercentDice + ?Sized,
    {
        let Some(limits) = &self.limits else {
            return Decision::Skipped;
        };
        if !dice.chance(limits.percent_enabled) {
            return Decision::Skipped;
        }
        let mut scratch = Vec::new();
        let mut taken = 0_u64;
        let mut tightest: Option<Quota> = None;
        for (index, descriptor) in limits.descriptors.iter().enumerate() {
            let Some(key) = descriptor.key(request, &mut scratch) else {
                continue;
            };
            match descriptor.take(key, now) {
                Ok(quota) => {
                    taken |= 1 << index;
                    tightest = tighter(tightest, quota);
                }
                Err(empty) => {
                    limits.refund(request, taken, now);
                    return limits.limited(empty, dice);
                }
            }
        }
        if let Some(bucket) = &limits.bucket {
            match quota(bucket.take(now), bucket.limit()) {
                Ok(quota) => tightest = tighter(tightest, quota),
                Err(empty) => {
                    limits.refund(request, taken, now);
                    return limits.limited(empty, dice);
                }
            }
        }
        tightest.map_or(Decision::Skipped, Decision::Allowed)
    }
}

impl Limits {
    fn limited<D: PercentDice + ?Sized>(&self, quota: Quota, dice: &mut D) -> Decision {
        Decision::Limited {
            quota,
            enforced: dice.chance(self.percent_enforced),
        }
    }

    /// Gives back the tokens of the descriptors in `taken`.
    fn refund<R: RequestFacts + ?Sized>(&self, request: &R, taken: u64, now: Nanos) {
        let mut scratch = Vec::new();
        for (index, descriptor) in self.descriptors.iter().enumerate() {
            if taken & (1 << index) == 0 {
                continue;
            }
            match (&descriptor.buckets, descriptor.key(request, &mut scratch)) {
                (DescriptorBuckets::Single(bucket), _) => bucket.refund(now),
                (DescriptorBuckets::Keyed(buckets), Some(key)) => buckets.refund(key, now),
                (DescriptorBuckets::Keyed(_), None) => {}
            }
        }
    }
}

impl Descriptor {
    /// The bucket key of `request`, or `None` if an entry's value is missing. One request-derived
    /// entry borrows its value; several are joined into `scratch`.
    fn key<'r, R: RequestFacts + ?Sized>(
        &self,
        request: &'r R,
        scratch: &'r mut Vec<u8>,
    ) -> Option<&'r [u8]> {
        let value = |source: &Source| match source {
            Source::Header(name) => request.header(name),
            Source::RemoteAddress => request.remote_address(),
            Source::Path => request.path(),
        };
        match self.sources.as_slice() {
            [] => Some(&[]),
            [only] => value(only),
            sources => {
                scratch.clear();
                for source in sources {
                    let value = value(source)?;
                    // Length-prefixed, so ("ab", "c") and ("a", "bc") are different keys.
                    scratch.extend_from_slice(&(value.len() as u64).to_le_bytes());
                    scratch.extend_from_slice(value);
                }
                Some(scratch)
            }
        }
    }

    fn take(&self, key: &[u8], now: Nanos) -> Result<Quota, Quota> {
        match &self.buckets {
            DescriptorBuckets::Single(bucket) => quota(bucket.take(now), bucket.limit()),
            DescriptorBuckets::Keyed(buckets) => quota(buckets.take(key, now), buckets.limit()),
        }
    }
}

/// The quota a take reports: `Ok` if admitted, `Err` (nothing remaining) if the bucket was empty.
fn quota(take: Take, limit: &Limit) -> Result<Quota, Quota> {
    match take {
        Take::Admitted {
            remaining,
            next_fill,
        } => Ok(Quota {
            limit: limit.max_tokens(),
            remaining,
            next_fill,
        }),
        Take::Denied { next_fill } => Err(Quota {
            limit: limit.max_tokens(),
            remaining: 0,
            next_fill,
        }),
    }
}

fn source(entry: &DescriptorEntry) -> Option<Source> {
    match entry {
        DescriptorEntry::Generic(_) => None,
        DescriptorEntry::Header(name) => Some(Source::Header(name.clone())),
        DescriptorEntry::RemoteAddress => Some(Source::RemoteAddress),
        DescriptorEntry::Path => Some(Source::Path),
    }
}

/// The quota with fewer tokens left (the first on ties).
fn tighter(current: Option<Quota>, candidate: Quota) -> Option<Quota> {
    match current {
        Some(current) if current.remaining <= candidate.remaining => Some(current),
        _ => Some(candidate),
    }
}

#[cfg(test)]
mod tests;
