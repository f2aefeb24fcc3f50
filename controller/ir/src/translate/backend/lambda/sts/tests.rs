//! STS endpoint and cluster of credential-less Lambda Backends.

use dynagate_config::aws_lambda::{
    AwsLambda, EnvironmentCredentials, LambdaCredentials, LambdaEndpoint, SecretCredentials,
    StsEndpoint,
};
use envoy_types::pb::envoy::config::core::v3::transport_socket;
use envoy_types::pb::envoy::extensions::transport_sockets::tls::v3::UpstreamTlsContext;
use prost::Message;

use super::{attach_sts, sts_cluster};
use crate::translate::TranslateOptions;

fn environment_config(region: &str) -> AwsLambda {
    AwsLambda {
        region: region.to_owned(),
        function_name: "f".to_owned(),
        ..AwsLambda::default()
    }
}

fn override_to(url: &str) -> TranslateOptions {
    TranslateOptions {
        aws_sts_endpoint: Some(LambdaEndpoint::parse(url).unwrap()),
    }
}

#[test]
fn environment_credentials_get_the_regional_sts_endpoint() {
    let mut config = environment_config("eu-west-1");
    let region = attach_sts(&mut config, &TranslateOptions::default());
    assert_eq!(region.as_deref(), Some("eu-west-1"));
    let LambdaCredentials::Environment(EnvironmentCredentials { sts: Some(sts) }) =
        &config.credentials
    else {
        panic!("environment credentials with STS expected: {config:?}");
    };
    assert_eq!(sts.authority, "sts.eu-west-1.amazonaws.com");
    // The filter config still passes the filter's own checks.
    assert_eq!(AwsLambda::from_json(&config.to_json()).unwrap(), config);

    let mut china = environment_config("cn-north-1");
    attach_sts(&mut china, &TranslateOptions::default());
    let LambdaCredentials::Environment(EnvironmentCredentials {
        sts: Some(StsEndpoint { authority, .. }),
    }) = &china.credentials
    else {
        panic!("STS expected");
    };
    assert_eq!(authority, "sts.cn-north-1.amazonaws.com.cn");
}

#[test]
fn the_default_region_is_named_and_secret_backends_need_no_sts() {
    let mut config = environment_config("");
    assert_eq!(
        attach_sts(&mut config, &TranslateOptions::default()).as_deref(),
        Some("us-east-1")
    );

    let mut secret = AwsLambda {
        credentials: LambdaCredentials::Secret(SecretCredentials {
            access_key: "AKIDEXAMPLE".into(),
            secret_key: "secret".into(),
            session_token: None,
        }),
        ..environment_config("eu-west-1")
    };
    let before = secret.clone();
    assert_eq!(attach_sts(&mut secret, &TranslateOptions::default()), None);
    assert_eq!(secret, before);
}

#[test]
fn the_sts_cluster_verifies_the_regional_endpoint_with_sni() {
    let mut config = environment_config("eu-west-1");
    attach_sts(&mut config, &TranslateOptions::default());
    let LambdaCredentials::Environment(EnvironmentCredentials { sts: Some(sts) }) =
        &config.credentials
    else {
        panic!("STS expected");
    };
    let cluster = sts_cluster("eu-west-1", &TranslateOptions::default());
    // The filter's callout names the cluster that was emitted.
    assert_eq!(cluster.name, sts.cluster);
    let endpoint = format!("{:?}", cluster.load_assignment.unwrap());
    assert!(
        endpoint.contains("sts.eu-west-1.amazonaws.com"),
        "{endpoint}"
    );
    assert!(endpoint.contains("443"), "{endpoint}");
    let socket = cluster.transport_socket.expect("TLS to STS");
    let Some(transport_socket::ConfigType::TypedConfig(any)) = socket.config_type else {
        panic!("typed TLS config expected");
    };
    let tls = UpstreamTlsContext::decode(any.value.as_slice()).unwrap();
    assert_eq!(tls.sni, "sts.eu-west-1.amazonaws.com");
}

#[test]
fn an_override_replaces_the_endpoint_and_the_authority() {
    let options = override_to("http://127.0.0.1:4566");
    let mut config = environment_config("eu-west-1");
    attach_sts(&mut config, &options);
    let LambdaCredentials::Environment(EnvironmentCredentials { sts: Some(sts) }) =
        &config.credentials
    else {
        panic!("STS expected");
    };
    assert_eq!(sts.authority, "127.0.0.1:4566");
    let cluster = sts_cluster("eu-west-1", &options);
    assert!(cluster.transport_socket.is_none(), "http override: no TLS");
    let endpoint = format!("{:?}", cluster.load_assignment.unwrap());
    assert!(
        endpoint.contains("127.0.0.1") && endpoint.contains("4566"),
        "{endpoint}"
    );
}
