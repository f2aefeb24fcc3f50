//! Signatures of the event hooks a module exports, as function-pointer types.
//!
//! The SDK assigns each exported hook to one of these types in a `const`, so a hook whose
//! signature drifts from the interface fails to compile instead of corrupting Envoy's stack.

use crate::types::{
    AbiVersionModulePtr, AccessLogType, AccessLoggerConfigEnvoyPtr, AccessLoggerConfigModulePtr,
    AccessLoggerEnvoyPtr, AccessLoggerModulePtr, BodyStatus, EnvoyBuffer, EnvoyHttpHeader,
    HeadersStatus, HttpCalloutResult, HttpFilterConfigEnvoyPtr, HttpFilterConfigModulePtr,
    HttpFilterEnvoyPtr, HttpFilterModulePtr, HttpFilterPerRouteConfigModulePtr,
    HttpStreamResetReason, TrailersStatus,
};

/// `envoy_dynamic_module_on_program_init`.
pub type OnProgramInit = unsafe extern "C" fn() -> AbiVersionModulePtr;

/// `envoy_dynamic_module_on_http_filter_config_new`.
pub type OnHttpFilterConfigNew = unsafe extern "C" fn(
    HttpFilterConfigEnvoyPtr,
    EnvoyBuffer,
    EnvoyBuffer,
) -> HttpFilterConfigModulePtr;
/// `envoy_dynamic_module_on_http_filter_config_destroy`.
pub type OnHttpFilterConfigDestroy = unsafe extern "C" fn(HttpFilterConfigModulePtr);
/// `envoy_dynamic_module_on_http_filter_config_scheduled` (optional hook).
pub type OnHttpFilterConfigScheduled =
    unsafe extern "C" fn(HttpFilterConfigEnvoyPtr, HttpFilterConfigModulePtr, u64);
/// `envoy_dynamic_module_on_http_filter_per_route_config_new`.
pub type OnHttpFilterPerRouteConfigNew =
    unsafe extern "C" fn(EnvoyBuffer, EnvoyBuffer) -> HttpFilterPerRouteConfigModulePtr;
/// `envoy_dynamic_module_on_http_filter_per_route_config_destroy`.
pub type OnHttpFilterPerRouteConfigDestroy =
    unsafe extern "C" fn(HttpFilterPerRouteConfigModulePtr);
/// `envoy_dynamic_module_on_http_filter_new`.
pub type OnHttpFilterNew =
    unsafe extern "C" fn(HttpFilterConfigModulePtr, HttpFilterEnvoyPtr) -> HttpFilterModulePtr;
/// `envoy_dynamic_module_on_http_filter_{request,response}_headers`.
pub type OnHttpFilterHeaders =
    unsafe extern "C" fn(HttpFilterEnvoyPtr, HttpFilterModulePtr, bool) -> HeadersStatus;
/// `envoy_dynamic_module_on_http_filter_{request,response}_body`.
pub type OnHttpFilterBody =
    unsafe extern "C" fn(HttpFilterEnvoyPtr, HttpFilterModulePtr, bool) -> BodyStatus;
/// `envoy_dynamic_module_on_http_filter_{request,response}_trailers`.
pub type OnHttpFilterTrailers =
    unsafe extern "C" fn(HttpFilterEnvoyPtr, HttpFilterModulePtr) -> TrailersStatus;
/// Hooks taking only the two stream pointers: `stream_complete`, the two watermark hooks.
pub type OnHttpFilterEvent = unsafe extern "C" fn(HttpFilterEnvoyPtr, HttpFilterModulePtr);
/// `envoy_dynamic_module_on_http_filter_destroy`.
pub type OnHttpFilterDestroy = unsafe extern "C" fn(HttpFilterModulePtr);
/// `envoy_dynamic_module_on_http_filter_http_callout_done`.
pub type OnHttpFilterHttpCalloutDone = unsafe extern "C" fn(
    HttpFilterEnvoyPtr,
    HttpFilterModulePtr,
    u64,
    HttpCalloutResult,
    *mut EnvoyHttpHeader,
    usize,
    *mut EnvoyBuffer,
    usize,
);
/// `envoy_dynamic_module_on_http_filter_http_stream_headers`.
pub type OnHttpFilterHttpStreamHeaders = unsafe extern "C" fn(
    HttpFilterEnvoyPtr,
    HttpFilterModulePtr,
    u64,
    *mut EnvoyHttpHeader,
    usize,
    bool,
);
/// `envoy_dynamic_module_on_http_filter_http_stream_data`.
pub type OnHttpFilterHttpStreamData = unsafe extern "C" fn(
    HttpFilterEnvoyPtr,
    HttpFilterModulePtr,
    u64,
    *const EnvoyBuffer,
    usize,
    bool,
);
/// `envoy_dynamic_module_on_http_filter_http_stream_trailers`.
pub type OnHttpFilterHttpStreamTrailers =
    unsafe extern "C" fn(HttpFilterEnvoyPtr, HttpFilterModulePtr, u64, *mut EnvoyHttpHeader, usize);
/// `envoy_dynamic_module_on_http_filter_http_stream_complete` and `_scheduled` (id argument).
pub type OnHttpFilterIdEvent = unsafe extern "C" fn(HttpFilterEnvoyPtr, HttpFilterModulePtr, u64);
/// `envoy_dynamic_module_on_http_filter_http_stream_reset`.
pub type OnHttpFilterHttpStreamReset =
    unsafe extern "C" fn(HttpFilterEnvoyPtr, HttpFilterModulePtr, u64, HttpStreamResetReason);

/// `envoy_dynamic_module_on_access_logger_config_new`.
pub type OnAccessLoggerConfigNew = unsafe extern "C" fn(
    AccessLoggerConfigEnvoyPtr,
    EnvoyBuffer,
    EnvoyBuffer,
) -> AccessLoggerConfigModulePtr;
/// `envoy_dynamic_module_on_access_logger_config_destroy`.
pub type OnAccessLoggerConfigDestroy = unsafe extern "C" fn(AccessLoggerConfigModulePtr);
/// `envoy_dynamic_module_on_access_logger_new`.
pub type OnAccessLoggerNew = unsafe extern "C" fn(
    AccessLoggerConfigModulePtr,
    AccessLoggerEnvoyPtr,
) -> AccessLoggerModulePtr;
/// `envoy_dynamic_module_on_access_logger_log`.
pub type OnAccessLoggerLog =
    unsafe extern "C" fn(AccessLoggerEnvoyPtr, AccessLoggerModulePtr, AccessLogType);
/// `envoy_dynamic_module_on_access_logger_destroy` and `_flush`.
pub type OnAccessLoggerDestroy = unsafe extern "C" fn(AccessLoggerModulePtr);

/// Hooks Envoy 1.40 resolves eagerly for an HTTP filter: loading fails if one is missing.
pub const REQUIRED_HTTP_FILTER_HOOKS: [&str; 20] = [
    "envoy_dynamic_module_on_http_filter_config_new",
    "envoy_dynamic_module_on_http_filter_config_destroy",
    "envoy_dynamic_module_on_http_filter_new",
    "envoy_dynamic_module_on_http_filter_request_headers",
    "envoy_dynamic_module_on_http_filter_request_body",
    "envoy_dynamic_module_on_http_filter_request_trailers",
    "envoy_dynamic_module_on_http_filter_response_headers",
    "envoy_dynamic_module_on_http_filter_response_body",
    "envoy_dynamic_module_on_http_filter_response_trailers",
    "envoy_dynamic_module_on_http_filter_stream_complete",
    "envoy_dynamic_module_on_http_filter_destroy",
    "envoy_dynamic_module_on_http_filter_http_callout_done",
    "envoy_dynamic_module_on_http_filter_http_stream_headers",
    "envoy_dynamic_module_on_http_filter_http_stream_data",
    "envoy_dynamic_module_on_http_filter_http_stream_trailers",
    "envoy_dynamic_module_on_http_filter_http_stream_complete",
    "envoy_dynamic_module_on_http_filter_http_stream_reset",
    "envoy_dynamic_module_on_http_filter_scheduled",
    "envoy_dynamic_module_on_http_filter_downstream_above_write_buffer_high_watermark",
    "envoy_dynamic_module_on_http_filter_downstream_below_write_buffer_low_watermark",
];

/// Hooks resolved once a route carries per-route config for the filter.
pub const PER_ROUTE_HTTP_FILTER_HOOKS: [&str; 2] = [
    "envoy_dynamic_module_on_http_filter_per_route_config_new",
    "envoy_dynamic_module_on_http_filter_per_route_config_destroy",
];

/// Hooks Envoy 1.40 resolves eagerly for an access logger.
pub const REQUIRED_ACCESS_LOGGER_HOOKS: [&str; 5] = [
    "envoy_dynamic_module_on_access_logger_config_new",
    "envoy_dynamic_module_on_access_logger_config_destroy",
    "envoy_dynamic_module_on_access_logger_new",
    "envoy_dynamic_module_on_access_logger_log",
    "envoy_dynamic_module_on_access_logger_destroy",
];
