//! Rewrites derived schemas into Kubernetes "structural" schemas: every node typed or explicitly open.
//!
//! schemars describes `serde_json::Value` as "anything" (no `type`) and a JSON object map as
//! `additionalProperties: true`; the API server rejects both. We keep such fields opaque on purpose (kgateway
//! fields not translated yet), so they become `x-kubernetes-preserve-unknown-fields: true`: stored verbatim,
//! reported as not supported by the controller. `null` inside `enum` (older servers reject it) becomes
//! `nullable: true`, and `uniqueItems` (forbidden in CRDs) is dropped.

use dynagate_api::k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};

/// Rewrites every version's schema of `crd` in place.
pub(super) fn make_structural(crd: &mut CustomResourceDefinition) {
    for version in &mut crd.spec.versions {
        if let Some(schema) = version
            .schema
            .as_mut()
            .and_then(|validation| validation.open_api_v3_schema.as_mut())
        {
            rewrite(schema);
        }
    }
}

/// Rewrites one schema node and everything below it.
pub(super) fn rewrite(node: &mut JSONSchemaProps) {
    if matches!(
        node.additional_properties,
        Some(JSONSchemaPropsOrBool::Bool(true))
    ) {
        // An object with arbitrary values: say so the Kubernetes way.
        node.additional_properties = None;
        node.type_ = Some("object".to_owned());
        node.x_kubernetes_preserve_unknown_fields = Some(true);
    }
    let open = node.x_kubernetes_preserve_unknown_fields == Some(true)
        || node.x_kubernetes_int_or_string == Some(true);
    if node.type_.is_none() && !open {
        node.x_kubernetes_preserve_unknown_fields = Some(true);
    }
    if let Some(values) = node.enum_.as_mut() {
        let before = values.len();
        values.retain(|value| !value.0.is_null());
        if values.len() != before {
            node.nullable = Some(true);
        }
    }
    node.unique_items = None;

    for child in node
        .properties
        .iter_mut()
        .flat_map(|props| props.values_mut())
    {
        rewrite(child);
    }
    match node.items.as_mut() {
        Some(JSONSchemaPropsOrArray::Schema(item)) => rewrite(item),
        Some(JSONSchemaPropsOrArray::Schemas(items)) => items.iter_mut().for_each(rewrite),
        None => {}
    }
    if let Some(JSONSchemaPropsOrBool::Schema(value)) = node.additional_properties.as_mut() {
        rewrite(value);
    }
}
