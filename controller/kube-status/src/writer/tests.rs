use std::time::Duration;

use dynagate_api::{ObjectKey, ObjectKind};
use dynagate_ir::{Condition, ObjectStatus, StatusReport};
use kube::core::Status;
use serde_json::json;

use super::apply::{WriteOutcome, api_resource, apply_body, classify};
use super::{MAX_RERUN_DELAY, WrittenStatus, next_rerun_delay};
use crate::document::StatusShape;

fn accepted(reason: &str) -> ObjectStatus {
    ObjectStatus {
        conditions: vec![Condition::ok("Accepted", reason, "")],
        ..ObjectStatus::default()
    }
}

fn report(entries: &[(ObjectKey, ObjectStatus)]) -> StatusReport {
    StatusReport {
        objects: entries.iter().cloned().collect(),
    }
}

#[test]
fn only_changed_objects_of_writable_kinds_are_written() {
    let gateway = ObjectKey::new(ObjectKind::Gateway, "ns", "gw");
    let policy = ObjectKey::new(ObjectKind::TrafficPolicy, "ns", "tp");
    let direct = ObjectKey::new(ObjectKind::DirectResponse, "ns", "dr");
    let first = report(&[
        (gateway.clone(), accepted("Accepted")),
        (policy.clone(), accepted("Valid")),
        (direct.clone(), accepted("Valid")),
    ]);
    let mut written = WrittenStatus::default();
    let keys = |w: &WrittenStatus, r: &StatusReport| -> Vec<ObjectKey> {
        w.changed(r)
            .into_iter()
            .map(|(k, _, _)| k.clone())
            .collect()
    };
    assert_eq!(keys(&written, &first), [gateway.clone(), policy.clone()]);

    written.record(&gateway, &accepted("Accepted"), WriteOutcome::Written);
    written.record(&policy, &accepted("Valid"), WriteOutcome::Failed);
    assert_eq!(
        keys(&written, &first),
        std::slice::from_ref(&policy),
        "failed writes stay pending"
    );

    let second = report(&[
        (gateway.clone(), accepted("Changed")),
        (policy.clone(), accepted("Valid")),
    ]);
    written.record(&policy, &accepted("Valid"), WriteOutcome::Written);
    assert_eq!(keys(&written, &second), std::slice::from_ref(&gateway));

    // A deleted object is forgotten, so a recreated one with the same status is written again.
    written.record(&gateway, &accepted("Changed"), WriteOutcome::Written);
    assert!(keys(&written, &second).is_empty());
    written.record(&gateway, &accepted("Changed"), WriteOutcome::Gone);
    assert_eq!(keys(&written, &second), std::slice::from_ref(&gateway));

    // A refused write is not retried until the desired status changes.
    written.record(&gateway, &accepted("Changed"), WriteOutcome::Rejected);
    assert!(keys(&written, &second).is_empty());
}

#[test]
fn reruns_back_off_and_stop_after_a_clean_pass() {
    assert_eq!(next_rerun_delay(None, 0), None);
    let first = next_rerun_delay(None, 2).unwrap();
    let second = next_rerun_delay(Some(first), 1).unwrap();
    assert!(second > first);
    assert_eq!(
        next_rerun_delay(Some(MAX_RERUN_DELAY), 1),
        Some(MAX_RERUN_DELAY)
    );
    assert_eq!(next_rerun_delay(Some(Duration::from_secs(8)), 0), None);
}

fn api_error(code: u16) -> kube::Error {
    kube::Error::Api(Status::failure("x", "Reason").with_code(code).boxed())
}

#[test]
fn errors_are_classified_by_whether_retrying_can_help() {
    assert_eq!(classify(&api_error(404)), Some(WriteOutcome::Gone));
    assert_eq!(classify(&api_error(422)), Some(WriteOutcome::Rejected));
    assert_eq!(classify(&api_error(403)), Some(WriteOutcome::Rejected));
    assert_eq!(classify(&api_error(409)), None);
    assert_eq!(classify(&api_error(429)), None);
    assert_eq!(classify(&api_error(503)), None);
}

#[test]
fn api_resources_match_the_served_versions() {
    let gateway = api_resource(ObjectKind::Gateway).unwrap();
    assert_eq!(gateway.api_version, "gateway.networking.k8s.io/v1");
    assert_eq!(gateway.plural, "gateways");
    let route = api_resource(ObjectKind::HttpRoute).unwrap();
    assert_eq!(
        (route.kind.as_str(), route.plural.as_str()),
        ("HTTPRoute", "httproutes")
    );
    let policy = api_resource(ObjectKind::HttpListenerPolicy).unwrap();
    assert_eq!(policy.api_version, "gateway.kgateway.dev/v1alpha1");
    assert_eq!(policy.plural, "httplistenerpolicies");
    assert!(api_resource(ObjectKind::DirectResponse).is_none());
}

#[test]
fn apply_body_pins_the_resource_version_only_for_shared_lists() {
    let route = ObjectKey::new(ObjectKind::HttpRoute, "ns", "r");
    let resource = api_resource(ObjectKind::HttpRoute).unwrap();
    let body = apply_body(
        &resource,
        &route,
        StatusShape::RouteParents,
        Some("42".into()),
        json!({"parents": []}),
    );
    assert_eq!(
        body,
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
               "metadata": {"name": "r", "namespace": "ns", "resourceVersion": "42"},
               "status": {"parents": []}})
    );

    let class = ObjectKey::new(ObjectKind::GatewayClass, "", "dynagate");
    let resource = api_resource(ObjectKind::GatewayClass).unwrap();
    let body = apply_body(
        &resource,
        &class,
        StatusShape::Conditions,
        Some("7".into()),
        json!({}),
    );
    assert_eq!(body["metadata"], json!({"name": "dynagate"}));
}
