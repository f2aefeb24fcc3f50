//! The signer checked two ways: byte-identical to `aws-sigv4`'s general signer (the
//! reference), and accepted by the independent verifier (`testing::SigV4Verifier`).

use super::*;
use crate::testing::{ReceivedRequest, Rejection, SigV4Verifier};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SigningSettings, sign as reference_sign,
};
use aws_smithy_runtime_api::client::identity::Identity;
use std::time::Duration;

const PATH: &str =
    "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:echo:$LATEST/invocations";
const AUTHORITY: &str = "lambda.us-east-1.amazonaws.com";

fn at(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

/// What `aws-sigv4`'s general-purpose signer produces for the same request.
fn reference(
    region: &str,
    authority: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    credentials: &SigningCredentials,
    time: SystemTime,
) -> Vec<(String, String)> {
    let identity: Identity = Credentials::new(
        credentials.access_key_id(),
        credentials.secret_access_key(),
        credentials.session_token().map(str::to_owned),
        None,
        "test",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("lambda")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let all = core::iter::once(("host", authority)).chain(headers.iter().copied());
    let request = SignableRequest::new(
        "POST",
        format!("https://{authority}{path}"),
        all,
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = reference_sign(request, &params).unwrap().into_parts();
    let mut out: Vec<_> = instructions
        .headers()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    out.sort();
    out
}

fn ours(signature: &SignatureHeaders) -> Vec<(String, String)> {
    let mut out: Vec<_> = signature
        .iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    out.sort();
    out
}

#[test]
fn matches_the_aws_sigv4_reference_signer_byte_for_byte() {
    let paths = [
        (PATH, "us-east-1", AUTHORITY),
        (
            "/2015-03-31/functions/echo:prod/invocations",
            "eu-west-1",
            "lambda.eu-west-1.amazonaws.com",
        ),
        (
            "/2015-03-31/functions/fn-with_chars:7/invocations",
            "ap-southeast-2",
            "127.0.0.1:4566",
        ),
        (
            "/2015-03-31/functions/arn:aws-cn:lambda:cn-north-1:123456789012:function:f:$LATEST/invocations",
            "cn-north-1",
            "[::1]:9000",
        ),
    ];
    let keys = [
        SigningCredentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            None,
        ),
        SigningCredentials::new(
            "ASIAEXAMPLE",
            "secret+/=",
            Some("FwoGZXIvYXdzEJr//////////wEaDM+token=="),
            None,
        ),
    ];
    let content_types = [
        None,
        Some("application/json"),
        Some("  text/plain;   charset=utf-8 "),
    ];
    let bodies: [&[u8]; 3] = [b"", br#"{"raw_path":"/"}"#, &[0, 255, 10, 13]];
    let times = [
        at(1_714_564_800),
        at(1_714_607_999),
        at(951_782_400),
        at(4_102_444_799),
    ];
    let mut checked = 0;
    for (path, region, authority) in paths {
        let signer = InvokeSigner::new(region, authority, path);
        for credentials in &keys {
            for content_type in content_types {
                for (body, time) in bodies.iter().zip(times.iter().cycle()) {
                    for invocation_type in ["RequestResponse", "Event"] {
                        let ours = ours(&signer.sign(
                            invocation_type,
                            content_type,
                            body,
                            credentials,
                            *time,
                        ));
                        let mut headers = vec![("x-amz-invocation-type", invocation_type)];
                        if let Some(content_type) = content_type {
                            headers.push(("content-type", content_type));
                        }
                        let reference =
                            reference(region, authority, path, &headers, body, credentials, *time);
                        assert_eq!(ours, reference, "{path} {content_type:?} {invocation_type}");
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 4 * 2 * 3 * 3 * 2);
}

/// Signs like the filter does and returns the headers the request leaves with.
fn signed_request(
    credentials: &SigningCredentials,
    body: &[u8],
    time: SystemTime,
) -> Vec<(String, String)> {
    let signer = InvokeSigner::new("us-east-1", AUTHORITY, PATH);
    let signature = signer.sign(
        "RequestResponse",
        Some("application/json"),
        body,
        credentials,
        time,
    );
    let mut headers = vec![
        ("host".to_owned(), AUTHORITY.to_owned()),
        ("content-type".to_owned(), "application/json".to_owned()),
        (
            "x-amz-invocation-type".to_owned(),
            "RequestResponse".to_owned(),
        ),
        // Headers the filter does not sign may be added on the way.
        ("x-request-id".to_owned(), "abc".to_owned()),
    ];
    headers.extend(
        signature
            .iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned())),
    );
    headers
}

fn verify(
    verifier: &SigV4Verifier,
    headers: &[(String, String)],
    body: &[u8],
    now: SystemTime,
) -> Result<Vec<String>, Rejection> {
    let request = ReceivedRequest {
        method: "POST",
        path: PATH,
        headers,
        body,
    };
    verifier
        .verify(&request, now)
        .map(|verified| verified.signed_headers)
}

#[test]
fn long_lived_keys_sign_host_type_content_type_and_date() {
    let credentials = SigningCredentials::new("AKIDEXAMPLE", "secret", None, None);
    let headers = signed_request(&credentials, br#"{"raw_path":"/"}"#, at(1_714_564_800));
    let verifier =
        SigV4Verifier::new("us-east-1", "lambda").with_key("AKIDEXAMPLE", "secret", None);
    let signed = verify(
        &verifier,
        &headers,
        br#"{"raw_path":"/"}"#,
        at(1_714_564_800),
    )
    .unwrap();
    assert_eq!(
        signed,
        [
            "content-type",
            "host",
            "x-amz-date",
            "x-amz-invocation-type"
        ]
    );
    assert!(
        !headers
            .iter()
            .any(|(name, _)| name == "x-amz-security-token")
    );
}

#[test]
fn session_tokens_are_sent_and_signed() {
    let credentials = SigningCredentials::new("ASIAEXAMPLE", "secret", Some("token-1"), None);
    let headers = signed_request(&credentials, b"{}", at(1_714_564_800));
    let token = headers
        .iter()
        .find(|(name, _)| name == "x-amz-security-token")
        .map(|(_, value)| value.as_str());
    assert_eq!(token, Some("token-1"));
    let verifier = SigV4Verifier::new("us-east-1", "lambda").with_key(
        "ASIAEXAMPLE",
        "secret",
        Some("token-1"),
    );
    let signed = verify(&verifier, &headers, b"{}", at(1_714_564_800)).unwrap();
    assert!(signed.iter().any(|name| name == "x-amz-security-token"));
}

#[test]
fn empty_session_token_counts_as_none() {
    let credentials = SigningCredentials::new("AKIDEXAMPLE", "secret", Some(""), None);
    assert!(!credentials.has_session_token());
    let headers = signed_request(&credentials, b"", at(1_714_564_800));
    let verifier =
        SigV4Verifier::new("us-east-1", "lambda").with_key("AKIDEXAMPLE", "secret", None);
    assert!(verify(&verifier, &headers, b"", at(1_714_564_800)).is_ok());
}

#[test]
fn the_payload_hash_covers_the_final_body() {
    let credentials = SigningCredentials::new("AKIDEXAMPLE", "secret", None, None);
    let headers = signed_request(&credentials, b"final body", at(1_714_564_800));
    let verifier =
        SigV4Verifier::new("us-east-1", "lambda").with_key("AKIDEXAMPLE", "secret", None);
    assert!(verify(&verifier, &headers, b"final body", at(1_714_564_800)).is_ok());
    assert!(matches!(
        verify(&verifier, &headers, b"original body", at(1_714_564_800)),
        Err(Rejection::SignatureMismatch { .. })
    ));
}

#[test]
fn the_date_is_the_signing_time_and_the_cached_key_follows_the_day() {
    let credentials = SigningCredentials::new("AKIDEXAMPLE", "secret", None, None);
    let verifier =
        SigV4Verifier::new("us-east-1", "lambda").with_key("AKIDEXAMPLE", "secret", None);
    let before_midnight = at(1_714_607_999); // 2024-05-01T23:59:59Z
    let headers = signed_request(&credentials, b"", before_midnight);
    let date = headers
        .iter()
        .find(|(name, _)| name == "x-amz-date")
        .map(|(_, value)| value.as_str());
    assert_eq!(date, Some("20240501T235959Z"));
    assert!(verify(&verifier, &headers, b"", before_midnight).is_ok());
    // Same keys a second later: a new day, a new signing key.
    let after_midnight = at(1_714_608_000);
    let headers = signed_request(&credentials, b"", after_midnight);
    assert!(verify(&verifier, &headers, b"", after_midnight).is_ok());
    // Six minutes later the same signature is refused: a retry replaying it would be.
    assert!(matches!(
        verify(&verifier, &headers, b"", at(1_714_608_360)),
        Err(Rejection::Skewed(_))
    ));
}

#[test]
fn amz_dates_are_utc_calendar_dates() {
    assert_eq!(format_amz_date(0), "19700101T000000Z");
    assert_eq!(format_amz_date(951_782_400), "20000229T000000Z");
    assert_eq!(format_amz_date(1_440_938_160), "20150830T123600Z");
    assert_eq!(format_amz_date(4_102_444_799), "20991231T235959Z");
}

#[test]
fn debug_output_hides_the_token() {
    let credentials =
        SigningCredentials::new("ASIAEXAMPLE", "secret-key", Some("token-secret"), None);
    let signature = InvokeSigner::new("us-east-1", "h", "/").sign(
        "Event",
        None,
        b"",
        &credentials,
        at(1_714_564_800),
    );
    let debug = format!("{signature:?} {credentials:?}");
    assert!(
        !debug.contains("token-secret") && !debug.contains("secret-key"),
        "{debug}"
    );
}
