//! What a Kubernetes API server checks in a CRD schema and does to objects under it, written from the
//! Kubernetes documentation (structural schemas, pruning) so the tests do not trust the generator.

use serde_json::Value;

/// Kubernetes' structural-schema rules, plus what a 1.20 server rejects (see shared/kubernetes-testing.md).
pub fn structural_violations(
    node: &Value,
    path: &str,
    inside_junctor: bool,
    out: &mut Vec<String>,
) {
    let Some(object) = node.as_object() else {
        out.push(format!("{path}: schema is not an object: {node}"));
        return;
    };
    let preserve = node["x-kubernetes-preserve-unknown-fields"] == true;
    let int_or_string = node["x-kubernetes-int-or-string"] == true;
    if inside_junctor {
        for key in [
            "type",
            "description",
            "default",
            "nullable",
            "additionalProperties",
        ]
        .into_iter()
        .chain(
            object
                .keys()
                .map(String::as_str)
                .filter(|key| key.starts_with("x-kubernetes-")),
        ) {
            if object.contains_key(key) {
                out.push(format!(
                    "{path}: {key} is not allowed inside anyOf/oneOf/allOf/not"
                ));
            }
        }
    } else if object
        .get("type")
        .is_none_or(|ty| ty.as_str().is_none_or(str::is_empty))
        && !preserve
        && !int_or_string
    {
        out.push(format!(
            "{path}: no type and not x-kubernetes-preserve-unknown-fields"
        ));
    }
    for key in [
        "$ref",
        "$schema",
        "definitions",
        "id",
        "additionalItems",
        "patternProperties",
        "dependencies",
    ] {
        if object.contains_key(key) {
            out.push(format!("{path}: {key} is forbidden in CRD schemas"));
        }
    }
    if node["uniqueItems"] == true {
        out.push(format!("{path}: uniqueItems: true is forbidden"));
    }
    if node["x-kubernetes-preserve-unknown-fields"] == false {
        out.push(format!(
            "{path}: x-kubernetes-preserve-unknown-fields must be true when set"
        ));
    }
    if node["default"] == "" {
        out.push(format!("{path}: default \"\" is rejected by older servers"));
    }
    if node["enum"]
        .as_array()
        .is_some_and(|values| values.iter().any(Value::is_null))
    {
        out.push(format!("{path}: null in enum (use nullable: true)"));
    }
    match object.get("additionalProperties") {
        None => {}
        Some(Value::Object(_)) if object.contains_key("properties") => {
            out.push(format!(
                "{path}: properties and additionalProperties together"
            ));
        }
        Some(Value::Object(_)) => structural_violations(
            &node["additionalProperties"],
            &format!("{path}{{}}"),
            inside_junctor,
            out,
        ),
        Some(other) => out.push(format!(
            "{path}: additionalProperties: {other} (must be a schema)"
        )),
    }
    if let Some(properties) = object.get("properties").and_then(Value::as_object) {
        for (name, child) in properties {
            structural_violations(child, &format!("{path}.{name}"), inside_junctor, out);
        }
    }
    match object.get("items") {
        None => {}
        Some(Value::Object(_)) => {
            structural_violations(&node["items"], &format!("{path}[]"), inside_junctor, out)
        }
        Some(other) => out.push(format!("{path}: items must be one schema, got {other}")),
    }
    if node["type"] == "array" && object.get("items").is_none() && !preserve {
        out.push(format!("{path}: array without items"));
    }
    for junctor in ["anyOf", "oneOf", "allOf"] {
        for (index, branch) in node[junctor].as_array().into_iter().flatten().enumerate() {
            structural_violations(branch, &format!("{path}.{junctor}[{index}]"), true, out);
        }
    }
    if let Some(not) = object.get("not") {
        structural_violations(not, &format!("{path}.not"), true, out);
    }
}

/// Paths in `value` the API server would prune (drop silently) under `schema`.
pub fn pruned_paths(value: &Value, schema: &Value, path: &str, out: &mut Vec<String>) {
    if schema["x-kubernetes-preserve-unknown-fields"] == true {
        return;
    }
    match value {
        Value::Object(fields) => {
            for (name, child) in fields {
                let child_path = format!("{path}.{name}");
                if let Some(child_schema) = schema["properties"].get(name) {
                    pruned_paths(child, child_schema, &child_path, out);
                } else if schema["additionalProperties"].is_object() {
                    pruned_paths(child, &schema["additionalProperties"], &child_path, out);
                } else {
                    out.push(child_path);
                }
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                pruned_paths(item, &schema["items"], &format!("{path}[{index}]"), out);
            }
        }
        _ => {}
    }
}
