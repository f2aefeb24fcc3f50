//! The Gateway API CRDs for the test cluster, generated from the `gateway-api` crate's types (no registry
//! ships the upstream YAML) and adapted to the Kubernetes 1.20 apiserver the tests run.
//!
//! Users of real clusters install the upstream Gateway API release themselves; these CRDs only need to accept
//! what the tests apply. Their schemas come from the Rust types, so they carry no CEL rules.

use gateway_api::apis::standard::gatewayclasses::GatewayClass;
use gateway_api::apis::standard::gateways::Gateway;
use gateway_api::apis::standard::grpcroutes::GrpcRoute;
use gateway_api::apis::standard::httproutes::HttpRoute;
use gateway_api::apis::standard::referencegrants::ReferenceGrant;
use kube::CustomResourceExt;
use serde_json::{Map, Value};

use crate::HarnessError;

/// The annotation the apiserver demands on CRDs of protected groups (`*.k8s.io`); a value starting with
/// `unapproved` is accepted and only reported in the CRD's conditions.
pub const API_APPROVED_ANNOTATION: &str = "api-approved.kubernetes.io";

/// GatewayClass, Gateway, HTTPRoute, GRPCRoute and ReferenceGrant, ready for a 1.20 apiserver.
pub fn gateway_api_crds() -> Result<Vec<Value>, HarnessError> {
    [
        GatewayClass::crd(),
        Gateway::crd(),
        HttpRoute::crd(),
        GrpcRoute::crd(),
        ReferenceGrant::crd(),
    ]
    .into_iter()
    .map(|crd| {
        serde_json::to_value(crd)
            .map(adapt_crd_for_1_20)
            .map_err(|err| HarnessError::Unexpected {
                what: "a Gateway API CRD".to_owned(),
                detail: err.to_string(),
            })
    })
    .collect()
}

/// Adds the API approval annotation and rewrites what 1.20 rejects in schemas: `null` as an `enum` value
/// (newer apiservers accept it for nullable enums) becomes `nullable: true`.
pub fn adapt_crd_for_1_20(mut crd: Value) -> Value {
    if let Some(metadata) = crd.get_mut("metadata").and_then(Value::as_object_mut) {
        let annotations = metadata
            .entry("annotations")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(annotations) = annotations.as_object_mut() {
            annotations.insert(
                API_APPROVED_ANNOTATION.to_owned(),
                Value::String(
                    "unapproved, generated from the gateway-api crate for dynagate's e2e tests"
                        .to_owned(),
                ),
            );
        }
    }
    if let Some(spec) = crd.get_mut("spec") {
        nullable_instead_of_null_enum(spec);
    }
    crd
}

fn nullable_instead_of_null_enum(node: &mut Value) {
    match node {
        Value::Object(object) => {
            let mut had_null = false;
            if let Some(Value::Array(values)) = object.get_mut("enum") {
                let before = values.len();
                values.retain(|value| !value.is_null());
                had_null = values.len() != before;
            }
            if had_null {
                object.insert("nullable".to_owned(), Value::Bool(true));
            }
            object.values_mut().for_each(nullable_instead_of_null_enum);
        }
        Value::Array(items) => items.iter_mut().for_each(nullable_instead_of_null_enum),
        _ => {}
    }
}
