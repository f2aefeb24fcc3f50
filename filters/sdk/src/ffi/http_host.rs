//! `HttpHost` over Envoy's HTTP filter callbacks, built on the stack for one event.

use super::buffers::{ModuleHeaders, envoy_bytes, envoy_header, optional_str};
use super::config_context::EnvoyScheduler;
use crate::error::{CalloutError, MetricError};
use crate::http::{
    BodyBuffer, CalloutRequest, Direction, HeaderMap, HttpHost, MetadataSource, RouteConfig,
};
use crate::log::{LogLevel, envoy_emit, envoy_log_enabled};
use crate::metrics::{Counter, Gauge, Histogram, LabelBuffers, check};
use crate::scheduler::Scheduler;
use crate::stream::StreamState;
use dynagate_abi::{self as abi, AttributeId, ModuleBuffer};

/// Signature shared by the per-stream metric callbacks.
type RecordMetric = unsafe extern "C" fn(
    abi::HttpFilterEnvoyPtr,
    usize,
    *mut ModuleBuffer,
    usize,
    u64,
) -> abi::MetricsResult;

/// The host of one event of one stream. Lives on the stack of a hook, so everything it lends
/// out dies with the hook.
pub(super) struct EnvoyHttpHost<'a> {
    envoy: abi::HttpFilterEnvoyPtr,
    state: &'a StreamState,
}

impl<'a> EnvoyHttpHost<'a> {
    /// # Safety
    /// `envoy` is the filter pointer Envoy passed to the running hook.
    pub(super) unsafe fn new(envoy: abi::HttpFilterEnvoyPtr, state: &'a StreamState) -> Self {
        Self { envoy, state }
    }

    fn record(
        &mut self,
        callback: RecordMetric,
        id: usize,
        labels: &[&str],
        value: u64,
    ) -> Result<(), MetricError> {
        let mut buffers = LabelBuffers::new(labels);
        let (ptr, len) = buffers.as_raw();
        // SAFETY: live filter pointer; label buffers borrow `labels`, which outlive the call.
        check(unsafe { callback(self.envoy, id, ptr, len, value) })
    }

    /// Continues the stream now, or — when called from inside a filter method — right after
    /// it returns: Envoy runs the next hooks of this same filter synchronously from inside
    /// `continue_decoding/encoding`, which must not happen while the filter is borrowed.
    fn continue_stream(&mut self, direction: Direction) {
        if self.state.in_hook() {
            self.state.defer_continue(direction);
        } else {
            // SAFETY: live filter pointer of the running hook.
            unsafe { continue_now(self.envoy, direction) }
        }
    }

    fn set_header_raw(&mut self, map: HeaderMap, name: &str, value: ModuleBuffer) -> bool {
        // SAFETY: live filter pointer; buffers borrow data that outlives the call.
        unsafe {
            abi::envoy_dynamic_module_callback_http_set_header(
                self.envoy,
                map.to_abi(),
                ModuleBuffer::from_str(name),
                value,
            )
        }
    }
}

impl HttpHost for EnvoyHttpHost<'_> {
    fn header_value(&self, map: HeaderMap, name: &str, index: usize) -> Option<&[u8]> {
        let mut value = abi::EnvoyBuffer::EMPTY;
        let mut count = 0usize;
        // SAFETY: live filter pointer; both out-parameters are valid. The value stays valid
        // until a setter (`&mut self`) or the end of the hook.
        unsafe {
            abi::envoy_dynamic_module_callback_http_get_header(
                self.envoy,
                map.to_abi(),
                ModuleBuffer::from_str(name),
                &raw mut value,
                index,
                &raw mut count,
            );
        }
        // The value count, not the pointer, tells "absent" from "present but empty".
        // SAFETY: see above; the borrow is tied to `&self`.
        (index < count).then(|| unsafe { envoy_bytes(value) })
    }

    fn header_count(&self, map: HeaderMap, name: &str) -> usize {
        let mut value = abi::EnvoyBuffer::EMPTY;
        let mut count = 0usize;
        // SAFETY: live filter pointer; both out-parameters are valid.
        unsafe {
            abi::envoy_dynamic_module_callback_http_get_header(
                self.envoy,
                map.to_abi(),
                ModuleBuffer::from_str(name),
                &raw mut value,
                0,
                &raw mut count,
            );
        }
        count
    }

    fn headers(&self, map: HeaderMap) -> Vec<(&[u8], &[u8])> {
        // SAFETY: live filter pointer.
        let size = unsafe {
            abi::envoy_dynamic_module_callback_http_get_headers_size(self.envoy, map.to_abi())
        };
        if size == 0 {
            return Vec::new();
        }
        let mut raw = vec![abi::EnvoyHttpHeader::EMPTY; size];
        // SAFETY: `raw` has room for `size` headers, as the callback requires.
        let ok = unsafe {
            abi::envoy_dynamic_module_callback_http_get_headers(
                self.envoy,
                map.to_abi(),
                raw.as_mut_ptr(),
            )
        };
        if !ok {
            return Vec::new();
        }
        // SAFETY: Envoy filled every entry; the bytes live until a setter or the hook's end.
        raw.into_iter()
            .map(|h| unsafe { envoy_header(h) })
            .collect()
    }

    fn set_header(&mut self, map: HeaderMap, name: &str, value: &[u8]) -> bool {
        self.set_header_raw(map, name, ModuleBuffer::from_bytes(value))
    }

    fn add_header(&mut self, map: HeaderMap, name: &str, value: &[u8]) -> bool {
        // SAFETY: live filter pointer; buffers borrow data that outlives the call.
        unsafe {
            abi::envoy_dynamic_module_callback_http_add_header(
                self.envoy,
                map.to_abi(),
                ModuleBuffer::from_str(name),
                ModuleBuffer::from_bytes(value),
            )
        }
    }

    fn remove_header(&mut self, map: HeaderMap, name: &str) -> bool {
        // A null value makes `set_header` remove the header.
        self.set_header_raw(map, name, ModuleBuffer::NULL)
    }

    fn body_chunks(&self, body: BodyBuffer) -> Vec<&[u8]> {
        // SAFETY: live filter pointer.
        let count = unsafe {
            abi::envoy_dynamic_module_callback_http_get_body_chunks_size(self.envoy, body.to_abi())
        };
        if count == 0 {
            return Vec::new();
        }
        let mut raw = vec![abi::EnvoyBuffer::EMPTY; count];
        // SAFETY: `raw` has room for `count` buffers.
        let ok = unsafe {
            abi::envoy_dynamic_module_callback_http_get_body_chunks(
                self.envoy,
                body.to_abi(),
                raw.as_mut_ptr(),
            )
        };
        if !ok {
            return Vec::new();
        }
        // SAFETY: Envoy filled every entry; valid until a body mutation or the hook's end.
        raw.into_iter().map(|b| unsafe { envoy_bytes(b) }).collect()
    }

    fn body_len(&self, body: BodyBuffer) -> usize {
        // SAFETY: live filter pointer.
        unsafe { abi::envoy_dynamic_module_callback_http_get_body_size(self.envoy, body.to_abi()) }
    }

    fn drain_body(&mut self, body: BodyBuffer, bytes: usize) -> bool {
        // SAFETY: live filter pointer.
        unsafe {
            abi::envoy_dynamic_module_callback_http_drain_body(self.envoy, body.to_abi(), bytes)
        }
    }

    fn append_body(&mut self, body: BodyBuffer, data: &[u8]) -> bool {
        // SAFETY: live filter pointer; `data` outlives the call (Envoy copies it).
        unsafe {
            abi::envoy_dynamic_module_callback_http_append_body(
                self.envoy,
                body.to_abi(),
                ModuleBuffer::from_bytes(data),
            )
        }
    }

    fn received_is_buffered(&self, direction: Direction) -> bool {
        // SAFETY: live filter pointer.
        unsafe {
            match direction {
                Direction::Request => {
                    abi::envoy_dynamic_module_callback_http_received_buffered_request_body(
                        self.envoy,
                    )
                }
                Direction::Response => {
                    abi::envoy_dynamic_module_callback_http_received_buffered_response_body(
                        self.envoy,
                    )
                }
            }
        }
    }

    fn buffer_limit(&self) -> u64 {
        // SAFETY: live filter pointer.
        unsafe { abi::envoy_dynamic_module_callback_http_get_buffer_limit(self.envoy) }
    }

    fn set_buffer_limit(&mut self, limit: u64) {
        // SAFETY: live filter pointer.
        unsafe { abi::envoy_dynamic_module_callback_http_set_buffer_limit(self.envoy, limit) }
    }

    fn send_response(
        &mut self,
        status: u16,
        headers: &[(&str, &[u8])],
        body: &[u8],
        details: Option<&str>,
    ) {
        let mut module_headers = ModuleHeaders::new(headers);
        let (headers_ptr, headers_len) = module_headers.as_raw();
        self.state.local_reply_sent.set(true);
        // SAFETY: live filter pointer; every buffer borrows data that outlives the call.
        unsafe {
            abi::envoy_dynamic_module_callback_http_send_response(
                self.envoy,
                u32::from(status),
                headers_ptr,
                headers_len,
                ModuleBuffer::from_bytes(body),
                optional_str(details),
            );
        }
    }

    fn sent_local_reply(&self) -> bool {
        self.state.local_reply_sent.get()
    }

    fn continue_request(&mut self) {
        self.continue_stream(Direction::Request);
    }

    fn continue_response(&mut self) {
        self.continue_stream(Direction::Response);
    }

    fn reset_stream(&mut self, details: &str) {
        // SAFETY: live filter pointer; `details` outlives the call.
        unsafe {
            abi::envoy_dynamic_module_callback_http_filter_reset_stream(
                self.envoy,
                abi::HttpFilterStreamResetReason::LOCAL_RESET,
                ModuleBuffer::from_str(details),
            );
        }
    }

    fn set_metadata_string(&mut self, namespace: &str, key: &str, value: &str) {
        // SAFETY: live filter pointer; buffers outlive the call.
        unsafe {
            abi::envoy_dynamic_module_callback_http_set_dynamic_metadata_string(
                self.envoy,
                ModuleBuffer::from_str(namespace),
                ModuleBuffer::from_str(key),
                ModuleBuffer::from_str(value),
            );
        }
    }

    fn set_metadata_number(&mut self, namespace: &str, key: &str, value: f64) {
        // SAFETY: live filter pointer; buffers outlive the call.
        unsafe {
            abi::envoy_dynamic_module_callback_http_set_dynamic_metadata_number(
                self.envoy,
                ModuleBuffer::from_str(namespace),
                ModuleBuffer::from_str(key),
                value,
            );
        }
    }

    fn set_metadata_bool(&mut self, namespace: &str, key: &str, value: bool) {
        // SAFETY: live filter pointer; buffers outlive the call.
        unsafe {
            abi::envoy_dynamic_module_callback_http_set_dynamic_metadata_bool(
                self.envoy,
                ModuleBuffer::from_str(namespace),
                ModuleBuffer::from_str(key),
                value,
            );
        }
    }

    fn metadata_string(&self, source: MetadataSource, namespace: &str, key: &str) -> Option<&str> {
        let mut value = abi::EnvoyBuffer::EMPTY;
        // SAFETY: live filter pointer; valid out-parameter; buffers outlive the call.
        let found = unsafe {
            abi::envoy_dynamic_module_callback_http_get_metadata_string(
                self.envoy,
                source.to_abi(),
                ModuleBuffer::from_str(namespace),
                ModuleBuffer::from_str(key),
                &raw mut value,
            )
        };
        // SAFETY: the string lives until a setter or the end of the hook (tied to `&self`).
        found
            .then(|| unsafe { envoy_bytes(value) })
            .and_then(|v| core::str::from_utf8(v).ok())
    }

    fn metadata_number(&self, source: MetadataSource, namespace: &str, key: &str) -> Option<f64> {
        let mut value = 0f64;
        // SAFETY: live filter pointer; valid out-parameter; buffers outlive the call.
        let found = unsafe {
            abi::envoy_dynamic_module_callback_http_get_metadata_number(
                self.envoy,
                source.to_abi(),
                ModuleBuffer::from_str(namespace),
                ModuleBuffer::from_str(key),
                &raw mut value,
            )
        };
        found.then_some(value)
    }

    fn metadata_bool(&self, source: MetadataSource, namespace: &str, key: &str) -> Option<bool> {
        let mut value = false;
        // SAFETY: live filter pointer; valid out-parameter; buffers outlive the call.
        let found = unsafe {
            abi::envoy_dynamic_module_callback_http_get_metadata_bool(
                self.envoy,
                source.to_abi(),
                ModuleBuffer::from_str(namespace),
                ModuleBuffer::from_str(key),
                &raw mut value,
            )
        };
        found.then_some(value)
    }

    fn set_filter_state(&mut self, key: &str, value: &[u8]) -> bool {
        // SAFETY: live filter pointer; buffers outlive the call (Envoy copies them).
        unsafe {
            abi::envoy_dynamic_module_callback_http_set_filter_state_bytes(
                self.envoy,
                ModuleBuffer::from_str(key),
                ModuleBuffer::from_bytes(value),
            )
        }
    }

    fn filter_state(&self, key: &str) -> Option<&[u8]> {
        let mut value = abi::EnvoyBuffer::EMPTY;
        // SAFETY: live filter pointer; valid out-parameter.
        let found = unsafe {
            abi::envoy_dynamic_module_callback_http_get_filter_state_bytes(
                self.envoy,
                ModuleBuffer::from_str(key),
                &raw mut value,
            )
        };
        // SAFETY: valid until a setter or the end of the hook (tied to `&self`).
        found.then(|| unsafe { envoy_bytes(value) })
    }

    fn attribute_string(&self, attribute: AttributeId) -> Option<&[u8]> {
        let mut value = abi::EnvoyBuffer::EMPTY;
        // SAFETY: live filter pointer; valid out-parameter.
        let found = unsafe {
            abi::envoy_dynamic_module_callback_http_filter_get_attribute_string(
                self.envoy,
                attribute,
                &raw mut value,
            )
        };
        // SAFETY: valid until the end of the hook (tied to `&self`).
        found.then(|| unsafe { envoy_bytes(value) })
    }

    fn attribute_int(&self, attribute: AttributeId) -> Option<u64> {
        let mut value = 0u64;
        // SAFETY: live filter pointer; valid out-parameter.
        let found = unsafe {
            abi::envoy_dynamic_module_callback_http_filter_get_attribute_int(
                self.envoy,
                attribute,
                &raw mut value,
            )
        };
        found.then_some(value)
    }

    fn attribute_bool(&self, attribute: AttributeId) -> Option<bool> {
        let mut value = false;
        // SAFETY: live filter pointer; valid out-parameter.
        let found = unsafe {
            abi::envoy_dynamic_module_callback_http_filter_get_attribute_bool(
                self.envoy,
                attribute,
                &raw mut value,
            )
        };
        found.then_some(value)
    }

    fn clear_route_cache(&mut self) {
        // SAFETY: live filter pointer.
        unsafe { abi::envoy_dynamic_module_callback_http_clear_route_cache(self.envoy) }
    }

    fn route_config_any(&self) -> Option<&RouteConfig> {
        // SAFETY: live filter pointer.
        let ptr = unsafe {
            abi::envoy_dynamic_module_callback_get_most_specific_route_config(self.envoy)
        };
        // SAFETY: a non-null result is a pointer we returned from `per_route_config_new`
        // (a `Box<RouteConfig>`), alive while the route config that holds it is; the borrow
        // is tied to `&self`, i.e. to this event.
        (!ptr.is_null()).then(|| unsafe { &*ptr.cast::<RouteConfig>() })
    }

    fn new_scheduler(&mut self) -> Scheduler {
        // SAFETY: live filter pointer; Envoy allocates the scheduler, we delete it on drop.
        let ptr =
            unsafe { abi::envoy_dynamic_module_callback_http_filter_scheduler_new(self.envoy) };
        EnvoyScheduler::wrap(
            ptr,
            abi::envoy_dynamic_module_callback_http_filter_scheduler_commit,
            abi::envoy_dynamic_module_callback_http_filter_scheduler_delete,
        )
        .unwrap_or_else(|| Scheduler::from_fn(|_| {}))
    }

    fn http_callout(&mut self, request: &CalloutRequest<'_>) -> Result<u64, CalloutError> {
        let mut headers = ModuleHeaders::new(request.headers);
        let (headers_ptr, headers_len) = headers.as_raw();
        let timeout_ms = u64::try_from(request.timeout.as_millis()).unwrap_or(u64::MAX);
        let mut callout_id = 0u64;
        // SAFETY: live filter pointer; buffers borrow `request`, which outlives the call.
        let result = unsafe {
            abi::envoy_dynamic_module_callback_http_filter_http_callout(
                self.envoy,
                &raw mut callout_id,
                ModuleBuffer::from_str(request.cluster),
                headers_ptr,
                headers_len,
                ModuleBuffer::from_bytes(request.body),
                timeout_ms,
            )
        };
        match result {
            abi::HttpCalloutInitResult::SUCCESS => Ok(callout_id),
            abi::HttpCalloutInitResult::MISSING_REQUIRED_HEADERS => {
                Err(CalloutError::MissingRequiredHeaders)
            }
            abi::HttpCalloutInitResult::CLUSTER_NOT_FOUND => Err(CalloutError::ClusterNotFound),
            abi::HttpCalloutInitResult::DUPLICATE_CALLOUT_ID => {
                Err(CalloutError::DuplicateCalloutId)
            }
            abi::HttpCalloutInitResult::CANNOT_CREATE_REQUEST => {
                Err(CalloutError::CannotCreateRequest)
            }
            other => Err(CalloutError::Unknown(other.0)),
        }
    }

    fn increment_counter(
        &mut self,
        counter: Counter,
        labels: &[&str],
        value: u64,
    ) -> Result<(), MetricError> {
        counter.check_labels(labels)?;
        let callback = abi::envoy_dynamic_module_callback_http_filter_increment_counter;
        self.record(callback, counter.id(), labels, value)
    }

    fn set_gauge(&mut self, gauge: Gauge, labels: &[&str], value: u64) -> Result<(), MetricError> {
        gauge.check_labels(labels)?;
        let callback = abi::envoy_dynamic_module_callback_http_filter_set_gauge;
        self.record(callback, gauge.id(), labels, value)
    }

    fn increment_gauge(
        &mut self,
        gauge: Gauge,
        labels: &[&str],
        value: u64,
    ) -> Result<(), MetricError> {
        gauge.check_labels(labels)?;
        let callback = abi::envoy_dynamic_module_callback_http_filter_increment_gauge;
        self.record(callback, gauge.id(), labels, value)
    }

    fn decrement_gauge(
        &mut self,
        gauge: Gauge,
        labels: &[&str],
        value: u64,
    ) -> Result<(), MetricError> {
        gauge.check_labels(labels)?;
        let callback = abi::envoy_dynamic_module_callback_http_filter_decrement_gauge;
        self.record(callback, gauge.id(), labels, value)
    }

    fn record_histogram(
        &mut self,
        histogram: Histogram,
        labels: &[&str],
        value: u64,
    ) -> Result<(), MetricError> {
        histogram.check_labels(labels)?;
        let callback = abi::envoy_dynamic_module_callback_http_filter_record_histogram_value;
        self.record(callback, histogram.id(), labels, value)
    }

    fn worker_index(&self) -> u32 {
        // SAFETY: live filter pointer.
        unsafe { abi::envoy_dynamic_module_callback_http_filter_get_worker_index(self.envoy) }
    }

    fn log_enabled(&self, level: LogLevel) -> bool {
        envoy_log_enabled(level)
    }

    #[track_caller]
    fn log(&self, level: LogLevel, message: &str) {
        envoy_emit(level, message, core::panic::Location::caller());
    }
}

/// Calls Envoy's continue callback for `direction`.
///
/// # Safety
/// `envoy` is the filter pointer of the running hook, and no filter borrow is live.
pub(super) unsafe fn continue_now(envoy: abi::HttpFilterEnvoyPtr, direction: Direction) {
    // SAFETY: per the contract.
    unsafe {
        match direction {
            Direction::Request => {
                abi::envoy_dynamic_module_callback_http_filter_continue_decoding(envoy)
            }
            Direction::Response => {
                abi::envoy_dynamic_module_callback_http_filter_continue_encoding(envoy)
            }
        }
    }
}
