//! Config load: compile errors, header names, buffering decisions, constants, metadata reads.

use super::*;

fn compile(json: &str) -> Result<Arc<CompiledTransformation>, ConfigError> {
    CompiledTransformation::from_json(json, &CompileOptions::default().with_env([("POD", "gw-1")]))
}

fn plan(compiled: &CompiledTransformation, direction: Direction) -> &DirectionPlan {
    compiled.plan(direction).unwrap()
}

#[test]
fn unknown_keys_are_rejected_naming_the_key() {
    let error = compile(r#"{"request": {"set": [{"name": "a", "valu": "b"}]}}"#)
        .unwrap_err()
        .to_string();
    assert!(error.contains("unknown field `valu`"), "{error}");
}

#[test]
fn a_template_that_does_not_compile_is_rejected_with_location_line_and_message() {
    let error = compile(r#"{"request": {"set": [{"name": "x-ok", "value": "{{ 1 }}"}, {"name": "X-Bad", "value": "line one\n{{ header( }}"}]}}"#)
        .unwrap_err();
    let ConfigError::Template {
        location,
        line,
        message,
    } = &error
    else {
        panic!("{error}")
    };
    assert_eq!(location, "request.set[1] (X-Bad)");
    assert_eq!(*line, 2);
    assert!(message.starts_with("syntax error"), "{message}");
    assert!(
        error.to_string().starts_with(
            "request.set[1] (X-Bad): template does not compile (line 2): syntax error"
        )
    );
}

#[test]
fn compile_errors_name_body_and_metadata_templates() {
    let error = compile(r#"{"response": {"body": {"value": "{% if %}"}}}"#)
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("response.body: template does not compile (line 1)"),
        "{error}"
    );
    let error = compile(
        r#"{"request": {"dynamicMetadata": [{"namespace": "ns", "key": "k", "value": {"stringValue": "{{"}}]}}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.starts_with("request.dynamicMetadata[0] (ns/k): template does not compile"),
        "{error}"
    );
    let error = compile(r#"{"response": {"add": [{"name": "a", "value": "{% endfor %}"}]}}"#)
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("response.add[0] (a): template does not compile"),
        "{error}"
    );
}

#[test]
fn a_template_that_reads_nothing_and_fails_is_rejected_at_load() {
    let error =
        compile(r#"{"request": {"set": [{"name": "a", "value": "{{ 1 / 0 }}"}]}}"#).unwrap_err();
    assert!(
        matches!(error, ConfigError::AlwaysFails { ref location, .. } if location == "request.set[0] (a)"),
        "{error}"
    );
}

#[test]
fn templates_reading_nothing_from_the_message_are_rendered_at_load() {
    let compiled = compile(
        r#"{"request": {"set": [
            {"name": "a", "value": "static"},
            {"name": "b", "value": "{{ env(\"POD\") }}-{{ base64_encode(\"x\") }}"},
            {"name": "c"},
            {"name": "d", "value": "{{ header(\"x\") }}"}]}}"#,
    )
    .unwrap();
    let rules = &plan(&compiled, Direction::Request).headers;
    assert_eq!(rules[0].value, Template::Constant("static".into()));
    assert_eq!(rules[1].value, Template::Constant("gw-1-eA==".into()));
    assert_eq!(rules[2].value, Template::Constant("".into()));
    assert!(matches!(
        rules[3].value,
        Template::Dynamic {
            reads: Reads { headers: true, .. },
            ..
        }
    ));
}

#[test]
fn header_names_are_lowercased_and_host_is_the_authority() {
    let compiled = compile(
        r#"{"request": {"set": [{"name": "X-Mixed", "value": "1"}, {"name": "Host", "value": "h"}], "remove": ["X-Gone"]}}"#,
    )
    .unwrap();
    let names: Vec<(&str, bool)> = plan(&compiled, Direction::Request)
        .headers
        .iter()
        .map(|rule| (&*rule.name, rule.pseudo))
        .collect();
    assert_eq!(
        names,
        [("x-mixed", false), (":authority", true), ("x-gone", false)]
    );
}

#[test]
fn invalid_header_names_are_rejected_naming_the_entry() {
    for (json, location) in [
        (
            r#"{"request": {"set": [{"name": "bad name", "value": "1"}]}}"#,
            "request.set[0] (bad name)",
        ),
        (
            r#"{"request": {"add": [{"name": ":path", "value": "/x"}]}}"#,
            "request.add[0] (:path)",
        ),
        (
            r#"{"request": {"remove": ["ok", ":method"]}}"#,
            "request.remove[1] (:method)",
        ),
        (
            r#"{"request": {"set": [{"name": ":status", "value": "200"}]}}"#,
            "request.set[0] (:status)",
        ),
        (
            r#"{"response": {"set": [{"name": ":path", "value": "/"}]}}"#,
            "response.set[0] (:path)",
        ),
        (
            r#"{"response": {"set": [{"name": ":foo", "value": "1"}]}}"#,
            "response.set[0] (:foo)",
        ),
    ] {
        let error = compile(json).unwrap_err();
        assert!(
            matches!(&error, ConfigError::HeaderName { location: l, .. } if l == location),
            "{json}: {error}"
        );
    }
}

#[test]
fn pseudo_headers_of_each_direction_can_be_set() {
    let compiled = compile(
        r#"{"request": {"set": [{"name": ":path", "value": "/"}, {"name": ":method", "value": "POST"},
              {"name": ":authority", "value": "a"}, {"name": ":scheme", "value": "https"}]},
            "response": {"set": [{"name": ":Status", "value": "201"}]}}"#,
    )
    .unwrap();
    assert!(
        plan(&compiled, Direction::Request)
            .headers
            .iter()
            .all(|rule| rule.pseudo)
    );
    assert_eq!(
        &*plan(&compiled, Direction::Response).headers[0].name,
        ":status"
    );
}

#[test]
fn empty_directions_have_no_plan() {
    let compiled =
        compile(r#"{"request": {"body": {"parseAs": "AsJson"}}, "response": {}}"#).unwrap();
    assert!(compiled.plan(Direction::Request).is_none());
    assert!(compiled.plan(Direction::Response).is_none());
}

fn buffers(json: &str) -> bool {
    plan(&compile(json).unwrap(), Direction::Request).buffers_body()
}

#[test]
fn header_only_transforms_do_not_buffer() {
    assert!(!buffers(
        r#"{"request": {"set": [{"name": "a", "value": "{{ header(\"b\") }}"}]}}"#
    ));
    assert!(!buffers(
        r#"{"request": {"set": [{"name": "a", "value": "1"}], "body": {"parseAs": "AsJson"}}}"#
    ));
    assert!(!buffers(
        r#"{"request": {"set": [{"name": "a", "value": "1"}], "body": {"parseAs": "AsString"}}}"#
    ));
}

#[test]
fn reading_or_replacing_the_body_buffers() {
    assert!(buffers(r#"{"request": {"body": {"value": "new"}}}"#));
    assert!(buffers(
        r#"{"request": {"set": [{"name": "a", "value": "{{ body() }}"}], "body": {}}}"#
    ));
    assert!(buffers(
        r#"{"request": {"set": [{"name": "a", "value": "{{ user.id }}"}], "body": {"parseAs": "AsJson"}}}"#
    ));
    assert!(buffers(
        r#"{"request": {"set": [{"name": "a", "value": "{{ context() }}"}], "body": {"parseAs": "AsJson"}}}"#
    ));
    assert!(buffers(
        r#"{"request": {"set": [{"name": "a", "value": "{{ jsonpath(body(), \"$.a\") }}"}], "body": {"parseAs": "AsString"}}}"#
    ));
}

#[test]
fn parse_as_none_or_no_body_key_never_buffers() {
    assert!(!buffers(
        r#"{"request": {"body": {"parseAs": "None", "value": "x"}, "set": [{"name": "a", "value": "{{ body() }}"}]}}"#
    ));
    assert!(!buffers(
        r#"{"request": {"set": [{"name": "a", "value": "{{ body() }}{{ context() }}"}]}}"#
    ));
    // context() needs JSON, which AsString never parses.
    assert!(!buffers(
        r#"{"request": {"set": [{"name": "a", "value": "{{ context() }}"}], "body": {}}}"#
    ));
}

#[test]
fn json_variables_without_as_json_reject_every_message() {
    let compiled = compile(
        r#"{"response": {"set": [{"name": "a", "value": "{{ headers.host }}"}], "body": {}}}"#,
    )
    .unwrap();
    let plan = plan(&compiled, Direction::Response);
    assert_eq!(plan.always_rejects().map(|reply| reply.status), Some(400));
    assert!(!plan.buffers_body());
    let compiled = compile(r#"{"request": {"set": [{"name": "a", "value": "{% for x in items %}{{ x }}{% endfor %}"}]}}"#).unwrap();
    assert!(
        compiled
            .plan(Direction::Request)
            .unwrap()
            .always_rejects()
            .is_some()
    );
}

#[test]
fn locals_loops_and_builtins_are_not_json_variables() {
    let compiled = compile(
        r#"{"request": {"set": [{"name": "a", "value": "{% set x = 1 %}{% for i in range(3) %}{{ loop.index }}{{ i }}{% endfor %}{{ x }}{{ namespace() }}"}]}}"#,
    )
    .unwrap();
    assert!(
        compiled
            .plan(Direction::Request)
            .unwrap()
            .always_rejects()
            .is_none()
    );
}

#[test]
fn response_reading_request_headers_is_reported() {
    let compiled =
        compile(r#"{"response": {"set": [{"name": "a", "value": "{{ get_cookie(\"s\") }}"}]}}"#)
            .unwrap();
    assert!(compiled.response_reads_request_headers());
    assert!(!plan(&compiled, Direction::Response).reads_headers());
    let compiled =
        compile(r#"{"response": {"set": [{"name": "a", "value": "{{ header(\":status\") }}"}]}}"#)
            .unwrap();
    assert!(!compiled.response_reads_request_headers());
    assert!(plan(&compiled, Direction::Response).reads_headers());
}

#[test]
fn dynamic_metadata_reads_are_collected_from_literal_arguments() {
    let compiled = compile(
        r#"{"request": {"set": [
            {"name": "a", "value": "{{ dynamic_metadata('k1', \"ns.one\") }}"},
            {"name": "b", "value": "{% if dynamic_metadata( \"k2\" ) %}x{% endif %}{{ dynamic_metadata('k1', 'ns.one') }}"}]}}"#,
    )
    .unwrap();
    let reads: Vec<(&str, &str)> = plan(&compiled, Direction::Request)
        .metadata_reads()
        .collect();
    assert_eq!(
        reads,
        [("ns.one", "k1"), (crate::DEFAULT_METADATA_NAMESPACE, "k2")]
    );
}

#[test]
fn dynamic_metadata_with_computed_arguments_is_rejected() {
    let error = compile(r#"{"request": {"set": [{"name": "a", "value": "{{ dynamic_metadata(header(\"k\")) }}"}]}}"#)
        .unwrap_err();
    assert!(
        matches!(&error, ConfigError::MetadataArguments { location } if location == "request.set[0] (a)"),
        "{error}"
    );
}

#[test]
fn metadata_entries_need_a_string_value() {
    let error = compile(
        r#"{"request": {"dynamicMetadata": [{"namespace": "n", "key": "k", "value": {}}]}}"#,
    )
    .unwrap_err();
    assert!(
        matches!(error, ConfigError::MissingMetadataValue { .. }),
        "{error}"
    );
}

#[test]
fn metadata_argument_scanner_skips_text_comments_and_strings() {
    use super::metadata_args::literal_keys;
    assert_eq!(
        literal_keys("dynamic_metadata(x) {# dynamic_metadata(y) #}"),
        Some(vec![])
    );
    assert_eq!(literal_keys("{{ 'dynamic_metadata(y)' }}"), Some(vec![]));
    assert_eq!(
        literal_keys("{{ '}}' ~ dynamic_metadata('a\\'b', 'n') }}"),
        Some(vec![("n".into(), "a'b".into())])
    );
    assert_eq!(
        literal_keys("{{ dynamic_metadata('a', 'n', 'extra') }}"),
        None
    );
    assert_eq!(literal_keys("{{ dynamic_metadata }}"), None);
}
