use std::collections::BTreeMap;

use prometheus_client::encoding::text::encode;
use prometheus_client::registry::Registry;

use super::{NodeKey, SnapshotCache};
use crate::metrics::XdsMetrics;
use crate::snapshot::{Snapshot, type_url};
use envoy_types::pb::envoy::config::core::v3::Node;
use envoy_types::pb::google::protobuf::Any;

fn clusters(names: &[&str]) -> Snapshot {
    let group = names
        .iter()
        .map(|name| {
            let any = Any {
                type_url: type_url::CLUSTER.to_owned(),
                value: name.as_bytes().to_vec(),
            };
            ((*name).to_owned(), any)
        })
        .collect();
    Snapshot::new(BTreeMap::from([(type_url::CLUSTER.to_owned(), group)])).unwrap()
}

fn metrics_text(metrics: &XdsMetrics) -> String {
    let mut registry = Registry::default();
    metrics.register(&mut registry);
    let mut text = String::new();
    encode(&mut text, &registry).unwrap();
    text
}

#[test]
fn the_node_key_is_the_node_cluster() {
    let node = Node {
        id: "envoy-1".into(),
        cluster: "default/gw".into(),
        ..Node::default()
    };
    assert_eq!(NodeKey::from_node(&node), Some(NodeKey::new("default/gw")));
    assert_eq!(
        NodeKey::from_node(&Node {
            id: "envoy-1".into(),
            ..Node::default()
        }),
        None
    );
}

#[test]
fn setting_unchanged_content_wakes_nobody() {
    let cache = SnapshotCache::default();
    let key = NodeKey::new("default/gw");
    let mut watcher = cache.watch(&key);
    assert!(cache.set(key.clone(), clusters(&["a"])));
    assert!(watcher.has_changed().unwrap());
    watcher.borrow_and_update();
    assert!(!cache.set(key.clone(), clusters(&["a"])));
    assert!(!watcher.has_changed().unwrap());
    assert!(cache.set(key, clusters(&["a", "b"])));
    assert!(watcher.has_changed().unwrap());
}

#[test]
fn a_watcher_registered_before_the_snapshot_exists_receives_it() {
    let cache = SnapshotCache::default();
    let key = NodeKey::new("default/late");
    let watcher = cache.watch(&key);
    assert!(watcher.borrow().is_none());
    assert!(
        cache.keys().is_empty(),
        "a watched slot without snapshot is not a key"
    );
    cache.set(key.clone(), clusters(&["a"]));
    assert_eq!(
        watcher
            .borrow()
            .as_ref()
            .map(|s| s.count(type_url::CLUSTER)),
        Some(1)
    );
    assert_eq!(cache.keys(), [key]);
}

#[test]
fn removing_keeps_a_watched_slot_reachable() {
    let cache = SnapshotCache::default();
    let key = NodeKey::new("default/gw");
    let watcher = cache.watch(&key);
    cache.set(key.clone(), clusters(&["a"]));
    cache.remove(&key);
    assert!(cache.get(&key).is_none());
    cache.set(key.clone(), clusters(&["b"]));
    assert!(
        watcher.borrow().is_some(),
        "the stream still watching sees the new snapshot"
    );
}

#[test]
fn resource_counts_follow_the_current_snapshot() {
    let metrics = XdsMetrics::default();
    let cache = SnapshotCache::new(metrics.clone());
    let key = NodeKey::new("default/gw");
    cache.set(key.clone(), clusters(&["a", "b"]));
    let text = metrics_text(&metrics);
    assert!(
        text.contains(
            r#"dynagate_xds_resources{node="default/gw",type="envoy.config.cluster.v3.Cluster"} 2"#
        ),
        "{text}"
    );
    cache.set(key.clone(), Snapshot::empty());
    let text = metrics_text(&metrics);
    assert!(!text.contains(r#"node="default/gw""#), "{text}");
}
