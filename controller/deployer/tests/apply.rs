//! `Deployer::apply` against a real kube-apiserver (v1.20 from scripts/install-kube.sh, started by the
//! e2e harness's `KubeCluster`).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions; a failing test should fail loudly"
)]

use std::convert::Infallible;
use std::path::Path;

use anyhow::{Result, ensure};
use dynagate_api::Object;
use dynagate_api::manifest::parse_manifests;
use dynagate_deployer::{
    ApplyReport, BOOTSTRAP_CHECKSUM_ANNOTATION, DeployError, Deployer, DeployerSettings,
    GatewayPlan, Plan, PlanError, plan,
};
use dynagate_e2e::kube::KubeCluster;
use dynagate_ir::GatewayKey;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Service, ServiceAccount};
use kube::api::{Api, ObjectMeta, PostParams};
use kube::{Client, ResourceExt};

const MANIFESTS: &str = "
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: dynagate}
spec: {controllerName: dynagate.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: apps, uid: 11111111-1111-1111-1111-111111111111}
spec:
  gatewayClassName: dynagate
  listeners:
  - {name: http, protocol: HTTP, port: 80}
  - {name: alt, protocol: HTTP, port: 8080}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: api, namespace: apps, uid: 22222222-2222-2222-2222-222222222222}
spec:
  gatewayClassName: dynagate
  infrastructure:
    parametersRef: {group: gateway.kgateway.dev, kind: GatewayParameters, name: api}
  listeners:
  - {name: http, protocol: HTTP, port: 8080}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata: {name: api, namespace: apps}
spec:
  kube:
    deployment: {replicas: 2}
    service: {type: ClusterIP}
    envoyContainer:
      resources: {requests: {cpu: 100m, memory: 64Mi}}
";

fn objects(text: &str) -> Vec<Object> {
    let parsed = parse_manifests(Path::new("apply.yaml"), text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    parsed.objects
}

fn settings() -> DeployerSettings {
    DeployerSettings::new(
        "dynagate-system",
        "ghcr.io/dynagate/dynagate-envoy:1.40.0".parse().unwrap(),
    )
}

/// The plan for `keys`, with a bootstrap that says which `version` it is.
fn plan_with(objects: &[Object], keys: &[GatewayKey], version: u32) -> Plan {
    let render = move |key: &GatewayKey| {
        Ok::<_, Infallible>(format!("# v{version}\nnode: {{cluster: {key}}}\n"))
    };
    plan(objects, keys, &settings(), &render)
}

fn assert_all_ok(report: &ApplyReport) {
    assert!(report.is_ok(), "{report:?}");
}

async fn get<K>(client: &Client, name: &str) -> Result<Option<K>>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    Ok(Api::<K>::namespaced(client.clone(), "apps")
        .get_opt(name)
        .await?)
}

fn checksum(deployment: &Deployment) -> String {
    let template = &deployment.spec.as_ref().unwrap().template;
    template
        .metadata
        .as_ref()
        .unwrap()
        .annotations
        .as_ref()
        .unwrap()[BOOTSTRAP_CHECKSUM_ANNOTATION]
        .clone()
}

async fn create_namespace_and_bystander(client: &Client) -> Result<()> {
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some("apps".into()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &namespace)
        .await?;
    // Not ours (no managed-by label): pruning must never touch it.
    let bystander = ConfigMap {
        metadata: ObjectMeta {
            name: Some("bystander".into()),
            ..ObjectMeta::default()
        },
        ..ConfigMap::default()
    };
    Api::<ConfigMap>::namespaced(client.clone(), "apps")
        .create(&PostParams::default(), &bystander)
        .await?;
    Ok(())
}

#[tokio::test]
async fn apply_creates_updates_keeps_and_prunes_proxies() -> Result<()> {
    let cluster = KubeCluster::start().await?;
    let client = cluster.client();
    create_namespace_and_bystander(&client).await?;
    let deployer = Deployer::new(client.clone(), settings());
    let objects = objects(MANIFESTS);
    let keys = [
        GatewayKey::new("apps", "web"),
        GatewayKey::new("apps", "api"),
    ];

    // 1. Everything is created as planned (the API server validates every object).
    let report = deployer.apply(&plan_with(&objects, &keys, 1)).await;
    assert_eq!(report.gateways.len(), 2);
    assert_all_ok(&report);
    for name in ["web", "api"] {
        ensure!(
            get::<ServiceAccount>(&client, name).await?.is_some(),
            "sa {name}"
        );
        ensure!(
            get::<ConfigMap>(&client, name).await?.is_some(),
            "cm {name}"
        );
    }
    let web: Deployment = get(&client, "web").await?.unwrap();
    let owner = &web.owner_references()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str()),
        ("Gateway", "web")
    );
    assert_eq!(owner.controller, Some(true));
    let api: Deployment = get(&client, "api").await?.unwrap();
    assert_eq!(api.spec.as_ref().unwrap().replicas, Some(2));
    let api_service: Service = get(&client, "api").await?.unwrap();
    assert_eq!(
        api_service.spec.unwrap().type_.as_deref(),
        Some("ClusterIP")
    );
    let web_service: Service = get(&client, "web").await?.unwrap();
    let web_spec = web_service.spec.unwrap();
    assert_eq!(web_spec.type_.as_deref(), Some("LoadBalancer"));
    let ports: Vec<i32> = web_spec.ports.unwrap().iter().map(|p| p.port).collect();
    assert_eq!(ports, vec![80, 8080]);

    // 2. Re-applying the same plan is a no-op for the server (no new resourceVersion).
    let before: ConfigMap = get(&client, "web").await?.unwrap();
    assert_all_ok(&deployer.apply(&plan_with(&objects, &keys, 1)).await);
    let after: ConfigMap = get(&client, "web").await?.unwrap();
    assert_eq!(after.resource_version(), before.resource_version());

    // 3. A new bootstrap updates the ConfigMap and rolls the pods (new template checksum).
    assert_all_ok(&deployer.apply(&plan_with(&objects, &keys, 2)).await);
    let updated: ConfigMap = get(&client, "web").await?.unwrap();
    assert!(updated.data.unwrap()["envoy.yaml"].starts_with("# v2"));
    let rolled: Deployment = get(&client, "web").await?.unwrap();
    assert_ne!(checksum(&rolled), checksum(&web));

    // 4. Invalid parameters for `api` leave its objects untouched; `web` left the plan, so it is pruned.
    let broken =
        self::objects(&MANIFESTS.replace("name: api}\n  listeners", "name: gone}\n  listeners"));
    let api_key = GatewayKey::new("apps", "api");
    let report = deployer
        .apply(&plan_with(&broken, std::slice::from_ref(&api_key), 3))
        .await;
    assert!(report.pruning.is_empty(), "{:?}", report.pruning);
    assert_eq!(report.gateways.len(), 1);
    assert!(matches!(
        &report.gateways[0],
        (key, Err(DeployError::Invalid(PlanError::ParametersNotFound { .. }))) if *key == api_key
    ));
    let kept: ConfigMap = get(&client, "api").await?.unwrap();
    assert!(kept.data.unwrap()["envoy.yaml"].starts_with("# v2"));
    ensure!(
        get::<Deployment>(&client, "web").await?.is_none(),
        "web deployment pruned"
    );
    ensure!(
        get::<Service>(&client, "web").await?.is_none(),
        "web service pruned"
    );
    ensure!(
        get::<ConfigMap>(&client, "web").await?.is_none(),
        "web configmap pruned"
    );
    ensure!(
        get::<ServiceAccount>(&client, "web").await?.is_none(),
        "web sa pruned"
    );

    // 5. selfManaged removes a proxy too; objects without our label survive everything.
    let mut self_managed = plan_with(&objects, std::slice::from_ref(&api_key), 3);
    self_managed
        .gateways
        .insert(api_key.clone(), GatewayPlan::SelfManaged);
    assert_all_ok(&deployer.apply(&self_managed).await);
    ensure!(
        get::<Deployment>(&client, "api").await?.is_none(),
        "api deployment pruned"
    );
    ensure!(
        get::<Service>(&client, "api").await?.is_none(),
        "api service pruned"
    );
    ensure!(
        get::<ConfigMap>(&client, "bystander").await?.is_some(),
        "bystander kept"
    );
    Ok(())
}
