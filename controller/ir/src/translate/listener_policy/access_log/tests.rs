use std::path::Path;

use dynagate_api::kgateway::{AccessLog as AccessLogEntry, FileSink};
use dynagate_api::manifest::parse_manifests;
use envoy_types::pb::google::protobuf::StringValue;
use prost::Message;

use super::*;

const GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, labels: {tier: edge}}\nspec:\n  gatewayClassName: c\n  listeners: [{name: a, port: 8080, protocol: HTTP}, {name: b, port: 9090, protocol: HTTP}]\n";

fn resources(policies: &str) -> Resources {
    let text = format!("{GATEWAY}---\n{policies}");
    let parsed = parse_manifests(Path::new("t.yaml"), &text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    Resources::new(parsed.objects).unwrap()
}

/// The `path` of each logger's fileSink, read back from the Envoy config.
fn paths(loggers: &[AccessLog]) -> Vec<String> {
    loggers
        .iter()
        .map(|logger| {
            let Some(access_log::ConfigType::TypedConfig(any)) = &logger.config_type else {
                panic!("no typed config: {logger:?}");
            };
            let module = DynamicModuleAccessLog::decode(any.value.as_slice()).unwrap();
            assert_eq!(module.logger_name, ACCESS_LOG_LOGGER);
            let config = module.logger_config.unwrap();
            let json = StringValue::decode(config.value.as_slice()).unwrap().value;
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            value["fileSink"]["path"].as_str().unwrap().to_owned()
        })
        .collect()
}

fn file(path: &str, format: Option<&str>) -> AccessLogEntry {
    AccessLogEntry {
        file_sink: Some(FileSink {
            path: path.to_owned(),
            string_format: format.map(str::to_owned),
            json_format: None,
        }),
        ..AccessLogEntry::default()
    }
}

#[test]
fn entries_are_compiled_by_the_logger_before_they_reach_envoy() {
    let otel = AccessLogEntry {
        open_telemetry: Some(serde_json::json!({"grpcService": {}})),
        ..AccessLogEntry::default()
    };
    let entries = [
        file("/dev/stdout", None),
        otel,
        file("/tmp/a.log", Some("%BOGUS_OPERATOR%\n")),
    ];
    let out = translate(&entries, "accessLog");
    assert_eq!(paths(&out.loggers), ["/dev/stdout"]);
    assert_eq!(out.unsupported, ["accessLog[1].openTelemetry"]);
    assert_eq!(out.invalid.len(), 1, "{:?}", out.invalid);
    assert!(
        out.invalid[0].starts_with("accessLog[2]: ") && out.invalid[0].contains("BOGUS_OPERATOR"),
        "{:?}",
        out.invalid
    );
    assert_eq!(
        out.usable(),
        None,
        "an invalid entry disables the whole list"
    );
}

const HTTP_LISTENER_POLICY: &str = "apiVersion: gateway.kgateway.dev/v1alpha1\nkind: HTTPListenerPolicy\nmetadata: {name: hlp}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]\n  accessLog: [{fileSink: {path: /hlp.log}}]\n";

#[test]
fn a_listener_policy_port_entry_replaces_its_default_and_wins_over_http_listener_policy() {
    let listener_policy = "---\napiVersion: gateway.kgateway.dev/v1alpha1\nkind: ListenerPolicy\nmetadata: {name: lp}\nspec:\n  targetSelectors: [{group: gateway.networking.k8s.io, kind: Gateway, matchLabels: {tier: edge}}]\n  default: {httpSettings: {accessLog: [{fileSink: {path: /default.log}}]}}\n  perPort:\n  - {port: 9090, listener: {httpSettings: {accessLog: [{fileSink: {path: /port.log}}, {fileSink: {path: /port2.log}}]}}}\n";
    let resources = resources(&format!("{HTTP_LISTENER_POLICY}{listener_policy}"));
    let gw = ("default".to_owned(), "gw".to_owned());
    assert_eq!(
        paths(&for_listener(&resources, &gw, 8080)),
        ["/default.log"]
    );
    assert_eq!(
        paths(&for_listener(&resources, &gw, 9090)),
        ["/port.log", "/port2.log"]
    );
}

#[test]
fn an_invalid_policy_gives_way_and_other_gateways_are_untouched() {
    let invalid = "---\napiVersion: gateway.kgateway.dev/v1alpha1\nkind: ListenerPolicy\nmetadata: {name: lp}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]\n  default: {httpSettings: {accessLog: [{fileSink: {path: /x.log, stringFormat: '%NOPE%'}}]}}\n";
    let resources = resources(&format!("{HTTP_LISTENER_POLICY}{invalid}"));
    let gw = ("default".to_owned(), "gw".to_owned());
    assert_eq!(paths(&for_listener(&resources, &gw, 8080)), ["/hlp.log"]);
    let other = ("default".to_owned(), "other".to_owned());
    assert!(for_listener(&resources, &other, 8080).is_empty());
}
