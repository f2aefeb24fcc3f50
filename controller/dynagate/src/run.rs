//! `dynagate run`: serve ADS from a directory of manifests, reloading on every change; and the server
//! start-up and supervision every source shares (the Kubernetes source is in [`crate::kubernetes`]).

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, RwLock};

use anyhow::Context as _;
/// What [`Controller::start_with`] translates with (re-exported for callers without `dynagate-ir`).
pub use dynagate_ir::TranslateOptions;
use dynagate_xds::SnapshotCache;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::admin::{self, AdminState};
use crate::metrics::Metrics;
use crate::publish::Publisher;
use crate::reload::Reloader;
use crate::status::ControllerStatus;
use crate::watch::DirWatcher;

/// Runs until SIGINT/SIGTERM or until a server fails. Prints one line to stdout once both servers are
/// listening: `dynagate ready: xds=ADDR admin=ADDR` (scripts and tests read the real ports from it).
pub async fn run(
    manifests: &Path,
    xds_addr: &str,
    admin_addr: &str,
    options: TranslateOptions,
) -> anyhow::Result<()> {
    let controller = Controller::start_with(manifests, xds_addr, admin_addr, options).await?;
    serve_until_terminated(controller).await
}

/// Prints the `dynagate ready:` line once the first configuration is published, then runs until
/// SIGINT/SIGTERM (stopping gracefully) or until a part fails.
pub async fn serve_until_terminated(mut controller: Controller) -> anyhow::Result<()> {
    let terminated = termination();
    tokio::pin!(terminated);
    let mut ready = controller.ready.clone();
    tokio::select! {
        Ok(_) = ready.wait_for(|ready| *ready) => println!(
            "dynagate ready: xds={} admin={}",
            controller.xds_addr(),
            controller.admin_addr()
        ),
        () = &mut terminated => {
            tracing::info!("shutting down before the first configuration");
            return controller.stop().await;
        }
        result = controller.finished() => return result,
    }
    tokio::select! {
        () = &mut terminated => {
            tracing::info!("shutting down");
            controller.stop().await
        }
        result = controller.finished() => result,
    }
}

/// A running controller: xDS and admin servers plus the source that feeds them (a directory watcher or
/// Kubernetes watches). Also what the end-to-end tests start in-process.
#[derive(Debug)]
pub struct Controller {
    xds_addr: SocketAddr,
    admin_addr: SocketAddr,
    stop: watch::Sender<bool>,
    /// Turns true once the first configuration is published.
    ready: watch::Receiver<bool>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Controller {
    /// Binds both servers (port 0 picks a free one), loads `manifests` once, and serves; returns once the
    /// first configuration (or the first rejection) is in place.
    pub async fn start(manifests: &Path, xds_addr: &str, admin_addr: &str) -> anyhow::Result<Self> {
        Self::start_with(manifests, xds_addr, admin_addr, TranslateOptions::default()).await
    }

    /// [`Self::start`], translating with `options` (e.g. an STS endpoint override).
    pub async fn start_with(
        manifests: &Path,
        xds_addr: &str,
        admin_addr: &str,
        options: TranslateOptions,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(
            manifests.is_dir(),
            "{} is not a directory",
            manifests.display()
        );
        let servers = Servers::bind(xds_addr, admin_addr).await?;

        // Watch before the first read, so a change made during it is not missed.
        let mut watcher = DirWatcher::new(manifests)
            .with_context(|| format!("cannot watch {}", manifests.display()))?;
        let publisher = Publisher::new(servers.cache.clone());
        let mut reloader = Reloader::new(
            manifests.to_path_buf(),
            options,
            publisher,
            servers.status.clone(),
            servers.metrics.clone(),
        );
        reloader.reload().await;

        tracing::info!(xds = %servers.xds_addr, admin = %servers.admin_addr, manifests = %manifests.display(), "dynagate running");
        let (_, ready) = watch::channel(true);
        Ok(servers.serve(ready, move |stopped| async move {
            let stop_signal = until(stopped);
            tokio::pin!(stop_signal);
            loop {
                tokio::select! {
                    biased;
                    () = &mut stop_signal => return Ok(()),
                    change = watcher.changed() => match change {
                        Some(()) => reloader.reload().await,
                        None => anyhow::bail!("the manifest watcher stopped"),
                    },
                }
            }
        }))
    }

    /// Where ADS is served.
    pub fn xds_addr(&self) -> SocketAddr {
        self.xds_addr
    }

    /// Where `/healthz`, `/metrics` and `/status` are served.
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin_addr
    }

    /// Resolves once the first configuration is published (at once for a directory, which is read
    /// before [`Self::start`] returns; after the initial lists for Kubernetes).
    pub async fn ready(&mut self) {
        if self.ready.wait_for(|ready| *ready).await.is_err() {
            // The source ended before publishing: `finished` reports why.
            std::future::pending::<()>().await;
        }
    }

    /// Resolves when the controller stops by itself (a server or the source failed).
    pub async fn finished(&mut self) -> anyhow::Result<()> {
        (&mut self.task).await?
    }

    /// Stops both servers (ending open ADS streams) and the source.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.stop.send_replace(true);
        self.task.await?
    }
}

/// The xDS and admin servers every mode runs, bound but not yet serving, with the state they read.
#[derive(Debug)]
pub(crate) struct Servers {
    /// Where ADS is served.
    pub xds_addr: SocketAddr,
    /// Where the admin endpoint is served.
    pub admin_addr: SocketAddr,
    /// The registry behind `/metrics`.
    pub metrics: Arc<Metrics>,
    /// What the xDS server serves.
    pub cache: SnapshotCache,
    /// The document behind `/status`.
    pub status: Arc<RwLock<ControllerStatus>>,
    xds_listener: TcpListener,
    admin_listener: TcpListener,
}

impl Servers {
    /// Binds both listeners (port 0 picks a free one).
    pub(crate) async fn bind(xds_addr: &str, admin_addr: &str) -> anyhow::Result<Self> {
        let metrics = Arc::new(Metrics::new());
        let cache = SnapshotCache::new(metrics.xds().clone());
        let xds_listener = TcpListener::bind(xds_addr)
            .await
            .with_context(|| format!("cannot listen for xDS on {xds_addr}"))?;
        let admin_listener = TcpListener::bind(admin_addr)
            .await
            .with_context(|| format!("cannot listen for admin on {admin_addr}"))?;
        Ok(Self {
            xds_addr: xds_listener.local_addr()?,
            admin_addr: admin_listener.local_addr()?,
            metrics,
            cache,
            status: Arc::new(RwLock::new(ControllerStatus::default())),
            xds_listener,
            admin_listener,
        })
    }

    /// Starts serving, and runs the source loop `source(stopped)` beside the servers. The loop must
    /// return `Ok` once `stopped` turns true; returning before that, or either server ending, stops all.
    pub(crate) fn serve<S, F>(self, ready: watch::Receiver<bool>, source: S) -> Controller
    where
        S: FnOnce(watch::Receiver<bool>) -> F,
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let (stop, stopped) = watch::channel(false);
        let xds = tokio::spawn(dynagate_xds::serve(
            self.cache.clone(),
            self.xds_listener,
            until(stopped.clone()),
        ));
        let admin_state = AdminState {
            metrics: self.metrics,
            status: self.status,
            cache: self.cache,
            ready: ready.clone(),
        };
        let admin = tokio::spawn(admin::serve(
            self.admin_listener,
            admin_state,
            until(stopped.clone()),
        ));
        let source = tokio::spawn(source(stopped.clone()));
        let task = tokio::spawn(supervise(source, xds, admin, stopped));
        Controller {
            xds_addr: self.xds_addr,
            admin_addr: self.admin_addr,
            stop,
            ready,
            task,
        }
    }
}

/// Which part of a running controller ended first.
enum Ended {
    Stop,
    Source(Result<anyhow::Result<()>, tokio::task::JoinError>),
    Xds(Result<Result<(), dynagate_xds::XdsError>, tokio::task::JoinError>),
    Admin(Result<std::io::Result<()>, tokio::task::JoinError>),
}

/// Waits until stopped or until one part ends; a part ending by itself is a failure that ends the rest.
async fn supervise(
    mut source: JoinHandle<anyhow::Result<()>>,
    mut xds: JoinHandle<Result<(), dynagate_xds::XdsError>>,
    mut admin: JoinHandle<std::io::Result<()>>,
    stopped: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let stop_requested = stopped.clone();
    let stop_signal = until(stopped);
    tokio::pin!(stop_signal);
    let ended = tokio::select! {
        biased;
        () = &mut stop_signal => Ended::Stop,
        result = &mut source => Ended::Source(result),
        result = &mut xds => Ended::Xds(result),
        result = &mut admin => Ended::Admin(result),
    };
    // A server that saw the stop signal can finish before this task sees it (another thread sent it
    // between two polls above): that is a stop too, not a failure.
    if matches!(ended, Ended::Stop) || *stop_requested.borrow() {
        // Every part saw the same stop signal: let the others finish their graceful shutdown.
        let (xds_ended, admin_ended) = (
            matches!(ended, Ended::Xds(_)),
            matches!(ended, Ended::Admin(_)),
        );
        let source_result = match ended {
            Ended::Source(result) => result,
            _ => source.await,
        };
        if !xds_ended {
            let _ = xds.await;
        }
        if !admin_ended {
            let _ = admin.await;
        }
        if let Ok(Err(err)) = source_result {
            tracing::warn!(error = %err, "the configuration source failed while stopping");
        }
        return Ok(());
    }
    // One part failed: nothing will send the stop signal, so end the rest here.
    source.abort();
    xds.abort();
    admin.abort();
    Err(match ended {
        Ended::Stop => anyhow::anyhow!("stopped"),
        Ended::Source(Ok(Ok(()))) => anyhow::anyhow!("the configuration source stopped"),
        Ended::Source(Ok(Err(err))) => err,
        Ended::Source(Err(err)) => anyhow::anyhow!("the configuration source failed: {err}"),
        Ended::Xds(result) => anyhow::anyhow!("the xDS server stopped: {result:?}"),
        Ended::Admin(result) => anyhow::anyhow!("the admin server stopped: {result:?}"),
    })
}

/// Resolves when `stopped` turns true (or its sender is gone).
pub async fn until(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// SIGINT (Ctrl-C) or SIGTERM (Kubernetes, `kill`).
async fn termination() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        ) {
            Ok(terminate) => terminate,
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM; only Ctrl-C stops dynagate");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
