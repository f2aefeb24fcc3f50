use super::*;
use crate::clock::ManualClock;
use crate::testing::{ReceivedRequest, SigV4Verifier};

const START: u64 = 1_714_564_800;

fn compile(json: &str) -> Result<LambdaTarget, AwsLambdaConfigError> {
    let no_env = |_: &str| None::<String>;
    LambdaTarget::from_json(
        json,
        &no_env,
        Arc::new(ManualClock::at_unix(START)),
        &WebIdentityProviders::default(),
    )
}

#[test]
fn compiles_path_authority_and_invocation_type() {
    let target = compile(
        r#"{"region":"us-west-2","accountId":"123456789012","functionName":"echo","qualifier":"live",
            "invocationMode":"Async","endpointURL":"http://127.0.0.1:4566",
            "credentials":{"secret":{"accessKey":"AKIDEXAMPLE","secretKey":"secret"}}}"#,
    )
    .unwrap();
    assert_eq!(
        target.path(),
        "/2015-03-31/functions/arn:aws:lambda:us-west-2:123456789012:function:echo:live/invocations"
    );
    assert_eq!(target.authority(), "127.0.0.1:4566");
    assert_eq!(target.invocation_type(), "Event");
    assert!(matches!(target.credentials(), CredentialSource::Static(_)));
}

#[test]
fn signs_for_its_region_path_and_authority() {
    let target = compile(
        r#"{"region":"us-west-2","functionName":"echo","credentials":{"secret":{"accessKey":"AKIDEXAMPLE","secretKey":"secret"}}}"#,
    )
    .unwrap();
    let Lookup::Ready { credentials, .. } = target.credentials().lookup() else {
        panic!("static keys expected")
    };
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
    let request = ReceivedRequest {
        method: "POST",
        path: target.path(),
        headers: &headers,
        body: b"{}",
    };
    let verifier =
        SigV4Verifier::new("us-west-2", "lambda").with_key("AKIDEXAMPLE", "secret", None);
    let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(START);
    assert!(verifier.verify(&request, now).is_ok());
    let elsewhere =
        SigV4Verifier::new("us-east-1", "lambda").with_key("AKIDEXAMPLE", "secret", None);
    assert!(elsewhere.verify(&request, now).is_err());
}

#[test]
fn config_errors_name_the_field() {
    let cases = [
        (r#"{"region":"us-east-1"}"#, "functionName"),
        (
            r#"{"functionName":"f","endpointURL":"localhost:4566"}"#,
            "endpointURL",
        ),
        (
            r#"{"functionName":"f","endpointURL":"http://h:70000"}"#,
            "endpointURL",
        ),
        (
            r#"{"functionName":"f","credentials":{"secret":{"accessKey":"AKID"}}}"#,
            "secretKey",
        ),
    ];
    for (json, field) in cases {
        let error = compile(json).unwrap_err().to_string();
        assert!(error.contains(field), "{json}: {error}");
    }
}
use crate::credentials::Lookup;
use std::time::SystemTime;
