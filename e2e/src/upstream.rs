//! The echo upstream: an HTTP/1.1 server on 127.0.0.1:0 that answers every request with what it received,
//! shaped by `x-echo-*` request headers, and remembers every request.

mod echo;
#[cfg(test)]
mod tests;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

pub use echo::{
    ECHO_BODY, ECHO_CHUNKED, ECHO_DELAY_MS, ECHO_RESPONSE_HEADER, ECHO_STATUS, EchoedRequest,
};

use crate::body::BoxedBody;
use crate::wait::DEFAULT_WAIT;
use crate::{Cluster, HarnessError};

/// A running echo server; stops (with its connections) when dropped.
pub struct EchoUpstream {
    addr: SocketAddr,
    seen: Arc<Seen>,
    server: JoinHandle<()>,
}

/// Every request received, their count and the request body bytes received so far, for waiters.
struct Seen {
    requests: Mutex<Vec<EchoedRequest>>,
    count: watch::Sender<usize>,
    body_bytes: watch::Sender<usize>,
}

impl EchoUpstream {
    /// Binds 127.0.0.1:0 and serves on the current tokio runtime.
    pub async fn start() -> Result<Self, HarnessError> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|err| HarnessError::io("bind the echo upstream", err))?;
        let addr = listener
            .local_addr()
            .map_err(|err| HarnessError::io("echo upstream address", err))?;
        let seen = Arc::new(Seen {
            requests: Mutex::new(Vec::new()),
            count: watch::Sender::new(0),
            body_bytes: watch::Sender::new(0),
        });
        let server = tokio::spawn(serve(listener, Arc::clone(&seen)));
        Ok(Self { addr, seen, server })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A static cluster named `name` pointing here.
    pub fn cluster(&self, name: &str) -> Cluster {
        Cluster::new(name, self.addr)
    }

    /// Every request received so far, in arrival order of their completion.
    pub fn requests(&self) -> Vec<EchoedRequest> {
        self.seen.lock().clone()
    }

    /// How many requests it has answered (or is answering).
    pub fn request_count(&self) -> usize {
        *self.seen.count.borrow()
    }

    /// Waits until at least `count` requests have arrived; returns all of them.
    pub async fn wait_for_requests(
        &self,
        count: usize,
    ) -> Result<Vec<EchoedRequest>, HarnessError> {
        if wait_for_at_least(&self.seen.count, count).await {
            Ok(self.requests())
        } else {
            Err(HarnessError::Timeout {
                what: format!("{count} requests at the echo upstream {}", self.addr),
                waited: DEFAULT_WAIT,
                detail: format!("it saw {}", self.request_count()),
            })
        }
    }

    /// Request body bytes received so far, over all requests, including requests still streaming in.
    pub fn body_bytes_received(&self) -> usize {
        *self.seen.body_bytes.borrow()
    }

    /// Waits until at least `bytes` request body bytes have arrived (over all requests): observes a body
    /// streaming through Envoy before the request is complete.
    pub async fn wait_for_body_bytes(&self, bytes: usize) -> Result<usize, HarnessError> {
        if wait_for_at_least(&self.seen.body_bytes, bytes).await {
            Ok(self.body_bytes_received())
        } else {
            Err(HarnessError::Timeout {
                what: format!(
                    "{bytes} request body bytes at the echo upstream {}",
                    self.addr
                ),
                waited: DEFAULT_WAIT,
                detail: format!("it received {}", self.body_bytes_received()),
            })
        }
    }
}

/// Whether `value` reached `target` within [`DEFAULT_WAIT`].
async fn wait_for_at_least(value: &watch::Sender<usize>, target: usize) -> bool {
    let mut changes = value.subscribe();
    let reached =
        tokio::time::timeout(DEFAULT_WAIT, changes.wait_for(|seen| *seen >= target)).await;
    matches!(reached, Ok(Ok(_)))
}

impl Drop for EchoUpstream {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection.
        self.server.abort();
    }
}

impl Seen {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<EchoedRequest>> {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, request: EchoedRequest) {
        self.lock().push(request);
        self.count.send_modify(|count| *count += 1);
    }
}

async fn serve(listener: TcpListener, seen: Arc<Seen>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _peer)) = accepted {
                    connections.spawn(serve_connection(stream, Arc::clone(&seen)));
                }
            }
            Some(_done) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: TcpStream, seen: Arc<Seen>) {
    // Failing to disable Nagle only costs latency.
    let _nodelay = stream.set_nodelay(true);
    let service = service_fn(move |request| handle(request, Arc::clone(&seen)));
    // Connection errors (a peer resetting mid-request) are part of what tests provoke; nothing to report.
    let _closed = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn handle(
    request: Request<Incoming>,
    seen: Arc<Seen>,
) -> Result<Response<BoxedBody>, Infallible> {
    let (parts, mut body) = request.into_parts();
    let mut received = Vec::new();
    let mut body_chunks = 0;
    let mut trailers = None;
    while let Some(Ok(frame)) = body.frame().await {
        match frame.into_data() {
            Ok(data) => {
                if !data.is_empty() {
                    body_chunks += 1;
                    received.extend_from_slice(&data);
                    seen.body_bytes.send_modify(|bytes| *bytes += data.len());
                }
            }
            Err(frame) => trailers = frame.into_trailers().ok(),
        }
    }
    let echoed = EchoedRequest::new(&parts, &received, body_chunks, trailers.as_ref());
    seen.record(echoed.clone());
    Ok(echo::respond(&parts.headers, &echoed).await)
}
