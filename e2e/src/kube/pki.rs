//! The test cluster's keys and certificates, made with the `openssl` command: a CA, the apiserver's serving
//! certificate (valid for 127.0.0.1 and localhost), an admin client certificate (group `system:masters`)
//! and the ServiceAccount token signing key pair. Valid two days: a test run never needs more.

use std::path::{Path, PathBuf};

use crate::HarnessError;
use crate::kube::tools::run_tool;

/// Paths of the files [`Pki::create`] wrote.
#[derive(Debug, Clone)]
pub(crate) struct Pki {
    pub(crate) ca_cert: PathBuf,
    pub(crate) serving_cert: PathBuf,
    pub(crate) serving_key: PathBuf,
    pub(crate) admin_cert: PathBuf,
    pub(crate) admin_key: PathBuf,
    pub(crate) service_account_key: PathBuf,
    pub(crate) service_account_public_key: PathBuf,
}

/// One certificate to issue: subject, and the extensions its use needs.
struct Profile<'a> {
    stem: &'a str,
    subject: &'a str,
    extensions: &'a str,
}

const CA: Profile<'static> = Profile {
    stem: "ca",
    subject: "CN = dynagate-e2e-ca",
    extensions: "basicConstraints = critical, CA:TRUE\n\
                 keyUsage = critical, keyCertSign, cRLSign, digitalSignature\n\
                 subjectKeyIdentifier = hash\n",
};

/// The apiserver's serving certificate. rustls (kube-rs) rejects a leaf marked as a CA, so the leaf
/// profiles spell out `CA:FALSE` rather than inheriting OpenSSL's defaults.
const SERVING: Profile<'static> = Profile {
    stem: "apiserver",
    subject: "CN = kube-apiserver",
    extensions: "basicConstraints = critical, CA:FALSE\n\
                 keyUsage = critical, digitalSignature, keyEncipherment\n\
                 extendedKeyUsage = serverAuth\n\
                 subjectAltName = IP:127.0.0.1, DNS:localhost\n\
                 authorityKeyIdentifier = keyid\n",
};

/// The admin: `O` is the group, and `system:masters` bypasses RBAC (what kubeadm's admin.conf does).
const ADMIN: Profile<'static> = Profile {
    stem: "admin",
    subject: "CN = dynagate-e2e-admin\nO = system:masters",
    extensions: "basicConstraints = critical, CA:FALSE\n\
                 keyUsage = critical, digitalSignature, keyEncipherment\n\
                 extendedKeyUsage = clientAuth\n\
                 authorityKeyIdentifier = keyid\n",
};

impl Pki {
    /// Writes everything into `dir`.
    pub(crate) async fn create(dir: &Path) -> Result<Self, HarnessError> {
        let (ca_cert, ca_key) = issue(dir, &CA, None).await?;
        let (serving_cert, serving_key) = issue(dir, &SERVING, Some((&ca_cert, &ca_key))).await?;
        let (admin_cert, admin_key) = issue(dir, &ADMIN, Some((&ca_cert, &ca_key))).await?;
        let service_account_key = dir.join("service-account.key");
        let service_account_public_key = dir.join("service-account.pub");
        openssl(&[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            &path_arg(&service_account_key),
        ])
        .await?;
        openssl(&[
            "ec",
            "-in",
            &path_arg(&service_account_key),
            "-pubout",
            "-out",
            &path_arg(&service_account_public_key),
        ])
        .await?;
        Ok(Self {
            ca_cert,
            serving_cert,
            serving_key,
            admin_cert,
            admin_key,
            service_account_key,
            service_account_public_key,
        })
    }
}

/// Issues `profile` with a new P-256 key, signed by `issuer` (self-signed without one).
async fn issue(
    dir: &Path,
    profile: &Profile<'_>,
    issuer: Option<(&Path, &Path)>,
) -> Result<(PathBuf, PathBuf), HarnessError> {
    let config = dir.join(format!("{}.cnf", profile.stem));
    let cert = dir.join(format!("{}.crt", profile.stem));
    let key = dir.join(format!("{}.key", profile.stem));
    let text = format!(
        "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n{}\n[ext]\n{}",
        profile.subject, profile.extensions
    );
    std::fs::write(&config, text)
        .map_err(|err| HarnessError::io(format!("write {}", config.display()), err))?;
    let mut args = vec![
        "req".to_owned(),
        "-x509".to_owned(),
        "-new".to_owned(),
        "-config".to_owned(),
        path_arg(&config),
        "-extensions".to_owned(),
        "ext".to_owned(),
        "-newkey".to_owned(),
        "ec".to_owned(),
        "-pkeyopt".to_owned(),
        "ec_paramgen_curve:prime256v1".to_owned(),
        "-nodes".to_owned(),
        "-days".to_owned(),
        "2".to_owned(),
        "-keyout".to_owned(),
        path_arg(&key),
        "-out".to_owned(),
        path_arg(&cert),
    ];
    if let Some((ca_cert, ca_key)) = issuer {
        args.extend([
            "-CA".to_owned(),
            path_arg(ca_cert),
            "-CAkey".to_owned(),
            path_arg(ca_key),
        ]);
    }
    run_tool(Path::new("openssl"), &args, &[], None).await?;
    Ok((cert, key))
}

async fn openssl(args: &[&str]) -> Result<(), HarnessError> {
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    run_tool(Path::new("openssl"), &args, &[], None)
        .await
        .map(drop)
}

pub(crate) fn path_arg(path: &Path) -> String {
    path.display().to_string()
}
