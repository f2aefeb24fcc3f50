use super::*;

fn parse(json: &str) -> Result<AwsLambda, AwsLambdaConfigError> {
    AwsLambda::from_json(json)
}

fn invalid_field(json: &str) -> &'static str {
    match parse(json) {
        Err(AwsLambdaConfigError::Invalid { field, .. }) => field,
        other => panic!("expected a field error for {json}, got {other:?}"),
    }
}

#[test]
fn minimal_backend_takes_kgateway_defaults() {
    let config = parse(r#"{"functionName":"echo"}"#).unwrap();
    assert_eq!(config.region(), "us-east-1");
    assert_eq!(config.qualifier(), "$LATEST");
    assert_eq!(config.invocation_mode, InvocationMode::Sync);
    assert_eq!(config.invocation_mode.invocation_type(), "RequestResponse");
    assert_eq!(config.payload_transform_mode, PayloadTransformMode::Envoy);
    assert_eq!(
        config.credentials,
        LambdaCredentials::Environment(EnvironmentCredentials { sts: None })
    );
    let endpoint = config.endpoint().unwrap();
    assert_eq!(endpoint.authority(), "lambda.us-east-1.amazonaws.com");
    assert!(endpoint.tls);
    assert_eq!(endpoint.port, 443);
}

#[test]
fn account_id_gives_a_qualified_arn_in_the_path() {
    let config = parse(
        r#"{"region":"eu-west-1","accountId":"123456789012","functionName":"echo","qualifier":"prod"}"#,
    )
    .unwrap();
    assert_eq!(
        config.function_identifier(),
        "arn:aws:lambda:eu-west-1:123456789012:function:echo:prod"
    );
    assert_eq!(
        config.invocation_path(),
        "/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:echo:prod/invocations"
    );
}

#[test]
fn without_account_the_function_is_named_with_its_qualifier() {
    let config = parse(r#"{"functionName":"echo","qualifier":"7"}"#).unwrap();
    assert_eq!(
        config.invocation_path(),
        "/2015-03-31/functions/echo:7/invocations"
    );
}

#[test]
fn china_and_govcloud_regions_use_their_partition() {
    let cn =
        parse(r#"{"region":"cn-north-1","accountId":"123456789012","functionName":"f"}"#).unwrap();
    assert!(
        cn.function_identifier()
            .starts_with("arn:aws-cn:lambda:cn-north-1:")
    );
    assert_eq!(
        cn.endpoint().unwrap().host,
        "lambda.cn-north-1.amazonaws.com.cn"
    );
    assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
}

#[test]
fn modes_use_the_crd_spelling() {
    let config =
        parse(r#"{"functionName":"f","invocationMode":"Async","payloadTransformMode":"None"}"#)
            .unwrap();
    assert_eq!(config.invocation_mode.invocation_type(), "Event");
    assert_eq!(
        config.payload_transform_mode,
        PayloadTransformMode::Passthrough
    );
    let json = config.to_json();
    assert!(json.contains(r#""payloadTransformMode":"None""#), "{json}");
    assert!(json.contains(r#""invocationMode":"Async""#), "{json}");
}

#[test]
fn json_round_trips_with_secrets() {
    let config = parse(
        r#"{"functionName":"f","endpointURL":"http://localstack:4566",
            "credentials":{"secret":{"accessKey":"AKIDEXAMPLE","secretKey":"s3cr3t","sessionToken":"tok"}}}"#,
    )
    .unwrap();
    assert_eq!(AwsLambda::from_json(&config.to_json()).unwrap(), config);
    let LambdaCredentials::Secret(secret) = &config.credentials else {
        panic!("secret expected")
    };
    assert_eq!(secret.secret_key.expose(), "s3cr3t");
    assert_eq!(
        secret.session_token.as_ref().map(SecretString::expose),
        Some("tok")
    );
}

#[test]
fn debug_output_never_shows_secrets() {
    let config = parse(
        r#"{"functionName":"f","credentials":{"secret":{"accessKey":"AKIDEXAMPLE","secretKey":"s3cr3t-value","sessionToken":"token-value"}}}"#,
    )
    .unwrap();
    let debug = format!("{config:?} {config:#?}");
    for secret in ["AKIDEXAMPLE", "s3cr3t-value", "token-value"] {
        assert!(!debug.contains(secret), "{secret} leaked into {debug}");
    }
    assert!(debug.contains("<redacted>"));
}

#[test]
fn parse_errors_withhold_values_when_credentials_are_present() {
    let error = parse(r#"{"functionName":"f","credentials":{"secret":"AKIDLEAKED"}}"#).unwrap_err();
    assert!(!error.to_string().contains("AKIDLEAKED"), "{error}");
    // Without credentials the message keeps serde's detail.
    let error = parse(r#"{"functionName":"f","qualifier":["v1"]}"#).unwrap_err();
    assert!(
        error.to_string().contains("invalid type: sequence"),
        "{error}"
    );
    // Key-name messages are kept even with credentials around.
    let error =
        parse(r#"{"functionName":"f","credentials":{"secret":{"accesKey":"x"}}}"#).unwrap_err();
    assert!(error.to_string().contains("accesKey"), "{error}");
}

#[test]
fn function_name_is_required_and_checked() {
    assert_eq!(invalid_field(r#"{}"#), "functionName");
    assert_eq!(invalid_field(r#"{"functionName":""}"#), "functionName");
    assert_eq!(invalid_field(r#"{"functionName":"a/b"}"#), "functionName");
    assert_eq!(
        invalid_field(&format!(r#"{{"functionName":"{}"}}"#, "f".repeat(141))),
        "functionName"
    );
    assert!(parse(&format!(r#"{{"functionName":"{}"}}"#, "f".repeat(140))).is_ok());
}

#[test]
fn qualifier_region_and_account_are_checked() {
    assert_eq!(
        invalid_field(r#"{"functionName":"f","qualifier":"v1/../x"}"#),
        "qualifier"
    );
    assert_eq!(
        invalid_field(r#"{"functionName":"f","qualifier":""}"#),
        "qualifier"
    );
    assert_eq!(
        invalid_field(r#"{"functionName":"f","region":"US_EAST"}"#),
        "region"
    );
    assert_eq!(
        invalid_field(r#"{"functionName":"f","accountId":"12345"}"#),
        "accountId"
    );
    assert_eq!(
        invalid_field(r#"{"functionName":"f","accountId":"12345678901a"}"#),
        "accountId"
    );
}

#[test]
fn malformed_endpoint_urls_are_rejected() {
    for url in [
        "localstack:4566",
        "ftp://host",
        "http://",
        "http://host:0",
        "http://host:99999",
        "http://host:port",
        "http://host/2015-03-31",
        "http://host?x=1",
        "http://user:pass@host",
        "http://[::1",
        "http://ho st",
    ] {
        let json = format!(r#"{{"functionName":"f","endpointURL":"{url}"}}"#);
        assert_eq!(
            invalid_field(&json),
            "endpointURL",
            "{url} should be rejected"
        );
    }
}

#[test]
fn endpoint_urls_parse_to_cluster_and_authority() {
    let cases = [
        (
            "http://localstack:4566",
            false,
            "localstack",
            4566,
            "localstack:4566",
        ),
        (
            "https://lambda.example.com/",
            true,
            "lambda.example.com",
            443,
            "lambda.example.com",
        ),
        ("HTTPS://h:8443", true, "h", 8443, "h:8443"),
        ("http://10.0.0.1", false, "10.0.0.1", 80, "10.0.0.1"),
        ("http://[::1]:9000", false, "::1", 9000, "[::1]:9000"),
    ];
    for (url, tls, host, port, authority) in cases {
        let endpoint = LambdaEndpoint::parse(url).unwrap();
        assert_eq!(
            (endpoint.tls, endpoint.host.as_str(), endpoint.port),
            (tls, host, port),
            "{url}"
        );
        assert_eq!(endpoint.authority(), authority, "{url}");
    }
}

#[test]
fn secret_keys_are_required() {
    assert_eq!(
        invalid_field(r#"{"functionName":"f","credentials":{"secret":{"accessKey":"AKID"}}}"#),
        "credentials.secret.secretKey"
    );
    assert_eq!(
        invalid_field(r#"{"functionName":"f","credentials":{"secret":{"secretKey":"x"}}}"#),
        "credentials.secret.accessKey"
    );
    assert!(parse(r#"{"functionName":"f","credentials":{"secret":{"accessKey":"a","secretKey":"b","sessionToken":""}}}"#).is_ok());
}

#[test]
fn sts_endpoint_needs_cluster_and_authority() {
    assert_eq!(
        invalid_field(
            r#"{"functionName":"f","credentials":{"environment":{"sts":{"cluster":"","authority":"sts"}}}}"#
        ),
        "credentials.environment.sts.cluster"
    );
    let config = parse(
        r#"{"functionName":"f","credentials":{"environment":{"sts":{"cluster":"sts_us-east-1","authority":"sts.us-east-1.amazonaws.com"}}}}"#,
    )
    .unwrap();
    let LambdaCredentials::Environment(EnvironmentCredentials { sts: Some(sts) }) =
        config.credentials
    else {
        panic!("sts expected")
    };
    assert_eq!(sts.cluster, "sts_us-east-1");
}

#[test]
fn unknown_keys_are_errors() {
    assert!(matches!(
        parse(r#"{"functionName":"f","funcionName":"g"}"#),
        Err(AwsLambdaConfigError::Json(_))
    ));
}
