//! A throwaway Kubernetes control plane for tests: etcd and kube-apiserver on free loopback ports, PKI
//! made with `openssl` in a temporary directory, and an admin `kube::Client`.
//!
//! Binaries come from `scripts/install-kube.sh` (`DYNAGATE_KUBE_BIN`, else the script's cache). When they
//! are missing the test is skipped, unless `DYNAGATE_REQUIRE_KUBE` is set (CI), where that is a failure.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use kube::config::{KubeConfigOptions, Kubeconfig};

const KUBE_VERSION: &str = "v1.20.2";
const START_DEADLINE: Duration = Duration::from_secs(60);

/// A running etcd + kube-apiserver; both are killed on drop.
pub struct Cluster {
    children: Vec<Child>,
    pub client: kube::Client,
    dir: tempfile::TempDir,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Where the binaries are, or `None` (skip) when absent and not required.
fn bin_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("DYNAGATE_KUBE_BIN")
        .map(PathBuf::from)
        .or_else(|| {
            let cache = std::env::var_os("DYNAGATE_KUBE_DIR")
                .map(PathBuf::from)
                .or_else(|| {
                    std::env::var_os("XDG_CACHE_HOME")
                        .map(PathBuf::from)
                        .or_else(|| {
                            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache"))
                        })
                        .map(|c| c.join("dynagate/kube"))
                })?;
            Some(cache.join(KUBE_VERSION).join("bin"))
        })?;
    let present = dir.join("kube-apiserver").is_file() && etcd_binary(&dir).is_file();
    if present {
        return Some(dir);
    }
    assert!(
        std::env::var_os("DYNAGATE_REQUIRE_KUBE").is_none(),
        "DYNAGATE_REQUIRE_KUBE is set but kube-apiserver/etcd are missing in {}; run scripts/install-kube.sh",
        dir.display()
    );
    eprintln!(
        "SKIPPED: kube-apiserver/etcd not found in {} (run scripts/install-kube.sh, or set DYNAGATE_KUBE_BIN)",
        dir.display()
    );
    None
}

fn etcd_binary(dir: &Path) -> PathBuf {
    let local = dir.join("etcd");
    if local.is_file() {
        local
    } else {
        PathBuf::from("/usr/bin/etcd")
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn openssl(dir: &Path, args: &[&str]) -> Result<()> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .context("running openssl")?;
    if !out.status.success() {
        bail!("openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// CA, apiserver serving cert (127.0.0.1, localhost), admin client cert (system:masters), SA key.
fn make_pki(dir: &Path) -> Result<()> {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=dynagate-test-ca",
        ],
    )?;
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )?;
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n")?;
    for (name, subject, ext) in [
        ("server", "/CN=kube-apiserver", "server.ext"),
        ("admin", "/O=system:masters/CN=admin", "client.ext"),
    ] {
        let (key, csr, crt) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
        );
        openssl(
            dir,
            &[
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &csr, "-subj",
                subject,
            ],
        )?;
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &crt,
                "-days",
                "2",
                "-extfile",
                ext,
            ],
        )?;
    }
    openssl(dir, &["genrsa", "-out", "sa.key", "2048"])
}

fn spawn(program: &Path, args: &[String], log: &Path) -> Result<Child> {
    let log = std::fs::File::create(log)?;
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", program.display()))
}

impl Cluster {
    /// Starts a cluster, or returns `None` when the binaries are missing (and not required).
    pub async fn start() -> Result<Option<Self>> {
        let Some(bin) = bin_dir() else {
            return Ok(None);
        };
        let dir = tempfile::tempdir()?;
        let d = &dir.path().to_path_buf();
        make_pki(d)?;
        let p = |name: &str| d.join(name).display().to_string();
        let (etcd_port, peer_port, api_port) = (free_port()?, free_port()?, free_port()?);
        let mut cluster = Cluster {
            children: Vec::new(),
            client: placeholder_client()?,
            dir,
        };

        let etcd_args = vec![
            format!("--data-dir={}", p("etcd")),
            format!("--listen-client-urls=http://127.0.0.1:{etcd_port}"),
            format!("--advertise-client-urls=http://127.0.0.1:{etcd_port}"),
            format!("--listen-peer-urls=http://127.0.0.1:{peer_port}"),
            format!("--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}"),
            format!("--initial-cluster=default=http://127.0.0.1:{peer_port}"),
        ];
        cluster
            .children
            .push(spawn(&etcd_binary(&bin), &etcd_args, &d.join("etcd.log"))?);

        let api_args = vec![
            format!("--etcd-servers=http://127.0.0.1:{etcd_port}"),
            "--bind-address=127.0.0.1".into(),
            format!("--secure-port={api_port}"),
            "--insecure-port=0".into(),
            format!("--cert-dir={}", p("certs")),
            format!("--tls-cert-file={}", p("server.crt")),
            format!("--tls-private-key-file={}", p("server.key")),
            format!("--client-ca-file={}", p("ca.crt")),
            format!("--service-account-key-file={}", p("sa.key")),
            format!("--service-account-signing-key-file={}", p("sa.key")),
            "--service-account-issuer=https://kubernetes.default.svc".into(),
            "--api-audiences=https://kubernetes.default.svc".into(),
            "--service-cluster-ip-range=10.0.0.0/24".into(),
            "--authorization-mode=RBAC".into(),
            "--endpoint-reconciler-type=none".into(),
        ];
        cluster.children.push(spawn(
            &bin.join("kube-apiserver"),
            &api_args,
            &d.join("apiserver.log"),
        )?);

        let kubeconfig = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: test\n\
             clusters: [{{name: test, cluster: {{server: 'https://127.0.0.1:{api_port}', certificate-authority: '{ca}'}}}}]\n\
             users: [{{name: admin, user: {{client-certificate: '{crt}', client-key: '{key}'}}}}]\n\
             contexts: [{{name: test, context: {{cluster: test, user: admin}}}}]\n",
            ca = p("ca.crt"),
            crt = p("admin.crt"),
            key = p("admin.key"),
        );
        let config = kube::Config::from_custom_kubeconfig(
            Kubeconfig::from_yaml(&kubeconfig)?,
            &KubeConfigOptions::default(),
        )
        .await?;
        cluster.client = kube::Client::try_from(config)?;
        cluster.wait_ready().await?;
        Ok(Some(cluster))
    }

    async fn wait_ready(&mut self) -> Result<()> {
        let started = Instant::now();
        loop {
            let request = http::Request::get("/readyz").body(Vec::new())?;
            match self.client.request_text(request).await {
                Ok(body) if body.trim() == "ok" => return Ok(()),
                _ if started.elapsed() > START_DEADLINE => {
                    let log = std::fs::read_to_string(self.dir.path().join("apiserver.log"))
                        .unwrap_or_default();
                    let tail: String = log.lines().rev().take(30).collect::<Vec<_>>().join("\n");
                    bail!(
                        "kube-apiserver not ready after {START_DEADLINE:?}; last log lines (newest first):\n{tail}"
                    );
                }
                _ => {}
            }
            for child in &mut self.children {
                if let Some(status) = child.try_wait()? {
                    bail!("a control-plane process exited early: {status}");
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// A client pointing nowhere, so the struct exists (and kills children on drop) before the real one.
fn placeholder_client() -> Result<kube::Client> {
    let config = kube::Config::new("https://127.0.0.1:1".parse()?);
    Ok(kube::Client::try_from(config)?)
}
