use super::*;
use crate::clock::ManualClock;
use core::time::Duration;
use dynagate_sdk::testing::{FakeConfigContext, FakeHttpHost, LocalReply};

const ROUTE_LIMIT: &str = r#"{"attachment": "HTTPRoute/ns/echo",
    "local": {"tokenBucket": {"maxTokens": 2, "fillInterval": "10s"}}}"#;

struct Harness {
    factory: RateLimitFactory,
    clock: Arc<ManualClock>,
    ctx: FakeConfigContext,
    config: RateLimitConfig,
}

impl Harness {
    fn new(listener: &str) -> Self {
        let clock = Arc::new(ManualClock::new(Nanos(1_000)));
        let factory = RateLimitFactory::with_clock(BucketRegistry::default(), clock.clone());
        let mut ctx = FakeConfigContext::new();
        let config = factory.new_config(listener, &mut ctx).unwrap();
        Self {
            factory,
            clock,
            ctx,
            config,
        }
    }

    fn policy(&self, json: &str) -> RateLimitPolicy {
        self.factory.compile(json).unwrap()
    }

    /// Runs one request (and, if it went upstream, its response) through a new stream.
    fn request(&self, route: Option<&RateLimitPolicy>, host: FakeHttpHost) -> FakeHttpHost {
        let mut host = host.with_metrics(&self.ctx);
        if let Some(policy) = route {
            host = host.with_route_config(RouteConfig::new(policy.clone()));
        }
        let mut filter = self.config.new_filter();
        let status = filter.on_request_headers(&mut host, true);
        if status == HeadersStatus::Continue {
            host.set_header(HeaderMap::ResponseHeaders, ":status", b"200");
            assert_eq!(
                filter.on_response_headers(&mut host, true),
                HeadersStatus::Continue
            );
        } else {
            assert_eq!(status, HeadersStatus::StopIteration);
        }
        host
    }

    fn counter(&self, host: &FakeHttpHost, name: &str) -> u64 {
        host.counter(name, &[])
    }
}

fn only_reply(host: &FakeHttpHost) -> &LocalReply {
    match host.local_replies() {
        [reply] => reply,
        other => panic!("expected one local reply, got {other:?}"),
    }
}

fn header<'a>(reply: &'a LocalReply, name: &str) -> Option<&'a str> {
    reply
        .headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| core::str::from_utf8(v).unwrap())
}

#[test]
fn the_listener_defines_the_three_counters() {
    let harness = Harness::new("");
    let names: Vec<&str> = harness
        .ctx
        .metric_defs()
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(
        names,
        [ALLOWED_COUNTER, LIMITED_COUNTER, NOT_ENFORCED_COUNTER]
    );
}

#[test]
fn requests_without_a_policy_pass_untouched() {
    let harness = Harness::new("{}");
    let host = harness.request(None, FakeHttpHost::new());
    assert!(host.local_replies().is_empty());
    assert_eq!(harness.counter(&host, ALLOWED_COUNTER), 0);
    assert_eq!(host.response_header("x-ratelimit-limit"), None);
}

#[test]
fn over_the_limit_answers_429_like_envoy() {
    let harness = Harness::new("");
    let policy = harness.policy(ROUTE_LIMIT);
    for _ in 0..2 {
        let host = harness.request(Some(&policy), FakeHttpHost::new());
        assert!(host.local_replies().is_empty());
        assert_eq!(harness.counter(&host, ALLOWED_COUNTER), 1);
    }
    harness.clock.advance(Duration::from_millis(2_500));
    let host = harness.request(Some(&policy), FakeHttpHost::new());
    let reply = only_reply(&host);
    assert_eq!(reply.status, 429);
    assert_eq!(reply.body, b"local_rate_limited");
    assert_eq!(reply.details.as_deref(), Some("local_rate_limited"));
    // The fill lands 10s after the first token: 7.5s away, so retry after 8.
    assert_eq!(header(reply, "retry-after"), Some("8"));
    assert_eq!(
        header(reply, "x-ratelimit-limit"),
        None,
        "headers are off by default"
    );
    assert_eq!(harness.counter(&host, LIMITED_COUNTER), 1);
    assert_eq!(harness.counter(&host, ALLOWED_COUNTER), 0);
}

#[test]
fn draft_03_headers_on_allowed_and_limited_responses() {
    let harness = Harness::new("");
    let policy = harness.policy(
        r#"{"attachment": "HTTPRoute/ns/echo", "xRateLimitHeaders": "DraftVersion03",
            "local": {"tokenBucket": {"maxTokens": 2, "fillInterval": "10s"}}}"#,
    );
    let first = harness.request(Some(&policy), FakeHttpHost::new());
    assert_eq!(first.response_header("x-ratelimit-limit"), Some(&b"2"[..]));
    assert_eq!(
        first.response_header("x-ratelimit-remaining"),
        Some(&b"1"[..])
    );
    assert_eq!(first.response_header("x-ratelimit-reset"), Some(&b"10"[..]));
    harness.request(Some(&policy), FakeHttpHost::new());
    harness.clock.advance(Duration::from_secs(3));
    let limited = harness.request(Some(&policy), FakeHttpHost::new());
    let reply = only_reply(&limited);
    assert_eq!(header(reply, "x-ratelimit-limit"), Some("2"));
    assert_eq!(header(reply, "x-ratelimit-remaining"), Some("0"));
    assert_eq!(header(reply, "x-ratelimit-reset"), Some("7"));
    assert_eq!(header(reply, "retry-after"), Some("7"));
}

#[test]
fn not_enforced_limits_are_counted_and_pass() {
    let harness = Harness::new("");
    let policy = harness.policy(
        r#"{"attachment": "HTTPRoute/ns/echo", "xRateLimitHeaders": "DraftVersion03",
            "local": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "percentEnforced": 0}}"#,
    );
    harness.request(Some(&policy), FakeHttpHost::new());
    let host = harness.request(Some(&policy), FakeHttpHost::new());
    assert!(host.local_replies().is_empty());
    assert_eq!(harness.counter(&host, NOT_ENFORCED_COUNTER), 1);
    assert_eq!(
        host.response_header("x-ratelimit-remaining"),
        Some(&b"0"[..])
    );
}

#[test]
fn a_route_with_local_empty_escapes_the_listener_default() {
    let gateway = r#"{"attachment": "Gateway/ns/gw",
        "local": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1h"}}}"#;
    let harness = Harness::new(gateway);
    let exempt = harness.policy(r#"{"attachment": "HTTPRoute/ns/free", "local": {}}"#);
    assert!(
        harness
            .request(None, FakeHttpHost::new())
            .local_replies()
            .is_empty()
    );
    assert_eq!(
        only_reply(&harness.request(None, FakeHttpHost::new())).status,
        429
    );
    for _ in 0..5 {
        let host = harness.request(Some(&exempt), FakeHttpHost::new());
        assert!(host.local_replies().is_empty());
    }
}

#[test]
fn remote_address_descriptors_read_the_client_ip() {
    let harness = Harness::new("");
    let policy = harness.policy(
        r#"{"attachment": "HTTPRoute/ns/echo", "local": {"descriptors": [
            {"entries": [{"type": "RemoteAddress"}], "tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}}]}}"#,
    );
    let from = |address: &str| {
        FakeHttpHost::new().with_attribute_string(AttributeId::SOURCE_ADDRESS, address)
    };
    assert!(
        harness
            .request(Some(&policy), from("10.0.0.1:5000"))
            .local_replies()
            .is_empty()
    );
    // Another connection of the same client: same bucket.
    assert_eq!(
        only_reply(&harness.request(Some(&policy), from("10.0.0.1:5001"))).status,
        429
    );
    assert!(
        harness
            .request(Some(&policy), from("10.0.0.2:5000"))
            .local_replies()
            .is_empty()
    );
}

#[test]
fn header_descriptors_read_request_headers() {
    let harness = Harness::new("");
    let policy = harness.policy(
        r#"{"attachment": "HTTPRoute/ns/echo", "local": {"descriptors": [
            {"entries": [{"type": "Header", "header": "x-api-key"}, {"type": "Path"}],
             "tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}}]}}"#,
    );
    let request = |key: &str, path: &str| {
        FakeHttpHost::new()
            .with_request_header("x-api-key", key)
            .with_request_header(":path", path)
    };
    assert!(
        harness
            .request(Some(&policy), request("k1", "/a"))
            .local_replies()
            .is_empty()
    );
    assert_eq!(
        only_reply(&harness.request(Some(&policy), request("k1", "/a"))).status,
        429
    );
    assert!(
        harness
            .request(Some(&policy), request("k1", "/b"))
            .local_replies()
            .is_empty()
    );
    assert!(
        harness
            .request(Some(&policy), request("k2", "/a"))
            .local_replies()
            .is_empty()
    );
}

#[test]
fn bad_configs_are_rejected_with_the_key_named() {
    let harness = Harness::new("");
    for (json, key) in [
        (
            r#"{"attachment": "a", "local": {"tokenBucket": {"maxTokens": 1, "fillInterval": "10ms"}}}"#,
            "fillInterval",
        ),
        (
            r#"{"attachment": "a", "local": {"percentEnabled": 120}}"#,
            "percentEnabled",
        ),
        (
            r#"{"attachment": "a", "local": {"tokenBuckett": {}}}"#,
            "tokenBuckett",
        ),
        (r#"{"local": {}}"#, "attachment"),
    ] {
        let error = match harness.factory.new_route_config(json) {
            Ok(_) => panic!("{json} should be rejected"),
            Err(error) => error.to_string(),
        };
        assert!(error.contains(key), "{json}: {error}");
    }
    let mut ctx = FakeConfigContext::new();
    assert!(
        harness
            .factory
            .new_config(r#"{"bogus": 1}"#, &mut ctx)
            .is_err()
    );
}

#[test]
fn a_route_config_push_keeps_the_bucket() {
    let harness = Harness::new("");
    let before = harness.policy(ROUTE_LIMIT);
    harness.request(Some(&before), FakeHttpHost::new());
    let after = harness.factory.new_route_config(ROUTE_LIMIT).unwrap();
    drop(before);
    let after = after.downcast_ref::<RateLimitPolicy>().unwrap().clone();
    harness.request(Some(&after), FakeHttpHost::new());
    let host = harness.request(Some(&after), FakeHttpHost::new());
    assert_eq!(
        only_reply(&host).status,
        429,
        "the push must not refill the bucket"
    );
}
