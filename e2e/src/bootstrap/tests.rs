//! The rendered bootstrap: the parts Envoy cannot check for us without a working module.

use std::net::SocketAddr;

use serde_json::{Value, json};

use super::*;

fn upstream() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9))
}

fn hcm(bootstrap: &Bootstrap, listener: usize) -> Value {
    bootstrap.to_json()["static_resources"]["listeners"][listener]["filter_chains"][0]["filters"][0]
        ["typed_config"]
        .clone()
}

#[test]
fn filters_keep_their_order_and_the_router_is_always_last() {
    let first = ModuleFilter::dynagate("transformation", json!({})).named("first");
    let second = HttpFilter::typed("envoy.filters.http.buffer", json!({}));
    let bootstrap = Bootstrap::proxy(upstream(), [HttpFilter::from(first), second]);

    let names: Vec<Value> = hcm(&bootstrap, 0)["http_filters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|filter| filter["name"].clone())
        .collect();
    assert_eq!(
        names,
        [
            json!("first"),
            json!("envoy.filters.http.buffer"),
            json!("envoy.filters.http.router")
        ]
    );
}

#[test]
fn a_module_filter_carries_its_config_as_json_text_in_a_string_value() {
    let config = json!({ "headers": { "x-a": "1" } });
    let bootstrap = Bootstrap::proxy(upstream(), [ModuleFilter::probe("headers", config.clone())]);

    let typed = &hcm(&bootstrap, 0)["http_filters"][0]["typed_config"];
    assert_eq!(
        typed["dynamic_module_config"],
        json!({ "name": "dynagate_probe" })
    );
    assert_eq!(typed["filter_name"], "headers");
    assert_eq!(
        typed["filter_config"]["@type"],
        "type.googleapis.com/google.protobuf.StringValue"
    );
    let text = typed["filter_config"]["value"].as_str().unwrap();
    assert_eq!(serde_json::from_str::<Value>(text).unwrap(), config);
}

#[test]
fn per_route_config_is_keyed_by_the_filters_chain_name_and_names_its_module() {
    let filter = ModuleFilter::dynagate("transformation", json!({})).named("tx");
    let route = Route::prefix("/").to_cluster("c").module_config(
        &filter,
        "override",
        ModuleConfig::text("raw"),
    );
    let bootstrap = Bootstrap::new().listener(Listener::new("l").http_filter(filter).route(route));

    let per_filter = &hcm(&bootstrap, 0)["route_config"]["virtual_hosts"][0]["routes"][0]["typed_per_filter_config"];
    let entry = &per_filter["tx"];
    assert_eq!(entry["dynamic_module_config"]["name"], "dynagate");
    assert_eq!(entry["filter_name"], "override");
    assert!(
        entry.get("per_route_config_name").is_none(),
        "deprecated in Envoy 1.40"
    );
    assert_eq!(entry["filter_config"]["value"], "raw");
}

#[test]
fn every_referenced_module_is_collected_once() {
    let logger_file = std::path::PathBuf::from("/opt/liblogger.so");
    let bootstrap = Bootstrap::new()
        .listener(
            Listener::new("l")
                .http_filter(ModuleFilter::dynagate("a", json!({})))
                .http_filter(ModuleFilter::dynagate("b", json!({})))
                .route(Route::prefix("/").module_config(
                    &ModuleFilter::probe("p", json!({})),
                    "r",
                    json!({}),
                ))
                .access_log(AccessLog::module(
                    DynamicModule::File(logger_file.clone()),
                    "log",
                    json!({}),
                ))
                .access_log(AccessLog::file("access.log")),
        )
        .cluster(
            Cluster::new("c", upstream()).upstream_filter(ModuleFilter::dynagate("c", json!({}))),
        );

    let modules = bootstrap.modules();
    assert_eq!(modules.len(), 3, "{modules:?}");
    for module in [
        DynamicModule::File(logger_file),
        DynamicModule::dynagate(),
        DynamicModule::probe(),
    ] {
        assert!(
            modules.contains(&module),
            "{module:?} missing from {modules:?}"
        );
    }
}

#[test]
fn routes_without_a_virtual_host_go_to_a_catch_all_after_the_named_hosts() {
    let bootstrap = Bootstrap::new().listener(
        Listener::new("l")
            .route(Route::path("/x").direct_response(204, ""))
            .virtual_host(
                VirtualHost::new("api", &["api.test"]).route(Route::prefix("/").to_cluster("c")),
            ),
    );

    let hosts = &hcm(&bootstrap, 0)["route_config"]["virtual_hosts"];
    assert_eq!(hosts[0]["domains"], json!(["api.test"]));
    assert_eq!(hosts[1]["domains"], json!(["*"]));
    assert_eq!(hosts[1]["routes"][0]["match"], json!({ "path": "/x" }));
}

#[test]
fn patches_apply_to_the_rendered_json() {
    let bootstrap =
        Bootstrap::new().patch(|json| json["layered_runtime"] = json!({ "layers": [] }));
    assert_eq!(
        bootstrap.to_json()["layered_runtime"],
        json!({ "layers": [] })
    );
}
