use super::*;
use crate::{
    BodyStatus, ConfigContext, Counter, Direction, HeaderMap, HeadersStatus, HttpFilter, HttpHost,
    PANIC_DETAILS, RouteConfig,
};

/// Upper-cases the whole request body; answers 401 without `authorization`; counts requests.
struct Upcase {
    requests: Counter,
}

impl HttpFilter for Upcase {
    fn on_request_headers(
        &mut self,
        host: &mut dyn HttpHost,
        end_of_stream: bool,
    ) -> HeadersStatus {
        let _ = host.increment_counter(self.requests, &["upcase"], 1);
        if host.request_header("authorization").is_none() {
            host.send_response(401, &[("www-authenticate", b"Basic")], b"", Some("no_auth"));
            return HeadersStatus::StopIteration;
        }
        if host.request_header("x-explode").is_some() {
            panic!("exploded");
        }
        if end_of_stream {
            HeadersStatus::Continue
        } else {
            HeadersStatus::StopIteration
        }
    }

    fn on_request_body(&mut self, host: &mut dyn HttpHost, end_of_stream: bool) -> BodyStatus {
        if !end_of_stream {
            return BodyStatus::StopIterationAndBuffer;
        }
        let body = host.whole_body(Direction::Request).to_ascii_uppercase();
        host.replace_whole_body(Direction::Request, &body);
        host.set_header(
            HeaderMap::RequestHeaders,
            "content-length",
            body.len().to_string().as_bytes(),
        );
        BodyStatus::Continue
    }
}

fn upcase() -> (Upcase, FakeConfigContext) {
    let mut ctx = FakeConfigContext::new();
    let requests = ctx
        .define_counter("requests", &["filter"])
        .expect("fake define");
    (Upcase { requests }, ctx)
}

#[test]
fn exchange_buffers_chunks_and_forwards_the_rewritten_body() {
    let (filter, ctx) = upcase();
    let mut stream = FakeStream::with_host(filter, FakeHttpHost::new().with_metrics(&ctx));
    let request = FakeMessage::request("POST", "/echo")
        .header("authorization", "t")
        .header("content-length", "11")
        .chunk("hello")
        .chunk(" wor")
        .chunk("ld");
    let exchange = stream.exchange(request, FakeMessage::response(200).chunk("ok"));

    let upstream = exchange.upstream.expect("request went upstream");
    assert_eq!(upstream.body(), b"HELLO WORLD");
    assert_eq!(upstream.header_str("content-length"), Some("11"));
    assert_eq!(upstream.header_count("content-length"), 1);
    assert_eq!(exchange.downstream.expect("response passed").body(), b"ok");
    assert!(exchange.local_reply.is_none());
    assert_eq!(stream.host().counter("requests", &["upcase"]), 1);
}

#[test]
fn exchange_stops_at_a_local_reply() {
    let (filter, _ctx) = upcase();
    let mut stream = FakeStream::new(filter);
    let exchange = stream.exchange(FakeMessage::request("GET", "/"), FakeMessage::response(200));
    assert!(exchange.upstream.is_none());
    assert!(exchange.downstream.is_none());
    let reply = exchange.local_reply.expect("401");
    assert_eq!(reply.status, 401);
    assert_eq!(reply.details.as_deref(), Some("no_auth"));
}

#[test]
fn exchange_goes_through_the_panic_guard() {
    let (filter, _ctx) = upcase();
    let mut stream = FakeStream::new(filter);
    let request = FakeMessage::request("GET", "/")
        .header("authorization", "t")
        .header("x-explode", "1");
    let exchange = stream.exchange(request, FakeMessage::response(200));
    let reply = exchange.local_reply.expect("fail-closed 500");
    assert_eq!(
        (reply.status, reply.details.as_deref()),
        (500, Some(PANIC_DETAILS))
    );
    assert!(exchange.upstream.is_none());
}

#[test]
fn metrics_without_adopted_definitions_are_not_found() {
    let (filter, _ctx) = upcase();
    let mut stream = FakeStream::new(filter);
    stream
        .host_mut()
        .set_header(HeaderMap::RequestHeaders, "authorization", b"t");
    stream.request_headers(true);
    assert_eq!(stream.host().counter("requests", &["upcase"]), 0);
}

#[test]
fn labels_must_match_the_definition() {
    let (filter, ctx) = upcase();
    let mut host = FakeHttpHost::new().with_metrics(&ctx);
    let error = host
        .increment_counter(filter.requests, &[], 1)
        .expect_err("one label defined");
    assert_eq!(
        error,
        crate::MetricError::LabelCount {
            expected: 1,
            got: 0
        }
    );
}

/// Reads its per-route config and schedules work.
struct RouteAware;

impl HttpFilter for RouteAware {
    fn on_request_headers(&mut self, host: &mut dyn HttpHost, _eos: bool) -> HeadersStatus {
        let greeting = host
            .route_config::<String>()
            .cloned()
            .unwrap_or_else(|| "default".to_owned());
        host.set_header(HeaderMap::RequestHeaders, "x-greeting", greeting.as_bytes());
        host.new_scheduler().commit(9);
        HeadersStatus::StopIteration
    }

    fn on_scheduled(&mut self, host: &mut dyn HttpHost, event_id: u64) {
        host.set_header(
            HeaderMap::RequestHeaders,
            "x-event",
            event_id.to_string().as_bytes(),
        );
        host.continue_request();
    }
}

#[test]
fn route_config_and_scheduler_round_trip() {
    let host = FakeHttpHost::new().with_route_config(RouteConfig::new("from route".to_owned()));
    let mut stream = FakeStream::with_host(RouteAware, host);
    assert_eq!(stream.request_headers(true), HeadersStatus::StopIteration);
    let events = stream.host().take_scheduled();
    assert_eq!(events, [9]);
    for event in events {
        stream.scheduled(event);
    }
    let host = stream.host();
    assert_eq!(
        host.header_str(HeaderMap::RequestHeaders, "x-greeting"),
        Some("from route")
    );
    assert_eq!(
        host.header_str(HeaderMap::RequestHeaders, "x-event"),
        Some("9")
    );
    assert_eq!(host.continued(Direction::Request), 1);
}

#[test]
fn fake_headers_behave_like_envoy_maps() {
    let mut host = FakeHttpHost::new()
        .with_request_header("X-Multi", "a")
        .with_request_header("x-multi", "b");
    let map = HeaderMap::RequestHeaders;
    assert_eq!(
        host.header_values(map, "x-multi"),
        [b"a".as_slice(), b"b".as_slice()]
    );
    host.set_header(map, "x-multi", b"c");
    assert_eq!(host.header_values(map, "X-MULTI"), [b"c".as_slice()]);
    host.remove_header(map, "x-multi");
    assert_eq!(host.header_count(map, "x-multi"), 0);
}
