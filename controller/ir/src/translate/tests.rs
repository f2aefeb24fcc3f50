//! Attachment and route precedence, end to end through `translate`.

use std::path::Path;

use dynagate_api::ObjectKind;
use dynagate_api::manifest::parse_manifests;

use crate::{GatewayKey, Resources, Translation, translate};

const GATEWAY: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: c}\nspec: {controllerName: dynagate.dev/gateway-controller}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec:\n  gatewayClassName: c\n  listeners:\n  - {name: any, port: 8080, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}\n  - {name: owned, port: 8080, protocol: HTTP, hostname: owned.example.com}\n  - {name: picky, port: 9090, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector, selector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [team-a]}]}}}}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: default}\nspec: {ports: [{port: 80}]}\n";

fn run(extra: &str) -> Translation {
    let text = format!("{GATEWAY}---\n{extra}");
    let parsed = parse_manifests(Path::new("t.yaml"), &text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    translate(&Resources::new(parsed.objects).unwrap())
}

fn route(name: &str, namespace: &str, spec: &str) -> String {
    format!(
        "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: {name}, namespace: {namespace}}}\nspec:\n{spec}\n"
    )
}

/// Route names in the given virtual host of the port's route configuration, in Envoy order.
fn order(t: &Translation, route_config: &str, vhost: &str) -> Vec<String> {
    let proxy = &t.proxies[&GatewayKey::new("default", "gw")];
    let rc = proxy
        .route_configs
        .iter()
        .find(|r| r.name == route_config)
        .expect("route config");
    let vh = rc
        .virtual_hosts
        .iter()
        .find(|v| v.name == format!("{route_config}~{vhost}"))
        .expect("vhost");
    vh.routes.iter().map(|r| r.name.clone()).collect()
}

fn accepted_reason(t: &Translation, namespace: &str, name: &str) -> Vec<String> {
    let status = t
        .status
        .get(ObjectKind::HttpRoute, namespace, name)
        .expect("route status");
    status
        .parents
        .iter()
        .map(|p| p.conditions[0].reason.clone())
        .collect()
}

#[test]
fn precedence_is_exact_then_longest_prefix_then_method_headers_query_then_age() {
    let backend = "    backendRefs: [{name: s, namespace: default, port: 80}]";
    let routes = [
        route("young", "default", &format!("  parentRefs: [{{name: gw, sectionName: any}}]\n  rules:\n  - matches: [{{path: {{type: PathPrefix, value: /a}}}}]\n{backend}")),
        route("old", "default", &format!("  parentRefs: [{{name: gw, sectionName: any}}]\n  rules:\n  - matches: [{{path: {{type: PathPrefix, value: /a}}}}]\n{backend}"))
            .replace("name: old,", "name: old, creationTimestamp: \"2020-01-01T00:00:00Z\","),
        route(
            "many",
            "default",
            &format!(
                "  parentRefs: [{{name: gw, sectionName: any}}]\n  rules:\n  - matches:\n    - path: {{type: PathPrefix, value: /a}}\n      queryParams: [{{name: q, value: '1'}}]\n    - path: {{type: PathPrefix, value: /a}}\n      headers: [{{name: h, value: '1'}}]\n    - path: {{type: PathPrefix, value: /a}}\n      method: GET\n    - path: {{type: PathPrefix, value: /a/b}}\n    - path: {{type: Exact, value: /a}}\n{backend}"
            ),
        ),
    ]
    .concat();
    let t = run(&routes);
    assert_eq!(
        order(&t, "listener~8080", "*"),
        [
            "httproute/default/many/rule/0/match/4", // exact
            "httproute/default/many/rule/0/match/3", // longer prefix
            "httproute/default/many/rule/0/match/2", // method
            "httproute/default/many/rule/0/match/1", // header
            "httproute/default/many/rule/0/match/0", // query
            "httproute/default/old/rule/0/match/0",  // older route first
            "httproute/default/young/rule/0/match/0",
        ]
    );
}

#[test]
fn a_listener_hostname_owns_its_requests_and_wildcard_routes_compete_by_match_precedence() {
    let backend = "    backendRefs: [{name: s, namespace: default, port: 80}]";
    let routes = [
        route("exact", "default", &format!("  parentRefs: [{{name: gw, sectionName: any}}]\n  hostnames: [shop.example.com]\n  rules:\n  - matches: [{{path: {{type: PathPrefix, value: /cart}}}}]\n{backend}")),
        // Named to sort before `exact`: only hostname specificity puts `exact` first on a tie.
        route("a-wild", "default", &format!("  parentRefs: [{{name: gw, sectionName: any}}]\n  hostnames: ['*.example.com']\n  rules:\n  - matches: [{{path: {{type: PathPrefix, value: /cart/items}}}}]\n{backend}\n  - matches: [{{path: {{type: PathPrefix, value: /cart}}}}]\n{backend}")),
        // Hostname owned by the `owned` listener: routes of `any` must not serve it.
        route("stray", "default", "  parentRefs: [{name: gw, sectionName: any}]\n  hostnames: [owned.example.com]\n  rules:\n  - backendRefs: [{name: s, namespace: default, port: 80}]"),
        route("owner", "default", "  parentRefs: [{name: gw, sectionName: owned}]\n  rules:\n  - backendRefs: [{name: s, namespace: default, port: 80}]"),
    ]
    .concat();
    let t = run(&routes);
    // The longer path wins whatever its hostname (conformance: HTTPRouteMatchingAcrossRoutes); on equal
    // matches the more specific hostname wins before route age and name.
    assert_eq!(
        order(&t, "listener~8080", "shop.example.com"),
        [
            "httproute/default/a-wild/rule/0/match/0",
            "httproute/default/exact/rule/0/match/0",
            "httproute/default/a-wild/rule/1/match/0"
        ]
    );
    assert_eq!(
        order(&t, "listener~8080", "owned.example.com"),
        ["httproute/default/owner/rule/0/match/0"]
    );
}

#[test]
fn allowed_routes_selector_matches_the_implicit_namespace_name_label() {
    let routes = [
        route("a", "team-a", "  parentRefs: [{name: gw, namespace: default, sectionName: picky}]\n  rules:\n  - backendRefs: [{name: s, namespace: default, port: 80}]"),
        route("b", "team-b", "  parentRefs: [{name: gw, namespace: default, sectionName: picky}]\n  rules:\n  - backendRefs: [{name: s, namespace: default, port: 80}]"),
        route("c", "team-b", "  parentRefs: [{name: gw, namespace: default, sectionName: nope}]\n  rules:\n  - backendRefs: [{name: s, namespace: default, port: 80}]"),
    ]
    .concat();
    let t = run(&routes);
    assert_eq!(accepted_reason(&t, "team-a", "a"), ["Accepted"]);
    assert_eq!(
        accepted_reason(&t, "team-b", "b"),
        ["NotAllowedByListeners"]
    );
    assert_eq!(accepted_reason(&t, "team-b", "c"), ["NoMatchingParent"]);
    let listeners = &t
        .status
        .get(ObjectKind::Gateway, "default", "gw")
        .unwrap()
        .listeners;
    let picky = listeners.iter().find(|l| l.name == "picky").unwrap();
    assert_eq!(picky.attached_routes, 1);
}

#[test]
fn invalid_regex_rejects_the_route_instead_of_producing_a_nack() {
    let t = run(&route(
        "bad",
        "default",
        "  parentRefs: [{name: gw, sectionName: any}]\n  rules:\n  - matches: [{path: {type: RegularExpression, value: '/(unclosed'}}]\n    backendRefs: [{name: s, port: 80}]",
    ));
    assert_eq!(accepted_reason(&t, "default", "bad"), ["UnsupportedValue"]);
    let proxy = &t.proxies[&GatewayKey::new("default", "gw")];
    assert!(
        proxy
            .route_configs
            .iter()
            .all(|rc| rc.virtual_hosts.is_empty()),
        "nothing from a rejected route is served"
    );
}

#[test]
fn status_problems_list_failed_conditions_only() {
    let t = run(&route(
        "r",
        "default",
        "  parentRefs: [{name: gw, sectionName: any}]\n  rules:\n  - backendRefs: [{name: missing, port: 80}]",
    ));
    let problems = t.status.problems();
    assert_eq!(
        problems,
        [
            "HTTPRoute default/r parent default/gw: ResolvedRefs=False BackendNotFound: Service default/missing not found"
        ]
    );
}
