//! AWS Lambda Backends end to end: the `dynagate` controller (in-process) on a manifest directory with
//! kgateway `Backend`s of `spec.aws.lambda`, a stock Envoy 1.40 on the bootstrap it prints (the
//! `aws_lambda` module filter runs on the Lambda cluster), and the loopback fake Lambda as `endpointURL`,
//! which checks every request's SigV4 signature with its own verifier; botocore then re-checks every
//! request the fake received (`aws_lambda/botocore.rs`).
//!
//! Expected results come from kgateway's documented behaviour (`payloadTransformMode`, invocation
//! modes, error pass-through), not from the translation's output.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers should fail loudly"
)]

#[path = "aws_lambda/botocore.rs"]
mod botocore;
#[path = "support/controlled.rs"]
mod controlled;
#[path = "aws_lambda/irsa.rs"]
mod irsa;

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use controlled::ControlledGateway;
use dynagate_aws_lambda::testing::{FakeFunction, FakeLambda, ReceivedInvoke, RecordedInvocation};
use dynagate_controller::run::Controller;
use dynagate_e2e::{
    Bootstrap, Cluster, Envoy, EnvoyOptions, GATEWAY_NAME, HttpRequest, HttpResponse, Listener,
    MAIN_LISTENER, ManifestDir, ModuleConfig, ModuleFilter, Route, Value, eventually,
    gateway_manifest, json,
};

const REGION: &str = "us-east-1";
/// How often a throttled request is retried in the retry test.
const RETRIES: usize = 2;
/// The fake's default account: Backends name functions by full ARN.
const ACCOUNT: &str = "123456789012";
const ACCESS_KEY: &str = "AKIAE2EFAKEKEY000001";
const SECRET_KEY: &str = "e2e/fake+secret/key/0123456789abcdefghij";
const SESSION_TOKEN: &str = "e2e-fake-session-token";
/// A different secret for the same key id: every signature made with it is wrong.
const WRONG_SECRET_KEY: &str = "e2e/WRONG+secret/key/0123456789abcdefghij";
/// Keys in Envoy's environment (`AWS_ACCESS_KEY_ID`, ...), for Backends without `auth`.
const ENV_ACCESS_KEY: &str = "AKIAE2EFAKEENVKEY0002";
const ENV_SECRET_KEY: &str = "e2e/env+secret/key/0123456789abcdefghijk";
const ENV_SESSION_TOKEN: &str = "e2e-fake-env-session-token";
/// The keys botocore re-signs with (not [`WRONG_SECRET_KEY`]).
const BOTOCORE_KEYS: [botocore::Key<'static>; 2] = [
    (ACCESS_KEY, SECRET_KEY, Some(SESSION_TOKEN)),
    (ENV_ACCESS_KEY, ENV_SECRET_KEY, Some(ENV_SESSION_TOKEN)),
];
/// How long the `slow` function takes, and the request timeout of the route that gives up first.
const SLOW: Duration = Duration::from_millis(1000);
const SLOW_ROUTE_TIMEOUT: &str = "150ms";

/// Re-signs every request `lambda` received with botocore; returns the mismatches after checking that
/// botocore looked at all of them.
fn botocore_mismatches(lambda: &FakeLambda) -> Vec<botocore::Mismatch> {
    let received = lambda.received();
    assert!(!received.is_empty(), "the fake received nothing");
    let report = botocore::check(&received, REGION, &BOTOCORE_KEYS);
    assert_eq!(report.checked, received.len(), "botocore skipped requests");
    report.mismatches
}

/// botocore reproduces the signature of every request `lambda` received.
fn assert_botocore_agrees(lambda: &FakeLambda) {
    let mismatches = botocore_mismatches(lambda);
    assert!(mismatches.is_empty(), "botocore disagrees: {mismatches:#?}");
}

/// `request` with the first value of header `name` replaced.
fn tampered(request: &ReceivedInvoke, name: &str, value: &str) -> ReceivedInvoke {
    let mut request = request.clone();
    let header = request.headers.iter_mut().find(|(key, _)| key == name);
    header.unwrap_or_else(|| panic!("no {name} header")).1 = value.to_owned();
    request
}

/// What a function named `returns` answers: a full API-Gateway-style result.
fn returns_result() -> Value {
    json!({
        "statusCode": 201,
        "headers": {"x-made-by": "lambda", "content-type": "application/octet-stream"},
        "cookies": ["a=1; Path=/", "b=2"],
        "body": BASE64.encode(b"\x00\x01binary\xff"),
        "isBase64Encoded": true,
    })
}

async fn start_fake() -> FakeLambda {
    FakeLambda::builder(REGION)
        .key(ACCESS_KEY, SECRET_KEY, Some(SESSION_TOKEN))
        .key(ENV_ACCESS_KEY, ENV_SECRET_KEY, Some(ENV_SESSION_TOKEN))
        .function("echo", FakeFunction::Echo)
        .qualifiers("echo", ["live", "prod"])
        .function("mirror", FakeFunction::Mirror)
        .function(
            "slow",
            FakeFunction::Slow(SLOW, Box::new(FakeFunction::Echo)),
        )
        .function("returns", FakeFunction::Returns(returns_result()))
        .function("boom", FakeFunction::Error("it broke".to_owned()))
        .function(
            "garbage",
            FakeFunction::NotJson("<html>not json</html>".to_owned()),
        )
        .function("busy", FakeFunction::Throttled)
        .start()
        .await
        .unwrap()
}

fn secret_manifest(name: &str, secret_key: &str, extra: &str) -> String {
    format!(
        "apiVersion: v1
kind: Secret
metadata: {{name: {name}, namespace: default}}
stringData:
  accessKey: {ACCESS_KEY}
  secretKey: {secret_key}
{extra}"
    )
}

/// A Lambda Backend at the fake, signing with Secret `secret` (none when empty: credentials from
/// Envoy's environment). `lambda` is extra flow-style fields of `spec.aws.lambda`.
fn backend(name: &str, function: &str, secret: &str, endpoint: &str, lambda: &str) -> String {
    let auth = if secret.is_empty() {
        String::new()
    } else {
        format!("    auth: {{type: Secret, secretRef: {{name: {secret}}}}}\n")
    };
    format!(
        "---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: Backend
metadata: {{name: {name}, namespace: default}}
spec:
  type: AWS
  aws:
    region: {REGION}
    accountId: \"{ACCOUNT}\"
{auth}    lambda: {{functionName: {function}, endpointURL: \"{endpoint}\"{lambda}}}
"
    )
}

/// Every Backend of the tests, and one route with a path prefix per Backend (`/<backend name>`).
fn manifests(endpoint: &str) -> Vec<(&'static str, String)> {
    let backends = [
        ("echo", "echo", "creds", ""),
        ("live", "echo", "creds", ", qualifier: live"),
        ("prod", "echo", "creds", ", qualifier: prod"),
        ("env", "echo", "", ""),
        ("mirror", "mirror", "creds", ""),
        ("slow", "slow", "creds", ""),
        ("impatient", "slow", "creds", ""),
        ("missing", "no-such-function", "creds", ""),
        ("raw", "echo", "creds", ", payloadTransformMode: None"),
        ("async", "echo", "creds", ", invocationMode: Async"),
        ("returns", "returns", "creds", ""),
        ("boom", "boom", "creds", ""),
        ("garbage", "garbage", "creds", ""),
        ("busy", "busy", "creds", ""),
        ("forged", "echo", "wrong-creds", ""),
        ("no-secret-key", "echo", "half-creds", ""),
    ];
    let mut backend_yaml = String::new();
    let mut rules = String::new();
    for (name, function, secret, lambda) in backends {
        backend_yaml.push_str(&backend(name, function, secret, endpoint, lambda));
        rules.push_str(&format!(
            "  - matches: [{{path: {{type: PathPrefix, value: /{name}}}}}]\n    backendRefs: [{{group: gateway.kgateway.dev, kind: Backend, name: {name}}}]\n"
        ));
        if name == "impatient" {
            rules.push_str(&format!(
                "    timeouts: {{request: {SLOW_ROUTE_TIMEOUT}}}\n"
            ));
        }
    }
    let secrets = [
        secret_manifest(
            "creds",
            SECRET_KEY,
            &format!("  sessionToken: {SESSION_TOKEN}\n"),
        ),
        secret_manifest(
            "wrong-creds",
            WRONG_SECRET_KEY,
            &format!("  sessionToken: {SESSION_TOKEN}\n"),
        ),
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata: {{name: half-creds, namespace: default}}\nstringData: {{accessKey: {ACCESS_KEY}}}\n"
        ),
    ]
    .join("---\n");
    let route = format!(
        "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: lambdas, namespace: default}}
spec:
  parentRefs: [{{name: {GATEWAY_NAME}}}]
  rules:
{rules}"
    );
    vec![
        ("secrets.yaml", secrets),
        ("backends.yaml", backend_yaml),
        ("route.yaml", route),
    ]
}

/// The controller and an Envoy serving Gateway `default/edge`, plus the fake Lambda behind it.
struct LambdaGateway {
    lambda: FakeLambda,
    _manifests: ManifestDir,
    controller: Controller,
    _envoy: Envoy,
    addr: SocketAddr,
}

impl LambdaGateway {
    async fn start() -> Self {
        let lambda = start_fake().await;
        let ControlledGateway {
            envoy,
            controller,
            manifests,
            addr,
            ..
        } = ControlledGateway::start_with(
            gateway_manifest,
            &manifests_for(&lambda),
            EnvoyOptions::default()
                .env("AWS_ACCESS_KEY_ID", ENV_ACCESS_KEY)
                .env("AWS_SECRET_ACCESS_KEY", ENV_SECRET_KEY)
                .env("AWS_SESSION_TOKEN", ENV_SESSION_TOKEN),
        )
        .await;
        let gateway = Self {
            lambda,
            _manifests: manifests,
            controller,
            _envoy: envoy,
            addr,
        };
        // Routes and clusters arrive over xDS after the listener: wait until the fake is reached.
        eventually("the echo function to be reachable", || async {
            match HttpRequest::post("/echo")
                .body("{}")
                .send(gateway.addr)
                .await
            {
                Ok(response) if response.status == 200 => Ok(()),
                Ok(response) => Err(format!("{}: {}", response.status, response.text())),
                Err(err) => Err(err.to_string()),
            }
        })
        .await
        .unwrap();
        gateway
    }

    async fn send(&self, request: HttpRequest) -> HttpResponse {
        request.send(self.addr).await.unwrap()
    }

    async fn status_document(&self) -> String {
        let response = HttpRequest::get("/status")
            .send(self.controller.admin_addr())
            .await
            .unwrap();
        assert_eq!(response.status, 200);
        response.text()
    }
}

fn manifests_for(lambda: &FakeLambda) -> Vec<(&'static str, String)> {
    manifests(&lambda.endpoint_url())
}

/// The event the filter sent, as the echo function returns it in its result's `body`.
fn echoed_event(response: &HttpResponse) -> Value {
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("x-fake-function"), Some("echo"));
    serde_json::from_slice(&response.body).unwrap()
}

#[tokio::test]
async fn lambda_backends_behave_as_kgateway_documents() {
    let gateway = LambdaGateway::start().await;
    let warmup = gateway.lambda.invocations().len();

    // payloadTransformMode Envoy: the request becomes the JSON event, the result becomes the response.
    let response = gateway
        .send(
            HttpRequest::new("PUT", "/echo/items?x=1&y=two")
                .header("content-type", "text/plain")
                .header("x-a", "1")
                .header("x-a", "2")
                .body("hello lambda"),
        )
        .await;
    assert_eq!(response.header("content-type"), Some("application/json"));
    let event = echoed_event(&response);
    assert_eq!(event["raw_path"], "/echo/items?x=1&y=two");
    assert_eq!(event["method"], "PUT");
    assert_eq!(event["headers"]["x-a"], "1,2");
    assert_eq!(event["headers"]["content-type"], "text/plain");
    assert_eq!(
        event["query_string_parameters"],
        json!({"x": "1", "y": "two"})
    );
    assert_eq!(event["body"], "hello lambda");
    assert_eq!(event["is_base64_encoded"], false);
    let invocations = gateway.lambda.invocations();
    let invocation = &invocations[warmup];
    assert_eq!(
        (
            invocation.function.as_str(),
            invocation.qualifier.as_str(),
            invocation.invocation_type.as_str(),
            invocation.access_key_id.as_str(),
        ),
        ("echo", "$LATEST", "RequestResponse", ACCESS_KEY)
    );
    assert!(
        invocation
            .signed_headers
            .iter()
            .any(|h| h == "x-amz-security-token"),
        "the session token is signed: {:?}",
        invocation.signed_headers
    );
    // The fake saw the event itself, not the client's body.
    let payload: Value = serde_json::from_slice(&invocation.payload).unwrap();
    assert_eq!(payload, event);

    // Binary bodies travel base64-encoded; a qualifier reaches the function.
    let bytes = [0_u8, 159, 146, 150, 255];
    let response = gateway
        .send(
            HttpRequest::post("/live")
                .header("content-type", "application/octet-stream")
                .body(bytes.to_vec()),
        )
        .await;
    let event = echoed_event(&response);
    assert_eq!(event["is_base64_encoded"], true);
    assert_eq!(event["body"], BASE64.encode(bytes));
    assert_eq!(
        gateway.lambda.invocations().last().unwrap().qualifier,
        "live"
    );

    // Another alias of the same function, as the ARN qualifier.
    let response = gateway.send(HttpRequest::post("/prod").body("{}")).await;
    echoed_event(&response);
    let invocation = gateway.lambda.invocations().last().unwrap().clone();
    assert_eq!(
        (invocation.function.as_str(), invocation.qualifier.as_str()),
        ("echo", "prod")
    );
    let path = gateway.lambda.received().last().unwrap().path.clone();
    assert!(
        path.ends_with(":prod/invocations") || path.ends_with("%3Aprod/invocations"),
        "the qualifier is in the function ARN: {path}"
    );

    // Any bytes go to the function and come back unchanged.
    let bytes: Vec<u8> = (0..=255_u8).rev().chain(*b"\r\n\x00end").collect();
    let response = gateway
        .send(
            HttpRequest::post("/mirror")
                .header("content-type", "application/octet-stream")
                .body(bytes.clone()),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.body.as_ref(), bytes.as_slice());

    // The function's result maps to status, headers, cookies and a decoded body.
    let response = gateway.send(HttpRequest::get("/returns")).await;
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(response.header("x-made-by"), Some("lambda"));
    assert_eq!(
        response.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(response.header_values("set-cookie"), ["a=1; Path=/", "b=2"]);
    assert_eq!(response.body.as_ref(), b"\x00\x01binary\xff");

    // payloadTransformMode None: the body goes as-is and the function's raw result comes back.
    let response = gateway
        .send(HttpRequest::post("/raw").body(r#"{"k":"v"}"#))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        gateway.lambda.invocations().last().unwrap().payload,
        br#"{"k":"v"}"#
    );
    let raw: Value = response.json().unwrap();
    assert_eq!(raw["statusCode"], 200, "not unwrapped: {raw}");
    assert_eq!(raw["body"], r#"{"k":"v"}"#);

    // Async: Lambda queues the event and answers 202, passed through.
    let response = gateway.send(HttpRequest::post("/async").body("{}")).await;
    assert_eq!(response.status, 202, "{}", response.text());
    assert!(response.body.is_empty());
    assert_eq!(
        gateway.lambda.invocations().last().unwrap().invocation_type,
        "Event"
    );

    assert_botocore_agrees(&gateway.lambda);
}

/// Without `auth`, the filter signs with the keys in Envoy's environment (session token included).
#[tokio::test]
async fn backends_without_auth_sign_with_the_proxy_environment() {
    let gateway = LambdaGateway::start().await;
    let response = gateway
        .send(
            HttpRequest::post("/env")
                .header("content-type", "text/plain")
                .body("from env"),
        )
        .await;
    assert_eq!(echoed_event(&response)["body"], "from env");
    let invocation = gateway.lambda.invocations().last().unwrap().clone();
    assert_eq!(invocation.access_key_id, ENV_ACCESS_KEY);
    assert_eq!(
        invocation.header("x-amz-security-token"),
        Some(ENV_SESSION_TOKEN)
    );
    assert!(
        invocation
            .signed_headers
            .iter()
            .any(|h| h == "x-amz-security-token"),
        "{:?}",
        invocation.signed_headers
    );
    assert_botocore_agrees(&gateway.lambda);
}

/// A slow function completes within the default route timeout; a route with a shorter
/// `timeouts.request` gives up with Gateway API's 504. An unknown function's 404 passes through.
#[tokio::test]
async fn slow_and_unknown_functions() {
    let gateway = LambdaGateway::start().await;

    let started = std::time::Instant::now();
    let response = gateway
        .send(
            HttpRequest::post("/slow")
                .header("content-type", "text/plain")
                .body("patience"),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("x-fake-function"), Some("slow"));
    let event: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(event["body"], "patience");
    assert!(
        started.elapsed() >= SLOW,
        "answered before the function finished"
    );

    let started = std::time::Instant::now();
    let response = gateway
        .send(HttpRequest::post("/impatient").body("{}"))
        .await;
    assert_eq!(response.status, 504, "{}", response.text());
    assert!(
        started.elapsed() < SLOW,
        "waited for the function: {:?}",
        started.elapsed()
    );

    let rejected_before = gateway.lambda.rejections().len();
    let response = gateway.send(HttpRequest::post("/missing").body("{}")).await;
    assert_eq!(response.status, 404, "{}", response.text());
    assert_eq!(
        response.header("x-amzn-errortype"),
        Some("ResourceNotFoundException")
    );
    let rejections = gateway.lambda.rejections();
    assert_eq!(rejections.len(), rejected_before + 1);
    assert!(
        rejections
            .last()
            .unwrap()
            .reason
            .contains("no-such-function")
    );

    assert_botocore_agrees(&gateway.lambda);
}

/// The botocore check is real: it refuses a signed request whose signed header or body was changed.
#[tokio::test]
async fn botocore_refuses_tampered_requests() {
    let gateway = LambdaGateway::start().await;
    let response = gateway
        .send(HttpRequest::post("/echo").body("original"))
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let genuine = gateway.lambda.received().last().unwrap().clone();
    let mut changed_body = genuine.clone();
    changed_body.body = br#"{"tampered":true}"#.to_vec();
    let mut other_function = genuine.clone();
    other_function.path = genuine.path.replace("echo", "boom");
    assert_ne!(other_function.path, genuine.path);
    let requests = [
        genuine.clone(),
        tampered(&genuine, "x-amz-invocation-type", "Event"),
        tampered(&genuine, "x-amz-security-token", "another-token"),
        changed_body,
        other_function,
    ];
    let report = botocore::check(&requests, REGION, &BOTOCORE_KEYS);
    assert_eq!(report.checked, requests.len());
    let refused: Vec<usize> = report.mismatches.iter().map(|m| m.index).collect();
    assert_eq!(
        refused,
        [1, 2, 3, 4],
        "the genuine request passes, every tampered one fails: {:#?}",
        report.mismatches
    );
}

#[tokio::test]
async fn lambda_errors_and_bad_credentials_pass_through_and_bad_backends_stay_out_of_envoy() {
    let gateway = LambdaGateway::start().await;

    // A function error passes through untouched.
    let response = gateway.send(HttpRequest::post("/boom").body("{}")).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("x-amz-function-error"), Some("Unhandled"));
    let error: Value = response.json().unwrap();
    assert_eq!(error["errorMessage"], "it broke");

    // A result that is not JSON cannot be mapped: 500 saying why.
    let response = gateway.send(HttpRequest::post("/garbage").body("{}")).await;
    assert_eq!(response.status, 500);
    assert!(
        response.text().starts_with("aws_lambda:"),
        "{}",
        response.text()
    );

    // Throttling passes through.
    let response = gateway.send(HttpRequest::post("/busy").body("{}")).await;
    assert_eq!(response.status, 429, "{}", response.text());

    // Keys the fake does not know: it refuses the signature, and the 403 passes through.
    let rejected_before = gateway.lambda.rejections().len();
    let response = gateway.send(HttpRequest::post("/forged").body("{}")).await;
    assert_eq!(response.status, 403, "{}", response.text());
    let rejections = gateway.lambda.rejections();
    assert_eq!(rejections.len(), rejected_before + 1);
    assert_eq!(
        rejections.last().unwrap().error_type,
        "InvalidSignatureException"
    );
    // botocore refuses exactly that request too, and agrees with every other.
    let mismatches = botocore_mismatches(&gateway.lambda);
    assert_eq!(mismatches.len(), 1, "{mismatches:#?}");
    assert!(
        mismatches[0].reason.contains("authorization differs"),
        "{mismatches:#?}"
    );

    // A Backend whose Secret lacks secretKey: 500 from the route, Accepted=False on the Backend.
    let response = gateway
        .send(HttpRequest::post("/no-secret-key").body("{}"))
        .await;
    assert_eq!(response.status, 500);
    let text = gateway.status_document().await;
    let document: Value = serde_json::from_str(&text).unwrap();
    let backend = document["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "Backend" && o["name"] == "no-secret-key")
        .unwrap_or_else(|| panic!("no status for the Backend: {text}"));
    assert_eq!(backend["conditions"][0]["type"], "Accepted");
    assert_eq!(backend["conditions"][0]["status"], "False");
    assert_eq!(
        backend["conditions"][0]["message"],
        "Secret default/half-creds: secretKey is missing or empty"
    );
    // Secrets never show in /status.
    for secret in [SECRET_KEY, WRONG_SECRET_KEY, SESSION_TOKEN] {
        assert!(!text.contains(secret), "/status shows a secret");
    }
}

/// Envoy with the `aws_lambda` filter on the Lambda cluster and a route retrying 429 up to [`RETRIES`]
/// times. The controller does not translate retry policies yet, so this is a static bootstrap of the
/// same shape as the controller's Lambda cluster.
async fn envoy_retrying_429(lambda: &FakeLambda, function: &str) -> Envoy {
    let config = lambda.config_for(function);
    let filter = ModuleFilter::dynagate("aws_lambda", ModuleConfig::text(config.to_json()));
    let retry_policy = json!({
        "retry_on": "retriable-status-codes",
        "retriable_status_codes": [429],
        "num_retries": RETRIES,
        "retry_back_off": {"base_interval": "0.01s", "max_interval": "0.05s"},
    });
    Bootstrap::new()
        .listener(
            Listener::new(MAIN_LISTENER).route(
                Route::prefix("/")
                    .to_cluster("lambda")
                    .route_option("retry_policy", retry_policy),
            ),
        )
        .cluster(Cluster::new("lambda", lambda.addr()).upstream_filter(filter))
        .start()
        .await
        .unwrap()
}

/// A throttled function retried by Envoy: the result of all attempts as the fake saw them.
async fn retried_invocations() -> Vec<RecordedInvocation> {
    let lambda = start_fake().await;
    let envoy = envoy_retrying_429(&lambda, "busy").await;
    let response = HttpRequest::post("/orders?id=7")
        .header("content-type", "text/plain")
        .body("place order")
        .send(envoy.addr().unwrap())
        .await
        .unwrap();
    assert_eq!(response.status, 429, "{}", response.text());
    assert!(
        lambda.rejections().is_empty(),
        "a signature was refused: {:?}",
        lambda.rejections()
    );
    assert_botocore_agrees(&lambda);
    lambda.invocations()
}

/// Every attempt is signed afresh (the fake verifies each one) over a body wrapped once, from the
/// client's body.
#[tokio::test]
async fn every_retry_attempt_is_signed_over_the_original_body() {
    let invocations = retried_invocations().await;
    assert_eq!(invocations.len(), 1 + RETRIES, "first try and every retry");
    for invocation in &invocations {
        assert_eq!(invocation.function, "busy");
        let event: Value = serde_json::from_slice(&invocation.payload).unwrap();
        assert_eq!(event["body"], "place order", "wrapped once: {event}");
        assert_eq!(event["method"], "POST");
    }
}

/// On a retry, Envoy hands the upstream filter the request headers the previous attempt rewrote, so the
/// event must still describe the client's request, not the previous Invoke call (whose `authorization`
/// and `x-amz-security-token` would otherwise reach the function).
#[tokio::test]
async fn retried_events_describe_the_client_request() {
    let invocations = retried_invocations().await;
    for invocation in &invocations {
        let event: Value = serde_json::from_slice(&invocation.payload).unwrap();
        assert_eq!(event["raw_path"], "/orders?id=7", "{event}");
        assert_eq!(event["headers"]["content-type"], "text/plain", "{event}");
        assert!(event["headers"].get("authorization").is_none(), "{event}");
        assert!(
            event["headers"].get("x-amz-security-token").is_none(),
            "{event}"
        );
    }
}
