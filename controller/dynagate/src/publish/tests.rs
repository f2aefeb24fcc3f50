use std::collections::{BTreeMap, HashMap};

use dynagate_ir::{GatewayKey, ProxyConfig};
use dynagate_xds::{Any, NodeKey, SnapshotCache, type_url};
use envoy_types::pb::envoy::config::cluster::v3::Cluster;
use envoy_types::pb::envoy::config::listener::v3::Listener;
use envoy_types::pb::envoy::config::route::v3::{RouteConfiguration, VirtualHost};

use super::Publisher;

/// A route configuration whose per-filter config map has many entries: prost encodes it in `HashMap`
/// order, so two equal values built separately almost surely encode differently.
fn routes(marker: &str) -> RouteConfiguration {
    let per_filter: HashMap<String, Any> = (0..16)
        .map(|i| {
            let any = Any {
                type_url: "type.googleapis.com/google.protobuf.StringValue".into(),
                value: vec![i],
            };
            (format!("filter-{i}"), any)
        })
        .collect();
    RouteConfiguration {
        name: "listener~80".into(),
        virtual_hosts: vec![VirtualHost {
            name: marker.into(),
            domains: vec!["*".into()],
            typed_per_filter_config: per_filter,
            ..VirtualHost::default()
        }],
        ..RouteConfiguration::default()
    }
}

fn config(cluster: &str, marker: &str) -> ProxyConfig {
    ProxyConfig {
        listeners: vec![Listener {
            name: "listener~80".into(),
            ..Listener::default()
        }],
        route_configs: vec![routes(marker)],
        clusters: vec![Cluster {
            name: cluster.into(),
            ..Cluster::default()
        }],
        ..ProxyConfig::default()
    }
}

fn gateway() -> GatewayKey {
    GatewayKey::new("default", "example")
}

#[test]
fn equal_configurations_translated_twice_publish_nothing_new() {
    let cache = SnapshotCache::default();
    let mut publisher = Publisher::new(cache.clone());
    let first = publisher.publish(&BTreeMap::from([(gateway(), config("backend", "vh"))]));
    assert_eq!(first.updated, [gateway()]);

    // A fresh translation: equal values, freshly built maps.
    let second = publisher.publish(&BTreeMap::from([(gateway(), config("backend", "vh"))]));
    assert!(second.updated.is_empty());
}

#[test]
fn a_change_moves_only_the_changed_types_version() {
    let cache = SnapshotCache::default();
    let mut publisher = Publisher::new(cache.clone());
    publisher.publish(&BTreeMap::from([(gateway(), config("backend", "vh"))]));
    let before = cache.get(&NodeKey::new("default/example")).unwrap();

    // Rebuilt from scratch with only the cluster changed: the route bytes are reused, not re-encoded.
    let third = publisher.publish(&BTreeMap::from([(gateway(), config("backend-2", "vh"))]));
    assert_eq!(third.updated, [gateway()]);
    let after = cache.get(&NodeKey::new("default/example")).unwrap();
    assert_eq!(
        after.type_version(type_url::ROUTE),
        before.type_version(type_url::ROUTE)
    );
    assert_eq!(
        after.type_version(type_url::LISTENER),
        before.type_version(type_url::LISTENER)
    );
    assert_ne!(
        after.type_version(type_url::CLUSTER),
        before.type_version(type_url::CLUSTER)
    );
}

#[test]
fn a_vanished_gateway_gets_an_empty_configuration() {
    let cache = SnapshotCache::default();
    let mut publisher = Publisher::new(cache.clone());
    publisher.publish(&BTreeMap::from([(gateway(), config("backend", "vh"))]));
    let publication = publisher.publish(&BTreeMap::new());
    assert_eq!(publication.removed, [gateway()]);
    let snapshot = cache.get(&NodeKey::new("default/example")).unwrap();
    assert!(
        snapshot.type_urls().is_empty(),
        "listeners and clusters are withdrawn"
    );
}

#[test]
fn a_gateway_with_duplicate_resource_names_keeps_its_previous_snapshot() {
    let cache = SnapshotCache::default();
    let mut publisher = Publisher::new(cache.clone());
    publisher.publish(&BTreeMap::from([(gateway(), config("backend", "vh"))]));
    let good = cache.get(&NodeKey::new("default/example")).unwrap();

    let mut broken = config("backend", "vh");
    broken.clusters.push(Cluster {
        name: "backend".into(),
        ..Cluster::default()
    });
    let publication = publisher.publish(&BTreeMap::from([(gateway(), broken)]));
    assert_eq!(publication.failed.len(), 1);
    assert_eq!(cache.get(&NodeKey::new("default/example")).unwrap(), good);
}
