mod irsa;
mod retry;

use super::*;
use crate::clock::ManualClock;
use crate::testing::{ReceivedRequest, SigV4Verifier, Verified};
use base64::Engine as _;
use dynagate_sdk::testing::{Exchange, FakeConfigContext, FakeHttpHost, FakeMessage, FakeStream};
use dynagate_sdk::{BodyBuffer, HeaderMap};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

const START: u64 = 1_714_564_800;
const PATH: &str =
    "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:echo:$LATEST/invocations";
const SECRET_CONFIG: &str = r#"{"accountId":"123456789012","functionName":"echo",
    "credentials":{"secret":{"accessKey":"AKIDEXAMPLE","secretKey":"secret"}}}"#;

struct Setup {
    factory: AwsLambdaFactory,
    clock: Arc<ManualClock>,
}

fn setup(vars: &[(&str, &str)]) -> Setup {
    let vars: BTreeMap<String, String> = vars
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    let clock = Arc::new(ManualClock::at_unix(START));
    let env = move |name: &str| vars.get(name).cloned();
    let factory = AwsLambdaFactory::new(Arc::new(env), Arc::clone(&clock) as Arc<dyn Clock>);
    Setup { factory, clock }
}

impl Setup {
    fn filter(&self, json: &str) -> AwsLambdaFilter {
        let config = self
            .factory
            .new_config(json, &mut FakeConfigContext::new())
            .unwrap();
        config.new_filter()
    }

    fn now(&self) -> SystemTime {
        self.clock.now()
    }
}

fn exchange(filter: AwsLambdaFilter, request: FakeMessage, response: FakeMessage) -> Exchange {
    let mut stream = FakeStream::new(filter);
    let mut out = stream.exchange(request, response);
    // A body added to a header-only request (Envoy mode) stays in the fake's buffered request
    // body; Envoy sends it after the headers.
    if let Some(upstream) = &mut out.upstream
        && upstream.chunks.is_empty()
    {
        let appended = stream.host().read_body(BodyBuffer::BufferedRequest);
        if !appended.is_empty() {
            upstream.chunks.push(appended);
        }
    }
    out
}

/// The upstream request as Lambda would see it, checked by the independent verifier.
fn verify(
    message: &FakeMessage,
    verifier: &SigV4Verifier,
    now: SystemTime,
) -> Result<Verified, crate::testing::Rejection> {
    let mut headers: Vec<(String, String)> = message
        .headers
        .iter()
        .filter(|(name, _)| !name.starts_with(':'))
        .map(|(name, value)| (name.clone(), String::from_utf8_lossy(value).into_owned()))
        .collect();
    headers.push((
        "host".to_owned(),
        message
            .header_str(":authority")
            .unwrap_or_default()
            .to_owned(),
    ));
    let request = ReceivedRequest {
        method: message.header_str(":method").unwrap_or_default(),
        path: message.header_str(":path").unwrap_or_default(),
        headers: &headers,
        body: &message.body(),
    };
    verifier.verify(&request, now)
}

fn secret_verifier() -> SigV4Verifier {
    SigV4Verifier::new("us-east-1", "lambda").with_key("AKIDEXAMPLE", "secret", None)
}

fn lambda_ok(body: &str) -> FakeMessage {
    FakeMessage::response(200)
        .header("content-type", "application/json")
        .header("x-amzn-requestid", "req-1")
        .chunk(body)
}

#[test]
fn envoy_mode_maps_signs_and_unwraps() {
    let s = setup(&[]);
    let request = FakeMessage::request("PUT", "/echo?x=1&x=2&y")
        .header("content-type", "text/plain")
        .header("x-a", "1")
        .header("x-a", "2")
        .chunk("hello ")
        .chunk("world");
    let response = lambda_ok(
        r#"{"statusCode":201,"headers":{"x-fn":"yes"},"cookies":["a=1","b=2"],"body":"created"}"#,
    );
    let out = exchange(s.filter(SECRET_CONFIG), request, response);

    let upstream = out.upstream.expect("request forwarded");
    assert_eq!(upstream.header_str(":method"), Some("POST"));
    assert_eq!(upstream.header_str(":path"), Some(PATH));
    assert_eq!(
        upstream.header_str(":authority"),
        Some("lambda.us-east-1.amazonaws.com")
    );
    assert_eq!(
        upstream.header_str("x-amz-invocation-type"),
        Some("RequestResponse")
    );
    assert_eq!(
        upstream.header_str("content-type"),
        Some("application/json")
    );
    let body = upstream.body();
    assert_eq!(
        upstream.header_str("content-length"),
        Some(body.len().to_string().as_str())
    );
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["raw_path"], "/echo?x=1&x=2&y");
    assert_eq!(event["method"], "PUT");
    assert_eq!(event["headers"]["x-a"], "1,2");
    assert_eq!(event["headers"]["content-type"], "text/plain");
    assert_eq!(event["query_string_parameters"], json!({"x": "1", "y": ""}));
    assert_eq!(
        (event["body"].as_str(), event["is_base64_encoded"].as_bool()),
        (Some("hello world"), Some(false))
    );
    let verified = verify(&upstream, &secret_verifier(), s.now()).unwrap();
    assert!(verified.signed_headers.contains(&"content-type".to_owned()));

    let downstream = out.downstream.expect("response forwarded");
    assert_eq!(downstream.header_str(":status"), Some("201"));
    assert_eq!(downstream.header_str("x-fn"), Some("yes"));
    assert_eq!(
        downstream.header_str("x-amzn-requestid"),
        Some("req-1"),
        "Lambda's own headers stay"
    );
    assert_eq!(
        downstream.header_str("content-type"),
        Some("application/json")
    );
    assert_eq!(downstream.header_count("set-cookie"), 2);
    assert_eq!(downstream.body(), b"created");
    assert_eq!(downstream.header_str("content-length"), Some("7"));
}

#[test]
fn binary_bodies_travel_as_base64_both_ways() {
    let s = setup(&[]);
    let payload = [0_u8, 1, 2, 254, 255];
    let request = FakeMessage::request("POST", "/upload")
        .header("content-type", "image/png")
        .chunk(payload);
    let reply = format!(
        r#"{{"headers":{{"content-type":"image/png"}},"body":"{}","isBase64Encoded":true}}"#,
        base64::engine::general_purpose::STANDARD.encode(payload)
    );
    let out = exchange(s.filter(SECRET_CONFIG), request, lambda_ok(&reply));
    let event: Value = serde_json::from_slice(&out.upstream.unwrap().body()).unwrap();
    assert_eq!(event["is_base64_encoded"], true);
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(event["body"].as_str().unwrap())
            .unwrap(),
        payload
    );
    let downstream = out.downstream.unwrap();
    assert_eq!(downstream.body(), payload);
    assert_eq!(downstream.header_str("content-type"), Some("image/png"));
}

#[test]
fn header_only_requests_get_an_event_body() {
    let s = setup(&[]);
    let mut stream = FakeStream::with_host(
        s.filter(SECRET_CONFIG),
        FakeHttpHost::new()
            .with_request_header(":method", "GET")
            .with_request_header(":path", "/items?id=7")
            .with_request_header(":authority", "gw.example.com"),
    );
    assert_eq!(
        stream.request_headers(true),
        dynagate_sdk::HeadersStatus::Continue
    );
    let host = stream.host();
    let body = host.read_body(BodyBuffer::BufferedRequest);
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["method"], "GET");
    assert_eq!(event["body"], "");
    assert_eq!(event["query_string_parameters"], json!({"id": "7"}));
    assert_eq!(
        host.header_str(HeaderMap::RequestHeaders, "content-length"),
        Some(body.len().to_string().as_str())
    );
}

#[test]
fn passthrough_mode_forwards_bodies_untouched_and_signs_them() {
    let s = setup(&[]);
    let config = r#"{"functionName":"echo","payloadTransformMode":"None",
        "credentials":{"secret":{"accessKey":"AKIDEXAMPLE","secretKey":"secret"}}}"#;
    let request = FakeMessage::request("POST", "/anything")
        .header("content-type", "application/json")
        .chunk("{}");
    let answer = r#"{"statusCode":404,"body":"not unwrapped"}"#;
    let out = exchange(s.filter(config), request, lambda_ok(answer));
    let upstream = out.upstream.unwrap();
    assert_eq!(upstream.body(), b"{}");
    assert_eq!(
        upstream.header_str(":path"),
        Some("/2015-03-31/functions/echo:$LATEST/invocations")
    );
    assert!(verify(&upstream, &secret_verifier(), s.now()).is_ok());
    let downstream = out.downstream.unwrap();
    assert_eq!(downstream.header_str(":status"), Some("200"));
    assert_eq!(downstream.body(), answer.as_bytes());
}

#[test]
fn async_invocations_pass_the_202_through() {
    let s = setup(&[]);
    let config = r#"{"functionName":"echo","invocationMode":"Async",
        "credentials":{"secret":{"accessKey":"AKIDEXAMPLE","secretKey":"secret"}}}"#;
    let request = FakeMessage::request("POST", "/")
        .header("content-type", "application/json")
        .chunk("{}");
    let out = exchange(
        s.filter(config),
        request,
        FakeMessage::response(202).header("content-length", "0"),
    );
    assert_eq!(
        out.upstream.unwrap().header_str("x-amz-invocation-type"),
        Some("Event")
    );
    let downstream = out.downstream.unwrap();
    assert_eq!(downstream.header_str(":status"), Some("202"));
    assert!(downstream.body().is_empty());
}

#[test]
fn lambda_errors_pass_through_untouched() {
    let s = setup(&[]);
    let cases = [
        FakeMessage::response(200)
            .header("x-amz-function-error", "Unhandled")
            .chunk(r#"{"errorMessage":"boom"}"#),
        FakeMessage::response(429)
            .header("x-amzn-errortype", "TooManyRequestsException")
            .chunk(r#"{"message":"Rate exceeded"}"#),
        FakeMessage::response(404)
            .header("x-amzn-errortype", "ResourceNotFoundException")
            .chunk(r#"{"Message":"Function not found"}"#),
    ];
    for response in cases {
        let expected = response.clone();
        let request = FakeMessage::request("GET", "/");
        let downstream = exchange(s.filter(SECRET_CONFIG), request, response)
            .downstream
            .unwrap();
        assert_eq!(
            downstream.header_str(":status"),
            expected.header_str(":status")
        );
        assert_eq!(downstream.body(), expected.body());
        assert_eq!(
            downstream.header_str("x-amz-function-error"),
            expected.header_str("x-amz-function-error")
        );
    }
}

#[test]
fn non_json_answers_become_500_with_a_reason() {
    let s = setup(&[]);
    let out = exchange(
        s.filter(SECRET_CONFIG),
        FakeMessage::request("GET", "/"),
        lambda_ok("plain text, not JSON"),
    );
    let downstream = out.downstream.unwrap();
    assert_eq!(downstream.header_str(":status"), Some("500"));
    assert_eq!(downstream.header_str("content-type"), Some("text/plain"));
    let body = String::from_utf8(downstream.body()).unwrap();
    assert!(body.contains("not a valid response object"), "{body}");
    assert_eq!(
        downstream.header_str("content-length"),
        Some(body.len().to_string().as_str())
    );
}

#[test]
fn client_signatures_and_amz_headers_are_dropped() {
    let s = setup(&[]);
    let request = FakeMessage::request("GET", "/")
        .header("authorization", "Bearer client-token")
        .header("x-amz-security-token", "client-supplied")
        .header("x-amz-log-type", "Tail")
        .header("x-amz-date", "19990101T000000Z");
    let upstream = exchange(s.filter(SECRET_CONFIG), request, lambda_ok("{}"))
        .upstream
        .unwrap();
    assert_eq!(upstream.header_count("x-amz-security-token"), 0);
    assert_eq!(upstream.header_count("x-amz-log-type"), 0);
    assert_eq!(upstream.header_count("x-amz-date"), 1);
    assert!(
        upstream
            .header_str("authorization")
            .is_some_and(|value| value.starts_with("AWS4-HMAC-SHA256 "))
    );
    assert!(verify(&upstream, &secret_verifier(), s.now()).is_ok());
    // The event still shows the client what it sent.
    let event: Value = serde_json::from_slice(&upstream.body()).unwrap();
    assert_eq!(event["headers"]["authorization"], "Bearer client-token");
}

#[test]
fn environment_keys_with_session_token_sign_requests() {
    let s = setup(&[
        ("AWS_ACCESS_KEY_ID", "ASIAENV"),
        ("AWS_SECRET_ACCESS_KEY", "env-secret"),
        ("AWS_SESSION_TOKEN", "env-token"),
    ]);
    let config = r#"{"functionName":"echo"}"#;
    let upstream = exchange(
        s.filter(config),
        FakeMessage::request("GET", "/"),
        lambda_ok("{}"),
    )
    .upstream
    .unwrap();
    assert_eq!(
        upstream.header_str("x-amz-security-token"),
        Some("env-token")
    );
    let verifier = SigV4Verifier::new("us-east-1", "lambda").with_key(
        "ASIAENV",
        "env-secret",
        Some("env-token"),
    );
    assert!(verify(&upstream, &verifier, s.now()).is_ok());
}

#[test]
fn missing_credentials_answer_500_without_calling_lambda() {
    let s = setup(&[]);
    let out = exchange(
        s.filter(r#"{"functionName":"echo"}"#),
        FakeMessage::request("GET", "/"),
        lambda_ok("{}"),
    );
    assert!(out.upstream.is_none());
    let reply = out.local_reply.expect("local reply");
    assert_eq!(reply.status, 500);
    assert_eq!(
        reply.details.as_deref(),
        Some("aws_lambda_credentials_unavailable")
    );
}

#[test]
fn every_attempt_is_signed_at_its_own_time() {
    // In the cluster placement Envoy creates one filter per attempt: a retry is signed afresh.
    let s = setup(&[]);
    let first = exchange(
        s.filter(SECRET_CONFIG),
        FakeMessage::request("GET", "/"),
        lambda_ok("{}"),
    )
    .upstream
    .unwrap();
    s.clock.advance(Duration::from_secs(400));
    let retry = exchange(
        s.filter(SECRET_CONFIG),
        FakeMessage::request("GET", "/"),
        lambda_ok("{}"),
    )
    .upstream
    .unwrap();
    assert_ne!(
        first.header_str("x-amz-date"),
        retry.header_str("x-amz-date")
    );
    assert!(verify(&retry, &secret_verifier(), s.now()).is_ok());
    assert!(
        verify(&first, &secret_verifier(), s.now()).is_err(),
        "a replayed first signature is stale"
    );
}

#[test]
fn route_config_overrides_and_absent_config_passes_through() {
    let s = setup(&[]);
    let route = s
        .factory
        .new_route_config(r#"{"functionName":"other","credentials":{"secret":{"accessKey":"AKIDEXAMPLE","secretKey":"secret"}}}"#)
        .unwrap();
    let host = FakeHttpHost::new().with_route_config(route);
    let mut stream = FakeStream::with_host(s.filter(SECRET_CONFIG), host);
    let out = stream.exchange(FakeMessage::request("GET", "/"), lambda_ok("{}"));
    assert_eq!(
        out.upstream.unwrap().header_str(":path"),
        Some("/2015-03-31/functions/other:$LATEST/invocations")
    );

    let untouched = exchange(
        s.filter(""),
        FakeMessage::request("GET", "/plain").chunk("x"),
        lambda_ok("raw"),
    );
    let upstream = untouched.upstream.unwrap();
    assert_eq!(upstream.header_str(":path"), Some("/plain"));
    assert_eq!(upstream.header_count("authorization"), 0);
    assert_eq!(untouched.downstream.unwrap().body(), b"raw");
    assert!(s.filter("{}").invocation.is_none());
}

#[test]
fn factory_rejects_bad_configs_with_the_field_name() {
    let s = setup(&[]);
    for (json, field) in [
        (r#"{"functionName":""}"#, "functionName"),
        (
            r#"{"functionName":"f","endpointURL":"ftp://x"}"#,
            "endpointURL",
        ),
        (
            r#"{"functionName":"f","credentials":{"secret":{"accessKey":"AKID"}}}"#,
            "secretKey",
        ),
    ] {
        let error = s
            .factory
            .new_config(json, &mut FakeConfigContext::new())
            .unwrap_err();
        assert!(error.to_string().contains(field), "{json}: {error}");
        let error = s.factory.new_route_config(json).unwrap_err();
        assert!(error.to_string().contains(field), "{json}: {error}");
    }
}

#[test]
fn unavailable_credentials_are_logged_at_load() {
    let s = setup(&[]);
    let mut ctx = FakeConfigContext::new();
    s.factory
        .new_config(r#"{"functionName":"echo"}"#, &mut ctx)
        .unwrap();
    assert!(
        ctx.logs()
            .iter()
            .any(|(_, line)| line.contains("AWS_ACCESS_KEY_ID")),
        "{:?}",
        ctx.logs()
    );
}

#[test]
fn request_trailers_end_the_body() {
    let s = setup(&[]);
    let request = FakeMessage::request("POST", "/")
        .header("content-type", "text/plain")
        .chunk("abc")
        .trailer("x-t", "1");
    let upstream = exchange(s.filter(SECRET_CONFIG), request, lambda_ok("{}"))
        .upstream
        .unwrap();
    let event: Value = serde_json::from_slice(&upstream.body()).unwrap();
    assert_eq!(event["body"], "abc");
    assert!(verify(&upstream, &secret_verifier(), s.now()).is_ok());
}
