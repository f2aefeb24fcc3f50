//! Callbacks an access logger calls into Envoy (all take the per-event log context).

use crate::stream_info::{BytesInfo, TimingInfoV2};
use crate::types::{
    AccessLoggerConfigEnvoyPtr, AccessLoggerEnvoyPtr, AttributeId, EnvoyBuffer, EnvoyHttpHeader,
    HttpHeaderType, MetricsResult, ModuleBuffer,
};

unsafe extern "C" {
    /// Number of headers in the map (request headers, response headers or response trailers).
    pub fn envoy_dynamic_module_callback_access_logger_get_headers_size(
        logger_envoy_ptr: AccessLoggerEnvoyPtr,
        header_type: HttpHeaderType,
    ) -> usize;

    /// Fills `result_headers` (sized by `get_headers_size`) with every header.
    pub fn envoy_dynamic_module_callback_access_logger_get_headers(
        logger_envoy_ptr: AccessLoggerEnvoyPtr,
        header_type: HttpHeaderType,
        result_headers: *mut EnvoyHttpHeader,
    ) -> bool;

    /// Reads value number `index` of header `key`; `total_count_out` is nullable.
    pub fn envoy_dynamic_module_callback_access_logger_get_header_value(
        logger_envoy_ptr: AccessLoggerEnvoyPtr,
        header_type: HttpHeaderType,
        key: ModuleBuffer,
        result: *mut EnvoyBuffer,
        index: usize,
        total_count_out: *mut usize,
    ) -> bool;

    /// Reads a string attribute of the logged stream.
    pub fn envoy_dynamic_module_callback_access_logger_get_attribute_string(
        logger_envoy_ptr: AccessLoggerEnvoyPtr,
        attribute_id: AttributeId,
        result: *mut EnvoyBuffer,
    ) -> bool;

    /// Reads an integer attribute of the logged stream (e.g. `response.code`).
    pub fn envoy_dynamic_module_callback_access_logger_get_attribute_int(
        logger_envoy_ptr: AccessLoggerEnvoyPtr,
        attribute_id: AttributeId,
        result: *mut u64,
    ) -> bool;

    /// Reads a bool attribute of the logged stream.
    pub fn envoy_dynamic_module_callback_access_logger_get_attribute_bool(
        logger_envoy_ptr: AccessLoggerEnvoyPtr,
        attribute_id: AttributeId,
        result: *mut bool,
    ) -> bool;

    /// Bitmask of the stream's response flags.
    pub fn envoy_dynamic_module_callback_access_logger_get_response_flags(
        logger_envoy_ptr: AccessLoggerEnvoyPtr,
    ) -> u64;

    /// Fills `timing_out` with the stream's timeline (always writes every field).
    pub fn envoy_dynamic_module_callback_access_logger_get_timing_info_v2(
        logger_envoy_ptr: AccessLoggerEnvoyPtr,
        timing_out: *mut TimingInfoV2,
    );

    /// Fills `bytes_out` with the stream's byte counts (0 when unknown).
    pub fn envoy_dynamic_module_callback_access_logger_get_bytes_info(
        logger_envoy_ptr: AccessLoggerEnvoyPtr,
        bytes_out: *mut BytesInfo,
    );

    /// String dynamic metadata at `filter_name` / `path` (dotted path).
    pub fn envoy_dynamic_module_callback_access_logger_get_dynamic_metadata(
        logger_envoy_ptr: AccessLoggerEnvoyPtr,
        filter_name: ModuleBuffer,
        path: ModuleBuffer,
        result: *mut EnvoyBuffer,
    ) -> bool;

    /// Number dynamic metadata at `filter_name` / `path`.
    pub fn envoy_dynamic_module_callback_access_logger_get_dynamic_metadata_number(
        logger_envoy_ptr: AccessLoggerEnvoyPtr,
        filter_name: ModuleBuffer,
        path: ModuleBuffer,
        result: *mut f64,
    ) -> bool;

    /// Bool dynamic metadata at `filter_name` / `path`.
    pub fn envoy_dynamic_module_callback_access_logger_get_dynamic_metadata_bool(
        logger_envoy_ptr: AccessLoggerEnvoyPtr,
        filter_name: ModuleBuffer,
        path: ModuleBuffer,
        result: *mut bool,
    ) -> bool;

    /// Serialized filter state value under `key`.
    pub fn envoy_dynamic_module_callback_access_logger_get_filter_state(
        logger_envoy_ptr: AccessLoggerEnvoyPtr,
        key: ModuleBuffer,
        result: *mut EnvoyBuffer,
    ) -> bool;

    /// Body of the local reply, when the response was one.
    pub fn envoy_dynamic_module_callback_access_logger_get_local_reply_body(
        logger_envoy_ptr: AccessLoggerEnvoyPtr,
        result: *mut EnvoyBuffer,
    ) -> bool;

    /// Trace id of the active span.
    pub fn envoy_dynamic_module_callback_access_logger_get_trace_id(
        logger_envoy_ptr: AccessLoggerEnvoyPtr,
        result: *mut EnvoyBuffer,
    ) -> bool;

    /// Index of the worker thread emitting the event (concurrency for the main thread).
    pub fn envoy_dynamic_module_callback_access_logger_get_worker_index(
        logger_envoy_ptr: AccessLoggerEnvoyPtr,
    ) -> u32;

    /// Defines a counter on the logger config (no labels in this extension point).
    pub fn envoy_dynamic_module_callback_access_logger_config_define_counter(
        config_envoy_ptr: AccessLoggerConfigEnvoyPtr,
        name: ModuleBuffer,
        counter_id_ptr: *mut usize,
    ) -> MetricsResult;

    /// Defines a gauge on the logger config.
    pub fn envoy_dynamic_module_callback_access_logger_config_define_gauge(
        config_envoy_ptr: AccessLoggerConfigEnvoyPtr,
        name: ModuleBuffer,
        gauge_id_ptr: *mut usize,
    ) -> MetricsResult;

    /// Defines a histogram on the logger config.
    pub fn envoy_dynamic_module_callback_access_logger_config_define_histogram(
        config_envoy_ptr: AccessLoggerConfigEnvoyPtr,
        name: ModuleBuffer,
        histogram_id_ptr: *mut usize,
    ) -> MetricsResult;

    /// Adds `value` to a logger counter.
    pub fn envoy_dynamic_module_callback_access_logger_increment_counter(
        config_envoy_ptr: AccessLoggerConfigEnvoyPtr,
        id: usize,
        value: u64,
    ) -> MetricsResult;

    /// Sets a logger gauge.
    pub fn envoy_dynamic_module_callback_access_logger_set_gauge(
        config_envoy_ptr: AccessLoggerConfigEnvoyPtr,
        id: usize,
        value: u64,
    ) -> MetricsResult;

    /// Adds `value` to a logger gauge.
    pub fn envoy_dynamic_module_callback_access_logger_increment_gauge(
        config_envoy_ptr: AccessLoggerConfigEnvoyPtr,
        id: usize,
        value: u64,
    ) -> MetricsResult;

    /// Subtracts `value` from a logger gauge.
    pub fn envoy_dynamic_module_callback_access_logger_decrement_gauge(
        config_envoy_ptr: AccessLoggerConfigEnvoyPtr,
        id: usize,
        value: u64,
    ) -> MetricsResult;

    /// Records `value` in a logger histogram.
    pub fn envoy_dynamic_module_callback_access_logger_record_histogram_value(
        config_envoy_ptr: AccessLoggerConfigEnvoyPtr,
        id: usize,
        value: u64,
    ) -> MetricsResult;
}
