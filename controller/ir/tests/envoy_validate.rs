//! Envoy 1.40 judges the golden outputs: each case's xDS, made static (RDS inlined, EDS turned into
//! static assignments, SDS into static secrets), must pass `envoy --mode validate`. This catches what a
//! real Envoy would NACK. The module's filter needs `libdynagate.so`, so its declarations and per-route
//! configs are stripped here (the e2e tests exercise them).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a failure should fail loudly"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dynagate_api::manifest::parse_manifests;
use dynagate_ir::{
    ProxyConfig, RATE_LIMIT_HTTP_FILTER_NAME, Resources, TRANSFORMATION_HTTP_FILTER_NAME, translate,
};

/// The module's filters (declarations and per-route configs) that validation cannot load.
const MODULE_FILTERS: [&str; 2] = [TRANSFORMATION_HTTP_FILTER_NAME, RATE_LIMIT_HTTP_FILTER_NAME];
use envoy_types::pb::envoy::config::bootstrap::v3::{Bootstrap, bootstrap};
use envoy_types::pb::envoy::config::cluster::v3::cluster;
use envoy_types::pb::envoy::config::core::v3::{Node, transport_socket};
use envoy_types::pb::envoy::config::listener::v3::filter;
use envoy_types::pb::envoy::config::route::v3::RouteConfiguration;
use envoy_types::pb::envoy::extensions::filters::network::http_connection_manager::v3::{
    HttpConnectionManager, http_connection_manager,
};
use envoy_types::pb::envoy::extensions::transport_sockets::tls::v3::DownstreamTlsContext;
use envoy_types::pb::google::protobuf::Any;
use prost::{Message, Name};

#[path = "support/descriptors.rs"]
mod descriptors;

fn envoy_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("ENVOY_BIN") {
        return PathBuf::from(bin);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let lib = root.join(".venv/lib");
    let found = std::fs::read_dir(&lib)
        .ok()
        .into_iter()
        .flatten()
        .find_map(|entry| {
            let candidate = entry.ok()?.path().join("site-packages/envoy/_bin/envoy");
            candidate.is_file().then_some(candidate)
        });
    found.expect("Envoy not found: run scripts/install-envoy.sh or set ENVOY_BIN")
}

fn repack<T: Message + Name + Default>(any: &Any, edit: impl FnOnce(&mut T)) -> Any {
    let mut message = T::decode(any.value.as_slice()).unwrap();
    edit(&mut message);
    Any {
        type_url: T::type_url(),
        value: message.encode_to_vec(),
    }
}

fn strip_module_filter(route_config: &mut RouteConfiguration) {
    let strip = |configs: &mut std::collections::HashMap<String, Any>| {
        configs.retain(|name, _| !MODULE_FILTERS.contains(&name.as_str()));
    };
    strip(&mut route_config.typed_per_filter_config);
    for vhost in &mut route_config.virtual_hosts {
        strip(&mut vhost.typed_per_filter_config);
        for route in &mut vhost.routes {
            strip(&mut route.typed_per_filter_config);
        }
    }
}

/// The proxy's configuration as a static bootstrap.
fn static_bootstrap(proxy: &ProxyConfig) -> Bootstrap {
    let route_configs: BTreeMap<&str, &RouteConfiguration> = proxy
        .route_configs
        .iter()
        .map(|rc| (rc.name.as_str(), rc))
        .collect();
    let mut listeners = proxy.listeners.clone();
    for listener in &mut listeners {
        for chain in &mut listener.filter_chains {
            for network_filter in &mut chain.filters {
                let Some(filter::ConfigType::TypedConfig(any)) = &network_filter.config_type else {
                    continue;
                };
                let any = repack::<HttpConnectionManager>(any, |hcm| {
                    hcm.http_filters
                        .retain(|f| !MODULE_FILTERS.contains(&f.name.as_str()));
                    let Some(http_connection_manager::RouteSpecifier::Rds(rds)) =
                        &hcm.route_specifier
                    else {
                        return;
                    };
                    let mut inline = (*route_configs[rds.route_config_name.as_str()]).clone();
                    strip_module_filter(&mut inline);
                    hcm.route_specifier =
                        Some(http_connection_manager::RouteSpecifier::RouteConfig(inline));
                });
                network_filter.config_type = Some(filter::ConfigType::TypedConfig(any));
            }
            if let Some(socket) = &mut chain.transport_socket
                && let Some(transport_socket::ConfigType::TypedConfig(any)) = &socket.config_type
            {
                let any = repack::<DownstreamTlsContext>(any, |tls| {
                    for sds in &mut tls
                        .common_tls_context
                        .as_mut()
                        .unwrap()
                        .tls_certificate_sds_secret_configs
                    {
                        sds.sds_config = None; // a name-only reference means a static secret
                    }
                });
                socket.config_type = Some(transport_socket::ConfigType::TypedConfig(any));
            }
        }
    }
    let mut clusters = proxy.clusters.clone();
    for cluster in &mut clusters {
        if cluster.eds_cluster_config.take().is_some() {
            cluster.cluster_discovery_type = Some(cluster::ClusterDiscoveryType::Type(
                cluster::DiscoveryType::Static as i32,
            ));
            cluster.load_assignment = proxy
                .endpoints
                .iter()
                .find(|e| e.cluster_name == cluster.name)
                .cloned();
        }
    }
    Bootstrap {
        node: Some(Node {
            id: "validate".to_owned(),
            cluster: "validate".to_owned(),
            ..Node::default()
        }),
        static_resources: Some(bootstrap::StaticResources {
            listeners,
            clusters,
            secrets: proxy.secrets.clone(),
        }),
        ..Bootstrap::default()
    }
}

#[test]
fn golden_outputs_pass_envoy_validation() {
    let envoy = envoy_binary();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let dir = std::env::temp_dir().join(format!("dynagate-ir-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("input.yaml").is_file())
        .collect();
    cases.sort();
    let mut validated = 0;
    for case in cases {
        let input = std::fs::read_to_string(case.join("input.yaml")).unwrap();
        let resources =
            Resources::new(parse_manifests(Path::new("input.yaml"), &input).objects).unwrap();
        for (key, proxy) in translate(&resources).proxies {
            let bootstrap = static_bootstrap(&proxy);
            let json = descriptors::to_json(&Bootstrap::type_url(), &bootstrap.encode_to_vec());
            let file = dir.join(format!(
                "{}-{}-{}.json",
                case.file_name().unwrap().to_string_lossy(),
                key.namespace,
                key.name
            ));
            std::fs::write(&file, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
            let output = std::process::Command::new(&envoy)
                .args(["--mode", "validate", "--log-level", "error", "-c"])
                .arg(&file)
                .output()
                .expect("run envoy");
            assert!(
                output.status.success(),
                "Envoy rejects {} ({key}):\n{}\n{}",
                file.display(),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            validated += 1;
        }
    }
    assert!(validated > 0, "no proxy configuration was validated");
    let _ = std::fs::remove_dir_all(&dir);
}
