use super::*;
use serde_json::{Value, json};

fn event(method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Value {
    let headers: Vec<(&[u8], &[u8])> = headers
        .iter()
        .map(|(name, value)| (name.as_bytes(), value.as_bytes()))
        .collect();
    let request = OriginalRequest {
        method: method.as_bytes(),
        path: path.as_bytes(),
        headers: &headers,
    };
    let bytes = encode_request_event(&request, body);
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&bytes)))
}

#[test]
fn text_body_travels_as_text() {
    let value = event(
        "POST",
        "/echo?x=1",
        &[
            (":authority", "gw"),
            ("content-type", "text/plain"),
            ("x-a", "1"),
        ],
        Some(b"hello \"world\"\n"),
    );
    assert_eq!(
        value,
        json!({
            "raw_path": "/echo?x=1",
            "method": "POST",
            "headers": {"content-type": "text/plain", "x-a": "1"},
            "query_string_parameters": {"x": "1"},
            "body": "hello \"world\"\n",
            "is_base64_encoded": false,
        })
    );
}

#[test]
fn every_field_is_present_without_body() {
    let value = event("GET", "/", &[], None);
    assert_eq!(
        value,
        json!({"raw_path": "/", "method": "GET", "headers": {}, "query_string_parameters": {}, "body": "", "is_base64_encoded": false})
    );
}

#[test]
fn repeated_headers_are_joined_with_commas_in_arrival_order() {
    let value = event(
        "GET",
        "/",
        &[("x-a", "1"), ("accept", "*/*"), ("x-a", "2"), ("x-a", "3")],
        None,
    );
    assert_eq!(value["headers"], json!({"accept": "*/*", "x-a": "1,2,3"}));
}

#[test]
fn pseudo_headers_are_left_out() {
    let value = event(
        "GET",
        "/",
        &[
            (":method", "GET"),
            (":path", "/"),
            (":scheme", "https"),
            ("host", "h"),
        ],
        None,
    );
    assert_eq!(value["headers"], json!({"host": "h"}));
}

#[test]
fn query_parameters_keep_the_first_value_undecoded() {
    let value = event(
        "GET",
        "/p?b=2&a=1&b=3&flag&empty=&enc=a%20b&&c=x=y#frag",
        &[],
        None,
    );
    assert_eq!(
        value["query_string_parameters"],
        json!({"a": "1", "b": "2", "flag": "", "empty": "", "enc": "a%20b", "c": "x=y"})
    );
    assert_eq!(
        value["raw_path"],
        "/p?b=2&a=1&b=3&flag&empty=&enc=a%20b&&c=x=y#frag"
    );
}

#[test]
fn binary_and_undeclared_bodies_are_base64() {
    let binary = [0_u8, 159, 146, 150, 255];
    let value = event(
        "POST",
        "/",
        &[("content-type", "application/octet-stream")],
        Some(&binary),
    );
    assert_eq!(value["is_base64_encoded"], true);
    assert_eq!(
        BASE64.decode(value["body"].as_str().unwrap()).unwrap(),
        binary
    );

    let untyped = event("POST", "/", &[], Some(b"plain"));
    assert_eq!(
        (
            untyped["body"].as_str(),
            untyped["is_base64_encoded"].as_bool()
        ),
        (Some("cGxhaW4="), Some(true))
    );
}

#[test]
fn textual_types_follow_envoys_list() {
    let textual = |content_type: &str, encoding: Option<&str>| {
        let mut headers = vec![("content-type".as_bytes(), content_type.as_bytes())];
        if let Some(encoding) = encoding {
            headers.push((b"transfer-encoding".as_slice(), encoding.as_bytes()));
        }
        is_textual(&headers)
    };
    for yes in [
        "application/json",
        "APPLICATION/JSON",
        "application/javascript",
        "application/xml",
        "text/plain",
        "text/html; charset=utf-8",
    ] {
        assert!(textual(yes, None), "{yes}");
    }
    // Exact match only, as Envoy: parameters on application/json make it binary.
    for no in [
        "application/json; charset=utf-8",
        "application/x-www-form-urlencoded",
        "image/png",
        "textual/x",
    ] {
        assert!(!textual(no, None), "{no}");
    }
    assert!(textual("text/plain", Some("identity")));
    assert!(!textual("text/plain", Some("chunked")));
}

#[test]
fn text_declared_but_not_utf8_is_base64() {
    let value = event(
        "POST",
        "/",
        &[("content-type", "text/plain")],
        Some(&[0xff, 0xfe]),
    );
    assert_eq!(value["is_base64_encoded"], true);
    assert_eq!(value["body"], "//4=");
}

#[test]
fn control_characters_and_unicode_are_valid_json() {
    let value = event(
        "POST",
        "/ü?q=ü",
        &[("content-type", "application/json"), ("x-b", "tab\there")],
        Some("{\"k\":\"\u{1}é\"}".as_bytes()),
    );
    assert_eq!(value["body"], "{\"k\":\"\u{1}é\"}");
    assert_eq!(value["headers"]["x-b"], "tab\there");
    assert_eq!(value["query_string_parameters"]["q"], "ü");
}

#[test]
fn content_length_is_decimal() {
    assert_eq!(content_length(0), b"0");
    assert_eq!(content_length(1_048_576), b"1048576");
}

#[test]
fn a_stored_head_restores_the_same_event() {
    let headers: [(&[u8], &[u8]); 2] = [(b"content-type", b"text/plain"), (b"x-a", b"1")];
    let request = OriginalRequest {
        method: b"PATCH",
        path: b"/a?b=c",
        headers: &headers,
    };
    let head = EventHead::new(&request);
    let restored = EventHead::restore(&head.to_stored()).expect("own value restores");
    for body in [None, Some(&b"text"[..]), Some(&[0xff, 0x00][..])] {
        assert_eq!(restored.finish(body), head.finish(body));
    }
    let binary: [(&[u8], &[u8]); 0] = [];
    let binary_head = EventHead::new(&OriginalRequest {
        headers: &binary,
        ..request
    });
    let restored = EventHead::restore(&binary_head.to_stored()).unwrap();
    assert_eq!(restored.finish(Some(b"x")), binary_head.finish(Some(b"x")));
}

#[test]
fn foreign_stored_values_are_refused() {
    let stored = EventHead::new(&OriginalRequest {
        method: b"GET",
        path: b"/",
        headers: &[],
    })
    .to_stored();
    for foreign in [
        &b""[..],
        b"t",
        b"x{\"raw_path\":\"/\",\"body\":",
        b"t{\"raw_path\":\"/\"}",
        b"{\"raw_path\":\"/\",\"body\":",
        &stored[..stored.len() - 1],
    ] {
        assert!(
            EventHead::restore(foreign).is_none(),
            "{}",
            String::from_utf8_lossy(foreign)
        );
    }
}
