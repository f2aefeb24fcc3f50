//! The admin HTTP endpoint: `/healthz` (alive), `/readyz` (first configuration published), `/metrics`
//! (Prometheus text), `/status` (JSON).

use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use dynagate_xds::SnapshotCache;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::metrics::Metrics;
use crate::status::ControllerStatus;

/// What the admin handlers read.
#[derive(Clone, Debug)]
pub struct AdminState {
    /// The registry behind `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The document behind `/status` (without the xDS part, read live from the cache).
    pub status: Arc<RwLock<ControllerStatus>>,
    /// The snapshot cache, for per-Envoy delivery state.
    pub cache: SnapshotCache,
    /// True once the first configuration is published (Kubernetes: after every watch listed), so a
    /// replica that is still syncing is kept out of the xDS Service.
    pub ready: watch::Receiver<bool>,
}

/// The admin routes.
pub fn router(state: AdminState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/status", get(status))
        .with_state(state)
}

/// Serves the admin routes on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AdminState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<AdminState>) -> Response {
    if *state.ready.borrow() {
        "ok\n".into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the first configuration is not published yet\n",
        )
            .into_response()
    }
}

async fn metrics(State(state): State<AdminState>) -> Response {
    match state.metrics.encode() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot encode metrics: {err}\n"),
        )
            .into_response(),
    }
}

async fn status(State(state): State<AdminState>) -> Json<ControllerStatus> {
    let mut status = state
        .status
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    status.xds = state.cache.delivery();
    Json(status)
}
