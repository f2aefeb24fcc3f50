use super::*;
use std::collections::VecDeque;

const SECOND: u64 = 1_000_000_000;

/// A request with the values descriptors read.
#[derive(Default)]
struct Request {
    headers: Vec<(&'static str, &'static str)>,
    path: Option<&'static str>,
    remote: Option<&'static str>,
}

impl RequestFacts for Request {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_bytes())
    }
    fn path(&self) -> Option<&[u8]> {
        self.path.map(str::as_bytes)
    }
    fn remote_address(&self) -> Option<&[u8]> {
        self.remote.map(str::as_bytes)
    }
}

fn user(name: &'static str) -> Request {
    Request {
        headers: vec![("x-user", name)],
        ..Request::default()
    }
}

/// Rolls from a script; panics if the policy rolls more than the test expects.
struct Script(VecDeque<u32>);

impl PercentDice for Script {
    fn roll(&mut self) -> u32 {
        self.0.pop_front().expect("an unexpected roll")
    }
}

fn no_rolls() -> Script {
    Script(VecDeque::new())
}

fn compile(local: &str, registry: &BucketRegistry) -> RateLimitPolicy {
    let json = format!(r#"{{"attachment": "HTTPRoute/ns/route", "local": {local}}}"#);
    let config = RateLimitFilterConfig::from_json(&json).unwrap();
    RateLimitPolicy::compile(&config, registry).unwrap()
}

fn admitted(decision: Decision) -> bool {
    matches!(decision, Decision::Allowed(_))
}

#[test]
fn empty_local_disables() {
    let policy = compile("{}", &BucketRegistry::default());
    assert!(policy.is_disabled());
    for _ in 0..100 {
        assert_eq!(
            policy.check(&Request::default(), Nanos(0), &mut no_rolls()),
            Decision::Skipped
        );
    }
}

#[test]
fn the_policy_bucket_admits_then_limits_with_quota() {
    let policy = compile(
        r#"{"tokenBucket": {"maxTokens": 2, "fillInterval": "1s"}}"#,
        &BucketRegistry::default(),
    );
    let now = Nanos(3 * SECOND);
    let request = Request::default();
    let next_fill = Nanos(4 * SECOND);
    for remaining in [1, 0] {
        assert_eq!(
            policy.check(&request, now, &mut no_rolls()),
            Decision::Allowed(Quota {
                limit: 2,
                remaining,
                next_fill
            })
        );
    }
    assert_eq!(
        policy.check(&request, now, &mut no_rolls()),
        Decision::Limited {
            quota: Quota {
                limit: 2,
                remaining: 0,
                next_fill
            },
            enforced: true
        }
    );
    assert!(admitted(policy.check(&request, next_fill, &mut no_rolls())));
}

#[test]
fn percent_enforced_lets_some_limited_requests_through() {
    let policy = compile(
        r#"{"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "percentEnforced": 40}"#,
        &BucketRegistry::default(),
    );
    let request = Request::default();
    assert!(admitted(policy.check(&request, Nanos(0), &mut no_rolls())));
    let enforced =
        |roll| match policy.check(&request, Nanos(0), &mut Script(VecDeque::from([roll]))) {
            Decision::Limited { enforced, .. } => enforced,
            other => panic!("expected a limit, got {other:?}"),
        };
    assert!(enforced(39));
    assert!(!enforced(40));
    let never = compile(
        r#"{"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "percentEnforced": 0}"#,
        &BucketRegistry::new(16),
    );
    never.check(&request, Nanos(0), &mut no_rolls());
    assert!(matches!(
        never.check(&request, Nanos(0), &mut no_rolls()),
        Decision::Limited {
            enforced: false,
            ..
        }
    ));
}

#[test]
fn percent_enabled_skips_requests_without_spending_tokens() {
    let policy = compile(
        r#"{"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "percentEnabled": 25}"#,
        &BucketRegistry::default(),
    );
    let request = Request::default();
    let mut rolls = Script(VecDeque::from([25, 99, 50, 24, 0]));
    for _ in 0..3 {
        assert_eq!(
            policy.check(&request, Nanos(0), &mut rolls),
            Decision::Skipped
        );
    }
    assert!(admitted(policy.check(&request, Nanos(0), &mut rolls)));
    assert!(matches!(
        policy.check(&request, Nanos(0), &mut rolls),
        Decision::Limited { .. }
    ));
    let off = compile(
        r#"{"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "percentEnabled": 0}"#,
        &BucketRegistry::default(),
    );
    assert!(!off.is_disabled());
    for _ in 0..10 {
        assert_eq!(
            off.check(&request, Nanos(0), &mut no_rolls()),
            Decision::Skipped
        );
    }
}

const PER_USER: &str = r#"{"tokenBucket": {"maxTokens": 100, "fillInterval": "1s"},
    "descriptors": [{"entries": [{"type": "Header", "header": "X-User"}],
                     "tokenBucket": {"maxTokens": 2, "fillInterval": "1s"}}]}"#;

#[test]
fn header_descriptors_give_each_value_its_bucket() {
    let policy = compile(PER_USER, &BucketRegistry::default());
    let now = Nanos(0);
    for _ in 0..2 {
        assert!(admitted(policy.check(&user("alice"), now, &mut no_rolls())));
    }
    assert!(!admitted(policy.check(
        &user("alice"),
        now,
        &mut no_rolls()
    )));
    assert!(admitted(policy.check(&user("bob"), now, &mut no_rolls())));
    // Without the header the descriptor does not apply; only the policy bucket counts.
    for _ in 0..10 {
        assert!(admitted(policy.check(
            &Request::default(),
            now,
            &mut no_rolls()
        )));
    }
}

#[test]
fn the_tightest_bucket_is_reported() {
    let policy = compile(PER_USER, &BucketRegistry::default());
    assert_eq!(
        policy.check(&user("alice"), Nanos(0), &mut no_rolls()),
        Decision::Allowed(Quota {
            limit: 2,
            remaining: 1,
            next_fill: Nanos(SECOND)
        })
    );
    assert_eq!(
        policy.check(&Request::default(), Nanos(0), &mut no_rolls()),
        Decision::Allowed(Quota {
            limit: 100,
            remaining: 98,
            next_fill: Nanos(SECOND)
        })
    );
}

#[test]
fn a_denied_request_costs_the_other_buckets_nothing() {
    // alice may send 2 per second, everybody together 1 per second.
    let policy = compile(
        r#"{"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"},
            "descriptors": [{"entries": [{"type": "Header", "header": "x-user"}],
                             "tokenBucket": {"maxTokens": 2, "fillInterval": "10s"}}]}"#,
        &BucketRegistry::default(),
    );
    assert!(admitted(policy.check(
        &user("alice"),
        Nanos(0),
        &mut no_rolls()
    )));
    // The shared bucket is empty: alice's token for this request is given back.
    assert!(!admitted(policy.check(
        &user("alice"),
        Nanos(0),
        &mut no_rolls()
    )));
    assert!(admitted(policy.check(
        &user("alice"),
        Nanos(SECOND),
        &mut no_rolls()
    )));
    // Now alice's own bucket (no fill for 10s) is empty.
    assert!(!admitted(policy.check(
        &user("alice"),
        Nanos(2 * SECOND),
        &mut no_rolls()
    )));
}

#[test]
fn address_path_and_combined_descriptors_key_by_all_values() {
    let policy = compile(
        r#"{"descriptors": [
            {"entries": [{"type": "RemoteAddress"}, {"type": "Path"}, {"key": "tier", "value": "free"}],
             "tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}}]}"#,
        &BucketRegistry::default(),
    );
    let request = |remote, path| Request {
        remote: Some(remote),
        path: Some(path),
        ..Request::default()
    };
    let now = Nanos(0);
    assert!(admitted(policy.check(
        &request("10.0.0.1", "/a"),
        now,
        &mut no_rolls()
    )));
    assert!(!admitted(policy.check(
        &request("10.0.0.1", "/a"),
        now,
        &mut no_rolls()
    )));
    assert!(admitted(policy.check(
        &request("10.0.0.1", "/b"),
        now,
        &mut no_rolls()
    )));
    assert!(admitted(policy.check(
        &request("10.0.0.2", "/a"),
        now,
        &mut no_rolls()
    )));
    // Values are length-prefixed: ("10.0.0.1", "/a") is not ("10.0.0.1/", "a").
    assert!(admitted(policy.check(
        &request("10.0.0.1/", "a"),
        now,
        &mut no_rolls()
    )));
    // No descriptor applies without a path: nothing limits the request.
    let no_path = Request {
        remote: Some("10.0.0.1"),
        ..Request::default()
    };
    assert_eq!(
        policy.check(&no_path, now, &mut no_rolls()),
        Decision::Skipped
    );
}

#[test]
fn a_push_of_the_same_limit_keeps_the_buckets() {
    let registry = BucketRegistry::default();
    let before = compile(PER_USER, &registry);
    assert!(admitted(before.check(
        &user("alice"),
        Nanos(0),
        &mut no_rolls()
    )));
    // The new config (here with headers turned on) compiles while the old one is live.
    let json = format!(
        r#"{{"attachment": "HTTPRoute/ns/route", "local": {PER_USER}, "xRateLimitHeaders": "DraftVersion03"}}"#
    );
    let after =
        RateLimitPolicy::compile(&RateLimitFilterConfig::from_json(&json).unwrap(), &registry)
            .unwrap();
    drop(before);
    assert!(after.sends_rate_limit_headers());
    assert!(admitted(after.check(
        &user("alice"),
        Nanos(0),
        &mut no_rolls()
    )));
    assert!(!admitted(after.check(
        &user("alice"),
        Nanos(0),
        &mut no_rolls()
    )));
}
