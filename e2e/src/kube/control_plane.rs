//! Starting the control plane's processes on free loopback ports and waiting until each is ready.
//!
//! etcd and the apiserver cannot bind port 0 and report it, so ports are reserved (bound and released) and a
//! start that loses the race to another process is retried on new ports.

use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::Api;
use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::kube::daemon::Daemon;
use crate::kube::kubeconfig::{self, Credentials};
use crate::kube::pki::{Pki, path_arg};
use crate::wait::Deadline;
use crate::{HarnessError, HttpRequest, reserve_port};

/// Starts that lose a port race are retried this many times in all.
const ATTEMPTS: usize = 3;
/// etcd is ready in under a second and the apiserver in about 4; the margin is for a busy machine.
const START_WAIT: Duration = Duration::from_secs(90);
/// Where the apiserver allocates Service ClusterIPs (never routed: nothing here uses them).
const SERVICE_RANGE: &str = "10.0.0.0/24";
/// The ServiceAccount token issuer and audience, as on a typical cluster.
const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

/// etcd on two reserved ports, with its own data directory; returns it and its client URL.
pub(crate) async fn start_etcd(
    bin_dir: &Path,
    root: &Path,
) -> Result<(Daemon, String), HarnessError> {
    let mut last_failure = None;
    for attempt in 1..=ATTEMPTS {
        let [client, peer] = reserve_ports()?;
        let url = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let args = [
            "--name=default".to_owned(),
            format!(
                "--data-dir={}",
                root.join(format!("etcd-{attempt}")).display()
            ),
            format!("--listen-client-urls={url}"),
            format!("--advertise-client-urls={url}"),
            format!("--listen-peer-urls={peer_url}"),
            format!("--initial-advertise-peer-urls={peer_url}"),
            format!("--initial-cluster=default={peer_url}"),
            "--logger=zap".to_owned(),
            "--log-level=warn".to_owned(),
        ];
        let etcd = Daemon::spawn("etcd", &bin_dir.join("etcd"), &args, &[], root)?;
        let addr = SocketAddr::from(([127, 0, 0, 1], client));
        match wait_ready(&etcd, || etcd_healthy(addr)).await {
            Ok(()) => return Ok((etcd, url)),
            Err(failure) if etcd.exit_status().is_some() => last_failure = Some(failure),
            Err(failure) => return Err(failure),
        }
    }
    Err(last_failure.unwrap_or_else(|| gave_up("etcd")))
}

/// The apiserver, its admin kubeconfig and an admin client.
pub(crate) struct Apiserver {
    pub(crate) daemon: Daemon,
    pub(crate) server: String,
    pub(crate) admin_kubeconfig: PathBuf,
    pub(crate) client: kube::Client,
}

/// kube-apiserver on a reserved port, backed by `etcd_url`, ready once `/readyz` answers `ok`.
pub(crate) async fn start_apiserver(
    bin_dir: &Path,
    root: &Path,
    pki: &Pki,
    etcd_url: &str,
) -> Result<Apiserver, HarnessError> {
    let admin_kubeconfig = root.join("admin.kubeconfig");
    let mut last_failure = None;
    for _attempt in 1..=ATTEMPTS {
        let port = reserve_port()?;
        let server = format!("https://127.0.0.1:{port}");
        let text = kubeconfig::render(
            &server,
            &pki.ca_cert,
            "admin",
            &Credentials::ClientCert {
                cert: &pki.admin_cert,
                key: &pki.admin_key,
            },
            "default",
        )?;
        std::fs::write(&admin_kubeconfig, text).map_err(|err| {
            HarnessError::io(format!("write {}", admin_kubeconfig.display()), err)
        })?;
        let client = admin_client(&admin_kubeconfig).await?;
        let args = [
            format!("--etcd-servers={etcd_url}"),
            "--bind-address=127.0.0.1".to_owned(),
            format!("--secure-port={port}"),
            "--insecure-port=0".to_owned(),
            format!("--cert-dir={}", root.join("apiserver-certs").display()),
            format!("--tls-cert-file={}", path_arg(&pki.serving_cert)),
            format!("--tls-private-key-file={}", path_arg(&pki.serving_key)),
            format!("--client-ca-file={}", path_arg(&pki.ca_cert)),
            format!(
                "--service-account-key-file={}",
                path_arg(&pki.service_account_public_key)
            ),
            format!(
                "--service-account-signing-key-file={}",
                path_arg(&pki.service_account_key)
            ),
            format!("--service-account-issuer={ISSUER}"),
            format!("--api-audiences={ISSUER}"),
            format!("--service-cluster-ip-range={SERVICE_RANGE}"),
            "--authorization-mode=RBAC".to_owned(),
            // No kubelet serves the `kubernetes` Service; nothing must keep rewriting its endpoints.
            "--endpoint-reconciler-type=none".to_owned(),
            "--profiling=false".to_owned(),
        ];
        let apiserver = Daemon::spawn(
            "kube-apiserver",
            &bin_dir.join("kube-apiserver"),
            &args,
            &[],
            root,
        )?;
        match wait_ready(&apiserver, || apiserver_ready(&client)).await {
            Ok(()) => {
                return Ok(Apiserver {
                    daemon: apiserver,
                    server,
                    admin_kubeconfig,
                    client,
                });
            }
            Err(failure) if apiserver.exit_status().is_some() => last_failure = Some(failure),
            Err(failure) => return Err(failure),
        }
    }
    Err(last_failure.unwrap_or_else(|| gave_up("kube-apiserver")))
}

/// kube-controller-manager with only what tests rely on: owner-reference garbage collection, namespace
/// deletion, and ServiceAccounts (`default` in every namespace, token Secrets). No ports: it serves
/// nothing, and is ready once it has created ServiceAccount `default/default`.
pub(crate) async fn start_controller_manager(
    bin_dir: &Path,
    root: &Path,
    pki: &Pki,
    admin_kubeconfig: &Path,
    client: &kube::Client,
) -> Result<Daemon, HarnessError> {
    let args = [
        format!("--kubeconfig={}", path_arg(admin_kubeconfig)),
        "--leader-elect=false".to_owned(),
        "--controllers=garbagecollector,namespace,serviceaccount,serviceaccount-token".to_owned(),
        format!(
            "--service-account-private-key-file={}",
            path_arg(&pki.service_account_key)
        ),
        format!("--root-ca-file={}", path_arg(&pki.ca_cert)),
        "--port=0".to_owned(),
        "--secure-port=0".to_owned(),
    ];
    let manager = Daemon::spawn(
        "kube-controller-manager",
        &bin_dir.join("kube-controller-manager"),
        &args,
        &[],
        root,
    )?;
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), "default");
    wait_ready(&manager, || {
        let accounts = accounts.clone();
        async move {
            match accounts.get_opt("default").await {
                Ok(Some(_)) => Ok(()),
                Ok(None) => Err("ServiceAccount default/default does not exist yet".to_owned()),
                Err(err) => Err(err.to_string()),
            }
        }
    })
    .await?;
    Ok(manager)
}

async fn admin_client(kubeconfig: &Path) -> Result<kube::Client, HarnessError> {
    let failed = |err: &dyn std::fmt::Display| HarnessError::Unexpected {
        what: format!("a client from {}", kubeconfig.display()),
        detail: err.to_string(),
    };
    let config = Kubeconfig::read_from(kubeconfig).map_err(|err| failed(&err))?;
    let config = kube::Config::from_custom_kubeconfig(config, &KubeConfigOptions::default())
        .await
        .map_err(|err| failed(&err))?;
    kube::Client::try_from(config).map_err(|err| failed(&err))
}

/// Polls `ready` until it holds; fails fast (with the log) when `daemon` exits.
async fn wait_ready<F>(daemon: &Daemon, mut ready: impl FnMut() -> F) -> Result<(), HarnessError>
where
    F: Future<Output = Result<(), String>>,
{
    let mut deadline = Deadline::after(START_WAIT);
    loop {
        let last = match ready().await {
            Ok(()) => return Ok(()),
            Err(last) => last,
        };
        if let Some(status) = daemon.exit_status() {
            return Err(daemon.failure(&format!("exited ({status}) before it was ready")));
        }
        if !deadline.pause().await {
            return Err(daemon.failure(&format!(
                "not ready after {:?}; last observation: {last}",
                deadline.elapsed()
            )));
        }
    }
}

async fn etcd_healthy(addr: SocketAddr) -> Result<(), String> {
    let response = HttpRequest::get("/health")
        .timeout(Duration::from_secs(2))
        .send(addr)
        .await
        .map_err(|err| err.to_string())?;
    if response.status == 200 && response.text().contains("true") {
        Ok(())
    } else {
        Err(format!("/health: {} {}", response.status, response.text()))
    }
}

async fn apiserver_ready(client: &kube::Client) -> Result<(), String> {
    let request = http::Request::get("/readyz")
        .body(Vec::new())
        .map_err(|err| err.to_string())?;
    let body = client
        .request_text(request)
        .await
        .map_err(|err| err.to_string())?;
    if body.trim() == "ok" {
        Ok(())
    } else {
        Err(format!("/readyz: {body}"))
    }
}

/// `N` distinct free ports: all bound at once (so none is handed out twice), then released for the
/// daemon to take.
fn reserve_ports<const N: usize>() -> Result<[u16; N], HarnessError> {
    let mut listeners = Vec::with_capacity(N);
    let mut ports = [0; N];
    for port in &mut ports {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|err| HarnessError::io("reserve a port for etcd", err))?;
        *port = listener
            .local_addr()
            .map_err(|err| HarnessError::io("reserve a port for etcd", err))?
            .port();
        listeners.push(listener);
    }
    Ok(ports)
}

fn gave_up(name: &str) -> HarnessError {
    HarnessError::Unexpected {
        what: name.to_owned(),
        detail: format!("did not start in {ATTEMPTS} attempts"),
    }
}
