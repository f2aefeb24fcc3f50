//! GatewayClass acceptance and Gateway listener validation: which Gateways we program, with which
//! listeners, and the conditions that explain why.

use std::collections::{BTreeMap, BTreeSet};

use dynagate_api::gateway::gateways::{
    Gateway, GatewayListeners, GatewayListenersAllowedRoutesNamespacesFrom, GatewayListenersTlsMode,
};
use dynagate_api::gateway::{GROUP as GATEWAY_GROUP, is_our_controller};
use dynagate_api::kgateway::{self, INHERITED_POLICY_PRIORITY_ANNOTATION};
use dynagate_api::{ObjectKey, ObjectKind};

use super::reasons::*;
use super::refs::{self, LabelSelector, Requirement};
use crate::proxy::GatewayKey;
use crate::resources::{NsName, Resources};
use crate::status::{Condition, ListenerStatus, RouteGroupKind, StatusReport};

/// The application protocol of a listener we can program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Protocol {
    Http,
    Https,
}

/// Which namespaces may attach routes to a listener.
#[derive(Clone, Debug)]
pub(crate) enum RouteNamespaces {
    Same,
    All,
    Selector(LabelSelector),
}

/// A validated listener.
#[derive(Clone, Debug)]
pub(crate) struct ListenerModel {
    pub(crate) name: String,
    pub(crate) port: u16,
    pub(crate) protocol: Protocol,
    pub(crate) hostname: Option<String>,
    pub(crate) namespaces: RouteNamespaces,
    /// Whether HTTPRoutes may attach (allowedRoutes.kinds).
    pub(crate) accepts_http_routes: bool,
    /// TLS certificates (Secrets) of an HTTPS listener, resolved and valid.
    pub(crate) certificates: Vec<NsName>,
    /// Valid and not conflicted: gets xDS.
    pub(crate) programmable: bool,
    /// Condition list being built (attached route count is filled later).
    pub(crate) status: ListenerStatus,
}

/// How a parent's policies combine with its children's (`kgateway.dev/inherited-policy-priority`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum InheritedPriority {
    #[default]
    PreferChild,
    PreferParent,
}

/// A Gateway of our class.
#[derive(Clone, Debug)]
pub(crate) struct GatewayModel {
    pub(crate) key: GatewayKey,
    pub(crate) listeners: Vec<ListenerModel>,
    pub(crate) inherited_priority: InheritedPriority,
    /// False when the Gateway as a whole is rejected (e.g. missing parameters): no xDS at all.
    pub(crate) accepted: bool,
    pub(crate) conditions: Vec<Condition>,
}

/// Names of the GatewayClasses we own; writes their status.
pub(crate) fn our_classes(resources: &Resources, status: &mut StatusReport) -> BTreeSet<String> {
    let mut ours = BTreeSet::new();
    for (name, class) in &resources.gateway_classes {
        if !is_our_controller(&class.spec.controller_name) {
            continue;
        }
        ours.insert(name.clone());
        let mut accepted =
            Condition::ok(ACCEPTED, R_ACCEPTED, "GatewayClass is accepted by dynagate");
        accepted.observed_generation = class.metadata.generation;
        status
            .entry(ObjectKey::new(ObjectKind::GatewayClass, "", name))
            .conditions
            .push(accepted);
    }
    ours
}

/// Validates one Gateway of our class.
pub(crate) fn model_gateway(
    resources: &Resources,
    (namespace, name): &NsName,
    gateway: &Gateway,
) -> GatewayModel {
    let mut listeners: Vec<ListenerModel> = gateway
        .spec
        .listeners
        .iter()
        .map(|l| model_listener(resources, namespace, l))
        .collect();
    mark_conflicts(&mut listeners);
    for listener in &mut listeners {
        finish_listener_conditions(listener, gateway.metadata.generation);
    }

    let mut conditions = Vec::new();
    let mut accepted = true;
    if let Some(reason) = missing_parameters(resources, namespace, gateway) {
        accepted = false;
        conditions.push(Condition::failed(ACCEPTED, R_INVALID_PARAMETERS, reason));
    } else {
        let valid = listeners.iter().filter(|l| l.programmable).count();
        conditions.push(match valid {
            _ if valid == listeners.len() => {
                Condition::ok(ACCEPTED, R_ACCEPTED, "Gateway is accepted")
            }
            0 => Condition::failed(ACCEPTED, R_LISTENERS_NOT_VALID, "no listener is valid"),
            _ => Condition::ok(
                ACCEPTED,
                R_LISTENERS_NOT_VALID,
                "some listeners are not valid",
            ),
        });
    }
    let programmed = accepted && listeners.iter().any(|l| l.programmable);
    conditions.push(if programmed {
        Condition::ok(PROGRAMMED, R_PROGRAMMED, "configuration is served over xDS")
    } else {
        Condition::failed(
            PROGRAMMED,
            R_INVALID,
            "Gateway has no listener that can be programmed",
        )
    });
    for condition in &mut conditions {
        condition.observed_generation = gateway.metadata.generation;
    }

    let priority = gateway
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(INHERITED_POLICY_PRIORITY_ANNOTATION));
    let inherited_priority = match priority.map(String::as_str) {
        Some("ShallowMergePreferParent" | "DeepMergePreferParent") => {
            InheritedPriority::PreferParent
        }
        _ => InheritedPriority::PreferChild,
    };
    GatewayModel {
        key: GatewayKey::new(namespace.clone(), name.clone()),
        listeners,
        inherited_priority,
        accepted,
        conditions,
    }
}

/// kgateway rejects a Gateway whose `infrastructure.parametersRef` names a missing GatewayParameters.
fn missing_parameters(resources: &Resources, namespace: &str, gateway: &Gateway) -> Option<String> {
    let reference = gateway
        .spec
        .infrastructure
        .as_ref()?
        .parameters_ref
        .as_ref()?;
    if reference.group != kgateway::GROUP || reference.kind != "GatewayParameters" {
        return Some(format!(
            "parametersRef kind {}/{} is not supported",
            reference.group, reference.kind
        ));
    }
    let key = (namespace.to_owned(), reference.name.clone());
    (!resources.gateway_parameters.contains_key(&key))
        .then(|| format!("GatewayParameters {namespace}/{} not found", reference.name))
}

fn model_listener(
    resources: &Resources,
    namespace: &str,
    spec: &GatewayListeners,
) -> ListenerModel {
    let mut conditions = Vec::new();
    let mut programmable = true;
    let protocol = match spec.protocol.as_str() {
        "HTTP" => Some(Protocol::Http),
        "HTTPS" => Some(Protocol::Https),
        _ => None,
    };
    if protocol.is_none() {
        programmable = false;
        conditions.push(Condition::failed(
            ACCEPTED,
            R_UNSUPPORTED_PROTOCOL,
            format!(
                "protocol {} is not supported (HTTP and HTTPS are)",
                spec.protocol
            ),
        ));
    }
    let port = u16::try_from(spec.port).ok().filter(|p| *p != 0);
    if port.is_none() {
        programmable = false;
        conditions.push(Condition::failed(
            ACCEPTED,
            R_PORT_UNAVAILABLE,
            format!("invalid port {}", spec.port),
        ));
    }

    let (supported_kinds, kinds_condition) = allowed_kinds(spec);
    let accepts_http_routes = !supported_kinds.is_empty();
    let mut resolved = kinds_condition;

    let mut certificates = Vec::new();
    if protocol == Some(Protocol::Https) {
        match resolve_certificates(resources, namespace, spec) {
            Ok(found) => certificates = found,
            Err(condition) => {
                programmable = false;
                resolved.get_or_insert(condition);
            }
        }
    }

    let namespaces = route_namespaces(spec);
    ListenerModel {
        name: spec.name.clone(),
        port: port.unwrap_or_default(),
        protocol: protocol.unwrap_or(Protocol::Http),
        hostname: spec.hostname.as_ref().map(|h| h.to_ascii_lowercase()),
        namespaces,
        accepts_http_routes,
        certificates,
        programmable,
        status: ListenerStatus {
            name: spec.name.clone(),
            attached_routes: 0,
            supported_kinds,
            conditions: {
                conditions.extend(resolved);
                conditions
            },
        },
    }
}

fn allowed_kinds(spec: &GatewayListeners) -> (Vec<RouteGroupKind>, Option<Condition>) {
    let http_route = || RouteGroupKind {
        group: GATEWAY_GROUP.to_owned(),
        kind: "HTTPRoute".to_owned(),
    };
    let Some(kinds) = spec.allowed_routes.as_ref().and_then(|a| a.kinds.as_ref()) else {
        return (vec![http_route()], None);
    };
    let mut supported = Vec::new();
    let mut invalid = Vec::new();
    for kind in kinds {
        let group = kind.group.as_deref().unwrap_or(GATEWAY_GROUP);
        if group == GATEWAY_GROUP && kind.kind == "HTTPRoute" {
            if supported.is_empty() {
                supported.push(http_route());
            }
        } else {
            invalid.push(format!("{group}/{}", kind.kind));
        }
    }
    let condition = (!invalid.is_empty()).then(|| {
        Condition::failed(
            RESOLVED_REFS,
            R_INVALID_ROUTE_KINDS,
            format!("unsupported route kinds: {}", invalid.join(", ")),
        )
    });
    (supported, condition)
}

fn route_namespaces(spec: &GatewayListeners) -> RouteNamespaces {
    let Some(namespaces) = spec
        .allowed_routes
        .as_ref()
        .and_then(|a| a.namespaces.as_ref())
    else {
        return RouteNamespaces::Same;
    };
    match namespaces.from {
        Some(GatewayListenersAllowedRoutesNamespacesFrom::All) => RouteNamespaces::All,
        Some(GatewayListenersAllowedRoutesNamespacesFrom::Selector) => {
            let selector = namespaces.selector.as_ref();
            RouteNamespaces::Selector(LabelSelector {
                match_labels: selector
                    .and_then(|s| s.match_labels.clone())
                    .unwrap_or_default(),
                match_expressions: selector
                    .and_then(|s| s.match_expressions.as_ref())
                    .map(|exprs| {
                        exprs
                            .iter()
                            .map(|e| Requirement {
                                key: e.key.clone(),
                                operator: e.operator.clone(),
                                values: e.values.clone().unwrap_or_default(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        }
        Some(GatewayListenersAllowedRoutesNamespacesFrom::Same) | None => RouteNamespaces::Same,
    }
}

/// Resolves `tls.certificateRefs` to Secrets holding a PEM certificate and key.
fn resolve_certificates(
    resources: &Resources,
    namespace: &str,
    spec: &GatewayListeners,
) -> Result<Vec<NsName>, Condition> {
    let tls = spec.tls.as_ref();
    if matches!(
        tls.and_then(|t| t.mode.as_ref()),
        Some(GatewayListenersTlsMode::Passthrough)
    ) {
        return Err(Condition::failed(
            RESOLVED_REFS,
            R_INVALID_CERTIFICATE_REF,
            "TLS passthrough is not supported on HTTPS listeners",
        ));
    }
    let refs = tls
        .and_then(|t| t.certificate_refs.as_deref())
        .unwrap_or_default();
    if refs.is_empty() {
        return Err(Condition::failed(
            RESOLVED_REFS,
            R_INVALID_CERTIFICATE_REF,
            "HTTPS listener has no certificateRefs",
        ));
    }
    let mut found = Vec::new();
    for reference in refs {
        let group = reference.group.as_deref().unwrap_or("");
        let kind = reference.kind.as_deref().unwrap_or("Secret");
        let target_namespace = reference.namespace.as_deref().unwrap_or(namespace);
        if !group.is_empty() || kind != "Secret" {
            return Err(Condition::failed(
                RESOLVED_REFS,
                R_INVALID_CERTIFICATE_REF,
                format!("certificateRef kind {group}/{kind} is not supported (core Secret is)"),
            ));
        }
        let from = refs::From {
            group: GATEWAY_GROUP,
            kind: "Gateway",
            namespace,
        };
        if !refs::reference_allowed(
            resources,
            from,
            "",
            "Secret",
            target_namespace,
            &reference.name,
        ) {
            return Err(Condition::failed(
                RESOLVED_REFS,
                R_REF_NOT_PERMITTED,
                format!(
                    "no ReferenceGrant allows this Gateway to use Secret {target_namespace}/{}",
                    reference.name
                ),
            ));
        }
        let key = (target_namespace.to_owned(), reference.name.clone());
        let Some(secret) = resources.secrets.get(&key) else {
            return Err(Condition::failed(
                RESOLVED_REFS,
                R_INVALID_CERTIFICATE_REF,
                format!("Secret {target_namespace}/{} not found", reference.name),
            ));
        };
        if let Err(problem) = super::tls::check_tls_secret(secret) {
            return Err(Condition::failed(
                RESOLVED_REFS,
                R_INVALID_CERTIFICATE_REF,
                format!("Secret {target_namespace}/{}: {problem}", reference.name),
            ));
        }
        found.push(key);
    }
    Ok(found)
}

/// Listeners sharing a port must share a protocol, and HTTP(S) listeners on one port need distinct hostnames.
fn mark_conflicts(listeners: &mut [ListenerModel]) {
    let mut by_port: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
    for (index, listener) in listeners.iter().enumerate() {
        let unsupported = listener
            .status
            .conditions
            .iter()
            .any(|c| c.reason == R_UNSUPPORTED_PROTOCOL);
        if listener.port != 0 && !unsupported {
            by_port.entry(listener.port).or_default().push(index);
        }
    }
    for indices in by_port.values() {
        let protocols: BTreeSet<Protocol> =
            indices.iter().map(|i| listeners[*i].protocol).collect();
        if protocols.len() > 1 {
            for i in indices {
                set_conflict(
                    &mut listeners[*i],
                    R_PROTOCOL_CONFLICT,
                    "another listener uses this port with a different protocol",
                );
            }
            continue;
        }
        let mut by_host: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
        for i in indices {
            by_host
                .entry(listeners[*i].hostname.clone())
                .or_default()
                .push(*i);
        }
        for same in by_host.values().filter(|v| v.len() > 1) {
            for i in same {
                set_conflict(
                    &mut listeners[*i],
                    R_HOSTNAME_CONFLICT,
                    "another listener uses this port and hostname",
                );
            }
        }
    }
}

fn set_conflict(listener: &mut ListenerModel, reason: &str, message: &str) {
    listener.programmable = false;
    listener
        .status
        .conditions
        .push(Condition::ok(CONFLICTED, reason, message));
}

/// Adds the positive conditions a listener did not get a negative one for, in a fixed order.
fn finish_listener_conditions(listener: &mut ListenerModel, generation: Option<i64>) {
    let has =
        |l: &ListenerModel, t: &str| l.status.conditions.iter().any(|c| c.condition_type == t);
    if !has(listener, ACCEPTED) {
        listener.status.conditions.push(Condition::ok(
            ACCEPTED,
            R_ACCEPTED,
            "listener is accepted",
        ));
    }
    if !has(listener, RESOLVED_REFS) {
        listener.status.conditions.push(Condition::ok(
            RESOLVED_REFS,
            R_RESOLVED_REFS,
            "all references resolved",
        ));
    }
    if !has(listener, CONFLICTED) {
        listener.status.conditions.push(Condition::failed(
            CONFLICTED,
            R_NO_CONFLICTS,
            "no conflicts",
        ));
    }
    listener.status.conditions.push(if listener.programmable {
        Condition::ok(PROGRAMMED, R_PROGRAMMED, "listener is served over xDS")
    } else {
        Condition::failed(PROGRAMMED, R_INVALID, "listener is not valid")
    });
    let order = |t: &str| {
        [ACCEPTED, CONFLICTED, PROGRAMMED, RESOLVED_REFS]
            .iter()
            .position(|x| *x == t)
    };
    listener
        .status
        .conditions
        .sort_by_key(|c| order(&c.condition_type));
    for condition in &mut listener.status.conditions {
        condition.observed_generation = generation;
    }
}
