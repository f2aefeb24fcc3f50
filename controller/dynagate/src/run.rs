//! `dynagate run`: serve ADS from a directory of manifests, reloading on every change.

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
    let mut controller = Controller::start_with(manifests, xds_addr, admin_addr, options).await?;
    println!(
        "dynagate ready: xds={} admin={}",
        controller.xds_addr(),
        controller.admin_addr()
    );
    tokio::select! {
        () = termination() => {
            tracing::info!("shutting down");
            controller.stop().await
        }
        result = controller.finished() => result,
    }
}

/// A running controller: xDS and admin servers plus the directory watcher. Also what the end-to-end
/// tests start in-process.
#[derive(Debug)]
pub struct Controller {
    xds_addr: SocketAddr,
    admin_addr: SocketAddr,
    stop: watch::Sender<bool>,
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
        let metrics = Arc::new(Metrics::new());
        let cache = SnapshotCache::new(metrics.xds().clone());
        let status = Arc::new(RwLock::new(ControllerStatus::default()));

        let xds_listener = TcpListener::bind(xds_addr)
            .await
            .with_context(|| format!("cannot listen for xDS on {xds_addr}"))?;
        let admin_listener = TcpListener::bind(admin_addr)
            .await
            .with_context(|| format!("cannot listen for admin on {admin_addr}"))?;
        let (xds_local, admin_local) = (xds_listener.local_addr()?, admin_listener.local_addr()?);

        // Watch before the first read, so a change made during it is not missed.
        let watcher = DirWatcher::new(manifests)
            .with_context(|| format!("cannot watch {}", manifests.display()))?;
        let publisher = Publisher::new(cache.clone());
        let mut reloader = Reloader::new(
            manifests.to_path_buf(),
            options,
            publisher,
            status.clone(),
            metrics.clone(),
        );
        reloader.reload().await;

        let (stop, stopped) = watch::channel(false);
        let xds = tokio::spawn(dynagate_xds::serve(
            cache.clone(),
            xds_listener,
            until(stopped.clone()),
        ));
        let admin_state = AdminState {
            metrics,
            status,
            cache,
        };
        let admin = tokio::spawn(admin::serve(
            admin_listener,
            admin_state,
            until(stopped.clone()),
        ));
        let task = tokio::spawn(serve(reloader, watcher, xds, admin, stopped));
        tracing::info!(%xds_local, %admin_local, manifests = %manifests.display(), "dynagate running");
        Ok(Self {
            xds_addr: xds_local,
            admin_addr: admin_local,
            stop,
            task,
        })
    }

    /// Where ADS is served.
    pub fn xds_addr(&self) -> SocketAddr {
        self.xds_addr
    }

    /// Where `/healthz`, `/metrics` and `/status` are served.
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin_addr
    }

    /// Resolves when the controller stops by itself (a server or the watcher failed).
    pub async fn finished(&mut self) -> anyhow::Result<()> {
        (&mut self.task).await?
    }

    /// Stops both servers (ending open ADS streams) and the watcher.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.stop.send_replace(true);
        self.task.await?
    }
}

/// Reloads on every settled change until stopped or until a server ends.
async fn serve(
    mut reloader: Reloader,
    mut watcher: DirWatcher,
    mut xds: JoinHandle<Result<(), dynagate_xds::XdsError>>,
    mut admin: JoinHandle<std::io::Result<()>>,
    stopped: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let stop_signal = until(stopped);
    tokio::pin!(stop_signal);
    let outcome = loop {
        tokio::select! {
            // Stopping ends both servers: check the signal first so their exit is not taken for a failure.
            biased;
            () = &mut stop_signal => break Ok(()),
            change = watcher.changed() => match change {
                Some(()) => reloader.reload().await,
                None => break Err(anyhow::anyhow!("the manifest watcher stopped")),
            },
            result = &mut xds => break Err(anyhow::anyhow!("the xDS server stopped: {result:?}")),
            result = &mut admin => break Err(anyhow::anyhow!("the admin server stopped: {result:?}")),
        }
    };
    match outcome {
        // Both servers saw the same stop signal: let them finish their graceful shutdown.
        Ok(()) => {
            let _ = tokio::join!(xds, admin);
        }
        // One part failed: nothing will send the stop signal, so end the rest here.
        Err(_) => {
            xds.abort();
            admin.abort();
        }
    }
    outcome
}

/// Resolves when `stopped` turns true (or its sender is gone).
async fn until(mut stopped: watch::Receiver<bool>) {
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
