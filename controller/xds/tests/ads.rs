//! The ADS server over loopback with a real tonic client playing Envoy's part of the protocol.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers should fail loudly"
)]

use std::collections::BTreeMap;
use std::time::Duration;

use dynagate_xds::{Any, NodeKey, Snapshot, SnapshotCache, XdsMetrics, serve, type_url};
use envoy_types::pb::envoy::config::cluster::v3::Cluster;
use envoy_types::pb::envoy::config::core::v3::Node;
use envoy_types::pb::envoy::config::listener::v3::Listener;
use envoy_types::pb::envoy::service::discovery::v3::aggregated_discovery_service_client::AggregatedDiscoveryServiceClient;
use envoy_types::pb::envoy::service::discovery::v3::{DiscoveryRequest, DiscoveryResponse};
use envoy_types::pb::google::rpc::Status as RpcStatus;
use envoy_types::util::pack_any;
use prost::Message;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Streaming;

#[path = "ads/rollout.rs"]
mod rollout;

const GATEWAY: &str = "default/example";
const DEADLINE: Duration = Duration::from_secs(10);

struct Server {
    address: String,
    cache: SnapshotCache,
    metrics: XdsMetrics,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

async fn start() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let metrics = XdsMetrics::default();
    let cache = SnapshotCache::new(metrics.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn({
        let cache = cache.clone();
        async move {
            serve(cache, listener, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        }
    });
    Server {
        address,
        cache,
        metrics,
        stop: Some(stop),
        task,
    }
}

/// The client half of one ADS stream.
struct FakeEnvoy {
    requests: mpsc::Sender<DiscoveryRequest>,
    responses: Streaming<DiscoveryResponse>,
    node: Option<Node>,
}

impl FakeEnvoy {
    async fn connect(address: &str, cluster: &str) -> Self {
        let mut client = AggregatedDiscoveryServiceClient::connect(address.to_owned())
            .await
            .unwrap();
        let (requests, receiver) = mpsc::channel(16);
        let responses = client
            .stream_aggregated_resources(ReceiverStream::new(receiver))
            .await
            .unwrap()
            .into_inner();
        let node = Node {
            id: "envoy-1".into(),
            cluster: cluster.into(),
            ..Node::default()
        };
        let mut envoy = Self {
            requests,
            responses,
            node: Some(node),
        };
        // Envoy's first request is for clusters.
        envoy.subscribe(type_url::CLUSTER, &[]).await;
        envoy
    }

    async fn send(&mut self, request: DiscoveryRequest) {
        // Envoy names itself on the first request only.
        let request = DiscoveryRequest {
            node: self.node.take(),
            ..request
        };
        self.requests.send(request).await.unwrap();
    }

    async fn subscribe(&mut self, type_url: &str, names: &[&str]) {
        let request = DiscoveryRequest {
            type_url: type_url.into(),
            resource_names: names.iter().map(|n| (*n).to_owned()).collect(),
            ..DiscoveryRequest::default()
        };
        self.send(request).await;
    }

    async fn ack(&mut self, response: &DiscoveryResponse) {
        let request = DiscoveryRequest {
            type_url: response.type_url.clone(),
            version_info: response.version_info.clone(),
            response_nonce: response.nonce.clone(),
            ..DiscoveryRequest::default()
        };
        self.send(request).await;
    }

    async fn nack(&mut self, response: &DiscoveryResponse, reason: &str) {
        let request = DiscoveryRequest {
            type_url: response.type_url.clone(),
            response_nonce: response.nonce.clone(),
            error_detail: Some(RpcStatus {
                code: 3,
                message: reason.into(),
                details: Vec::new(),
            }),
            ..DiscoveryRequest::default()
        };
        self.send(request).await;
    }

    async fn next(&mut self) -> DiscoveryResponse {
        tokio::time::timeout(DEADLINE, self.responses.message())
            .await
            .expect("a response within the deadline")
            .expect("a healthy stream")
            .expect("an open stream")
    }
}

fn names(response: &DiscoveryResponse) -> Vec<String> {
    response
        .resources
        .iter()
        .map(|any| match any.type_url.as_str() {
            type_url::CLUSTER => Cluster::decode(any.value.as_slice()).unwrap().name,
            type_url::LISTENER => Listener::decode(any.value.as_slice()).unwrap().name,
            other => panic!("unexpected type {other}"),
        })
        .collect()
}

fn snapshot(clusters: &[&str], listeners: &[&str]) -> Snapshot {
    let clusters: Vec<(String, Any)> = clusters
        .iter()
        .map(|name| {
            (
                (*name).to_owned(),
                pack_any(Cluster {
                    name: (*name).to_owned(),
                    ..Cluster::default()
                }),
            )
        })
        .collect();
    let listeners: Vec<(String, Any)> = listeners
        .iter()
        .map(|name| {
            (
                (*name).to_owned(),
                pack_any(Listener {
                    name: (*name).to_owned(),
                    ..Listener::default()
                }),
            )
        })
        .collect();
    Snapshot::new(BTreeMap::from([
        (type_url::CLUSTER.to_owned(), clusters),
        (type_url::LISTENER.to_owned(), listeners),
    ]))
    .unwrap()
}

/// Polls `condition` until it holds or the deadline passes.
async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn metrics_text(metrics: &XdsMetrics) -> String {
    let mut registry = prometheus_client::registry::Registry::default();
    metrics.register(&mut registry);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    text
}

#[tokio::test]
async fn subscribe_receive_and_ack() {
    let server = start().await;
    server.cache.set(
        NodeKey::new(GATEWAY),
        snapshot(&["backend"], &["listener~80"]),
    );
    let mut envoy = FakeEnvoy::connect(&server.address, GATEWAY).await;

    let clusters = envoy.next().await;
    assert_eq!(clusters.type_url, type_url::CLUSTER);
    assert_eq!(names(&clusters), ["backend"]);
    envoy.ack(&clusters).await;
    envoy.subscribe(type_url::LISTENER, &[]).await;
    let listeners = envoy.next().await;
    assert_eq!(names(&listeners), ["listener~80"]);
    envoy.ack(&listeners).await;

    let cache = server.cache.clone();
    eventually("both ACKs recorded", || {
        let delivery = cache.delivery();
        let Some(proxy) = delivery.get(GATEWAY).and_then(|ids| ids.get("envoy-1")) else {
            return false;
        };
        proxy
            .types
            .get("envoy.config.listener.v3.Listener")
            .and_then(|t| t.acked_version.clone())
            == Some(listeners.version_info.clone())
            && proxy
                .types
                .get("envoy.config.cluster.v3.Cluster")
                .and_then(|t| t.acked_version.clone())
                == Some(clusters.version_info.clone())
    })
    .await;
    assert_eq!(server.cache.delivery()[GATEWAY]["envoy-1"].streams, 1);
}

#[tokio::test]
async fn an_unknown_node_waits_until_its_snapshot_exists() {
    let server = start().await;
    let mut envoy = FakeEnvoy::connect(&server.address, "default/not-yet").await;
    let cache = server.cache.clone();
    eventually("the stream to register", || {
        cache.delivery().contains_key("default/not-yet")
    })
    .await;
    server
        .cache
        .set(NodeKey::new("default/not-yet"), snapshot(&["late"], &[]));
    assert_eq!(names(&envoy.next().await), ["late"]);
}

#[tokio::test]
async fn a_nack_is_counted_and_the_rejected_version_is_not_resent() {
    let server = start().await;
    server
        .cache
        .set(NodeKey::new(GATEWAY), snapshot(&["broken"], &[]));
    let mut envoy = FakeEnvoy::connect(&server.address, GATEWAY).await;
    let rejected = envoy.next().await;
    envoy.nack(&rejected, "cluster broken: bad lb policy").await;

    let cache = server.cache.clone();
    eventually("the NACK recorded", || {
        cache
            .delivery()
            .get(GATEWAY)
            .and_then(|ids| ids.get("envoy-1"))
            .is_some_and(|proxy| proxy.types["envoy.config.cluster.v3.Cluster"].nacks == 1)
    })
    .await;
    let delivery = server.cache.delivery();
    let clusters = &delivery[GATEWAY]["envoy-1"].types["envoy.config.cluster.v3.Cluster"];
    let nack = clusters.last_nack.as_ref().unwrap();
    assert_eq!(nack.version, rejected.version_info);
    assert_eq!(nack.message, "cluster broken: bad lb policy");
    assert!(
        metrics_text(&server.metrics)
            .contains(r#"dynagate_xds_nacks_total{type="envoy.config.cluster.v3.Cluster"} 1"#)
    );

    // The fix is pushed; the rejected content never came back in between.
    server
        .cache
        .set(NodeKey::new(GATEWAY), snapshot(&["fixed"], &[]));
    let fixed = envoy.next().await;
    assert_eq!(names(&fixed), ["fixed"]);
    assert_ne!(fixed.version_info, rejected.version_info);
}

#[tokio::test]
async fn an_update_pushes_the_changed_type_only_and_an_unchanged_one_pushes_nothing() {
    let server = start().await;
    let key = NodeKey::new(GATEWAY);
    server.cache.set(key.clone(), snapshot(&["a"], &["l1"]));
    let mut envoy = FakeEnvoy::connect(&server.address, GATEWAY).await;
    let clusters = envoy.next().await;
    envoy.ack(&clusters).await;
    envoy.subscribe(type_url::LISTENER, &[]).await;
    let listeners = envoy.next().await;
    envoy.ack(&listeners).await;

    // Recomputing the same content changes nothing.
    assert!(!server.cache.set(key.clone(), snapshot(&["a"], &["l1"])));
    // A listener-only change: the next response is LDS, so no CDS response went out before it.
    assert!(
        server
            .cache
            .set(key.clone(), snapshot(&["a"], &["l1", "l2"]))
    );
    let update = envoy.next().await;
    assert_eq!(update.type_url, type_url::LISTENER);
    assert_eq!(names(&update), ["l1", "l2"]);
    assert_ne!(update.version_info, listeners.version_info);
    envoy.ack(&update).await;

    // Both types change: clusters go first, listeners once the clusters are ACKed.
    server.cache.set(key, snapshot(&["a", "b"], &["l3"]));
    let first = envoy.next().await;
    assert_eq!(first.type_url, type_url::CLUSTER);
    assert_eq!(names(&first), ["a", "b"]);
    envoy.ack(&first).await;
    let second = envoy.next().await;
    assert_eq!(second.type_url, type_url::LISTENER);
    assert_eq!(names(&second), ["l3"]);
}

#[tokio::test]
async fn a_reconnecting_envoy_gets_the_current_snapshot() {
    let server = start().await;
    server
        .cache
        .set(NodeKey::new(GATEWAY), snapshot(&["a"], &[]));
    let mut envoy = FakeEnvoy::connect(&server.address, GATEWAY).await;
    let before = envoy.next().await;
    envoy.ack(&before).await;
    drop(envoy);

    let mut envoy = FakeEnvoy::connect(&server.address, GATEWAY).await;
    let again = envoy.next().await;
    assert_eq!(names(&again), ["a"]);
    assert_eq!(again.version_info, before.version_info);
}

#[tokio::test]
async fn a_stream_without_node_cluster_is_refused() {
    let server = start().await;
    let mut envoy = FakeEnvoy::connect(&server.address, "").await;
    let status = tokio::time::timeout(DEADLINE, envoy.responses.message())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(
        status.message().contains("node.cluster"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn shutdown_ends_open_streams_and_returns() {
    let mut server = start().await;
    server
        .cache
        .set(NodeKey::new(GATEWAY), snapshot(&["a"], &[]));
    let mut envoy = FakeEnvoy::connect(&server.address, GATEWAY).await;
    envoy.next().await;
    server.stop.take().unwrap().send(()).unwrap();
    tokio::time::timeout(DEADLINE, server.task)
        .await
        .expect("serve returns")
        .unwrap();
    let end = tokio::time::timeout(DEADLINE, envoy.responses.message())
        .await
        .unwrap();
    assert!(matches!(end, Ok(None) | Err(_)), "the stream ended");
}
