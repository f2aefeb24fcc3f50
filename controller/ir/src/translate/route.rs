//! One HTTPRoute -> Envoy routes (one per rule match, with actions and filters) plus what it references.
//!
//! Compiled once per HTTPRoute, independent of the Gateways it attaches to; placement into virtual hosts,
//! ordering and policy configs happen later.

mod direct;
mod filters;
mod matches;

use std::collections::BTreeSet;

use dynagate_api::gateway::HttpRoute;
use dynagate_api::gateway::httproutes::{
    HttpRouteRules, HttpRouteRulesFilters, HttpRouteRulesFiltersType,
};
use dynagate_api::kgateway;
use envoy_types::pb::envoy::config::core::v3::RuntimeFractionalPercent;
use envoy_types::pb::envoy::config::route::v3::{
    DirectResponseAction, RedirectAction, Route, RouteAction, WeightedCluster, route, route_action,
    weighted_cluster,
};
use envoy_types::pb::envoy::r#type::v3::{FractionalPercent, fractional_percent};
use envoy_types::pb::google::protobuf::UInt32Value;

pub(crate) use filters::redirect_to_listener_port;
pub(crate) use matches::MatchRank;

use super::backend::{self, BackendRef, ClusterRef};
use super::duration::{parse_duration, to_proto};
use super::reasons::*;
use crate::resources::{NsName, Resources};
use filters::{HeaderEdits, PrefixReplacement, UrlRewrite};
use matches::ConvertedMatch;

/// Tie-breaker between routes of equal match rank: older first, then `namespace/name`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RouteAge {
    /// `(false, timestamp)` for routes with a creation timestamp, `(true, "")` otherwise (they sort last).
    created: (bool, String),
    namespace: String,
    name: String,
}

/// One Envoy route produced from a rule match.
#[derive(Clone, Debug)]
pub(crate) struct CompiledMatch {
    pub(crate) rank: MatchRank,
    pub(crate) match_index: usize,
    pub(crate) route: Route,
}

/// One rule.
#[derive(Clone, Debug)]
pub(crate) struct CompiledRule {
    pub(crate) index: usize,
    pub(crate) name: Option<String>,
    /// TrafficPolicies referenced by `ExtensionRef` filters, in filter order.
    pub(crate) policies: Vec<NsName>,
    pub(crate) matches: Vec<CompiledMatch>,
}

/// A compiled HTTPRoute.
#[derive(Clone, Debug)]
pub(crate) struct CompiledRoute {
    pub(crate) key: NsName,
    pub(crate) age: RouteAge,
    pub(crate) generation: Option<i64>,
    pub(crate) hostnames: Vec<String>,
    pub(crate) rules: Vec<CompiledRule>,
    /// Set when the route uses something we cannot program (`Accepted=False, UnsupportedValue`).
    pub(crate) not_accepted: Option<String>,
    /// First reference that did not resolve (`ResolvedRefs=False`).
    pub(crate) unresolved: Option<(&'static str, String)>,
    /// Backends the route forwards or mirrors to.
    pub(crate) clusters: BTreeSet<ClusterRef>,
}

/// Per-rule state while compiling.
#[derive(Default)]
struct RuleParts<'a> {
    edits: HeaderEdits,
    redirect: Option<&'a dynagate_api::gateway::httproutes::HttpRouteRulesFiltersRequestRedirect>,
    rewrite: Option<&'a dynagate_api::gateway::httproutes::HttpRouteRulesFiltersUrlRewrite>,
    mirrors: Vec<route_action::RequestMirrorPolicy>,
    direct: Option<DirectResponseAction>,
    policies: Vec<NsName>,
    /// The rule must answer 500 (a filter reference could not be resolved or is contradictory).
    fail: bool,
}

/// Compiles one HTTPRoute.
pub(crate) fn compile(resources: &Resources, key: &NsName, route: &HttpRoute) -> CompiledRoute {
    let created = route
        .metadata
        .creation_timestamp
        .as_ref()
        .map(|t| t.0.to_string());
    let mut compiled = CompiledRoute {
        key: key.clone(),
        age: RouteAge {
            created: (created.is_none(), created.unwrap_or_default()),
            namespace: key.0.clone(),
            name: key.1.clone(),
        },
        generation: route.metadata.generation,
        hostnames: route.spec.hostnames.clone().unwrap_or_default(),
        rules: Vec::new(),
        not_accepted: None,
        unresolved: None,
        clusters: BTreeSet::new(),
    };
    for (index, rule) in route.spec.rules.iter().flatten().enumerate() {
        let rule = compile_rule(resources, &mut compiled, index, rule);
        compiled.rules.push(rule);
    }
    compiled
}

impl CompiledRoute {
    fn reject(&mut self, message: String) {
        self.not_accepted.get_or_insert(message);
    }

    fn unresolved(&mut self, reason: &'static str, message: String) {
        self.unresolved.get_or_insert((reason, message));
    }
}

fn compile_rule(
    resources: &Resources,
    out: &mut CompiledRoute,
    index: usize,
    rule: &HttpRouteRules,
) -> CompiledRule {
    let namespace = out.key.0.clone();
    let mut parts = RuleParts::default();
    for filter in rule.filters.iter().flatten() {
        apply_filter(resources, out, &namespace, filter, &mut parts);
    }
    if parts.redirect.is_some() && parts.rewrite.is_some() {
        out.reject(format!(
            "rule {index}: RequestRedirect and URLRewrite cannot be combined"
        ));
    }
    let has_backends = rule.backend_refs.as_ref().is_some_and(|b| !b.is_empty());
    if parts.direct.is_some() && (has_backends || parts.redirect.is_some()) {
        // kgateway: a DirectResponse next to backends or a redirect makes the rule invalid (500).
        parts.fail = true;
    }
    let forward = if parts.redirect.is_some() || parts.direct.is_some() {
        None
    } else {
        Some(forward_action(resources, out, rule))
    };

    let converted: Vec<ConvertedMatch> = match rule.matches.as_deref() {
        None | Some([]) => vec![matches::match_all()],
        Some(list) => list
            .iter()
            .filter_map(|m| {
                matches::convert(m)
                    .map_err(|e| out.reject(format!("rule {index}: {e}")))
                    .ok()
            })
            .collect(),
    };
    let mut compiled_matches = Vec::with_capacity(converted.len());
    for (match_index, converted) in converted.into_iter().enumerate() {
        let action = match route_action_for(&parts, forward.as_ref(), &converted) {
            Ok(action) => action,
            Err(message) => {
                out.reject(format!("rule {index}: {message}"));
                continue;
            }
        };
        let (ns, name) = &out.key;
        let mut route = Route {
            name: format!("httproute/{ns}/{name}/rule/{index}/match/{match_index}"),
            r#match: Some(converted.envoy),
            action: Some(action),
            request_headers_to_add: parts.edits.request_add.clone(),
            request_headers_to_remove: parts.edits.request_remove.clone(),
            response_headers_to_add: parts.edits.response_add.clone(),
            response_headers_to_remove: parts.edits.response_remove.clone(),
            typed_per_filter_config: super::detmap::new_map(),
            ..Route::default()
        };
        if let Err(message) = apply_timeouts(&mut route, rule) {
            out.reject(format!("rule {index}: timeouts.request: {message}"));
        }
        compiled_matches.push(CompiledMatch {
            rank: converted.rank,
            match_index,
            route,
        });
    }
    CompiledRule {
        index,
        name: rule.name.clone(),
        policies: parts.policies,
        matches: compiled_matches,
    }
}

fn apply_filter<'a>(
    resources: &Resources,
    out: &mut CompiledRoute,
    namespace: &str,
    filter: &'a HttpRouteRulesFilters,
    parts: &mut RuleParts<'a>,
) {
    let missing = |what: &str| format!("filter type {what} without its configuration");
    match filter.r#type {
        HttpRouteRulesFiltersType::RequestHeaderModifier => match &filter.request_header_modifier {
            Some(m) => parts.edits.request(m),
            None => out.reject(missing("RequestHeaderModifier")),
        },
        HttpRouteRulesFiltersType::ResponseHeaderModifier => match &filter.response_header_modifier
        {
            Some(m) => parts.edits.response(m),
            None => out.reject(missing("ResponseHeaderModifier")),
        },
        HttpRouteRulesFiltersType::RequestRedirect => match &filter.request_redirect {
            Some(r) => parts.redirect = Some(r),
            None => out.reject(missing("RequestRedirect")),
        },
        HttpRouteRulesFiltersType::UrlRewrite => match &filter.url_rewrite {
            Some(r) => parts.rewrite = Some(r),
            None => out.reject(missing("URLRewrite")),
        },
        HttpRouteRulesFiltersType::RequestMirror => {
            let Some(mirror) = &filter.request_mirror else {
                out.reject(missing("RequestMirror"));
                return;
            };
            let b = &mirror.backend_ref;
            let reference = BackendRef {
                group: b.group.as_deref(),
                kind: b.kind.as_deref(),
                name: &b.name,
                namespace: b.namespace.as_deref(),
                port: b.port,
            };
            match backend::resolve(resources, namespace, reference) {
                Ok(cluster) => {
                    let fraction = mirror_fraction(
                        mirror.percent,
                        mirror
                            .fraction
                            .as_ref()
                            .map(|f| (f.numerator, f.denominator)),
                    );
                    parts.mirrors.push(route_action::RequestMirrorPolicy {
                        cluster: cluster.name.clone(),
                        runtime_fraction: fraction,
                        ..route_action::RequestMirrorPolicy::default()
                    });
                    out.clusters.insert(cluster);
                }
                // An unresolved mirror only loses the copy; the request itself is unaffected.
                Err(err) => out.unresolved(err.reason, err.message),
            }
        }
        HttpRouteRulesFiltersType::ExtensionRef => {
            let Some(ext) = &filter.extension_ref else {
                out.reject(missing("ExtensionRef"));
                return;
            };
            let key = (namespace.to_owned(), ext.name.clone());
            match (ext.group.as_str(), ext.kind.as_str()) {
                (kgateway::GROUP, "TrafficPolicy")
                    if resources.traffic_policies.contains_key(&key) =>
                {
                    parts.policies.push(key)
                }
                (kgateway::GROUP, "DirectResponse") => match resources.direct_responses.get(&key) {
                    Some(dr) if parts.direct.is_none() => match direct::action(&dr.spec) {
                        Ok(action) => parts.direct = Some(action),
                        Err(message) => {
                            out.unresolved(
                                R_UNSUPPORTED_VALUE,
                                format!("DirectResponse {}/{}: {message}", key.0, key.1),
                            );
                            parts.fail = true;
                        }
                    },
                    // Two DirectResponses on one rule: kgateway answers 500.
                    Some(_) => parts.fail = true,
                    None => {
                        out.unresolved(
                            R_BACKEND_NOT_FOUND,
                            format!("DirectResponse {}/{} not found", key.0, key.1),
                        );
                        parts.fail = true;
                    }
                },
                (kgateway::GROUP, "TrafficPolicy") => {
                    out.unresolved(
                        R_BACKEND_NOT_FOUND,
                        format!("TrafficPolicy {}/{} not found", key.0, key.1),
                    );
                    parts.fail = true;
                }
                (group, kind) => {
                    out.unresolved(
                        R_INVALID_KIND,
                        format!("ExtensionRef {group}/{kind} is not supported"),
                    );
                    parts.fail = true;
                }
            }
        }
        HttpRouteRulesFiltersType::Cors => {
            out.reject("the CORS filter is not supported yet".to_owned())
        }
    }
}

/// Mirror percentage: `percent` (0-100) or `fraction` (numerator/denominator, default 100); absent = all.
fn mirror_fraction(
    percent: Option<i32>,
    fraction: Option<(i32, Option<i32>)>,
) -> Option<RuntimeFractionalPercent> {
    let (numerator, denominator) = match (percent, fraction) {
        (Some(p), _) => (
            u64::try_from(p.clamp(0, 100)).unwrap_or(0),
            fractional_percent::DenominatorType::Hundred,
        ),
        (None, Some((n, d))) => {
            let d = u64::try_from(d.unwrap_or(100).max(1)).unwrap_or(100);
            let n = u64::try_from(n.max(0)).unwrap_or(0).min(d);
            (
                n * 1_000_000 / d,
                fractional_percent::DenominatorType::Million,
            )
        }
        (None, None) => return None,
    };
    Some(RuntimeFractionalPercent {
        default_value: Some(FractionalPercent {
            numerator: u32::try_from(numerator).unwrap_or(u32::MAX),
            denominator: denominator as i32,
        }),
        runtime_key: String::new(),
    })
}

/// Where a forwarding rule sends traffic.
#[derive(Clone, Debug)]
enum Forward {
    Cluster(String),
    Weighted(Vec<(String, u32)>),
    /// No usable backend: answer 500.
    Fail,
}

fn forward_action(
    resources: &Resources,
    out: &mut CompiledRoute,
    rule: &HttpRouteRules,
) -> Forward {
    let namespace = out.key.0.clone();
    let mut valid: Vec<(String, u32)> = Vec::new();
    let mut invalid_weight = 0u32;
    for b in rule.backend_refs.iter().flatten() {
        if b.filters.as_ref().is_some_and(|f| !f.is_empty()) {
            out.reject("filters on backendRefs are not supported yet".to_owned());
        }
        let weight = u32::try_from(b.weight.unwrap_or(1).max(0)).unwrap_or(0);
        let reference = BackendRef {
            group: b.group.as_deref(),
            kind: b.kind.as_deref(),
            name: &b.name,
            namespace: b.namespace.as_deref(),
            port: b.port,
        };
        match backend::resolve(resources, &namespace, reference) {
            Ok(cluster) => {
                if weight > 0 {
                    valid.push((cluster.name.clone(), weight));
                }
                out.clusters.insert(cluster);
            }
            Err(err) => {
                out.unresolved(err.reason, err.message);
                invalid_weight += weight;
            }
        }
    }
    match (valid.as_slice(), invalid_weight) {
        ([], _) => Forward::Fail,
        ([(name, _)], 0) => Forward::Cluster(name.clone()),
        _ => {
            if invalid_weight > 0 {
                // The invalid share goes to a cluster that does not exist; the route answers 500 for it
                // (`cluster_not_found_response_code`), as Gateway API asks.
                valid.push((INVALID_BACKEND_CLUSTER.to_owned(), invalid_weight));
            }
            Forward::Weighted(valid)
        }
    }
}

/// Name of the (never defined) cluster standing for invalid backends in weighted splits.
pub(crate) const INVALID_BACKEND_CLUSTER: &str = "dynagate~invalid-backend";

fn route_action_for(
    parts: &RuleParts<'_>,
    forward: Option<&Forward>,
    m: &ConvertedMatch,
) -> Result<route::Action, String> {
    if parts.fail {
        return Ok(route::Action::DirectResponse(direct::internal_error()));
    }
    if let Some(direct) = &parts.direct {
        return Ok(route::Action::DirectResponse(direct.clone()));
    }
    if let Some(redirect) = parts.redirect {
        let action: RedirectAction = filters::redirect(redirect, &m.path)?;
        return Ok(route::Action::Redirect(action));
    }
    let mut action = RouteAction {
        cluster_not_found_response_code:
            route_action::ClusterNotFoundResponseCode::InternalServerError as i32,
        request_mirror_policies: parts.mirrors.clone(),
        ..RouteAction::default()
    };
    match forward {
        Some(Forward::Cluster(name)) => {
            action.cluster_specifier = Some(route_action::ClusterSpecifier::Cluster(name.clone()))
        }
        Some(Forward::Weighted(list)) => {
            action.cluster_specifier = Some(route_action::ClusterSpecifier::WeightedClusters(
                WeightedCluster {
                    clusters: list
                        .iter()
                        .map(|(name, weight)| weighted_cluster::ClusterWeight {
                            name: name.clone(),
                            weight: Some(UInt32Value { value: *weight }),
                            ..weighted_cluster::ClusterWeight::default()
                        })
                        .collect(),
                    ..WeightedCluster::default()
                },
            ));
        }
        Some(Forward::Fail) | None => {
            return Ok(route::Action::DirectResponse(direct::internal_error()));
        }
    }
    if let Some(rewrite) = parts.rewrite {
        let UrlRewrite { hostname, prefix } = filters::url_rewrite(rewrite, &m.path)?;
        if let Some(host) = hostname {
            action.host_rewrite_specifier =
                Some(route_action::HostRewriteSpecifier::HostRewriteLiteral(host));
        }
        match prefix {
            Some(PrefixReplacement::Prefix(prefix)) => action.prefix_rewrite = prefix,
            Some(PrefixReplacement::Regex(rewrite)) => action.regex_rewrite = Some(rewrite),
            None => {}
        }
    }
    Ok(route::Action::Route(action))
}

/// Applies `timeouts.request` of a rule (Gateway API duration; `0s` disables the timeout).
fn apply_timeouts(route: &mut Route, rule: &HttpRouteRules) -> Result<(), String> {
    let Some(request) = rule.timeouts.as_ref().and_then(|t| t.request.as_deref()) else {
        return Ok(());
    };
    let duration = parse_duration(request).map_err(|e| e.to_string())?;
    if let Some(route::Action::Route(action)) = &mut route.action {
        action.timeout = Some(to_proto(duration));
    }
    Ok(())
}
