//! The pure template functions, called directly with template values.

use minijinja::Value;

use super::*;

fn v(text: &str) -> Value {
    Value::from(text)
}

#[test]
fn text_of_values() {
    assert_eq!(text(None), "");
    assert_eq!(text(Some(&Value::UNDEFINED)), "");
    assert_eq!(text(Some(&Value::from(()))), "");
    assert_eq!(text(Some(&v("héllo"))), "héllo");
    assert_eq!(text(Some(&Value::from(42))), "42");
    assert_eq!(text(Some(&Value::from(true))), "true");
    assert_eq!(
        text(Some(&Value::from_bytes(b"ab\xff".to_vec()))),
        "ab\u{fffd}"
    );
}

#[test]
fn base64_round_trips_standard_and_url_safe() {
    assert_eq!(
        base64_encode(Some(&v("base64 encode in request header"))),
        "YmFzZTY0IGVuY29kZSBpbiByZXF1ZXN0IGhlYWRlcg=="
    );
    assert_eq!(
        base64_decode(Some(&v("YmFzZTY0IGVuY29kZSBpbiByZXF1ZXN0IGhlYWRlcg=="))),
        "base64 encode in request header"
    );
    // 0xfb 0xff encodes to characters that differ between the alphabets.
    let bytes = Value::from_bytes(vec![0xfb, 0xff]);
    assert_eq!(base64_encode(Some(&Value::from("\u{fbff}"))), "76+/");
    assert_eq!(base64url_encode(Some(&Value::from("\u{fbff}"))), "76-_");
    assert_eq!(base64url_decode(Some(&v("76-_"))), "\u{fbff}");
    assert_eq!(
        base64_encode(Some(&bytes)),
        STANDARD.encode("\u{fffd}\u{fffd}")
    );
    assert_eq!(base64_encode(Some(&v("ü"))), "w7w=");
    assert_eq!(base64_decode(Some(&v("w7w="))), "ü");
}

#[test]
fn base64_decode_of_invalid_input_is_empty() {
    assert_eq!(base64_decode(Some(&v("not base64!"))), "");
    // Standard decoding wants canonical padding, like Envoy and kgateway.
    assert_eq!(base64_decode(Some(&v("w7w"))), "");
    // Valid base64 of bytes that are not UTF-8.
    assert_eq!(base64_decode(Some(&v("//79"))), "");
    assert_eq!(base64_decode(None), "");
}

#[test]
fn base64url_decode_accepts_missing_padding() {
    assert_eq!(base64url_decode(Some(&v("w7w"))), "ü");
    assert_eq!(base64url_decode(Some(&v("w7w="))), "ü");
    assert_eq!(base64url_decode(Some(&v("w7w+"))), "");
}

#[test]
fn substring_follows_kgateway_rules() {
    let s = v("ENVOYPROXY something");
    let sub = |start: Option<Value>, len: Option<Value>| {
        substring(Some(&s), start.as_ref(), len.as_ref())
    };
    assert_eq!(sub(Some(Value::from(5)), Some(Value::from(5))), "PROXY");
    assert_eq!(sub(Some(Value::from(5)), None), "PROXY something");
    // Length not positive or running past the end: to the end.
    assert_eq!(
        sub(Some(Value::from(5)), Some(Value::from(0))),
        "PROXY something"
    );
    assert_eq!(
        sub(Some(Value::from(5)), Some(Value::from(-3))),
        "PROXY something"
    );
    assert_eq!(sub(Some(Value::from(16)), Some(Value::from(100))), "hing");
    // Start negative, past the end, or not an integer: empty.
    assert_eq!(sub(Some(Value::from(-1)), None), "");
    assert_eq!(sub(Some(Value::from(20)), None), "");
    assert_eq!(sub(Some(v("1")), None), "");
    assert_eq!(sub(Some(Value::from(1.5)), None), "");
    assert_eq!(sub(None, None), "");
    assert_eq!(sub(Some(Value::from(0)), Some(v("x"))), "");
}

#[test]
fn substring_counts_characters_not_bytes() {
    let s = v("héllo wörld");
    assert_eq!(
        substring(Some(&s), Some(&Value::from(1)), Some(&Value::from(4))),
        "éllo"
    );
    assert_eq!(substring(Some(&s), Some(&Value::from(7)), None), "örld");
    assert_eq!(
        substring(
            Some(&v("日本語")),
            Some(&Value::from(2)),
            Some(&Value::from(1))
        ),
        "語"
    );
}

#[test]
fn trim_strips_ascii_whitespace_only() {
    assert_eq!(trim(Some(&v(" \t\r\n\x0b\x0c foo bar \n"))), "foo bar");
    assert_eq!(trim(Some(&v("\u{a0}x\u{a0}"))), "\u{a0}x\u{a0}");
    assert_eq!(trim(Some(&Value::from(7))), "7");
}

#[test]
fn replace_with_string_is_literal_and_ignores_empty_patterns() {
    let replace =
        |s: &str, p: &str, r: &str| replace_with_string(Some(&v(s)), Some(&v(p)), Some(&v(r)));
    assert_eq!(replace("to be or not to be", "to", "2"), "2 be or not 2 be");
    assert_eq!(replace("a.b.c", ".", "*"), "a*b*c");
    assert_eq!(replace("abc", "", "x"), "abc");
    assert_eq!(replace("Bearer sk-123", "sk-123", ""), "Bearer ");
}

#[test]
fn raw_string_escapes_for_json_embedding() {
    assert_eq!(raw_string(Some(&v(r#"say "hi"\n"#))), r#"say \"hi\"\\n"#);
    assert_eq!(
        raw_string(Some(&v("line\nbreak\ttab"))),
        r"line\nbreak\ttab"
    );
    assert_eq!(raw_string(Some(&v("ünï"))), "ünï");
    assert_eq!(raw_string(Some(&Value::from(3))), "3");
    assert_eq!(raw_string(Some(&Value::from(vec![1, 2]))), "[1,2]");
    assert_eq!(raw_string(Some(&Value::UNDEFINED)), "");
}

#[test]
fn word_count_counts_strings_and_json_recursively() {
    assert_eq!(word_count(Some(&v("  hello   big\tworld \n"))), 3);
    assert_eq!(word_count(Some(&v(""))), 0);
    assert_eq!(word_count(Some(&v("   "))), 0);
    assert_eq!(word_count(Some(&v("日本 語"))), 2);
    assert_eq!(word_count(Some(&Value::from(12))), 1);
    assert_eq!(word_count(Some(&Value::from(false))), 1);
    assert_eq!(word_count(Some(&Value::from(()))), 0);
    let json: Value =
        serde_json::from_str(r#"{"first key": ["a b", 1, true, null], "k": "c"}"#).unwrap();
    // keys: 2 + 1, values: 2 + 1 + 1 + 0 + 1
    assert_eq!(word_count(Some(&json)), 8);
}

#[test]
fn cookies_are_found_by_exact_or_case_insensitive_name() {
    let headers = ["a=1; Session=abc; empty=", "other=\"quoted value\";last=z"];
    assert_eq!(find_cookie(headers, "Session", false), Some("abc"));
    assert_eq!(find_cookie(headers, "session", false), None);
    assert_eq!(find_cookie(headers, "session", true), Some("abc"));
    assert_eq!(find_cookie(headers, "other", false), Some("quoted value"));
    assert_eq!(find_cookie(headers, "last", false), Some("z"));
    assert_eq!(find_cookie(headers, "empty", false), Some(""));
    assert_eq!(find_cookie(headers, "missing", true), None);
    assert_eq!(find_cookie(["a=1; a=2"], "a", false), Some("1"));
    assert_eq!(find_cookie(["token=x=y"], "token", false), Some("x=y"));
}

#[test]
fn jsonpath_lifts_fields_from_strings_and_values() {
    let body = v(r#"{"user": {"id": "u-1", "age": 42, "tags": ["a", "b"], "meta": {"x": null}}}"#);
    let q = |value: &Value, expr: &str| jsonpath(Some(value), Some(&v(expr)));
    assert_eq!(q(&body, "$.user.id"), "u-1");
    assert_eq!(q(&body, "$.user.age"), "42");
    assert_eq!(q(&body, "$.user.tags"), r#"["a","b"]"#);
    assert_eq!(q(&body, "$.user.tags[*]"), r#"["a","b"]"#);
    assert_eq!(q(&body, "$.user.meta.x"), "null");
    assert_eq!(q(&body, "$.user.missing"), "");
    assert_eq!(q(&body, "not a path"), "");
    assert_eq!(q(&v("not json"), "$.a"), "");
    let parsed: Value = serde_json::from_str(r#"[{"n": "ü"}, {"n": 2}]"#).unwrap();
    assert_eq!(q(&parsed, "$[0].n"), "ü");
    assert_eq!(q(&parsed, "$[1]"), r#"{"n":2}"#);
    assert_eq!(jsonpath(Some(&Value::UNDEFINED), Some(&v("$"))), "");
}

#[test]
fn random_tokens_are_22_unpadded_base64_characters() {
    let token = random_token([0xff; 16]);
    assert_eq!(token, "/////////////////////w");
    assert_eq!(random_token([0; 16]).len(), 22);
}
