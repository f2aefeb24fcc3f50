//! Make-before-break over loopback: a route moving to another cluster never reaches the Envoy before that
//! cluster is ACKed and warm, and the old cluster stays until the moved route is ACKed.

use std::collections::BTreeMap;

use dynagate_xds::{Any, NodeKey, Snapshot, type_url};
use envoy_types::pb::envoy::config::cluster::v3::Cluster;
use envoy_types::pb::envoy::config::cluster::v3::cluster::{
    ClusterDiscoveryType, DiscoveryType, EdsClusterConfig,
};
use envoy_types::pb::envoy::config::endpoint::v3::ClusterLoadAssignment;
use envoy_types::pb::envoy::config::listener::v3::Listener;
use envoy_types::pb::envoy::config::route::v3::{RouteConfiguration, VirtualHost};
use envoy_types::pb::envoy::service::discovery::v3::{DiscoveryRequest, DiscoveryResponse};
use envoy_types::util::pack_any;
use prost::Message;

use super::{FakeEnvoy, GATEWAY, start};

const LISTENER: &str = "listener~80";
const ROUTES: &str = "routes~80";

/// A Gateway whose one route sends everything to the EDS cluster `backend`.
fn routed_to(backend: &str) -> Snapshot {
    let cluster = Cluster {
        name: backend.to_owned(),
        cluster_discovery_type: Some(ClusterDiscoveryType::Type(DiscoveryType::Eds as i32)),
        eds_cluster_config: Some(EdsClusterConfig {
            service_name: backend.to_owned(),
            ..EdsClusterConfig::default()
        }),
        ..Cluster::default()
    };
    let endpoints = ClusterLoadAssignment {
        cluster_name: backend.to_owned(),
        ..ClusterLoadAssignment::default()
    };
    let listener = Listener {
        name: LISTENER.to_owned(),
        ..Listener::default()
    };
    // The virtual host's name stands for "routes to `backend`".
    let routes = RouteConfiguration {
        name: ROUTES.to_owned(),
        virtual_hosts: vec![VirtualHost {
            name: backend.to_owned(),
            ..VirtualHost::default()
        }],
        ..RouteConfiguration::default()
    };
    let one = |name: &str, any: Any| vec![(name.to_owned(), any)];
    Snapshot::new(BTreeMap::from([
        (
            type_url::CLUSTER.to_owned(),
            one(backend, pack_any(cluster)),
        ),
        (
            type_url::ENDPOINT.to_owned(),
            one(backend, pack_any(endpoints)),
        ),
        (
            type_url::LISTENER.to_owned(),
            one(LISTENER, pack_any(listener)),
        ),
        (type_url::ROUTE.to_owned(), one(ROUTES, pack_any(routes))),
    ]))
    .unwrap()
}

/// What a response holds, by type: cluster names, endpoint cluster names, listener names, and for route
/// configurations the backend each one routes to.
fn content(response: &DiscoveryResponse) -> Vec<String> {
    response
        .resources
        .iter()
        .map(|any| {
            let bytes = any.value.as_slice();
            match any.type_url.as_str() {
                type_url::CLUSTER => Cluster::decode(bytes).unwrap().name,
                type_url::ENDPOINT => ClusterLoadAssignment::decode(bytes).unwrap().cluster_name,
                type_url::LISTENER => Listener::decode(bytes).unwrap().name,
                type_url::ROUTE => RouteConfiguration::decode(bytes).unwrap().virtual_hosts[0]
                    .name
                    .clone(),
                other => panic!("unexpected type {other}"),
            }
        })
        .collect()
}

impl FakeEnvoy {
    /// ACKs `response` and (re)subscribes to `names` in the same request, as Envoy does.
    async fn ack_with(&mut self, response: &DiscoveryResponse, names: &[&str]) {
        let request = DiscoveryRequest {
            type_url: response.type_url.clone(),
            version_info: response.version_info.clone(),
            response_nonce: response.nonce.clone(),
            resource_names: names.iter().map(|n| (*n).to_owned()).collect(),
            ..DiscoveryRequest::default()
        };
        self.send(request).await;
    }

    /// The next response, which must be of `type_url`.
    async fn next_of(&mut self, type_url: &str) -> DiscoveryResponse {
        let response = self.next().await;
        assert_eq!(response.type_url, type_url, "{:?}", content(&response));
        response
    }

    /// Proves nothing else was queued: the server answers requests in order and pushes synchronously, so
    /// a fresh subscription's answer comes right after whatever it had already decided to send.
    async fn expect_nothing_pending(&mut self, barrier: &str) {
        self.subscribe(type_url::SECRET, &[barrier]).await;
        let response = self.next().await;
        assert_eq!(
            response.type_url,
            type_url::SECRET,
            "something was pushed before the barrier: {:?}",
            content(&response)
        );
    }

    /// Plays Envoy's start-up: CDS, then EDS for its clusters, LDS, RDS, ACKing each. Returns the last
    /// responses per type (clusters, endpoints, listeners, routes).
    async fn converge(&mut self, backend: &str) -> [DiscoveryResponse; 4] {
        let clusters = self.next_of(type_url::CLUSTER).await;
        assert_eq!(content(&clusters), [backend]);
        self.ack(&clusters).await;
        self.subscribe(type_url::ENDPOINT, &[backend]).await;
        let endpoints = self.next_of(type_url::ENDPOINT).await;
        self.ack_with(&endpoints, &[backend]).await;
        self.subscribe(type_url::LISTENER, &[]).await;
        let listeners = self.next_of(type_url::LISTENER).await;
        self.ack(&listeners).await;
        self.subscribe(type_url::ROUTE, &[ROUTES]).await;
        let routes = self.next_of(type_url::ROUTE).await;
        assert_eq!(content(&routes), [backend]);
        self.ack_with(&routes, &[ROUTES]).await;
        [clusters, endpoints, listeners, routes]
    }
}

#[tokio::test]
async fn a_moved_route_waits_for_its_warm_cluster_and_the_old_cluster_outlives_the_old_route() {
    let server = start().await;
    let key = NodeKey::new(GATEWAY);
    server.cache.set(key.clone(), routed_to("a"));
    let mut envoy = FakeEnvoy::connect(&server.address, GATEWAY).await;
    let [_, endpoints, _, _] = envoy.converge("a").await;

    server.cache.set(key, routed_to("b"));
    // Make: both clusters, and nothing routed to `b` before Envoy has it.
    let clusters = envoy.next_of(type_url::CLUSTER).await;
    assert_eq!(content(&clusters), ["a", "b"]);
    envoy.expect_nothing_pending("barrier-1").await;
    // Envoy applies the clusters, then asks for the new cluster's endpoints.
    envoy.ack(&clusters).await;
    envoy.ack_with(&endpoints, &["a", "b"]).await;
    let endpoints = envoy.next_of(type_url::ENDPOINT).await;
    assert_eq!(content(&endpoints), ["a", "b"]);
    envoy.expect_nothing_pending("barrier-2").await;
    // `b` is warm once its endpoints are applied: now the route moves.
    envoy.ack_with(&endpoints, &["a", "b"]).await;
    let routes = envoy.next_of(type_url::ROUTE).await;
    assert_eq!(content(&routes), ["b"]);
    // Break: `a` stays while the old route may still be live.
    envoy.expect_nothing_pending("barrier-3").await;
    envoy.ack_with(&routes, &[ROUTES]).await;
    let clusters = envoy.next_of(type_url::CLUSTER).await;
    assert_eq!(content(&clusters), ["b"]);
    envoy.ack(&clusters).await;
    envoy.ack_with(&endpoints, &["b"]).await;
    let endpoints = envoy.next_of(type_url::ENDPOINT).await;
    assert_eq!(content(&endpoints), ["b"]);
}

#[tokio::test]
async fn each_envoy_of_a_gateway_is_rolled_on_its_own_acks() {
    let server = start().await;
    let key = NodeKey::new(GATEWAY);
    server.cache.set(key.clone(), routed_to("a"));
    let mut fast = FakeEnvoy::connect(&server.address, GATEWAY).await;
    let [_, fast_endpoints, _, _] = fast.converge("a").await;
    let mut slow = FakeEnvoy::connect(&server.address, GATEWAY).await;
    slow.converge("a").await;

    server.cache.set(key, routed_to("b"));
    let fast_clusters = fast.next_of(type_url::CLUSTER).await;
    let slow_clusters = slow.next_of(type_url::CLUSTER).await;
    assert_eq!(content(&slow_clusters), ["a", "b"]);
    fast.ack(&fast_clusters).await;
    fast.ack_with(&fast_endpoints, &["a", "b"]).await;
    let endpoints = fast.next_of(type_url::ENDPOINT).await;
    fast.ack_with(&endpoints, &["a", "b"]).await;
    assert_eq!(content(&fast.next_of(type_url::ROUTE).await), ["b"]);
    // The other Envoy has not ACKed its clusters: it gets no route to `b` yet.
    slow.expect_nothing_pending("barrier").await;
}

#[tokio::test]
async fn a_reconnecting_envoy_gets_routes_only_after_its_clusters_are_warm() {
    let server = start().await;
    server.cache.set(NodeKey::new(GATEWAY), routed_to("b"));
    let mut envoy = FakeEnvoy::connect(&server.address, GATEWAY).await;
    // A reconnecting Envoy asks for everything at once.
    envoy.subscribe(type_url::LISTENER, &[]).await;
    envoy.subscribe(type_url::ROUTE, &[ROUTES]).await;
    let clusters = envoy.next_of(type_url::CLUSTER).await;
    envoy.expect_nothing_pending("barrier").await;
    envoy.ack(&clusters).await;
    envoy.subscribe(type_url::ENDPOINT, &["b"]).await;
    let endpoints = envoy.next_of(type_url::ENDPOINT).await;
    envoy.ack_with(&endpoints, &["b"]).await;
    // Released in push order.
    assert_eq!(
        content(&envoy.next_of(type_url::LISTENER).await),
        [LISTENER]
    );
    assert_eq!(content(&envoy.next_of(type_url::ROUTE).await), ["b"]);
}
