//! The filter against the SDK fake host: buffering, local replies, pseudo headers, routes, tunnels.

use dynagate_sdk::testing::{FakeConfigContext, FakeHttpHost, FakeMessage, FakeStream};
use dynagate_sdk::{
    BodyStatus, Direction as Flow, HeaderMap, HeadersStatus, HttpHost, MetadataSource,
    TrailersStatus,
};

use super::*;

fn config(json: &str) -> TransformationConfig {
    TransformationFactory
        .new_config(json, &mut FakeConfigContext::new())
        .unwrap()
}

fn stream(json: &str) -> FakeStream {
    FakeStream::new(config(json).new_filter())
}

fn get(path: &str) -> FakeMessage {
    FakeMessage::request("GET", path)
}

fn ok() -> FakeMessage {
    FakeMessage::response(200)
}

#[test]
fn an_empty_config_passes_everything_through() {
    let mut stream = stream("");
    let exchange = stream.exchange(
        get("/").header("x-a", "1").chunk("body"),
        ok().chunk("resp"),
    );
    assert_eq!(exchange.upstream.unwrap().body(), b"body");
    assert_eq!(exchange.downstream.unwrap().body(), b"resp");
}

#[test]
fn bad_templates_reject_the_config_naming_the_template() {
    let json = r#"{"response": {"set": [{"name": "x-a", "value": "{{ oops( }}"}]}}"#;
    let error = TransformationFactory
        .new_config(json, &mut FakeConfigContext::new())
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("response.set[0] (x-a): template does not compile (line 1)"),
        "{error}"
    );
    let error = TransformationFactory
        .new_route_config(r#"{"request": {"set": []}, "extra": 1}"#)
        .unwrap_err();
    assert!(
        error.to_string().contains("unknown field `extra`"),
        "{error}"
    );
}

#[test]
fn header_only_transforms_stream_the_body_without_holding_it() {
    let mut stream =
        stream(r#"{"request": {"set": [{"name": "x-user", "value": "{{ header(\"x-id\") }}"}]}}"#);
    stream
        .host_mut()
        .set_header(HeaderMap::RequestHeaders, "x-id", b"ann");
    assert_eq!(stream.request_headers(false), HeadersStatus::Continue);
    assert_eq!(
        stream
            .host()
            .header_str(HeaderMap::RequestHeaders, "x-user"),
        Some("ann")
    );
    for chunk in [&b"first "[..], b"second "] {
        assert_eq!(stream.request_body(chunk, false), BodyStatus::Continue);
    }
    assert_eq!(stream.request_body(b"last", true), BodyStatus::Continue);
    assert_eq!(stream.forwarded_body(Flow::Request), b"first second last");
}

#[test]
fn a_body_transform_buffers_then_replaces_the_body_and_its_length() {
    let mut stream = stream(r#"{"request": {"body": {"value": "{{ body() | upper }}"}}}"#);
    stream
        .host_mut()
        .set_header(HeaderMap::RequestHeaders, "content-length", b"11");
    assert_eq!(stream.request_headers(false), HeadersStatus::StopIteration);
    assert_eq!(
        stream.request_body(b"hello ", false),
        BodyStatus::StopIterationAndBuffer
    );
    assert_eq!(stream.request_body(b"world", true), BodyStatus::Continue);
    assert_eq!(stream.forwarded_body(Flow::Request), b"HELLO WORLD");
    assert_eq!(
        stream
            .host()
            .header_str(HeaderMap::RequestHeaders, "content-length"),
        Some("11")
    );
}

#[test]
fn json_request_bodies_drive_headers_and_body() {
    let json = r#"{"request": {
        "set": [{"name": "x-transformed-incoming", "value": "level_{{ mykey.myinnerkey }}"}],
        "body": {"parseAs": "AsJson", "value": "{{ jsonpath(context(), \"$.mykey\") }}"}}}"#;
    let request = get("/")
        .header("content-type", "application/json")
        .chunk(r#"{"mykey": "#)
        .chunk(r#"{"myinnerkey": "v"}}"#);
    let exchange = stream(json).exchange(request, ok());
    let upstream = exchange.upstream.unwrap();
    assert_eq!(
        upstream.header_str("x-transformed-incoming"),
        Some("level_v")
    );
    assert_eq!(upstream.body(), br#"{"myinnerkey":"v"}"#);
    assert_eq!(upstream.header_str("content-length"), Some("18"));
}

#[test]
fn invalid_json_is_answered_400() {
    let json = r#"{"request": {"set": [{"name": "a", "value": "{{ mykey }}"}], "body": {"parseAs": "AsJson"}}}"#;
    let exchange = stream(json).exchange(get("/").chunk("hello"), ok());
    let reply = exchange.local_reply.unwrap();
    assert_eq!(reply.status, 400);
    assert_eq!(reply.details.as_deref(), Some("transformation_bad_request"));
    assert!(exchange.upstream.is_none());
}

#[test]
fn json_variables_without_as_json_answer_400_without_buffering() {
    let json =
        r#"{"request": {"set": [{"name": "a", "value": "{{ headers.host }}"}], "body": {}}}"#;
    let mut stream = stream(json);
    assert_eq!(stream.request_headers(false), HeadersStatus::StopIteration);
    assert_eq!(stream.host().local_replies()[0].status, 400);
}

#[test]
fn bodies_over_the_buffer_limit_are_answered_413() {
    let mut stream = stream(r#"{"request": {"body": {"value": "x{{ body() }}"}}}"#);
    stream.host_mut().set_buffer_limit(10);
    assert_eq!(stream.request_headers(false), HeadersStatus::StopIteration);
    assert_eq!(
        stream.request_body(b"12345678", false),
        BodyStatus::StopIterationAndBuffer
    );
    assert_eq!(
        stream.request_body(b"12345678", false),
        BodyStatus::StopIterationNoBuffer
    );
    let reply = &stream.host().local_replies()[0];
    assert_eq!(reply.status, 413);
    assert!(stream.forwarded_body(Flow::Request).is_empty());
}

#[test]
fn trailers_complete_a_buffered_body_that_stays_chunked_to_carry_them() {
    let mut stream = stream(r#"{"request": {"body": {"value": "[{{ body() }}]"}}}"#);
    let host = stream.host_mut();
    host.set_header(HeaderMap::RequestHeaders, "transfer-encoding", b"chunked");
    host.set_header(HeaderMap::RequestHeaders, "content-length", b"3");
    assert_eq!(stream.request_headers(false), HeadersStatus::StopIteration);
    assert_eq!(
        stream.request_body(b"abc", false),
        BodyStatus::StopIterationAndBuffer
    );
    assert_eq!(stream.request_trailers(), TrailersStatus::Continue);
    assert_eq!(
        stream
            .host()
            .read_body(dynagate_sdk::BodyBuffer::BufferedRequest),
        b"[abc]"
    );
    let host = stream.host();
    assert_eq!(
        host.header_str(HeaderMap::RequestHeaders, "transfer-encoding"),
        Some("chunked")
    );
    assert_eq!(
        host.header_str(HeaderMap::RequestHeaders, "content-length"),
        None
    );
}

#[test]
fn upgrades_and_connect_pass_through_untouched() {
    let json = r#"{"request": {"set": [{"name": "x-a", "value": "1"}], "body": {"value": "b"}},
                   "response": {"set": [{"name": "x-b", "value": "2"}]}}"#;
    let websocket = get("/ws")
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .chunk("frames");
    let exchange =
        stream(json).exchange(websocket, FakeMessage::response(101).chunk("frames back"));
    let upstream = exchange.upstream.unwrap();
    assert_eq!(upstream.header_str("x-a"), None);
    assert_eq!(upstream.body(), b"frames");
    assert_eq!(exchange.downstream.unwrap().header_str("x-b"), None);
    let connect = FakeMessage::request("CONNECT", "").chunk("tunnel");
    let exchange = stream(json).exchange(connect, ok());
    assert_eq!(exchange.upstream.unwrap().header_str("x-a"), None);
}

#[test]
fn request_header_changes_clear_the_route_cache() {
    let mut stream = stream(
        r#"{"request": {"set": [{"name": ":path", "value": "/v2{{ header(\":path\") }}"}]}}"#,
    );
    stream
        .host_mut()
        .set_header(HeaderMap::RequestHeaders, ":path", b"/orders");
    assert_eq!(stream.request_headers(true), HeadersStatus::Continue);
    assert_eq!(
        stream.host().header_str(HeaderMap::RequestHeaders, ":path"),
        Some("/v2/orders")
    );
    assert_eq!(stream.host().route_cache_clears(), 1);
}

#[test]
fn pseudo_headers_change_method_and_status() {
    let json = r#"{"request": {"set": [{"name": ":method", "value": "{% if header(\"foo\") == \"bar\" %}POST{% endif %}"}]},
                   "response": {"set": [{"name": ":status", "value": "{% if request_header(\"foo\") == \"bar\" %}201{% else %}202{% endif %}"}]}}"#;
    let exchange = stream(json).exchange(get("/").header("foo", "bar"), ok());
    assert_eq!(
        exchange.upstream.unwrap().header_str(":method"),
        Some("POST")
    );
    assert_eq!(
        exchange.downstream.unwrap().header_str(":status"),
        Some("201")
    );
    let exchange = stream(json).exchange(get("/").header("foo", "baz"), ok());
    assert_eq!(
        exchange.upstream.unwrap().header_str(":method"),
        Some("GET")
    );
    assert_eq!(
        exchange.downstream.unwrap().header_str(":status"),
        Some("202")
    );
}

#[test]
fn the_response_reads_the_request_as_it_arrived() {
    let json = r#"{"request": {"set": [{"name": "x-a", "value": "changed"}]},
                   "response": {"set": [{"name": "x-seen", "value": "{{ request_header(\"x-a\") }}/{{ get_cookie(\"s\") }}"}]}}"#;
    let exchange = stream(json).exchange(
        get("/").header("x-a", "original").header("cookie", "s=1"),
        ok(),
    );
    assert_eq!(
        exchange.upstream.unwrap().header_str("x-a"),
        Some("changed")
    );
    assert_eq!(
        exchange.downstream.unwrap().header_str("x-seen"),
        Some("original/1")
    );
}

#[test]
fn set_collapses_repeated_headers_and_add_appends() {
    let json = r#"{"request": {"set": [{"name": "x-foo-bar", "value": "one"}], "add": [{"name": "x-multi", "value": "c"}]}}"#;
    let request = get("/")
        .header("x-foo-bar", "a")
        .header("x-foo-bar", "b")
        .header("x-multi", "a");
    let upstream = stream(json).exchange(request, ok()).upstream.unwrap();
    assert_eq!(upstream.header_count("x-foo-bar"), 1);
    assert_eq!(upstream.header_str("x-foo-bar"), Some("one"));
    assert_eq!(upstream.header_count("x-multi"), 2);
}

#[test]
fn chunked_response_bodies_are_transformed_whole() {
    let json = r#"{"response": {"body": {"parseAs": "AsJson", "value": "{% for i in context() %}{{ i }}{% endfor %}"}}}"#;
    let response = ok()
        .header("transfer-encoding", "chunked")
        .chunk("[3,")
        .chunk("2,")
        .chunk("1]");
    let downstream = stream(json)
        .exchange(get("/"), response)
        .downstream
        .unwrap();
    assert_eq!(downstream.body(), b"321");
    assert_eq!(downstream.header_str("content-length"), Some("3"));
    assert_eq!(downstream.header_str("transfer-encoding"), None);
}

#[test]
fn an_empty_rendered_body_drops_content_type() {
    let json = r#"{"response": {"body": {"value": "{{ header(\"absent\") }}"}}}"#;
    let response = ok().header("content-type", "text/html").chunk("<p>");
    let downstream = stream(json)
        .exchange(get("/"), response)
        .downstream
        .unwrap();
    assert!(downstream.body().is_empty());
    assert_eq!(downstream.header_str("content-length"), Some("0"));
    assert_eq!(downstream.header_str("content-type"), None);
}

#[test]
fn dynamic_metadata_is_written_for_later_filters_and_access_logs() {
    let json = r#"{"request": {"dynamicMetadata": [{"namespace": "dynagate.tx", "key": "user", "value": {"stringValue": "{{ header(\"x-user\") }}"}}]}}"#;
    let mut stream = stream(json);
    stream
        .host_mut()
        .set_header(HeaderMap::RequestHeaders, "x-user", b"ann");
    stream.request_headers(true);
    assert_eq!(
        stream
            .host()
            .metadata_string(MetadataSource::Dynamic, "dynagate.tx", "user"),
        Some("ann")
    );
}

#[test]
fn templates_read_dynamic_metadata_through_the_host() {
    let json = r#"{"response": {"set": [{"name": "x-zone", "value": "{{ dynamic_metadata(\"zone\", \"envoy.lb\") }}"}]}}"#;
    let host = FakeHttpHost::new().with_metadata_string(
        MetadataSource::Dynamic,
        "envoy.lb",
        "zone",
        "eu-1",
    );
    let mut stream = FakeStream::with_host(config(json).new_filter(), host);
    stream.response_headers(true);
    assert_eq!(
        stream
            .host()
            .header_str(HeaderMap::ResponseHeaders, "x-zone"),
        Some("eu-1")
    );
}

#[test]
fn a_route_config_replaces_the_listener_default() {
    let listener = config(r#"{"request": {"set": [{"name": "x-from", "value": "listener"}]}}"#);
    let route = TransformationFactory
        .new_route_config(r#"{"request": {"set": [{"name": "x-from", "value": "route"}]}}"#);
    let host = FakeHttpHost::new().with_route_config(route.unwrap());
    let mut stream = FakeStream::with_host(listener.new_filter(), host);
    let upstream = stream.exchange(get("/"), ok()).upstream.unwrap();
    assert_eq!(upstream.header_str("x-from"), Some("route"));
    let upstream = FakeStream::new(listener.new_filter())
        .exchange(get("/"), ok())
        .upstream
        .unwrap();
    assert_eq!(upstream.header_str("x-from"), Some("listener"));
}

#[test]
fn a_message_without_body_can_be_given_one() {
    let json = r#"{"request": {"set": [{"name": ":method", "value": "POST"}], "body": {"value": "{\"q\": \"{{ header(\"x-q\") }}\"}"}}}"#;
    let mut stream = stream(json);
    stream
        .host_mut()
        .set_header(HeaderMap::RequestHeaders, "x-q", b"shoes");
    assert_eq!(stream.request_headers(true), HeadersStatus::Continue);
    let host = stream.host();
    assert_eq!(
        host.read_body(dynagate_sdk::BodyBuffer::BufferedRequest),
        br#"{"q": "shoes"}"#
    );
    assert_eq!(
        host.header_str(HeaderMap::RequestHeaders, "content-length"),
        Some("14")
    );
    assert_eq!(
        host.header_str(HeaderMap::RequestHeaders, ":method"),
        Some("POST")
    );
}

#[test]
fn responses_that_cannot_have_a_body_do_not_get_one() {
    let json = r#"{"response": {"body": {"value": "injected"}, "set": [{"name": "x-seen", "value": "1"}]}}"#;
    for (request, response) in [
        (FakeMessage::request("HEAD", "/"), ok()),
        (get("/"), FakeMessage::response(204)),
    ] {
        let downstream = stream(json).exchange(request, response).downstream.unwrap();
        assert!(downstream.body().is_empty());
        assert_eq!(downstream.header_str("content-length"), None);
        assert_eq!(downstream.header_str("x-seen"), Some("1"));
    }
}
