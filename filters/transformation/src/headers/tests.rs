//! Header snapshots: case-insensitive lookups, repeated headers, odd bytes.

use super::*;

fn snapshot(pairs: &[(&str, &str)]) -> HeaderSnapshot {
    HeaderSnapshot::capture(pairs.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())))
}

#[test]
fn lookups_are_case_insensitive_and_names_stored_lowercase() {
    let headers = snapshot(&[(":path", "/a"), ("X-User", "ann")]);
    assert_eq!(headers.value("x-user").as_deref(), Some("ann"));
    assert_eq!(headers.value("X-USER").as_deref(), Some("ann"));
    assert_eq!(headers.value(":PATH").as_deref(), Some("/a"));
    let names: Vec<&[u8]> = headers.iter().map(|(name, _)| name).collect();
    assert_eq!(names, [b":path".as_slice(), b"x-user".as_slice()]);
}

#[test]
fn missing_header_is_none() {
    let headers = snapshot(&[("a", "1")]);
    assert_eq!(headers.value("b"), None);
    assert_eq!(HeaderSnapshot::default().value("a"), None);
    assert!(HeaderSnapshot::default().is_empty());
}

#[test]
fn repeated_headers_keep_every_value_in_order() {
    let headers = snapshot(&[("x-f", "1"), ("other", "o"), ("X-F", "2"), ("x-f", "3")]);
    assert_eq!(headers.len(), 4);
    let values: Vec<&[u8]> = headers.get_all("x-f").collect();
    assert_eq!(values, [b"1".as_slice(), b"2", b"3"]);
    assert_eq!(headers.value("x-f").as_deref(), Some("1, 2, 3"));
}

#[test]
fn repeated_cookie_headers_join_with_semicolons() {
    let headers = snapshot(&[("cookie", "a=1"), ("cookie", "b=2")]);
    assert_eq!(headers.value("Cookie").as_deref(), Some("a=1; b=2"));
}

#[test]
fn empty_values_and_unicode_survive() {
    let headers = snapshot(&[("x-empty", ""), ("x-uni", "żółw 🐢")]);
    assert_eq!(headers.value("x-empty").as_deref(), Some(""));
    assert_eq!(headers.value("x-uni").as_deref(), Some("żółw 🐢"));
}

#[test]
fn invalid_utf8_is_replaced_not_an_error() {
    let headers = HeaderSnapshot::capture([(b"x-bin".as_slice(), b"a\xffb".as_slice())]);
    assert_eq!(headers.value("x-bin").as_deref(), Some("a\u{fffd}b"));
}
