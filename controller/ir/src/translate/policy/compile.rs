//! One TrafficPolicy -> the per-filter config of each field we translate, plus what we cannot translate.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use dynagate_api::kgateway::{POLICY_WEIGHT_ANNOTATION, TrafficPolicy, TransformationPolicy};
use dynagate_transformation::{CompileOptions, CompiledTransformation};
use envoy_types::pb::envoy::config::route::v3::FilterConfig;
use envoy_types::pb::envoy::extensions::dynamic_modules::v3::DynamicModuleConfig;
use envoy_types::pb::envoy::extensions::filters::http::dynamic_modules::v3::DynamicModuleFilterPerRoute;
use envoy_types::pb::google::protobuf::{Any, StringValue};

use super::rate_limit;
use crate::proxy::pack;
use crate::resources::NsName;
use crate::translate::{DYNAMIC_MODULE_NAME, TRANSFORMATION_FILTER};

/// A translated TrafficPolicy field. The order is the HTTP filter order on the listener (kgateway stages:
/// rate limiting before the "accepted" stage where transformation runs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum PolicyField {
    /// `rateLimit.local`: the module's `rate_limit` filter (its config depends on the attachment point).
    RateLimitLocal,
    /// `transformation`: the module's `transformation` filter.
    Transformation,
}

/// What template compilation captures (the environment snapshot): taken once, not per policy.
static TEMPLATE_OPTIONS: LazyLock<CompileOptions> = LazyLock::new(CompileOptions::default);

/// A compiled TrafficPolicy.
#[derive(Clone, Debug)]
pub(crate) struct CompiledPolicy {
    pub(crate) generation: Option<i64>,
    /// Sort key: higher weight, then older, then name first.
    pub(crate) priority: (std::cmp::Reverse<i64>, (bool, String), NsName),
    pub(crate) fields: BTreeMap<PolicyField, Any>,
    /// Validated `rateLimit.local`; its per-route config is made per attachment point (see [`merge`]).
    ///
    /// [`merge`]: super::merge
    pub(crate) rate_limit: Option<dynagate_config::rate_limit::LocalRateLimitPolicy>,
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
        rate_limit: None,
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
            match rate_limit::validate(local) {
                Ok(local) => compiled.rate_limit = Some(local),
                Err(problem) => compiled.invalid.push(problem),
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
    // The filter compiles the same JSON at config load and Envoy would reject the whole listener
    // update: compile it here with the filter's own engine so a bad template fails this policy only.
    CompiledTransformation::compile(policy, &TEMPLATE_OPTIONS)
        .map_err(|error| vec![format!("transformation.{error}")])?;
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
