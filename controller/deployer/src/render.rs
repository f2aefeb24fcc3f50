//! The four proxy objects of one Gateway, as kgateway's deployer shapes them (section E.2).

mod deployment;

use std::collections::{BTreeMap, BTreeSet};

use dynagate_api::gateway::{self, Gateway};
use dynagate_ir::GatewayKey;
use k8s_openapi::api::core::v1::{ConfigMap, Service, ServiceAccount, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::labels::{object_labels, object_name, selector_labels};
use crate::plan::{PlanError, ProxyObjects};
use crate::proxy_spec::ProxySpec;
use crate::settings::{BOOTSTRAP_FILE, DeployerSettings};

/// Everything one Gateway's objects are made from.
pub(crate) struct ProxyInput<'a> {
    pub key: &'a GatewayKey,
    pub gateway: &'a Gateway,
    pub class_name: &'a str,
    pub spec: &'a ProxySpec,
    pub bootstrap: &'a str,
    pub settings: &'a DeployerSettings,
}

impl ProxyInput<'_> {
    fn name(&self) -> String {
        object_name(&self.key.name)
    }

    /// `spec.infrastructure.labels`/`annotations`: applied to every object, over GatewayParameters' extras.
    fn infrastructure(&self) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
        let infra = self.gateway.spec.infrastructure.as_ref();
        (
            infra.and_then(|i| i.labels.clone()).unwrap_or_default(),
            infra
                .and_then(|i| i.annotations.clone())
                .unwrap_or_default(),
        )
    }

    /// Labels: `extra` (GatewayParameters), then the Gateway's infrastructure labels, then ours, which win
    /// so selectors and pruning keep working whatever users set.
    fn labels(&self, extra: Option<&BTreeMap<String, String>>) -> BTreeMap<String, String> {
        let mut labels = extra.cloned().unwrap_or_default();
        labels.extend(self.infrastructure().0);
        labels.extend(object_labels(&self.name(), self.class_name));
        labels
    }

    fn annotations(
        &self,
        extra: Option<&BTreeMap<String, String>>,
    ) -> Option<BTreeMap<String, String>> {
        let mut annotations = extra.cloned().unwrap_or_default();
        annotations.extend(self.infrastructure().1);
        (!annotations.is_empty()).then_some(annotations)
    }

    /// Metadata of a top-level object: name, namespace, labels, annotations, and the Gateway as controlling
    /// owner (so deleting the Gateway garbage-collects it).
    fn meta(
        &self,
        extra_labels: Option<&BTreeMap<String, String>>,
        extra_annotations: Option<&BTreeMap<String, String>>,
    ) -> Result<ObjectMeta, PlanError> {
        Ok(ObjectMeta {
            name: Some(self.name()),
            namespace: Some(self.key.namespace.clone()),
            labels: Some(self.labels(extra_labels)),
            annotations: self.annotations(extra_annotations),
            owner_references: Some(vec![self.owner_reference()?]),
            ..ObjectMeta::default()
        })
    }

    fn owner_reference(&self) -> Result<OwnerReference, PlanError> {
        let uid = self
            .gateway
            .metadata
            .uid
            .clone()
            .filter(|uid| !uid.is_empty())
            .ok_or(PlanError::MissingUid)?;
        Ok(OwnerReference {
            api_version: format!("{}/v1", gateway::GROUP),
            kind: "Gateway".to_owned(),
            name: self.key.name.clone(),
            uid,
            controller: Some(true),
            block_owner_deletion: Some(true),
        })
    }

    /// Distinct listener ports, ascending (two listeners on one port share a Service port).
    fn listener_ports(&self) -> Result<Vec<i32>, PlanError> {
        let ports: BTreeSet<i32> = self.gateway.spec.listeners.iter().map(|l| l.port).collect();
        if ports.is_empty() {
            return Err(PlanError::NoListeners);
        }
        Ok(ports.into_iter().collect())
    }
}

/// Name of the Service and container port of a listener port (≤ 15 characters for a container port name).
pub(crate) fn port_name(port: i32) -> String {
    format!("listener-{port}")
}

pub(crate) fn proxy_objects(input: &ProxyInput<'_>) -> Result<ProxyObjects, PlanError> {
    let ports = input.listener_ports()?;
    Ok(ProxyObjects {
        service_account: service_account(input)?,
        config_map: config_map(input)?,
        service: service(input, &ports)?,
        deployment: deployment::deployment(input, &ports)?,
    })
}

fn service_account(input: &ProxyInput<'_>) -> Result<ServiceAccount, PlanError> {
    let extra = &input.spec.service_account;
    Ok(ServiceAccount {
        metadata: input.meta(
            extra.extra_labels.as_ref(),
            extra.extra_annotations.as_ref(),
        )?,
        // Envoy never talks to the API server; the pod does not mount a token either.
        automount_service_account_token: Some(false),
        ..ServiceAccount::default()
    })
}

fn config_map(input: &ProxyInput<'_>) -> Result<ConfigMap, PlanError> {
    Ok(ConfigMap {
        metadata: input.meta(None, None)?,
        data: Some(BTreeMap::from([(
            BOOTSTRAP_FILE.to_owned(),
            input.bootstrap.to_owned(),
        )])),
        ..ConfigMap::default()
    })
}

fn service(input: &ProxyInput<'_>, ports: &[i32]) -> Result<Service, PlanError> {
    let params = &input.spec.service;
    let service_type = params
        .service_type
        .clone()
        .unwrap_or_else(|| input.settings.default_service_type.clone());
    // nodePorts and externalTrafficPolicy are only valid on NodePort and LoadBalancer Services; a class
    // default for them must not break a Gateway that switches to ClusterIP.
    let node_ports = matches!(service_type.as_str(), "NodePort" | "LoadBalancer");
    let ports = ports
        .iter()
        .map(|&port| ServicePort {
            name: Some(port_name(port)),
            port,
            target_port: Some(IntOrString::Int(port)),
            protocol: Some("TCP".to_owned()),
            node_port: node_ports
                .then(|| input.spec.node_ports.get(&port).copied())
                .flatten(),
            ..ServicePort::default()
        })
        .collect();
    Ok(Service {
        metadata: input.meta(
            params.extra_labels.as_ref(),
            params.extra_annotations.as_ref(),
        )?,
        spec: Some(ServiceSpec {
            type_: Some(service_type),
            cluster_ip: params.cluster_ip.clone(),
            external_traffic_policy: params
                .external_traffic_policy
                .clone()
                .filter(|_| node_ports),
            load_balancer_class: params.load_balancer_class.clone(),
            load_balancer_source_ranges: params.load_balancer_source_ranges.clone(),
            selector: Some(selector_labels(&input.name())),
            ports: Some(ports),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    })
}
