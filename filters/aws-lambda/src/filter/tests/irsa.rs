//! IRSA end to end on the fake host: STS callouts, waiting streams, refresh, failures.

use super::*;
use dynagate_sdk::testing::RecordedCallout;
use dynagate_sdk::{BodyStatus, CalloutResponse, Direction, HeadersStatus};
use std::io::Write as _;

const ROLE: &str = "arn:aws:iam::123456789012:role/lambda";
const CONFIG: &str = r#"{"accountId":"123456789012","functionName":"echo",
    "credentials":{"environment":{"sts":{"cluster":"sts_cluster","authority":"sts.us-east-1.amazonaws.com"}}}}"#;

struct Irsa {
    setup: Setup,
    _token: tempfile::NamedTempFile,
}

fn irsa() -> Irsa {
    let mut token = tempfile::NamedTempFile::new().unwrap();
    writeln!(token, "projected-sa-token").unwrap();
    let path = token.path().to_str().unwrap().to_owned();
    let setup = setup(&[
        ("AWS_WEB_IDENTITY_TOKEN_FILE", &path),
        ("AWS_ROLE_ARN", ROLE),
    ]);
    Irsa {
        setup,
        _token: token,
    }
}

fn sts_answer(setup: &Setup, key: &str, valid_for: Duration) -> String {
    let expiration = setup.now() + valid_for;
    let seconds = expiration
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // 2024-05-01 + n seconds, written as ISO 8601 (the test clock stays on that day).
    let of_day = seconds - 1_714_521_600;
    assert!(of_day < 86_400, "keep test expirations on 2024-05-01");
    format!(
        "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>\
         <AccessKeyId>{key}</AccessKeyId><SecretAccessKey>secret-{key}</SecretAccessKey>\
         <SessionToken>token-{key}</SessionToken><Expiration>2024-05-01T{:02}:{:02}:{:02}Z</Expiration>\
         </Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

fn request_host() -> FakeHttpHost {
    FakeHttpHost::new()
        .with_request_header(":method", "POST")
        .with_request_header(":path", "/invoke")
        .with_request_header(":authority", "gw")
        .with_request_header("content-type", "text/plain")
}

fn answer(stream: &mut FakeStream, callout: &RecordedCallout, status: &str, body: &str) {
    let headers = vec![(&b":status"[..], status.as_bytes())];
    stream.callout_done(
        callout.id,
        Ok(CalloutResponse::new(headers, vec![body.as_bytes()])),
    );
}

/// The request the stream let through, as a message (headers + forwarded body).
fn sent(stream: &FakeStream) -> FakeMessage {
    let headers = stream
        .host()
        .headers(HeaderMap::RequestHeaders)
        .into_iter()
        .map(|(name, value)| (String::from_utf8_lossy(name).into_owned(), value.to_vec()))
        .collect();
    FakeMessage {
        headers,
        chunks: vec![stream.forwarded_body(Direction::Request).to_vec()],
        trailers: Vec::new(),
    }
}

fn sts_verifier(key: &str) -> SigV4Verifier {
    SigV4Verifier::new("us-east-1", "lambda").with_key(
        key,
        &format!("secret-{key}"),
        Some(&format!("token-{key}")),
    )
}

#[test]
fn first_request_fetches_keys_others_wait_then_both_are_signed() {
    let t = irsa();
    let mut first = FakeStream::with_host(t.setup.filter(CONFIG), request_host());
    assert_eq!(first.request_headers(false), HeadersStatus::StopIteration);
    let callout = first.host().callouts()[0].clone();
    assert_eq!(callout.cluster, "sts_cluster");
    let form = String::from_utf8(callout.body.clone()).unwrap();
    assert!(
        form.contains("Action=AssumeRoleWithWebIdentity")
            && form.contains("WebIdentityToken=projected-sa-token"),
        "{form}"
    );
    assert!(
        form.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Flambda"),
        "{form}"
    );
    assert_eq!(
        first.request_body(b"hello", true),
        BodyStatus::StopIterationAndBuffer,
        "held until keys arrive"
    );

    let mut second = FakeStream::with_host(t.setup.filter(CONFIG), request_host());
    assert_eq!(second.request_headers(true), HeadersStatus::StopIteration);
    assert!(second.host().callouts().is_empty(), "only one STS call");

    answer(
        &mut first,
        &callout,
        "200",
        &sts_answer(&t.setup, "ASIASTS1", Duration::from_secs(3600)),
    );
    assert_eq!(first.host().continued(Direction::Request), 1);
    let upstream = sent(&first);
    assert_eq!(
        upstream.header_str("x-amz-security-token"),
        Some("token-ASIASTS1")
    );
    let event: Value = serde_json::from_slice(&upstream.body()).unwrap();
    assert_eq!(event["body"], "hello");
    assert!(verify(&upstream, &sts_verifier("ASIASTS1"), t.setup.now()).is_ok());

    assert_eq!(
        second.host().take_scheduled(),
        [invocation::CREDENTIALS_EVENT]
    );
    second.scheduled(invocation::CREDENTIALS_EVENT);
    assert_eq!(second.host().continued(Direction::Request), 1);
    assert_eq!(
        second
            .host()
            .header_str(HeaderMap::RequestHeaders, "x-amz-security-token"),
        Some("token-ASIASTS1")
    );
}

#[test]
fn cached_keys_sign_at_once_and_refresh_in_the_background() {
    let t = irsa();
    let mut first = FakeStream::with_host(t.setup.filter(CONFIG), request_host());
    first.request_headers(true);
    let callout = first.host().callouts()[0].clone();
    answer(
        &mut first,
        &callout,
        "200",
        &sts_answer(&t.setup, "ASIAOLD", Duration::from_secs(3600)),
    );

    let mut cached = FakeStream::with_host(t.setup.filter(CONFIG), request_host());
    assert_eq!(cached.request_headers(true), HeadersStatus::Continue);
    assert!(cached.host().callouts().is_empty());

    t.setup.clock.advance(Duration::from_secs(56 * 60));
    let mut refreshing = FakeStream::with_host(t.setup.filter(CONFIG), request_host());
    assert_eq!(
        refreshing.request_headers(true),
        HeadersStatus::Continue,
        "the refresh does not hold the request"
    );
    assert_eq!(
        refreshing
            .host()
            .header_str(HeaderMap::RequestHeaders, "x-amz-security-token"),
        Some("token-ASIAOLD")
    );
    let refresh = refreshing.host().callouts()[0].clone();
    answer(
        &mut refreshing,
        &refresh,
        "200",
        &sts_answer(&t.setup, "ASIANEW", Duration::from_secs(3600)),
    );
    assert_eq!(
        refreshing.host().continued(Direction::Request),
        0,
        "nothing to resume"
    );

    let mut later = FakeStream::with_host(t.setup.filter(CONFIG), request_host());
    assert_eq!(later.request_headers(true), HeadersStatus::Continue);
    assert_eq!(
        later
            .host()
            .header_str(HeaderMap::RequestHeaders, "x-amz-security-token"),
        Some("token-ASIANEW")
    );
}

#[test]
fn sts_failure_fails_the_fetching_and_the_waiting_requests() {
    let t = irsa();
    let mut first = FakeStream::with_host(t.setup.filter(CONFIG), request_host());
    first.request_headers(true);
    let mut second = FakeStream::with_host(t.setup.filter(CONFIG), request_host());
    second.request_headers(true);
    let callout = first.host().callouts()[0].clone();
    let error = "<ErrorResponse><Error><Code>AccessDenied</Code><Message>Not authorized</Message></Error></ErrorResponse>";
    answer(&mut first, &callout, "403", error);

    let reply = &first.host().local_replies()[0];
    assert_eq!(
        (reply.status, reply.details.as_deref()),
        (500, Some("aws_lambda_credentials_unavailable"))
    );
    assert!(!String::from_utf8_lossy(&reply.body).contains("projected-sa-token"));
    assert!(
        first
            .host()
            .logs()
            .iter()
            .any(|(_, line)| line.contains("AccessDenied"))
    );

    second.scheduled(invocation::CREDENTIALS_EVENT);
    assert_eq!(second.host().local_replies()[0].status, 500);
}

#[test]
fn a_fetching_stream_that_dies_hands_the_fetch_over() {
    let t = irsa();
    let mut first = FakeStream::with_host(t.setup.filter(CONFIG), request_host());
    first.request_headers(true);
    let mut second = FakeStream::with_host(t.setup.filter(CONFIG), request_host());
    second.request_headers(true);
    drop(first); // reset before STS answered

    assert_eq!(
        second.host().take_scheduled(),
        [invocation::CREDENTIALS_EVENT]
    );
    second.scheduled(invocation::CREDENTIALS_EVENT);
    let callout = second.host().callouts()[0].clone();
    answer(
        &mut second,
        &callout,
        "200",
        &sts_answer(&t.setup, "ASIA2", Duration::from_secs(3600)),
    );
    assert_eq!(second.host().continued(Direction::Request), 1);
}

#[test]
fn callout_start_failure_is_a_500() {
    let t = irsa();
    let host = request_host().with_failing_callouts(dynagate_sdk::CalloutError::ClusterNotFound);
    let mut stream = FakeStream::with_host(t.setup.filter(CONFIG), host);
    stream.request_headers(true);
    assert_eq!(stream.host().local_replies()[0].status, 500);
    assert!(
        stream
            .host()
            .logs()
            .iter()
            .any(|(_, line)| line.contains("sts_cluster")),
        "{:?}",
        stream.host().logs()
    );
}
