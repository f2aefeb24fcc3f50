//! The render step: header rules, snapshot rule, pseudo headers, metadata.

use std::sync::atomic::{AtomicU8, Ordering};

use super::*;
use crate::{CompileOptions, MetadataValue, OwnedMessage, RandomSource};

/// Each token is 16 copies of a counter, so successive tokens differ predictably.
#[derive(Default)]
struct CountingRandom(AtomicU8);

impl RandomSource for CountingRandom {
    fn fill(&self, token: &mut [u8; 16]) {
        *token = [self.0.fetch_add(1, Ordering::Relaxed); 16];
    }
}

fn compile(json: &str) -> Arc<CompiledTransformation> {
    let options = CompileOptions::default()
        .with_env([("POD_NAME", "gw-7")])
        .with_random(Arc::new(CountingRandom::default()));
    CompiledTransformation::from_json(json, &options).unwrap()
}

/// Renders a request transform with `set` entries `x-out-N` for each template and returns the values
/// set (`None` for a header removed).
fn render_values(templates: &[&str], message: &OwnedMessage) -> Vec<Option<String>> {
    let set: Vec<serde_json::Value> = templates
        .iter()
        .enumerate()
        .map(|(i, t)| serde_json::json!({"name": format!("x-out-{i}"), "value": t}))
        .collect();
    let json =
        serde_json::json!({"request": {"set": set, "body": {"parseAs": "AsJson"}}}).to_string();
    let compiled = compile(&json);
    let mutations = compiled.render(Direction::Request, message).unwrap();
    mutations
        .headers
        .iter()
        .map(|mutation| match mutation {
            HeaderMutation::Set { value, .. } => Some(value.to_string()),
            HeaderMutation::Remove { .. } => None,
            HeaderMutation::Append { .. } => panic!("unexpected append"),
        })
        .collect()
}

fn one(template: &str, message: &OwnedMessage) -> Option<String> {
    render_values(&[template], message).pop().flatten()
}

fn request(headers: &[(&str, &str)]) -> OwnedMessage {
    OwnedMessage::with_headers(headers.iter().copied())
}

#[test]
fn set_add_remove_apply_in_order_with_lowercase_names() {
    let compiled = compile(
        r#"{"request": {"set": [{"name": "X-Set", "value": "s"}], "add": [{"name": "X-Add", "value": "a"}],
            "remove": ["X-Gone"]}}"#,
    );
    let mutations = compiled.render(Direction::Request, &request(&[])).unwrap();
    assert_eq!(
        mutations.headers,
        [
            HeaderMutation::Set {
                name: "x-set",
                value: "s".into()
            },
            HeaderMutation::Append {
                name: "x-add",
                value: "a".into()
            },
            HeaderMutation::Remove { name: "x-gone" },
        ]
    );
    assert!(mutations.clear_route_cache);
    assert!(mutations.failures.is_empty());
}

#[test]
fn empty_value_removes_a_set_header_and_skips_an_add() {
    let compiled = compile(
        r#"{"request": {"set": [{"name": "x-a", "value": ""}, {"name": "x-b"}, {"name": "x-c", "value": "{{ header(\"missing\") }}"}],
            "add": [{"name": "x-d", "value": ""}, {"name": "x-e", "value": "{{ header(\"missing\") }}"}]}}"#,
    );
    let mutations = compiled
        .render(Direction::Request, &request(&[("x-a", "1")]))
        .unwrap();
    assert_eq!(
        mutations.headers,
        [
            HeaderMutation::Remove { name: "x-a" },
            HeaderMutation::Remove { name: "x-b" },
            HeaderMutation::Remove { name: "x-c" },
        ]
    );
}

#[test]
fn every_template_sees_the_headers_before_the_transform() {
    let compiled = compile(
        r#"{"request": {"set": [{"name": "x-a", "value": "new"}, {"name": "x-b", "value": "was {{ header(\"x-a\") }}"}],
            "remove": ["x-c"], "add": [{"name": "x-d", "value": "{{ header(\"x-c\") }}"}]}}"#,
    );
    let mutations = compiled
        .render(
            Direction::Request,
            &request(&[("x-a", "old"), ("x-c", "kept")]),
        )
        .unwrap();
    assert_eq!(
        mutations.headers[1],
        HeaderMutation::Set {
            name: "x-b",
            value: "was old".into()
        }
    );
    assert_eq!(
        mutations.headers[2],
        HeaderMutation::Append {
            name: "x-d",
            value: "kept".into()
        }
    );
}

#[test]
fn header_and_request_header_read_the_request_case_insensitively() {
    let message = request(&[
        ("x-add-bar", "super"),
        (":path", "/p"),
        (":authority", "example.com"),
    ]);
    assert_eq!(
        one(r#"{{ header("X-ADD-BAR") }}"#, &message).as_deref(),
        Some("super")
    );
    assert_eq!(
        one(r#"{{ request_header("x-aDd-bar") }}"#, &message).as_deref(),
        Some("super")
    );
    assert_eq!(
        one(r#"{{ header(":path") }}"#, &message).as_deref(),
        Some("/p")
    );
    assert_eq!(
        one(r#"{{ header("host") }}"#, &message).as_deref(),
        Some("example.com")
    );
    assert_eq!(one(r#"{{ header("missing") }}"#, &message), None);
    let conditional = r#"{% if header("x-add-bar") == "super" %}yes{% else %}no{% endif %}"#;
    assert_eq!(one(conditional, &message).as_deref(), Some("yes"));
}

#[test]
fn pseudo_headers_are_set_validated_and_never_removed() {
    let compiled = compile(
        r#"{"request": {"set": [{"name": ":method", "value": "{% if header(\"foo\") == \"bar\" %}POST{% endif %}"},
            {"name": ":path", "value": "/new{{ header(\"x-suffix\") }}"}]},
            "response": {"set": [{"name": ":status", "value": "{{ header(\"x-code\") }}"}]}}"#,
    );
    let mutations = compiled
        .render(
            Direction::Request,
            &request(&[("foo", "bar"), ("x-suffix", "/a")]),
        )
        .unwrap();
    assert_eq!(
        mutations.headers,
        [
            HeaderMutation::Set {
                name: ":method",
                value: "POST".into()
            },
            HeaderMutation::Set {
                name: ":path",
                value: "/new/a".into()
            },
        ]
    );
    // `foo` absent: `:method` renders empty and is left alone instead of removed.
    let mutations = compiled.render(Direction::Request, &request(&[])).unwrap();
    assert_eq!(
        mutations.headers,
        [HeaderMutation::Set {
            name: ":path",
            value: "/new".into()
        }]
    );
    let status = |code: &str| {
        compiled
            .render(Direction::Response, &request(&[("x-code", code)]))
            .unwrap()
    };
    assert_eq!(
        status("201").headers,
        [HeaderMutation::Set {
            name: ":status",
            value: "201".into()
        }]
    );
    let refused = status("twenty");
    assert!(refused.headers.is_empty());
    assert_eq!(refused.failures[0].location, "response.set[0] (:status)");
    assert!(
        !refused.clear_route_cache,
        "responses never clear the route cache"
    );
}

#[test]
fn values_with_line_breaks_are_refused() {
    let message = request(&[("x-b64", "YQ0KYjogYw==")]); // "a\r\nb: c"
    let compiled = compile(
        r#"{"request": {"set": [{"name": "x-a", "value": "{{ base64_decode(header(\"x-b64\")) }}"}]}}"#,
    );
    let mutations = compiled.render(Direction::Request, &message).unwrap();
    assert_eq!(mutations.headers, [HeaderMutation::Remove { name: "x-a" }]);
    assert_eq!(mutations.failures.len(), 1);
}

#[test]
fn a_render_error_removes_the_header_and_is_reported() {
    let compiled = compile(
        r#"{"request": {"set": [{"name": "x-a", "value": "{{ header(\"n\") | int / 0 }}"}]}}"#,
    );
    let mutations = compiled
        .render(Direction::Request, &request(&[("n", "4")]))
        .unwrap();
    assert_eq!(mutations.headers, [HeaderMutation::Remove { name: "x-a" }]);
    assert_eq!(mutations.failures[0].location, "request.set[0] (x-a)");
}

#[test]
fn response_transforms_read_response_headers_and_the_original_request() {
    let compiled = compile(
        r#"{"response": {"set": [{"name": "x-status", "value": "{{ header(\":StaTus\") }}"},
            {"name": "x-req", "value": "{{ request_header(\"x-gateway-request\") }}"},
            {"name": "x-resp-only", "value": "{{ request_header(\"x-resp\") }}"}]}}"#,
    );
    let message = OwnedMessage::with_headers([(":status", "200"), ("x-resp", "r")])
        .request_headers([("x-gateway-request", "hello")]);
    let mutations = compiled.render(Direction::Response, &message).unwrap();
    assert_eq!(
        mutations.headers,
        [
            HeaderMutation::Set {
                name: "x-status",
                value: "200".into()
            },
            HeaderMutation::Set {
                name: "x-req",
                value: "hello".into()
            },
            HeaderMutation::Remove {
                name: "x-resp-only"
            },
        ]
    );
}

#[test]
fn a_direction_without_transform_renders_nothing() {
    let compiled = compile(r#"{"request": {"set": [{"name": "a", "value": "1"}]}}"#);
    assert!(
        compiled
            .render(Direction::Response, &request(&[]))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn dynamic_metadata_writes_skip_empty_renderings() {
    let compiled = compile(
        r#"{"request": {"dynamicMetadata": [
            {"namespace": "ns", "key": "user", "value": {"stringValue": "{{ header(\"x-user\") }}"}},
            {"namespace": "ns", "key": "none", "value": {"stringValue": "{{ header(\"absent\") }}"}}]}}"#,
    );
    let mutations = compiled
        .render(Direction::Request, &request(&[("x-user", "ann")]))
        .unwrap();
    assert_eq!(
        mutations.dynamic_metadata,
        [MetadataWrite {
            namespace: "ns",
            key: "user",
            value: "ann".into()
        }]
    );
    assert!(mutations.headers.is_empty());
    assert!(
        !mutations.clear_route_cache,
        "metadata alone does not change routing"
    );
}

mod body;
mod functions;
