//! The Gateway's Envoy, run locally on the bootstrap the deployer put in the Gateway's ConfigMap: the same
//! file a proxy Pod mounts, with what only differs off-cluster changed (the controller's address, and
//! loopback ports Envoy picks itself).

use std::net::SocketAddr;

use dynagate_e2e::kube::KubeCluster;
use dynagate_e2e::{Envoy, EnvoyOptions, Value, start_envoy_from_bootstrap};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;

/// The static cluster through which the readiness listener reaches the admin endpoint.
const READINESS_ADMIN_CLUSTER: &str = "dynagate-admin";
/// The readiness listener the kubelet probes (`GET /ready`).
pub const READINESS_LISTENER: &str = "dynagate-readiness";

/// The ConfigMap key the deployer writes the bootstrap under (the file the proxy Pod mounts).
const BOOTSTRAP_KEY: &str = "envoy.yaml";

/// The bootstrap in ConfigMap `namespace/name`, as YAML text.
pub async fn deployed_bootstrap(cluster: &KubeCluster, namespace: &str, name: &str) -> String {
    let config_maps: Api<ConfigMap> = Api::namespaced(cluster.client(), namespace);
    let config_map = config_maps.get(name).await.unwrap();
    let mut data = config_map.data.unwrap_or_default();
    data.remove(BOOTSTRAP_KEY).unwrap_or_else(|| {
        panic!(
            "ConfigMap {namespace}/{name} has no {BOOTSTRAP_KEY}; keys: {:?}",
            data.keys()
        )
    })
}

/// Starts Envoy on `bootstrap` pointed at the controller's xDS server `xds`, and waits for `listener`.
pub async fn start_envoy(bootstrap: &str, xds: SocketAddr, listener: &str) -> (Envoy, SocketAddr) {
    let mut document: Value = serde_yaml::from_str(bootstrap).unwrap();
    point_at_local_controller(&mut document, xds);
    let text = serde_yaml::to_string(&document).unwrap();
    start_envoy_from_bootstrap(&text, listener, EnvoyOptions::default())
        .await
        .unwrap()
}

/// In the cluster, Envoy reaches the controller through its Service's DNS name and owns its Pod's ports;
/// here the controller is a local process and every port is shared with the machine.
fn point_at_local_controller(bootstrap: &mut Value, xds: SocketAddr) {
    let xds_cluster = bootstrap
        .pointer("/dynamic_resources/ads_config/grpc_services/0/envoy_grpc/cluster_name")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("the bootstrap has no ADS cluster: {bootstrap:#}"))
        .to_owned();
    // The admin port must be known up front: the readiness listener's cluster points at it.
    let admin_port = dynagate_e2e::reserve_port().unwrap();
    if let Some(port) = bootstrap.pointer_mut("/admin/address/socket_address/port_value") {
        *port = Value::from(admin_port);
    }
    let clusters = bootstrap
        .pointer_mut("/static_resources/clusters")
        .and_then(Value::as_array_mut)
        .unwrap();
    for cluster in clusters.iter_mut() {
        if cluster["name"] == READINESS_ADMIN_CLUSTER {
            let address = cluster.pointer_mut(
                "/load_assignment/endpoints/0/lb_endpoints/0/endpoint/address/socket_address",
            );
            let address =
                address.unwrap_or_else(|| panic!("{READINESS_ADMIN_CLUSTER} has no endpoint"));
            address["port_value"] = Value::from(admin_port);
        }
    }
    let cluster = clusters
        .iter_mut()
        .find(|cluster| cluster["name"] == xds_cluster.as_str())
        .unwrap_or_else(|| panic!("no static cluster {xds_cluster}"));
    let object = cluster.as_object_mut().unwrap();
    object.insert("type".to_owned(), Value::from("STATIC"));
    object.remove("dns_lookup_family");
    let endpoints = cluster
        .pointer_mut("/load_assignment/endpoints")
        .and_then(Value::as_array_mut)
        .unwrap();
    for locality in endpoints {
        for endpoint in locality["lb_endpoints"].as_array_mut().unwrap() {
            endpoint["endpoint"]["address"]["socket_address"] = serde_json::json!({
                "address": xds.ip().to_string(),
                "port_value": xds.port(),
            });
        }
    }
    // Static listeners (a readiness endpoint for the kubelet) would take fixed ports.
    if let Some(listeners) = bootstrap
        .pointer_mut("/static_resources/listeners")
        .and_then(Value::as_array_mut)
    {
        for listener in listeners {
            if let Some(address) = listener.pointer_mut("/address/socket_address") {
                address["address"] = Value::from("127.0.0.1");
                address["port_value"] = Value::from(0);
            }
        }
    }
}
