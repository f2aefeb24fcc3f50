use std::convert::Infallible;
use std::path::Path;

use dynagate_api::manifest::parse_manifests;
use k8s_openapi::api::core::v1::Container;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::*;
use crate::labels::{BOOTSTRAP_CHECKSUM_ANNOTATION, GATEWAY_NAME_LABEL, MANAGED_BY_LABEL};

const CLASS: &str = "
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: dynagate}
spec: {controllerName: dynagate.dev/gateway-controller}
";

/// A Gateway `web` in `apps` with two listeners on 8080 (HTTP twice, different hosts) and one on 8443.
const GATEWAY: &str = "
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: apps, uid: 0b5c-uid}
spec:
  gatewayClassName: dynagate
  listeners:
  - {name: a, protocol: HTTP, port: 8080, hostname: a.example}
  - {name: b, protocol: HTTP, port: 8080, hostname: b.example}
  - {name: c, protocol: HTTP, port: 8443}
";

fn objects(text: &str) -> Vec<Object> {
    let parsed = parse_manifests(Path::new("t.yaml"), text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    parsed.objects
}

fn settings() -> DeployerSettings {
    DeployerSettings::new(
        "dynagate-system",
        "ghcr.io/dynagate/envoy:1.40.0".parse().unwrap(),
    )
}

fn web() -> GatewayKey {
    GatewayKey::new("apps", "web")
}

fn bootstrap(key: &GatewayKey) -> Result<String, Infallible> {
    Ok(format!("node: {{cluster: {key}}}\n"))
}

fn plan_one(text: &str) -> GatewayPlan {
    plan_with(text, &settings())
}

fn plan_with(text: &str, settings: &DeployerSettings) -> GatewayPlan {
    let objects = objects(text);
    let key = web();
    let mut plan = plan(&objects, [&key], settings, &bootstrap);
    assert_eq!(plan.gateways.len(), 1);
    plan.gateways.remove(&key).unwrap()
}

fn deployed(text: &str) -> ProxyObjects {
    match plan_one(text) {
        GatewayPlan::Deploy(objects) => objects,
        other => panic!("expected a deployment, got {other:?}"),
    }
}

fn envoy(objects: &ProxyObjects) -> &Container {
    let pod = objects
        .deployment
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref();
    &pod.unwrap().containers[0]
}

fn args(objects: &ProxyObjects) -> Vec<String> {
    envoy(objects).args.clone().unwrap()
}

/// The value following `flag` in the Envoy arguments.
fn arg_after(objects: &ProxyObjects, flag: &str) -> Option<String> {
    let args = args(objects);
    let at = args.iter().position(|a| a == flag)?;
    args.get(at + 1).cloned()
}

#[test]
fn default_proxy_of_a_two_port_gateway() {
    let objects = deployed(&format!("{CLASS}---{GATEWAY}"));
    let metas = [
        &objects.service_account.metadata,
        &objects.config_map.metadata,
        &objects.service.metadata,
        &objects.deployment.metadata,
    ];
    for meta in metas {
        assert_eq!(meta.name.as_deref(), Some("web"));
        assert_eq!(meta.namespace.as_deref(), Some("apps"));
        let labels = meta.labels.as_ref().unwrap();
        assert_eq!(labels[GATEWAY_NAME_LABEL], "web");
        assert_eq!(labels[MANAGED_BY_LABEL], "dynagate");
        assert_eq!(
            labels["gateway.networking.k8s.io/gateway-class-name"],
            "dynagate"
        );
        let owners = meta.owner_references.as_ref().unwrap();
        assert_eq!(owners.len(), 1);
        let owner = &owners[0];
        assert_eq!(
            (
                owner.api_version.as_str(),
                owner.kind.as_str(),
                owner.name.as_str()
            ),
            ("gateway.networking.k8s.io/v1", "Gateway", "web")
        );
        assert_eq!(owner.uid, "0b5c-uid");
        assert_eq!(
            (owner.controller, owner.block_owner_deletion),
            (Some(true), Some(true))
        );
    }

    // The ConfigMap holds exactly what the renderer produced for this Gateway.
    let data = objects.config_map.data.as_ref().unwrap();
    assert_eq!(data["envoy.yaml"], bootstrap(&web()).unwrap());

    // One Service port per distinct listener port, to the same container port.
    let service = objects.service.spec.as_ref().unwrap();
    assert_eq!(service.type_.as_deref(), Some("LoadBalancer"));
    let ports: Vec<_> = service
        .ports
        .iter()
        .flatten()
        .map(|p| {
            (
                p.name.clone().unwrap(),
                p.port,
                p.target_port.clone().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ports,
        vec![
            ("listener-8080".to_owned(), 8080, IntOrString::Int(8080)),
            ("listener-8443".to_owned(), 8443, IntOrString::Int(8443)),
        ]
    );

    // The Service and the Deployment select exactly the pods of the template.
    let deployment = objects.deployment.spec.as_ref().unwrap();
    let selector = deployment.selector.match_labels.clone().unwrap();
    assert_eq!(service.selector.as_ref(), Some(&selector));
    let pod_labels = deployment
        .template
        .metadata
        .as_ref()
        .unwrap()
        .labels
        .clone()
        .unwrap();
    for (key, value) in &selector {
        assert_eq!(pod_labels.get(key), Some(value));
    }
    assert_eq!(deployment.replicas, Some(1));

    let container = envoy(&objects);
    assert_eq!(
        container.image.as_deref(),
        Some("ghcr.io/dynagate/envoy:1.40.0")
    );
    assert_eq!(
        arg_after(&objects, "-c").as_deref(),
        Some("/etc/envoy/envoy.yaml")
    );
    assert_eq!(arg_after(&objects, "--log-level").as_deref(), Some("info"));
    assert!(args(&objects).contains(&"--disable-hot-restart".to_owned()));
    let container_ports: Vec<i32> = container
        .ports
        .iter()
        .flatten()
        .map(|p| p.container_port)
        .collect();
    assert_eq!(container_ports, vec![8080, 8443]);
    let search_path = container
        .env
        .iter()
        .flatten()
        .find(|e| e.name == "ENVOY_DYNAMIC_MODULES_SEARCH_PATH")
        .and_then(|e| e.value.clone());
    assert_eq!(search_path.as_deref(), Some("/usr/local/lib/dynagate"));
    let mount = &container.volume_mounts.as_ref().unwrap()[0];
    assert_eq!(mount.mount_path, "/etc/envoy");
    let pod = deployment.template.spec.as_ref().unwrap();
    let volume = pod
        .volumes
        .iter()
        .flatten()
        .find(|v| v.name == mount.name)
        .unwrap();
    assert_eq!(volume.config_map.as_ref().unwrap().name, "web");
    assert_eq!(pod.service_account_name.as_deref(), Some("web"));
    // No privileged port: no extra capability.
    let caps = container
        .security_context
        .as_ref()
        .unwrap()
        .capabilities
        .as_ref()
        .unwrap();
    assert_eq!(caps.add, None);
    assert_eq!(caps.drop.as_deref(), Some(&["ALL".to_owned()][..]));
}

#[test]
fn a_changed_bootstrap_changes_the_pod_checksum_and_nothing_else_does() {
    let objects = objects(&format!("{CLASS}---{GATEWAY}"));
    let key = web();
    let checksum = |render: &dyn Fn(&GatewayKey) -> Result<String, Infallible>| {
        let plan = plan(&objects, [&key], &settings(), render);
        let GatewayPlan::Deploy(proxy) = &plan.gateways[&key] else {
            panic!("not deployed")
        };
        let template = &proxy.deployment.spec.as_ref().unwrap().template;
        template
            .metadata
            .as_ref()
            .unwrap()
            .annotations
            .as_ref()
            .unwrap()[BOOTSTRAP_CHECKSUM_ANNOTATION]
            .clone()
    };
    let first = checksum(&|_| Ok("a: 1\n".to_owned()));
    assert_eq!(first, checksum(&|_| Ok("a: 1\n".to_owned())));
    assert_ne!(first, checksum(&|_| Ok("a: 2\n".to_owned())));
}

#[test]
fn gateway_parameters_customise_the_proxy() {
    let text = format!(
        "{CLASS}---{}---{}",
        GATEWAY.replace(
            "  gatewayClassName: dynagate\n",
            "  gatewayClassName: dynagate\n  infrastructure:\n    parametersRef: {group: gateway.kgateway.dev, kind: GatewayParameters, name: big}\n",
        ),
        "
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata: {name: big, namespace: apps}
spec:
  kube:
    deployment: {replicas: 3}
    envoyContainer:
      bootstrap:
        logLevel: debug
        componentLogLevels: {upstream: trace, http: warn}
      image: {registry: registry.example, tag: custom, pullPolicy: Always}
      resources:
        requests: {cpu: 250m}
        limits: {memory: 1Gi}
      extraArgs: [--concurrency, '2']
      env:
      - {name: EXTRA, value: x}
      - {name: ENVOY_DYNAMIC_MODULES_SEARCH_PATH, value: /opt/modules}
    service:
      type: NodePort
      extraLabels: {team: edge}
      extraAnnotations: {lb.example/internal: 'true'}
      ports: [{port: 8080, nodePort: 30080}]
    serviceAccount:
      extraAnnotations: {eks.amazonaws.com/role-arn: arn:aws:iam::1:role/x}
    podTemplate:
      extraLabels: {tier: gateway}
      extraAnnotations: {prometheus.io/scrape: 'true'}
      nodeSelector: {pool: edge}
"
    );
    let objects = deployed(&text);
    let deployment = objects.deployment.spec.as_ref().unwrap();
    assert_eq!(deployment.replicas, Some(3));
    let container = envoy(&objects);
    assert_eq!(
        container.image.as_deref(),
        Some("registry.example/dynagate/envoy:custom")
    );
    assert_eq!(container.image_pull_policy.as_deref(), Some("Always"));
    let resources = container.resources.as_ref().unwrap();
    assert_eq!(resources.requests.as_ref().unwrap()["cpu"].0, "250m");
    assert_eq!(resources.limits.as_ref().unwrap()["memory"].0, "1Gi");
    assert_eq!(arg_after(&objects, "--log-level").as_deref(), Some("debug"));
    assert_eq!(
        arg_after(&objects, "--component-log-level").as_deref(),
        Some("http:warn,upstream:trace")
    );
    assert_eq!(arg_after(&objects, "--concurrency").as_deref(), Some("2"));
    let env: Vec<_> = container
        .env
        .iter()
        .flatten()
        .map(|e| (e.name.as_str(), e.value.as_deref()))
        .collect();
    assert!(env.contains(&("EXTRA", Some("x"))));
    // Replaced, not repeated (a repeated name would fail server-side apply).
    let search: Vec<_> = env
        .iter()
        .filter(|(n, _)| *n == "ENVOY_DYNAMIC_MODULES_SEARCH_PATH")
        .collect();
    assert_eq!(
        search,
        vec![&("ENVOY_DYNAMIC_MODULES_SEARCH_PATH", Some("/opt/modules"))]
    );

    let service = &objects.service;
    let spec = service.spec.as_ref().unwrap();
    assert_eq!(spec.type_.as_deref(), Some("NodePort"));
    let node_ports: Vec<_> = spec
        .ports
        .iter()
        .flatten()
        .map(|p| (p.port, p.node_port))
        .collect();
    assert_eq!(node_ports, vec![(8080, Some(30080)), (8443, None)]);
    assert_eq!(service.metadata.labels.as_ref().unwrap()["team"], "edge");
    assert_eq!(
        service.metadata.annotations.as_ref().unwrap()["lb.example/internal"],
        "true"
    );
    // Extras go to their own object only.
    assert!(
        !objects
            .deployment
            .metadata
            .labels
            .as_ref()
            .unwrap()
            .contains_key("team")
    );
    assert!(
        objects
            .service_account
            .metadata
            .annotations
            .as_ref()
            .unwrap()
            .contains_key("eks.amazonaws.com/role-arn")
    );
    let template = deployment.template.metadata.as_ref().unwrap();
    assert_eq!(template.labels.as_ref().unwrap()["tier"], "gateway");
    let annotations = template.annotations.as_ref().unwrap();
    assert_eq!(annotations["prometheus.io/scrape"], "true");
    assert!(annotations.contains_key(BOOTSTRAP_CHECKSUM_ANNOTATION));
    let pod = deployment.template.spec.as_ref().unwrap();
    assert_eq!(pod.node_selector.as_ref().unwrap()["pool"], "edge");
}

const CLASS_WITH_PARAMETERS: &str = "
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: dynagate}
spec:
  controllerName: dynagate.dev/gateway-controller
  parametersRef: {group: gateway.kgateway.dev, kind: GatewayParameters, name: class-defaults, namespace: dynagate-system}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata: {name: class-defaults, namespace: dynagate-system}
spec:
  kube:
    deployment: {replicas: 2}
    envoyContainer:
      bootstrap: {logLevel: warn}
      image: {registry: class.example}
    service: {type: ClusterIP}
";

fn with_gateway_parameters(spec: &str) -> String {
    format!(
        "{CLASS_WITH_PARAMETERS}---{}---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: GatewayParameters
metadata: {{name: mine, namespace: apps}}
spec: {spec}
",
        GATEWAY.replace(
            "  gatewayClassName: dynagate\n",
            "  gatewayClassName: dynagate\n  infrastructure:\n    parametersRef: {group: gateway.kgateway.dev, kind: GatewayParameters, name: mine}\n",
        )
    )
}

#[test]
fn class_parameters_apply_and_the_gateways_override_them_field_by_field() {
    let class_only = deployed(&format!("{CLASS_WITH_PARAMETERS}---{GATEWAY}"));
    assert_eq!(
        class_only.deployment.spec.as_ref().unwrap().replicas,
        Some(2)
    );
    assert_eq!(
        arg_after(&class_only, "--log-level").as_deref(),
        Some("warn")
    );

    let both = deployed(&with_gateway_parameters(
        "{kube: {deployment: {replicas: 5}, envoyContainer: {image: {tag: gw}}}}",
    ));
    // A class-wide externalTrafficPolicy only applies where it is valid (not on the class's ClusterIP).
    let local = deployed(&with_gateway_parameters(
        "{kube: {service: {externalTrafficPolicy: Local}}}",
    ));
    assert_eq!(
        local.service.spec.as_ref().unwrap().external_traffic_policy,
        None
    );
    let node_port = deployed(&with_gateway_parameters(
        "{kube: {service: {type: NodePort, externalTrafficPolicy: Local}}}",
    ));
    let spec = node_port.service.spec.as_ref().unwrap();
    assert_eq!(spec.external_traffic_policy.as_deref(), Some("Local"));
    assert_eq!(both.deployment.spec.as_ref().unwrap().replicas, Some(5));
    // Untouched by the Gateway's parameters: the class's values stay.
    assert_eq!(arg_after(&both, "--log-level").as_deref(), Some("warn"));
    assert_eq!(
        envoy(&both).image.as_deref(),
        Some("class.example/dynagate/envoy:gw")
    );
    let service = both.service.spec.as_ref().unwrap();
    assert_eq!(service.type_.as_deref(), Some("ClusterIP"));
}

#[test]
fn self_managed_parameters_deploy_nothing() {
    assert_eq!(
        plan_one(&with_gateway_parameters("{selfManaged: {}}")),
        GatewayPlan::SelfManaged
    );
    let class_self_managed = CLASS_WITH_PARAMETERS.replace(
        "spec:\n  kube:\n    deployment: {replicas: 2}",
        "spec:\n  selfManaged: {}\n  kube:\n    deployment: {replicas: 2}",
    );
    assert_eq!(
        plan_one(&format!("{class_self_managed}---{GATEWAY}")),
        GatewayPlan::SelfManaged
    );
}

#[test]
fn a_missing_or_foreign_parameters_ref_is_a_per_gateway_error() {
    let missing =
        with_gateway_parameters("{}").replace("name: mine, namespace", "name: other, namespace");
    assert_eq!(
        plan_one(&missing),
        GatewayPlan::Invalid(PlanError::ParametersNotFound {
            namespace: "apps".into(),
            name: "mine".into()
        })
    );
    // The class's reference is looked up too, in its namespace.
    let class_missing = format!(
        "{}---{GATEWAY}",
        CLASS_WITH_PARAMETERS.split("---").next().unwrap()
    );
    assert_eq!(
        plan_one(&class_missing),
        GatewayPlan::Invalid(PlanError::ParametersNotFound {
            namespace: "dynagate-system".into(),
            name: "class-defaults".into()
        })
    );
    let foreign = with_gateway_parameters("{}").replace(
        "kind: GatewayParameters, name: mine",
        "kind: ConfigMap, name: mine",
    );
    assert!(matches!(
        plan_one(&foreign),
        GatewayPlan::Invalid(PlanError::UnsupportedParametersRef { kind, .. }) if kind == "ConfigMap"
    ));
}

#[test]
fn invalid_parameters_name_the_field() {
    for (spec, field) in [
        (
            "{kube: {envoyContainer: {bootstrap: {logLevel: loud}}}}",
            "kube.envoyContainer.bootstrap.logLevel",
        ),
        (
            "{kube: {envoyContainer: {extraArgs: [--log-level=trace]}}}",
            "kube.envoyContainer.extraArgs",
        ),
        (
            "{kube: {envoyContainer: {resources: {limits: 3}}}}",
            "kube.envoyContainer.resources",
        ),
        (
            "{kube: {podTemplate: {tolerations: {key: x}}}}",
            "kube.podTemplate",
        ),
    ] {
        match plan_one(&with_gateway_parameters(spec)) {
            GatewayPlan::Invalid(PlanError::InvalidParameters { field: got, .. }) => {
                assert_eq!(got, field, "{spec}")
            }
            other => panic!("{spec}: expected an invalid-parameters error, got {other:?}"),
        }
    }
}

#[test]
fn privileged_listener_ports_keep_their_number_and_get_net_bind_service() {
    let objects = deployed(&format!(
        "{CLASS}---{}",
        GATEWAY.replace("port: 8443", "port: 443")
    ));
    let service = objects.service.spec.as_ref().unwrap();
    let ports: Vec<_> = service
        .ports
        .iter()
        .flatten()
        .map(|p| (p.port, p.target_port.clone()))
        .collect();
    assert_eq!(
        ports,
        vec![
            (443, Some(IntOrString::Int(443))),
            (8080, Some(IntOrString::Int(8080)))
        ]
    );
    let container = envoy(&objects);
    let container_ports: Vec<i32> = container
        .ports
        .iter()
        .flatten()
        .map(|p| p.container_port)
        .collect();
    assert_eq!(container_ports, vec![443, 8080]);
    let security = container.security_context.as_ref().unwrap();
    assert_eq!(security.run_as_non_root, Some(true));
    let caps = security.capabilities.as_ref().unwrap();
    assert_eq!(
        caps.add.as_deref(),
        Some(&["NET_BIND_SERVICE".to_owned()][..])
    );
}

#[test]
fn omit_default_security_context_leaves_it_to_the_cluster() {
    let objects = deployed(&with_gateway_parameters(
        "{kube: {omitDefaultSecurityContext: true}}",
    ));
    assert_eq!(envoy(&objects).security_context, None);
    let pod = objects
        .deployment
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap();
    assert_eq!(pod.security_context, None);
}

#[test]
fn infrastructure_labels_override_extras_but_never_our_own() {
    let text = with_gateway_parameters("{kube: {service: {extraLabels: {team: a}}}}").replace(
        "  infrastructure:\n",
        "  infrastructure:\n    labels: {team: b, app.kubernetes.io/managed-by: someone}\n    annotations: {owner: me}\n",
    );
    let objects = deployed(&text);
    let labels = objects.service.metadata.labels.as_ref().unwrap();
    assert_eq!(labels["team"], "b");
    assert_eq!(labels[MANAGED_BY_LABEL], "dynagate");
    // Infrastructure labels and annotations reach every object.
    assert_eq!(
        objects.config_map.metadata.labels.as_ref().unwrap()["team"],
        "b"
    );
    assert_eq!(
        objects.deployment.metadata.annotations.as_ref().unwrap()["owner"],
        "me"
    );
}

#[test]
fn readiness_probe_only_when_the_bootstrap_serves_one() {
    let text = format!("{CLASS}---{GATEWAY}");
    assert!(envoy(&deployed(&text)).readiness_probe.is_none());
    let mut settings = settings();
    settings.readiness_port = Some(8082);
    let GatewayPlan::Deploy(objects) = plan_with(&text, &settings) else {
        panic!("not deployed")
    };
    let container = envoy(&objects);
    let probe = container
        .readiness_probe
        .as_ref()
        .unwrap()
        .http_get
        .as_ref()
        .unwrap();
    assert_eq!(probe.path.as_deref(), Some("/ready"));
    let IntOrString::String(port_name) = &probe.port else {
        panic!("probe port by name")
    };
    let port = container
        .ports
        .iter()
        .flatten()
        .find(|p| p.name.as_ref() == Some(port_name));
    assert_eq!(port.map(|p| p.container_port), Some(8082));
}

#[test]
fn gateway_errors_are_per_gateway() {
    let objects = objects(&format!(
        "{CLASS}---{}",
        GATEWAY.replace(", uid: 0b5c-uid", "")
    ));
    let (web, ghost) = (web(), GatewayKey::new("apps", "ghost"));
    let planned = plan(&objects, [&web, &ghost], &settings(), &bootstrap);
    assert_eq!(
        planned.gateways[&web],
        GatewayPlan::Invalid(PlanError::MissingUid)
    );
    assert_eq!(
        planned.gateways[&ghost],
        GatewayPlan::Invalid(PlanError::GatewayNotFound)
    );

    let objects = self::objects(&format!("{CLASS}---{GATEWAY}"));
    let failing = |_: &GatewayKey| Err::<String, _>("no xds address");
    let plan = plan(&objects, [&web], &settings(), &failing);
    assert_eq!(
        plan.gateways[&web],
        GatewayPlan::Invalid(PlanError::Bootstrap("no xds address".into()))
    );
}

#[test]
fn long_gateway_names_give_valid_object_names_and_the_owner_keeps_the_full_name() {
    let long = "a".repeat(80);
    let text = format!(
        "{CLASS}---{}",
        GATEWAY.replace("name: web,", &format!("name: {long},"))
    );
    let objects = objects(&text);
    let key = GatewayKey::new("apps", long.clone());
    let plan = plan(&objects, [&key], &settings(), &bootstrap);
    let GatewayPlan::Deploy(proxy) = &plan.gateways[&key] else {
        panic!("not deployed")
    };
    let name = proxy.service.metadata.name.clone().unwrap();
    assert!(name.len() <= 63);
    assert_eq!(
        proxy.service.metadata.labels.as_ref().unwrap()[GATEWAY_NAME_LABEL],
        name
    );
    assert_eq!(
        proxy.service.metadata.owner_references.as_ref().unwrap()[0].name,
        long
    );
}
