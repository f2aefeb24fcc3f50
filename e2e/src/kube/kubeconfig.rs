//! Kubeconfig files for the test cluster: the admin (client certificate) and a ServiceAccount (bearer
//! token), both trusting the cluster's CA. Every tool (kubectl, Helm, kube-rs, the controller) reads them.

use std::path::Path;

use serde_json::{Value, json};

use crate::HarnessError;

/// How a kubeconfig user authenticates.
#[derive(Debug, Clone)]
pub(crate) enum Credentials<'a> {
    /// A client certificate and its key (files).
    ClientCert { cert: &'a Path, key: &'a Path },
    /// A bearer token (a ServiceAccount's).
    Token(&'a str),
}

/// A kubeconfig with one cluster (`server`, trusting `ca`), one user and one current context whose
/// default namespace is `namespace`.
pub(crate) fn render(
    server: &str,
    ca: &Path,
    user: &str,
    credentials: &Credentials<'_>,
    namespace: &str,
) -> Result<String, HarnessError> {
    let credentials = match credentials {
        Credentials::ClientCert { cert, key } => json!({
            "client-certificate": cert.display().to_string(),
            "client-key": key.display().to_string(),
        }),
        Credentials::Token(token) => json!({ "token": token }),
    };
    let config: Value = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{
            "name": "dynagate-e2e",
            "cluster": { "server": server, "certificate-authority": ca.display().to_string() },
        }],
        "users": [{ "name": user, "user": credentials }],
        "contexts": [{
            "name": user,
            "context": { "cluster": "dynagate-e2e", "user": user, "namespace": namespace },
        }],
        "current-context": user,
    });
    serde_yaml::to_string(&config).map_err(|err| HarnessError::Unexpected {
        what: "kubeconfig".to_owned(),
        detail: err.to_string(),
    })
}
