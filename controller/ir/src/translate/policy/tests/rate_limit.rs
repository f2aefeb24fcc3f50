//! `rateLimit.local` -> the module's `rate_limit` per-route config: attachment ids, exemptions, validation.

use dynagate_config::rate_limit::{RateLimitFilterConfig, XRateLimitHeaders};
use envoy_types::pb::envoy::config::route::v3::FilterConfig;
use envoy_types::pb::envoy::extensions::filters::http::dynamic_modules::v3::DynamicModuleFilterPerRoute;
use envoy_types::pb::google::protobuf::{Any, StringValue};
use prost::Message;

use super::{ROUTE, index, key, policy};
use crate::translate::policy::{PolicyField, merge};

/// The filter config inside a per-route `Any`, checked to enable the listener's disabled filter.
fn decode(config: &Any) -> RateLimitFilterConfig {
    let wrapper = FilterConfig::decode(config.value.as_slice()).unwrap();
    assert!(!wrapper.disabled, "the wrapper must enable the filter");
    let per_route =
        DynamicModuleFilterPerRoute::decode(wrapper.config.unwrap().value.as_slice()).unwrap();
    assert_eq!(per_route.filter_name, "rate_limit");
    assert_eq!(
        per_route.dynamic_module_config.unwrap().name,
        crate::translate::DYNAMIC_MODULE_NAME
    );
    let json = StringValue::decode(per_route.filter_config.unwrap().value.as_slice())
        .unwrap()
        .value;
    // What the filter itself will parse, with its own validation.
    RateLimitFilterConfig::from_json(&json).unwrap()
}

fn rate_limit_at(manifests: &str, point: &str) -> RateLimitFilterConfig {
    let index = index(manifests);
    let route = index.route.get(&key("r")).cloned().unwrap_or_default();
    let winners = merge(&index, [(route.as_slice(), point)]);
    decode(&winners[&PolicyField::RateLimitLocal].1)
}

#[test]
fn the_attachment_names_the_policy_and_the_point_it_attaches_at() {
    let limit = "  rateLimit: {local: {tokenBucket: {maxTokens: 3, tokensPerFill: 2, fillInterval: 1500ms}, percentEnforced: 40}}";
    let manifests = format!("{ROUTE}{}", policy("p", None, None, limit));
    let at_route = rate_limit_at(&manifests, "HTTPRoute/default/r");
    assert_eq!(
        at_route.attachment,
        "TrafficPolicy/default/p@HTTPRoute/default/r"
    );
    let bucket = at_route.local.token_bucket.as_ref().unwrap();
    assert_eq!(
        (
            bucket.max_tokens,
            bucket.tokens_per_fill(),
            bucket.fill_interval.duration()
        ),
        (3, 2, std::time::Duration::from_millis(1500))
    );
    assert_eq!(at_route.local.percent_enforced(), 40);
    assert_eq!(
        at_route.x_rate_limit_headers,
        XRateLimitHeaders::DraftVersion03
    );

    // Same policy, another point: another bucket; same point again: the same id (stable across pushes).
    let at_gateway = rate_limit_at(&manifests, "Gateway/default/gw");
    assert_eq!(
        at_gateway.attachment,
        "TrafficPolicy/default/p@Gateway/default/gw"
    );
    assert_eq!(at_gateway.local, at_route.local);
    assert_eq!(rate_limit_at(&manifests, "HTTPRoute/default/r"), at_route);
}

#[test]
fn an_empty_local_policy_is_sent_as_an_exemption() {
    let manifests = format!(
        "{ROUTE}{}",
        policy("exempt", None, None, "  rateLimit: {local: {}}")
    );
    let config = rate_limit_at(&manifests, "HTTPRoute/default/r");
    assert!(config.local.is_disabled(), "{config:?}");
    assert_eq!(
        config.attachment,
        "TrafficPolicy/default/exempt@HTTPRoute/default/r"
    );
}

#[test]
fn descriptors_are_translated_and_invalid_limits_make_the_policy_invalid() {
    let descriptors = "  rateLimit: {local: {tokenBucket: {maxTokens: 5, fillInterval: 1s}, descriptors: [{entries: [{type: Header, header: X-User}], tokenBucket: {maxTokens: 1, fillInterval: 1s}}]}}";
    let manifests = format!("{ROUTE}{}", policy("keyed", None, None, descriptors));
    let config = rate_limit_at(&manifests, "HTTPRoute/default/r");
    assert_eq!(config.local.descriptors.len(), 1);
    assert!(index(&manifests).policies[&key("keyed")].invalid.is_empty());

    for (spec, message) in [
        (
            "{tokenBucket: {maxTokens: 0, fillInterval: 1s}}",
            "maxTokens",
        ),
        ("{tokenBucket: {maxTokens: 1, fillInterval: 10ms}}", "50ms"),
        (
            "{tokenBucket: {maxTokens: 1, fillInterval: soon}}",
            "fillInterval",
        ),
        (
            "{tokenBucket: {maxTokens: 1, fillInterval: 1s}, percentEnabled: 101}",
            "percentEnabled",
        ),
        (
            "{tokenBucket: {maxTokens: 1, fillInterval: 1s}, descriptors: [{entries: [], tokenBucket: {maxTokens: 1, fillInterval: 1s}}]}",
            "entr",
        ),
    ] {
        let manifests = format!(
            "{ROUTE}{}",
            policy(
                "bad",
                None,
                None,
                &format!("  rateLimit: {{local: {spec}}}")
            )
        );
        let index = index(&manifests);
        let compiled = &index.policies[&key("bad")];
        assert!(compiled.rate_limit.is_none(), "{spec} was accepted");
        assert!(compiled.translates_nothing());
        assert!(
            compiled
                .invalid
                .iter()
                .any(|e| e.starts_with("rateLimit.local: ") && e.contains(message)),
            "{spec}: {:?}",
            compiled.invalid
        );
    }
}

/// Every `rate_limit` attachment id in one Gateway's xDS, by where it sits (`rc`, `vhost`, `route`).
fn attachments_in(manifests: &str) -> Vec<(String, String)> {
    let parsed = dynagate_api::manifest::parse_manifests(std::path::Path::new("t.yaml"), manifests);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let translation = crate::translate(&crate::Resources::new(parsed.objects).unwrap());
    let proxy = &translation.proxies[&crate::GatewayKey::new("default", "gw")];
    let filter = crate::RATE_LIMIT_HTTP_FILTER_NAME;
    let mut out = Vec::new();
    for rc in &proxy.route_configs {
        if let Some(config) = rc.typed_per_filter_config.get(filter) {
            out.push((rc.name.clone(), decode(config).attachment));
        }
        for vhost in &rc.virtual_hosts {
            for route in &vhost.routes {
                if let Some(config) = route.typed_per_filter_config.get(filter) {
                    out.push((route.name.clone(), decode(config).attachment));
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_gateway_policy_is_one_bucket_for_every_route_and_a_route_policy_its_own() {
    let gateway = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: c}\nspec: {controllerName: dynagate.dev/gateway-controller}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: default}\nspec:\n  gatewayClassName: c\n  listeners:\n  - {name: a, port: 8080, protocol: HTTP}\n  - {name: b, port: 9090, protocol: HTTP}\n";
    let route = |name: &str| {
        format!(
            "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: {name}, namespace: default}}\nspec:\n  parentRefs: [{{name: gw}}]\n  rules:\n  - matches: [{{path: {{type: PathPrefix, value: /{name}}}}}]\n"
        )
    };
    let limit = |name: &str, kind: &str, target: &str, local: &str| {
        format!(
            "---\napiVersion: gateway.kgateway.dev/v1alpha1\nkind: TrafficPolicy\nmetadata: {{name: {name}, namespace: default}}\nspec:\n  targetRefs: [{{group: gateway.networking.k8s.io, kind: {kind}, name: {target}}}]\n  rateLimit: {{local: {local}}}\n"
        )
    };
    let bucket = "{tokenBucket: {maxTokens: 2, fillInterval: 1m}}";
    let manifests = [
        gateway.to_owned(),
        route("one"),
        route("two"),
        route("own"),
        route("free"),
        limit("edge", "Gateway", "gw", bucket),
        limit("mine", "HTTPRoute", "own", bucket),
        limit("exempt", "HTTPRoute", "free", "{}"),
        // Rule level: only the named rule of `ruled` gets this bucket; its other rule keeps the Gateway's.
        route("ruled").replace("  - matches", "  - name: hot\n    matches")
            + "  - matches: [{path: {type: PathPrefix, value: /cold}}]\n",
        limit("hot", "HTTPRoute", "ruled", bucket)
            .replace("name: ruled}", "name: ruled, sectionName: hot}"),
    ]
    .concat();
    let gateway_id = "TrafficPolicy/default/edge@Gateway/default/gw";
    let free = "TrafficPolicy/default/exempt@HTTPRoute/default/free";
    let own = "TrafficPolicy/default/mine@HTTPRoute/default/own";
    let hot = "TrafficPolicy/default/hot@HTTPRoute/default/ruled/rule/hot";
    // Each route is served on both ports (two route configurations); the Gateway's policy sits on
    // each route configuration, with one id.
    let expected: Vec<(String, String)> = [
        ("httproute/default/free/rule/0/match/0", free),
        ("httproute/default/free/rule/0/match/0", free),
        ("httproute/default/own/rule/0/match/0", own),
        ("httproute/default/own/rule/0/match/0", own),
        ("httproute/default/ruled/rule/0/match/0", hot),
        ("httproute/default/ruled/rule/0/match/0", hot),
        ("listener~8080", gateway_id),
        ("listener~9090", gateway_id),
    ]
    .into_iter()
    .map(|(at, id)| (at.to_owned(), id.to_owned()))
    .collect();
    assert_eq!(attachments_in(&manifests), expected);
}
