//! Virtual hosts of one route configuration: which routes serve which hostname, in which order, with
//! which policy configs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use envoy_types::pb::envoy::config::route::v3::{Route, RouteConfiguration, VirtualHost};
use envoy_types::pb::google::protobuf::Any;

use super::{Inputs, filter_name, level_configs};
use crate::resources::NsName;
use crate::translate::attach::Attachment;
use crate::translate::backend::ClusterRef;
use crate::translate::detmap;
use crate::translate::gateway::InheritedPriority;
use crate::translate::hostname::{self, specificity};
use crate::translate::policy::status::PolicyUsage;
use crate::translate::policy::{FieldWinners, PolicyField};
use crate::translate::route::{
    CompiledMatch, CompiledRoute, CompiledRule, redirect_to_listener_port,
};

/// Builds route configurations for one Gateway, remembering the clusters its routes use.
pub(crate) struct Builder<'i, 'u> {
    inputs: &'i Inputs<'i>,
    gateway: &'i NsName,
    usage: &'u mut PolicyUsage,
    gateway_winners: FieldWinners,
    rule_winners: HashMap<(NsName, usize), FieldWinners>,
    listener_winners: HashMap<usize, FieldWinners>,
    clusters: BTreeSet<ClusterRef>,
}

/// One Envoy route placed in a virtual host, with its sort key.
struct Placed<'r> {
    host: (u8, usize),
    route: &'r CompiledRoute,
    rule: &'r CompiledRule,
    matched: &'r CompiledMatch,
}

impl<'i, 'u> Builder<'i, 'u> {
    pub(crate) fn new(
        inputs: &'i Inputs<'i>,
        gateway: &'i NsName,
        usage: &'u mut PolicyUsage,
    ) -> Self {
        let gateway_level = inputs
            .policies
            .gateway
            .get(gateway)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let point = format!("Gateway/{}/{}", gateway.0, gateway.1);
        let gateway_winners = level_configs(inputs.policies, &[(gateway_level, &point)]);
        Self {
            inputs,
            gateway,
            usage,
            gateway_winners,
            rule_winners: HashMap::new(),
            listener_winners: HashMap::new(),
            clusters: BTreeSet::new(),
        }
    }

    /// Clusters used by every route placed so far.
    pub(crate) fn clusters(&self) -> BTreeSet<ClusterRef> {
        self.clusters.clone()
    }

    /// The route configuration serving the given listeners (all on one port), and the policy fields it uses.
    pub(crate) fn route_config(
        &mut self,
        name: &str,
        listeners: &[usize],
    ) -> (RouteConfiguration, BTreeSet<PolicyField>) {
        let inputs = self.inputs;
        // Every listener of one route configuration shares its port.
        let port = listeners
            .first()
            .map_or(0, |index| inputs.gateway.listeners[*index].port);
        let entries: Vec<&Attachment> = inputs
            .attachments
            .iter()
            .filter(|a| listeners.contains(&a.listener))
            .collect();
        let mut by_host: HashMap<&str, Vec<usize>> = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            for host in &entry.hostnames {
                by_host.entry(host.as_str()).or_default().push(index);
            }
        }
        let universe: BTreeSet<&str> = by_host.keys().copied().collect();
        let mut used = BTreeSet::new();
        let mut virtual_hosts = Vec::with_capacity(universe.len());
        for host in universe {
            let owner = owner_listener(inputs, listeners, host);
            let mut best: BTreeMap<usize, (u8, usize)> = BTreeMap::new();
            for pattern in covering_patterns(host) {
                for index in by_host.get(pattern.as_str()).into_iter().flatten() {
                    if Some(entries[*index].listener) != owner {
                        continue;
                    }
                    let spec = specificity(&pattern);
                    let slot = best.entry(*index).or_insert(spec);
                    *slot = (*slot).max(spec);
                }
            }
            let mut placed = Vec::new();
            for (index, host_spec) in best {
                let Some(route) = inputs.routes.get(&entries[index].route) else {
                    continue;
                };
                self.clusters.extend(route.clusters.iter().cloned());
                for rule in &route.rules {
                    for matched in &rule.matches {
                        placed.push(Placed {
                            host: host_spec,
                            route,
                            rule,
                            matched,
                        });
                    }
                }
            }
            // Gateway API precedence: the match first, across every route serving this host (a longer
            // path on a wildcard hostname beats `/` on the exact hostname: conformance test
            // HTTPRouteMatchingAcrossRoutes); the most specific hostname only breaks ties, then route age
            // and name, then rule and match order.
            placed.sort_by(|a, b| {
                b.matched
                    .rank
                    .cmp(&a.matched.rank)
                    .then(b.host.cmp(&a.host))
                    .then_with(|| a.route.age.cmp(&b.route.age))
                    .then(a.rule.index.cmp(&b.rule.index))
                    .then(a.matched.match_index.cmp(&b.matched.match_index))
            });
            let listener_winners = owner.map(|l| self.listener_winners(l)).unwrap_or_default();
            let routes: Vec<Route> = placed
                .iter()
                .map(|p| self.route(p, port, &listener_winners, &mut used))
                .collect();
            virtual_hosts.push(VirtualHost {
                name: format!("{name}~{host}"),
                domains: hostname::domains(host),
                routes,
                typed_per_filter_config: self.emit(&listener_winners, &mut used),
                ..VirtualHost::default()
            });
        }
        let gateway_winners = self.gateway_winners.clone();
        let route_config = RouteConfiguration {
            name: name.to_owned(),
            virtual_hosts,
            typed_per_filter_config: self.emit(&gateway_winners, &mut used),
            // Routes reference clusters that may appear a moment later over ADS; do not reject them.
            validate_clusters: Some(envoy_types::pb::google::protobuf::BoolValue { value: false }),
            // Gateway API hostnames never carry a port; `Host: a.com:8080` must match `a.com`.
            ignore_port_in_host_matching: true,
            ..RouteConfiguration::default()
        };
        (route_config, used)
    }

    fn listener_winners(&mut self, listener: usize) -> FieldWinners {
        if let Some(found) = self.listener_winners.get(&listener) {
            return found.clone();
        }
        let name = &self.inputs.gateway.listeners[listener].name;
        let level = self
            .inputs
            .policies
            .listener
            .get(&(self.gateway.clone(), name.clone()));
        let point = format!("Gateway/{}/{}/{name}", self.gateway.0, self.gateway.1);
        let winners = level_configs(
            self.inputs.policies,
            &[(level.map(Vec::as_slice).unwrap_or_default(), &point)],
        );
        self.listener_winners.insert(listener, winners.clone());
        winners
    }

    /// Per-filter configs for a set of winners; records usage.
    fn emit(
        &mut self,
        winners: &FieldWinners,
        used: &mut BTreeSet<PolicyField>,
    ) -> HashMap<String, Any> {
        let mut map = detmap::new_map();
        for (field, (policy, config)) in winners {
            map.insert(filter_name(*field).to_owned(), config.clone());
            used.insert(*field);
            self.usage.effective(policy, self.gateway);
        }
        map
    }

    fn route(
        &mut self,
        placed: &Placed<'_>,
        port: u16,
        listener_winners: &FieldWinners,
        used: &mut BTreeSet<PolicyField>,
    ) -> Route {
        let mut winners = self.winners_for_rule(placed.route, placed.rule);
        if self.inputs.gateway.inherited_priority == InheritedPriority::PreferParent {
            // The parent's value wins: leave the field to the vhost / route configuration level.
            winners.retain(|field, _| {
                !listener_winners.contains_key(field) && !self.gateway_winners.contains_key(field)
            });
        }
        let mut route = placed.matched.route.clone();
        redirect_to_listener_port(&mut route, port);
        route.typed_per_filter_config = self.emit(&winners, used);
        route
    }

    fn winners_for_rule(&mut self, route: &CompiledRoute, rule: &CompiledRule) -> FieldWinners {
        let key = (route.key.clone(), rule.index);
        if let Some(found) = self.rule_winners.get(&key) {
            return found.clone();
        }
        let policies = self.inputs.policies;
        let extension = policies.ordered(&rule.policies);
        let by_name = rule
            .name
            .as_ref()
            .and_then(|n| policies.rule.get(&(route.key.clone(), n.clone())));
        let whole = policies.route.get(&route.key);
        // Attachment points: a rule by name when it has one (stable when rules are reordered), else by index.
        let route_point = format!("HTTPRoute/{}/{}", route.key.0, route.key.1);
        let rule_point = match &rule.name {
            Some(name) => format!("{route_point}/rule/{name}"),
            None => format!("{route_point}/rule/{}", rule.index),
        };
        let winners = level_configs(
            policies,
            &[
                (&extension, &rule_point),
                (by_name.map(Vec::as_slice).unwrap_or_default(), &rule_point),
                (whole.map(Vec::as_slice).unwrap_or_default(), &route_point),
            ],
        );
        self.rule_winners.insert(key, winners.clone());
        winners
    }
}

/// The listener that owns a hostname on a port: the one with the most specific hostname covering it.
fn owner_listener(inputs: &Inputs<'_>, listeners: &[usize], host: &str) -> Option<usize> {
    listeners
        .iter()
        .filter_map(|i| {
            let pattern = inputs.gateway.listeners[*i]
                .hostname
                .as_deref()
                .unwrap_or("*");
            hostname::covers(pattern, host).then(|| (specificity(pattern), *i))
        })
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
        .map(|(_, i)| i)
}

/// Every route hostname that serves requests for `host`: itself, each wildcard suffix, and `*`.
fn covering_patterns(host: &str) -> Vec<String> {
    let mut out = vec![host.to_owned()];
    if host != "*" {
        let bare = host.strip_prefix("*.").unwrap_or(host);
        let mut rest = bare;
        while let Some((_, parent)) = rest.split_once('.') {
            out.push(format!("*.{parent}"));
            rest = parent;
        }
        out.push("*".to_owned());
    }
    out
}
