use serde_json::{Value, json};

use super::*;

#[test]
fn null_enum_values_become_nullable_at_any_depth() {
    let crd = json!({
        "metadata": { "name": "things.example.k8s.io" },
        "spec": { "versions": [{ "schema": { "openAPIV3Schema": { "properties": {
            "mode": { "type": "string", "enum": ["A", null, "B"] },
            "plain": { "type": "string", "enum": ["C"] },
            "list": { "items": { "enum": [null, "D"] } },
        }}}}]},
    });
    let adapted = adapt_crd_for_1_20(crd);
    let properties = &adapted["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"];
    assert_eq!(properties["mode"]["enum"], json!(["A", "B"]));
    assert_eq!(properties["mode"]["nullable"], json!(true));
    assert_eq!(properties["plain"]["enum"], json!(["C"]));
    assert_eq!(properties["plain"].get("nullable"), None);
    assert_eq!(properties["list"]["items"]["enum"], json!(["D"]));
    assert_eq!(properties["list"]["items"]["nullable"], json!(true));
}

#[test]
fn adapted_crds_carry_the_api_approval_annotation() {
    let adapted = adapt_crd_for_1_20(json!({ "metadata": { "name": "x.k8s.io" }, "spec": {} }));
    let value = adapted["metadata"]["annotations"][API_APPROVED_ANNOTATION]
        .as_str()
        .unwrap();
    // The apiserver accepts a URL or a value starting with "unapproved" for protected groups.
    assert!(value.starts_with("unapproved"), "{value}");
}

#[test]
fn every_gateway_api_crd_is_free_of_null_enum_values() {
    let crds = gateway_api_crds().unwrap();
    let names: Vec<&str> = crds
        .iter()
        .filter_map(|crd| crd["metadata"]["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "gatewayclasses.gateway.networking.k8s.io",
            "gateways.gateway.networking.k8s.io",
            "httproutes.gateway.networking.k8s.io",
            "grpcroutes.gateway.networking.k8s.io",
            "referencegrants.gateway.networking.k8s.io",
        ]
    );
    for crd in &crds {
        assert!(!has_null_enum(crd), "{}", crd["metadata"]["name"]);
    }
}

#[test]
fn token_kubeconfigs_name_the_service_account_and_trust_the_cluster_ca() {
    let text = kubeconfig::render(
        "https://127.0.0.1:6443",
        Path::new("/pki/ca.crt"),
        "system:serviceaccount:ns:sa",
        &Credentials::Token("abc"),
        "ns",
    )
    .unwrap();
    let parsed = ::kube::config::Kubeconfig::from_yaml(&text).unwrap();
    let context = &parsed.contexts[0];
    assert_eq!(
        parsed.current_context.as_deref(),
        Some(context.name.as_str())
    );
    let context = context.context.as_ref().unwrap();
    assert_eq!(context.namespace.as_deref(), Some("ns"));
    let cluster = parsed.clusters[0].cluster.as_ref().unwrap();
    assert_eq!(cluster.server.as_deref(), Some("https://127.0.0.1:6443"));
    assert_eq!(
        cluster.certificate_authority.as_deref(),
        Some("/pki/ca.crt")
    );
    let user = parsed.auth_infos[0].auth_info.as_ref().unwrap();
    assert!(user.token.is_some());
}

#[test]
fn the_generated_gateway_api_crds_need_the_adaptation() {
    use ::kube::CustomResourceExt as _;
    use gateway_api::apis::standard::httproutes::HttpRoute;
    // 1.20 rejects these as generated: the crate's schemas list `null` among enum values.
    let raw = serde_json::to_value(HttpRoute::crd()).unwrap();
    assert!(has_null_enum(&raw));
    assert!(!has_null_enum(&adapt_crd_for_1_20(raw)));
}

fn has_null_enum(node: &Value) -> bool {
    match node {
        Value::Object(object) => {
            object
                .get("enum")
                .and_then(Value::as_array)
                .is_some_and(|values| values.iter().any(Value::is_null))
                || object.values().any(has_null_enum)
        }
        Value::Array(items) => items.iter().any(has_null_enum),
        _ => false,
    }
}
