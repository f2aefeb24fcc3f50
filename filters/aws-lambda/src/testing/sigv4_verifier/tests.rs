//! The verifier against signatures it did not compute: AWS's published SigV4 test suite
//! (`get-vanilla`, `post-vanilla`, `get-vanilla-query-order-key-case`) and Lambda requests
//! signed by botocore 1.44 (`SigV4Auth`, date pinned to 2024-05-01T12:00:00Z).

use super::*;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

fn at(amz_date: &str) -> SystemTime {
    parse_amz_date(amz_date).unwrap()
}

fn suite_request(method: &str, path: &str, signature: &str) -> Vec<(String, String)> {
    headers(&[
        ("Host", "example.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
        (
            "Authorization",
            &format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature={signature}"
            ),
        ),
    ])
    .into_iter()
    .chain(core::iter::once((
        format!("x-test-{method}"),
        path.to_owned(),
    )))
    .collect()
}

#[test]
fn accepts_the_aws_test_suite_vectors() {
    let verifier = SigV4Verifier::new("us-east-1", "service").with_key(AKID, SECRET, None);
    let cases = [
        (
            "GET",
            "/",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ),
        (
            "POST",
            "/",
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        ),
        (
            "GET",
            "/?Param2=value2&Param1=value1",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        ),
    ];
    for (method, path, signature) in cases {
        let headers = suite_request(method, path, signature);
        let request = ReceivedRequest {
            method,
            path,
            headers: &headers,
            body: b"",
        };
        let verified = verifier.verify(&request, at("20150830T123600Z"));
        assert!(verified.is_ok(), "{method} {path}: {verified:?}");
    }
}

#[test]
fn accepts_botocore_signed_lambda_invocations() {
    let with_token = headers(&[
        ("host", "lambda.local:4566"),
        ("content-type", "application/json"),
        ("x-amz-invocation-type", "RequestResponse"),
        ("x-amz-date", "20240501T120000Z"),
        ("x-amz-security-token", "session-token-value"),
        (
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/eu-west-1/lambda/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-invocation-type;x-amz-security-token, \
             Signature=31fce5bad0d47540b450486a1b94aafb62d6130621d7a615f61ca1c150a1fd8e",
        ),
    ]);
    let verifier = SigV4Verifier::new("eu-west-1", "lambda").with_key(
        AKID,
        SECRET,
        Some("session-token-value"),
    );
    let request = ReceivedRequest {
        method: "POST",
        path: "/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:echo:$LATEST/invocations",
        headers: &with_token,
        body: br#"{"hello":"world"}"#,
    };
    let verified = verifier.verify(&request, at("20240501T120100Z")).unwrap();
    assert_eq!(verified.access_key_id, AKID);
    assert_eq!(verified.signed_headers.len(), 5);

    let without_token = headers(&[
        ("host", "lambda.eu-west-1.amazonaws.com"),
        ("x-amz-invocation-type", "Event"),
        ("x-amz-date", "20240501T120000Z"),
        (
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/eu-west-1/lambda/aws4_request, \
             SignedHeaders=host;x-amz-date;x-amz-invocation-type, \
             Signature=81be83311bdfa867242f33f098fe0743b22c84c268169360bcbca06a34ea32a8",
        ),
    ]);
    let verifier = SigV4Verifier::new("eu-west-1", "lambda").with_key(AKID, SECRET, None);
    let request = ReceivedRequest {
        method: "POST",
        path: "/2015-03-31/functions/echo:prod/invocations",
        headers: &without_token,
        body: b"",
    };
    assert!(verifier.verify(&request, at("20240501T120000Z")).is_ok());
}

fn vanilla() -> Vec<(String, String)> {
    suite_request(
        "GET",
        "/",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    )
}

fn verify_vanilla(
    verifier: &SigV4Verifier,
    headers: &[(String, String)],
    body: &[u8],
    now: &str,
) -> Result<Verified, Rejection> {
    verifier.verify(
        &ReceivedRequest {
            method: "GET",
            path: "/",
            headers,
            body,
        },
        at(now),
    )
}

#[test]
fn refuses_what_does_not_match() {
    let verifier = SigV4Verifier::new("us-east-1", "service").with_key(AKID, SECRET, None);
    let now = "20150830T123600Z";

    // A different body changes the payload hash.
    let rejected = verify_vanilla(&verifier, &vanilla(), b"x", now);
    assert!(
        matches!(rejected, Err(Rejection::SignatureMismatch { .. })),
        "{rejected:?}"
    );

    // A different signed header value.
    let mut tampered = vanilla();
    tampered[0].1 = "evil.amazonaws.com".to_owned();
    assert!(matches!(
        verify_vanilla(&verifier, &tampered, b"", now),
        Err(Rejection::SignatureMismatch { .. })
    ));

    // A wrong secret.
    let wrong = SigV4Verifier::new("us-east-1", "service").with_key(AKID, "not-the-secret", None);
    assert!(matches!(
        verify_vanilla(&wrong, &vanilla(), b"", now),
        Err(Rejection::SignatureMismatch { .. })
    ));

    // An unknown key, another region, too much skew.
    let unknown = SigV4Verifier::new("us-east-1", "service").with_key("AKIDOTHER", SECRET, None);
    assert!(matches!(
        verify_vanilla(&unknown, &vanilla(), b"", now),
        Err(Rejection::UnknownAccessKey(_))
    ));
    let region = SigV4Verifier::new("eu-west-1", "service").with_key(AKID, SECRET, None);
    assert!(matches!(
        verify_vanilla(&region, &vanilla(), b"", now),
        Err(Rejection::WrongScope(..))
    ));
    assert!(matches!(
        verify_vanilla(&verifier, &vanilla(), b"", "20150830T124200Z"),
        Err(Rejection::Skewed(_))
    ));
    assert!(verify_vanilla(&verifier, &vanilla(), b"", "20150830T124000Z").is_ok());

    // A key with a session token requires it.
    let with_token =
        SigV4Verifier::new("us-east-1", "service").with_key(AKID, SECRET, Some("token"));
    assert!(matches!(
        verify_vanilla(&with_token, &vanilla(), b"", now),
        Err(Rejection::SecurityToken)
    ));

    // No authorization at all.
    let unsigned: Vec<_> = vanilla()
        .into_iter()
        .filter(|(name, _)| name != "Authorization")
        .collect();
    let rejected = verify_vanilla(&verifier, &unsigned, b"", now).unwrap_err();
    assert_eq!(rejected.error_type(), "MissingAuthenticationTokenException");
}

#[test]
fn amz_dates_parse_to_unix_time() {
    let date = parse_amz_date("20150830T123600Z").unwrap();
    assert_eq!(
        date.duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
        1_440_938_160
    );
    assert!(parse_amz_date("2015-08-30T12:36:00Z").is_none());
    assert!(parse_amz_date("20150830T123600").is_none());
}
