use super::*;

fn float(x: f64) -> String {
    let mut out = Vec::new();
    write_f64(x, &mut out);
    String::from_utf8(out).unwrap()
}

fn json_string(bytes: &[u8]) -> String {
    let mut out = Vec::new();
    write_json_string(bytes, &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn doubles_print_like_envoy() {
    // Each pair was printed by Envoy 1.40 for a metadata number or a literal in a JSON format.
    for (value, envoy) in [
        (5.0, "5"),
        (1.5, "1.5"),
        (0.1, "0.1"),
        (-3.0, "-3"),
        (-2e-7, "-2e-07"),
        (1e21, "1e+21"),
        (100_000.0, "1e+05"),
        (1e15, "1e+15"),
        (12_345_678_901.0, "12345678901"),
        (123_456_789_012.0, "123456789012"),
        (12_345_678_901_234_567_890.0, "12345678901234567168"),
    ] {
        assert_eq!(float(value), envoy, "{value}");
    }
}

#[test]
fn doubles_prefer_fixed_on_a_tie_and_small_integers_stay_fixed() {
    // "100" (3) beats "1e+02" (5); "0.001" (5) ties "1e-03" (5): fixed wins.
    assert_eq!(float(100.0), "100");
    assert_eq!(float(0.001), "0.001");
    assert_eq!(float(0.0001), "1e-04");
    assert_eq!(float(0.0), "0");
    assert_eq!(float(1e-300), "1e-300");
    assert_eq!(float(-1.5e300), "-1.5e+300");
    assert_eq!(float(123_456.5), "123456.5");
}

#[test]
fn json_strings_escape_like_envoy() {
    // Envoy 1.40 output for the header value `tab<TAB>here é ü <>&'"/\ <U+2028> 😀 ~`.
    let input = "tab\there é ü <>&'\"/\\ \u{2028} 😀 ~";
    assert_eq!(
        json_string(input.as_bytes()),
        "\"tab\\there é ü <>&'\\\"/\\\\ \u{2028} 😀 ~\""
    );
    assert_eq!(
        json_string(b"a\x01b\nc\rd\x08\x0c"),
        r#""a\u0001b\nc\rd\b\f""#
    );
}

#[test]
fn invalid_utf8_escapes_every_high_byte() {
    // Envoy 1.40 printed `\u00c3\u00a9\u00e2\u0082\u00ac\u00ff\u00fe` for `é€\xff\xfe`.
    assert_eq!(
        json_string(b"\xc3\xa9\xe2\x82\xac\xff\xfe"),
        r#""\u00c3\u00a9\u00e2\u0082\u00ac\u00ff\u00fe""#
    );
}

#[test]
fn text_truncation_cuts_bytes() {
    let mut out = Vec::new();
    Value::Str(b"barvalue").write_text(Some(3), &mut out);
    assert_eq!(out, b"bar");
    out.clear();
    Value::Str(b"ab").write_text(Some(10), &mut out);
    assert_eq!(out, b"ab");
    out.clear();
    Value::Missing.write_text(Some(0), &mut out);
    assert_eq!(out, b"-");
}

#[test]
fn json_truncation_happens_before_escaping() {
    // Envoy cut `é€` to 4 bytes, then escaped the now invalid UTF-8 byte by byte.
    let mut out = Vec::new();
    Value::Str(b"\xc3\xa9\xe2\x82\xac\xff\xfe").write_json(Some(4), &mut out);
    assert_eq!(out, br#""\u00c3\u00a9\u00e2\u0082""#);
}

#[test]
fn typed_json_values() {
    let render = |value: Value<'_>| {
        let mut out = Vec::new();
        value.write_json(None, &mut out);
        String::from_utf8(out).unwrap()
    };
    assert_eq!(render(Value::Missing), "null");
    assert_eq!(render(Value::Uint(100_000)), "100000");
    assert_eq!(render(Value::Float(100_000.0)), "1e+05");
    assert_eq!(render(Value::Bool(false)), "false");
    assert_eq!(render(Value::Address(b"::1", 80)), "\"[::1]:80\"");
    assert_eq!(render(Value::Float(f64::NAN)), "null");
}

#[test]
fn rewrites() {
    let render = |bytes: &[u8], rewrite| {
        let mut out = Vec::new();
        Value::Rewritten(bytes, rewrite).write_text(None, &mut out);
        String::from_utf8(out).unwrap()
    };
    assert_eq!(render(b"a b\tc", Rewrite::Whitespace), "a_b_c");
    assert_eq!(render(b"a b\tc", Rewrite::Spaces), "a_b\tc");
    assert_eq!(
        render(b"api.example-1.com", Rewrite::Hostname),
        "api.example-1.com"
    );
    assert_eq!(render(b"bad host!", Rewrite::Hostname), "invalid:bad_host_");
}
