//! One Gateway -> its xDS: a listener per port, one HCM and RouteConfiguration per HTTP port (per
//! listener on HTTPS ports, selected by SNI), virtual hosts per hostname, routes in Gateway API order,
//! policy configs at the level they were attached, and the clusters the routes use.

mod hcm;
mod vhosts;

use std::collections::{BTreeMap, BTreeSet};

use envoy_types::pb::envoy::config::listener::v3::{
    FilterChain, FilterChainMatch, Listener, ListenerFilter, listener_filter,
};
use envoy_types::pb::envoy::extensions::filters::listener::tls_inspector::v3::TlsInspector;

use super::attach::Attachment;
use super::backend::ClusterRef;
use super::clusters::{self, socket};
use super::gateway::{GatewayModel, Protocol};
use super::listener_policy::access_log;
use super::policy::status::PolicyUsage;
use super::policy::{PolicyField, PolicyIndex, merge};
use super::route::CompiledRoute;
use super::tls;
use crate::proxy::{ProxyConfig, pack};
use crate::resources::{NsName, Resources};
use crate::translate::TranslateOptions;

pub(crate) use hcm::filter_name;

/// Everything assembly reads.
pub(crate) struct Inputs<'a> {
    pub(crate) resources: &'a Resources,
    pub(crate) gateway: &'a GatewayModel,
    pub(crate) attachments: &'a [Attachment],
    pub(crate) routes: &'a BTreeMap<NsName, CompiledRoute>,
    pub(crate) policies: &'a PolicyIndex,
    pub(crate) options: &'a TranslateOptions,
}

/// Builds the proxy configuration of one accepted Gateway.
pub(crate) fn assemble(inputs: &Inputs<'_>, usage: &mut PolicyUsage) -> ProxyConfig {
    let gateway_key: NsName = (
        inputs.gateway.key.namespace.clone(),
        inputs.gateway.key.name.clone(),
    );
    record_ancestors(inputs, &gateway_key, usage);

    let mut config = ProxyConfig::default();
    let mut cluster_refs: BTreeSet<ClusterRef> = BTreeSet::new();
    let mut secrets: BTreeSet<NsName> = BTreeSet::new();

    let mut by_port: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
    for (index, listener) in inputs.gateway.listeners.iter().enumerate() {
        if listener.programmable {
            by_port.entry(listener.port).or_default().push(index);
        }
    }
    let mut builder = vhosts::Builder::new(inputs, &gateway_key, usage);
    for (port, listener_indices) in &by_port {
        let name = format!("listener~{port}");
        let access_log = access_log::for_listener(inputs.resources, &gateway_key, *port);
        let https = inputs.gateway.listeners[listener_indices[0]].protocol == Protocol::Https;
        let mut filter_chains = Vec::new();
        if https {
            for index in listener_indices {
                let listener = &inputs.gateway.listeners[*index];
                let rc_name = format!("{name}~{}", listener.name);
                let (route_config, used) = builder.route_config(&rc_name, &[*index]);
                config.route_configs.push(route_config);
                secrets.extend(listener.certificates.iter().cloned());
                filter_chains.push(FilterChain {
                    name: listener.name.clone(),
                    filter_chain_match: listener.hostname.as_ref().map(|host| FilterChainMatch {
                        server_names: vec![host.clone()],
                        ..FilterChainMatch::default()
                    }),
                    transport_socket: Some(tls::downstream_tls(&listener.certificates)),
                    filters: vec![hcm::network_filter(&rc_name, &used, access_log.clone())],
                    ..FilterChain::default()
                });
            }
        } else {
            let (route_config, used) = builder.route_config(&name, listener_indices);
            config.route_configs.push(route_config);
            filter_chains.push(FilterChain {
                filters: vec![hcm::network_filter(&name, &used, access_log)],
                ..FilterChain::default()
            });
        }
        config.listeners.push(Listener {
            name,
            address: Some(socket("0.0.0.0", u32::from(*port))),
            filter_chains,
            listener_filters: if https {
                vec![tls_inspector()]
            } else {
                Vec::new()
            },
            ..Listener::default()
        });
    }
    cluster_refs.extend(builder.clusters());
    drop(builder);

    let (cluster_list, assignments) =
        clusters::build(inputs.resources, &cluster_refs, inputs.options);
    config.clusters = cluster_list;
    config.endpoints = assignments;
    config.secrets = secrets
        .iter()
        .filter_map(|key| {
            inputs
                .resources
                .secrets
                .get(key)
                .map(|secret| tls::envoy_secret(key, secret))
        })
        .collect();
    config.sort();
    config
}

fn tls_inspector() -> ListenerFilter {
    ListenerFilter {
        name: "envoy.filters.listener.tls_inspector".to_owned(),
        config_type: Some(listener_filter::ConfigType::TypedConfig(pack(
            &TlsInspector::default(),
        ))),
        ..ListenerFilter::default()
    }
}

/// A policy is attached to this Gateway if it targets it, one of its listeners, or a route (rule) attached
/// to it.
fn record_ancestors(inputs: &Inputs<'_>, gateway_key: &NsName, usage: &mut PolicyUsage) {
    let policies = inputs.policies;
    if let Some(list) = policies.gateway.get(gateway_key) {
        usage.attached(list, gateway_key);
    }
    for listener in &inputs.gateway.listeners {
        if let Some(list) = policies
            .listener
            .get(&(gateway_key.clone(), listener.name.clone()))
        {
            usage.attached(list, gateway_key);
        }
    }
    let attached_routes: BTreeSet<&NsName> = inputs.attachments.iter().map(|a| &a.route).collect();
    for route_key in attached_routes {
        if let Some(list) = policies.route.get(route_key) {
            usage.attached(list, gateway_key);
        }
        let Some(route) = inputs.routes.get(route_key) else {
            continue;
        };
        for rule in &route.rules {
            usage.attached(&rule.policies, gateway_key);
            if let Some(name) = &rule.name
                && let Some(list) = policies.rule.get(&(route_key.clone(), name.clone()))
            {
                usage.attached(list, gateway_key);
            }
        }
    }
}

/// Per-filter configs of one level, and the fields they cover; each level names its attachment point.
pub(crate) fn level_configs(
    policies: &PolicyIndex,
    levels: &[(&[NsName], &str)],
) -> BTreeMap<PolicyField, (NsName, envoy_types::pb::google::protobuf::Any)> {
    merge(policies, levels.iter().copied())
}
