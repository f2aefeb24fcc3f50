//! The cluster harness itself: the control plane comes up with the Gateway API CRDs, the chart installs,
//! and the chart's ServiceAccount gets exactly the access its RBAC grants.

use crate::installed::{NAMESPACE, SERVICE_ACCOUNT, cluster_with_chart, service_account_user};

#[tokio::test]
async fn the_chart_installs_and_its_service_account_gets_least_privilege() {
    let cluster = cluster_with_chart().await;

    // The Gateway API CRDs are served: listing an empty kind works.
    let gateways = cluster
        .kubectl(&[
            "get",
            "gateways.gateway.networking.k8s.io",
            "-A",
            "-o",
            "name",
        ])
        .await
        .unwrap();
    assert_eq!(gateways.trim(), "", "a new cluster has no Gateways");
    // The chart's CRDs and objects exist.
    cluster
        .kubectl(&["get", "crd", "trafficpolicies.gateway.kgateway.dev"])
        .await
        .unwrap();
    let class = cluster
        .kubectl(&[
            "get",
            "gatewayclass",
            "dynagate",
            "-o",
            "jsonpath={.spec.controllerName}",
        ])
        .await
        .unwrap();
    assert_eq!(class, "dynagate.dev/gateway-controller");

    let user = service_account_user();
    for (verb, resource, namespace) in [
        ("list", "gateways.gateway.networking.k8s.io", None),
        ("watch", "httproutes.gateway.networking.k8s.io", None),
        (
            "patch",
            "gateways.gateway.networking.k8s.io/status",
            Some("default"),
        ),
        (
            "patch",
            "trafficpolicies.gateway.kgateway.dev/status",
            Some("default"),
        ),
        ("create", "deployments.apps", Some("default")),
        ("list", "endpointslices.discovery.k8s.io", None),
    ] {
        assert!(
            cluster
                .can_i(&user, verb, resource, namespace)
                .await
                .unwrap(),
            "the chart's ServiceAccount should be allowed to {verb} {resource} in {namespace:?}"
        );
    }
    for (verb, resource, namespace) in [
        ("delete", "namespaces", None),
        (
            "update",
            "gateways.gateway.networking.k8s.io",
            Some("default"),
        ),
        (
            "create",
            "clusterrolebindings.rbac.authorization.k8s.io",
            None,
        ),
        (
            "patch",
            "trafficpolicies.gateway.kgateway.dev",
            Some("default"),
        ),
        ("create", "secrets", Some("default")),
    ] {
        assert!(
            !cluster
                .can_i(&user, verb, resource, namespace)
                .await
                .unwrap(),
            "the chart's ServiceAccount must not be allowed to {verb} {resource} in {namespace:?}"
        );
    }

    // A token for the ServiceAccount authenticates as it: reads allowed by RBAC work, others are refused.
    let kubeconfig = cluster
        .service_account_kubeconfig(NAMESPACE, SERVICE_ACCOUNT)
        .await
        .unwrap();
    let listed = cluster
        .kubectl_with(&kubeconfig, &["get", "gateways", "-A"])
        .await;
    assert!(listed.is_ok(), "{listed:?}");
    let refused = cluster
        .kubectl_with(
            &kubeconfig,
            &["delete", "namespace", "default", "--dry-run=server"],
        )
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("forbidden"), "{refused}");
}
