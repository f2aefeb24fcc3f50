//! TrafficPolicy: compilation to per-filter configs, attachment (targetRefs, targetSelectors, ExtensionRef)
//! and kgateway's precedence and merge rules (section A.2).
//!
//! The unit of merging is a top-level field. At one attachment level the policy with the highest
//! `kgateway.dev/policy-weight`, then the oldest, then the first by `namespace/name` wins each field. Across
//! levels (rule ExtensionRef > rule > route > listener > Gateway) the more specific level wins each field
//! (ShallowMergePreferChild), unless the Gateway says `ShallowMergePreferParent`.
//!
//! Emission mirrors kgateway: Gateway-level fields go on the RouteConfiguration, listener-level on the
//! virtual host, route-level on each route, so Envoy's "most specific per-filter config" picks the winner
//! and a Gateway-wide token bucket stays one bucket.

mod compile;
mod index;
mod rate_limit;
pub(crate) mod status;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use envoy_types::pb::google::protobuf::Any;

pub(crate) use compile::{CompiledPolicy, PolicyField, compile_policy};
pub(crate) use index::PolicyIndex;

use crate::resources::NsName;

/// Winner per field: the policy and the per-filter config to emit.
pub(crate) type FieldWinners = BTreeMap<PolicyField, (NsName, Any)>;

/// Merges attachment levels, most specific first; each level's policies must be in priority order, and
/// each level names its attachment point (the owner of per-attachment state such as rate limit buckets).
pub(crate) fn merge<'a>(
    index: &PolicyIndex,
    levels: impl IntoIterator<Item = (&'a [NsName], &'a str)>,
) -> FieldWinners {
    let mut winners = FieldWinners::new();
    for (level, point) in levels {
        for key in level {
            let Some(policy) = index.policies.get(key) else {
                continue;
            };
            for (field, config) in &policy.fields {
                winners
                    .entry(*field)
                    .or_insert_with(|| (key.clone(), config.clone()));
            }
            if let Some(local) = &policy.rate_limit {
                winners
                    .entry(PolicyField::RateLimitLocal)
                    .or_insert_with(|| {
                        (key.clone(), rate_limit::per_route_config(key, point, local))
                    });
            }
        }
    }
    winners
}

impl CompiledPolicy {
    /// Whether no field of the policy made it to a per-filter config (all unsupported or invalid).
    pub(crate) fn translates_nothing(&self) -> bool {
        self.fields.is_empty() && self.rate_limit.is_none()
    }
}
