//! `TrafficPolicy.spec.rateLimit`: local token buckets (typed) and global rate limiting (opaque for now).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `spec.rateLimit`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    /// Per-Envoy token bucket; an empty object disables an inherited local limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalRateLimitPolicy>,
    /// Rate limiting by an external service; kept opaque (not supported yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global: Option<serde_json::Value>,
}

/// `spec.rateLimit.local`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocalRateLimitPolicy {
    /// The bucket; absent means "disabled" (exempts a route from an inherited limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_bucket: Option<TokenBucket>,
    /// Percentage of requests the limiter looks at (0-100, default 100).
    #[schemars(range(max = 100))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent_enabled: Option<u32>,
    /// Percentage of limited requests actually rejected (0-100, default 100).
    #[schemars(range(max = 100))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent_enforced: Option<u32>,
    /// Per-descriptor buckets (newest kgateway); kept opaque (not supported yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub descriptors: Option<serde_json::Value>,
}

/// A token bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenBucket {
    /// Bucket size (>= 1).
    #[schemars(range(min = 1))]
    pub max_tokens: u32,
    /// Tokens added per fill (>= 1, default 1).
    #[schemars(range(min = 1))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_per_fill: Option<u32>,
    /// Fill period as a Go-style duration (`1s`, `500ms`, `1m30s`), at least 50ms.
    pub fill_interval: String,
}
