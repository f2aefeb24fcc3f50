use std::path::Path;

use dynagate_api::manifest::parse_manifests;

use super::*;
use crate::resources::Resources;

fn index(manifests: &str) -> PolicyIndex {
    let parsed = parse_manifests(Path::new("t.yaml"), manifests);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    PolicyIndex::build(&Resources::new(parsed.objects).unwrap())
}

fn key(name: &str) -> NsName {
    ("default".to_owned(), name.to_owned())
}

/// A TrafficPolicy on HTTPRoute `r` with optional weight and creation time, setting `fields`.
fn policy(name: &str, weight: Option<i64>, created: Option<&str>, fields: &str) -> String {
    let mut meta = format!("name: {name}");
    if let Some(w) = weight {
        meta.push_str(&format!(
            ", annotations: {{kgateway.dev/policy-weight: \"{w}\"}}"
        ));
    }
    if let Some(c) = created {
        meta.push_str(&format!(", creationTimestamp: \"{c}\""));
    }
    format!(
        "---\napiVersion: gateway.kgateway.dev/v1alpha1\nkind: TrafficPolicy\nmetadata: {{{meta}}}\nspec:\n  targetRefs: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}}]\n{fields}\n"
    )
}

const ROUTE: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec:\n  rules:\n  - name: one\n";
const TRANSFORM: &str = "  transformation: {request: {remove: [x-a]}}";
const LIMIT: &str = "  rateLimit: {local: {tokenBucket: {maxTokens: 1, fillInterval: 1s}}}";

fn winner(index: &PolicyIndex, field: PolicyField) -> String {
    let route = index.route.get(&key("r")).cloned().unwrap_or_default();
    merge(index, [(route.as_slice(), "HTTPRoute/default/r")])
        .get(&field)
        .map(|(k, _)| k.1.clone())
        .unwrap_or_default()
}

#[test]
fn higher_weight_wins_even_when_younger() {
    let manifests = format!(
        "{ROUTE}{}{}",
        policy("old-light", None, Some("2020-01-01T00:00:00Z"), TRANSFORM),
        policy(
            "young-heavy",
            Some(5),
            Some("2025-01-01T00:00:00Z"),
            TRANSFORM
        )
    );
    assert_eq!(
        winner(&index(&manifests), PolicyField::Transformation),
        "young-heavy"
    );
}

#[test]
fn oldest_wins_at_equal_weight_and_name_breaks_remaining_ties() {
    let manifests = format!(
        "{ROUTE}{}{}",
        policy("a-young", None, Some("2025-01-01T00:00:00Z"), TRANSFORM),
        policy("z-old", None, Some("2020-01-01T00:00:00Z"), TRANSFORM)
    );
    assert_eq!(
        winner(&index(&manifests), PolicyField::Transformation),
        "z-old"
    );

    let untimed = format!(
        "{ROUTE}{}{}",
        policy("b", None, None, TRANSFORM),
        policy("a", None, None, TRANSFORM)
    );
    assert_eq!(winner(&index(&untimed), PolicyField::Transformation), "a");

    // A policy with a timestamp is older than one without (which has not been stored yet).
    let mixed = format!(
        "{ROUTE}{}{}",
        policy("a", None, None, TRANSFORM),
        policy("b", None, Some("2025-01-01T00:00:00Z"), TRANSFORM)
    );
    assert_eq!(winner(&index(&mixed), PolicyField::Transformation), "b");
}

#[test]
fn different_fields_from_different_policies_combine() {
    let manifests = format!(
        "{ROUTE}{}{}",
        policy("transforms", Some(1), None, TRANSFORM),
        policy("limits", None, None, &format!("{TRANSFORM}\n{LIMIT}"))
    );
    let index = index(&manifests);
    assert_eq!(winner(&index, PolicyField::Transformation), "transforms");
    assert_eq!(winner(&index, PolicyField::RateLimitLocal), "limits");
}

#[test]
fn more_specific_level_wins_each_field_and_lower_levels_fill_gaps() {
    let manifests = format!(
        "{ROUTE}{}{}",
        policy(
            "route-level",
            Some(100),
            None,
            &format!("{TRANSFORM}\n{LIMIT}")
        ),
        "---\napiVersion: gateway.kgateway.dev/v1alpha1\nkind: TrafficPolicy\nmetadata: {name: rule-level}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r, sectionName: one}]\n  transformation: {response: {remove: [x-b]}}\n"
    );
    let index = index(&manifests);
    let rule = index
        .rule
        .get(&(key("r"), "one".to_owned()))
        .cloned()
        .unwrap();
    let route = index.route.get(&key("r")).cloned().unwrap();
    let winners = merge(
        &index,
        [
            (rule.as_slice(), "HTTPRoute/default/r/rule/one"),
            (route.as_slice(), "HTTPRoute/default/r"),
        ],
    );
    assert_eq!(
        winners[&PolicyField::Transformation].0,
        key("rule-level"),
        "weight does not cross levels"
    );
    assert_eq!(winners[&PolicyField::RateLimitLocal].0, key("route-level"));
}

#[test]
fn bad_weight_annotation_is_reported_and_counts_as_zero() {
    let manifests = format!("{ROUTE}{}", policy("p", None, None, TRANSFORM)).replace(
        "metadata: {name: p}",
        "metadata: {name: p, annotations: {kgateway.dev/policy-weight: high}}",
    );
    let index = index(&manifests);
    let compiled = &index.policies[&key("p")];
    assert_eq!(compiled.priority.0, std::cmp::Reverse(0));
    assert!(
        compiled.invalid[0].contains("not an integer"),
        "{:?}",
        compiled.invalid
    );
}

#[test]
fn transformation_json_is_the_policy_object_and_invalid_rate_limits_are_rejected() {
    let manifests = format!(
        "{ROUTE}{}",
        policy(
            "p",
            None,
            None,
            "  transformation: {response: {set: [{name: x-a, value: '{{ header(\"x\") }}'}]}}\n  rateLimit: {local: {tokenBucket: {maxTokens: 1, fillInterval: 10ms}}}"
        )
    );
    let index = index(&manifests);
    let compiled = &index.policies[&key("p")];
    assert!(compiled.fields.contains_key(&PolicyField::Transformation));
    assert!(compiled.rate_limit.is_none());
    assert!(
        compiled.invalid.iter().any(|e| e.contains("at least 50ms")),
        "{:?}",
        compiled.invalid
    );

    use envoy_types::pb::envoy::config::route::v3::FilterConfig;
    use envoy_types::pb::envoy::extensions::filters::http::dynamic_modules::v3::DynamicModuleFilterPerRoute;
    use envoy_types::pb::google::protobuf::StringValue;
    use prost::Message;
    let wrapper = FilterConfig::decode(
        compiled.fields[&PolicyField::Transformation]
            .value
            .as_slice(),
    )
    .unwrap();
    assert!(
        !wrapper.disabled,
        "the wrapper must enable the listener's disabled filter"
    );
    let per_route =
        DynamicModuleFilterPerRoute::decode(wrapper.config.unwrap().value.as_slice()).unwrap();
    assert_eq!(per_route.filter_name, "transformation");
    let json = StringValue::decode(per_route.filter_config.unwrap().value.as_slice())
        .unwrap()
        .value;
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        value,
        serde_json::json!({"response": {"set": [{"name": "x-a", "value": "{{ header(\"x\") }}"}]}})
    );
}

#[test]
fn a_template_that_does_not_compile_invalidates_the_transformation_with_the_engines_message() {
    let manifests = format!(
        "{ROUTE}{}",
        policy(
            "p",
            None,
            None,
            "  transformation: {request: {set: [{name: x-a, value: '{{ header(\"x\") '}]}}"
        )
    );
    let index = index(&manifests);
    let compiled = &index.policies[&key("p")];
    assert!(!compiled.fields.contains_key(&PolicyField::Transformation));
    let [problem] = compiled.invalid.as_slice() else {
        panic!("{:?}", compiled.invalid);
    };
    assert!(
        problem.starts_with("transformation.request.set[0]") && problem.contains("line 1"),
        "{problem}"
    );
    let accepted = status::accepted_condition(&compiled.unsupported, &compiled.invalid, true);
    assert_eq!(accepted.status, crate::status::ConditionStatus::False);
    assert_eq!(accepted.reason, "Invalid");
    assert!(
        accepted.message.contains(problem.as_str()),
        "{}",
        accepted.message
    );
}

mod rate_limit;
