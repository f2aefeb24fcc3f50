//! A cluster with dynagate installed by its Helm chart: what every test here starts from.

use dynagate_e2e::kube::KubeCluster;
use dynagate_e2e::repo_root;

/// The Helm release and its namespace, as the chart's README installs it.
pub const RELEASE: &str = "dynagate";
pub const NAMESPACE: &str = "dynagate-system";
/// The controller's ServiceAccount: the chart names it after the release.
pub const SERVICE_ACCOUNT: &str = "dynagate";

/// The user name the apiserver gives the controller's ServiceAccount.
pub fn service_account_user() -> String {
    format!("system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}")
}

/// A new cluster (Gateway API CRDs established) with `helm install dynagate charts/dynagate` done.
pub async fn cluster_with_chart() -> KubeCluster {
    let cluster = KubeCluster::start().await.unwrap();
    cluster
        .helm_install(
            RELEASE,
            NAMESPACE,
            &repo_root().join("charts/dynagate"),
            &[],
        )
        .await
        .unwrap();
    cluster
}
