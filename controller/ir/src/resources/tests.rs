use std::path::Path;

use dynagate_api::manifest::parse_manifests;

use super::*;

fn objects(text: &str) -> Vec<Object> {
    let parsed = parse_manifests(Path::new("t.yaml"), text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    parsed.objects
}

#[test]
fn duplicate_identity_is_an_error_naming_the_object() {
    let objs = objects(
        "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: default}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: other}\n",
    );
    let err = Resources::new(objs).unwrap_err();
    assert_eq!(
        err.duplicates,
        vec![ObjectKey::new(ObjectKind::Service, "default", "a")]
    );
    assert_eq!(err.to_string(), "duplicate objects: Service default/a");
}

#[test]
fn same_name_in_different_kinds_or_namespaces_is_fine_and_slices_are_indexed() {
    let objs = objects(
        "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: a}\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: a-1, labels: {kubernetes.io/service-name: a}}\naddressType: IPv4\nendpoints: []\n",
    );
    let resources = Resources::new(objs).unwrap();
    assert_eq!(resources.len(), 3);
    assert_eq!(resources.count_by_kind()[&ObjectKind::Service], 1);
    let slices = &resources.slices_by_service[&("default".to_owned(), "a".to_owned())];
    assert_eq!(slices, &vec![("default".to_owned(), "a-1".to_owned())]);
}
