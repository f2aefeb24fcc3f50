use std::path::PathBuf;

use dynagate_ir::GatewayKey;
use serde_yaml::Value;

use super::{BootstrapParams, MODULE_SEARCH_PATH_ENV, XDS_CLUSTER, XdsAddress};

fn render(params: &BootstrapParams) -> (String, Value) {
    let text = params.render_yaml().unwrap();
    let value = serde_yaml::from_str(&text).unwrap();
    (text, value)
}

fn params(xds: &str) -> BootstrapParams {
    BootstrapParams::new(GatewayKey::new("infra", "edge"), xds.parse().unwrap())
}

#[test]
fn xds_addresses_parse_hosts_names_and_v6() {
    assert_eq!(
        "127.0.0.1:18000".parse(),
        Ok(XdsAddress {
            host: "127.0.0.1".into(),
            port: 18000
        })
    );
    assert_eq!(
        "[::1]:18000".parse(),
        Ok(XdsAddress {
            host: "::1".into(),
            port: 18000
        })
    );
    let named: XdsAddress = "dynagate.dynagate-system.svc:18000".parse().unwrap();
    assert_eq!(named.host, "dynagate.dynagate-system.svc");
    assert_eq!(named.to_string(), "dynagate.dynagate-system.svc:18000");
    assert_eq!(
        XdsAddress {
            host: "::1".into(),
            port: 1
        }
        .to_string(),
        "[::1]:1"
    );
    for bad in ["18000", "host:", ":18000", "host:99999", "host:port"] {
        assert!(
            bad.parse::<XdsAddress>().is_err(),
            "{bad} should be rejected"
        );
    }
}

#[test]
fn the_node_names_the_gateway_for_the_xds_server() {
    let (_, doc) = render(&params("127.0.0.1:18000"));
    assert_eq!(doc["node"]["cluster"], "infra/edge", "the xDS node key");
    assert_eq!(doc["node"]["id"], "infra/edge");

    let mut custom = params("127.0.0.1:18000");
    custom.node_id = Some("edge-7d9f".into());
    let (_, doc) = render(&custom);
    assert_eq!(doc["node"]["id"], "edge-7d9f");
    assert_eq!(doc["node"]["cluster"], "infra/edge");
}

#[test]
fn listeners_and_clusters_come_over_ads_from_an_http2_cluster() {
    let (_, doc) = render(&params("10.0.0.5:18000"));
    let ads = &doc["dynamic_resources"]["ads_config"];
    assert_eq!(ads["api_type"], "GRPC");
    assert_eq!(ads["transport_api_version"], "V3");
    assert_eq!(
        ads["grpc_services"][0]["envoy_grpc"]["cluster_name"],
        XDS_CLUSTER
    );
    for source in ["lds_config", "cds_config"] {
        assert!(
            doc["dynamic_resources"][source]["ads"].is_mapping(),
            "{source} via ADS"
        );
    }

    let cluster = &doc["static_resources"]["clusters"][0];
    assert_eq!(cluster["name"], XDS_CLUSTER);
    assert_eq!(cluster["type"], "STATIC");
    let options = &cluster["typed_extension_protocol_options"]["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"];
    assert!(
        options["explicit_http_config"]["http2_protocol_options"].is_mapping(),
        "gRPC needs HTTP/2"
    );
    let address = &cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]
        ["socket_address"];
    assert_eq!(address["address"], "10.0.0.5");
    assert_eq!(address["port_value"], 18000);
}

#[test]
fn a_dns_name_makes_a_resolving_cluster() {
    let (_, doc) = render(&params("localhost:18000"));
    let cluster = &doc["static_resources"]["clusters"][0];
    assert_eq!(cluster["type"], "STRICT_DNS");
    assert_eq!(cluster["dns_lookup_family"], "V4_PREFERRED");
}

#[test]
fn admin_listens_on_loopback_at_the_given_port() {
    let mut any_port = params("127.0.0.1:18000");
    any_port.admin_port = 0;
    let (_, doc) = render(&any_port);
    assert_eq!(
        doc["admin"]["address"]["socket_address"]["address"],
        "127.0.0.1"
    );
    assert_eq!(doc["admin"]["address"]["socket_address"]["port_value"], 0);
}

#[test]
fn the_header_says_how_envoy_finds_the_module() {
    let mut with_dir = params("127.0.0.1:18000");
    with_dir.module_dir = Some(PathBuf::from("/opt/dynagate/lib"));
    let (text, _) = render(&with_dir);
    assert!(text.starts_with('#'));
    assert!(
        text.contains(&format!(
            "{MODULE_SEARCH_PATH_ENV}=/opt/dynagate/lib envoy -c"
        )),
        "{text}"
    );

    let (text, _) = render(&params("127.0.0.1:18000"));
    assert!(text.contains(MODULE_SEARCH_PATH_ENV), "{text}");
}

#[test]
fn a_readiness_port_adds_a_ready_route_to_the_admin_endpoint_and_nothing_else() {
    let (_, plain) = render(&params("127.0.0.1:18000"));
    assert!(plain["static_resources"].get("listeners").is_none());
    assert_eq!(
        plain["static_resources"]["clusters"]
            .as_sequence()
            .unwrap()
            .len(),
        1
    );

    let mut with = params("127.0.0.1:18000");
    with.admin_port = 19_555;
    with.readiness_port = Some(8082);
    let (_, doc) = render(&with);
    let listener = &doc["static_resources"]["listeners"][0];
    assert_eq!(listener["name"], super::READINESS_LISTENER);
    assert_eq!(listener["address"]["socket_address"]["address"], "0.0.0.0");
    assert_eq!(listener["address"]["socket_address"]["port_value"], 8082);
    let hcm = &listener["filter_chains"][0]["filters"][0]["typed_config"];
    let routes = hcm["route_config"]["virtual_hosts"][0]["routes"]
        .as_sequence()
        .unwrap();
    assert_eq!(routes.len(), 1, "only /ready is exposed");
    assert_eq!(routes[0]["match"]["path"], "/ready");
    assert_eq!(routes[0]["route"]["cluster"], super::ADMIN_CLUSTER);
    let admin = &doc["static_resources"]["clusters"][1];
    assert_eq!(admin["name"], super::ADMIN_CLUSTER);
    let address =
        &admin["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"];
    assert_eq!(address["socket_address"]["address"], "127.0.0.1");
    assert_eq!(address["socket_address"]["port_value"], 19_555);
}
