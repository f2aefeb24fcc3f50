//! Access log configuration shared by `HTTPListenerPolicy` and `ListenerPolicy` (kgateway `AccessLog`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One `accessLog[]` entry: exactly one sink, optionally filtered.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessLog {
    /// Write to a file (`/dev/stdout` is common).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_sink: Option<FileSink>,
    /// Send to an Envoy gRPC access log service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grpc_service: Option<AccessLogGrpcService>,
    /// Send to an OpenTelemetry collector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_telemetry: Option<OpenTelemetryAccessLog>,
    /// Which requests are logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<AccessLogFilter>,
}

/// `fileSink`: a path and at most one format.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileSink {
    /// File path.
    pub path: String,
    /// Envoy format string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_format: Option<String>,
    /// JSON object whose string values are Envoy format strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_format: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Gateway API `BackendObjectReference`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackendObjectRef {
    /// API group ("" = core).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Kind (default `Service`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Name.
    pub name: String,
    /// Namespace (default: the referrer's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

/// `grpcService` sink.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessLogGrpcService {
    /// The access log service.
    pub backend_ref: BackendObjectRef,
    /// Log name sent to the service.
    pub log_name: String,
    /// `:authority` override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    /// Maximum gRPC message size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_receive_message_length: Option<u32>,
    /// Do not send Envoy's own headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_envoy_headers: Option<bool>,
    /// Call timeout (duration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Metadata sent with each call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_metadata: Option<Vec<serde_json::Value>>,
    /// Retries (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_policy: Option<serde_json::Value>,
    /// Extra request headers to log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_request_headers_to_log: Option<Vec<String>>,
    /// Extra response headers to log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_response_headers_to_log: Option<Vec<String>>,
    /// Extra response trailers to log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_response_trailers_to_log: Option<Vec<String>>,
}

/// `openTelemetry` sink.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpenTelemetryAccessLog {
    /// The collector (kgateway `CommonAccessLogGrpcService`, kept opaque).
    pub grpc_service: serde_json::Value,
    /// Log body format string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Do not add Envoy's built-in labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_builtin_labels: Option<bool>,
    /// Log attributes (`KeyAnyValueList`, kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<serde_json::Value>,
    /// Resource attributes (`KeyAnyValueList`, kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_attributes: Option<serde_json::Value>,
}

/// `filter`: one inline filter, or `andFilter` / `orFilter` of at least two.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessLogFilter {
    /// All must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub and_filter: Option<Vec<AccessLogFilterType>>,
    /// Any must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub or_filter: Option<Vec<AccessLogFilterType>>,
    /// Response status comparison.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code_filter: Option<ComparisonFilter>,
    /// Duration comparison (milliseconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_filter: Option<ComparisonFilter>,
    /// Skip health checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_health_check_filter: Option<bool>,
    /// Only traceable requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceable_filter: Option<bool>,
    /// Request header match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_filter: Option<HeaderFilter>,
    /// Envoy response flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_flag_filter: Option<ResponseFlagFilter>,
    /// gRPC status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grpc_status_filter: Option<GrpcStatusFilter>,
    /// CEL expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cel_filter: Option<CelFilter>,
    /// Runtime sampling (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_filter: Option<serde_json::Value>,
}

/// One element of `andFilter` / `orFilter`: exactly one member set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessLogFilterType {
    /// Response status comparison.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code_filter: Option<ComparisonFilter>,
    /// Duration comparison (milliseconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_filter: Option<ComparisonFilter>,
    /// Skip health checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_health_check_filter: Option<bool>,
    /// Only traceable requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceable_filter: Option<bool>,
    /// Request header match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_filter: Option<HeaderFilter>,
    /// Envoy response flags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_flag_filter: Option<ResponseFlagFilter>,
    /// gRPC status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grpc_status_filter: Option<GrpcStatusFilter>,
    /// CEL expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cel_filter: Option<CelFilter>,
    /// Runtime sampling (kept opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_filter: Option<serde_json::Value>,
}

/// `{op: EQ|GE|LE, value}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComparisonFilter {
    /// `EQ`, `GE` (kgateway 2.0 spelled it `GQ`) or `LE`.
    pub op: String,
    /// Compared value.
    pub value: u32,
}

/// `headerFilter`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HeaderFilter {
    /// Gateway API `HTTPHeaderMatch`.
    pub header: HttpHeaderMatch,
}

/// Gateway API `HTTPHeaderMatch`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HttpHeaderMatch {
    /// `Exact` (default) or `RegularExpression`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub match_type: Option<String>,
    /// Header name.
    pub name: String,
    /// Value or pattern.
    pub value: String,
}

/// `responseFlagFilter`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResponseFlagFilter {
    /// Envoy response flags such as `UH`, `NR`.
    pub flags: Vec<String>,
}

/// `grpcStatusFilter`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GrpcStatusFilter {
    /// Status names such as `NOT_FOUND`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statuses: Option<Vec<String>>,
    /// Log when the status is NOT in the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude: Option<bool>,
}

/// `celFilter`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CelFilter {
    /// Log only when the expression is true.
    #[serde(rename = "match")]
    pub expression: String,
}
