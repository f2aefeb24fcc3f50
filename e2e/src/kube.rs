//! A real Kubernetes control plane on loopback for end-to-end tests: etcd, kube-apiserver v1.20 and
//! kube-controller-manager (garbage collection, namespaces, ServiceAccounts) as local processes on free
//! ports, a PKI made with `openssl`, the Gateway API CRDs, and kubectl, Helm and kube-rs clients.
//!
//! There is no kubelet or scheduler: Pods stay Pending and Services get endpoints only from what a test
//! writes. Workloads under test (the controller, Envoy) run as local processes and authenticate as the
//! ServiceAccount they would run as in a Pod ([`KubeCluster::service_account_kubeconfig`]), so RBAC is real.
//!
//! ```no_run
//! # async fn example() -> Result<(), dynagate_e2e::HarnessError> {
//! use dynagate_e2e::kube::KubeCluster;
//!
//! let cluster = KubeCluster::start().await?; // Gateway API CRDs installed and established
//! cluster.apply_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n").await?;
//! let pods = cluster.kubectl(&["get", "pods", "-n", "demo"]).await?;
//! # Ok(())
//! # }
//! ```
//!
//! Binaries come from `scripts/install-kube.sh` (built once per machine and cached) and
//! `scripts/install-helm.sh`; `DYNAGATE_KUBE_BIN` and `HELM_BIN` override them.

mod control_plane;
mod crds;
mod daemon;
mod kubeconfig;
mod pki;
mod poll;
#[cfg(test)]
mod tests;
mod tools;

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::{Api, PostParams};
use tempfile::TempDir;

pub use crds::{API_APPROVED_ANNOTATION, adapt_crd_for_1_20, gateway_api_crds};
pub use daemon::Daemon;
pub use poll::poll_until;
pub use tools::{helm_binary, kube_bin_dir};

use crate::HarnessError;
use kubeconfig::Credentials;
use pki::Pki;
use tools::run_tool;

/// How long cluster-side effects may take: garbage collection and controllers react within seconds, but
/// the machine may be busy compiling.
pub const CLUSTER_WAIT: Duration = Duration::from_secs(60);

/// How long a ServiceAccount token lasts: longer than any test run.
const TOKEN_SECONDS: i64 = 24 * 60 * 60;

/// A running control plane. Dropping it stops every process and removes its directory (kept, with the
/// daemons' logs printed, when the test is failing).
pub struct KubeCluster {
    // Fields drop in declaration order: the controller manager, the apiserver, etcd, then the directory.
    controller_manager: Option<Daemon>,
    apiserver: Daemon,
    etcd: Daemon,
    server: String,
    admin_kubeconfig: PathBuf,
    pki: Pki,
    client: kube::Client,
    bin_dir: PathBuf,
    dir: Option<TempDir>,
}

impl KubeCluster {
    /// Starts etcd, the apiserver and the controller manager, and installs the Gateway API CRDs.
    pub async fn start() -> Result<Self, HarnessError> {
        // The install script may build for minutes the first time: keep the runtime's threads free.
        let bin_dir = tokio::task::spawn_blocking(kube_bin_dir)
            .await
            .map_err(|err| HarnessError::Unexpected {
                what: "locating the Kubernetes binaries".to_owned(),
                detail: err.to_string(),
            })??;
        let dir = tempfile::Builder::new()
            .prefix("dynagate-kube-")
            .tempdir()
            .map_err(|err| HarnessError::io("create the cluster directory", err))?;
        let root = dir.path().to_path_buf();
        let pki_dir = root.join("pki");
        std::fs::create_dir(&pki_dir)
            .map_err(|err| HarnessError::io(format!("create {}", pki_dir.display()), err))?;
        let pki = Pki::create(&pki_dir).await?;
        let (etcd, etcd_url) = control_plane::start_etcd(&bin_dir, &root).await?;
        let apiserver = control_plane::start_apiserver(&bin_dir, &root, &pki, &etcd_url).await?;
        let mut cluster = Self {
            controller_manager: None,
            apiserver: apiserver.daemon,
            etcd,
            server: apiserver.server,
            admin_kubeconfig: apiserver.admin_kubeconfig,
            pki,
            client: apiserver.client,
            bin_dir,
            dir: Some(dir),
        };
        // Before the controller manager: its garbage collector then knows Gateways from the start
        // (it rediscovers resource types only every 30 s).
        cluster.install_gateway_api_crds().await?;
        cluster.controller_manager = Some(
            control_plane::start_controller_manager(
                &cluster.bin_dir,
                &root,
                &cluster.pki,
                &cluster.admin_kubeconfig,
                &cluster.client,
            )
            .await?,
        );
        Ok(cluster)
    }

    /// The apiserver URL (`https://127.0.0.1:PORT`).
    pub fn server(&self) -> &str {
        &self.server
    }

    /// A kubeconfig file for the admin (`system:masters`).
    pub fn admin_kubeconfig(&self) -> &Path {
        &self.admin_kubeconfig
    }

    /// The CA certificate clients trust (also the ServiceAccount `ca.crt`).
    pub fn ca_cert(&self) -> &Path {
        &self.pki.ca_cert
    }

    /// A kube-rs client authenticated as the admin.
    pub fn client(&self) -> kube::Client {
        self.client.clone()
    }

    /// The cluster's working directory (PKI, kubeconfigs, daemon logs).
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().map_or(Path::new("/"), TempDir::path)
    }

    /// The background processes (etcd, kube-apiserver, kube-controller-manager), e.g. to read a log.
    pub fn daemons(&self) -> Vec<&Daemon> {
        [
            Some(&self.etcd),
            Some(&self.apiserver),
            self.controller_manager.as_ref(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Runs `kubectl args..` as the admin; returns stdout, or an error with stdout and stderr.
    pub async fn kubectl(&self, args: &[&str]) -> Result<String, HarnessError> {
        self.kubectl_with(&self.admin_kubeconfig, args).await
    }

    /// Runs `kubectl args..` with `kubeconfig` (e.g. a ServiceAccount's from
    /// [`Self::service_account_kubeconfig`]) instead of the admin's.
    pub async fn kubectl_with(
        &self,
        kubeconfig: &Path,
        args: &[&str],
    ) -> Result<String, HarnessError> {
        let mut all = vec!["--kubeconfig".to_owned(), kubeconfig.display().to_string()];
        all.extend(self.kubectl_args(args));
        run_tool(&self.bin_dir.join("kubectl"), &all, &[], None).await
    }

    /// `kubectl apply -f -` of `yaml` (one or more documents) as the admin.
    pub async fn apply_yaml(&self, yaml: &str) -> Result<String, HarnessError> {
        run_tool(
            &self.bin_dir.join("kubectl"),
            &self.admin_kubectl_args(&["apply", "-f", "-"]),
            &[],
            Some(yaml),
        )
        .await
    }

    /// Whether `user` may `verb resource` in `namespace` (`None`: cluster-wide), per
    /// `kubectl auth can-i --as`: the apiserver's RBAC decision, asked by the admin on the user's behalf.
    /// `resource` may name a subresource: `gateways.gateway.networking.k8s.io/status`.
    pub async fn can_i(
        &self,
        user: &str,
        verb: &str,
        resource: &str,
        namespace: Option<&str>,
    ) -> Result<bool, HarnessError> {
        let as_user = format!("--as={user}");
        let (resource, subresource) = match resource.split_once('/') {
            Some((resource, subresource)) => {
                (resource, Some(format!("--subresource={subresource}")))
            }
            None => (resource, None),
        };
        let mut args = vec!["auth", "can-i", verb, resource, as_user.as_str()];
        args.extend(subresource.as_deref());
        match namespace {
            Some(namespace) => args.extend(["--namespace", namespace]),
            None => args.push("--all-namespaces"),
        }
        let output = tools::run_tool_output(
            &self.bin_dir.join("kubectl"),
            &self.admin_kubectl_args(&args),
            &[],
            None,
        )
        .await?;
        match output.stdout.trim() {
            "yes" => Ok(true),
            "no" => Ok(false),
            other => Err(HarnessError::Unexpected {
                what: format!("kubectl {}", args.join(" ")),
                detail: format!("answered {other:?}; stderr: {}", output.stderr.trim()),
            }),
        }
    }

    /// `helm install release chart_dir --namespace namespace --create-namespace --set k=v..` as the admin;
    /// returns Helm's output. Helm's caches and configuration live in the cluster's directory.
    pub async fn helm_install(
        &self,
        release: &str,
        namespace: &str,
        chart_dir: &Path,
        set_values: &[(&str, &str)],
    ) -> Result<String, HarnessError> {
        let helm = tokio::task::spawn_blocking(helm_binary)
            .await
            .map_err(|err| HarnessError::Unexpected {
                what: "locating Helm".to_owned(),
                detail: err.to_string(),
            })??;
        let mut args = vec![
            "install".to_owned(),
            release.to_owned(),
            chart_dir.display().to_string(),
            "--namespace".to_owned(),
            namespace.to_owned(),
            "--create-namespace".to_owned(),
            "--kubeconfig".to_owned(),
            self.admin_kubeconfig.display().to_string(),
        ];
        for (key, value) in set_values {
            args.extend(["--set".to_owned(), format!("{key}={value}")]);
        }
        let home = self.dir().join("helm");
        let env = ["HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"]
            .map(|name| (name.to_owned(), home.join(name).display().to_string()));
        run_tool(&helm, &args, &env, None).await
    }

    /// A kubeconfig file authenticating as ServiceAccount `namespace/name` (a token from the TokenRequest
    /// API, what a projected Pod token is), with `namespace` as the default namespace. Waits for the
    /// ServiceAccount to exist.
    pub async fn service_account_kubeconfig(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<PathBuf, HarnessError> {
        let accounts: Api<ServiceAccount> = Api::namespaced(self.client(), namespace);
        let request = TokenRequest {
            // No audiences: the apiserver's own, what a Pod's projected token carries.
            spec: Some(TokenRequestSpec {
                expiration_seconds: Some(TOKEN_SECONDS),
                ..TokenRequestSpec::default()
            }),
            ..TokenRequest::default()
        };
        let what = format!("a token for ServiceAccount {namespace}/{name}");
        let token = poll_until(&what, CLUSTER_WAIT, || {
            let accounts = accounts.clone();
            let request = request.clone();
            async move {
                let issued = accounts
                    .create_token_request(name, &PostParams::default(), &request)
                    .await
                    .map_err(|err| err.to_string())?;
                issued
                    .status
                    .and_then(|status| status.token)
                    .filter(|token| !token.is_empty())
                    .ok_or_else(|| "the TokenRequest came back without a token".to_owned())
            }
        })
        .await?;
        let user = format!("system:serviceaccount:{namespace}:{name}");
        let text = kubeconfig::render(
            &self.server,
            &self.pki.ca_cert,
            &user,
            &Credentials::Token(&token),
            namespace,
        )?;
        let path = self
            .dir()
            .join(format!("serviceaccount-{namespace}-{name}.kubeconfig"));
        std::fs::write(&path, text)
            .map_err(|err| HarnessError::io(format!("write {}", path.display()), err))?;
        Ok(path)
    }

    /// Applies the Gateway API CRDs ([`gateway_api_crds`]) and waits until each is established.
    async fn install_gateway_api_crds(&self) -> Result<(), HarnessError> {
        let crds = gateway_api_crds()?;
        // YAML, not JSON: kubectl 1.20's stream decoder mis-reads JSON documents longer than 4 KiB.
        let yaml = crds
            .iter()
            .map(serde_yaml::to_string)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| HarnessError::Unexpected {
                what: "the Gateway API CRDs as YAML".to_owned(),
                detail: err.to_string(),
            })?
            .join("---\n");
        self.apply_yaml(&yaml).await?;
        let names: Vec<String> = crds
            .iter()
            .filter_map(|crd| crd.pointer("/metadata/name").and_then(|name| name.as_str()))
            .map(|name| format!("crd/{name}"))
            .collect();
        let mut args = vec!["wait", "--for=condition=Established", "--timeout=60s"];
        args.extend(names.iter().map(String::as_str));
        self.kubectl(&args).await.map(drop)
    }

    fn admin_kubectl_args(&self, args: &[&str]) -> Vec<String> {
        let mut all = vec![
            "--kubeconfig".to_owned(),
            self.admin_kubeconfig.display().to_string(),
        ];
        all.extend(self.kubectl_args(args));
        all
    }

    fn kubectl_args(&self, args: &[&str]) -> Vec<String> {
        let mut all = vec![
            // Discovery is cached per server URL; ports are reused across test runs, schemas are not.
            "--cache-dir".to_owned(),
            self.dir().join("kubectl-cache").display().to_string(),
        ];
        all.extend(args.iter().map(|arg| (*arg).to_owned()));
        all
    }
}

impl Drop for KubeCluster {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(dir) = self.dir.take()
        {
            // Keep the PKI, kubeconfigs and logs for a post-mortem; the daemons print their log tails.
            eprintln!(
                "--- Kubernetes test cluster kept in {} ---",
                dir.keep().display()
            );
        }
    }
}

impl std::fmt::Debug for KubeCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeCluster")
            .field("server", &self.server)
            .field("dir", &self.dir())
            .finish_non_exhaustive()
    }
}
