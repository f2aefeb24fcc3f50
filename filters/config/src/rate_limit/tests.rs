use super::*;
use core::time::Duration;

fn parse(json: &str) -> Result<RateLimitFilterConfig, RateLimitConfigError> {
    RateLimitFilterConfig::from_json(json)
}

fn with_local(local: &str) -> String {
    format!(r#"{{"attachment": "HTTPRoute/default/echo", "local": {local}}}"#)
}

fn error_text(json: &str) -> String {
    match parse(json) {
        Ok(config) => panic!("expected an error, parsed {config:?}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn parses_kgateway_token_bucket() {
    let config = parse(&with_local(
        r#"{"tokenBucket": {"maxTokens": 5, "tokensPerFill": 2, "fillInterval": "1m30s"},
            "percentEnabled": 80, "percentEnforced": 0}"#,
    ))
    .unwrap();
    let bucket = config.local.token_bucket.as_ref().unwrap();
    assert_eq!(bucket.max_tokens, 5);
    assert_eq!(bucket.tokens_per_fill(), 2);
    assert_eq!(bucket.fill_interval.duration(), Duration::from_secs(90));
    assert_eq!(config.local.percent_enabled(), 80);
    assert_eq!(config.local.percent_enforced(), 0);
    assert_eq!(config.x_rate_limit_headers, XRateLimitHeaders::Off);
    assert!(!config.local.is_disabled());
}

#[test]
fn defaults_apply() {
    let config = parse(&with_local(
        r#"{"tokenBucket": {"maxTokens": 1, "fillInterval": "50ms"}}"#,
    ))
    .unwrap();
    let bucket = config.local.token_bucket.as_ref().unwrap();
    assert_eq!(bucket.tokens_per_fill(), 1);
    assert_eq!(config.local.percent_enabled, None);
    assert_eq!(config.local.percent_enabled(), 100);
    assert_eq!(config.local.percent_enforced(), 100);
}

#[test]
fn empty_local_is_disabled() {
    let config = parse(&with_local("{}")).unwrap();
    assert!(config.local.is_disabled());
}

#[test]
fn durations_follow_kgateway_grammar() {
    for (text, expected) in [
        ("50ms", Duration::from_millis(50)),
        ("1s", Duration::from_secs(1)),
        ("2m", Duration::from_secs(120)),
        ("1h", Duration::from_secs(3600)),
        ("1h2m3s4ms", Duration::from_millis(3_723_004)),
        ("1s500ms", Duration::from_millis(1500)),
        ("99999ms", Duration::from_millis(99_999)),
    ] {
        assert_eq!(
            FillInterval::parse(text).map(|i| i.duration()),
            Ok(expected),
            "{text}"
        );
    }
    for text in [
        "",
        "1",
        "s",
        "1.5s",
        "100us",
        "1d",
        "-1s",
        "123456ms",
        "1s1s1s1s1s",
        " 1s",
        "1S",
    ] {
        assert!(FillInterval::parse(text).is_err(), "{text:?} should fail");
    }
}

#[test]
fn fill_interval_below_50ms_is_rejected_naming_the_key() {
    let text = error_text(&with_local(
        r#"{"tokenBucket": {"maxTokens": 1, "fillInterval": "49ms"}}"#,
    ));
    assert!(
        text.contains("fillInterval: must be at least 50ms"),
        "{text}"
    );
}

#[test]
fn bad_values_name_their_key() {
    for (local, key) in [
        (
            r#"{"tokenBucket": {"maxTokens": 0, "fillInterval": "1s"}}"#,
            "maxTokens",
        ),
        (
            r#"{"tokenBucket": {"maxTokens": -3, "fillInterval": "1s"}}"#,
            "maxTokens",
        ),
        (
            r#"{"tokenBucket": {"maxTokens": "ten", "fillInterval": "1s"}}"#,
            "maxTokens",
        ),
        (
            r#"{"tokenBucket": {"maxTokens": 2147483648, "fillInterval": "1s"}}"#,
            "maxTokens",
        ),
        (
            r#"{"tokenBucket": {"maxTokens": 1, "tokensPerFill": 0, "fillInterval": "1s"}}"#,
            "tokensPerFill",
        ),
        (
            r#"{"tokenBucket": {"maxTokens": 1, "fillInterval": 5}}"#,
            "fillInterval",
        ),
        (
            r#"{"tokenBucket": {"maxTokens": 1, "fillInterval": "fast"}}"#,
            "fillInterval",
        ),
        (r#"{"percentEnabled": 101}"#, "percentEnabled"),
        (r#"{"percentEnforced": -1}"#, "percentEnforced"),
        (r#"{"tokenBucket": {"fillInterval": "1s"}}"#, "maxTokens"),
        (r#"{"tokenBucket": {"maxTokens": 1}}"#, "fillInterval"),
    ] {
        let text = error_text(&with_local(local));
        assert!(text.contains(key), "{local}: {text}");
    }
}

#[test]
fn unknown_keys_are_named() {
    for (json, key) in [
        (with_local(r#"{"tokenBuckets": {}}"#), "tokenBuckets"),
        (
            with_local(r#"{"tokenBucket": {"maxTokens": 1, "fillInterval": "1s", "burst": 3}}"#),
            "burst",
        ),
        (
            r#"{"attachment": "a", "local": {}, "headers": true}"#.to_owned(),
            "headers",
        ),
        (
            with_local(
                r#"{"descriptors": [{"entries": [{"key": "k", "value": "v", "extra": 1}],
                    "tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}}]}"#,
            ),
            "extra",
        ),
    ] {
        let text = error_text(&json);
        assert!(text.contains(&format!("`{key}`")), "{json}: {text}");
    }
}

#[test]
fn attachment_is_required_and_not_blank() {
    assert!(error_text(r#"{"local": {}}"#).contains("attachment"));
    assert!(error_text(r#"{"attachment": " ", "local": {}}"#).contains("attachment"));
}

fn descriptors(entries: &str) -> String {
    with_local(&format!(
        r#"{{"descriptors": [{{"entries": {entries},
            "tokenBucket": {{"maxTokens": 3, "fillInterval": "1s"}}}}]}}"#
    ))
}

#[test]
fn descriptor_entries_accept_both_spellings() {
    let config = parse(&descriptors(
        r#"[{"key": "tier", "value": "gold"},
            {"type": "Generic", "generic": {"key": "k", "value": "v"}},
            {"type": "Header", "header": "X-User"},
            {"type": "RemoteAddress"},
            {"type": "Path"}]"#,
    ))
    .unwrap();
    let entries = &config.local.descriptors[0].entries;
    assert_eq!(
        entries,
        &[
            DescriptorEntry::Generic(GenericDescriptorEntry {
                key: "tier".into(),
                value: "gold".into()
            }),
            DescriptorEntry::Generic(GenericDescriptorEntry {
                key: "k".into(),
                value: "v".into()
            }),
            DescriptorEntry::Header("x-user".into()),
            DescriptorEntry::RemoteAddress,
            DescriptorEntry::Path,
        ]
    );
    assert_eq!(entries.iter().filter(|e| e.is_request_derived()).count(), 3);
}

#[test]
fn malformed_descriptor_entries_are_rejected() {
    for (entries, needle) in [
        ("[]", "at least one entry"),
        (r#"[{"key": "k"}]"#, "`key` and `value`"),
        (r#"[{"key": "k", "value": ""}]"#, "must not be empty"),
        (r#"[{"type": "Header"}]"#, "needs `header`"),
        (r#"[{"type": "Generic"}]"#, "needs `generic`"),
        (
            r#"[{"type": "Path", "header": "x"}]"#,
            "`header` is not allowed",
        ),
        (
            r#"[{"type": "RemoteAddress", "generic": {"key": "k", "value": "v"}}]"#,
            "`generic` is not allowed",
        ),
        (
            r#"[{"type": "Header", "header": "x", "key": "k"}]"#,
            "cannot be combined",
        ),
        (r#"[{"header": "x"}]"#, "need `type`"),
        (
            r#"[{"type": "Header", "header": "bad header"}]"#,
            "not a header name",
        ),
        (r#"[{"type": "Cookie"}]"#, "Cookie"),
    ] {
        let text = error_text(&descriptors(entries));
        assert!(text.contains(needle), "{entries}: {text}");
    }
}

#[test]
fn duplicate_descriptors_are_rejected() {
    let json = with_local(
        r#"{"descriptors": [
            {"entries": [{"type": "RemoteAddress"}], "tokenBucket": {"maxTokens": 3, "fillInterval": "1s"}},
            {"entries": [{"type": "RemoteAddress"}], "tokenBucket": {"maxTokens": 9, "fillInterval": "1s"}}]}"#,
    );
    assert!(error_text(&json).contains("local.descriptors[1]"));
}

#[test]
fn json_round_trips() {
    let json = with_local(
        r#"{"tokenBucket": {"maxTokens": 5, "fillInterval": "1m30s"}, "percentEnforced": 50,
            "descriptors": [{"entries": [{"key": "a", "value": "b"}, {"type": "Header", "header": "x-user"}],
                             "tokenBucket": {"maxTokens": 2, "tokensPerFill": 2, "fillInterval": "100ms"}}]}"#,
    );
    let config = parse(&json).unwrap();
    let again = parse(&config.to_json()).unwrap();
    assert_eq!(config, again);
    assert!(config.to_json().contains(r#""fillInterval":"1m30s""#));
    let with_headers = RateLimitFilterConfig {
        x_rate_limit_headers: XRateLimitHeaders::DraftVersion03,
        ..config
    };
    assert!(
        with_headers
            .to_json()
            .contains(r#""xRateLimitHeaders":"DraftVersion03""#)
    );
    assert_eq!(parse(&with_headers.to_json()).unwrap(), with_headers);
}

#[test]
fn equal_durations_compare_equal() {
    let a = FillInterval::parse("60s").unwrap();
    let b = FillInterval::parse("1m").unwrap();
    assert_eq!(a, b);
    assert_eq!(a.as_str(), "60s");
}

#[cfg(feature = "schema")]
#[test]
fn schema_describes_entries_as_users_write_them() {
    let schema = serde_json::to_value(schemars::schema_for!(LocalRateLimitPolicy)).unwrap();
    let text = schema.to_string();
    for property in [
        "\"header\"",
        "\"generic\"",
        "\"key\"",
        "\"RemoteAddress\"",
        "\"pattern\"",
    ] {
        assert!(text.contains(property), "{property} missing from {text}");
    }
}
