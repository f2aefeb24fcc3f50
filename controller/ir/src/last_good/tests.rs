//! A policy edited into an invalid one keeps serving its last good version; never-valid and deleted
//! policies have nothing to fall back on.

use std::path::Path;

use dynagate_api::manifest::parse_manifests;
use dynagate_api::{Object, ObjectKey, ObjectKind};

use super::LastGood;
use crate::{ConditionStatus, GatewayKey, TranslateOptions, Translation};

const BASE: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: c}\nspec: {controllerName: dynagate.dev/gateway-controller}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: default}\nspec:\n  gatewayClassName: c\n  listeners: [{name: http, port: 8080, protocol: HTTP}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\nspec: {ports: [{port: 80}]}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: default}\nspec:\n  parentRefs: [{name: gw}]\n  rules: [{backendRefs: [{name: s, port: 80}]}]\n";

/// The manifests plus a TrafficPolicy on the route whose response header value is `value`.
fn objects(policy: Option<(i64, &str)>) -> Vec<Object> {
    let mut text = BASE.to_owned();
    if let Some((generation, value)) = policy {
        text.push_str(&format!(
            "---\napiVersion: gateway.kgateway.dev/v1alpha1\nkind: TrafficPolicy\nmetadata: {{name: p, namespace: default, generation: {generation}}}\nspec:\n  targetRefs: [{{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}}]\n  transformation: {{response: {{set: [{{name: x-a, value: '{value}'}}]}}}}\n"
        ));
    }
    let parsed = parse_manifests(Path::new("t.yaml"), &text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    parsed.objects
}

fn run(memory: &mut LastGood, policy: Option<(i64, &str)>) -> Translation {
    memory
        .translate(objects(policy), &TranslateOptions::default())
        .unwrap()
}

/// The xDS of the one Gateway, as comparable text.
fn xds(translation: &Translation) -> String {
    format!(
        "{:?}",
        translation.proxies[&GatewayKey::new("default", "gw")]
    )
}

fn accepted(translation: &Translation) -> (ConditionStatus, String, String) {
    let status = translation
        .status
        .get(ObjectKind::TrafficPolicy, "default", "p")
        .expect("policy status");
    let condition = status.ancestors[0]
        .conditions
        .iter()
        .find(|c| c.condition_type == "Accepted")
        .expect("Accepted");
    (
        condition.status,
        condition.reason.clone(),
        condition.message.clone(),
    )
}

const GOOD: &str = "{{ header(\":status\") }}";
const OTHER_GOOD: &str = "constant";
const BROKEN: &str = "{{ header(";

#[test]
fn an_invalid_update_keeps_the_last_good_version_serving() {
    let mut memory = LastGood::new();
    let good = run(&mut memory, Some((1, GOOD)));
    assert!(good.invalid.is_empty());
    assert_eq!(accepted(&good).0, ConditionStatus::True);

    let broken = run(&mut memory, Some((2, BROKEN)));
    assert_eq!(
        xds(&broken),
        xds(&good),
        "the good version's transformation keeps serving"
    );
    let (status, reason, message) = accepted(&broken);
    assert_eq!(
        (status, reason.as_str()),
        (ConditionStatus::False, "Invalid")
    );
    assert!(
        message.ends_with("the last valid version (generation 1) keeps serving"),
        "{message}"
    );
    assert!(
        broken
            .invalid
            .contains(&ObjectKey::new(ObjectKind::TrafficPolicy, "default", "p"))
    );

    // Fixing it serves the fix, and the fix becomes the version to fall back on.
    let fixed = run(&mut memory, Some((3, OTHER_GOOD)));
    assert_ne!(xds(&fixed), xds(&good));
    assert_eq!(accepted(&fixed).0, ConditionStatus::True);
    let broken_again = run(&mut memory, Some((4, BROKEN)));
    assert_eq!(xds(&broken_again), xds(&fixed));
    assert!(accepted(&broken_again).2.contains("generation 3"));
}

#[test]
fn a_policy_that_was_never_valid_is_left_out() {
    let mut memory = LastGood::new();
    let without = run(&mut memory, None);
    let broken = run(&mut memory, Some((1, BROKEN)));
    assert_eq!(xds(&broken), xds(&without));
    let (status, _, message) = accepted(&broken);
    assert_eq!(status, ConditionStatus::False);
    assert!(!message.contains("keeps serving"), "{message}");
}

#[test]
fn a_deleted_policy_is_forgotten() {
    let mut memory = LastGood::new();
    let good = run(&mut memory, Some((1, GOOD)));
    let without = run(&mut memory, None);
    assert_ne!(xds(&without), xds(&good));
    let recreated_broken = run(&mut memory, Some((1, BROKEN)));
    assert_eq!(
        xds(&recreated_broken),
        xds(&without),
        "a deleted policy is not resurrected by a broken re-creation"
    );
}
