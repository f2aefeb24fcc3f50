use std::path::Path;

use super::*;
use crate::kgateway::BodyParseBehavior;

fn parse(text: &str) -> ParsedManifests {
    parse_manifests(Path::new("m.yaml"), text)
}

#[test]
fn parses_gateway_api_and_kgateway_kinds_with_default_namespace() {
    let parsed = parse(
        r#"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r1}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /a}}]
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: tp, namespace: apps}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r1, sectionName: rule-a}]
  transformation:
    request:
      set: [{name: x-a, value: "{{ header(\"x-b\") }}"}]
      body: {parseAs: AsJson}
  cors: {allowOrigins: ["*"]}
"#,
    );
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert_eq!(parsed.objects.len(), 2);
    assert_eq!(parsed.objects[0].key().to_string(), "HTTPRoute default/r1");
    let Object::TrafficPolicy(tp) = &parsed.objects[1] else {
        panic!("not a TrafficPolicy")
    };
    assert_eq!(parsed.objects[1].namespace(), "apps");
    let target = &tp.spec.target_refs.as_ref().unwrap()[0];
    assert_eq!(target.section_name.as_deref(), Some("rule-a"));
    let request = tp
        .spec
        .transformation
        .as_ref()
        .unwrap()
        .request
        .as_ref()
        .unwrap();
    assert_eq!(
        request.body.as_ref().unwrap().parse_as,
        BodyParseBehavior::AsJson
    );
    assert_eq!(tp.spec.opaque_fields(), vec!["cors"]);
}

#[test]
fn unknown_field_in_our_crd_is_an_error_with_path_and_line() {
    let parsed = parse(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: gateway.kgateway.dev/v1alpha1\nkind: TrafficPolicy\nmetadata: {name: tp}\nspec:\n  transformation:\n    request:\n      sett: []\n",
    );
    assert_eq!(
        parsed.objects.len(),
        1,
        "the bad policy is rejected, the namespace kept"
    );
    assert_eq!(parsed.errors.len(), 1);
    let err = &parsed.errors[0];
    assert_eq!(err.location.document, 2);
    assert_eq!(err.field, "spec.transformation.request.sett");
    assert!(err.reason.contains("unknown field"), "{err}");
    assert!(
        err.to_string().starts_with("m.yaml: document 2 (line "),
        "{err}"
    );
}

#[test]
fn unknown_field_in_gateway_api_object_is_a_note() {
    let parsed = parse(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec:\n  gatewayClassName: c\n  listeners: []\n  bogus: 1\n",
    );
    assert!(parsed.errors.is_empty());
    assert_eq!(parsed.objects.len(), 1);
    assert_eq!(parsed.notes.len(), 1);
    assert_eq!(parsed.notes[0].field, "spec.bogus");
}

#[test]
fn type_error_names_field_and_absolute_line() {
    let text = "# leading comment\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  rules:\n  - matches:\n    - path: {type: Prefix, value: /}\n";
    let parsed = parse(text);
    assert!(parsed.objects.is_empty());
    assert_eq!(parsed.errors.len(), 1, "{:?}", parsed.errors);
    let err = &parsed.errors[0];
    assert_eq!(err.field, "spec.rules[0].matches[0].path.type");
    assert_eq!(err.location.line, 9);
    assert!(
        err.reason.contains("unknown variant `Prefix`"),
        "{}",
        err.reason
    );
}

#[test]
fn unknown_kinds_are_skipped_with_a_note() {
    let parsed = parse("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n");
    assert!(parsed.objects.is_empty());
    assert!(parsed.errors.is_empty());
    assert_eq!(parsed.notes.len(), 1);
    assert!(parsed.notes[0].message.contains("Deployment"));
}

#[test]
fn missing_kind_and_missing_name_are_errors() {
    let parsed = parse(
        "apiVersion: v1\nmetadata: {name: x}\n---\napiVersion: v1\nkind: Service\nmetadata: {}\n",
    );
    let fields: Vec<_> = parsed
        .errors
        .iter()
        .map(|e| (e.location.document, e.field.as_str()))
        .collect();
    assert_eq!(fields, vec![(1, "kind"), (2, "metadata.name")]);
}

#[test]
fn list_items_are_unpacked() {
    let parsed = parse(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: b, namespace: x}\n  spec: {ports: [{port: \"eighty\"}]}\n",
    );
    assert_eq!(parsed.objects.len(), 1);
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].field, "items[1].spec.ports[0].port");
}

#[test]
fn v1beta1_gateway_api_versions_are_accepted_and_unknown_versions_are_not() {
    let parsed = parse(
        "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: g}\nspec: {from: [], to: []}\n---\napiVersion: gateway.kgateway.dev/v1\nkind: Backend\nmetadata: {name: b}\nspec: {}\n",
    );
    assert_eq!(parsed.objects.len(), 1);
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].field, "apiVersion");
}

#[test]
fn documents_split_on_markers_only() {
    let docs = split::split_documents("---\na: 1\n---  \nb: |\n  ---\n---\n");
    let texts: Vec<_> = docs
        .iter()
        .map(|d| (d.index, d.first_line, d.text))
        .collect();
    assert_eq!(
        texts,
        vec![
            (1, 1, "---\na: 1\n"),
            (2, 3, "---  \nb: |\n  ---\n"),
            (3, 6, "---\n")
        ]
    );
}

#[test]
fn unknown_top_level_policy_field_is_an_error_not_dropped() {
    let parsed = parse(
        "apiVersion: gateway.kgateway.dev/v1alpha1\nkind: TrafficPolicy\nmetadata: {name: tp}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]\n  rateLimitt: {local: {}}\n",
    );
    assert!(parsed.objects.is_empty());
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].field, "spec.rateLimitt");
}
