//! The `rate_limit` HTTP filter: decides in the request headers, answers 429 itself, counts in
//! Envoy stats, and adds the `x-ratelimit-*` headers to responses when the policy asks for them.
//!
//! Envoy config: the listener's filter carries an empty config (or a default
//! `RateLimitFilterConfig` for requests whose route has none); each route, virtual host or route
//! configuration with a policy carries its `RateLimitFilterConfig` as per-route config, and Envoy
//! hands the filter the most specific one. `local: {}` there switches an inherited limit off.

use crate::clock::{Clock, CounterClock, Nanos};
use crate::policy::{Decision, Quota, RateLimitPolicy};
use crate::registry::BucketRegistry;
use crate::request::{RequestFacts, ThreadDice, address_without_port};
use crate::response::{
    LIMITED_BODY, LIMITED_DETAILS, RETRY_AFTER_HEADER, TOO_MANY_REQUESTS, rate_limit_headers,
    retry_after,
};
use dynagate_config::rate_limit::RateLimitFilterConfig;
use dynagate_sdk::{
    AttributeId, ConfigContext, ConfigError, Counter, HeaderMap, HeadersStatus, HttpFilter,
    HttpFilterConfig, HttpFilterFactory, HttpHost, RouteConfig,
};
use std::sync::Arc;

/// The name the module registers the filter under (`filter_name`, `per_route_config_name`).
pub const FILTER_NAME: &str = "rate_limit";
/// Requests a bucket admitted.
pub const ALLOWED_COUNTER: &str = "local_rate_limit.allowed";
/// Requests answered 429.
pub const LIMITED_COUNTER: &str = "local_rate_limit.limited";
/// Over-limit requests let through by `percentEnforced`.
pub const NOT_ENFORCED_COUNTER: &str = "local_rate_limit.not_enforced";

/// Parses configs and resolves their buckets in the module-wide registry.
pub struct RateLimitFactory {
    registry: BucketRegistry,
    clock: Arc<dyn Clock>,
}

impl Default for RateLimitFactory {
    fn default() -> Self {
        Self::new()
    }
}

impl RateLimitFactory {
    /// A factory on the process's counter clock (calibrated here, at load, not on a request).
    /// The module creates one, once: its registry is what lets buckets survive config pushes.
    pub fn new() -> Self {
        Self::with_clock(BucketRegistry::default(), Arc::new(CounterClock::new()))
    }

    /// A factory with its own registry and clock (tests, simulations).
    pub fn with_clock(registry: BucketRegistry, clock: Arc<dyn Clock>) -> Self {
        Self { registry, clock }
    }

    /// Parses and compiles one `RateLimitFilterConfig`.
    pub fn compile(&self, json: &str) -> Result<RateLimitPolicy, ConfigError> {
        let config = RateLimitFilterConfig::from_json(json)
            .map_err(|error| ConfigError::invalid(error.to_string()))?;
        RateLimitPolicy::compile(&config, &self.registry)
            .map_err(|error| ConfigError::invalid(error.to_string()))
    }
}

impl HttpFilterFactory for RateLimitFactory {
    type Config = RateLimitConfig;

    fn new_config(
        &self,
        config: &str,
        ctx: &mut dyn ConfigContext,
    ) -> Result<RateLimitConfig, ConfigError> {
        let default = if is_empty_config(config) {
            None
        } else {
            Some(self.compile(config)?)
        };
        let counters = Counters {
            allowed: ctx.define_counter(ALLOWED_COUNTER, &[])?,
            limited: ctx.define_counter(LIMITED_COUNTER, &[])?,
            not_enforced: ctx.define_counter(NOT_ENFORCED_COUNTER, &[])?,
        };
        Ok(RateLimitConfig {
            shared: Arc::new(Shared {
                default,
                counters,
                clock: Arc::clone(&self.clock),
            }),
        })
    }

    fn new_route_config(&self, config: &str) -> Result<RouteConfig, ConfigError> {
        Ok(RouteConfig::new(self.compile(config)?))
    }
}

/// An absent listener config, `{}` or `null`: no default limit.
fn is_empty_config(config: &str) -> bool {
    let compact: String = config.split_whitespace().collect();
    matches!(compact.as_str(), "" | "{}" | "null")
}

/// The listener-level config: counters, clock, optional default policy.
pub struct RateLimitConfig {
    shared: Arc<Shared>,
}

struct Shared {
    default: Option<RateLimitPolicy>,
    counters: Counters,
    clock: Arc<dyn Clock>,
}

#[derive(Clone, Copy)]
struct Counters {
    allowed: Counter,
    limited: Counter,
    not_enforced: Counter,
}

impl HttpFilterConfig for RateLimitConfig {
    type Filter = RateLimitFilter;

    fn new_filter(&self) -> RateLimitFilter {
        RateLimitFilter {
            shared: Arc::clone(&self.shared),
            report: None,
        }
    }
}

/// One stream: the decision, and the quota to report in the response headers.
pub struct RateLimitFilter {
    shared: Arc<Shared>,
    report: Option<Quota>,
}

/// Descriptor values read from the stream.
struct HostRequest<'h>(&'h dyn HttpHost);

impl RequestFacts for HostRequest<'_> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.0.request_header(name)
    }

    fn path(&self) -> Option<&[u8]> {
        self.0.request_header(":path")
    }

    fn remote_address(&self) -> Option<&[u8]> {
        self.0
            .attribute_string(AttributeId::SOURCE_ADDRESS)
            .map(address_without_port)
    }
}

fn count(host: &mut dyn HttpHost, counter: Counter) {
    // A stats failure must not change the answer; there is nothing better to do with it.
    let _ = host.increment_counter(counter, &[], 1);
}

/// Answers 429 with `retry-after` (and the `x-ratelimit-*` headers when enabled).
fn reject(host: &mut dyn HttpHost, quota: &Quota, headers: bool, now: Nanos) {
    let retry = retry_after(quota, now);
    let quota_headers = rate_limit_headers(quota, now);
    let mut all: [(&str, &[u8]); 4] = [(RETRY_AFTER_HEADER, retry.as_bytes()); 4];
    let mut len = 1;
    if headers {
        for (slot, (name, value)) in all[1..].iter_mut().zip(&quota_headers) {
            *slot = (name, value.as_bytes());
        }
        len = all.len();
    }
    host.send_response(
        TOO_MANY_REQUESTS,
        &all[..len],
        LIMITED_BODY,
        Some(LIMITED_DETAILS),
    );
}

impl HttpFilter for RateLimitFilter {
    fn on_request_headers(
        &mut self,
        host: &mut dyn HttpHost,
        _end_of_stream: bool,
    ) -> HeadersStatus {
        // Borrowed, not cloned: a per-request reference count would bounce between workers.
        let shared: &Shared = &self.shared;
        let (decision, headers, now) = {
            let view: &dyn HttpHost = host;
            let Some(policy) = view
                .route_config::<RateLimitPolicy>()
                .or(shared.default.as_ref())
            else {
                return HeadersStatus::Continue;
            };
            let now = shared.clock.now();
            let decision = policy.check(&HostRequest(view), now, &mut ThreadDice);
            (decision, policy.sends_rate_limit_headers(), now)
        };
        match decision {
            Decision::Skipped => HeadersStatus::Continue,
            Decision::Allowed(quota) => {
                count(host, shared.counters.allowed);
                self.report = headers.then_some(quota);
                HeadersStatus::Continue
            }
            Decision::Limited {
                quota,
                enforced: false,
            } => {
                count(host, shared.counters.not_enforced);
                self.report = headers.then_some(quota);
                HeadersStatus::Continue
            }
            Decision::Limited {
                quota,
                enforced: true,
            } => {
                count(host, shared.counters.limited);
                reject(host, &quota, headers, now);
                HeadersStatus::StopIteration
            }
        }
    }

    fn on_response_headers(
        &mut self,
        host: &mut dyn HttpHost,
        _end_of_stream: bool,
    ) -> HeadersStatus {
        if let Some(quota) = self.report.take() {
            let now = self.shared.clock.now();
            for (name, value) in rate_limit_headers(&quota, now) {
                host.set_header(HeaderMap::ResponseHeaders, name, value.as_bytes());
            }
        }
        HeadersStatus::Continue
    }
}

#[cfg(test)]
mod tests;
