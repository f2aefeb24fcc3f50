use dynagate_api::ObjectKind;
use dynagate_api::gateway::CONTROLLER_NAME;
use dynagate_ir::{
    Condition, ListenerStatus, ObjectStatus, ParentRef, PolicyAncestorStatus, RouteGroupKind,
    RouteParentStatus,
};
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::{MAX_POLICY_ANCESTORS, StatusShape, status_document};

const EARLIER: &str = "2026-01-01T00:00:00Z";

fn now() -> Timestamp {
    "2026-06-01T12:00:00Z".parse().unwrap()
}

fn gateway_ref(name: &str, section: Option<&str>) -> ParentRef {
    ParentRef {
        group: "gateway.networking.k8s.io".into(),
        kind: "Gateway".into(),
        namespace: "infra".into(),
        name: name.into(),
        section_name: section.map(str::to_owned),
        port: Some(8080),
    }
}

fn live_condition(condition_type: &str, status: &str) -> Value {
    json!({"type": condition_type, "status": status, "reason": "R", "message": "",
           "lastTransitionTime": EARLIER})
}

fn times(conditions: &Value) -> Vec<(String, String)> {
    conditions
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["type"].as_str().unwrap().to_owned(),
                c["lastTransitionTime"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn kinds_without_a_writable_status_have_no_shape() {
    assert_eq!(StatusShape::of(ObjectKind::DirectResponse), None);
    assert_eq!(StatusShape::of(ObjectKind::GatewayParameters), None);
    assert_eq!(StatusShape::of(ObjectKind::Service), None);
    assert_eq!(
        StatusShape::of(ObjectKind::Backend),
        Some(StatusShape::Conditions)
    );
    assert!(StatusShape::of(ObjectKind::HttpRoute).unwrap().is_shared());
    assert!(!StatusShape::of(ObjectKind::Gateway).unwrap().is_shared());
}

#[test]
fn gateway_listeners_carry_times_by_listener_name() {
    let desired = ObjectStatus {
        conditions: vec![
            Condition::ok("Accepted", "Accepted", ""),
            Condition::ok("Programmed", "Programmed", ""),
        ],
        listeners: vec![ListenerStatus {
            name: "http".into(),
            attached_routes: 2,
            supported_kinds: vec![RouteGroupKind {
                group: "gateway.networking.k8s.io".into(),
                kind: "HTTPRoute".into(),
            }],
            conditions: vec![Condition::ok("Accepted", "Accepted", "")],
        }],
        ..ObjectStatus::default()
    };
    let live = json!({
        "conditions": [live_condition("Accepted", "True"), live_condition("Programmed", "False")],
        "listeners": [
            {"name": "other", "conditions": [live_condition("Accepted", "False")]},
            {"name": "http", "conditions": [live_condition("Accepted", "True")]},
        ],
        "addresses": [{"value": "10.0.0.1"}],
    });
    let doc = status_document(StatusShape::Gateway, &desired, Some(&live), now());
    let stamped_now = "2026-06-01T12:00:00Z".to_owned();
    assert_eq!(
        times(&doc["conditions"]),
        [
            ("Accepted".to_owned(), EARLIER.to_owned()),
            ("Programmed".to_owned(), stamped_now)
        ]
    );
    let listener = &doc["listeners"][0];
    assert_eq!(listener["name"], "http");
    assert_eq!(listener["attachedRoutes"], 2);
    assert_eq!(listener["supportedKinds"][0]["kind"], "HTTPRoute");
    assert_eq!(
        times(&listener["conditions"]),
        [("Accepted".to_owned(), EARLIER.to_owned())]
    );
    // Fields we do not own (addresses, written by whoever provisions) are left out of our apply.
    assert!(doc.get("addresses").is_none());
}

#[test]
fn route_parents_keep_foreign_entries_and_replace_ours() {
    let desired = ObjectStatus {
        parents: vec![RouteParentStatus {
            parent_ref: gateway_ref("gw", Some("http")),
            controller_name: CONTROLLER_NAME.into(),
            conditions: vec![Condition::ok("Accepted", "Accepted", "")],
        }],
        ..ObjectStatus::default()
    };
    let foreign = json!({
        "parentRef": {"name": "theirs"},
        "controllerName": "example.com/other",
        "conditions": [live_condition("Accepted", "False")],
    });
    let live = json!({"parents": [
        // Our entry for the same parent, as the server may return it (defaults left out).
        {"parentRef": {"namespace": "infra", "name": "gw", "sectionName": "http", "port": 8080},
         "controllerName": CONTROLLER_NAME,
         "conditions": [live_condition("Accepted", "True")]},
        foreign.clone(),
        // Our entry for a parent we no longer attach to: dropped.
        {"parentRef": {"namespace": "infra", "name": "old"},
         "controllerName": CONTROLLER_NAME, "conditions": []},
    ]});
    let doc = status_document(StatusShape::RouteParents, &desired, Some(&live), now());
    let parents = doc["parents"].as_array().unwrap();
    assert_eq!(parents.len(), 2);
    assert_eq!(parents[0], foreign);
    assert_eq!(parents[1]["controllerName"], CONTROLLER_NAME);
    assert_eq!(
        parents[1]["parentRef"],
        json!({"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "infra",
               "name": "gw", "sectionName": "http", "port": 8080})
    );
    assert_eq!(
        times(&parents[1]["conditions"]),
        [("Accepted".to_owned(), EARLIER.to_owned())]
    );
}

#[test]
fn a_different_section_is_a_different_parent() {
    let desired = ObjectStatus {
        parents: vec![RouteParentStatus {
            parent_ref: gateway_ref("gw", Some("https")),
            controller_name: CONTROLLER_NAME.into(),
            conditions: vec![Condition::ok("Accepted", "Accepted", "")],
        }],
        ..ObjectStatus::default()
    };
    let live = json!({"parents": [
        {"parentRef": {"namespace": "infra", "name": "gw", "sectionName": "http", "port": 8080},
         "controllerName": CONTROLLER_NAME,
         "conditions": [live_condition("Accepted", "True")]},
    ]});
    let doc = status_document(StatusShape::RouteParents, &desired, Some(&live), now());
    assert_eq!(
        times(&doc["parents"][0]["conditions"]),
        [("Accepted".to_owned(), "2026-06-01T12:00:00Z".to_owned())]
    );
}

fn ancestor(name: &str) -> PolicyAncestorStatus {
    PolicyAncestorStatus {
        ancestor_ref: gateway_ref(name, None),
        controller_name: CONTROLLER_NAME.into(),
        conditions: vec![
            Condition::ok("Accepted", "Valid", ""),
            Condition::ok("Attached", "Attached", ""),
        ],
    }
}

#[test]
fn policy_ancestors_have_no_port_and_start_with_no_live_status() {
    let desired = ObjectStatus {
        ancestors: vec![ancestor("gw")],
        ..ObjectStatus::default()
    };
    let doc = status_document(StatusShape::PolicyAncestors, &desired, None, now());
    let entry = &doc["ancestors"][0];
    assert_eq!(
        entry["ancestorRef"],
        json!({"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "infra",
               "name": "gw"})
    );
    assert_eq!(times(&entry["conditions"]).len(), 2);
    assert!(
        times(&entry["conditions"])
            .iter()
            .all(|(_, t)| t == "2026-06-01T12:00:00Z")
    );
}

#[test]
fn our_ancestors_give_way_when_the_list_is_full() {
    let foreign: Vec<Value> = (0..MAX_POLICY_ANCESTORS - 1)
        .map(|i| {
            json!({"ancestorRef": {"name": format!("g{i}")}, "controllerName": "example.com/x",
                        "conditions": []})
        })
        .collect();
    let desired = ObjectStatus {
        ancestors: vec![ancestor("a"), ancestor("b")],
        ..ObjectStatus::default()
    };
    let live = json!({ "ancestors": foreign });
    let doc = status_document(StatusShape::PolicyAncestors, &desired, Some(&live), now());
    let merged = doc["ancestors"].as_array().unwrap();
    assert_eq!(merged.len(), MAX_POLICY_ANCESTORS);
    assert_eq!(
        merged[..MAX_POLICY_ANCESTORS - 1],
        live["ancestors"].as_array().unwrap()[..]
    );
    assert_eq!(merged[MAX_POLICY_ANCESTORS - 1]["ancestorRef"]["name"], "a");
}

#[test]
fn conditions_shape_for_backend_and_gateway_class() {
    let desired = ObjectStatus {
        conditions: vec![Condition::failed("Accepted", "Invalid", "bad host")],
        ..ObjectStatus::default()
    };
    let doc = status_document(StatusShape::Conditions, &desired, None, now());
    assert_eq!(
        doc,
        json!({"conditions": [{"type": "Accepted", "status": "False", "reason": "Invalid",
                               "message": "bad host", "lastTransitionTime": "2026-06-01T12:00:00Z"}]})
    );
}
