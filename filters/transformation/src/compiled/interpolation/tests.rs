//! The interpolation fast path: what it accepts, and that it renders exactly what MiniJinja does.

use std::sync::{Arc, Mutex};

use minijinja::Value;

use super::*;
use crate::compiled::Template;
use crate::{CompileOptions, CompiledTransformation, Direction, HeaderSnapshot, MetadataValue};

fn parse_(source: &str) -> Option<Box<[Segment]>> {
    parse(
        source,
        &HashMap::from([("POD".to_owned(), "gw-1".to_owned())]),
    )
}

#[test]
fn env_calls_become_text() {
    let segments = parse_(r#"{{ env("POD") }}:{{ env('UNSET') }}{{ header("a") }}"#).unwrap();
    assert_eq!(
        &*segments,
        [
            Segment::Text("gw-1".into()),
            Segment::Text(":".into()),
            Segment::Text("".into()),
            Segment::Lookup(Lookup::Header("a".into())),
        ]
    );
}

#[test]
fn recognises_text_around_literal_lookups() {
    let segments = parse_(r#"Bearer {{ header("x-token") }}/{{request_header('a')}}{{ dynamic_metadata("k", "ns") }}"#).unwrap();
    assert_eq!(
        &*segments,
        [
            Segment::Text("Bearer ".into()),
            Segment::Lookup(Lookup::Header("x-token".into())),
            Segment::Text("/".into()),
            Segment::Lookup(Lookup::RequestHeader("a".into())),
            Segment::Lookup(Lookup::Metadata {
                namespace: "ns".into(),
                key: "k".into()
            }),
        ]
    );
    let segments = parse_(r#"{{ get_cookie_i( "S" ) }}{{ dynamic_metadata('k') }}"#).unwrap();
    assert_eq!(
        &*segments,
        [
            Segment::Lookup(Lookup::CookieIgnoreCase("S".into())),
            Segment::Lookup(Lookup::Metadata {
                namespace: DEFAULT_METADATA_NAMESPACE.into(),
                key: "k".into()
            }),
        ]
    );
}

#[test]
fn leaves_everything_else_to_minijinja() {
    for source in [
        r#"{{ header("a") | upper }}"#,
        r#"{{- header("a") }}"#,
        r#"{{ header("a") -}}"#,
        r#"{{ header("a\"b") }}"#,
        r#"{{ header("a", "b") }}"#,
        r#"{{ header(x) }}"#,
        r#"{{ body() }}"#,
        r#"{{ env("A", "b") }}{{ header("a") }}"#,
        r#"{% if true %}{{ header("a") }}{% endif %}"#,
        r#"{# note #}{{ header("a") }}"#,
        "{{ header(\"a\") }}\n",
        r#"{{ header("a") }"#,
        r#"{{ header("a"#,
    ] {
        assert_eq!(parse_(source), None, "{source}");
    }
}

/// Every fast-path template renders exactly what MiniJinja renders for the same scope.
#[test]
fn the_fast_path_matches_minijinja() {
    let templates = [
        r#"{{ header("x-user") }}"#,
        r#"id={{ header("X-USER") }};{{ header("missing") }}|{{ header("x-multi") }}"#,
        r#"{{ header("host") }} }} {{ request_header(":path") }}"#,
        r#"{{ get_cookie("Session") }}/{{ get_cookie_i("session") }}/{{ get_cookie("nope") }}"#,
        r#"{{ dynamic_metadata("zone", "envoy.lb") }}-{{ dynamic_metadata("n") }}-{{ dynamic_metadata("x", "y") }}"#,
        r#"ünïcödé {{ header("x-uni") }} 🐢"#,
        r#"{{ env("POD") }}@{{ header(":path") }}{{ env("UNSET") }}"#,
        r#"{{ header("}}") }}"#,
    ];
    let set: Vec<serde_json::Value> = templates
        .iter()
        .enumerate()
        .map(|(i, t)| serde_json::json!({"name": format!("h{i}"), "value": t}))
        .collect();
    let json = serde_json::json!({"request": {"set": set}}).to_string();
    let options = CompileOptions::default().with_env([("POD", "gw-1")]);
    let compiled = CompiledTransformation::from_json(&json, &options).unwrap();
    let headers = Arc::new(HeaderSnapshot::capture(
        [
            ("x-user", "ann"),
            ("x-multi", "1"),
            ("x-multi", "2"),
            (":path", "/p?q"),
            (":authority", "example.com"),
            ("cookie", "Session=s1; b=2"),
            ("x-uni", "żółw"),
            ("}}", "braces"),
        ]
        .map(|(n, v)| (n.as_bytes(), v.as_bytes())),
    ));
    let scope = Arc::new(RenderScope {
        headers: Some(Arc::clone(&headers)),
        request_headers: Some(headers),
        body: None,
        json: None,
        metadata: vec![
            (
                "envoy.lb".into(),
                "zone".into(),
                Some(MetadataValue::String("eu".into())),
            ),
            (
                DEFAULT_METADATA_NAMESPACE.into(),
                "n".into(),
                Some(MetadataValue::Number(2.5)),
            ),
            ("y".into(), "x".into(), None),
        ],
        globals: Arc::clone(&compiled.globals),
        random: Arc::clone(&compiled.random),
        tokens: Mutex::new(Vec::new()),
    });
    let root = Value::from_dyn_object(Arc::clone(&scope));
    for (rule, source) in compiled
        .plan(Direction::Request)
        .unwrap()
        .headers
        .iter()
        .zip(templates)
    {
        let Template::Dynamic {
            name,
            fast: Some(segments),
            ..
        } = &rule.value
        else {
            panic!("{source} should take the fast path: {:?}", rule.value)
        };
        let expected = compiled
            .env
            .get_template(name)
            .unwrap()
            .render(root.clone())
            .unwrap();
        assert_eq!(render(segments, &scope), expected, "{source}");
        assert!(!expected.is_empty(), "{source}");
    }
}
