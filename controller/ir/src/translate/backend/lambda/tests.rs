//! Lambda Backend translation: credentials from Secrets, defaults, rejections, no secret leaks.

use std::path::Path;

use dynagate_api::kgateway::AwsBackend;
use dynagate_api::manifest::parse_manifests;
use dynagate_config::aws_lambda::{InvocationMode, LambdaCredentials, PayloadTransformMode};
use envoy_types::pb::envoy::extensions::filters::http::dynamic_modules::v3::DynamicModuleFilter;
use envoy_types::pb::envoy::extensions::filters::network::http_connection_manager::v3::http_filter;
use envoy_types::pb::envoy::extensions::upstreams::http::v3::HttpProtocolOptions;
use envoy_types::pb::google::protobuf::StringValue;
use prost::Message;

use super::{HTTP_PROTOCOL_OPTIONS, cluster, lambda_config};
use crate::Resources;

const SECRET_KEY_VALUE: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzSECRET";

fn resources(yaml: &str) -> Resources {
    let parsed = parse_manifests(Path::new("t.yaml"), yaml);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    Resources::new(parsed.objects).unwrap()
}

fn aws(yaml: &str) -> AwsBackend {
    serde_yaml::from_str(yaml).unwrap()
}

fn secret(name: &str, data: &str) -> String {
    format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: ns}}\n{data}\n")
}

#[test]
fn secret_keys_are_read_from_data_and_an_empty_session_token_is_dropped() {
    // base64("AKIDEXAMPLE"), base64(secret), base64("")
    let data = format!(
        "data: {{accessKey: QUtJREVYQU1QTEU=, secretKey: {}, sessionToken: \"\"}}",
        base64(SECRET_KEY_VALUE)
    );
    let resources = resources(&secret("creds", &data));
    let spec = aws(
        "{region: eu-west-1, auth: {type: Secret, secretRef: {name: creds}}, lambda: {functionName: f}}",
    );
    let config = lambda_config(&resources, "ns", &spec).unwrap();
    let LambdaCredentials::Secret(credentials) = &config.credentials else {
        panic!("expected Secret credentials, got {:?}", config.credentials);
    };
    assert_eq!(credentials.access_key.expose(), "AKIDEXAMPLE");
    assert_eq!(credentials.secret_key.expose(), SECRET_KEY_VALUE);
    assert_eq!(credentials.session_token, None);
    assert_eq!(config.region(), "eu-west-1");
    assert_eq!(config.invocation_mode, InvocationMode::Sync);
    assert_eq!(config.payload_transform_mode, PayloadTransformMode::Envoy);
    assert!(!format!("{config:?}").contains(SECRET_KEY_VALUE));
}

#[test]
fn lambda_account_id_wins_over_the_deprecated_location() {
    let spec = aws(
        "{accountId: \"111111111111\", lambda: {functionName: f, accountId: \"222222222222\", invocationMode: Async, payloadTransformMode: None}}",
    );
    let config = lambda_config(&resources(""), "ns", &spec).unwrap();
    assert_eq!(
        config.function_identifier(),
        "arn:aws:lambda:us-east-1:222222222222:function:f:$LATEST"
    );
    assert_eq!(config.invocation_mode, InvocationMode::Async);
    assert_eq!(
        config.payload_transform_mode,
        PayloadTransformMode::Passthrough
    );
    assert!(matches!(
        config.credentials,
        LambdaCredentials::Environment(_)
    ));
}

#[test]
fn problems_are_named_without_secret_values() {
    let resources = resources(&secret(
        "half",
        &format!("stringData: {{secretKey: {SECRET_KEY_VALUE}}}"),
    ));
    let cases = [
        ("{lambda: {functionName: \"\"}}", "functionName"),
        ("{ec2: {}}", "ec2"),
        ("{}", "aws.lambda is required"),
        (
            "{lambda: {functionName: f, endpointURL: \"localhost:4566\"}}",
            "endpointURL",
        ),
        (
            "{lambda: {functionName: f, invocationMode: Later}}",
            "invocationMode",
        ),
        (
            "{lambda: {functionName: f, payloadTransformMode: Gloo}}",
            "payloadTransformMode",
        ),
        (
            "{auth: {type: Secret}, lambda: {functionName: f}}",
            "secretRef is required",
        ),
        (
            "{auth: {type: Secret, secretRef: {name: gone}}, lambda: {functionName: f}}",
            "Secret ns/gone not found",
        ),
        (
            "{auth: {type: Secret, secretRef: {name: half}}, lambda: {functionName: f}}",
            "Secret ns/half: accessKey is missing",
        ),
        (
            "{auth: {type: AssumeRole, assumeRole: {roleArn: r}}, lambda: {functionName: f}}",
            "AssumeRole",
        ),
        ("{region: \"EU\", lambda: {functionName: f}}", "region"),
    ];
    for (spec, expected) in cases {
        let problem = lambda_config(&resources, "ns", &aws(spec)).unwrap_err();
        assert!(problem.contains(expected), "{spec}: {problem}");
        assert!(!problem.contains(SECRET_KEY_VALUE), "{spec}: {problem}");
    }
}

#[test]
fn the_cluster_carries_the_signing_filter_before_the_codec() {
    let resources = resources(&secret(
        "creds",
        &format!("stringData: {{accessKey: AKIDEXAMPLE, secretKey: {SECRET_KEY_VALUE}}}"),
    ));
    let spec = aws(
        "{auth: {type: Secret, secretRef: {name: creds}}, lambda: {functionName: f, endpointURL: \"http://127.0.0.1:9001\"}}",
    );
    let config = lambda_config(&resources, "ns", &spec).unwrap();
    let cluster = cluster("backend_ns_f", &config);
    assert!(cluster.transport_socket.is_none(), "http endpoint: no TLS");
    let options = HttpProtocolOptions::decode(
        cluster.typed_extension_protocol_options[HTTP_PROTOCOL_OPTIONS]
            .value
            .as_slice(),
    )
    .unwrap();
    let names: Vec<&str> = options
        .http_filters
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["dynagate.aws_lambda", "envoy.filters.http.upstream_codec"]
    );
    let Some(http_filter::ConfigType::TypedConfig(any)) = &options.http_filters[0].config_type
    else {
        panic!("typed config expected");
    };
    let filter = DynamicModuleFilter::decode(any.value.as_slice()).unwrap();
    assert_eq!(filter.filter_name, "aws_lambda");
    let json = StringValue::decode(filter.filter_config.unwrap().value.as_slice())
        .unwrap()
        .value;
    // What Envoy gets is what the filter parses back.
    let parsed = dynagate_config::aws_lambda::AwsLambda::from_json(&json).unwrap();
    assert_eq!(parsed, config);
    let endpoint = cluster.load_assignment.unwrap().endpoints[0].lb_endpoints[0].clone();
    assert!(format!("{endpoint:?}").contains("9001"));
}

fn base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
