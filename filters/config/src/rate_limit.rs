//! `TrafficPolicy.spec.rateLimit.local`: the config of the `rate_limit` filter.
//!
//! [`LocalRateLimitPolicy`] is kgateway's `rateLimit.local` object exactly as users write it
//! (`tokenBucket{maxTokens, tokensPerFill, fillInterval}`, `percentEnabled`, `percentEnforced`,
//! `descriptors[]`). The filter receives it wrapped in a [`RateLimitFilterConfig`], which adds what
//! only the controller knows: which policy attachment the buckets belong to, and whether the
//! `x-ratelimit-*` headers are sent. Everything is checked while parsing (values, ranges, the
//! duration grammar, `fillInterval >= 50ms`), so a config that parses is valid; errors name the key.

mod entry;
mod fields;

use serde::{Deserialize, Serialize};

pub use entry::{DescriptorEntry, DescriptorEntryType, GenericDescriptorEntry};
pub use fields::{FillInterval, MIN_FILL_INTERVAL};

/// The JSON of the `rate_limit` filter: listener `filter_config` (a default for requests without
/// per-route config; an empty config means none) and per-route `filter_config`.
///
/// ```json
/// {"attachment": "HTTPRoute/default/echo/rule-0",
///  "local": {"tokenBucket": {"maxTokens": 10, "tokensPerFill": 2, "fillInterval": "1s"}},
///  "xRateLimitHeaders": "DraftVersion03"}
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimitFilterConfig {
    /// Identity of the policy attachment that owns the buckets, chosen by the controller: unique
    /// per bucket scope (a Gateway-level policy: one id for every route under it; a route or rule
    /// policy: one id per route or rule) and stable across config pushes. Envoy configs carrying
    /// the same attachment and the same limits share one bucket, and keep it across pushes.
    pub attachment: String,
    /// The user's `rateLimit.local`; `{}` disables a limit inherited from a less specific level.
    pub local: LocalRateLimitPolicy,
    /// Whether allowed and limited responses carry `x-ratelimit-limit/remaining/reset`.
    #[serde(default, skip_serializing_if = "XRateLimitHeaders::is_off")]
    pub x_rate_limit_headers: XRateLimitHeaders,
}

/// `x-ratelimit-*` response headers (the names of kgateway's `xRateLimitHeaders` enum).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum XRateLimitHeaders {
    /// No `x-ratelimit-*` headers (`retry-after` is still sent with a 429).
    #[default]
    Off,
    /// `x-ratelimit-limit`, `x-ratelimit-remaining`, `x-ratelimit-reset` as in
    /// draft-polli-ratelimit-headers-03.
    DraftVersion03,
}

impl XRateLimitHeaders {
    fn is_off(&self) -> bool {
        *self == Self::Off
    }
}

/// `spec.rateLimit.local`. An empty object (`local: {}`) disables local rate limiting at its level.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocalRateLimitPolicy {
    /// The bucket every request of the attachment draws from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_bucket: Option<TokenBucket>,
    /// Percentage (0-100, default 100) of requests the limiter looks at; others pass uncounted.
    #[serde(
        default,
        deserialize_with = "fields::percent_enabled",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schemars(range(min = 0, max = 100)))]
    pub percent_enabled: Option<u32>,
    /// Percentage (0-100, default 100) of over-limit requests answered 429; the others are
    /// counted as not enforced and pass.
    #[serde(
        default,
        deserialize_with = "fields::percent_enforced",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schemars(range(min = 0, max = 100)))]
    pub percent_enforced: Option<u32>,
    /// Extra buckets for requests matching every entry of a descriptor, drawn from in addition
    /// to `tokenBucket`. Entries with request-derived values (header, remote address, path) give
    /// one bucket per distinct value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub descriptors: Vec<LocalRateLimitDescriptor>,
}

impl LocalRateLimitPolicy {
    /// True for `local: {}`, kgateway's way to switch off a limit inherited from a parent.
    pub fn is_disabled(&self) -> bool {
        self.token_bucket.is_none()
            && self.percent_enabled.is_none()
            && self.percent_enforced.is_none()
            && self.descriptors.is_empty()
    }

    /// `percentEnabled` with its default.
    pub fn percent_enabled(&self) -> u32 {
        self.percent_enabled.unwrap_or(100)
    }

    /// `percentEnforced` with its default.
    pub fn percent_enforced(&self) -> u32 {
        self.percent_enforced.unwrap_or(100)
    }
}

/// A token bucket: starts full with `maxTokens`; `tokensPerFill` tokens are added every
/// `fillInterval`, never beyond `maxTokens`; each request takes one token.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenBucket {
    /// Bucket size, the burst (1 to 2^31-1).
    #[serde(deserialize_with = "fields::max_tokens")]
    #[cfg_attr(feature = "schema", schemars(range(min = 1, max = 2147483647)))]
    pub max_tokens: u32,
    /// Tokens added per fill (1 to 2^31-1, default 1).
    #[serde(
        default,
        deserialize_with = "fields::tokens_per_fill",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schemars(range(min = 1, max = 2147483647)))]
    pub tokens_per_fill: Option<u32>,
    /// Time between fills, e.g. `1s`, `100ms`, `1m30s`; at least 50ms.
    pub fill_interval: FillInterval,
}

impl TokenBucket {
    /// `tokensPerFill` with its default.
    pub fn tokens_per_fill(&self) -> u32 {
        self.tokens_per_fill.unwrap_or(1)
    }
}

/// `descriptors[]`: a bucket for the requests whose descriptor matches every entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocalRateLimitDescriptor {
    /// What the request must carry (at least one entry).
    #[serde(deserialize_with = "fields::descriptor_entries")]
    pub entries: Vec<DescriptorEntry>,
    /// The limit for each matching request (per distinct value of the request-derived entries).
    pub token_bucket: TokenBucket,
}

/// The config could not be parsed, or parsed into something the filter cannot run.
#[derive(Debug, thiserror::Error)]
pub enum RateLimitConfigError {
    /// Bad JSON, an unknown key, or a value out of range (the message names the key).
    #[error("invalid rate_limit config: {0}")]
    Json(#[from] serde_json::Error),
    /// A rule spanning several keys was broken.
    #[error("invalid rate_limit config: {field}: {message}")]
    Invalid {
        /// Path of the offending field, as users spell it (e.g. `local.descriptors[1]`).
        field: String,
        /// What is wrong.
        message: String,
    },
}

impl RateLimitFilterConfig {
    /// Parses and checks the filter config JSON.
    pub fn from_json(json: &str) -> Result<Self, RateLimitConfigError> {
        let config: Self = serde_json::from_str(json)?;
        config.validate()?;
        Ok(config)
    }

    /// The canonical JSON the controller puts in the Envoy `filter_config`.
    pub fn to_json(&self) -> String {
        // Plain structs of strings, integers and vectors always serialise.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Checks the rules serde cannot express on one field: a non-empty attachment and
    /// descriptors that are distinct (two identical descriptors would be one bucket counted twice).
    pub fn validate(&self) -> Result<(), RateLimitConfigError> {
        if self.attachment.trim().is_empty() {
            return Err(invalid("attachment", "must not be empty"));
        }
        let descriptors = &self.local.descriptors;
        for (index, descriptor) in descriptors.iter().enumerate() {
            if descriptors[..index]
                .iter()
                .any(|earlier| earlier.entries == descriptor.entries)
            {
                return Err(invalid(
                    &format!("local.descriptors[{index}]"),
                    "duplicates the entries of an earlier descriptor",
                ));
            }
        }
        Ok(())
    }
}

fn invalid(field: &str, message: &str) -> RateLimitConfigError {
    RateLimitConfigError::Invalid {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests;
