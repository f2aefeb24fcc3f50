//! GatewayClass, Gateway (listeners) and HTTPRoute (parents, shared with another controller) status
//! against the Gateway API CRDs.

use std::sync::Arc;

use anyhow::{Context, Result};
use dynagate_api::gateway::{CONTROLLER_NAME, Gateway, GatewayClass, HttpRoute};
use dynagate_api::{ObjectKey, ObjectKind};
use dynagate_ir::{
    Condition, ListenerStatus, ObjectStatus, ParentRef, RouteGroupKind, RouteParentStatus,
    StatusReport,
};
use dynagate_kube_status::StatusWriter;
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use super::{DEADLINE, NAMESPACE, eventually};

const GROUP: &str = "gateway.networking.k8s.io";

fn api(client: &kube::Client, resource: &ApiResource, namespaced: bool) -> Api<DynamicObject> {
    if namespaced {
        Api::namespaced_with(client.clone(), NAMESPACE, resource)
    } else {
        Api::all_with(client.clone(), resource)
    }
}

async fn create(api: &Api<DynamicObject>, manifest: Value) -> Result<()> {
    let object: DynamicObject = serde_json::from_value(manifest)?;
    // CRDs become usable a moment after creation.
    eventually("object created", DEADLINE, || async {
        Ok(api
            .create(&PostParams::default(), &object)
            .await
            .ok()
            .map(drop))
    })
    .await
}

fn report() -> Arc<StatusReport> {
    let mut report = StatusReport::default();
    let class = ObjectStatus {
        conditions: vec![Condition::ok("Accepted", "Accepted", "ours")],
        ..ObjectStatus::default()
    };
    let gateway = ObjectStatus {
        conditions: vec![
            Condition::ok("Accepted", "Accepted", ""),
            Condition::ok("Programmed", "Programmed", ""),
        ],
        listeners: vec![ListenerStatus {
            name: "http".into(),
            attached_routes: 1,
            supported_kinds: vec![RouteGroupKind {
                group: GROUP.into(),
                kind: "HTTPRoute".into(),
            }],
            conditions: vec![
                Condition::ok("Accepted", "Accepted", ""),
                Condition::ok("Programmed", "Programmed", ""),
                Condition::ok("ResolvedRefs", "ResolvedRefs", ""),
            ],
        }],
        ..ObjectStatus::default()
    };
    let route = ObjectStatus {
        parents: vec![RouteParentStatus {
            parent_ref: ParentRef {
                group: GROUP.into(),
                kind: "Gateway".into(),
                namespace: NAMESPACE.into(),
                name: "gw".into(),
                section_name: Some("http".into()),
                port: None,
            },
            controller_name: CONTROLLER_NAME.into(),
            conditions: vec![
                Condition::ok("Accepted", "Accepted", ""),
                Condition::ok("ResolvedRefs", "ResolvedRefs", ""),
            ],
        }],
        ..ObjectStatus::default()
    };
    let objects = &mut report.objects;
    objects.insert(
        ObjectKey::new(ObjectKind::GatewayClass, "", "dynagate"),
        class,
    );
    objects.insert(
        ObjectKey::new(ObjectKind::Gateway, NAMESPACE, "gw"),
        gateway,
    );
    objects.insert(
        ObjectKey::new(ObjectKind::HttpRoute, NAMESPACE, "route"),
        route,
    );
    Arc::new(report)
}

/// Whether every condition in a list has a parseable `lastTransitionTime`.
fn stamped(conditions: &Value) -> bool {
    conditions.as_array().is_some_and(|list| {
        !list.is_empty()
            && list.iter().all(|c| {
                c["lastTransitionTime"]
                    .as_str()
                    .is_some_and(|t| t.parse::<k8s_openapi::jiff::Timestamp>().is_ok())
            })
    })
}

pub async fn status_is_applied(client: &kube::Client) -> Result<()> {
    let classes = api(client, &ApiResource::erase::<GatewayClass>(&()), false);
    let gateways = api(client, &ApiResource::erase::<Gateway>(&()), true);
    let routes = api(client, &ApiResource::erase::<HttpRoute>(&()), true);
    create(
        &classes,
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
        "metadata": {"name": "dynagate"}, "spec": {"controllerName": CONTROLLER_NAME}}),
    )
    .await?;
    create(
        &gateways,
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
        "metadata": {"name": "gw", "namespace": NAMESPACE},
        "spec": {"gatewayClassName": "dynagate",
                 "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]}}),
    )
    .await?;
    create(
        &routes,
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "route", "namespace": NAMESPACE},
        "spec": {"parentRefs": [{"name": "gw", "sectionName": "http"}, {"name": "their-gw"}]}}),
    )
    .await?;
    // Another controller's parent entry, written before ours: it must survive.
    let foreign = json!({"parentRef": {"name": "their-gw"}, "controllerName": "example.com/other",
                         "conditions": []});
    routes
        .patch_status(
            "route",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"parents": [foreign]}})),
        )
        .await?;

    let writer = StatusWriter::spawn(client.clone());
    writer.submit(report());
    let parents = eventually("route parents", DEADLINE, || async {
        let route = routes.get("route").await?;
        let parents = route.data["status"]["parents"].clone();
        let has_ours = parents
            .as_array()
            .is_some_and(|p| p.iter().any(|e| e["controllerName"] == CONTROLLER_NAME));
        Ok(has_ours.then_some(parents))
    })
    .await?;
    let parents = parents.as_array().context("parents")?;
    assert_eq!(parents.len(), 2, "{parents:?}");
    assert!(
        parents.contains(&foreign),
        "foreign parent kept: {parents:?}"
    );
    let ours = parents
        .iter()
        .find(|p| p["controllerName"] == CONTROLLER_NAME)
        .context("our parent")?;
    assert_eq!(ours["parentRef"]["sectionName"], "http");
    assert!(stamped(&ours["conditions"]), "{ours}");

    let gateway = eventually("gateway status", DEADLINE, || async {
        let status = gateways.get("gw").await?.data["status"].clone();
        Ok(stamped(&status["conditions"]).then_some(status))
    })
    .await?;
    let listener = &gateway["listeners"][0];
    assert_eq!(listener["name"], "http");
    assert_eq!(listener["attachedRoutes"], 1);
    assert_eq!(listener["supportedKinds"][0]["kind"], "HTTPRoute");
    assert!(stamped(&listener["conditions"]), "{listener}");

    let class = eventually("gateway class status", DEADLINE, || async {
        let status = classes.get("dynagate").await?.data["status"].clone();
        Ok(stamped(&status["conditions"]).then_some(status))
    })
    .await?;
    assert_eq!(class["conditions"][0]["message"], "ours");
    Ok(())
}
