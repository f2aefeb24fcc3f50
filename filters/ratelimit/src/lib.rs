//! kgateway-compatible local rate limiting: exact token buckets shared by all Envoy workers.
//!
//! Layers, inside out: [`bucket`] (the token bucket math, one lock-free word per bucket),
//! [`keyed`] (per-value buckets of a descriptor in bounded memory), [`registry`] (buckets by
//! identity, so config pushes keep them), [`policy`] (a compiled `rateLimit.local` attachment and
//! the per-request [`Decision`]), [`response`] (429 and headers), and [`filter`] (the Envoy HTTP
//! filter over the SDK). Everything below `filter` is host-agnostic and takes time from a
//! [`Clock`], so tests drive it with a [`ManualClock`] and never sleep.

pub mod bucket;
pub mod clock;
pub mod filter;
pub mod keyed;
pub mod policy;
pub mod registry;
pub mod request;
pub mod response;

pub use bucket::{BucketState, InvalidLimit, Limit, Take, TokenBucket};
pub use clock::{Clock, CounterClock, ManualClock, MonotonicClock, Nanos};
pub use filter::{FILTER_NAME, RateLimitConfig, RateLimitFactory, RateLimitFilter};
pub use policy::{CompileError, Decision, Quota, RateLimitPolicy};
pub use registry::BucketRegistry;
pub use request::{PercentDice, RequestFacts, ThreadDice};
