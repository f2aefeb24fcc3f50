use super::*;
use dynagate_sdk::testing::{FakeConfigContext, FakeHttpHost, FakeMessage, FakeStream};
use dynagate_sdk::{HttpFilterConfig, HttpFilterFactory, MetadataSource, PANIC_DETAILS};

fn config(json: &str) -> (ProbeConfig, FakeConfigContext) {
    let mut ctx = FakeConfigContext::new();
    let config = ProbeFactory
        .new_config(json, &mut ctx)
        .expect("valid probe config");
    (config, ctx)
}

fn stream(json: &str) -> FakeStream {
    let (config, ctx) = config(json);
    FakeStream::with_host(config.new_filter(), FakeHttpHost::new().with_metrics(&ctx))
}

#[test]
fn edits_headers_and_wraps_both_bodies() {
    let mut stream = stream(
        r#"{"tag": "t1",
            "request_headers": {"set": {"x-set": "1"}, "add": {"x-add": "2"}, "remove": ["x-gone"]},
            "response_headers": {"set": {"x-resp": "3"}},
            "request_body": {"prefix": "[", "suffix": "]"},
            "response_body": {"prefix": "<", "suffix": ">"}}"#,
    );
    let request = FakeMessage::request("POST", "/p")
        .header("x-gone", "bye")
        .chunk("ab")
        .chunk("cd");
    let response = FakeMessage::response(200).chunk("xy").chunk("z");
    let exchange = stream.exchange(request, response);

    let upstream = exchange.upstream.expect("forwarded");
    assert_eq!(upstream.header_str("x-set"), Some("1"));
    assert_eq!(upstream.header_str("x-add"), Some("2"));
    assert_eq!(upstream.header_count("x-gone"), 0);
    assert_eq!(upstream.body(), b"[abcd]");
    assert_eq!(upstream.header_str("content-length"), Some("6"));

    let downstream = exchange.downstream.expect("answered by upstream");
    assert_eq!(downstream.body(), b"<xyz>");
    assert_eq!(downstream.header_str("content-length"), Some("5"));
    assert_eq!(downstream.header_str("x-resp"), Some("3"));
    assert_eq!(downstream.header_str("x-probe-config"), Some("t1"));
    assert_eq!(downstream.header_str("x-probe-filter-state"), Some("/p"));
}

#[test]
fn route_config_overrides_the_listener_config() {
    let route = ProbeFactory
        .new_route_config(r#"{"tag": "route"}"#)
        .expect("valid route config");
    let (config, _ctx) = config(r#"{"tag": "listener"}"#);
    let mut stream = FakeStream::with_host(
        config.new_filter(),
        FakeHttpHost::new().with_route_config(route),
    );
    let exchange = stream.exchange(FakeMessage::request("GET", "/"), FakeMessage::response(200));
    assert_eq!(
        exchange
            .downstream
            .expect("passed")
            .header_str("x-probe-config"),
        Some("route")
    );
}

#[test]
fn local_reply_on_demand() {
    let mut stream = stream("{}");
    let request = FakeMessage::request("GET", "/").header("x-probe-local-reply", "429");
    let exchange = stream.exchange(request, FakeMessage::response(200));
    let reply = exchange.local_reply.expect("local reply");
    assert_eq!(
        (reply.status, reply.body.as_slice()),
        (429, b"probe local reply".as_slice())
    );
    assert!(exchange.upstream.is_none());
}

#[test]
fn panics_on_demand_are_answered_by_the_guard() {
    let mut stream = stream("{}");
    let request = FakeMessage::request("GET", "/").header("x-probe-panic", "request_headers");
    let exchange = stream.exchange(request, FakeMessage::response(200));
    let reply = exchange.local_reply.expect("500");
    assert_eq!(
        (reply.status, reply.details.as_deref()),
        (500, Some(PANIC_DETAILS))
    );
}

#[test]
fn counts_requests_writes_metadata_and_labels_by_method() {
    let mut stream = stream(r#"{"metadata_namespace": "probe"}"#);
    let exchange = stream.exchange(
        FakeMessage::request("PUT", "/m"),
        FakeMessage::response(204),
    );
    let downstream = exchange.downstream.expect("passed");
    let count: u64 = downstream
        .header_str("x-probe-count")
        .and_then(|c| c.parse().ok())
        .expect("count");
    assert!(count >= 1);
    let host = stream.host();
    assert_eq!(host.counter("probe_requests", &[]), 1);
    assert_eq!(host.counter("probe_requests_by_method", &["PUT"]), 1);
    assert_eq!(
        host.metadata_string(MetadataSource::Dynamic, "probe", "path"),
        Some("/m")
    );
    assert_eq!(
        host.metadata_number(MetadataSource::Dynamic, "probe", "worker"),
        Some(0.0)
    );
}

#[test]
fn reroute_rewrites_the_path_and_clears_the_route_cache() {
    let mut stream = stream("{}");
    let request = FakeMessage::request("GET", "/old").header("x-probe-reroute", "/new");
    let exchange = stream.exchange(request, FakeMessage::response(200));
    assert_eq!(
        exchange.upstream.expect("passed").header_str(":path"),
        Some("/new")
    );
    assert_eq!(stream.host().route_cache_clears(), 1);
}

#[test]
fn callout_result_is_echoed_after_the_request_resumes() {
    let mut stream = stream("{}");
    stream
        .host_mut()
        .set_header(HeaderMap::RequestHeaders, "x-probe-callout", b"auth");
    assert_eq!(stream.request_headers(true), HeadersStatus::StopIteration);
    let callout = stream.host().callouts()[0].clone();
    assert_eq!(callout.cluster, "auth");
    let status = (b":status".as_slice(), b"204".as_slice());
    stream.callout_done(callout.id, Ok(CalloutResponse::new(vec![status], vec![])));
    assert_eq!(stream.host().continued(Direction::Request), 1);
    stream.response_headers(true);
    assert_eq!(
        stream
            .host()
            .header_str(HeaderMap::ResponseHeaders, "x-probe-callout-status"),
        Some("204")
    );
}

#[test]
fn a_failing_callout_answers_503() {
    let (config, _ctx) = config("{}");
    let host = FakeHttpHost::new()
        .with_request_header("x-probe-callout", "missing")
        .with_failing_callouts(dynagate_sdk::CalloutError::ClusterNotFound);
    let mut stream = FakeStream::with_host(config.new_filter(), host);
    stream.request_headers(true);
    let reply = &stream.host().local_replies()[0];
    assert_eq!(reply.status, 503);
    assert_eq!(reply.body, b"callout failed: callout cluster not found");
}

#[test]
fn bad_configs_are_rejected() {
    let mut ctx = FakeConfigContext::new();
    let error = ProbeFactory
        .new_config(r#"{"tagg": 1}"#, &mut ctx)
        .expect_err("unknown field");
    assert!(
        error.to_string().contains("unknown field `tagg`"),
        "{error}"
    );
}
