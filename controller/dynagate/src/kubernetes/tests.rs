use std::collections::BTreeMap;

use dynagate_api::ObjectKind;
use dynagate_kube_source::KindState;

use super::settings::{DEFAULT_LEASE_NAME, KubernetesSettings, SettingsError};
use super::sync::source_report;

#[test]
fn defaults_come_from_the_client_namespace() {
    let resolved = KubernetesSettings::default()
        .resolve("from-kubeconfig")
        .unwrap();
    assert_eq!(resolved.namespace, "from-kubeconfig");
    assert_eq!(resolved.lease_name, DEFAULT_LEASE_NAME);
    assert!(!resolved.identity.is_empty());
    assert!(resolved.deployer.is_none(), "no image, no deployer");
}

#[test]
fn the_chart_environment_wins_over_defaults() {
    let settings = KubernetesSettings {
        namespace: Some("dynagate-system".to_owned()),
        identity: Some("dynagate-7d9f-abc".to_owned()),
        lease_name: Some("my-lease".to_owned()),
        envoy_image: Some("registry.example/dynagate-envoy:1.40.0".to_owned()),
        envoy_image_pull_policy: Some("IfNotPresent".to_owned()),
        xds_service: Some("dynagate.dynagate-system.svc:18000".to_owned()),
    };
    let resolved = settings.resolve("default").unwrap();
    assert_eq!(resolved.namespace, "dynagate-system");
    assert_eq!(resolved.identity, "dynagate-7d9f-abc");
    assert_eq!(resolved.lease_name, "my-lease");
    let deployer = resolved.deployer.unwrap();
    assert_eq!(deployer.controller_namespace, "dynagate-system");
    assert_eq!(deployer.image_pull_policy.as_deref(), Some("IfNotPresent"));
    let xds = resolved.xds_service.unwrap();
    assert_eq!(
        (xds.host.as_str(), xds.port),
        ("dynagate.dynagate-system.svc", 18000)
    );
}

#[test]
fn deploying_proxies_needs_to_know_where_xds_is() {
    let settings = KubernetesSettings {
        envoy_image: Some("envoy:1".to_owned()),
        ..KubernetesSettings::default()
    };
    assert!(matches!(
        settings.resolve("default"),
        Err(SettingsError::MissingXdsService)
    ));
    let settings = KubernetesSettings {
        xds_service: Some("no-port".to_owned()),
        ..KubernetesSettings::default()
    };
    assert!(matches!(
        settings.resolve("default"),
        Err(SettingsError::XdsService(_))
    ));
}

#[test]
fn status_names_the_kinds_the_cluster_does_not_serve() {
    let summary: BTreeMap<ObjectKind, (KindState, usize)> = [
        (ObjectKind::Gateway, (KindState::Synced, 2)),
        (ObjectKind::TrafficPolicy, (KindState::Absent, 0)),
    ]
    .into();
    let report = source_report(2, &summary);
    assert_eq!(report.objects, 2);
    assert_eq!(report.notes.len(), 1);
    assert!(
        report.notes[0]
            .message
            .contains("gateway.kgateway.dev/TrafficPolicy"),
        "{}",
        report.notes[0].message
    );
}

#[test]
fn a_gateway_whose_proxy_cannot_be_deployed_says_why_in_its_status() {
    use dynagate_api::ObjectKey;
    use dynagate_deployer::{GatewayPlan, Plan, PlanError};
    use dynagate_ir::{Condition, ConditionStatus, GatewayKey, ObjectStatus, StatusReport};

    use super::deploy_status::mark_undeployable;

    let gateway_status = || ObjectStatus {
        conditions: vec![
            Condition::ok("Accepted", "Accepted", "Gateway is accepted"),
            Condition::ok("Programmed", "Programmed", "Gateway is programmed"),
        ],
        ..ObjectStatus::default()
    };
    let mut report = StatusReport::default();
    for name in ["broken", "self-managed"] {
        let key = ObjectKey::new(ObjectKind::Gateway, "infra", name);
        report.objects.insert(key, gateway_status());
    }
    let mut plan = Plan::default();
    plan.gateways.insert(
        GatewayKey::new("infra", "broken"),
        GatewayPlan::Invalid(PlanError::ParametersNotFound {
            namespace: "infra".to_owned(),
            name: "missing".to_owned(),
        }),
    );
    plan.gateways.insert(
        GatewayKey::new("infra", "self-managed"),
        GatewayPlan::SelfManaged,
    );

    mark_undeployable(&mut report, &plan);

    let broken = report.get(ObjectKind::Gateway, "infra", "broken").unwrap();
    let summary: Vec<(&str, ConditionStatus, &str)> = broken
        .conditions
        .iter()
        .map(|c| (c.condition_type.as_str(), c.status, c.reason.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("Accepted", ConditionStatus::False, "InvalidParameters"),
            ("Programmed", ConditionStatus::False, "Invalid"),
        ]
    );
    assert!(
        broken.conditions[0]
            .message
            .contains("GatewayParameters infra/missing not found"),
        "{}",
        broken.conditions[0].message
    );
    let untouched = report
        .get(ObjectKind::Gateway, "infra", "self-managed")
        .unwrap();
    assert_eq!(*untouched, gateway_status());
}
