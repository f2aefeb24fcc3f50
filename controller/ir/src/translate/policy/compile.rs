//! One TrafficPolicy -> the per-filter config of each field we translate, plus what we cannot translate.

use std::collections::BTreeMap;

use dynagate_api::kgateway::{
    LocalRateLimitPolicy, POLICY_WEIGHT_ANNOTATION, TrafficPolicy, TransformationPolicy,
};
use envoy_types::pb::envoy::config::core::v3::RuntimeFractionalPercent;
use envoy_types::pb::envoy::config::route::v3::FilterConfig;
use envoy_types::pb::envoy::extensions::dynamic_modules::v3::DynamicModuleConfig;
use envoy_types::pb::envoy::extensions::filters::http::dynamic_modules::v3::DynamicModuleFilterPerRoute;
use envoy_types::pb::envoy::extensions::filters::http::local_ratelimit::v3::LocalRateLimit;
use envoy_types::pb::envoy::r#type::v3::{FractionalPercent, TokenBucket, fractional_percent};
use envoy_types::pb::google::protobuf::{Any, StringValue, UInt32Value};

use crate::proxy::pack;
use crate::resources::NsName;
use crate::translate::duration::{parse_duration, to_proto};
use crate::translate::{DYNAMIC_MODULE_NAME, TRANSFORMATION_FILTER};

/// A translated TrafficPolicy field. The order is the HTTP filter order on the listener (kgateway stages:
/// rate limiting before the "accepted" stage where transformation runs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum PolicyField {
    /// `rateLimit.local`: Envoy's local rate limit filter.
    RateLimitLocal,
    /// `transformation`: the module's `transformation` filter.
    Transformation,
}

/// Shortest token bucket fill interval kgateway accepts.
const MIN_FILL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(50);
/// Stat prefix kgateway uses for local rate limiting.
pub(crate) const LOCAL_RATE_LIMIT_STAT_PREFIX: &str = "http_local_rate_limiter";

/// A compiled TrafficPolicy.
#[derive(Clone, Debug)]
pub(crate) struct CompiledPolicy {
    pub(crate) generation: Option<i64>,
    /// Sort key: higher weight, then older, then name first.
    pub(crate) priority: (std::cmp::Reverse<i64>, (bool, String), NsName),
    pub(crate) fields: BTreeMap<PolicyField, Any>,
    /// Fields set but not translated (reported as not supported).
    pub(crate) unsupported: Vec<String>,
    /// Fields set but invalid (reported, not applied).
    pub(crate) invalid: Vec<String>,
}

/// Compiles one policy.
pub(crate) fn compile_policy(key: &NsName, policy: &TrafficPolicy) -> CompiledPolicy {
    let meta = &policy.metadata;
    let mut invalid = Vec::new();
    let weight = match meta
        .annotations
        .as_ref()
        .and_then(|a| a.get(POLICY_WEIGHT_ANNOTATION))
    {
        None => 0,
        Some(text) => text.trim().parse::<i64>().unwrap_or_else(|_| {
            invalid.push(format!(
                "annotation {POLICY_WEIGHT_ANNOTATION}: {text:?} is not an integer (using 0)"
            ));
            0
        }),
    };
    let created = meta.creation_timestamp.as_ref().map(|t| t.0.to_string());
    let mut compiled = CompiledPolicy {
        generation: meta.generation,
        priority: (
            std::cmp::Reverse(weight),
            (created.is_none(), created.unwrap_or_default()),
            key.clone(),
        ),
        fields: BTreeMap::new(),
        unsupported: policy
            .spec
            .opaque_fields()
            .into_iter()
            .map(str::to_owned)
            .collect(),
        invalid,
    };
    if let Some(transformation) = &policy.spec.transformation {
        match transformation_config(transformation) {
            Ok(config) => {
                compiled.fields.insert(PolicyField::Transformation, config);
            }
            Err(problems) => compiled.invalid.extend(problems),
        }
    }
    if let Some(rate_limit) = &policy.spec.rate_limit {
        if rate_limit.global.is_some() {
            compiled.unsupported.push("rateLimit.global".to_owned());
        }
        if let Some(local) = &rate_limit.local {
            if local.descriptors.is_some() {
                compiled
                    .unsupported
                    .push("rateLimit.local.descriptors".to_owned());
            }
            match local_rate_limit_config(local) {
                Ok(config) => {
                    compiled.fields.insert(PolicyField::RateLimitLocal, config);
                }
                Err(problem) => compiled.invalid.push(format!("rateLimit.local: {problem}")),
            }
        }
    }
    compiled
}

/// Wraps a per-route config so that it also enables a filter the listener declares `disabled: true`.
fn enabling(config: Any) -> Any {
    pack(&FilterConfig {
        config: Some(config),
        is_optional: false,
        disabled: false,
    })
}

/// The per-route config of the module's transformation filter: exactly the policy's JSON.
fn transformation_config(policy: &TransformationPolicy) -> Result<Any, Vec<String>> {
    policy.validate().map_err(|errors| {
        errors
            .into_iter()
            .map(|e| format!("transformation.{e}"))
            .collect::<Vec<_>>()
    })?;
    // `filter_name` names the per-route config in Envoy 1.40; `per_route_config_name` is deprecated there.
    let per_route = DynamicModuleFilterPerRoute {
        dynamic_module_config: Some(DynamicModuleConfig {
            name: DYNAMIC_MODULE_NAME.to_owned(),
            ..DynamicModuleConfig::default()
        }),
        filter_name: TRANSFORMATION_FILTER.to_owned(),
        filter_config: Some(pack(&StringValue {
            value: policy.to_json(),
        })),
        ..DynamicModuleFilterPerRoute::default()
    };
    Ok(enabling(pack(&per_route)))
}

/// `rateLimit.local`: a token bucket, or (empty object) "disabled here".
fn local_rate_limit_config(local: &LocalRateLimitPolicy) -> Result<Any, String> {
    let Some(bucket) = &local.token_bucket else {
        // `local: {}` exempts this level from an inherited limit.
        return Ok(pack(&FilterConfig {
            config: None,
            is_optional: false,
            disabled: true,
        }));
    };
    if bucket.max_tokens == 0 {
        return Err("tokenBucket.maxTokens must be at least 1".to_owned());
    }
    if bucket.tokens_per_fill == Some(0) {
        return Err("tokenBucket.tokensPerFill must be at least 1".to_owned());
    }
    let interval = parse_duration(&bucket.fill_interval)
        .map_err(|e| format!("tokenBucket.fillInterval: {e}"))?;
    if interval < MIN_FILL_INTERVAL {
        return Err("tokenBucket.fillInterval must be at least 50ms".to_owned());
    }
    let percent = |value: Option<u32>,
                   name: &str,
                   runtime_key: &str|
     -> Result<RuntimeFractionalPercent, String> {
        let value = value.unwrap_or(100);
        if value > 100 {
            return Err(format!("{name} must be between 0 and 100"));
        }
        Ok(RuntimeFractionalPercent {
            default_value: Some(FractionalPercent {
                numerator: value,
                denominator: fractional_percent::DenominatorType::Hundred as i32,
            }),
            runtime_key: runtime_key.to_owned(),
        })
    };
    let config = LocalRateLimit {
        stat_prefix: LOCAL_RATE_LIMIT_STAT_PREFIX.to_owned(),
        token_bucket: Some(TokenBucket {
            max_tokens: bucket.max_tokens,
            tokens_per_fill: Some(UInt32Value {
                value: bucket.tokens_per_fill.unwrap_or(1),
            }),
            fill_interval: Some(to_proto(interval)),
        }),
        filter_enabled: Some(percent(
            local.percent_enabled,
            "percentEnabled",
            "local_rate_limit_enabled",
        )?),
        filter_enforced: Some(percent(
            local.percent_enforced,
            "percentEnforced",
            "local_rate_limit_enforced",
        )?),
        ..LocalRateLimit::default()
    };
    Ok(enabling(pack(&config)))
}
