//! Envoy clusters and endpoint assignments for the backends a Gateway's routes use.

use std::collections::BTreeSet;
use std::net::IpAddr;

use envoy_types::pb::envoy::config::cluster::v3::{Cluster, cluster};
use envoy_types::pb::envoy::config::core::v3::{
    Address, Http2ProtocolOptions, SocketAddress, address, socket_address,
};
use envoy_types::pb::envoy::config::endpoint::v3::{
    ClusterLoadAssignment, Endpoint, LbEndpoint, LocalityLbEndpoints, lb_endpoint,
};
use envoy_types::pb::envoy::extensions::upstreams::http::v3::{
    HttpProtocolOptions, http_protocol_options,
};

use super::backend::{ClusterRef, ClusterSource, is_http2_app_protocol, service_port_is_http2};
use super::duration::to_proto;
use super::tls::ads_config_source;
use crate::proxy::pack;
use crate::resources::Resources;
use crate::translate::TranslateOptions;

const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
const HTTP_PROTOCOL_OPTIONS: &str = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

/// Builds the clusters (and, for EDS clusters, their endpoints) for a set of resolved backends.
/// Lambda Backends using the proxy's credentials add one STS cluster per region (sorted, shared).
pub(crate) fn build(
    resources: &Resources,
    refs: &BTreeSet<ClusterRef>,
    options: &TranslateOptions,
) -> (Vec<Cluster>, Vec<ClusterLoadAssignment>) {
    let mut clusters = Vec::with_capacity(refs.len());
    let mut assignments = Vec::new();
    let mut sts_regions = BTreeSet::new();
    for reference in refs {
        let (cluster, assignment) = build_one(resources, reference, options, &mut sts_regions);
        clusters.push(cluster);
        assignments.extend(assignment);
    }
    clusters.extend(
        sts_regions
            .iter()
            .map(|region| super::backend::lambda::sts_cluster(region, options)),
    );
    (clusters, assignments)
}

fn base_cluster(name: &str, discovery: cluster::DiscoveryType, http2: bool) -> Cluster {
    let mut cluster = Cluster {
        name: name.to_owned(),
        connect_timeout: Some(to_proto(CONNECT_TIMEOUT)),
        cluster_discovery_type: Some(cluster::ClusterDiscoveryType::Type(discovery as i32)),
        ..Cluster::default()
    };
    if http2 {
        let options = HttpProtocolOptions {
            upstream_protocol_options: Some(http_protocol_options::UpstreamProtocolOptions::ExplicitHttpConfig(
                http_protocol_options::ExplicitHttpConfig {
                    protocol_config: Some(http_protocol_options::explicit_http_config::ProtocolConfig::Http2ProtocolOptions(
                        Http2ProtocolOptions::default(),
                    )),
                },
            )),
            ..HttpProtocolOptions::default()
        };
        // One entry only: a map with several entries would encode in hash order.
        cluster
            .typed_extension_protocol_options
            .insert(HTTP_PROTOCOL_OPTIONS.to_owned(), pack(&options));
    }
    cluster
}

fn build_one(
    resources: &Resources,
    reference: &ClusterRef,
    options: &TranslateOptions,
    sts_regions: &mut BTreeSet<String>,
) -> (Cluster, Option<ClusterLoadAssignment>) {
    match &reference.source {
        ClusterSource::Service { service, port } => {
            let service_port = resources
                .services
                .get(service)
                .and_then(|s| s.spec.as_ref())
                .and_then(|s| s.ports.as_ref())
                .and_then(|ports| ports.iter().find(|p| p.port == *port));
            let mut cluster = base_cluster(
                &reference.name,
                cluster::DiscoveryType::Eds,
                service_port_is_http2(service_port),
            );
            cluster.eds_cluster_config = Some(cluster::EdsClusterConfig {
                eds_config: Some(ads_config_source()),
                service_name: String::new(),
            });
            let port_name = service_port
                .and_then(|p| p.name.clone())
                .unwrap_or_default();
            let endpoints = service_endpoints(resources, service, &port_name);
            (cluster, Some(assignment(&reference.name, endpoints)))
        }
        ClusterSource::ExternalName { host, port, http2 } => {
            let mut cluster =
                base_cluster(&reference.name, cluster::DiscoveryType::StrictDns, *http2);
            let port = u32::try_from(*port).unwrap_or_default();
            cluster.load_assignment = Some(assignment(&reference.name, vec![(host.clone(), port)]));
            (cluster, None)
        }
        ClusterSource::StaticBackend { backend } => {
            let spec = resources
                .backends
                .get(backend)
                .and_then(|b| b.spec.static_backend.as_ref());
            let hosts: Vec<(String, u32)> = spec
                .map(|s| {
                    s.hosts
                        .iter()
                        .map(|h| (h.host.clone(), u32::from(h.port)))
                        .collect()
                })
                .unwrap_or_default();
            let all_ips = hosts.iter().all(|(h, _)| h.parse::<IpAddr>().is_ok());
            let discovery = if all_ips {
                cluster::DiscoveryType::Static
            } else {
                cluster::DiscoveryType::StrictDns
            };
            let http2 = spec
                .and_then(|s| s.app_protocol.as_deref())
                .is_some_and(is_http2_app_protocol);
            let mut cluster = base_cluster(&reference.name, discovery, http2);
            cluster.load_assignment = Some(assignment(&reference.name, hosts));
            (cluster, None)
        }
        ClusterSource::LambdaBackend { backend } => {
            let (cluster, sts_region) =
                super::backend::lambda::build_cluster(resources, &reference.name, backend, options);
            sts_regions.extend(sts_region);
            (cluster, None)
        }
    }
}

/// Ready endpoint addresses of a Service port, from its EndpointSlices, sorted and deduplicated.
fn service_endpoints(
    resources: &Resources,
    service: &crate::resources::NsName,
    port_name: &str,
) -> Vec<(String, u32)> {
    let mut out = BTreeSet::new();
    for slice_key in resources
        .slices_by_service
        .get(service)
        .into_iter()
        .flatten()
    {
        let Some(slice) = resources.endpoint_slices.get(slice_key) else {
            continue;
        };
        let port = slice
            .ports
            .iter()
            .flatten()
            .find(|p| p.name.as_deref().unwrap_or_default() == port_name)
            .and_then(|p| p.port)
            .and_then(|p| u32::try_from(p).ok());
        let Some(port) = port else { continue };
        for endpoint in slice.endpoints.iter().flatten() {
            // Kubernetes: an absent `ready` means ready.
            if endpoint.conditions.as_ref().and_then(|c| c.ready) == Some(false) {
                continue;
            }
            for address in &endpoint.addresses {
                out.insert((address.clone(), port));
            }
        }
    }
    out.into_iter().collect()
}

pub(crate) fn assignment(
    cluster_name: &str,
    endpoints: Vec<(String, u32)>,
) -> ClusterLoadAssignment {
    let lb_endpoints = endpoints
        .into_iter()
        .map(|(host, port)| LbEndpoint {
            host_identifier: Some(lb_endpoint::HostIdentifier::Endpoint(Endpoint {
                address: Some(socket(&host, port)),
                ..Endpoint::default()
            })),
            ..LbEndpoint::default()
        })
        .collect::<Vec<_>>();
    ClusterLoadAssignment {
        cluster_name: cluster_name.to_owned(),
        endpoints: if lb_endpoints.is_empty() {
            Vec::new()
        } else {
            vec![LocalityLbEndpoints {
                lb_endpoints,
                ..LocalityLbEndpoints::default()
            }]
        },
        ..ClusterLoadAssignment::default()
    }
}

/// A TCP socket address.
pub(crate) fn socket(host: &str, port: u32) -> Address {
    Address {
        address: Some(address::Address::SocketAddress(SocketAddress {
            address: host.to_owned(),
            port_specifier: Some(socket_address::PortSpecifier::PortValue(port)),
            ..SocketAddress::default()
        })),
    }
}
