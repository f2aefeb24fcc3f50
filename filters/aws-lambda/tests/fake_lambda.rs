//! The fake Lambda Invoke API, driven over real HTTP (1.1 and h2c) with requests signed by the
//! filter's own signer (`LambdaTarget::sign`), as Envoy would send them.
#![allow(clippy::unwrap_used, reason = "test helpers should fail loudly")]

use bytes::Bytes;
use dynagate_aws_lambda::LambdaTarget;
use dynagate_aws_lambda::clock::SystemClock;
use dynagate_aws_lambda::credentials::{Lookup, WebIdentityProviders};
use dynagate_aws_lambda::testing::{FakeFunction, FakeLambda};
use dynagate_config::aws_lambda::{AwsLambda, InvocationMode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;

struct Reply {
    status: u16,
    headers: hyper::HeaderMap,
    body: Bytes,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

async fn fake() -> FakeLambda {
    FakeLambda::builder("us-east-1")
        .key("AKIDEXAMPLE", "secret", None)
        .key("ASIATEMP", "temp-secret", Some("temp-token"))
        .function("echo", FakeFunction::Echo)
        .qualifiers("echo", ["1", "live"])
        .function("fails", FakeFunction::Error("boom".to_owned()))
        .function(
            "broken",
            FakeFunction::NotJson("<html>oops</html>".to_owned()),
        )
        .function("busy", FakeFunction::Throttled)
        .function(
            "slow",
            FakeFunction::Slow(
                Duration::from_millis(200),
                Box::new(FakeFunction::Returns(json!({"ok": true}))),
            ),
        )
        .start()
        .await
        .unwrap()
}

fn target(config: &AwsLambda) -> LambdaTarget {
    let no_env = |_: &str| None::<String>;
    LambdaTarget::compile(
        config,
        &no_env,
        Arc::new(SystemClock),
        &WebIdentityProviders::default(),
    )
    .unwrap()
}

/// Signs `body` for `config` as the filter does and returns the request headers.
fn signed_headers(config: &AwsLambda, body: &[u8]) -> (String, Vec<(String, String)>) {
    let target = target(config);
    let Lookup::Ready { credentials, .. } = target.credentials().lookup() else {
        panic!("static keys expected")
    };
    let signature = target.sign(Some("application/json"), body, &credentials);
    let mut headers = vec![
        ("host".to_owned(), target.authority().to_owned()),
        ("content-type".to_owned(), "application/json".to_owned()),
        (
            "x-amz-invocation-type".to_owned(),
            target.invocation_type().to_owned(),
        ),
    ];
    headers.extend(
        signature
            .iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned())),
    );
    (target.path().to_owned(), headers)
}

async fn send(
    lambda: &FakeLambda,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
    http2: bool,
) -> Reply {
    let stream = TcpStream::connect(lambda.addr()).await.unwrap();
    let mut request = hyper::Request::builder().method("POST");
    if http2 {
        // h2 has no Host header: the authority travels in the URI.
        let host = headers
            .iter()
            .find(|(name, _)| name == "host")
            .map(|(_, value)| value.clone())
            .unwrap();
        request = request.uri(format!("http://{host}{path}"));
    } else {
        request = request.uri(path);
    }
    for (name, value) in headers
        .iter()
        .filter(|(name, _)| !(http2 && name == "host"))
    {
        request = request.header(name, value);
    }
    let request = request
        .body(Full::new(Bytes::copy_from_slice(body)))
        .unwrap();
    let response = if http2 {
        let (mut sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                .await
                .unwrap();
        tokio::spawn(connection);
        sender.send_request(request).await.unwrap()
    } else {
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        sender.send_request(request).await.unwrap()
    };
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body,
    }
}

async fn invoke(lambda: &FakeLambda, config: &AwsLambda, payload: &[u8]) -> Reply {
    let (path, headers) = signed_headers(config, payload);
    send(lambda, &path, &headers, payload, false).await
}

#[tokio::test]
async fn signed_sync_invocation_echoes_the_payload() {
    let lambda = fake().await;
    let mut config = lambda.config_for("echo");
    config.qualifier = Some("live".to_owned());
    let reply = invoke(&lambda, &config, br#"{"raw_path":"/x"}"#).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-amz-executed-version"), Some("live"));
    let output = reply.json();
    assert_eq!(output["statusCode"], 200);
    assert_eq!(output["body"], r#"{"raw_path":"/x"}"#);

    let invocation = &lambda.invocations()[0];
    assert_eq!(
        (invocation.function.as_str(), invocation.qualifier.as_str()),
        ("echo", "live")
    );
    assert_eq!(invocation.invocation_type, "RequestResponse");
    assert_eq!(invocation.access_key_id, "AKIDEXAMPLE");
    assert!(
        invocation
            .signed_headers
            .contains(&"x-amz-invocation-type".to_owned())
    );
}

#[tokio::test]
async fn http2_requests_are_verified_with_the_authority() {
    let lambda = fake().await;
    let config = lambda.config_for("echo");
    let (path, headers) = signed_headers(&config, b"{}");
    let reply = send(&lambda, &path, &headers, b"{}", true).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
}

#[tokio::test]
async fn async_invocations_are_accepted_with_202() {
    let lambda = fake().await;
    let mut config = lambda.config_for("echo");
    config.invocation_mode = InvocationMode::Async;
    let reply = invoke(&lambda, &config, b"{}").await;
    assert_eq!(reply.status, 202);
    assert!(reply.body.is_empty());
    assert_eq!(lambda.invocations()[0].invocation_type, "Event");
}

#[tokio::test]
async fn unknown_functions_and_qualifiers_are_404() {
    let lambda = fake().await;
    let reply = invoke(&lambda, &lambda.config_for("missing"), b"{}").await;
    assert_eq!(
        (reply.status, reply.header("x-amzn-errortype")),
        (404, Some("ResourceNotFoundException"))
    );
    let mut config = lambda.config_for("echo");
    config.qualifier = Some("2".to_owned());
    assert_eq!(invoke(&lambda, &config, b"{}").await.status, 404);
    config.account_id = Some("999999999999".to_owned());
    config.qualifier = None;
    assert_eq!(
        invoke(&lambda, &config, b"{}").await.status,
        404,
        "another account's function"
    );
    config.account_id = None;
    assert_eq!(
        invoke(&lambda, &config, b"{}").await.status,
        200,
        "name:qualifier form"
    );
    assert!(lambda.invocations().len() == 1 && lambda.rejections().len() == 3);
}

#[tokio::test]
async fn a_tampered_request_is_refused() {
    let lambda = fake().await;
    let config = lambda.config_for("echo");
    let (path, headers) = signed_headers(&config, br#"{"amount":1}"#);
    let reply = send(&lambda, &path, &headers, br#"{"amount":9}"#, false).await;
    assert_eq!(
        (reply.status, reply.header("x-amzn-errortype")),
        (403, Some("InvalidSignatureException"))
    );

    let mut forged = headers.clone();
    for (name, value) in &mut forged {
        if name == "x-amz-invocation-type" {
            "Event".clone_into(value);
        }
    }
    assert_eq!(
        send(&lambda, &path, &forged, br#"{"amount":1}"#, false)
            .await
            .status,
        403
    );

    let unsigned: Vec<_> = headers
        .into_iter()
        .filter(|(name, _)| name != "authorization")
        .collect();
    let reply = send(&lambda, &path, &unsigned, br#"{"amount":1}"#, false).await;
    assert_eq!(
        reply.header("x-amzn-errortype"),
        Some("MissingAuthenticationTokenException")
    );
    assert!(lambda.invocations().is_empty());
    assert_eq!(lambda.rejections().len(), 3);
}

#[tokio::test]
async fn session_token_keys_require_their_token() {
    let lambda = fake().await;
    let mut config = lambda.config_for("echo");
    let with_token = r#"{"secret":{"accessKey":"ASIATEMP","secretKey":"temp-secret","sessionToken":"temp-token"}}"#;
    config.credentials = serde_json::from_str(with_token).unwrap();
    assert_eq!(invoke(&lambda, &config, b"{}").await.status, 200);
    let without = r#"{"secret":{"accessKey":"ASIATEMP","secretKey":"temp-secret"}}"#;
    config.credentials = serde_json::from_str(without).unwrap();
    let reply = invoke(&lambda, &config, b"{}").await;
    assert_eq!(
        (reply.status, reply.header("x-amzn-errortype")),
        (403, Some("UnrecognizedClientException"))
    );
}

#[tokio::test]
async fn functions_answer_like_lambda() {
    let lambda = fake().await;
    let fails = invoke(&lambda, &lambda.config_for("fails"), b"{}").await;
    assert_eq!(
        (fails.status, fails.header("x-amz-function-error")),
        (200, Some("Unhandled"))
    );
    assert_eq!(fails.json()["errorMessage"], "boom");

    let broken = invoke(&lambda, &lambda.config_for("broken"), b"{}").await;
    assert_eq!(
        (broken.status, &broken.body[..]),
        (200, &b"<html>oops</html>"[..])
    );

    let busy = invoke(&lambda, &lambda.config_for("busy"), b"{}").await;
    assert_eq!(
        (busy.status, busy.header("x-amzn-errortype")),
        (429, Some("TooManyRequestsException"))
    );

    let slow = invoke(&lambda, &lambda.config_for("slow"), b"{}").await;
    assert_eq!(slow.json(), json!({"ok": true}));

    let not_json = invoke(&lambda, &lambda.config_for("echo"), b"plain text").await;
    assert_eq!(
        (not_json.status, not_json.header("x-amzn-errortype")),
        (400, Some("InvalidRequestContentException"))
    );
    lambda
        .wait_for_requests(5, Duration::from_secs(5))
        .await
        .unwrap();
}

#[tokio::test]
async fn config_for_points_the_filter_at_the_fake() {
    let lambda = fake().await;
    let config = lambda.config_for("echo");
    assert_eq!(
        config.endpoint().unwrap().authority(),
        lambda.addr().to_string()
    );
    assert_eq!(AwsLambda::from_json(&config.to_json()).unwrap(), config);
}

#[tokio::test]
async fn fake_sts_issues_keys_the_invoke_api_accepts() {
    use dynagate_aws_lambda::credentials::{
        SigningCredentials, StsCallout, parse_assume_role_response,
    };
    let lambda = FakeLambda::builder("us-east-1")
        .function("echo", FakeFunction::Echo)
        .web_identity(
            "arn:aws:iam::123456789012:role/gw",
            "sa-token",
            Duration::from_secs(3600),
        )
        .start()
        .await
        .unwrap();
    let exchange = |token: &str| {
        StsCallout::assume_role_with_web_identity(
            "sts",
            &lambda.addr().to_string(),
            "arn:aws:iam::123456789012:role/gw",
            "dynagate",
            token,
            Duration::from_secs(5),
        )
    };
    let form = |callout: &StsCallout| {
        let headers = vec![
            ("host".to_owned(), callout.authority.clone()),
            (
                "content-type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ),
        ];
        (headers, callout.body.clone().into_bytes())
    };

    let (headers, body) = form(&exchange("wrong-token"));
    let refused = send(&lambda, "/", &headers, &body, false).await;
    assert_eq!(refused.status, 403);
    assert!(parse_assume_role_response(refused.status, &refused.body).is_err());

    let (headers, body) = form(&exchange("sa-token"));
    let granted = send(&lambda, "/", &headers, &body, false).await;
    let keys = parse_assume_role_response(granted.status, &granted.body).unwrap();
    assert!(keys.expiration > std::time::SystemTime::now());
    assert_eq!(lambda.sts_calls().len(), 2);
    assert_eq!(
        lambda.sts_calls()[1].issued.as_deref(),
        Some(keys.access_key_id.as_str())
    );

    let config = lambda.config_for("echo");
    let target = target(&config);
    let credentials = SigningCredentials::new(
        &keys.access_key_id,
        &keys.secret_access_key,
        Some(&keys.session_token),
        None,
    );
    let signature = target.sign(Some("application/json"), b"{}", &credentials);
    let mut headers = vec![
        ("host".to_owned(), target.authority().to_owned()),
        ("content-type".to_owned(), "application/json".to_owned()),
        (
            "x-amz-invocation-type".to_owned(),
            "RequestResponse".to_owned(),
        ),
    ];
    headers.extend(
        signature
            .iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned())),
    );
    assert_eq!(
        send(&lambda, target.path(), &headers, b"{}", false)
            .await
            .status,
        200
    );
}
