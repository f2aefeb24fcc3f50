//! IRSA through the controller: a Lambda Backend without `auth`, Envoy with only
//! `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` in its environment, and the controller's STS
//! override (`dynagate run --aws-sts-endpoint`) pointing the STS cluster at the fake's STS.

use std::time::Duration;

use dynagate_aws_lambda::testing::{FakeFunction, FakeLambda};
use dynagate_controller::run::TranslateOptions;
use dynagate_e2e::{EnvoyOptions, GATEWAY_NAME, HttpRequest, eventually, gateway_manifest};
use tokio::task::JoinSet;

use super::controlled::ControlledGateway;
use super::{ACCESS_KEY, REGION, SECRET_KEY, SESSION_TOKEN, backend, botocore, echoed_event};

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/e2e-irsa";
const SESSION_NAME: &str = "e2e-irsa-session";
const WEB_IDENTITY_TOKEN: &str = "e2e.web-identity.token";
/// Requests sent at once before any credentials exist.
const COLD_START_REQUESTS: usize = 12;

/// The secret of a key the fake STS issued: the fake issues `ASIAFAKESTS<n>` with
/// `fake-sts-secret-<n>` (it reports only key ids), and botocore needs the secret to re-sign.
fn fake_sts_secret(access_key_id: &str) -> String {
    let number = access_key_id.trim_start_matches("ASIAFAKESTS");
    format!("fake-sts-secret-{}", number.trim_start_matches('0'))
}

fn manifests(endpoint: &str) -> Vec<(&'static str, String)> {
    let secret = super::secret_manifest(
        "creds",
        SECRET_KEY,
        &format!("  sessionToken: {SESSION_TOKEN}\n"),
    );
    let backends = [
        backend("irsa", "echo", "", endpoint, ""),
        // Signs with a Secret: proves the configuration is in Envoy without fetching credentials.
        backend("ready", "echo", "creds", endpoint, ""),
    ]
    .concat();
    let rule = |name: &str| {
        format!(
            "  - matches: [{{path: {{type: PathPrefix, value: /{name}}}}}]\n    backendRefs: [{{group: gateway.kgateway.dev, kind: Backend, name: {name}}}]\n"
        )
    };
    let route = format!(
        "apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: lambdas, namespace: default}}
spec:
  parentRefs: [{{name: {GATEWAY_NAME}}}]
  rules:
{}{}",
        rule("irsa"),
        rule("ready")
    );
    vec![
        ("secrets.yaml", secret),
        ("backends.yaml", backends),
        ("route.yaml", route),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn irsa_signs_with_sts_keys_fetched_once_for_concurrent_cold_requests() {
    let lambda = FakeLambda::builder(REGION)
        .key(ACCESS_KEY, SECRET_KEY, Some(SESSION_TOKEN))
        .web_identity(ROLE_ARN, WEB_IDENTITY_TOKEN, Duration::from_secs(3600))
        .function("echo", FakeFunction::Echo)
        .start()
        .await
        .unwrap();
    let token_dir = tempfile::tempdir().unwrap();
    let token_file = token_dir.path().join("token");
    // The kubelet writes the projected token with a trailing newline.
    std::fs::write(&token_file, format!("{WEB_IDENTITY_TOKEN}\n")).unwrap();
    let envoy_env = EnvoyOptions::default()
        .env("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.to_str().unwrap())
        .env("AWS_ROLE_ARN", ROLE_ARN)
        .env("AWS_ROLE_SESSION_NAME", SESSION_NAME)
        // Empty counts as unset: static keys from the test runner's environment must not win.
        .env("AWS_ACCESS_KEY_ID", "")
        .env("AWS_SECRET_ACCESS_KEY", "")
        .env("AWS_SESSION_TOKEN", "");
    let translate = TranslateOptions::default()
        .with_aws_sts_endpoint(&lambda.endpoint_url())
        .unwrap();
    let gateway = ControlledGateway::start_translated(
        gateway_manifest,
        &manifests(&lambda.endpoint_url()),
        envoy_env,
        translate,
    )
    .await;
    let addr = gateway.addr;
    eventually("the Secret-signed Backend to be reachable", || async {
        match HttpRequest::post("/ready").body("{}").send(addr).await {
            Ok(response) if response.status == 200 => Ok(()),
            Ok(response) => Err(format!("{}: {}", response.status, response.text())),
            Err(err) => Err(err.to_string()),
        }
    })
    .await
    .unwrap();
    assert!(lambda.sts_calls().is_empty(), "no IRSA request yet");

    // Cold start: no keys cached; every request must wait for the one STS exchange.
    let mut requests = JoinSet::new();
    for index in 0..COLD_START_REQUESTS {
        requests.spawn(
            HttpRequest::post("/irsa")
                .header("content-type", "text/plain")
                .body(format!("cold {index}"))
                .send(addr),
        );
    }
    while let Some(response) = requests.join_next().await {
        let response = response.unwrap().unwrap();
        let body = echoed_event(&response)["body"].clone();
        assert!(body.as_str().unwrap().starts_with("cold "), "{body}");
    }
    // Warm: served from the cache.
    let response = HttpRequest::post("/irsa")
        .header("content-type", "text/plain")
        .body("warm")
        .send(addr)
        .await
        .unwrap();
    assert_eq!(echoed_event(&response)["body"], "warm");

    let calls = lambda.sts_calls();
    assert_eq!(
        calls.len(),
        1,
        "one STS exchange for all requests: {calls:#?}"
    );
    let call = calls[0].clone();
    assert_eq!(call.role_arn, ROLE_ARN);
    assert_eq!(call.session_name, SESSION_NAME);
    let issued = call.issued.expect("the fake STS issued keys");
    let irsa: Vec<_> = lambda
        .invocations()
        .into_iter()
        .filter(|invocation| invocation.access_key_id != ACCESS_KEY)
        .collect();
    assert_eq!(irsa.len(), COLD_START_REQUESTS + 1, "{irsa:#?}");
    let session_token = irsa[0]
        .header("x-amz-security-token")
        .expect("STS keys come with a session token")
        .to_owned();
    for invocation in &irsa {
        // The fake accepted the signature only for the key, secret and token its STS issued.
        assert_eq!(invocation.access_key_id, issued);
        assert_eq!(
            invocation.header("x-amz-security-token"),
            Some(session_token.as_str())
        );
        assert!(
            invocation
                .signed_headers
                .iter()
                .any(|h| h == "x-amz-security-token"),
            "{:?}",
            invocation.signed_headers
        );
    }
    assert!(lambda.rejections().is_empty(), "{:#?}", lambda.rejections());

    let sts_secret = fake_sts_secret(&issued);
    let keys = [
        (ACCESS_KEY, SECRET_KEY, Some(SESSION_TOKEN)),
        (
            issued.as_str(),
            sts_secret.as_str(),
            Some(session_token.as_str()),
        ),
    ];
    let received = lambda.received();
    let report = botocore::check(&received, REGION, &keys);
    assert_eq!(report.checked, received.len(), "botocore skipped requests");
    assert!(
        report.mismatches.is_empty(),
        "botocore disagrees: {:#?}",
        report.mismatches
    );
}
