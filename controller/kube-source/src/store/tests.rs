use dynagate_api::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::*;
use crate::test_support::object;

fn service(name: &str) -> Object {
    object(&format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: default}}\nspec: {{ports: [{{port: 80}}]}}\n"
    ))
}

fn https_gateway(secret: &str) -> Object {
    object(&format!(
        r#"
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: gw, namespace: default}}
spec:
  gatewayClassName: dynagate
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    tls: {{certificateRefs: [{{name: {secret}}}]}}
"#
    ))
}

/// A Secret as the metadata watch reports it: no data.
fn secret_meta(name: &str, version: &str) -> Object {
    Object::Secret(Secret {
        metadata: secret_metadata(name, version),
        ..Secret::default()
    })
}

/// A Secret as a GET returns it.
fn secret_full(name: &str, version: &str) -> Secret {
    Secret {
        metadata: secret_metadata(name, version),
        string_data: Some([("tls.crt".to_owned(), format!("cert of {name}"))].into()),
        ..Secret::default()
    }
}

fn secret_metadata(name: &str, version: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: Some("default".to_owned()),
        resource_version: Some(version.to_owned()),
        ..ObjectMeta::default()
    }
}

fn key(kind: ObjectKind, name: &str) -> ObjectKey {
    ObjectKey::new(kind, "default", name)
}

fn names(store: &Store) -> Vec<String> {
    store
        .snapshot()
        .iter()
        .map(|o| o.key().to_string())
        .collect()
}

/// Every kind synced empty.
fn synced_store() -> Store {
    let mut store = Store::new();
    for kind in ObjectKind::ALL {
        store.apply(kind, WatchEvent::Init);
        store.apply(kind, WatchEvent::InitDone);
    }
    store
}

#[test]
fn a_list_becomes_visible_only_when_complete_and_replaces_what_was_there() {
    let mut store = synced_store();
    store.apply(ObjectKind::Service, WatchEvent::Apply(service("old")));

    // A re-list after a watch gap: "old" was deleted meanwhile.
    assert!(!store.apply(ObjectKind::Service, WatchEvent::Init));
    assert!(!store.apply(ObjectKind::Service, WatchEvent::InitApply(service("new"))));
    assert_eq!(names(&store), ["Service default/old"]);

    assert!(store.apply(ObjectKind::Service, WatchEvent::InitDone));
    assert_eq!(names(&store), ["Service default/new"]);

    assert!(store.apply(
        ObjectKind::Service,
        WatchEvent::Delete(key(ObjectKind::Service, "new"))
    ));
    assert!(!store.apply(
        ObjectKind::Service,
        WatchEvent::Delete(key(ObjectKind::Service, "new"))
    ));
    assert!(store.snapshot().is_empty());
}

#[test]
fn synced_only_when_every_kind_listed_or_is_absent() {
    let mut store = Store::new();
    for kind in ObjectKind::ALL {
        assert!(!store.is_synced(), "synced before {kind} listed");
        if kind.is_kgateway() {
            store.set_absent(kind);
        } else {
            store.apply(kind, WatchEvent::Init);
            store.apply(kind, WatchEvent::InitDone);
        }
    }
    assert!(store.is_synced());
    assert_eq!(
        store.summary()[&ObjectKind::Backend],
        (KindState::Absent, 0)
    );

    // A kind that appears later (CRD installed) holds sync back until it has listed.
    store.set_listing(ObjectKind::Backend);
    assert!(!store.is_synced());
}

#[test]
fn stored_objects_are_slimmed() {
    let mut store = synced_store();
    let mut svc = service("web");
    svc.meta_mut().annotations = Some(
        [(
            "kubectl.kubernetes.io/last-applied-configuration".to_owned(),
            "{}".to_owned(),
        )]
        .into(),
    );
    store.apply(ObjectKind::Service, WatchEvent::Apply(svc));
    assert_eq!(store.snapshot()[0].meta().annotations, None);
}

#[test]
fn only_referenced_secrets_are_fetched_kept_and_served() {
    let mut store = synced_store();
    store.apply(
        ObjectKind::Secret,
        WatchEvent::Apply(secret_meta("cert", "1")),
    );
    store.apply(
        ObjectKind::Secret,
        WatchEvent::Apply(secret_meta("unrelated", "1")),
    );
    // Secret metadata alone is never served.
    assert!(store.snapshot().is_empty());
    assert!(store.is_settled());

    store.apply(
        ObjectKind::Gateway,
        WatchEvent::Apply(https_gateway("cert")),
    );
    assert_eq!(
        store.pending_secrets(),
        [(key(ObjectKind::Secret, "cert"), "1".to_owned())]
    );
    assert!(!store.is_settled(), "a referenced Secret is not loaded yet");

    assert!(!store.load_secret("1".to_owned(), secret_full("unrelated", "1")));
    assert!(store.load_secret("1".to_owned(), secret_full("cert", "1")));
    assert!(store.is_settled());
    assert_eq!(names(&store), ["Gateway default/gw", "Secret default/cert"]);

    // A new version of the Secret is fetched again; a GET newer than the watch does not loop.
    store.apply(
        ObjectKind::Secret,
        WatchEvent::Apply(secret_meta("cert", "2")),
    );
    assert_eq!(store.pending_secrets().len(), 1);
    store.load_secret("2".to_owned(), secret_full("cert", "3"));
    assert!(store.pending_secrets().is_empty());

    // Dropping the reference drops the data.
    store.apply(
        ObjectKind::Gateway,
        WatchEvent::Delete(key(ObjectKind::Gateway, "gw")),
    );
    assert!(store.snapshot().is_empty());
    assert_eq!(store.summary()[&ObjectKind::Secret].1, 0);
}

#[test]
fn a_deleted_secret_stops_being_served() {
    let mut store = synced_store();
    store.apply(
        ObjectKind::Gateway,
        WatchEvent::Apply(https_gateway("cert")),
    );
    store.apply(
        ObjectKind::Secret,
        WatchEvent::Apply(secret_meta("cert", "1")),
    );
    store.load_secret("1".to_owned(), secret_full("cert", "1"));
    assert!(store.apply(
        ObjectKind::Secret,
        WatchEvent::Delete(key(ObjectKind::Secret, "cert"))
    ));
    assert_eq!(names(&store), ["Gateway default/gw"]);
    assert!(store.is_settled(), "a missing Secret is not pending");
}

#[test]
fn a_failed_fetch_does_not_hold_the_source_back_until_retried() {
    let mut store = synced_store();
    store.apply(
        ObjectKind::Gateway,
        WatchEvent::Apply(https_gateway("cert")),
    );
    store.apply(
        ObjectKind::Secret,
        WatchEvent::Apply(secret_meta("cert", "1")),
    );
    store.secret_failed(key(ObjectKind::Secret, "cert"), "1".to_owned());
    assert!(store.is_settled());
    assert!(store.clear_secret_failures());
    assert!(!store.is_settled());
}
