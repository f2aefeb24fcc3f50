//! The token bucket: kgateway's discrete refill, exact, lock-free, shared by every worker thread.
//!
//! Semantics (Envoy's `token_bucket`): a bucket starts full with `max_tokens`; every
//! `fill_interval` it gains `tokens_per_fill` tokens, never beyond `max_tokens`; a request takes one
//! token or is denied.
//!
//! Fill schedule: it starts when a *rested* bucket (new, or full for at least one whole interval)
//! gives its first token, and then keeps its phase: fills land at `start + k * fill_interval`, even
//! when a fill tops the bucket up and the next request comes a little later. Hence, over the busy
//! period that began at `start`, the requests admitted within `elapsed` are at most
//! `max_tokens + floor(elapsed / fill_interval) * tokens_per_fill`, and exactly that many under
//! steady overload, with no drift whatever the arrival pattern. (Envoy anchors the schedule at
//! config load, so a first burst can straddle a fill and get one fill early. No discrete bucket can
//! meet the bound for *every* window and also never fall short: a window opening while the bucket
//! sits full just before a fill sees that fill too; restarting the schedule there instead would
//! make steady traffic drift behind the formula.)
//!
//! State is one 128-bit word: `anchor` (the current schedule's last fill time, or when the bucket
//! became full) and `debt` (tokens taken and not yet refilled). A check is a load, arithmetic and
//! one compare-and-swap; a denial does not write at all.

use crate::clock::Nanos;
use core::time::Duration;
use portable_atomic::{AtomicU128, Ordering};

/// The parameters of a bucket, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limit {
    max_tokens: u32,
    tokens_per_fill: u32,
    fill_interval: u64,
}

/// A limit with a zero size, fill, or interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a token bucket needs max_tokens >= 1, tokens_per_fill >= 1 and a fill interval > 0")]
pub struct InvalidLimit;

impl Limit {
    /// A limit of `max_tokens` burst, `tokens_per_fill` added every `fill_interval`.
    pub fn new(
        max_tokens: u32,
        tokens_per_fill: u32,
        fill_interval: Duration,
    ) -> Result<Self, InvalidLimit> {
        let fill_interval = Nanos::from_duration(fill_interval).0;
        if max_tokens == 0 || tokens_per_fill == 0 || fill_interval == 0 {
            return Err(InvalidLimit);
        }
        Ok(Self {
            max_tokens,
            tokens_per_fill,
            fill_interval,
        })
    }

    /// The limit of a kgateway `tokenBucket` (already validated by the config parser).
    pub fn from_config(
        bucket: &dynagate_config::rate_limit::TokenBucket,
    ) -> Result<Self, InvalidLimit> {
        Self::new(
            bucket.max_tokens,
            bucket.tokens_per_fill(),
            bucket.fill_interval.duration(),
        )
    }

    /// Bucket size (the burst).
    pub fn max_tokens(&self) -> u32 {
        self.max_tokens
    }

    /// Tokens added per fill.
    pub fn tokens_per_fill(&self) -> u32 {
        self.tokens_per_fill
    }

    /// Time between fills.
    pub fn fill_interval(&self) -> Duration {
        Duration::from_nanos(self.fill_interval)
    }

    /// The most requests admitted within `elapsed` of the start of a busy period, and the exact
    /// count under steady overload: `max_tokens + floor(elapsed / fill_interval) * tokens_per_fill`,
    /// where a fill counts at most `max_tokens` (the bucket never holds more).
    pub fn admits_within(&self, elapsed: Duration) -> u64 {
        let fills = Nanos::from_duration(elapsed).0 / self.fill_interval;
        let per_fill = self.tokens_per_fill.min(self.max_tokens);
        u64::from(self.max_tokens).saturating_add(fills.saturating_mul(u64::from(per_fill)))
    }
}

/// What taking a token gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// A token was taken.
    Admitted {
        /// Tokens left after this one.
        remaining: u32,
        /// When the next fill lands.
        next_fill: Nanos,
    },
    /// The bucket was empty.
    Denied {
        /// When the next fill lands (the earliest moment a retry can succeed).
        next_fill: Nanos,
    },
}

impl Take {
    /// Whether the request got a token.
    pub fn admitted(&self) -> bool {
        matches!(self, Self::Admitted { .. })
    }
}

/// The mutable part of a bucket (16 bytes): shared by all threads, parameters kept elsewhere so a
/// map of per-key buckets stores only this.
#[derive(Debug)]
pub struct BucketState(AtomicU128);

impl Default for BucketState {
    fn default() -> Self {
        Self::new()
    }
}

/// `anchor` of a rested bucket: full, no fill schedule.
const RESTED: u64 = u64::MAX;

/// The state as numbers. `debt == 0` is a full bucket, full since `anchor` (or `RESTED`); otherwise
/// fills are due at `anchor + k * fill_interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Word {
    anchor: u64,
    debt: u64,
}

impl Word {
    const FRESH: Self = Self {
        anchor: RESTED,
        debt: 0,
    };

    /// A bucket taken out of a keyed map: it gives no token and takes no refund, so a thread that
    /// found it just before it left cannot take a token the key's next bucket never hears of.
    /// (No live bucket has a debt beyond `u32::MAX`.)
    const RETIRED: Self = Self {
        anchor: RESTED,
        debt: u64::MAX,
    };

    fn unpack(word: u128) -> Self {
        Self {
            anchor: (word >> 64) as u64,
            debt: word as u64,
        }
    }

    fn pack(self) -> u128 {
        (u128::from(self.anchor) << 64) | u128::from(self.debt)
    }

    /// Credits the fills due by `now`: afterwards either the bucket is full (`debt == 0`, `anchor`
    /// = the fill that topped it up) or `anchor <= now < anchor + fill_interval`.
    fn settle(self, limit: &Limit, now: u64) -> Self {
        if self.debt == 0 {
            return self;
        }
        // A thread whose clock read is older than the anchor another thread wrote sees no fill.
        let elapsed = now.saturating_sub(self.anchor);
        if elapsed < limit.fill_interval {
            // The usual case under load (many checks per interval): no fill due, no division.
            return self;
        }
        let fills = elapsed / limit.fill_interval;
        let per_fill = u64::from(limit.tokens_per_fill);
        let fills_to_full = self.debt.div_ceil(per_fill);
        if fills >= fills_to_full {
            // Full since that fill (which is <= now, so no overflow).
            return Self {
                anchor: self.anchor + fills_to_full * limit.fill_interval,
                debt: 0,
            };
        }
        // Here fills * per_fill < debt <= max_tokens, so nothing overflows.
        Self {
            anchor: self.anchor + fills * limit.fill_interval,
            debt: self.debt - fills * per_fill,
        }
    }

    /// Whether this settled state is full and has been for a whole interval at `now`.
    fn is_rested(self, limit: &Limit, now: u64) -> bool {
        self.debt == 0
            && (self.anchor == RESTED || now >= self.anchor.saturating_add(limit.fill_interval))
    }

    /// The state after taking one token at `now` from this settled, non-empty state.
    fn taken(self, limit: &Limit, now: u64) -> Self {
        if self.debt > 0 {
            return Self {
                anchor: self.anchor,
                debt: self.debt + 1,
            };
        }
        // A full bucket keeps its schedule's phase unless it rested a whole interval.
        let keeps_phase =
            self.anchor != RESTED && now < self.anchor.saturating_add(limit.fill_interval);
        Self {
            anchor: if keeps_phase { self.anchor } else { now },
            debt: 1,
        }
    }
}

impl BucketState {
    /// A full, rested bucket.
    pub fn new() -> Self {
        Self(AtomicU128::new(Word::FRESH.pack()))
    }

    /// Takes one token at `now` if there is one (a retired bucket has none).
    pub fn take(&self, limit: &Limit, now: Nanos) -> Take {
        self.take_unless_retired(limit, now)
            .unwrap_or(Take::Denied { next_fill: now })
    }

    /// Takes one token at `now` if there is one; `None` if the bucket was retired.
    pub fn take_unless_retired(&self, limit: &Limit, now: Nanos) -> Option<Take> {
        let max = u64::from(limit.max_tokens);
        let mut current = self.0.load(Ordering::Relaxed);
        loop {
            let word = Word::unpack(current);
            if word == Word::RETIRED {
                return None;
            }
            let settled = word.settle(limit, now.0);
            if settled.debt >= max {
                return Some(Take::Denied {
                    next_fill: Nanos(settled.anchor.saturating_add(limit.fill_interval)),
                });
            }
            let next = settled.taken(limit, now.0);
            match self.0.compare_exchange_weak(
                current,
                next.pack(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    return Some(Take::Admitted {
                        // debt <= max <= u32::MAX here.
                        remaining: u32::try_from(max - next.debt).unwrap_or(0),
                        next_fill: Nanos(next.anchor.saturating_add(limit.fill_interval)),
                    });
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// Gives back a token taken for a request that another bucket then denied, so a request that
    /// is not admitted costs nothing. A bucket refunded back to full rests (its schedule restarts
    /// at the next token, which can only delay fills).
    pub fn refund(&self, limit: &Limit, now: Nanos) {
        let mut current = self.0.load(Ordering::Relaxed);
        loop {
            let word = Word::unpack(current);
            if word == Word::RETIRED {
                return;
            }
            let settled = word.settle(limit, now.0);
            if settled.debt == 0 {
                return;
            }
            let next = if settled.debt == 1 {
                Word::FRESH
            } else {
                Word {
                    anchor: settled.anchor,
                    debt: settled.debt - 1,
                }
            };
            match self.0.compare_exchange_weak(
                current,
                next.pack(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// Tokens available at `now` (for reports and tests; racy by nature). A retired bucket reports
    /// what its successor would: full.
    pub fn available(&self, limit: &Limit, now: Nanos) -> u32 {
        let word = Word::unpack(self.0.load(Ordering::Relaxed));
        if word == Word::RETIRED {
            return limit.max_tokens;
        }
        let settled = word.settle(limit, now.0);
        u32::try_from(u64::from(limit.max_tokens).saturating_sub(settled.debt)).unwrap_or(0)
    }

    /// Whether the bucket has rested (full for a whole interval) at `now`: such a bucket can be
    /// forgotten and recreated without changing any decision.
    pub fn is_rested(&self, limit: &Limit, now: Nanos) -> bool {
        let word = Word::unpack(self.0.load(Ordering::Relaxed));
        word != Word::RETIRED && word.settle(limit, now.0).is_rested(limit, now.0)
    }

    /// Whether the bucket was retired (see [`BucketState::retire`]).
    pub fn is_retired(&self) -> bool {
        Word::unpack(self.0.load(Ordering::Relaxed)) == Word::RETIRED
    }

    /// Retires the bucket if it has rested at `now`, atomically with that check, so no token is
    /// taken between the two. True if the bucket is retired afterwards.
    pub fn retire_if_rested(&self, limit: &Limit, now: Nanos) -> bool {
        let mut current = self.0.load(Ordering::Relaxed);
        loop {
            let word = Word::unpack(current);
            if word == Word::RETIRED {
                return true;
            }
            if !word.settle(limit, now.0).is_rested(limit, now.0) {
                return false;
            }
            match self.0.compare_exchange_weak(
                current,
                Word::RETIRED.pack(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
    }

    /// Retires the bucket whatever it owes: from now on it gives no token and takes no refund.
    /// A keyed map does this before dropping a bucket, so a thread that still holds it goes back
    /// to the map instead of taking a token nobody will remember.
    pub fn retire(&self) {
        self.0.store(Word::RETIRED.pack(), Ordering::Relaxed);
    }

    /// When the current fill schedule last advanced (`None` for a rested or retired bucket);
    /// eviction drops the stalest buckets first when it must drop busy ones.
    pub fn last_anchor(&self) -> Option<Nanos> {
        let word = Word::unpack(self.0.load(Ordering::Relaxed));
        (word.anchor != RESTED).then_some(Nanos(word.anchor))
    }
}

/// A bucket with its limit: what one policy attachment owns.
#[derive(Debug)]
pub struct TokenBucket {
    limit: Limit,
    state: BucketState,
}

impl TokenBucket {
    /// A full bucket for `limit`.
    pub fn new(limit: Limit) -> Self {
        Self {
            limit,
            state: BucketState::new(),
        }
    }

    /// The parameters.
    pub fn limit(&self) -> &Limit {
        &self.limit
    }

    /// Takes one token at `now` if there is one.
    pub fn take(&self, now: Nanos) -> Take {
        self.state.take(&self.limit, now)
    }

    /// Returns a token taken at or before `now`.
    pub fn refund(&self, now: Nanos) {
        self.state.refund(&self.limit, now);
    }

    /// Tokens available at `now`.
    pub fn available(&self, now: Nanos) -> u32 {
        self.state.available(&self.limit, now)
    }
}

#[cfg(test)]
mod tests;
