//! Which TrafficPolicies attach where: by `targetRefs`, `targetSelectors` (ExtensionRefs live on rules).

use std::collections::BTreeMap;

use dynagate_api::gateway::GROUP as GATEWAY_GROUP;
use dynagate_api::kgateway::TrafficPolicy;

use super::{CompiledPolicy, compile_policy};
use crate::resources::{NsName, Resources};

/// A target that did not resolve, for status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MissingTarget {
    pub(crate) group: String,
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) section_name: Option<String>,
    pub(crate) message: String,
}

/// Policies by attachment point; every list is in priority order.
#[derive(Clone, Debug, Default)]
pub(crate) struct PolicyIndex {
    pub(crate) policies: BTreeMap<NsName, CompiledPolicy>,
    /// Whole Gateway.
    pub(crate) gateway: BTreeMap<NsName, Vec<NsName>>,
    /// Gateway listener (`sectionName`).
    pub(crate) listener: BTreeMap<(NsName, String), Vec<NsName>>,
    /// Whole HTTPRoute.
    pub(crate) route: BTreeMap<NsName, Vec<NsName>>,
    /// HTTPRoute rule by name (`sectionName`).
    pub(crate) rule: BTreeMap<(NsName, String), Vec<NsName>>,
    pub(crate) missing: BTreeMap<NsName, Vec<MissingTarget>>,
}

/// One resolved attachment point.
enum Point {
    Gateway(NsName),
    Listener(NsName, String),
    Route(NsName),
    Rule(NsName, String),
}

impl PolicyIndex {
    /// Compiles and indexes every TrafficPolicy.
    pub(crate) fn build(resources: &Resources) -> Self {
        let mut index = Self::default();
        for (key, policy) in &resources.traffic_policies {
            index
                .policies
                .insert(key.clone(), compile_policy(key, policy));
            for point in targets(resources, key, policy, &mut index.missing) {
                let list = match point {
                    Point::Gateway(g) => index.gateway.entry(g).or_default(),
                    Point::Listener(g, l) => index.listener.entry((g, l)).or_default(),
                    Point::Route(r) => index.route.entry(r).or_default(),
                    Point::Rule(r, name) => index.rule.entry((r, name)).or_default(),
                };
                if !list.contains(key) {
                    list.push(key.clone());
                }
            }
        }
        let policies = &index.policies;
        let order = |list: &mut Vec<NsName>| {
            list.sort_by_key(|k| policies.get(k).map(|p| p.priority.clone()))
        };
        index.gateway.values_mut().for_each(order);
        index.listener.values_mut().for_each(order);
        index.route.values_mut().for_each(order);
        index.rule.values_mut().for_each(order);
        index
    }

    /// Puts ExtensionRef policies of a rule in priority order.
    pub(crate) fn ordered(&self, keys: &[NsName]) -> Vec<NsName> {
        let mut out = keys.to_vec();
        out.sort_by_key(|k| self.policies.get(k).map(|p| p.priority.clone()));
        out.dedup();
        out
    }
}

fn targets(
    resources: &Resources,
    key: &NsName,
    policy: &TrafficPolicy,
    missing: &mut BTreeMap<NsName, Vec<MissingTarget>>,
) -> Vec<Point> {
    let namespace = &key.0;
    let mut points = Vec::new();
    for target in policy.spec.target_refs.iter().flatten() {
        let object = (namespace.clone(), target.name.clone());
        let found = resolve(
            resources,
            &target.group,
            &target.kind,
            &object,
            target.section_name.as_deref(),
        );
        match found {
            Ok(point) => points.push(point),
            Err(message) => missing.entry(key.clone()).or_default().push(MissingTarget {
                group: target.group.clone(),
                kind: target.kind.clone(),
                name: target.name.clone(),
                section_name: target.section_name.clone(),
                message,
            }),
        }
    }
    for selector in policy.spec.target_selectors.iter().flatten() {
        let labels_match = |labels: Option<&BTreeMap<String, String>>| {
            selector
                .match_labels
                .iter()
                .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
        };
        let names: Vec<String> = match (selector.group.as_str(), selector.kind.as_str()) {
            (GATEWAY_GROUP, "Gateway") => in_namespace(&resources.gateways, namespace)
                .filter(|(_, g)| labels_match(g.metadata.labels.as_ref()))
                .map(|((_, n), _)| n.clone())
                .collect(),
            (GATEWAY_GROUP, "HTTPRoute") => in_namespace(&resources.http_routes, namespace)
                .filter(|(_, r)| labels_match(r.metadata.labels.as_ref()))
                .map(|((_, n), _)| n.clone())
                .collect(),
            (group, kind) => {
                missing.entry(key.clone()).or_default().push(MissingTarget {
                    group: group.to_owned(),
                    kind: kind.to_owned(),
                    name: String::new(),
                    section_name: selector.section_name.clone(),
                    message: format!(
                        "target kind {group}/{kind} is not supported (Gateway and HTTPRoute are)"
                    ),
                });
                Vec::new()
            }
        };
        for name in names {
            let object = (namespace.clone(), name);
            // A selected object without the named section is simply not a match.
            if let Ok(point) = resolve(
                resources,
                &selector.group,
                &selector.kind,
                &object,
                selector.section_name.as_deref(),
            ) {
                points.push(point);
            }
        }
    }
    points
}

fn in_namespace<'a, V>(
    map: &'a BTreeMap<NsName, V>,
    namespace: &'a str,
) -> impl Iterator<Item = (&'a NsName, &'a V)> + 'a {
    map.range((namespace.to_owned(), String::new())..)
        .take_while(move |((ns, _), _)| ns == namespace)
}

fn resolve(
    resources: &Resources,
    group: &str,
    kind: &str,
    object: &NsName,
    section: Option<&str>,
) -> Result<Point, String> {
    let (namespace, name) = object;
    match (group, kind) {
        (GATEWAY_GROUP, "Gateway") => {
            let gateway = resources
                .gateways
                .get(object)
                .ok_or_else(|| format!("Gateway {namespace}/{name} not found"))?;
            match section {
                None => Ok(Point::Gateway(object.clone())),
                Some(section) if gateway.spec.listeners.iter().any(|l| l.name == section) => {
                    Ok(Point::Listener(object.clone(), section.to_owned()))
                }
                Some(section) => Err(format!(
                    "Gateway {namespace}/{name} has no listener {section:?}"
                )),
            }
        }
        (GATEWAY_GROUP, "HTTPRoute") => {
            let route = resources
                .http_routes
                .get(object)
                .ok_or_else(|| format!("HTTPRoute {namespace}/{name} not found"))?;
            match section {
                None => Ok(Point::Route(object.clone())),
                Some(section)
                    if route
                        .spec
                        .rules
                        .iter()
                        .flatten()
                        .any(|r| r.name.as_deref() == Some(section)) =>
                {
                    Ok(Point::Rule(object.clone(), section.to_owned()))
                }
                Some(section) => Err(format!(
                    "HTTPRoute {namespace}/{name} has no rule named {section:?}"
                )),
            }
        }
        _ => Err(format!(
            "target kind {group}/{kind} is not supported (Gateway and HTTPRoute are)"
        )),
    }
}
