//! `dynagate run --kubernetes`: the same translation and xDS serving as the directory mode, fed by
//! watches of a cluster instead of files, plus what only a cluster has: status written back to the
//! objects and the Envoy proxies deployed for each Gateway, both by the elected leader only.
//!
//! Data flow: [`dynagate_kube_source::KubeSource`] (watches, debounced) -> [`sync::Syncer`]
//! (`LastGood::translate`, the same as the directory mode, then [`crate::publish::Publisher`]) -> xDS.
//! Every replica serves xDS (each Envoy may connect to any); [`writers`] writes status and proxies
//! while this replica leads.

mod deploy_status;
mod settings;
mod sync;
mod writers;

use dynagate_kube_source::KubeSource;
use dynagate_kube_status::{LeaderElection, LeaseConfig, StatusWriter};
use tokio::sync::watch;

pub use settings::{KubernetesSettings, SettingsError};

use crate::publish::Publisher;
use crate::run::{Controller, Servers, TranslateOptions, serve_until_terminated};
use sync::Syncer;
use writers::Writers;

#[cfg(test)]
mod tests;

/// Runs until SIGINT/SIGTERM or until a part fails; prints `dynagate ready: xds=ADDR admin=ADDR` once
/// the first complete state of the cluster is published.
pub async fn run(
    settings: KubernetesSettings,
    xds_addr: &str,
    admin_addr: &str,
    options: TranslateOptions,
) -> anyhow::Result<()> {
    let client = kube::Client::try_default().await.map_err(|err| {
        anyhow::anyhow!("cannot configure a Kubernetes client (in-cluster or KUBECONFIG): {err}")
    })?;
    let controller = start(client, settings, xds_addr, admin_addr, options).await?;
    serve_until_terminated(controller).await
}

/// Binds both servers, starts the watches and serves; [`Controller::ready`] resolves once the first
/// complete state is published. Both servers answer from the start (`/healthz` for probes, xDS
/// streams wait for their first snapshot).
pub async fn start(
    client: kube::Client,
    settings: KubernetesSettings,
    xds_addr: &str,
    admin_addr: &str,
    options: TranslateOptions,
) -> anyhow::Result<Controller> {
    let settings = settings.resolve(client.default_namespace())?;
    let servers = Servers::bind(xds_addr, admin_addr).await?;
    let source = KubeSource::start(client.clone()).await?;

    let lease = LeaseConfig::new(
        settings.namespace.clone(),
        settings.lease_name.clone(),
        settings.identity.clone(),
    );
    tracing::info!(
        namespace = %lease.namespace,
        lease = %lease.name,
        identity = %lease.identity,
        "competing for leadership (the leader writes status and deploys proxies)"
    );
    let leader = LeaderElection::spawn(client.clone(), lease);
    let status_writer = StatusWriter::spawn(client.clone());
    let deployer = settings
        .deployer
        .clone()
        .map(|deployer| dynagate_deployer::Deployer::new(client.clone(), deployer));
    if deployer.is_none() {
        tracing::info!(
            "no --envoy-image: not deploying proxies (Gateways' Envoys are managed elsewhere)"
        );
    }
    let writers = Writers::spawn(leader, status_writer, deployer);

    let syncer = Syncer::new(
        options,
        settings.clone(),
        Publisher::new(servers.cache.clone()),
        servers.status.clone(),
        servers.metrics.clone(),
        writers,
    );
    tracing::info!(xds = %servers.xds_addr, admin = %servers.admin_addr, "dynagate running (kubernetes)");
    let (ready_tx, ready) = watch::channel(false);
    Ok(servers.serve(ready, move |stopped| syncer.run(source, ready_tx, stopped)))
}
