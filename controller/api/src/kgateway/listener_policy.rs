//! `HTTPListenerPolicy` (2.0+, deprecated) and `ListenerPolicy` (2.2+): per-Gateway listener settings.
//!
//! Access logs are typed; every other HTTP connection manager knob is kept opaque so it can be reported as
//! not supported.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{AccessLog, LocalPolicyTargetRef, LocalPolicyTargetSelector, PolicyStatus};

/// Declares a struct holding the HTTP settings shared by `HTTPListenerPolicy.spec` and
/// `ListenerPolicy...httpSettings`, plus the caller's own leading fields. A macro rather than
/// `#[serde(flatten)]` because flattening hides unknown fields from the loader's unknown-field check.
macro_rules! with_http_settings {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident : $ty:ty,)* }
        opaque { $($opaque:ident = $json:literal,)* }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            /// Access logs added to every HTTP connection manager of the target.
            #[serde(default, rename = "accessLog", skip_serializing_if = "Option::is_none")]
            pub access_log: Option<Vec<AccessLog>>,
            $(
                /// Not supported yet: kept opaque.
                #[serde(default, rename = $json, skip_serializing_if = "Option::is_none")]
                pub $opaque: Option<serde_json::Value>,
            )*
        }

        impl $name {
            /// The opaque (not yet translated) HTTP settings that are set, by their kgateway JSON name.
            pub fn opaque_fields(&self) -> Vec<&'static str> {
                let mut set = Vec::new();
                $(if self.$opaque.is_some() { set.push($json); })*
                set
            }
        }
    };
}

macro_rules! http_settings_struct {
    ($(#[$meta:meta])* pub struct $name:ident { $($body:tt)* }) => {
        with_http_settings! {
            $(#[$meta])*
            pub struct $name { $($body)* }
            opaque {
                tracing = "tracing",
                local_replies = "localReplies",
                upgrade_config = "upgradeConfig",
                use_remote_address = "useRemoteAddress",
                preserve_external_request_id = "preserveExternalRequestId",
                generate_request_id = "generateRequestId",
                xff_num_trusted_hops = "xffNumTrustedHops",
                xff_trusted_cidrs = "xffTrustedCIDRs",
                skip_xff_append = "skipXFFAppend",
                server_header_transformation = "serverHeaderTransformation",
                server_name = "serverName",
                stream_idle_timeout = "streamIdleTimeout",
                idle_timeout = "idleTimeout",
                max_requests_per_connection = "maxRequestsPerConnection",
                max_headers_count = "maxHeadersCount",
                health_check = "healthCheck",
                preserve_http1_header_case = "preserveHttp1HeaderCase",
                accept_http10 = "acceptHttp10",
                default_host_for_http10 = "defaultHostForHttp10",
                early_request_header_modifier = "earlyRequestHeaderModifier",
                forward_client_cert_details = "forwardClientCertDetails",
                max_request_headers_kb = "maxRequestHeadersKb",
                uuid_request_id_config = "uuidRequestIdConfig",
                strip_host_port_mode = "stripHostPortMode",
            }
        }
    };
}

http_settings_struct! {
    /// `HTTPListenerPolicy.spec`: targets plus HTTP settings.
    #[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
    #[kube(
        group = "gateway.kgateway.dev",
        version = "v1alpha1",
        kind = "HTTPListenerPolicy",
        root = "HttpListenerPolicy",
        plural = "httplistenerpolicies",
        namespaced,
        status = "PolicyStatus",
        derive = "Default",
        derive = "PartialEq"
    )]
    pub struct HttpListenerPolicySpec {
        /// Gateways in this namespace.
        #[serde(default, rename = "targetRefs", skip_serializing_if = "Option::is_none")]
        pub target_refs: Option<Vec<LocalPolicyTargetRef>>,
        /// Label selectors for Gateways in this namespace.
        #[serde(default, rename = "targetSelectors", skip_serializing_if = "Option::is_none")]
        pub target_selectors: Option<Vec<LocalPolicyTargetSelector>>,
    }
}

http_settings_struct! {
    /// `ListenerPolicy...httpSettings`.
    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
    pub struct HttpSettings {}
}

/// `ListenerPolicy.spec`.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "gateway.kgateway.dev",
    version = "v1alpha1",
    kind = "ListenerPolicy",
    plural = "listenerpolicies",
    namespaced,
    status = "PolicyStatus",
    derive = "Default",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct ListenerPolicySpec {
    /// Gateways in this namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_refs: Option<Vec<LocalPolicyTargetRef>>,
    /// Label selectors for Gateways in this namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_selectors: Option<Vec<LocalPolicyTargetSelector>>,
    /// Settings for every listener of the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<ListenerConfig>,
    /// Per-port settings; replace `default` entirely for that port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_port: Option<Vec<PerPortListenerConfig>>,
}

/// `perPort[]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PerPortListenerConfig {
    /// Listener port.
    pub port: u16,
    /// Settings for that port.
    pub listener: ListenerConfig,
}

/// kgateway `ListenerConfig`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListenerConfig {
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_protocol: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_keepalive: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_connection_buffer_limit_bytes: Option<serde_json::Value>,
    /// Not supported yet: kept opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport_socket_connect_timeout: Option<serde_json::Value>,
    /// HTTP connection manager settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_settings: Option<HttpSettings>,
}

impl ListenerConfig {
    /// The opaque (not yet translated) fields that are set, including those of `httpSettings`.
    pub fn opaque_fields(&self) -> Vec<&'static str> {
        let mut set = Vec::new();
        if self.proxy_protocol.is_some() {
            set.push("proxyProtocol");
        }
        if self.tcp_keepalive.is_some() {
            set.push("tcpKeepalive");
        }
        if self.per_connection_buffer_limit_bytes.is_some() {
            set.push("perConnectionBufferLimitBytes");
        }
        if self.transport_socket_connect_timeout.is_some() {
            set.push("transportSocketConnectTimeout");
        }
        if let Some(http) = &self.http_settings {
            set.extend(http.opaque_fields());
        }
        set
    }
}
