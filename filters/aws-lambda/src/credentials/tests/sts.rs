use crate::credentials::{StsCallout, StsError, parse_assume_role_response, parse_iso8601};
use std::time::{Duration, SystemTime};

const ANSWER: &str = r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:gw:gw</SubjectFromWebIdentityToken>
    <Credentials>
      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalr/K7MDENG+bPxRfi&amp;CY</SecretAccessKey>
      <SessionToken>FwoGZX&lt;token&gt;</SessionToken>
      <Expiration>2024-05-01T13:00:00Z</Expiration>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>"#;

fn unix(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

#[test]
fn request_is_a_form_post_with_the_token_encoded() {
    let callout = StsCallout::assume_role_with_web_identity(
        "sts_cluster",
        "sts.us-east-1.amazonaws.com",
        "arn:aws:iam::123456789012:role/lambda",
        "dynagate",
        "eyJ.a+b/c=",
        Duration::from_secs(5),
    );
    assert_eq!(
        callout.body,
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15\
         &RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Flambda\
         &RoleSessionName=dynagate&WebIdentityToken=eyJ.a%2Bb%2Fc%3D"
    );
    let headers = callout.headers();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| *value)
    };
    assert_eq!(header(":method"), Some(&b"POST"[..]));
    assert_eq!(header(":path"), Some(&b"/"[..]));
    assert_eq!(header("host"), Some(&b"sts.us-east-1.amazonaws.com"[..]));
    assert!(
        header("content-type")
            .is_some_and(|value| value.starts_with(b"application/x-www-form-urlencoded"))
    );
    assert!(
        !format!("{callout:?}").contains("eyJ"),
        "the token must not be printed"
    );
}

#[test]
fn credentials_are_read_and_unescaped() {
    let credentials = parse_assume_role_response(200, ANSWER.as_bytes()).unwrap();
    assert_eq!(credentials.access_key_id, "ASIAEXAMPLE");
    assert_eq!(credentials.secret_access_key, "wJalr/K7MDENG+bPxRfi&CY");
    assert_eq!(credentials.session_token, "FwoGZX<token>");
    assert_eq!(credentials.expiration, unix(1_714_568_400));
    assert!(!format!("{credentials:?}").contains("wJalr"));
}

#[test]
fn error_documents_become_rejections() {
    let answer = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
      <Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>Token expired &amp; invalid</Message></Error>
      <RequestId>1</RequestId></ErrorResponse>"#;
    assert_eq!(
        parse_assume_role_response(400, answer.as_bytes()),
        Err(StsError::Rejected {
            status: 400,
            code: "InvalidIdentityToken".to_owned(),
            message: "Token expired & invalid".to_owned()
        })
    );
}

#[test]
fn malformed_answers_are_errors() {
    assert!(matches!(
        parse_assume_role_response(503, b"upstream reset"),
        Err(StsError::Malformed { .. })
    ));
    assert!(matches!(
        parse_assume_role_response(200, b"<x/>"),
        Err(StsError::Malformed { .. })
    ));
    let no_token = ANSWER.replace("<SessionToken>FwoGZX&lt;token&gt;</SessionToken>", "");
    assert!(
        matches!(parse_assume_role_response(200, no_token.as_bytes()), Err(StsError::Malformed { what, .. }) if what.contains("SessionToken"))
    );
    let bad_date = ANSWER.replace("2024-05-01T13:00:00Z", "tomorrow");
    assert!(matches!(
        parse_assume_role_response(200, bad_date.as_bytes()),
        Err(StsError::Malformed { .. })
    ));
}

#[test]
fn iso8601_variants() {
    assert_eq!(
        parse_iso8601("2024-05-01T13:00:00Z"),
        Some(unix(1_714_568_400))
    );
    assert_eq!(
        parse_iso8601("2024-05-01T13:00:00.123Z"),
        Some(unix(1_714_568_400))
    );
    assert_eq!(
        parse_iso8601("2024-05-01T15:00:00+02:00"),
        Some(unix(1_714_568_400))
    );
    assert_eq!(
        parse_iso8601("2000-02-29T00:00:00Z"),
        Some(unix(951_782_400))
    );
    assert_eq!(parse_iso8601("1970-01-01T00:00:00Z"), Some(unix(0)));
    for bad in [
        "2024-13-01T00:00:00Z",
        "2024-05-01 13:00:00Z",
        "2024-05-01T13:00:00",
        "x",
    ] {
        assert_eq!(parse_iso8601(bad), None, "{bad}");
    }
}
