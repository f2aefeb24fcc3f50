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
pub(crate) mod status;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use envoy_types::pb::google::protobuf::Any;

pub(crate) use compile::{
    CompiledPolicy, LOCAL_RATE_LIMIT_STAT_PREFIX, PolicyField, compile_policy,
};
pub(crate) use index::PolicyIndex;

use crate::resources::NsName;

/// Winner per field: the policy and the per-filter config to emit.
pub(crate) type FieldWinners = BTreeMap<PolicyField, (NsName, Any)>;

/// Merges attachment levels, most specific first; each level's policies must be in priority order.
pub(crate) fn merge<'a>(
    index: &PolicyIndex,
    levels: impl IntoIterator<Item = &'a [NsName]>,
) -> FieldWinners {
    let mut winners = FieldWinners::new();
    for level in levels {
        for key in level {
            let Some(policy) = index.policies.get(key) else {
                continue;
            };
            for (field, config) in &policy.fields {
                winners
                    .entry(*field)
                    .or_insert_with(|| (key.clone(), config.clone()));
            }
        }
    }
    winners
}
