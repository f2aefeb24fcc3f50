//! Formats end to end. The "Envoy golden" tests replay requests whose lines Envoy 1.40's own
//! file logger wrote (same format strings), rebuilding the request from what Envoy printed.

use super::*;
use crate::entry::{
    ByteCounts, HeaderSource, RecordedEntry, RecordedMetadata, ResponseFlags, Timing,
};
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const REQ: HeaderSource = HeaderSource::Request;
const RESP: HeaderSource = HeaderSource::Response;

fn context() -> FormatContext {
    FormatContext {
        hostname: Some("vm".to_owned()),
    }
}

fn text(format: &str, entry: &RecordedEntry) -> String {
    let line = LineFormat::text(format, &context()).unwrap().render(entry);
    String::from_utf8(line).unwrap()
}

fn json_line(format: serde_json::Value, entry: &RecordedEntry) -> String {
    let serde_json::Value::Object(map) = format else {
        panic!("JSON formats are objects");
    };
    let line = LineFormat::json(&map, &context()).unwrap().render(entry);
    String::from_utf8(line).unwrap()
}

fn start(seconds: u64, nanos: u32) -> Option<SystemTime> {
    Some(UNIX_EPOCH + Duration::new(seconds, nanos))
}

/// `GET /up/abc?q=1` proxied to cluster `upc` (Envoy's first experiment request).
fn proxied() -> RecordedEntry {
    let mut entry = RecordedEntry::new()
        .with_header(REQ, ":authority", "localhost:19903")
        .with_header(REQ, ":path", "/up/abc?q=1")
        .with_header(REQ, ":method", "GET")
        .with_header(REQ, "user-agent", "curl/7.88.1")
        .with_header(REQ, "x-bar", "barvalue")
        .with_header(REQ, "x-request-id", "949757f4-3f35-4b99-a800-31fba03e1441")
        .with_header(RESP, ":status", "200")
        .with_header(RESP, "content-type", "text/plain")
        .with_header(RESP, "x-envoy-upstream-service-time", "0");
    entry.timing = Timing {
        start: start(1_795_811_819, 100_719_000),
        request_complete: Some(Duration::from_micros(900)),
        last_downstream_rx_byte_received: Some(Duration::from_micros(100)),
        first_upstream_rx_byte_received: Some(Duration::from_micros(700)),
        last_downstream_tx_byte_sent: Some(Duration::from_micros(850)),
    };
    entry.bytes = ByteCounts {
        received: 0,
        sent: 15,
    };
    entry.protocol = Some("HTTP/1.1".to_owned());
    entry.response_code = Some(200);
    entry.response_code_details = Some("via_upstream".to_owned());
    entry.upstream_host = Some("127.0.0.1:19902".to_owned());
    entry.upstream_cluster = Some("upc".to_owned());
    entry.upstream_local_address = Some("127.0.0.1:57698".to_owned());
    entry.downstream_remote_address = Some(("127.0.0.1".to_owned(), 41736));
    entry.downstream_local_address = Some(("127.0.0.1".to_owned(), 19903));
    entry.route_name = Some("up-route".to_owned());
    entry
}

/// `GET /dead`: the upstream refused the connection (UF, 503).
fn refused() -> RecordedEntry {
    let mut entry = RecordedEntry::new()
        .with_header(REQ, ":authority", "localhost:19903")
        .with_header(REQ, ":path", "/dead")
        .with_header(REQ, ":method", "GET")
        .with_header(REQ, "user-agent", "curl/7.88.1")
        .with_header(REQ, "x-request-id", "da3d4cb4-9c92-4317-94e6-7ecfb413e24d")
        .with_header(RESP, ":status", "503")
        .with_header(RESP, "content-type", "text/plain");
    entry.timing = Timing {
        start: start(1_795_811_819, 121_705_000),
        request_complete: Some(Duration::from_micros(600)),
        last_downstream_rx_byte_received: Some(Duration::from_micros(80)),
        ..Timing::default()
    };
    entry.bytes = ByteCounts {
        received: 0,
        sent: 98,
    };
    entry.protocol = Some("HTTP/1.1".to_owned());
    entry.response_code = Some(503);
    entry.response_code_details = Some(
        "upstream_reset_before_response_started{remote_connection_failure|\
         delayed_connect_error:_Connection_refused}"
            .to_owned(),
    );
    entry.response_flags = ResponseFlags(1 << 5);
    entry.upstream_host = Some("127.0.0.1:1".to_owned());
    entry.upstream_cluster = Some("dead".to_owned());
    entry.upstream_transport_failure_reason =
        Some("delayed_connect_error: Connection refused".to_owned());
    entry.downstream_remote_address = Some(("127.0.0.1".to_owned(), 41756));
    entry.downstream_local_address = Some(("127.0.0.1".to_owned(), 19903));
    entry
}

#[test]
fn envoy_golden_default_format() {
    assert_eq!(
        text(ENVOY_DEFAULT_FORMAT, &proxied()),
        "[2026-11-27T20:36:59.100Z] \"GET /up/abc?q=1 HTTP/1.1\" 200 - 0 15 0 0 \"-\" \
         \"curl/7.88.1\" \"949757f4-3f35-4b99-a800-31fba03e1441\" \"localhost:19903\" \
         \"127.0.0.1:19902\"\n"
    );
    assert_eq!(
        text(ENVOY_DEFAULT_FORMAT, &refused()),
        "[2026-11-27T20:36:59.121Z] \"GET /dead HTTP/1.1\" 503 UF 0 98 0 - \"-\" \
         \"curl/7.88.1\" \"da3d4cb4-9c92-4317-94e6-7ecfb413e24d\" \"localhost:19903\" \
         \"127.0.0.1:1\"\n"
    );
    let default = LineFormat::envoy_default(&context()).unwrap();
    assert_eq!(
        default.render(&proxied()),
        text(ENVOY_DEFAULT_FORMAT, &proxied()).into_bytes()
    );
}

/// Every operator of the issue in one text format, as Envoy 1.40 rendered it.
const EVERY_OPERATOR: &str = "st=%START_TIME% st2=%START_TIME(%Y-%m-%dT%H:%M:%S%z)% \
st3=%START_TIME(%s.%3f)% st4=%START_TIME(%s%f|%6f|%E3S|%Ez|%a %b %e %j %Z|%%|%T)% \
req=%REQ(X-FOO?X-BAR):3% reqm=%REQ(:METHOD)% p=%REQ(:PATH)% rwq=%REQ_WITHOUT_QUERY(:PATH)% \
rwq2=%REQ_WITHOUT_QUERY(X-ENVOY-ORIGINAL-PATH?:PATH):5% proto=%PROTOCOL% code=%RESPONSE_CODE% \
det=%RESPONSE_CODE_DETAILS% fl=%RESPONSE_FLAGS% fll=%RESPONSE_FLAGS_LONG% br=%BYTES_RECEIVED% \
bs=%BYTES_SENT% d=%DURATION% rqd=%REQUEST_DURATION% rsd=%RESPONSE_DURATION% \
rtd=%RESPONSE_TX_DURATION% uh=%UPSTREAM_HOST% uc=%UPSTREAM_CLUSTER% ula=%UPSTREAM_LOCAL_ADDRESS% \
utf=%UPSTREAM_TRANSPORT_FAILURE_REASON% dra=%DOWNSTREAM_REMOTE_ADDRESS% \
drawp=%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% dla=%DOWNSTREAM_LOCAL_ADDRESS% rn=%ROUTE_NAME% \
hn=%HOSTNAME% ctd=%CONNECTION_TERMINATION_DETAILS% sni=%REQUESTED_SERVER_NAME% \
dm=%DYNAMIC_METADATA(ns:key)% fs=%FILTER_STATE(key)% resp=%RESP(content-type)% \
tr=%TRAILER(grpc-status)% ust=%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% pct=100%%\n";

#[test]
fn envoy_golden_every_operator() {
    assert_eq!(
        text(EVERY_OPERATOR, &proxied()),
        "st=2026-11-27T20:36:59.100Z st2=2026-11-27T20:36:59+0000 st3=1795811819.100 \
         st4=1795811819100719000|100719|59.100|+00:00|Fri Nov 27 331 UTC|%|20:36:59 req=bar \
         reqm=GET p=/up/abc?q=1 rwq=/up/abc rwq2=/up/a proto=HTTP/1.1 code=200 det=via_upstream \
         fl=- fll=- br=0 bs=15 d=0 rqd=0 rsd=0 rtd=0 uh=127.0.0.1:19902 uc=upc \
         ula=127.0.0.1:57698 utf=- dra=127.0.0.1:41736 drawp=127.0.0.1 dla=127.0.0.1:19903 \
         rn=up-route hn=vm ctd=- sni=- dm=- fs=- resp=text/plain tr=- ust=0 pct=100%\n"
    );
    assert_eq!(
        text(EVERY_OPERATOR, &refused()),
        "st=2026-11-27T20:36:59.121Z st2=2026-11-27T20:36:59+0000 st3=1795811819.121 \
         st4=1795811819121705000|121705|59.121|+00:00|Fri Nov 27 331 UTC|%|20:36:59 req=- \
         reqm=GET p=/dead rwq=/dead rwq2=/dead proto=HTTP/1.1 code=503 \
         det=upstream_reset_before_response_started{remote_connection_failure|\
         delayed_connect_error:_Connection_refused} fl=UF fll=UpstreamConnectionFailure br=0 \
         bs=98 d=0 rqd=0 rsd=- rtd=- uh=127.0.0.1:1 uc=dead ula=- \
         utf=delayed_connect_error:_Connection_refused dra=127.0.0.1:41756 drawp=127.0.0.1 \
         dla=127.0.0.1:19903 rn=- hn=vm ctd=- sni=- dm=- fs=- resp=text/plain tr=- ust=- \
         pct=100%\n"
    );
}

#[test]
fn envoy_golden_json_format() {
    let format = json!({
        "zstart": "%START_TIME%", "code": "%RESPONSE_CODE%", "dur": "%DURATION%",
        "rqd": "%REQUEST_DURATION%", "br": "%BYTES_RECEIVED%", "bs": "%BYTES_SENT%",
        "method": "%REQ(:METHOD)%", "missing": "%REQ(X-MISSING)%",
        "mixed": "%REQ(:METHOD)% %RESPONSE_CODE% %REQ(X-MISSING)%", "num": 5, "flag": true,
        "nested": {"a": "%PROTOCOL%", "b": ["%RESPONSE_CODE%", "x"]}, "uh": "%UPSTREAM_HOST%",
        "fl": "%RESPONSE_FLAGS%", "dm": "%DYNAMIC_METADATA(ns:key)%",
        "ust": "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%", "trunc": "%REQ(:PATH):2%",
        "up": "%UPSTREAM_CLUSTER%", "dra": "%DOWNSTREAM_REMOTE_ADDRESS%", "lit": "plain",
        "esc": "%REQ(X-ESC)%"
    });
    let entry = proxied().with_header(REQ, "x-esc", "a\"b\\c");
    assert_eq!(
        json_line(format, &entry),
        concat!(
            r#"{"br":0,"bs":15,"code":200,"dm":null,"dra":"127.0.0.1:41736","dur":0,"#,
            r#""esc":"a\"b\\c","fl":"-","flag":true,"lit":"plain","method":"GET","#,
            r#""missing":null,"mixed":"GET 200 -","nested":{"a":"HTTP/1.1","b":[200,"x"]},"#,
            r#""num":5,"rqd":0,"trunc":"/u","uh":"127.0.0.1:19902","up":"upc","ust":"0","#,
            r#""zstart":"2026-11-27T20:36:59.100Z"}"#,
            "\n"
        )
    );
}

#[test]
fn envoy_golden_json_literals_and_metadata() {
    let format = json!({
        "num": 1.5, "big": 12_345_678_901_u64, "neg": -3, "five": 5, "t": true, "f": false,
        "emptyobj": {}, "list": [1, "%RESPONSE_CODE%", null, 2.5], "u": "%REQ(X-U)%",
        "u2": "%REQ(X-U)% x", "n": "%DYNAMIC_METADATA(ns:num)%", "dur": "%DURATION% ms",
        "cr": "%REQ(X-CR)%", "empty": "", "pct": "%%", "lit2": 1e15, "lit": 100_000
    });
    let entry = proxied()
        .with_header(REQ, "x-u", "tab\there é ü <>&'\"/\\ \u{2028} 😀 ~")
        .with_metadata("ns", "num", RecordedMetadata::Number(5.0));
    assert_eq!(
        json_line(format, &entry),
        concat!(
            r#"{"big":12345678901,"cr":null,"dur":"0 ms","empty":"","emptyobj":{},"f":false,"#,
            r#""five":5,"list":[1,200,null,2.5],"lit":1e+05,"lit2":1e+15,"n":5,"neg":-3,"#,
            r#""num":1.5,"pct":"%","t":true,"#,
            "\"u\":\"tab\\there é ü <>&'\\\"/\\\\ \u{2028} 😀 ~\",",
            "\"u2\":\"tab\\there é ü <>&'\\\"/\\\\ \u{2028} 😀 ~ x\"}\n"
        )
    );
}

#[test]
fn json_typing_of_every_operator_kind() {
    let mut entry = proxied()
        .with_metadata("ns", "s", RecordedMetadata::String("7".to_owned()))
        .with_metadata("ns", "b", RecordedMetadata::Bool(true))
        .with_metadata("ns", "n", RecordedMetadata::Number(100_000.0));
    entry.requested_server_name = Some("api.example.com".to_owned());
    let format = json!({
        "a_code": "%RESPONSE_CODE%", "b_bytes": "%BYTES_SENT%", "c_dur": "%RESPONSE_DURATION%",
        "d_start": "%START_TIME(%s)%", "e_proto": "%PROTOCOL%", "f_meta_s": "%DYNAMIC_METADATA(ns:s)%",
        "g_meta_b": "%DYNAMIC_METADATA(ns:b)%", "h_meta_n": "%DYNAMIC_METADATA(ns:n)%",
        "i_addr": "%DOWNSTREAM_LOCAL_ADDRESS%", "j_sni": "%REQUESTED_SERVER_NAME%",
        "k_host": "%HOSTNAME%", "l_fs": "%FILTER_STATE(k:PLAIN)%"
    });
    assert_eq!(
        json_line(format, &entry),
        concat!(
            r#"{"a_code":200,"b_bytes":15,"c_dur":0,"d_start":"1795811819","e_proto":"HTTP/1.1","#,
            r#""f_meta_s":"7","g_meta_b":true,"h_meta_n":1e+05,"i_addr":"127.0.0.1:19903","#,
            r#""j_sni":"api.example.com","k_host":"vm","l_fs":null}"#,
            "\n"
        )
    );
}

#[test]
fn missing_values_are_dash_in_text_and_null_in_json() {
    let empty = RecordedEntry::new();
    assert_eq!(
        text(
            "%START_TIME% %PROTOCOL% %RESPONSE_CODE% %DURATION% %BYTES_SENT% %ROUTE_NAME%",
            &empty
        ),
        "- - 0 - 0 -"
    );
    assert_eq!(
        json_line(
            json!({"s": "%START_TIME%", "c": "%RESPONSE_CODE%", "d": "%DURATION%"}),
            &empty
        ),
        "{\"c\":0,\"d\":null,\"s\":null}\n"
    );
}

#[test]
fn header_operators() {
    let entry = RecordedEntry::new()
        .with_header(REQ, ":path", "/a/b?x=1")
        .with_header(REQ, "x-multi", "one")
        .with_header(REQ, "x-multi", "two")
        .with_header(REQ, "x-empty", "")
        .with_header(REQ, "x-envoy-original-path", "/orig?y")
        .with_header(RESP, "x-r", "resp")
        .with_header(HeaderSource::ResponseTrailers, "grpc-status", "14");
    assert_eq!(text("%REQ(X-MULTI)%", &entry), "one");
    assert_eq!(text("[%REQ(X-EMPTY)%]", &entry), "[]");
    assert_eq!(text("%REQ(X-NONE?:PATH)%", &entry), "/a/b?x=1");
    assert_eq!(
        text("%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%", &entry),
        "/orig?y"
    );
    assert_eq!(text("%REQ_WITHOUT_QUERY(:PATH)%", &entry), "/a/b");
    assert_eq!(text("%REQ_WITHOUT_QUERY(:PATH):2%", &entry), "/a");
    assert_eq!(text("%REQ(:PATH):0%", &entry), "");
    assert_eq!(text("%RESP(X-R)% %RESP(:PATH)%", &entry), "resp -");
    assert_eq!(text("%TRAILER(GRPC-STATUS)%", &entry), "14");
}

#[test]
fn duration_operators_truncate_to_milliseconds() {
    let mut entry = RecordedEntry::new();
    entry.timing = Timing {
        start: None,
        request_complete: Some(Duration::from_micros(12_999)),
        last_downstream_rx_byte_received: Some(Duration::from_millis(2)),
        first_upstream_rx_byte_received: Some(Duration::from_micros(5_500)),
        last_downstream_tx_byte_sent: Some(Duration::from_micros(11_400)),
    };
    assert_eq!(
        text(
            "%DURATION% %REQUEST_DURATION% %RESPONSE_DURATION% %RESPONSE_TX_DURATION%",
            &entry
        ),
        "12 2 5 5"
    );
}

#[test]
fn response_flags_and_details() {
    let mut entry = RecordedEntry::new();
    // UF (5) and URX (15).
    entry.response_flags = ResponseFlags((1 << 5) | (1 << 15));
    entry.response_code_details = Some("a b\tc".to_owned());
    assert_eq!(
        text("%RESPONSE_FLAGS% %RESPONSE_FLAGS_LONG%", &entry),
        "UF,URX UpstreamConnectionFailure,UpstreamRetryLimitExceeded"
    );
    assert_eq!(text("%RESPONSE_CODE_DETAILS%", &entry), "a_b_c");
    assert_eq!(
        text("%RESPONSE_CODE_DETAILS(ALLOW_WHITESPACES)%", &entry),
        "a b\tc"
    );
}

#[test]
fn addresses_ipv6_and_sni() {
    let mut entry = RecordedEntry::new();
    entry.downstream_remote_address = Some(("::1".to_owned(), 4000));
    entry.requested_server_name = Some("bad name".to_owned());
    entry.connection_termination_details = Some("closed".to_owned());
    assert_eq!(
        text(
            "%DOWNSTREAM_REMOTE_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% \
             %DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT% %REQUESTED_SERVER_NAME% \
             %CONNECTION_TERMINATION_DETAILS%",
            &entry
        ),
        "[::1]:4000 ::1 - invalid:bad_name closed"
    );
}

#[test]
fn metadata_and_filter_state() {
    let mut entry = RecordedEntry::new()
        .with_metadata(
            "envoy.lb",
            "a.b",
            RecordedMetadata::String("deep".to_owned()),
        )
        .with_metadata("ns", "n", RecordedMetadata::Number(12_345.5))
        .with_metadata("ns", "t", RecordedMetadata::Bool(false));
    entry.filter_state.insert("k".to_owned(), b"state".to_vec());
    assert_eq!(
        text(
            "%DYNAMIC_METADATA(envoy.lb:a:b)% %DYNAMIC_METADATA(envoy.lb:a:b):2% \
             %DYNAMIC_METADATA(ns:n)% %DYNAMIC_METADATA(ns:n):3% %DYNAMIC_METADATA(ns:t)% \
             %FILTER_STATE(k)% %FILTER_STATE(k:PLAIN):3% %FILTER_STATE(other)%",
            &entry
        ),
        "deep de 12345.5 123 false state sta -"
    );
}

#[test]
fn hostname_missing_renders_as_missing() {
    let format = LineFormat::text("%HOSTNAME%", &FormatContext::default()).unwrap();
    assert_eq!(format.render(&RecordedEntry::new()), b"-");
}

#[test]
fn text_formats_get_no_newline_added() {
    assert_eq!(text("%PROTOCOL%", &proxied()), "HTTP/1.1");
}

#[test]
fn rejected_formats_name_the_operator() {
    let error = |format: &str| LineFormat::text(format, &context()).unwrap_err();
    assert_eq!(
        error("%FOO%"),
        FormatError::UnknownOperator {
            name: "FOO".to_owned()
        }
    );
    assert_eq!(
        error("x %CEL(1)% y"),
        FormatError::NotSupported {
            name: "CEL".to_owned()
        }
    );
    assert_eq!(
        error("%UPSTREAM_TLS_VERSION%"),
        FormatError::NotSupported {
            name: "UPSTREAM_TLS_VERSION".to_owned()
        }
    );
    for (format, name) in [
        ("%REQ%", "REQ"),
        ("%REQ()%", "REQ"),
        ("%REQ(a?b?c)%", "REQ"),
        ("%REQ(a b)%", "REQ"),
        ("%REQ((a))%", "REQ"),
        ("%PROTOCOL(x)%", "PROTOCOL"),
        ("%PROTOCOL:3%", "PROTOCOL"),
        ("%RESPONSE_CODE:3%", "RESPONSE_CODE"),
        ("%START_TIME:3%", "START_TIME"),
        ("%DYNAMIC_METADATA()%", "DYNAMIC_METADATA"),
        ("%DYNAMIC_METADATA(ns)%", "DYNAMIC_METADATA"),
        ("%FILTER_STATE(key:FOO)%", "FILTER_STATE"),
        ("%FILTER_STATE(key:FIELD:f)%", "FILTER_STATE"),
        ("%FILTER_STATE(:PLAIN)%", "FILTER_STATE"),
        ("%START_TIME(%n)%", "START_TIME"),
    ] {
        match error(format) {
            FormatError::Arguments { name: named, .. } => assert_eq!(named, name, "{format}"),
            other => panic!("{format}: {other:?}"),
        }
    }
    assert!(matches!(
        error("100%"),
        FormatError::Syntax { position: 3, .. }
    ));
    let message = error("%DYNAMIC_METADATA(ns)%").to_string();
    assert!(message.contains("DYNAMIC_METADATA(ns:key)"), "{message}");
}

#[test]
fn operators_accepted_by_envoy_compile() {
    for format in [
        "%START_TIME()%",
        "%PROTOCOL()%",
        "%DYNAMIC_METADATA(ns:a:b):4%",
        "%FILTER_STATE(key:PLAIN)%",
        "%FILTER_STATE(key:TYPED):5%",
        "%REQ(:path):0%",
        "%START_TIME(%Q)%",
    ] {
        assert!(LineFormat::text(format, &context()).is_ok(), "{format}");
    }
}

#[test]
fn json_format_errors_propagate() {
    let serde_json::Value::Object(map) = json!({"a": {"b": ["%NOPE%"]}}) else {
        unreachable!()
    };
    assert_eq!(
        LineFormat::json(&map, &context()).unwrap_err(),
        FormatError::UnknownOperator {
            name: "NOPE".to_owned()
        }
    );
}

#[test]
fn json_keys_are_sorted_bytewise_and_escaped() {
    let line = json_line(
        json!({"b": "1", "B": "2", "a\"q": "3"}),
        &RecordedEntry::new(),
    );
    assert_eq!(line, "{\"B\":\"2\",\"a\\\"q\":\"3\",\"b\":\"1\"}\n");
}

#[test]
fn json_mixed_strings_escape_rendered_values() {
    let entry = RecordedEntry::new().with_header(REQ, "x-q", "say \"hi\"\n");
    let line = json_line(json!({"m": "q=%REQ(X-Q)%!"}), &entry);
    assert_eq!(line, "{\"m\":\"q=say \\\"hi\\\"\\n!\"}\n");
}
