//! `accessLog[]` entries of `HTTPListenerPolicy` / `ListenerPolicy.*.httpSettings`: the config of
//! the `access_log` logger.
//!
//! The JSON is one kgateway `AccessLog` entry as users write it: exactly one sink
//! (`fileSink{path, stringFormat | jsonFormat}`, `grpcService`, `openTelemetry`) and an optional
//! `filter` (one filter kind, or `andFilter` / `orFilter` lists). The controller emits one logger
//! per entry; the logger (`dynagate-accesslog`) parses it back with [`AccessLog::from_json`] and
//! compiles format and filter once. The gRPC and OpenTelemetry sinks are carried opaquely so the
//! logger can reject them by name ("not supported yet") instead of silently dropping them.

use serde::{Deserialize, Serialize};

/// One access log: where lines go, how they look, which requests are logged.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessLog {
    /// Write lines to a local file (`/dev/stdout` and `/dev/stderr` included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_sink: Option<FileSink>,
    /// kgateway's gRPC access log service sink; kept as written, not supported by the logger yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grpc_service: Option<serde_json::Value>,
    /// kgateway's OpenTelemetry sink; kept as written, not supported by the logger yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_telemetry: Option<serde_json::Value>,
    /// Only requests the filter accepts are logged; absent means every request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<AccessLogFilter>,
}

/// `fileSink`: a file path and at most one format (none means Envoy's default text format).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileSink {
    /// File the lines are appended to; `/dev/stdout` and `/dev/stderr` write to Envoy's streams.
    pub path: String,
    /// Envoy format string (`%REQ(:METHOD)% %RESPONSE_CODE%\n`); written verbatim per line, so it
    /// usually ends with a newline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_format: Option<String>,
    /// Envoy JSON format: an object whose string values are format strings; one JSON object per
    /// line. Keys are emitted sorted, as Envoy does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_format: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `filter`: exactly one key. Nesting `andFilter` / `orFilter` is accepted (Envoy allows it;
/// kgateway's CRD only produces one level).
///
/// Serialised as an externally tagged enum (`{"statusCodeFilter": {...}}`); deserialised as an
/// object of optional keys holding exactly one, so that serde_yaml (the controller's manifest
/// loader, which only reads enums written as YAML tags) reads the same shape.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum AccessLogFilter {
    /// Compares the response code (0 when no response was sent).
    StatusCodeFilter(ComparisonFilter),
    /// Compares the request duration in milliseconds.
    DurationFilter(ComparisonFilter),
    /// Drops health-check requests. Present means applied, whatever the boolean (as kgateway).
    NotHealthCheckFilter(bool),
    /// Logs only requests whose tracing was forced by the service. Present means applied.
    TraceableFilter(bool),
    /// Matches a request header.
    HeaderFilter(HeaderFilter),
    /// Logs requests carrying any of the response flags.
    ResponseFlagFilter(ResponseFlagFilter),
    /// Logs (or, with `exclude`, skips) requests with one of the gRPC statuses.
    GrpcStatusFilter(GrpcStatusFilter),
    /// A CEL expression; not supported by the logger yet.
    CelFilter(CelFilter),
    /// Envoy's runtime sampling filter; kept as written, not supported by the logger yet.
    RuntimeFilter(serde_json::Value),
    /// Every filter must accept (at least two).
    AndFilter(
        #[cfg_attr(feature = "schema", schemars(with = "Vec<FilterTypeSchema>"))]
        Vec<AccessLogFilter>,
    ),
    /// Any filter must accept (at least two).
    OrFilter(
        #[cfg_attr(feature = "schema", schemars(with = "Vec<FilterTypeSchema>"))]
        Vec<AccessLogFilter>,
    ),
}

// A CRD schema cannot be recursive (no `$ref`), so the schema of `andFilter` / `orFilter`
// elements stops at leaf filters (kgateway's `FilterType`) although the parser accepts nesting.
/// One filter of an `andFilter` / `orFilter` list.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[allow(
    dead_code,
    clippy::enum_variant_names,
    reason = "only describes the schema (never constructed); variants are kgateway's keys"
)]
enum FilterTypeSchema {
    /// Compares the response code (0 when no response was sent).
    StatusCodeFilter(ComparisonFilter),
    /// Compares the request duration in milliseconds.
    DurationFilter(ComparisonFilter),
    /// Drops health-check requests. Present means applied, whatever the boolean (as kgateway).
    NotHealthCheckFilter(bool),
    /// Logs only requests whose tracing was forced by the service. Present means applied.
    TraceableFilter(bool),
    /// Matches a request header.
    HeaderFilter(HeaderFilter),
    /// Logs requests carrying any of the response flags.
    ResponseFlagFilter(ResponseFlagFilter),
    /// Logs (or, with `exclude`, skips) requests with one of the gRPC statuses.
    GrpcStatusFilter(GrpcStatusFilter),
    /// A CEL expression; not supported by the logger yet.
    CelFilter(CelFilter),
    /// Envoy's runtime sampling filter; kept as written, not supported by the logger yet.
    RuntimeFilter(serde_json::Value),
}

/// `statusCodeFilter` / `durationFilter`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ComparisonFilter {
    /// The comparison.
    pub op: ComparisonOp,
    /// Right-hand side: a status code, or milliseconds.
    pub value: u32,
}

/// `op` of a comparison filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ComparisonOp {
    /// Equal.
    #[serde(rename = "EQ")]
    Eq,
    /// Greater or equal (kgateway 2.0 spelled it `GQ`; accepted as an alias).
    #[serde(rename = "GE", alias = "GQ")]
    Ge,
    /// Less or equal.
    #[serde(rename = "LE")]
    Le,
}

/// `headerFilter`: a Gateway API `HTTPHeaderMatch` on the request headers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HeaderFilter {
    /// The match.
    pub header: HeaderMatch,
}

/// Gateway API `HTTPHeaderMatch`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HeaderMatch {
    /// `Exact` (default) or `RegularExpression` (whole-value match).
    #[serde(default, rename = "type")]
    pub match_type: HeaderMatchType,
    /// Header name, case-insensitive.
    pub name: String,
    /// Value or regular expression; several header values are matched joined by `,`.
    pub value: String,
}

/// `HTTPHeaderMatch.type`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum HeaderMatchType {
    /// The value equals the given string.
    #[default]
    Exact,
    /// The whole value matches the regular expression.
    RegularExpression,
}

/// `responseFlagFilter`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResponseFlagFilter {
    /// Envoy short flag names (`UH`, `UF`, `NR`, `URX`, ...); empty means "any flag".
    #[serde(default)]
    pub flags: Vec<String>,
}

/// `grpcStatusFilter`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GrpcStatusFilter {
    /// Statuses that match.
    #[serde(default)]
    pub statuses: Vec<GrpcStatus>,
    /// Log requests whose status is *not* listed instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude: Option<bool>,
}

/// A gRPC status name as in Envoy's `GrpcStatusFilter.Status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GrpcStatus {
    /// `OK` (0).
    Ok,
    /// `CANCELED` (1).
    Canceled,
    /// `UNKNOWN` (2).
    Unknown,
    /// `INVALID_ARGUMENT` (3).
    InvalidArgument,
    /// `DEADLINE_EXCEEDED` (4).
    DeadlineExceeded,
    /// `NOT_FOUND` (5).
    NotFound,
    /// `ALREADY_EXISTS` (6).
    AlreadyExists,
    /// `PERMISSION_DENIED` (7).
    PermissionDenied,
    /// `RESOURCE_EXHAUSTED` (8).
    ResourceExhausted,
    /// `FAILED_PRECONDITION` (9).
    FailedPrecondition,
    /// `ABORTED` (10).
    Aborted,
    /// `OUT_OF_RANGE` (11).
    OutOfRange,
    /// `UNIMPLEMENTED` (12).
    Unimplemented,
    /// `INTERNAL` (13).
    Internal,
    /// `UNAVAILABLE` (14).
    Unavailable,
    /// `DATA_LOSS` (15).
    DataLoss,
    /// `UNAUTHENTICATED` (16).
    Unauthenticated,
}

impl GrpcStatus {
    /// The numeric gRPC status code.
    pub const fn code(self) -> u64 {
        self as u64
    }
}

/// `celFilter`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CelFilter {
    /// The CEL expression; the request is logged when it evaluates to true.
    #[serde(rename = "match")]
    pub expression: String,
}

/// The logger config JSON could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("invalid access log config: {0}")]
pub struct ParseError(#[from] serde_json::Error);

impl AccessLog {
    /// Parses the logger config JSON; unknown keys are errors that name the key.
    pub fn from_json(json: &str) -> Result<Self, ParseError> {
        Ok(serde_json::from_str(json)?)
    }

    /// The canonical JSON the controller puts in the Envoy `logger_config`.
    pub fn to_json(&self) -> String {
        // Serialising plain structs, strings and JSON values cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

mod filter_keys;
#[cfg(test)]
mod tests;
