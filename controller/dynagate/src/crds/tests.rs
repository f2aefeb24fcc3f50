use dynagate_api::k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    JSON, JSONSchemaProps, JSONSchemaPropsOrBool,
};

use super::structural::rewrite;

fn untyped() -> JSONSchemaProps {
    JSONSchemaProps {
        description: Some("opaque".to_owned()),
        ..JSONSchemaProps::default()
    }
}

#[test]
fn untyped_field_becomes_preserve_unknown_fields() {
    let mut node = JSONSchemaProps {
        type_: Some("object".to_owned()),
        properties: Some([("opaque".to_owned(), untyped())].into()),
        ..JSONSchemaProps::default()
    };
    rewrite(&mut node);
    let opaque = &node.properties.as_ref().unwrap()["opaque"];
    assert_eq!(opaque.x_kubernetes_preserve_unknown_fields, Some(true));
    assert_eq!(
        node.x_kubernetes_preserve_unknown_fields, None,
        "typed parent stays closed"
    );
}

#[test]
fn open_map_becomes_object_preserving_unknown_fields() {
    let mut node = JSONSchemaProps {
        type_: Some("object".to_owned()),
        additional_properties: Some(JSONSchemaPropsOrBool::Bool(true)),
        ..JSONSchemaProps::default()
    };
    rewrite(&mut node);
    assert_eq!(node.additional_properties, None);
    assert_eq!(node.x_kubernetes_preserve_unknown_fields, Some(true));
}

#[test]
fn typed_map_values_are_kept() {
    let mut node = JSONSchemaProps {
        type_: Some("object".to_owned()),
        additional_properties: Some(JSONSchemaPropsOrBool::Schema(Box::new(untyped()))),
        ..JSONSchemaProps::default()
    };
    rewrite(&mut node);
    let Some(JSONSchemaPropsOrBool::Schema(value)) = &node.additional_properties else {
        panic!("map value schema lost: {node:?}");
    };
    assert_eq!(value.x_kubernetes_preserve_unknown_fields, Some(true));
}

#[test]
fn null_in_enum_becomes_nullable() {
    let mut node = JSONSchemaProps {
        type_: Some("string".to_owned()),
        enum_: Some(vec![
            JSON(serde_json::json!("A")),
            JSON(serde_json::Value::Null),
        ]),
        unique_items: Some(true),
        ..JSONSchemaProps::default()
    };
    rewrite(&mut node);
    assert_eq!(node.enum_, Some(vec![JSON(serde_json::json!("A"))]));
    assert_eq!(node.nullable, Some(true));
    assert_eq!(node.unique_items, None);
}
