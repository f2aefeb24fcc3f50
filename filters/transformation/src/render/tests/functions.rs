//! Template functions through whole renders.

use super::*;

#[test]
fn multi_valued_headers_are_joined() {
    let message = request(&[
        ("x-f", "1"),
        ("x-f", "2"),
        ("cookie", "a=1"),
        ("cookie", "b=2"),
    ]);
    assert_eq!(
        one(r#"{{ header("x-f") }}"#, &message).as_deref(),
        Some("1, 2")
    );
    assert_eq!(
        one(r#"{{ get_cookie("b") }}"#, &message).as_deref(),
        Some("2")
    );
}

#[test]
fn unicode_passes_through_functions() {
    let message = request(&[("x-name", "Zoë 日本")]);
    assert_eq!(
        one(r#"{{ header("x-name") }}"#, &message).as_deref(),
        Some("Zoë 日本")
    );
    assert_eq!(
        one(r#"{{ substring(header("x-name"), 2, 3) }}"#, &message).as_deref(),
        Some("ë 日")
    );
    assert_eq!(
        one(
            r#"{{ base64_decode(base64_encode(header("x-name"))) }}"#,
            &message
        )
        .as_deref(),
        Some("Zoë 日本")
    );
    assert_eq!(
        one(r#"{{ word_count(header("x-name")) }}"#, &message).as_deref(),
        Some("2")
    );
}

#[test]
fn kgateway_custom_functions_render_as_kgateway_does() {
    let message = request(&[("x-nested-call", "my name is andy"), ("x-b64", "YmFzZTY0")]);
    let cases = [
        (
            r#"{{ base64_encode("base64 encode in request header") }}"#,
            Some("YmFzZTY0IGVuY29kZSBpbiByZXF1ZXN0IGhlYWRlcg=="),
        ),
        (r#"{{ base64_decode(header("x-b64")) }}"#, Some("base64")),
        (r#"{{ base64_decode("invalid!") }}"#, None),
        (r#"{{ base64_decode("invalid!") }}foobar"#, Some("foobar")),
        (r#"{{ substring("request", 0) }}"#, Some("request")),
        (r#"{{ substring("request", 0, 3) }}"#, Some("req")),
        (r#"{{ substring("request", 10) }}"#, None),
        (r#"{{ substring("request", 0, -5) }}"#, Some("request")),
        (r#"{{ env("POD_NAME") }}"#, Some("gw-7")),
        (r#"{{ env("NOT_SET") }}"#, None),
        (r#"{{ trim("  padded  ") }}"#, Some("padded")),
        (
            r#"{{ replace_with_string("a-b-c", "-", "+") }}"#,
            Some("a+b+c"),
        ),
        (r#"{{ raw_string("a \"q\"") }}"#, Some(r#"a \"q\""#)),
        (r#"{{ word_count("one two  three") }}"#, Some("3")),
        (r#"{{ base64url_encode("??>") }}"#, Some("Pz8-")),
        (r#"{{ base64url_decode("Pz8-") }}"#, Some("??>")),
    ];
    let templates: Vec<&str> = cases.iter().map(|(template, _)| *template).collect();
    let values = render_values(&templates, &message);
    for ((template, expected), value) in cases.iter().zip(values) {
        assert_eq!(value.as_deref(), *expected, "{template}");
    }
}

#[test]
fn replace_with_random_is_stable_per_pattern_within_a_message_and_fresh_per_message() {
    let compiled = compile(
        r#"{"request": {"set": [
            {"name": "a", "value": "{{ replace_with_random(\"to be or not to be\", \"to\") }}"},
            {"name": "b", "value": "{{ replace_with_random(\"to\", \"to\") }}|{{ replace_with_random(\"be\", \"be\") }}"}]}}"#,
    );
    let values = |mutations: &Mutations<'_>| -> Vec<String> {
        mutations
            .headers
            .iter()
            .map(|m| match m {
                HeaderMutation::Set { value, .. } => value.to_string(),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    let first = values(&compiled.render(Direction::Request, &request(&[])).unwrap());
    let token = first[1].split('|').next().unwrap().to_owned();
    assert_eq!(token.len(), 22);
    assert_eq!(first[0], format!("{token} be or not {token} be"));
    let other = first[1].split('|').nth(1).unwrap();
    assert_ne!(other, token, "a different pattern gets its own token");
    let second = values(&compiled.render(Direction::Request, &request(&[])).unwrap());
    assert_ne!(second[0], first[0], "a new message gets new tokens");
}

#[test]
fn cookies_are_read_from_the_request() {
    let message = request(&[("cookie", "Session=abc; theme=\"dark\"")]);
    assert_eq!(
        one(r#"{{ get_cookie("Session") }}"#, &message).as_deref(),
        Some("abc")
    );
    assert_eq!(one(r#"{{ get_cookie("session") }}"#, &message), None);
    assert_eq!(
        one(r#"{{ get_cookie_i("SESSION") }}"#, &message).as_deref(),
        Some("abc")
    );
    assert_eq!(
        one(r#"{{ get_cookie("theme") }}"#, &message).as_deref(),
        Some("dark")
    );
}

#[test]
fn dynamic_metadata_is_read_from_prefetched_keys() {
    let message = request(&[])
        .metadata("envoy.lb", "zone", MetadataValue::String("eu-1".into()))
        .metadata(
            crate::DEFAULT_METADATA_NAMESPACE,
            "n",
            MetadataValue::Number(3.0),
        )
        .metadata("f", "flag", MetadataValue::Bool(true));
    assert_eq!(
        one(r#"{{ dynamic_metadata("zone", "envoy.lb") }}"#, &message).as_deref(),
        Some("eu-1")
    );
    assert_eq!(
        one(r#"{{ dynamic_metadata("n") }}"#, &message).as_deref(),
        Some("3")
    );
    assert_eq!(
        one(r#"{{ dynamic_metadata("flag", "f") }}"#, &message).as_deref(),
        Some("true")
    );
    assert_eq!(
        one(r#"{{ dynamic_metadata("missing", "f") }}"#, &message),
        None
    );
}

#[test]
fn compound_values_print_as_json() {
    let message = request(&[("x", "a")]);
    let template = r#"{{ header("x") == "a" }}|{{ 1.5 }}|{{ [1, "a"] }}|{{ {"k": none} }}|{{ none }}|{{ x_undefined_is_json_var }}"#;
    let json = serde_json::json!({"request": {"set": [{"name": "o", "value": template}], "body": {"parseAs": "AsJson"}}});
    let compiled = compile(&json.to_string());
    let mutations = compiled
        .render(Direction::Request, &message.body("{}"))
        .unwrap();
    assert_eq!(
        mutations.headers,
        [HeaderMutation::Set {
            name: "o",
            value: r#"true|1.5|[1,"a"]|{"k":null}|null|"#.into()
        }]
    );
}
