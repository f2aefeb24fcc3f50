//! `rateLimit.local` -> the module's `rate_limit` filter: validation, and the per-route config that
//! names the bucket's owner.
//!
//! A bucket belongs to a policy *attachment*, not to a policy: the same TrafficPolicy on a Gateway is one
//! bucket shared by every route under it, on an HTTPRoute one bucket for that route. The filter shares
//! buckets by the `attachment` id the controller writes into the config, so the id must be stable across
//! pushes (a push must not refill buckets) and distinct between attachments.

use dynagate_api::kgateway::LocalRateLimitPolicy as ApiLocalRateLimit;
use dynagate_config::rate_limit::{LocalRateLimitPolicy, RateLimitFilterConfig, XRateLimitHeaders};
use envoy_types::pb::envoy::config::route::v3::FilterConfig;
use envoy_types::pb::envoy::extensions::dynamic_modules::v3::DynamicModuleConfig;
use envoy_types::pb::envoy::extensions::filters::http::dynamic_modules::v3::DynamicModuleFilterPerRoute;
use envoy_types::pb::google::protobuf::{Any, StringValue};

use crate::proxy::pack;
use crate::resources::NsName;
use crate::translate::{DYNAMIC_MODULE_NAME, RATE_LIMIT_FILTER};

/// Checks `rateLimit.local` against the filter's own contract, so that a policy the filter would reject
/// is reported Invalid instead of being sent to Envoy (which would NACK the whole route configuration).
pub(crate) fn validate(local: &ApiLocalRateLimit) -> Result<LocalRateLimitPolicy, String> {
    let local = serde_json::to_value(local).map_err(|e| e.to_string())?;
    let probe = serde_json::json!({ "attachment": "validation", "local": local });
    RateLimitFilterConfig::from_json(&probe.to_string())
        .map(|config| config.local)
        .map_err(|e| {
            // The filter's messages start with its own name; the status names the policy field.
            let message = e.to_string();
            let message = message
                .strip_prefix("invalid rate_limit config: ")
                .unwrap_or(&message)
                .to_owned();
            format!("rateLimit.local: {message}")
        })
}

/// `TrafficPolicy/<ns>/<name>@<point>`: the id of one policy attachment. The point is where the level
/// attaches: `Gateway/ns/gw`, `Gateway/ns/gw/<listener>`, `HTTPRoute/ns/r`, `HTTPRoute/ns/r/rule/<name>`.
pub(crate) fn attachment_id(policy: &NsName, point: &str) -> String {
    format!("TrafficPolicy/{}/{}@{point}", policy.0, policy.1)
}

/// The per-route config enabling the listener's (disabled) `rate_limit` filter for one attachment.
/// `local: {}` is sent as is: the filter passes requests, switching off an inherited limit.
pub(crate) fn per_route_config(policy: &NsName, point: &str, local: &LocalRateLimitPolicy) -> Any {
    let config = RateLimitFilterConfig {
        attachment: attachment_id(policy, point),
        local: local.clone(),
        // kgateway documents the draft-03 headers on locally limited routes.
        x_rate_limit_headers: XRateLimitHeaders::DraftVersion03,
    };
    let per_route = DynamicModuleFilterPerRoute {
        dynamic_module_config: Some(DynamicModuleConfig {
            name: DYNAMIC_MODULE_NAME.to_owned(),
            ..DynamicModuleConfig::default()
        }),
        filter_name: RATE_LIMIT_FILTER.to_owned(),
        filter_config: Some(pack(&StringValue {
            value: config.to_json(),
        })),
        ..DynamicModuleFilterPerRoute::default()
    };
    pack(&FilterConfig {
        config: Some(pack(&per_route)),
        is_optional: false,
        disabled: false,
    })
}
