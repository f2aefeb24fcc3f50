//! Retries in the cluster placement: a later attempt gets the headers the previous attempt
//! rewrote, and must still map the client's request.

use super::*;
use crate::filter::client_request::CLIENT_REQUEST_STATE;

const SESSION_CONFIG: &str = r#"{"functionName":"echo"}"#;
const SESSION_VARS: [(&str, &str); 3] = [
    ("AWS_ACCESS_KEY_ID", "ASIAENV"),
    ("AWS_SECRET_ACCESS_KEY", "env-secret"),
    ("AWS_SESSION_TOKEN", "env-token"),
];

fn session_verifier() -> SigV4Verifier {
    SigV4Verifier::new("us-east-1", "lambda").with_key("ASIAENV", "env-secret", Some("env-token"))
}

fn client_request() -> FakeMessage {
    FakeMessage::request("POST", "/orders?id=7")
        .header("content-type", "text/plain")
        .chunk("place order")
}

/// The downstream stream's filter state as the next attempt sees it.
type StoredState = Option<Vec<u8>>;

/// One attempt with `state` in the filter state; returns what went to Lambda and the state the
/// attempt left.
fn attempt(
    filter: AwsLambdaFilter,
    state: StoredState,
    request: FakeMessage,
) -> (FakeMessage, StoredState) {
    let mut host = FakeHttpHost::new();
    if let Some(value) = &state {
        host.set_filter_state(CLIENT_REQUEST_STATE, value);
    }
    let mut stream = FakeStream::with_host(filter, host);
    let out = stream.exchange(request, lambda_ok("{}"));
    let upstream = out.upstream.expect("request forwarded");
    let state = stream
        .host()
        .filter_state(CLIENT_REQUEST_STATE)
        .map(<[u8]>::to_vec);
    (upstream, state)
}

/// What Envoy hands the next attempt: the previous attempt's rewritten headers, the client's
/// body (Envoy replays its own copy of the body).
fn retried(previous: &FakeMessage) -> FakeMessage {
    FakeMessage {
        headers: previous.headers.clone(),
        chunks: client_request().chunks,
        trailers: Vec::new(),
    }
}

fn event_of(message: &FakeMessage) -> Value {
    serde_json::from_slice(&message.body()).unwrap()
}

#[test]
fn a_retry_maps_the_client_request_not_the_previous_invoke_call() {
    let s = setup(&SESSION_VARS);
    let (first, state) = attempt(s.filter(SESSION_CONFIG), None, client_request());
    assert_eq!(
        first.header_str("x-amz-security-token"),
        Some("env-token"),
        "the retry input carries our session token"
    );

    s.clock.advance(Duration::from_secs(30));
    let (second, state) = attempt(s.filter(SESSION_CONFIG), state, retried(&first));
    let (third, _) = attempt(s.filter(SESSION_CONFIG), state, retried(&second));

    let original = event_of(&first);
    assert_eq!(original["raw_path"], "/orders?id=7");
    for retry in [&second, &third] {
        let event = event_of(retry);
        assert_eq!(
            event, original,
            "every attempt describes the client's request"
        );
        assert!(event["headers"].get("authorization").is_none(), "{event}");
        assert!(
            event["headers"].get("x-amz-security-token").is_none(),
            "{event}"
        );
        assert_eq!(retry.header_str(":path"), first.header_str(":path"));
        assert!(verify(retry, &session_verifier(), s.now()).is_ok());
    }
}

#[test]
fn without_a_stored_original_our_credentials_stay_out_of_the_event() {
    let s = setup(&SESSION_VARS);
    let (first, _) = attempt(s.filter(SESSION_CONFIG), None, client_request());
    // A host that lost the first attempt's filter state.
    let (second, _) = attempt(s.filter(SESSION_CONFIG), None, retried(&first));
    let event = event_of(&second);
    let headers = event["headers"].as_object().unwrap();
    assert!(
        headers
            .keys()
            .all(|name| name != "authorization" && !name.starts_with("x-amz-")),
        "{event}"
    );
    assert!(!event.to_string().contains("env-token"), "{event}");
    assert!(verify(&second, &session_verifier(), s.now()).is_ok());
}

#[test]
fn a_foreign_value_under_the_key_is_neither_used_nor_overwritten() {
    let s = setup(&SESSION_VARS);
    let foreign = b"{\"raw_path\":\"/elsewhere\"}".to_vec();
    let (upstream, state) = attempt(
        s.filter(SESSION_CONFIG),
        Some(foreign.clone()),
        client_request(),
    );
    assert_eq!(event_of(&upstream)["raw_path"], "/orders?id=7");
    assert_eq!(state, Some(foreign));
}

#[test]
fn passthrough_mode_keeps_nothing_and_retries_sign_the_client_body() {
    let s = setup(&SESSION_VARS);
    let config = r#"{"functionName":"echo","payloadTransformMode":"None"}"#;
    let (first, state) = attempt(s.filter(config), None, client_request());
    assert_eq!(state, None);
    let (second, _) = attempt(s.filter(config), state, retried(&first));
    assert_eq!(second.body(), b"place order");
    assert_eq!(second.header_count("authorization"), 1);
    assert_eq!(second.header_count("x-amz-security-token"), 1);
    assert!(verify(&second, &session_verifier(), s.now()).is_ok());
}
