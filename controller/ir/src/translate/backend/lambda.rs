//! kgateway `Backend` with `spec.aws.lambda` -> the `aws_lambda` filter config and the cluster
//! that carries it as an upstream HTTP filter.
//!
//! The filter runs on the cluster (`HttpProtocolOptions.http_filters`), not in the listener's
//! chain: Envoy runs upstream filters once per upstream attempt, so every retry is re-signed
//! with a fresh date over the body actually sent.
//!
//! Backends without `auth` also get the STS endpoint for IRSA and its cluster ([`sts`]).
//!
//! Secrets: the resolved keys live only in the returned [`AwsLambda`] (whose `Debug` redacts
//! them) and in the packed filter config sent to Envoy; error messages name keys, never values.

use std::net::IpAddr;

use dynagate_api::k8s_openapi::api::core::v1::Secret;
use dynagate_api::kgateway::AwsBackend;
use dynagate_config::aws_lambda::{
    AwsLambda, InvocationMode, LambdaCredentials, LambdaEndpoint, PayloadTransformMode,
    SecretCredentials, SecretString,
};
use envoy_types::pb::envoy::config::cluster::v3::{Cluster, cluster};
use envoy_types::pb::envoy::config::core::v3::{
    DataSource, Http2ProtocolOptions, HttpProtocolOptions as CommonHttpProtocolOptions,
    TransportSocket, data_source, transport_socket,
};
use envoy_types::pb::envoy::extensions::dynamic_modules::v3::DynamicModuleConfig;
use envoy_types::pb::envoy::extensions::filters::http::dynamic_modules::v3::DynamicModuleFilter;
use envoy_types::pb::envoy::extensions::filters::http::upstream_codec::v3::UpstreamCodec;
use envoy_types::pb::envoy::extensions::filters::network::http_connection_manager::v3::{
    HttpFilter, http_filter,
};
use envoy_types::pb::envoy::extensions::transport_sockets::tls::v3::{
    CertificateValidationContext, CommonTlsContext, SubjectAltNameMatcher, UpstreamTlsContext,
    common_tls_context, subject_alt_name_matcher,
};
use envoy_types::pb::envoy::extensions::upstreams::http::v3::{
    HttpProtocolOptions, http_protocol_options,
};
use envoy_types::pb::envoy::r#type::matcher::v3::{StringMatcher, string_matcher};
use envoy_types::pb::google::protobuf::StringValue;

use crate::proxy::pack;
use crate::resources::{NsName, Resources};
use crate::translate::clusters::assignment;
use crate::translate::duration::to_proto;
use crate::translate::{DYNAMIC_MODULE_NAME, TranslateOptions};

pub(crate) use sts::sts_cluster;

mod sts;

/// The module's filter that signs and invokes Lambda.
pub(crate) const AWS_LAMBDA_FILTER: &str = "aws_lambda";
/// Name of the upstream HTTP filter on Lambda clusters.
const AWS_LAMBDA_HTTP_FILTER_NAME: &str = "dynagate.aws_lambda";
const UPSTREAM_CODEC_FILTER_NAME: &str = "envoy.filters.http.upstream_codec";
const HTTP_PROTOCOL_OPTIONS: &str = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
const TLS_TRANSPORT_SOCKET: &str = "envoy.transport_sockets.tls";
/// CA bundle that verifies the Lambda endpoint's certificate (Debian/Ubuntu path, present in
/// the stock Envoy image): signed requests must not go to an impostor.
const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
/// kgateway's idle timeout for Lambda connections.
const IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Keys of a kgateway AWS credentials Secret.
const ACCESS_KEY: &str = "accessKey";
const SECRET_KEY: &str = "secretKey";
const SESSION_TOKEN: &str = "sessionToken";

/// The filter config for `spec.aws` of Backend `namespace/…`, or why the Backend is unusable.
/// The message is safe for status and logs.
pub(crate) fn lambda_config(
    resources: &Resources,
    namespace: &str,
    aws: &AwsBackend,
) -> Result<AwsLambda, String> {
    if aws.ec2.is_some() {
        return Err("aws.ec2 backends are not supported by dynagate yet".to_owned());
    }
    let Some(lambda) = &aws.lambda else {
        return Err("aws.lambda is required".to_owned());
    };
    let invocation_mode = match lambda.invocation_mode.as_deref() {
        None | Some("Sync") => InvocationMode::Sync,
        Some("Async") => InvocationMode::Async,
        Some(other) => {
            return Err(format!(
                "aws.lambda.invocationMode {other:?} must be Sync or Async"
            ));
        }
    };
    let payload_transform_mode = match lambda.payload_transform_mode.as_deref() {
        None | Some("Envoy") => PayloadTransformMode::Envoy,
        Some("None") => PayloadTransformMode::Passthrough,
        Some(other) => {
            return Err(format!(
                "aws.lambda.payloadTransformMode {other:?} must be Envoy or None"
            ));
        }
    };
    let config = AwsLambda {
        region: aws.region.clone().unwrap_or_default(),
        account_id: lambda.account_id.clone().or_else(|| aws.account_id.clone()),
        function_name: lambda.function_name.clone(),
        qualifier: lambda.qualifier.clone(),
        invocation_mode,
        endpoint_url: lambda.endpoint_url.clone(),
        payload_transform_mode,
        credentials: credentials(resources, namespace, aws)?,
    };
    // The config's own messages name fields and non-secret values only.
    config.validate().map_err(|error| {
        let message = error.to_string();
        message
            .strip_prefix("invalid aws_lambda config: ")
            .map_or(message.clone(), |rest| format!("aws.lambda: {rest}"))
    })?;
    Ok(config)
}

fn credentials(
    resources: &Resources,
    namespace: &str,
    aws: &AwsBackend,
) -> Result<LambdaCredentials, String> {
    let Some(auth) = &aws.auth else {
        return Ok(LambdaCredentials::default());
    };
    match auth.auth_type.as_str() {
        "Secret" => {}
        "AssumeRole" => {
            return Err("aws.auth.type AssumeRole is not supported by dynagate yet".to_owned());
        }
        other => return Err(format!("aws.auth.type {other:?} must be Secret")),
    }
    let Some(secret_ref) = &auth.secret_ref else {
        return Err("aws.auth.secretRef is required when aws.auth.type is Secret".to_owned());
    };
    let name = &secret_ref.name;
    let key = (namespace.to_owned(), name.clone());
    let Some(secret) = resources.secrets.get(&key) else {
        return Err(format!("Secret {namespace}/{name} not found"));
    };
    let read = |field: &str| -> Result<Option<SecretString>, String> {
        secret_value(secret, field)
            .map(|bytes| {
                String::from_utf8(bytes)
                    .map(|value| SecretString::new(value.trim().to_owned()))
                    .map_err(|_| format!("Secret {namespace}/{name}: {field} is not valid UTF-8"))
            })
            .transpose()
    };
    let required = |field: &str| -> Result<SecretString, String> {
        match read(field)? {
            Some(value) if !value.is_empty() => Ok(value),
            _ => Err(format!(
                "Secret {namespace}/{name}: {field} is missing or empty"
            )),
        }
    };
    Ok(LambdaCredentials::Secret(SecretCredentials {
        access_key: required(ACCESS_KEY)?,
        secret_key: required(SECRET_KEY)?,
        // `sessionToken: ""` is allowed for long-lived keys: treat it as absent.
        session_token: read(SESSION_TOKEN)?.filter(|token| !token.is_empty()),
    }))
}

/// A Secret value from `data` (already base64-decoded) or `stringData`.
fn secret_value(secret: &Secret, key: &str) -> Option<Vec<u8>> {
    secret
        .data
        .as_ref()
        .and_then(|data| data.get(key))
        .map(|bytes| bytes.0.clone())
        .or_else(|| {
            secret
                .string_data
                .as_ref()
                .and_then(|data| data.get(key))
                .map(|s| s.clone().into_bytes())
        })
}

/// The cluster for Lambda Backend `backend`, and the region whose STS cluster
/// ([`sts_cluster`]) it needs when it takes credentials from the proxy's environment. Only built
/// for Backends [`lambda_config`] accepted; should that ever fail here, the cluster has no
/// endpoints (503) rather than a half config.
pub(crate) fn build_cluster(
    resources: &Resources,
    name: &str,
    backend: &NsName,
    options: &TranslateOptions,
) -> (Cluster, Option<String>) {
    let config = resources
        .backends
        .get(backend)
        .and_then(|b| b.spec.aws.as_ref())
        .and_then(|aws| lambda_config(resources, &backend.0, aws).ok());
    match config {
        Some(mut config) => {
            let sts_region = sts::attach_sts(&mut config, options);
            (cluster(name, &config), sts_region)
        }
        None => (
            Cluster {
                name: name.to_owned(),
                connect_timeout: Some(to_proto(CONNECT_TIMEOUT)),
                cluster_discovery_type: Some(cluster::ClusterDiscoveryType::Type(
                    cluster::DiscoveryType::Static as i32,
                )),
                load_assignment: Some(assignment(name, Vec::new())),
                ..Cluster::default()
            },
            None,
        ),
    }
}

/// The Lambda cluster: one endpoint (the regional endpoint or `endpointURL`), HTTP/2, TLS with
/// SNI when https, and the upstream filter chain `aws_lambda` -> `upstream_codec`.
fn cluster(name: &str, config: &AwsLambda) -> Cluster {
    // `lambda_config` validated the endpoint; the fallback is never taken.
    let endpoint = config
        .endpoint()
        .unwrap_or_else(|_| LambdaEndpoint::regional(config.region()));
    let discovery = if endpoint.host.parse::<IpAddr>().is_ok() {
        cluster::DiscoveryType::Static
    } else {
        // One logical host over all the endpoint's DNS answers, like kgateway.
        cluster::DiscoveryType::LogicalDns
    };
    let options = HttpProtocolOptions {
        common_http_protocol_options: Some(CommonHttpProtocolOptions {
            idle_timeout: Some(to_proto(IDLE_TIMEOUT)),
            ..CommonHttpProtocolOptions::default()
        }),
        upstream_protocol_options: Some(
            http_protocol_options::UpstreamProtocolOptions::ExplicitHttpConfig(
                http_protocol_options::ExplicitHttpConfig {
                    protocol_config: Some(
                        http_protocol_options::explicit_http_config::ProtocolConfig::Http2ProtocolOptions(
                            Http2ProtocolOptions::default(),
                        ),
                    ),
                },
            ),
        ),
        http_filters: vec![lambda_filter(config), upstream_codec()],
        ..HttpProtocolOptions::default()
    };
    let mut cluster = Cluster {
        name: name.to_owned(),
        connect_timeout: Some(to_proto(CONNECT_TIMEOUT)),
        cluster_discovery_type: Some(cluster::ClusterDiscoveryType::Type(discovery as i32)),
        load_assignment: Some(assignment(
            name,
            vec![(endpoint.host.clone(), u32::from(endpoint.port))],
        )),
        transport_socket: endpoint.tls.then(|| tls_socket(&endpoint.host)),
        ..Cluster::default()
    };
    cluster
        .typed_extension_protocol_options
        .insert(HTTP_PROTOCOL_OPTIONS.to_owned(), pack(&options));
    cluster
}

fn lambda_filter(config: &AwsLambda) -> HttpFilter {
    let filter = DynamicModuleFilter {
        dynamic_module_config: Some(DynamicModuleConfig {
            name: DYNAMIC_MODULE_NAME.to_owned(),
            ..DynamicModuleConfig::default()
        }),
        filter_name: AWS_LAMBDA_FILTER.to_owned(),
        filter_config: Some(pack(&StringValue {
            value: config.to_json(),
        })),
        ..DynamicModuleFilter::default()
    };
    HttpFilter {
        name: AWS_LAMBDA_HTTP_FILTER_NAME.to_owned(),
        config_type: Some(http_filter::ConfigType::TypedConfig(pack(&filter))),
        ..HttpFilter::default()
    }
}

fn upstream_codec() -> HttpFilter {
    HttpFilter {
        name: UPSTREAM_CODEC_FILTER_NAME.to_owned(),
        config_type: Some(http_filter::ConfigType::TypedConfig(pack(
            &UpstreamCodec::default(),
        ))),
        ..HttpFilter::default()
    }
}

fn tls_socket(sni: &str) -> TransportSocket {
    let context = UpstreamTlsContext {
        sni: sni.to_owned(),
        common_tls_context: Some(CommonTlsContext {
            validation_context_type: Some(
                common_tls_context::ValidationContextType::ValidationContext(
                    CertificateValidationContext {
                        // The certificate must name the endpoint (wildcards allowed for DNS SANs).
                        match_typed_subject_alt_names: vec![SubjectAltNameMatcher {
                            san_type: subject_alt_name_matcher::SanType::Dns as i32,
                            matcher: Some(StringMatcher {
                                match_pattern: Some(string_matcher::MatchPattern::Exact(
                                    sni.to_owned(),
                                )),
                                ..StringMatcher::default()
                            }),
                            ..SubjectAltNameMatcher::default()
                        }],
                        trusted_ca: Some(DataSource {
                            specifier: Some(data_source::Specifier::Filename(
                                SYSTEM_CA_BUNDLE.to_owned(),
                            )),
                            ..DataSource::default()
                        }),
                        ..CertificateValidationContext::default()
                    },
                ),
            ),
            ..CommonTlsContext::default()
        }),
        ..UpstreamTlsContext::default()
    };
    TransportSocket {
        name: TLS_TRANSPORT_SOCKET.to_owned(),
        config_type: Some(transport_socket::ConfigType::TypedConfig(pack(&context))),
    }
}

#[cfg(test)]
mod tests;
