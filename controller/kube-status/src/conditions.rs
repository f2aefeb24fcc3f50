//! Conditions as written to the API server: the report's conditions, each stamped with a
//! `lastTransitionTime` that is carried over from before when the condition's status did not change.

use dynagate_ir::{Condition as DesiredCondition, ConditionStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

/// `True`, `False` or `Unknown`, as the API spells it.
pub(crate) fn status_str(status: ConditionStatus) -> &'static str {
    match status {
        ConditionStatus::True => "True",
        ConditionStatus::False => "False",
        ConditionStatus::Unknown => "Unknown",
    }
}

/// The desired conditions with timestamps: a condition keeps the `lastTransitionTime` of the previous
/// condition of the same type when its status is unchanged (a new reason or message is not a transition),
/// and gets `now` otherwise.
pub(crate) fn stamp(
    desired: &[DesiredCondition],
    previous: &[Condition],
    now: Timestamp,
) -> Vec<Condition> {
    desired
        .iter()
        .map(|want| {
            let status = status_str(want.status);
            let since = previous
                .iter()
                .find(|old| old.type_ == want.condition_type && old.status == status)
                .map_or(Time(now), |old| old.last_transition_time.clone());
            Condition {
                type_: want.condition_type.clone(),
                status: status.to_owned(),
                reason: want.reason.clone(),
                message: if want.message.is_empty() {
                    // Server-side apply on Kubernetes <= 1.20 turns "" into null, which the required
                    // `message` field rejects (422); the reason is the honest short message.
                    want.reason.clone()
                } else {
                    want.message.clone()
                },
                observed_generation: want.observed_generation,
                last_transition_time: since,
            }
        })
        .collect()
}

/// Conditions read from a live object's JSON array. Entries that do not parse (another writer's
/// malformed data) are skipped: they only serve to carry timestamps, so losing one costs a fresh time.
pub(crate) fn parse(value: Option<&Value>) -> Vec<Condition> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| serde_json::from_value(item.clone()).ok())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
