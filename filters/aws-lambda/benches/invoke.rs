//! Per-request cost of an Invoke call for a 1 KB body: the JSON event (Envoy mode) and the
//! SigV4 signature over it (target: under 10 µs together).

use criterion::{Criterion, criterion_group, criterion_main};
use dynagate_aws_lambda::LambdaTarget;
use dynagate_aws_lambda::clock::SystemClock;
use dynagate_aws_lambda::credentials::{Lookup, WebIdentityProviders};
use dynagate_aws_lambda::event::{OriginalRequest, encode_request_event};
use std::hint::black_box;
use std::sync::Arc;

const CONFIG: &str = r#"{"region":"us-east-1","accountId":"123456789012","functionName":"echo",
    "credentials":{"secret":{"accessKey":"AKIDEXAMPLE","secretKey":"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}}}"#;

fn invoke(c: &mut Criterion) {
    let no_env = |_: &str| None::<String>;
    let target = LambdaTarget::from_json(
        CONFIG,
        &no_env,
        Arc::new(SystemClock),
        &WebIdentityProviders::default(),
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let Lookup::Ready { credentials, .. } = target.credentials().lookup() else {
        panic!("static keys")
    };
    let body = "x".repeat(1024);
    let headers: [(&[u8], &[u8]); 8] = [
        (b":method", b"POST"),
        (b":path", b"/api/orders?id=42&verbose"),
        (b":authority", b"gateway.example.com"),
        (b"content-type", b"application/json"),
        (b"user-agent", b"curl/8.5.0"),
        (b"accept", b"*/*"),
        (b"x-request-id", b"5f1c6c1e-8e5a-4e0f-9d2b-3c2f4b1a0e7d"),
        (b"x-forwarded-for", b"10.0.0.1"),
    ];
    let request = OriginalRequest {
        method: b"POST",
        path: b"/api/orders?id=42&verbose",
        headers: &headers,
    };

    c.bench_function("event_1k", |b| {
        b.iter(|| encode_request_event(black_box(&request), Some(body.as_bytes())))
    });
    let event = encode_request_event(&request, Some(body.as_bytes()));
    c.bench_function("sign_1k", |b| {
        b.iter(|| target.sign(Some("application/json"), black_box(&event), &credentials))
    });
    // The same signature through aws-sigv4's general signer, for comparison on the same machine.
    let identity: aws_smithy_runtime_api::client::identity::Identity =
        aws_credential_types::Credentials::new(
            credentials.access_key_id(),
            credentials.secret_access_key(),
            None,
            None,
            "bench",
        )
        .into();
    let uri = format!("https://{}{}", target.authority(), target.path());
    c.bench_function("sign_1k_aws_sigv4_general_signer", |b| {
        b.iter(|| {
            use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
            let params = aws_sigv4::sign::v4::SigningParams::builder()
                .identity(&identity)
                .region("us-east-1")
                .name("lambda")
                .time(std::time::SystemTime::now())
                .settings(SigningSettings::default())
                .build()
                .map(Into::into);
            let headers = [
                ("host", target.authority()),
                ("content-type", "application/json"),
                ("x-amz-invocation-type", "RequestResponse"),
            ];
            let request = SignableRequest::new(
                "POST",
                uri.as_str(),
                headers.into_iter(),
                SignableBody::Bytes(black_box(&event)),
            );
            match (params, request) {
                (Ok(params), Ok(request)) => sign(request, &params).is_ok(),
                _ => false,
            }
        })
    });
    c.bench_function("event_and_sign_1k", |b| {
        b.iter(|| {
            let event = encode_request_event(black_box(&request), Some(body.as_bytes()));
            target.sign(Some("application/json"), &event, &credentials)
        })
    });
}

criterion_group!(benches, invoke);
criterion_main!(benches);
