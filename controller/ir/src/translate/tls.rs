//! TLS termination: Secret validation, SDS secrets and the downstream transport socket.

use dynagate_api::k8s_openapi::api::core::v1::Secret;
use envoy_types::pb::envoy::config::core::v3::{
    AggregatedConfigSource, ApiVersion, ConfigSource, DataSource, TransportSocket, config_source,
    data_source, transport_socket,
};
use envoy_types::pb::envoy::extensions::transport_sockets::tls::v3::{
    CommonTlsContext, DownstreamTlsContext, SdsSecretConfig, Secret as EnvoySecret, TlsCertificate,
    secret,
};

use crate::proxy::pack;
use crate::resources::NsName;

const CERT_KEY: &str = "tls.crt";
const KEY_KEY: &str = "tls.key";

/// Configuration served over the same ADS stream (RDS, EDS, SDS all come from the controller).
pub(crate) fn ads_config_source() -> ConfigSource {
    ConfigSource {
        resource_api_version: ApiVersion::V3 as i32,
        config_source_specifier: Some(config_source::ConfigSourceSpecifier::Ads(
            AggregatedConfigSource {},
        )),
        ..ConfigSource::default()
    }
}

/// A Secret value from `data` (already base64-decoded) or `stringData`.
fn value(secret: &Secret, key: &str) -> Option<Vec<u8>> {
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

/// Checks that a Secret holds a PEM certificate and key (a full parse is Envoy's job; this catches the
/// common mistakes before they become an SDS NACK).
pub(crate) fn check_tls_secret(secret: &Secret) -> Result<(), String> {
    for key in [CERT_KEY, KEY_KEY] {
        let Some(bytes) = value(secret, key) else {
            return Err(format!("missing {key}"));
        };
        let text = String::from_utf8_lossy(&bytes);
        if !text.trim_start().starts_with("-----BEGIN ") {
            return Err(format!("{key} is not PEM"));
        }
    }
    Ok(())
}

/// SDS name of a Kubernetes Secret.
pub(crate) fn sds_name((namespace, name): &NsName) -> String {
    format!("secret/{namespace}/{name}")
}

/// The SDS resource for a TLS Secret (validated by [`check_tls_secret`]).
pub(crate) fn envoy_secret(key: &NsName, secret: &Secret) -> EnvoySecret {
    let inline = |k| DataSource {
        specifier: value(secret, k).map(data_source::Specifier::InlineBytes),
        ..DataSource::default()
    };
    EnvoySecret {
        name: sds_name(key),
        r#type: Some(secret::Type::TlsCertificate(TlsCertificate {
            certificate_chain: Some(inline(CERT_KEY)),
            private_key: Some(inline(KEY_KEY)),
            ..TlsCertificate::default()
        })),
    }
}

/// The downstream TLS transport socket for an HTTPS listener using these certificates.
pub(crate) fn downstream_tls(certificates: &[NsName]) -> TransportSocket {
    let context = DownstreamTlsContext {
        common_tls_context: Some(CommonTlsContext {
            tls_certificate_sds_secret_configs: certificates
                .iter()
                .map(|key| SdsSecretConfig {
                    name: sds_name(key),
                    sds_config: Some(ads_config_source()),
                })
                .collect(),
            alpn_protocols: vec!["h2".to_owned(), "http/1.1".to_owned()],
            ..CommonTlsContext::default()
        }),
        ..DownstreamTlsContext::default()
    };
    TransportSocket {
        name: "envoy.transport_sockets.tls".to_owned(),
        config_type: Some(transport_socket::ConfigType::TypedConfig(pack(&context))),
    }
}
