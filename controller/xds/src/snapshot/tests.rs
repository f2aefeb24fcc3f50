use std::collections::BTreeMap;

use envoy_types::pb::google::protobuf::Any;

use super::{Snapshot, SnapshotError, type_url};

fn any(type_url: &str, payload: &[u8]) -> Any {
    Any {
        type_url: type_url.to_owned(),
        value: payload.to_vec(),
    }
}

fn snapshot(entries: &[(&str, &str, &[u8])]) -> Snapshot {
    let mut resources: BTreeMap<String, Vec<(String, Any)>> = BTreeMap::new();
    for (url, name, payload) in entries {
        resources
            .entry((*url).to_owned())
            .or_default()
            .push(((*name).to_owned(), any(url, payload)));
    }
    Snapshot::new(resources).unwrap()
}

#[test]
fn same_content_in_any_order_has_the_same_versions() {
    let a = snapshot(&[
        (type_url::CLUSTER, "a", b"1"),
        (type_url::CLUSTER, "b", b"2"),
        (type_url::LISTENER, "l", b"3"),
    ]);
    let b = snapshot(&[
        (type_url::LISTENER, "l", b"3"),
        (type_url::CLUSTER, "b", b"2"),
        (type_url::CLUSTER, "a", b"1"),
    ]);
    assert_eq!(a.version(), b.version());
    assert_eq!(
        a.type_version(type_url::CLUSTER),
        b.type_version(type_url::CLUSTER)
    );
    let names: Vec<&str> = a
        .get(type_url::CLUSTER)
        .unwrap()
        .items()
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["a", "b"]);
}

#[test]
fn a_change_moves_only_the_changed_type() {
    let before = snapshot(&[
        (type_url::CLUSTER, "a", b"1"),
        (type_url::LISTENER, "l", b"3"),
    ]);
    let after = snapshot(&[
        (type_url::CLUSTER, "a", b"1"),
        (type_url::LISTENER, "l", b"4"),
    ]);
    assert_eq!(
        before.type_version(type_url::CLUSTER),
        after.type_version(type_url::CLUSTER)
    );
    assert_ne!(
        before.type_version(type_url::LISTENER),
        after.type_version(type_url::LISTENER)
    );
    assert_ne!(before.version(), after.version());
}

#[test]
fn renaming_a_resource_changes_the_version() {
    let before = snapshot(&[(type_url::CLUSTER, "a", b"1")]);
    let after = snapshot(&[(type_url::CLUSTER, "b", b"1")]);
    assert_ne!(
        before.type_version(type_url::CLUSTER),
        after.type_version(type_url::CLUSTER)
    );
}

#[test]
fn field_boundaries_are_part_of_the_hash() {
    let before = snapshot(&[(type_url::CLUSTER, "ab", b"c")]);
    let after = snapshot(&[(type_url::CLUSTER, "a", b"bc")]);
    assert_ne!(
        before.type_version(type_url::CLUSTER),
        after.type_version(type_url::CLUSTER)
    );
}

#[test]
fn an_empty_group_is_the_same_as_an_absent_one() {
    let mut resources = BTreeMap::new();
    resources.insert(type_url::ROUTE.to_owned(), Vec::new());
    let with_empty = Snapshot::new(resources).unwrap();
    assert_eq!(with_empty, Snapshot::empty());
    assert!(with_empty.type_urls().is_empty());
    assert_eq!(
        with_empty.type_version(type_url::ROUTE),
        Snapshot::empty().type_version(type_url::ROUTE)
    );
    assert_ne!(
        Snapshot::empty().type_version(type_url::ROUTE),
        Snapshot::empty().type_version(type_url::LISTENER),
        "each type has its own empty version"
    );
}

#[test]
fn duplicate_names_are_rejected() {
    let mut resources = BTreeMap::new();
    resources.insert(
        type_url::CLUSTER.to_owned(),
        vec![
            ("a".to_owned(), any(type_url::CLUSTER, b"1")),
            ("a".to_owned(), any(type_url::CLUSTER, b"2")),
        ],
    );
    assert_eq!(
        Snapshot::new(resources),
        Err(SnapshotError::DuplicateName {
            type_url: type_url::CLUSTER.to_owned(),
            name: "a".to_owned()
        })
    );
}

#[test]
fn a_resource_filed_under_the_wrong_type_is_rejected() {
    let mut resources = BTreeMap::new();
    resources.insert(
        type_url::CLUSTER.to_owned(),
        vec![("a".to_owned(), any(type_url::LISTENER, b"1"))],
    );
    assert!(matches!(
        Snapshot::new(resources),
        Err(SnapshotError::TypeMismatch { .. })
    ));
}

#[test]
fn types_are_listed_in_push_order() {
    let snap = snapshot(&[
        (type_url::ROUTE, "r", b"1"),
        (type_url::LISTENER, "l", b"1"),
        (type_url::ENDPOINT, "e", b"1"),
        (type_url::CLUSTER, "c", b"1"),
        ("type.googleapis.com/x.Other", "o", b"1"),
    ]);
    assert_eq!(
        snap.type_urls(),
        [
            type_url::CLUSTER,
            type_url::ENDPOINT,
            type_url::LISTENER,
            type_url::ROUTE,
            "type.googleapis.com/x.Other"
        ]
    );
}
