use dynagate_api::k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;
use serde_json::json;

use super::*;

fn v1beta1_slice(endpoint: Value) -> Value {
    json!({
        "apiVersion": "discovery.k8s.io/v1beta1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "web-abc",
            "namespace": "shop",
            "labels": {"kubernetes.io/service-name": "web"}
        },
        "addressType": "IPv4",
        "endpoints": [endpoint],
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]
    })
}

#[test]
fn v1beta1_endpoint_slice_keeps_what_translation_reads() {
    let slice = endpoint_slice_from_v1beta1(v1beta1_slice(json!({
        "addresses": ["10.0.0.7"],
        "conditions": {"ready": false},
        "topology": {"topology.kubernetes.io/zone": "eu-1a", "kubernetes.io/hostname": "node-3"}
    })))
    .unwrap();

    assert_eq!(slice.address_type, "IPv4");
    assert_eq!(slice.metadata.namespace.as_deref(), Some("shop"));
    assert_eq!(
        slice.metadata.labels.unwrap()["kubernetes.io/service-name"],
        "web"
    );
    let ports = slice.ports.unwrap();
    assert_eq!(
        (ports[0].name.as_deref(), ports[0].port),
        (Some("http"), Some(8080))
    );
    let endpoint = &slice.endpoints.as_ref().unwrap()[0];
    assert_eq!(endpoint.addresses, vec!["10.0.0.7".to_owned()]);
    assert_eq!(endpoint.conditions.as_ref().unwrap().ready, Some(false));
    assert_eq!(endpoint.zone.as_deref(), Some("eu-1a"));
    assert_eq!(endpoint.node_name.as_deref(), Some("node-3"));
    assert_eq!(
        endpoint.deprecated_topology.as_ref().unwrap()["kubernetes.io/hostname"],
        "node-3"
    );
}

#[test]
fn v1beta1_endpoint_keeps_its_own_node_name_over_topology() {
    let slice = endpoint_slice_from_v1beta1(v1beta1_slice(json!({
        "addresses": ["10.0.0.8"],
        "nodeName": "node-9",
        "topology": {"kubernetes.io/hostname": "node-3"}
    })))
    .unwrap();
    assert_eq!(
        slice.endpoints.as_ref().unwrap()[0].node_name.as_deref(),
        Some("node-9")
    );
    assert_eq!(slice.endpoints.as_ref().unwrap()[0].zone, None);
}

#[test]
fn object_from_json_routes_v1beta1_endpoint_slices_through_the_conversion() {
    let object = object_from_json(
        ObjectKind::EndpointSlice,
        v1beta1_slice(
            json!({"addresses": ["10.0.0.7"], "topology": {"topology.kubernetes.io/zone": "z"}}),
        ),
    )
    .unwrap();
    let Object::EndpointSlice(slice) = object else {
        panic!("expected an EndpointSlice, got {object:?}");
    };
    assert_eq!(
        slice.endpoints.as_ref().unwrap()[0].zone.as_deref(),
        Some("z")
    );
}

#[test]
fn object_from_json_reads_an_older_gateway_api_version() {
    let object = object_from_json(
        ObjectKind::ReferenceGrant,
        json!({
            "apiVersion": "gateway.networking.k8s.io/v1beta1",
            "kind": "ReferenceGrant",
            "metadata": {"name": "allow", "namespace": "certs"},
            "spec": {
                "from": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "edge"}],
                "to": [{"group": "", "kind": "Secret"}]
            }
        }),
    )
    .unwrap();
    assert_eq!(object.key().to_string(), "ReferenceGrant certs/allow");
    let Object::ReferenceGrant(grant) = object else {
        panic!("expected a ReferenceGrant");
    };
    assert_eq!(grant.spec.from[0].namespace, "edge");
}

#[test]
fn object_from_json_reports_a_spec_that_does_not_fit() {
    let result = object_from_json(
        ObjectKind::Backend,
        json!({
            "apiVersion": "gateway.kgateway.dev/v1alpha1",
            "kind": "Backend",
            "metadata": {"name": "b", "namespace": "default"},
            "spec": {"static": {"hosts": "not-a-list"}}
        }),
    );
    assert!(result.is_err(), "{result:?}");
}

#[test]
fn slimming_drops_managed_fields_and_last_applied_only() {
    let mut meta = ObjectMeta {
        managed_fields: Some(vec![ManagedFieldsEntry::default()]),
        annotations: Some(
            [
                (LAST_APPLIED.to_owned(), "{...}".to_owned()),
                ("team".to_owned(), "edge".to_owned()),
            ]
            .into(),
        ),
        ..ObjectMeta::default()
    };
    slim_metadata(&mut meta);
    assert_eq!(meta.managed_fields, None);
    assert_eq!(
        meta.annotations,
        Some([("team".to_owned(), "edge".to_owned())].into())
    );

    let mut only_last_applied = ObjectMeta {
        annotations: Some([(LAST_APPLIED.to_owned(), "{}".to_owned())].into()),
        ..ObjectMeta::default()
    };
    slim_metadata(&mut only_last_applied);
    assert_eq!(only_last_applied.annotations, None);
}
