//! Body rules: buffering reads, replacement framing, JSON parsing and its 400s.

use super::*;

fn body_of(mutations: &Mutations<'_>) -> String {
    mutations.body.clone().unwrap()
}

fn header_value<'m>(mutations: &'m Mutations<'_>, name: &str) -> Option<&'m str> {
    mutations
        .headers
        .iter()
        .find_map(|mutation| match mutation {
            HeaderMutation::Set { name: n, value } if *n == name => Some(&**value),
            _ => None,
        })
}

#[test]
fn replacing_the_body_fixes_the_framing_headers() {
    let compiled = compile(r#"{"request": {"body": {"value": "hello {{ header(\"x-who\") }}"}}}"#);
    let message = request(&[("x-who", "zoë"), ("transfer-encoding", "chunked")]).body("original");
    let mutations = compiled.render(Direction::Request, &message).unwrap();
    assert_eq!(body_of(&mutations), "hello zoë");
    assert_eq!(
        mutations.headers,
        [
            HeaderMutation::Set {
                name: "content-length",
                value: "10".into()
            },
            HeaderMutation::Remove {
                name: "transfer-encoding"
            },
        ]
    );
}

#[test]
fn an_empty_rendered_body_has_length_zero_and_no_content_type() {
    let compiled = compile(r#"{"response": {"body": {"value": "{{ header(\"absent\") }}"}}}"#);
    let mutations = compiled
        .render(Direction::Response, &request(&[]).body("x"))
        .unwrap();
    assert_eq!(body_of(&mutations), "");
    assert_eq!(header_value(&mutations, "content-length"), Some("0"));
    assert!(mutations.headers.contains(&HeaderMutation::Remove {
        name: "content-type"
    }));
}

#[test]
fn user_headers_apply_after_the_body_bookkeeping() {
    let compiled = compile(
        r#"{"response": {"body": {"value": "{}"}, "set": [{"name": "content-type", "value": "application/json"}]}}"#,
    );
    let mutations = compiled
        .render(Direction::Response, &request(&[]).body("x"))
        .unwrap();
    assert_eq!(
        mutations.headers.last(),
        Some(&HeaderMutation::Set {
            name: "content-type",
            value: "application/json".into()
        })
    );
}

#[test]
fn body_reads_the_buffered_body_as_a_string() {
    let compiled = compile(
        r#"{"request": {"set": [{"name": "x-body", "value": "[{{ body() }}]"}], "body": {}}}"#,
    );
    let render = |message: &OwnedMessage| compiled.render(Direction::Request, message).unwrap();
    assert_eq!(
        header_value(&render(&request(&[]).body("héllo")), "x-body"),
        Some("[héllo]")
    );
    assert_eq!(
        header_value(&render(&request(&[]).body("")), "x-body"),
        Some("[]")
    );
    assert_eq!(
        header_value(&render(&request(&[])), "x-body"),
        Some("[]"),
        "no body at all"
    );
    assert_eq!(
        header_value(&render(&request(&[]).body(b"a\xffb".to_vec())), "x-body"),
        Some("[a\u{fffd}b]")
    );
}

#[test]
fn without_parsing_body_and_context_read_empty() {
    for json in [
        r#"{"request": {"set": [{"name": "x", "value": "<{{ body() }}{{ context() }}>"}], "body": {"parseAs": "None"}}}"#,
        r#"{"request": {"set": [{"name": "x", "value": "<{{ body() }}{{ context() }}>"}]}}"#,
    ] {
        let compiled = compile(json);
        let mutations = compiled
            .render(Direction::Request, &request(&[]).body("{\"a\": 1}"))
            .unwrap();
        assert_eq!(header_value(&mutations, "x"), Some("<>"), "{json}");
    }
}

#[test]
fn parse_as_none_ignores_the_body_value() {
    let compiled = compile(
        r#"{"request": {"body": {"parseAs": "None", "value": "replaced"}, "set": [{"name": "a", "value": "1"}]}}"#,
    );
    let mutations = compiled
        .render(Direction::Request, &request(&[]).body("kept"))
        .unwrap();
    assert_eq!(mutations.body, None);
}

#[test]
fn as_json_exposes_top_level_keys_as_variables() {
    let compiled = compile(
        r#"{"request": {"set": [{"name": "x-transformed", "value": "level_{{ mykey.myinnerkey }}"},
            {"name": "x-item", "value": "{{ list[1] }}"}], "body": {"parseAs": "AsJson"}}}"#,
    );
    let message =
        request(&[]).body(r#"{"mykey": {"myinnerkey": "myinnervalue"}, "list": ["a", "ü"]}"#);
    let mutations = compiled.render(Direction::Request, &message).unwrap();
    assert_eq!(
        header_value(&mutations, "x-transformed"),
        Some("level_myinnervalue")
    );
    assert_eq!(header_value(&mutations, "x-item"), Some("ü"));
}

#[test]
fn context_exposes_json_arrays() {
    let compiled = compile(
        r#"{"request": {"body": {"parseAs": "AsJson", "value": "{% for i in context() %}{{ i }}{% endfor %}-{{ header(\":path\") }}"}}}"#,
    );
    let mutations = compiled
        .render(
            Direction::Request,
            &request(&[(":path", "/anything")]).body("[3,2,1]"),
        )
        .unwrap();
    assert_eq!(body_of(&mutations), "321-/anything");
}

#[test]
fn a_json_body_key_never_hides_a_function() {
    let compiled = compile(
        r#"{"request": {"set": [{"name": "a", "value": "{{ env(\"POD_NAME\") }}/{{ context()[\"env\"] }}"}], "body": {"parseAs": "AsJson"}}}"#,
    );
    let mutations = compiled
        .render(
            Direction::Request,
            &request(&[]).body(r#"{"env": "from-body"}"#),
        )
        .unwrap();
    assert_eq!(header_value(&mutations, "a"), Some("gw-7/from-body"));
}

#[test]
fn missing_json_keys_render_empty() {
    let compiled = compile(
        r#"{"request": {"set": [{"name": "a", "value": "{{ absent }}"}], "body": {"parseAs": "AsJson"}}}"#,
    );
    let mutations = compiled
        .render(Direction::Request, &request(&[]).body(r#"{"present": 1}"#))
        .unwrap();
    assert_eq!(mutations.headers, [HeaderMutation::Remove { name: "a" }]);
}

#[test]
fn invalid_json_under_as_json_is_a_400() {
    let compiled =
        compile(r#"{"request": {"body": {"parseAs": "AsJson", "value": "{{ context() }}"}}}"#);
    let reply = compiled
        .render(Direction::Request, &request(&[]).body("hello"))
        .unwrap_err();
    assert_eq!(reply.status, 400);
    assert!(reply.reason.contains("not valid JSON"), "{reply}");
}

#[test]
fn json_variables_need_a_json_body() {
    let compiled = compile(
        r#"{"request": {"set": [{"name": "a", "value": "{{ mykey }}"}], "body": {"parseAs": "AsJson"}}}"#,
    );
    for body in [None, Some(""), Some("null")] {
        let mut message = request(&[]);
        message.body = body.map(|b| b.as_bytes().to_vec());
        let reply = compiled.render(Direction::Request, &message).unwrap_err();
        assert_eq!(reply.status, 400, "{body:?}");
    }
    // A JSON array has no top-level keys but is JSON: the variable is just undefined.
    assert!(
        compiled
            .render(Direction::Request, &request(&[]).body("[1]"))
            .is_ok()
    );
}

#[test]
fn json_variables_without_as_json_are_a_400_even_for_json_bodies() {
    let compiled = compile(
        r#"{"response": {"set": [{"name": "a", "value": "{{ headers.host }}"}], "body": {"parseAs": "AsString"}}}"#,
    );
    let reply = compiled
        .render(
            Direction::Response,
            &request(&[]).body(r#"{"headers": {"host": "h"}}"#),
        )
        .unwrap_err();
    assert_eq!(reply.status, 400);
}

#[test]
fn context_without_json_is_empty_but_not_an_error() {
    let compiled = compile(
        r#"{"request": {"body": {"parseAs": "AsJson", "value": "<{% for i in context() %}{{ i }}{% endfor %}>"}}}"#,
    );
    let mutations = compiled
        .render(Direction::Request, &request(&[]).body(""))
        .unwrap();
    assert_eq!(body_of(&mutations), "<>");
}

#[test]
fn jsonpath_lifts_a_body_field_into_a_header() {
    let compiled = compile(
        r#"{"request": {"set": [{"name": "x-tenant", "value": "{{ jsonpath(context(), \"$.account.tenant\") }}"},
            {"name": "x-first", "value": "{{ jsonpath(body(), \"$.items[0]\") }}"}], "body": {"parseAs": "AsJson"}}}"#,
    );
    let message = request(&[]).body(r#"{"account": {"tenant": "acme"}, "items": [{"id": 1}]}"#);
    let mutations = compiled.render(Direction::Request, &message).unwrap();
    assert_eq!(header_value(&mutations, "x-tenant"), Some("acme"));
    assert_eq!(header_value(&mutations, "x-first"), Some(r#"{"id":1}"#));
    assert!(
        mutations.clear_route_cache,
        "a header from the body can change routing"
    );
}

#[test]
fn raw_string_embeds_values_in_json_bodies() {
    let compiled = compile(
        r#"{"request": {"body": {"value": "{\"msg\": \"{{ raw_string(header(\"x-msg\")) }}\"}"}}}"#,
    );
    let mutations = compiled
        .render(Direction::Request, &request(&[("x-msg", "say \"hi\"")]))
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&body_of(&mutations)).unwrap();
    assert_eq!(json["msg"], "say \"hi\"");
}

#[test]
fn a_body_template_failure_empties_the_body_as_kgateway_does() {
    let compiled = compile(r#"{"request": {"body": {"value": "{{ header(\"n\") | int / 0 }}"}}}"#);
    let mutations = compiled
        .render(Direction::Request, &request(&[("n", "1")]).body("old"))
        .unwrap();
    assert_eq!(body_of(&mutations), "");
    assert_eq!(header_value(&mutations, "content-length"), Some("0"));
    assert_eq!(mutations.failures[0].location, "request.body");
}

#[test]
fn no_body_is_rendered_where_none_is_allowed() {
    struct Headless;
    impl MessageView for Headless {
        fn headers(&self) -> Arc<crate::HeaderSnapshot> {
            Arc::default()
        }
        fn body_allowed(&self) -> bool {
            false
        }
    }
    let compiled =
        compile(r#"{"response": {"body": {"value": "x"}, "set": [{"name": "a", "value": "1"}]}}"#);
    let mutations = compiled.render(Direction::Response, &Headless).unwrap();
    assert_eq!(mutations.body, None);
    assert_eq!(
        mutations.headers,
        [HeaderMutation::Set {
            name: "a",
            value: "1".into()
        }]
    );
}
