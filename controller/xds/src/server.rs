//! The tonic ADS service: one task per stream, driven by Envoy's requests and by its node's snapshot.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use envoy_types::pb::envoy::service::discovery::v3::aggregated_discovery_service_server::{
    AggregatedDiscoveryService, AggregatedDiscoveryServiceServer,
};
use envoy_types::pb::envoy::service::discovery::v3::{
    DeltaDiscoveryRequest, DeltaDiscoveryResponse, DiscoveryRequest, DiscoveryResponse,
};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tonic::{Request, Response, Status, Streaming};

use crate::cache::{NodeKey, SnapshotCache};
use crate::rollout::Rollout;
use crate::snapshot::Snapshot;
use crate::stream::{StreamState, Verdict};
use crate::tracker::Nack;

/// Responses buffered per stream before the stream task waits for Envoy to read.
const RESPONSE_BUFFER: usize = 16;

/// Why the xDS server stopped.
#[derive(Debug, thiserror::Error)]
pub enum XdsError {
    /// The gRPC server failed (bind, accept, HTTP/2).
    #[error("xDS gRPC server: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Serves ADS for every snapshot in `cache` on `listener` until `shutdown` resolves; open streams are then
/// ended so the graceful shutdown does not wait for Envoys to hang up.
pub async fn serve(
    cache: SnapshotCache,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), XdsError> {
    let (stop, stopped) = watch::channel(false);
    let service = AdsServer {
        cache,
        stopped: Some(stopped),
    };
    // `stop` outlives the server, so streams see `true` rather than a closed channel.
    let signal = async {
        shutdown.await;
        stop.send_replace(true);
    };
    tonic::transport::Server::builder()
        // Keepalives notice an Envoy that vanished without closing its connection.
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .add_service(service.into_service())
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), signal)
        .await?;
    Ok(())
}

/// The ADS service over a [`SnapshotCache`]; see [`serve`] for a ready server.
#[derive(Clone, Debug)]
pub struct AdsServer {
    cache: SnapshotCache,
    /// Ends every stream when it turns true; `None` when streams end only with their Envoy.
    stopped: Option<watch::Receiver<bool>>,
}

impl AdsServer {
    /// The service, to mount on a tonic server of your own (streams then end only when Envoy hangs up).
    pub fn new(cache: SnapshotCache) -> Self {
        Self {
            cache,
            stopped: None,
        }
    }

    /// Wraps the service for tonic. Responses are not size-limited: a large snapshot is one message.
    pub fn into_service(self) -> AggregatedDiscoveryServiceServer<Self> {
        AggregatedDiscoveryServiceServer::new(self)
    }
}

#[tonic::async_trait]
impl AggregatedDiscoveryService for AdsServer {
    type StreamAggregatedResourcesStream = ReceiverStream<Result<DiscoveryResponse, Status>>;
    type DeltaAggregatedResourcesStream =
        tokio_stream::Empty<Result<DeltaDiscoveryResponse, Status>>;

    async fn stream_aggregated_resources(
        &self,
        request: Request<Streaming<DiscoveryRequest>>,
    ) -> Result<Response<Self::StreamAggregatedResourcesStream>, Status> {
        let (responses, receiver) = mpsc::channel(RESPONSE_BUFFER);
        let session = Session {
            cache: self.cache.clone(),
            requests: request.into_inner(),
            responses,
            stopped: self.stopped.clone(),
        };
        tokio::spawn(session.run());
        Ok(Response::new(ReceiverStream::new(receiver)))
    }

    async fn delta_aggregated_resources(
        &self,
        _request: Request<Streaming<DeltaDiscoveryRequest>>,
    ) -> Result<Response<Self::DeltaAggregatedResourcesStream>, Status> {
        Err(Status::unimplemented(
            "dynagate serves state-of-the-world ADS only: use api_type GRPC, not DELTA_GRPC",
        ))
    }
}

type Responses = mpsc::Sender<Result<DiscoveryResponse, Status>>;

/// One ADS stream before its node is known.
struct Session {
    cache: SnapshotCache,
    requests: Streaming<DiscoveryRequest>,
    responses: Responses,
    stopped: Option<watch::Receiver<bool>>,
}

impl Session {
    async fn run(mut self) {
        let first = match self.requests.message().await {
            Ok(Some(first)) => first,
            Ok(None) => return,
            Err(status) => {
                tracing::debug!(%status, "ADS stream failed before its first request");
                return;
            }
        };
        let node = first.node.clone().unwrap_or_default();
        let Some(key) = NodeKey::from_node(&node) else {
            tracing::warn!(node_id = node.id, "ADS stream without node.cluster refused");
            let refusal = Status::invalid_argument(
                "node.cluster is empty: dynagate serves the Gateway named there as namespace/name",
            );
            let _ = self.responses.send(Err(refusal)).await;
            return;
        };
        let connected = Connected::open(self.cache.clone(), key, node.id);
        tracing::info!(node = %connected.key, node_id = connected.node_id, "Envoy connected");
        let snapshots = self.cache.watch(&connected.key);
        let mut stream = ActiveStream {
            connected,
            snapshots,
            state: StreamState::default(),
            rollout: Rollout::default(),
            responses: self.responses,
        };
        let _ = stream.serve(first, self.requests, self.stopped).await;
        tracing::info!(node = %stream.connected.key, node_id = stream.connected.node_id, "Envoy disconnected");
    }
}

/// Marks an Envoy connected in the tracker for as long as it lives, however the stream ends.
struct Connected {
    cache: SnapshotCache,
    key: NodeKey,
    node_id: String,
}

impl Connected {
    fn open(cache: SnapshotCache, key: NodeKey, node_id: String) -> Self {
        cache.tracker().stream_opened(&key, &node_id);
        Self {
            cache,
            key,
            node_id,
        }
    }
}

impl Drop for Connected {
    fn drop(&mut self) {
        self.cache.tracker().stream_closed(&self.key, &self.node_id);
    }
}

/// Envoy hung up or the server is stopping: the stream ends.
struct Closed;

struct ActiveStream {
    connected: Connected,
    snapshots: watch::Receiver<Option<Arc<Snapshot>>>,
    state: StreamState,
    rollout: Rollout,
    responses: Responses,
}

impl ActiveStream {
    async fn serve(
        &mut self,
        first: DiscoveryRequest,
        mut requests: Streaming<DiscoveryRequest>,
        mut stopped: Option<watch::Receiver<bool>>,
    ) -> Result<(), Closed> {
        // The snapshot current when the stream started is already marked seen: take it now.
        if let Some(snapshot) = self.snapshots.borrow_and_update().clone() {
            self.rollout.set_target(snapshot, Instant::now());
            self.state.hold(self.rollout.held());
        }
        self.on_request(first).await?;
        loop {
            let deadline = self.rollout.deadline();
            tokio::select! {
                request = requests.message() => match request {
                    Ok(Some(request)) => self.on_request(request).await?,
                    Ok(None) => return Ok(()),
                    Err(status) => {
                        tracing::debug!(node = %self.connected.key, %status, "ADS stream error");
                        return Err(Closed);
                    }
                },
                changed = self.snapshots.changed() => {
                    changed.map_err(|_| Closed)?;
                    self.on_snapshot().await?;
                }
                () = until(deadline) => self.advance().await?,
                () = until_stopped(&mut stopped) => return Err(Closed),
            }
        }
    }

    async fn on_request(&mut self, request: DiscoveryRequest) -> Result<(), Closed> {
        // Answered from what the rollout serves; a snapshot that arrived meanwhile still wakes
        // `on_snapshot`, which starts rolling it out.
        let served = self.rollout.served();
        let (verdict, response) = self.state.on_request(&request, served.as_deref());
        self.record(&request, verdict);
        if let Some(response) = response {
            self.send(response).await?;
        }
        // An ACK may end a rollout phase.
        self.advance().await
    }

    async fn on_snapshot(&mut self) -> Result<(), Closed> {
        let Some(snapshot) = self.snapshots.borrow_and_update().clone() else {
            return Ok(());
        };
        self.rollout.set_target(snapshot, Instant::now());
        tracing::debug!(node = %self.connected.key, node_id = self.connected.node_id, phase = ?self.rollout.phase(), "rollout started");
        self.push_served().await?;
        self.advance().await
    }

    /// Moves the rollout on as far as the ACKs so far allow, pushing what that releases.
    async fn advance(&mut self) -> Result<(), Closed> {
        if self.rollout.advance(&self.state, Instant::now()) {
            tracing::debug!(node = %self.connected.key, node_id = self.connected.node_id, phase = ?self.rollout.phase(), "rollout advanced");
            self.push_served().await?;
        }
        Ok(())
    }

    /// Pushes every type whose served content differs from what was sent, minus the held ones.
    async fn push_served(&mut self) -> Result<(), Closed> {
        self.state.hold(self.rollout.held());
        let Some(served) = self.rollout.served() else {
            return Ok(());
        };
        for response in self.state.on_snapshot(&served) {
            self.send(response).await?;
        }
        Ok(())
    }

    fn record(&self, request: &DiscoveryRequest, verdict: Verdict) {
        let Connected {
            cache,
            key,
            node_id,
        } = &self.connected;
        let type_url = request.type_url.as_str();
        match verdict {
            Verdict::Subscribe => {
                tracing::debug!(node = %key, node_id, type_url, names = ?request.resource_names, "subscribed");
            }
            Verdict::Ack { version } => {
                tracing::debug!(node = %key, node_id, type_url, version, "ACK");
                cache.tracker().acked(key, node_id, type_url, &version);
            }
            Verdict::Nack { version, message } => {
                tracing::warn!(node = %key, node_id, type_url, version, reason = message, "Envoy rejected configuration (NACK)");
                cache
                    .tracker()
                    .nacked(key, node_id, type_url, Nack { version, message });
            }
            Verdict::Stale => {
                tracing::debug!(node = %key, node_id, type_url, nonce = request.response_nonce, "stale request ignored");
            }
        }
    }

    async fn send(&self, response: DiscoveryResponse) -> Result<(), Closed> {
        let Connected {
            cache,
            key,
            node_id,
        } = &self.connected;
        tracing::debug!(
            node = %key, node_id, type_url = response.type_url, version = response.version_info,
            resources = response.resources.len(), "push"
        );
        let (type_url, version) = (response.type_url.clone(), response.version_info.clone());
        self.responses
            .send(Ok(response))
            .await
            .map_err(|_| Closed)?;
        cache.tracker().pushed(key, node_id, &type_url, &version);
        Ok(())
    }
}

/// Resolves at `deadline`; never without one.
async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending::<()>().await,
    }
}

/// Resolves once the server stops; never when there is no stop signal (or its sender is gone).
async fn until_stopped(stopped: &mut Option<watch::Receiver<bool>>) {
    if let Some(stopped) = stopped
        && stopped.wait_for(|stop| *stop).await.is_ok()
    {
        return;
    }
    std::future::pending::<()>().await;
}
