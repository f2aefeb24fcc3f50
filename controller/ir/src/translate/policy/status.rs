//! TrafficPolicy status as kgateway reports it: one ancestor (Gateway) entry with `Accepted` and `Attached`.

use std::collections::{BTreeMap, BTreeSet};

use dynagate_api::gateway::{CONTROLLER_NAME, GROUP as GATEWAY_GROUP};
use dynagate_api::{ObjectKey, ObjectKind};

use super::PolicyIndex;
use crate::resources::NsName;
use crate::status::{Condition, ParentRef, PolicyAncestorStatus, StatusReport};
use crate::translate::reasons::*;

/// Where each policy was attached and where at least one of its fields took effect, per Gateway.
#[derive(Clone, Debug, Default)]
pub(crate) struct PolicyUsage {
    pub(crate) ancestors: BTreeMap<NsName, BTreeSet<NsName>>,
    pub(crate) effective: BTreeMap<NsName, BTreeSet<NsName>>,
}

impl PolicyUsage {
    pub(crate) fn attached(&mut self, policies: &[NsName], gateway: &NsName) {
        for policy in policies {
            self.ancestors
                .entry(policy.clone())
                .or_default()
                .insert(gateway.clone());
        }
    }

    pub(crate) fn effective(&mut self, policy: &NsName, gateway: &NsName) {
        self.effective
            .entry(policy.clone())
            .or_default()
            .insert(gateway.clone());
    }
}

/// Writes the status of every policy that attached somewhere or named a missing target.
pub(crate) fn write(index: &PolicyIndex, usage: &PolicyUsage, status: &mut StatusReport) {
    for (key, policy) in &index.policies {
        let mut entries = Vec::new();
        let accepted = accepted_condition(
            &policy.unsupported,
            &policy.invalid,
            policy.translates_nothing(),
        );
        for gateway in usage.ancestors.get(key).into_iter().flatten() {
            let attached = if policy.translates_nothing()
                || usage
                    .effective
                    .get(key)
                    .is_some_and(|g| g.contains(gateway))
            {
                Condition::ok(ATTACHED, R_ATTACHED, "policy is attached")
            } else {
                Condition::failed(
                    ATTACHED,
                    R_OVERRIDDEN,
                    "every field is overridden by a more specific or higher-priority policy",
                )
            };
            entries.push(PolicyAncestorStatus {
                ancestor_ref: ParentRef {
                    group: GATEWAY_GROUP.to_owned(),
                    kind: "Gateway".to_owned(),
                    namespace: gateway.0.clone(),
                    name: gateway.1.clone(),
                    section_name: None,
                    port: None,
                },
                controller_name: CONTROLLER_NAME.to_owned(),
                conditions: with_generation(vec![accepted.clone(), attached], policy.generation),
            });
        }
        for target in index.missing.get(key).into_iter().flatten() {
            entries.push(PolicyAncestorStatus {
                ancestor_ref: ParentRef {
                    group: target.group.clone(),
                    kind: target.kind.clone(),
                    namespace: key.0.clone(),
                    name: target.name.clone(),
                    section_name: target.section_name.clone(),
                    port: None,
                },
                controller_name: CONTROLLER_NAME.to_owned(),
                conditions: with_generation(
                    vec![Condition::failed(
                        ACCEPTED,
                        R_TARGET_NOT_FOUND,
                        target.message.clone(),
                    )],
                    policy.generation,
                ),
            });
        }
        if !entries.is_empty() {
            status
                .entry(ObjectKey::new(ObjectKind::TrafficPolicy, &key.0, &key.1))
                .ancestors
                .extend(entries);
        }
    }
}

fn with_generation(mut conditions: Vec<Condition>, generation: Option<i64>) -> Vec<Condition> {
    for condition in &mut conditions {
        condition.observed_generation = generation;
    }
    conditions
}

/// `Accepted`: Valid, PartiallyValid (something set is not supported or invalid) or Invalid (nothing usable).
pub(crate) fn accepted_condition(
    unsupported: &[String],
    invalid: &[String],
    nothing_usable: bool,
) -> Condition {
    if unsupported.is_empty() && invalid.is_empty() {
        return Condition::ok(ACCEPTED, R_VALID, "policy is valid");
    }
    let mut parts = Vec::new();
    if !unsupported.is_empty() {
        parts.push(format!(
            "not supported by dynagate yet: {}",
            unsupported.join(", ")
        ));
    }
    if !invalid.is_empty() {
        parts.push(format!("invalid: {}", invalid.join("; ")));
    }
    let message = parts.join("; ");
    if nothing_usable && unsupported.is_empty() {
        Condition::failed(ACCEPTED, R_INVALID, message)
    } else {
        Condition::ok(ACCEPTED, R_PARTIALLY_VALID, message)
    }
}
