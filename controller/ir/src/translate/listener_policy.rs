//! HTTPListenerPolicy and ListenerPolicy status (per ancestor Gateway): `accessLog` is translated
//! (`access_log`), invalid entries make the policy Invalid, and every other field is reported as not
//! supported instead of being silently ignored.

pub(crate) mod access_log;

use dynagate_api::gateway::{CONTROLLER_NAME, GROUP as GATEWAY_GROUP};
use dynagate_api::kgateway::{LocalPolicyTargetRef, LocalPolicyTargetSelector};
use dynagate_api::{ObjectKey, ObjectKind};

use super::policy::status::accepted_condition;
use super::reasons::*;
use crate::resources::{NsName, Resources};
use crate::status::{Condition, ParentRef, PolicyAncestorStatus, StatusReport};

/// Writes status for every listener policy; returns the policies with an invalid field.
pub(crate) fn write(resources: &Resources, status: &mut StatusReport) -> Vec<ObjectKey> {
    let mut rejected = Vec::new();
    for (key, policy) in &resources.http_listener_policies {
        let spec = &policy.spec;
        let mut fields: Vec<String> = spec
            .opaque_fields()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let mut invalid = Vec::new();
        if let Some(entries) = &spec.access_log {
            let logs = access_log::translate(entries, "accessLog");
            fields.splice(0..0, logs.unsupported);
            invalid = logs.invalid;
        }
        if !invalid.is_empty() {
            rejected.push(ObjectKey::new(
                ObjectKind::HttpListenerPolicy,
                &key.0,
                &key.1,
            ));
        }
        let targets = (
            spec.target_refs.as_deref().unwrap_or_default(),
            spec.target_selectors.as_deref().unwrap_or_default(),
        );
        write_one(
            resources,
            status,
            ObjectKind::HttpListenerPolicy,
            key,
            policy.metadata.generation,
            targets,
            (fields, invalid),
        );
    }
    for (key, policy) in &resources.listener_policies {
        let spec = &policy.spec;
        let mut fields = Vec::new();
        let mut invalid = Vec::new();
        let configs = spec
            .default
            .iter()
            .map(|config| ("default".to_owned(), config))
            .chain(
                spec.per_port
                    .iter()
                    .flatten()
                    .map(|p| (format!("perPort[{}].listener", p.port), &p.listener)),
            );
        for (path, config) in configs {
            let entries = config
                .http_settings
                .as_ref()
                .and_then(|h| h.access_log.as_ref());
            if let Some(entries) = entries {
                let logs =
                    access_log::translate(entries, &format!("{path}.httpSettings.accessLog"));
                fields.extend(logs.unsupported);
                invalid.extend(logs.invalid);
            }
            fields.extend(config.opaque_fields().into_iter().map(str::to_owned));
        }
        fields.sort();
        fields.dedup();
        if !invalid.is_empty() {
            rejected.push(ObjectKey::new(ObjectKind::ListenerPolicy, &key.0, &key.1));
        }
        let targets = (
            spec.target_refs.as_deref().unwrap_or_default(),
            spec.target_selectors.as_deref().unwrap_or_default(),
        );
        write_one(
            resources,
            status,
            ObjectKind::ListenerPolicy,
            key,
            policy.metadata.generation,
            targets,
            (fields, invalid),
        );
    }
    rejected
}

fn write_one(
    resources: &Resources,
    status: &mut StatusReport,
    kind: ObjectKind,
    key: &NsName,
    generation: Option<i64>,
    (refs, selectors): (&[LocalPolicyTargetRef], &[LocalPolicyTargetSelector]),
    (unsupported, invalid): (Vec<String>, Vec<String>),
) {
    let namespace = &key.0;
    let mut gateways: Vec<String> = Vec::new();
    let mut entries = Vec::new();
    for target in refs {
        let found = target.group == GATEWAY_GROUP
            && target.kind == "Gateway"
            && resources
                .gateways
                .contains_key(&(namespace.clone(), target.name.clone()));
        if found {
            gateways.push(target.name.clone());
        } else {
            entries.push(ancestor(
                ParentRef {
                    group: target.group.clone(),
                    kind: target.kind.clone(),
                    namespace: namespace.clone(),
                    name: target.name.clone(),
                    section_name: None,
                    port: None,
                },
                Condition::failed(
                    ACCEPTED,
                    R_TARGET_NOT_FOUND,
                    format!("{} {namespace}/{} not found", target.kind, target.name),
                ),
                generation,
            ));
        }
    }
    for selector in selectors
        .iter()
        .filter(|s| s.group == GATEWAY_GROUP && s.kind == "Gateway")
    {
        for ((ns, name), gateway) in &resources.gateways {
            let labels = gateway.metadata.labels.clone().unwrap_or_default();
            if ns == namespace
                && selector
                    .match_labels
                    .iter()
                    .all(|(k, v)| labels.get(k) == Some(v))
            {
                gateways.push(name.clone());
            }
        }
    }
    gateways.sort();
    gateways.dedup();
    let accepted = accepted_condition(&unsupported, &invalid, true);
    for name in gateways {
        let parent = ParentRef {
            group: GATEWAY_GROUP.to_owned(),
            kind: "Gateway".to_owned(),
            namespace: namespace.clone(),
            name,
            section_name: None,
            port: None,
        };
        entries.push(ancestor(parent, accepted.clone(), generation));
    }
    if !entries.is_empty() {
        status
            .entry(ObjectKey::new(kind, namespace, &key.1))
            .ancestors
            .extend(entries);
    }
}

fn ancestor(
    ancestor_ref: ParentRef,
    mut condition: Condition,
    generation: Option<i64>,
) -> PolicyAncestorStatus {
    condition.observed_generation = generation;
    PolicyAncestorStatus {
        ancestor_ref,
        controller_name: CONTROLLER_NAME.to_owned(),
        conditions: vec![condition],
    }
}
