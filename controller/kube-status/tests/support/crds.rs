//! CRDs for the test cluster: ours from the chart, Gateway API's generated from the `gateway-api` crate
//! and adapted to Kubernetes 1.20 (protected-group annotation; `null` in enums becomes `nullable`).

use anyhow::{Context, Result};
use dynagate_api::gateway::{Gateway, GatewayClass, HttpRoute};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;
use kube::api::{Api, PostParams};
use serde_json::Value;

/// Creates every CRD the tests use.
pub async fn install(client: &kube::Client) -> Result<()> {
    let api = Api::<CustomResourceDefinition>::all(client.clone());
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../charts/dynagate/crds/gateway.kgateway.dev.yaml"
    );
    let text = std::fs::read_to_string(path)?;
    let mut crds = Vec::new();
    for document in serde_yaml::Deserializer::from_str(&text) {
        crds.push(serde::Deserialize::deserialize(document)?);
    }
    for crd in [GatewayClass::crd(), Gateway::crd(), HttpRoute::crd()] {
        crds.push(for_kubernetes_1_20(crd)?);
    }
    for crd in crds {
        let crd: CustomResourceDefinition = crd;
        api.create(&PostParams::default(), &crd)
            .await
            .with_context(|| format!("creating CRD {:?}", crd.metadata.name))?;
    }
    Ok(())
}

fn for_kubernetes_1_20(crd: CustomResourceDefinition) -> Result<CustomResourceDefinition> {
    let mut value = serde_json::to_value(crd)?;
    value["metadata"]["annotations"]["api-approved.kubernetes.io"] =
        "https://github.com/kubernetes-sigs/gateway-api".into();
    nullable_instead_of_null_in_enums(&mut value["spec"]);
    Ok(serde_json::from_value(value)?)
}

fn nullable_instead_of_null_in_enums(node: &mut Value) {
    match node {
        Value::Object(map) => {
            if let Some(Value::Array(values)) = map.get_mut("enum")
                && values.iter().any(Value::is_null)
            {
                values.retain(|v| !v.is_null());
                map.insert("nullable".into(), true.into());
            }
            map.values_mut().for_each(nullable_instead_of_null_in_enums);
        }
        Value::Array(items) => items.iter_mut().for_each(nullable_instead_of_null_in_enums),
        _ => {}
    }
}
