use std::collections::BTreeMap;
use std::sync::Arc;

use envoy_types::pb::envoy::config::cluster::v3::Cluster;
use envoy_types::pb::envoy::config::cluster::v3::cluster::{ClusterDiscoveryType, DiscoveryType};
use envoy_types::pb::envoy::service::discovery::v3::{DiscoveryRequest, DiscoveryResponse};
use envoy_types::pb::google::protobuf::Any;
use prost::Message;
use tokio::time::Instant;

use super::{PHASE_TIMEOUT, Phase, Rollout};
use crate::snapshot::{Snapshot, type_url};
use crate::stream::StreamState;

/// Clusters (EDS when `eds`), a listener and a route configuration whose content is `route`.
fn snapshot(clusters: &[&str], eds: bool, route: &str) -> Arc<Snapshot> {
    let kind = if eds {
        DiscoveryType::Eds
    } else {
        DiscoveryType::Static
    };
    let clusters = clusters
        .iter()
        .map(|name| {
            let cluster = Cluster {
                name: (*name).to_owned(),
                cluster_discovery_type: Some(ClusterDiscoveryType::Type(kind as i32)),
                ..Cluster::default()
            };
            let any = Any {
                type_url: type_url::CLUSTER.to_owned(),
                value: cluster.encode_to_vec(),
            };
            ((*name).to_owned(), any)
        })
        .collect();
    let opaque = |url: &str, name: &str, payload: &str| {
        vec![(
            name.to_owned(),
            Any {
                type_url: url.to_owned(),
                value: payload.as_bytes().to_vec(),
            },
        )]
    };
    Arc::new(
        Snapshot::new(BTreeMap::from([
            (type_url::CLUSTER.to_owned(), clusters),
            (
                type_url::LISTENER.to_owned(),
                opaque(type_url::LISTENER, "l80", "listener"),
            ),
            (
                type_url::ROUTE.to_owned(),
                opaque(type_url::ROUTE, "r80", route),
            ),
        ]))
        .unwrap(),
    )
}

fn cluster_names(rollout: &Rollout) -> Vec<String> {
    let served = rollout.served().unwrap();
    served
        .get(type_url::CLUSTER)
        .unwrap()
        .items()
        .iter()
        .map(|item| item.name.clone())
        .collect()
}

fn ack(response: &DiscoveryResponse) -> DiscoveryRequest {
    DiscoveryRequest {
        type_url: response.type_url.clone(),
        version_info: response.version_info.clone(),
        response_nonce: response.nonce.clone(),
        ..DiscoveryRequest::default()
    }
}

/// A stream that subscribed to clusters only and ACKs what it is sent, driven as the server drives it.
fn cds_only_stream(rollout: &Rollout) -> (StreamState, DiscoveryResponse) {
    let mut stream = StreamState::default();
    stream.hold(rollout.held());
    let subscribe = DiscoveryRequest {
        type_url: type_url::CLUSTER.to_owned(),
        ..DiscoveryRequest::default()
    };
    let served = rollout.served();
    let response = stream.on_request(&subscribe, served.as_deref()).1.unwrap();
    (stream, response)
}

/// Lets every phase time out on a stream that ACKs nothing.
fn time_out_to_settled(rollout: &mut Rollout) {
    let idle = StreamState::default();
    while let Some(deadline) = rollout.deadline() {
        assert!(rollout.advance(&idle, deadline));
    }
    assert_eq!(rollout.phase(), Phase::Settled);
}

#[test]
fn a_phase_whose_acks_never_come_ends_at_its_deadline() {
    let start = Instant::now();
    let mut rollout = Rollout::default();
    rollout.set_target(snapshot(&["a"], true, "to-a"), start);
    let stream = StreamState::default();
    assert_eq!(rollout.phase(), Phase::Warming);
    assert!(!rollout.advance(&stream, start));
    assert_eq!(rollout.held(), [type_url::LISTENER, type_url::ROUTE]);
    assert!(rollout.advance(&stream, start + PHASE_TIMEOUT));
    assert_eq!(rollout.phase(), Phase::Switching);
    assert!(rollout.held().is_empty());
    assert!(!rollout.advance(&stream, start + PHASE_TIMEOUT));
    assert!(rollout.advance(&stream, start + PHASE_TIMEOUT * 2));
    assert_eq!(rollout.phase(), Phase::Settled);
    assert_eq!(rollout.deadline(), None);
}

#[test]
fn static_clusters_are_warm_once_their_cds_is_acked() {
    let now = Instant::now();
    let mut rollout = Rollout::default();
    rollout.set_target(snapshot(&["a"], false, "to-a"), now);
    let (mut stream, clusters) = cds_only_stream(&rollout);
    assert!(!rollout.advance(&stream, now), "not ACKed yet");
    let served = rollout.served();
    stream.on_request(&ack(&clusters), served.as_deref());
    assert!(rollout.advance(&stream, now));
    // No listener or route subscription on this stream, and the target has both: still switching.
    assert_eq!(rollout.phase(), Phase::Switching);
}

#[test]
fn new_eds_clusters_are_warm_only_once_their_endpoints_are_acked() {
    let now = Instant::now();
    let mut rollout = Rollout::default();
    rollout.set_target(snapshot(&["a"], true, "to-a"), now);
    let (mut stream, clusters) = cds_only_stream(&rollout);
    let served = rollout.served();
    stream.on_request(&ack(&clusters), served.as_deref());
    assert!(
        !rollout.advance(&stream, now),
        "endpoints of a not requested yet"
    );
    let subscribe = DiscoveryRequest {
        type_url: type_url::ENDPOINT.to_owned(),
        resource_names: vec!["a".to_owned()],
        ..DiscoveryRequest::default()
    };
    let endpoints = stream.on_request(&subscribe, served.as_deref()).1.unwrap();
    assert!(
        !rollout.advance(&stream, now),
        "endpoints of a not ACKed yet"
    );
    stream.on_request(
        &DiscoveryRequest {
            resource_names: vec!["a".to_owned()],
            ..ack(&endpoints)
        },
        served.as_deref(),
    );
    assert!(rollout.advance(&stream, now));
    assert_eq!(rollout.phase(), Phase::Switching);
}

#[test]
fn keeping_the_cluster_names_settles_at_once() {
    let now = Instant::now();
    let mut rollout = Rollout::default();
    rollout.set_target(snapshot(&["a"], true, "to-a"), now);
    time_out_to_settled(&mut rollout);
    let changed_routes = snapshot(&["a"], true, "to-a-with-a-filter");
    rollout.set_target(changed_routes.clone(), now);
    assert_eq!(rollout.phase(), Phase::Settled);
    assert_eq!(rollout.served(), Some(changed_routes));
}

#[test]
fn a_new_target_mid_rollout_keeps_every_cluster_a_sent_route_may_use() {
    let now = Instant::now();
    let idle = StreamState::default();
    let mut rollout = Rollout::default();
    rollout.set_target(snapshot(&["a"], true, "to-a"), now);
    time_out_to_settled(&mut rollout);

    // Still warming `b` (its routes never went out) when `c` replaces it: `b` may go.
    rollout.set_target(snapshot(&["b"], true, "to-b"), now);
    assert_eq!(cluster_names(&rollout), ["a", "b"]);
    rollout.set_target(snapshot(&["c"], true, "to-c"), now);
    assert_eq!(cluster_names(&rollout), ["a", "c"]);

    // Routes to `c` released, then `d` arrives: `a` and `c` both may still be routed to.
    rollout.advance(&idle, now + PHASE_TIMEOUT);
    assert_eq!(rollout.phase(), Phase::Switching);
    rollout.set_target(snapshot(&["d"], true, "to-d"), now);
    assert_eq!(rollout.phase(), Phase::Warming);
    assert_eq!(cluster_names(&rollout), ["a", "c", "d"]);

    // Settled: only the target's clusters remain.
    time_out_to_settled(&mut rollout);
    assert_eq!(cluster_names(&rollout), ["d"]);
}
