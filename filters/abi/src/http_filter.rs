//! Callbacks an HTTP filter (and its config) calls into Envoy.

use crate::types::{
    AttributeId, EnvoyBuffer, EnvoyHttpHeader, HttpBodyType, HttpCalloutInitResult,
    HttpFilterConfigEnvoyPtr, HttpFilterConfigSchedulerModulePtr, HttpFilterEnvoyPtr,
    HttpFilterPerRouteConfigModulePtr, HttpFilterSchedulerModulePtr, HttpFilterStreamResetReason,
    HttpHeaderType, MetadataSource, MetricsResult, ModuleBuffer, ModuleHttpHeader,
};

// ------------------------------------------------------------------------------------------------
// Metrics: defined on the config (main thread), recorded per stream or on the config.
// ------------------------------------------------------------------------------------------------
unsafe extern "C" {
    /// Defines a counter (with optional label names); writes its id to `counter_id_ptr`.
    pub fn envoy_dynamic_module_callback_http_filter_config_define_counter(
        filter_config_envoy_ptr: HttpFilterConfigEnvoyPtr,
        name: ModuleBuffer,
        label_names: *mut ModuleBuffer,
        label_names_length: usize,
        counter_id_ptr: *mut usize,
    ) -> MetricsResult;

    /// Defines a gauge (with optional label names); writes its id to `gauge_id_ptr`.
    pub fn envoy_dynamic_module_callback_http_filter_config_define_gauge(
        filter_config_envoy_ptr: HttpFilterConfigEnvoyPtr,
        name: ModuleBuffer,
        label_names: *mut ModuleBuffer,
        label_names_length: usize,
        gauge_id_ptr: *mut usize,
    ) -> MetricsResult;

    /// Defines a histogram (with optional label names); writes its id to `histogram_id_ptr`.
    pub fn envoy_dynamic_module_callback_http_filter_config_define_histogram(
        filter_config_envoy_ptr: HttpFilterConfigEnvoyPtr,
        name: ModuleBuffer,
        label_names: *mut ModuleBuffer,
        label_names_length: usize,
        histogram_id_ptr: *mut usize,
    ) -> MetricsResult;

    /// Adds `value` to a counter. `label_values_length` must equal the defined label count.
    pub fn envoy_dynamic_module_callback_http_filter_increment_counter(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        id: usize,
        label_values: *mut ModuleBuffer,
        label_values_length: usize,
        value: u64,
    ) -> MetricsResult;

    /// Adds `value` to a gauge.
    pub fn envoy_dynamic_module_callback_http_filter_increment_gauge(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        id: usize,
        label_values: *mut ModuleBuffer,
        label_values_length: usize,
        value: u64,
    ) -> MetricsResult;

    /// Subtracts `value` from a gauge.
    pub fn envoy_dynamic_module_callback_http_filter_decrement_gauge(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        id: usize,
        label_values: *mut ModuleBuffer,
        label_values_length: usize,
        value: u64,
    ) -> MetricsResult;

    /// Sets a gauge to `value`.
    pub fn envoy_dynamic_module_callback_http_filter_set_gauge(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        id: usize,
        label_values: *mut ModuleBuffer,
        label_values_length: usize,
        value: u64,
    ) -> MetricsResult;

    /// Records `value` in a histogram.
    pub fn envoy_dynamic_module_callback_http_filter_record_histogram_value(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        id: usize,
        label_values: *mut ModuleBuffer,
        label_values_length: usize,
        value: u64,
    ) -> MetricsResult;

    /// Adds `value` to a counter from the config context (no stream needed).
    pub fn envoy_dynamic_module_callback_http_filter_config_increment_counter(
        filter_config_envoy_ptr: HttpFilterConfigEnvoyPtr,
        id: usize,
        label_values: *mut ModuleBuffer,
        label_values_length: usize,
        value: u64,
    ) -> MetricsResult;

    /// Sets a gauge from the config context (no stream needed).
    pub fn envoy_dynamic_module_callback_http_filter_config_set_gauge(
        filter_config_envoy_ptr: HttpFilterConfigEnvoyPtr,
        id: usize,
        label_values: *mut ModuleBuffer,
        label_values_length: usize,
        value: u64,
    ) -> MetricsResult;
}

// ------------------------------------------------------------------------------------------------
// Headers and trailers
// ------------------------------------------------------------------------------------------------
unsafe extern "C" {
    /// Reads value number `index` of header `key`; stores the value count in `optional_size`
    /// (nullable). Returns false when absent. The value stays valid until a setter is called or
    /// the hook returns.
    pub fn envoy_dynamic_module_callback_http_get_header(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        header_type: HttpHeaderType,
        key: ModuleBuffer,
        result_buffer: *mut EnvoyBuffer,
        index: usize,
        optional_size: *mut usize,
    ) -> bool;

    /// Number of headers in the map.
    pub fn envoy_dynamic_module_callback_http_get_headers_size(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        header_type: HttpHeaderType,
    ) -> usize;

    /// Fills `result_headers` (sized by `http_get_headers_size`) with every header.
    pub fn envoy_dynamic_module_callback_http_get_headers(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        header_type: HttpHeaderType,
        result_headers: *mut EnvoyHttpHeader,
    ) -> bool;

    /// Appends a value to header `key` (keeps existing values).
    pub fn envoy_dynamic_module_callback_http_add_header(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        header_type: HttpHeaderType,
        key: ModuleBuffer,
        value: ModuleBuffer,
    ) -> bool;

    /// Replaces every value of header `key`; a null `value.ptr` removes the header.
    pub fn envoy_dynamic_module_callback_http_set_header(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        header_type: HttpHeaderType,
        key: ModuleBuffer,
        value: ModuleBuffer,
    ) -> bool;
}

// ------------------------------------------------------------------------------------------------
// Local replies
// ------------------------------------------------------------------------------------------------
unsafe extern "C" {
    /// Sends a local reply downstream (`sendLocalReply`). `details` may be null.
    pub fn envoy_dynamic_module_callback_http_send_response(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        status_code: u32,
        headers_vector: *mut ModuleHttpHeader,
        headers_vector_size: usize,
        body: ModuleBuffer,
        details: ModuleBuffer,
    );
}

// ------------------------------------------------------------------------------------------------
// Bodies
// ------------------------------------------------------------------------------------------------
unsafe extern "C" {
    /// Total bytes of the addressed body (0 when unavailable).
    pub fn envoy_dynamic_module_callback_http_get_body_size(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        body_type: HttpBodyType,
    ) -> usize;

    /// Number of slices of the addressed body (0 when unavailable).
    pub fn envoy_dynamic_module_callback_http_get_body_chunks_size(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        body_type: HttpBodyType,
    ) -> usize;

    /// Fills `result_buffer_vector` (sized by `get_body_chunks_size`) with the body slices.
    pub fn envoy_dynamic_module_callback_http_get_body_chunks(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        body_type: HttpBodyType,
        result_buffer_vector: *mut EnvoyBuffer,
    ) -> bool;

    /// Appends `data` to the addressed body; false when that body is unavailable.
    pub fn envoy_dynamic_module_callback_http_append_body(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        body_type: HttpBodyType,
        data: ModuleBuffer,
    ) -> bool;

    /// Drains up to `number_of_bytes` from the front of the addressed body.
    pub fn envoy_dynamic_module_callback_http_drain_body(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        body_type: HttpBodyType,
        number_of_bytes: usize,
    ) -> bool;

    /// Whether the received request body *is* the buffered one (a previous filter resumed).
    pub fn envoy_dynamic_module_callback_http_received_buffered_request_body(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
    ) -> bool;

    /// Whether the received response body *is* the buffered one (a previous filter resumed).
    pub fn envoy_dynamic_module_callback_http_received_buffered_response_body(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
    ) -> bool;

    /// Current buffer limit in bytes (0 = unlimited).
    pub fn envoy_dynamic_module_callback_http_get_buffer_limit(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
    ) -> u64;

    /// Sets the buffer limit in bytes.
    pub fn envoy_dynamic_module_callback_http_set_buffer_limit(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        limit: u64,
    );
}

// ------------------------------------------------------------------------------------------------
// Metadata and filter state
// ------------------------------------------------------------------------------------------------
unsafe extern "C" {
    /// Sets dynamic metadata `ns.key` to a number.
    pub fn envoy_dynamic_module_callback_http_set_dynamic_metadata_number(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        ns: ModuleBuffer,
        key: ModuleBuffer,
        value: f64,
    );

    /// Sets dynamic metadata `ns.key` to a string.
    pub fn envoy_dynamic_module_callback_http_set_dynamic_metadata_string(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        ns: ModuleBuffer,
        key: ModuleBuffer,
        value: ModuleBuffer,
    );

    /// Sets dynamic metadata `ns.key` to a bool.
    pub fn envoy_dynamic_module_callback_http_set_dynamic_metadata_bool(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        ns: ModuleBuffer,
        key: ModuleBuffer,
        value: bool,
    );

    /// Reads a number from metadata of `metadata_source`.
    pub fn envoy_dynamic_module_callback_http_get_metadata_number(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        metadata_source: MetadataSource,
        ns: ModuleBuffer,
        key: ModuleBuffer,
        result: *mut f64,
    ) -> bool;

    /// Reads a string from metadata of `metadata_source`.
    pub fn envoy_dynamic_module_callback_http_get_metadata_string(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        metadata_source: MetadataSource,
        ns: ModuleBuffer,
        key: ModuleBuffer,
        result: *mut EnvoyBuffer,
    ) -> bool;

    /// Reads a bool from metadata of `metadata_source`.
    pub fn envoy_dynamic_module_callback_http_get_metadata_bool(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        metadata_source: MetadataSource,
        ns: ModuleBuffer,
        key: ModuleBuffer,
        result: *mut bool,
    ) -> bool;

    /// Stores bytes in the stream's filter state under `key`.
    pub fn envoy_dynamic_module_callback_http_set_filter_state_bytes(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        key: ModuleBuffer,
        value: ModuleBuffer,
    ) -> bool;

    /// Reads bytes stored in the stream's filter state under `key`.
    pub fn envoy_dynamic_module_callback_http_get_filter_state_bytes(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        key: ModuleBuffer,
        result: *mut EnvoyBuffer,
    ) -> bool;

    /// Reads a string attribute (e.g. `request.path`).
    pub fn envoy_dynamic_module_callback_http_filter_get_attribute_string(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        attribute_id: AttributeId,
        result: *mut EnvoyBuffer,
    ) -> bool;

    /// Reads an integer attribute (e.g. `response.code`).
    pub fn envoy_dynamic_module_callback_http_filter_get_attribute_int(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        attribute_id: AttributeId,
        result: *mut u64,
    ) -> bool;

    /// Reads a bool attribute (e.g. `connection.mtls`).
    pub fn envoy_dynamic_module_callback_http_filter_get_attribute_bool(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        attribute_id: AttributeId,
        result: *mut bool,
    ) -> bool;
}

// ------------------------------------------------------------------------------------------------
// Scheduling, callouts, stream control, routing
// ------------------------------------------------------------------------------------------------
unsafe extern "C" {
    /// Creates a scheduler that posts `on_http_filter_scheduled` to the stream's worker.
    pub fn envoy_dynamic_module_callback_http_filter_scheduler_new(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
    ) -> HttpFilterSchedulerModulePtr;

    /// Posts `event_id` to the stream's worker. Any thread; no-op once the filter is gone.
    pub fn envoy_dynamic_module_callback_http_filter_scheduler_commit(
        scheduler_module_ptr: HttpFilterSchedulerModulePtr,
        event_id: u64,
    );

    /// Deletes a scheduler created by `http_filter_scheduler_new`.
    pub fn envoy_dynamic_module_callback_http_filter_scheduler_delete(
        scheduler_module_ptr: HttpFilterSchedulerModulePtr,
    );

    /// Creates a scheduler that posts `on_http_filter_config_scheduled` to the main thread.
    pub fn envoy_dynamic_module_callback_http_filter_config_scheduler_new(
        filter_config_envoy_ptr: HttpFilterConfigEnvoyPtr,
    ) -> HttpFilterConfigSchedulerModulePtr;

    /// Deletes a scheduler created by `http_filter_config_scheduler_new`.
    pub fn envoy_dynamic_module_callback_http_filter_config_scheduler_delete(
        scheduler_module_ptr: HttpFilterConfigSchedulerModulePtr,
    );

    /// Posts `event_id` to the main thread.
    pub fn envoy_dynamic_module_callback_http_filter_config_scheduler_commit(
        scheduler_module_ptr: HttpFilterConfigSchedulerModulePtr,
        event_id: u64,
    );

    /// Starts a one-shot HTTP callout; the answer arrives in `on_http_filter_http_callout_done`.
    /// `headers` must contain `:method`, `:path` and `host`.
    pub fn envoy_dynamic_module_callback_http_filter_http_callout(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        callout_id_out: *mut u64,
        cluster_name: ModuleBuffer,
        headers: *mut ModuleHttpHeader,
        headers_size: usize,
        body: ModuleBuffer,
        timeout_milliseconds: u64,
    ) -> HttpCalloutInitResult;

    /// Resumes a request that a hook stopped.
    pub fn envoy_dynamic_module_callback_http_filter_continue_decoding(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
    );

    /// Resumes a response that a hook stopped.
    pub fn envoy_dynamic_module_callback_http_filter_continue_encoding(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
    );

    /// Resets the downstream stream.
    pub fn envoy_dynamic_module_callback_http_filter_reset_stream(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
        reason: HttpFilterStreamResetReason,
        details: ModuleBuffer,
    );

    /// Clears the route cache so the route is picked again (no-op in the wrong phase).
    pub fn envoy_dynamic_module_callback_http_clear_route_cache(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
    );

    /// The most specific per-route config of this filter for the current route, or null.
    pub fn envoy_dynamic_module_callback_get_most_specific_route_config(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
    ) -> HttpFilterPerRouteConfigModulePtr;

    /// Index of the worker thread running this stream.
    pub fn envoy_dynamic_module_callback_http_filter_get_worker_index(
        filter_envoy_ptr: HttpFilterEnvoyPtr,
    ) -> u32;
}
