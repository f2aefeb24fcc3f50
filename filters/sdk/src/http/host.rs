//! `HttpHost`: everything a filter can ask of Envoy during one event, behind a mockable trait.

use super::callout::CalloutRequest;
use super::filter::RouteConfig;
use super::types::{BodyBuffer, Direction, HeaderMap, MetadataSource};
use crate::error::{CalloutError, MetricError};
use crate::log::LogLevel;
use crate::metrics::{Counter, Gauge, Histogram};
use crate::scheduler::Scheduler;
use core::any::Any;
use dynagate_abi::AttributeId;

/// The host side of an HTTP stream, valid for one event. Implemented over Envoy by the SDK and
/// by `testing::FakeHttpHost`.
///
/// Borrowed data (`&[u8]` from getters) is tied to `&self`: it cannot be held across a mutating
/// call (which may invalidate Envoy's storage) or beyond the event.
pub trait HttpHost {
    // ----- headers and trailers ------------------------------------------------------------

    /// Value number `index` of header `name` (lowercase; pseudo-headers like `:path` too).
    fn header_value(&self, map: HeaderMap, name: &str, index: usize) -> Option<&[u8]>;

    /// Number of values of header `name`.
    fn header_count(&self, map: HeaderMap, name: &str) -> usize;

    /// Every header of `map`, in order (one entry per value).
    fn headers(&self, map: HeaderMap) -> Vec<(&[u8], &[u8])>;

    /// Replaces all values of `name` with `value` (creates the header if absent).
    fn set_header(&mut self, map: HeaderMap, name: &str, value: &[u8]) -> bool;

    /// Adds a value to `name`, keeping existing values.
    fn add_header(&mut self, map: HeaderMap, name: &str, value: &[u8]) -> bool;

    /// Removes every value of `name`.
    fn remove_header(&mut self, map: HeaderMap, name: &str) -> bool;

    /// First value of header `name`.
    fn header(&self, map: HeaderMap, name: &str) -> Option<&[u8]> {
        self.header_value(map, name, 0)
    }

    /// First value of header `name`, if it is UTF-8.
    fn header_str(&self, map: HeaderMap, name: &str) -> Option<&str> {
        self.header(map, name)
            .and_then(|v| core::str::from_utf8(v).ok())
    }

    /// Every value of header `name`.
    fn header_values(&self, map: HeaderMap, name: &str) -> Vec<&[u8]> {
        (0..self.header_count(map, name))
            .filter_map(|i| self.header_value(map, name, i))
            .collect()
    }

    /// First value of request header `name`.
    fn request_header(&self, name: &str) -> Option<&[u8]> {
        self.header(HeaderMap::RequestHeaders, name)
    }

    /// First value of response header `name`.
    fn response_header(&self, name: &str) -> Option<&[u8]> {
        self.header(HeaderMap::ResponseHeaders, name)
    }

    // ----- bodies --------------------------------------------------------------------------

    /// The slices of a body buffer (empty when unavailable).
    fn body_chunks(&self, body: BodyBuffer) -> Vec<&[u8]>;

    /// Bytes in a body buffer.
    fn body_len(&self, body: BodyBuffer) -> usize;

    /// Drops `bytes` from the front of a body buffer; false when it is unavailable.
    fn drain_body(&mut self, body: BodyBuffer, bytes: usize) -> bool;

    /// Appends `data` to a body buffer; false when it is unavailable.
    fn append_body(&mut self, body: BodyBuffer, data: &[u8]) -> bool;

    /// Whether the received body of `direction` *is* the buffered one (an earlier filter
    /// buffered the whole body and resumed), so the two must not be added up.
    fn received_is_buffered(&self, direction: Direction) -> bool;

    /// A copy of a body buffer.
    fn read_body(&self, body: BodyBuffer) -> Vec<u8> {
        self.body_chunks(body).concat()
    }

    /// The whole body seen so far in `direction`: buffered data followed by the current
    /// received chunk. Call it at `end_of_stream` after buffering with
    /// `BodyStatus::StopIterationAndBuffer`.
    fn whole_body(&self, direction: Direction) -> Vec<u8> {
        let mut body = self.read_body(BodyBuffer::buffered(direction));
        if !self.received_is_buffered(direction) {
            for chunk in self.body_chunks(BodyBuffer::received(direction)) {
                body.extend_from_slice(chunk);
            }
        }
        body
    }

    /// Replaces the whole body of `direction` (buffered and received) with `data`. Inside a
    /// body hook the new data goes into the received buffer, which Envoy passes on with
    /// whatever stays buffered; fix `content-length` yourself if the headers were held.
    fn replace_whole_body(&mut self, direction: Direction, data: &[u8]) -> bool {
        let buffered = BodyBuffer::buffered(direction);
        let received = BodyBuffer::received(direction);
        let same = self.received_is_buffered(direction);
        let buffered_len = self.body_len(buffered);
        if buffered_len > 0 {
            self.drain_body(buffered, buffered_len);
        }
        if !same {
            let received_len = self.body_len(received);
            if received_len > 0 {
                self.drain_body(received, received_len);
            }
        }
        self.append_body(received, data) || self.append_body(buffered, data)
    }

    /// Current per-stream buffer limit in bytes (0 = none).
    fn buffer_limit(&self) -> u64;

    /// Raises (or lowers) the per-stream buffer limit.
    fn set_buffer_limit(&mut self, limit: u64);

    // ----- local replies and stream control --------------------------------------------------

    /// Answers the request locally with `status`, `headers`, `body`; `details` appears as the
    /// response code details in access logs. Return a `Stop*` status from the current hook.
    fn send_response(
        &mut self,
        status: u16,
        headers: &[(&str, &[u8])],
        body: &[u8],
        details: Option<&str>,
    );

    /// Whether this filter already sent a local reply on this stream.
    fn sent_local_reply(&self) -> bool;

    /// Resumes a request held by a `Stop*` status (e.g. after a callout).
    fn continue_request(&mut self);

    /// Resumes a response held by a `Stop*` status.
    fn continue_response(&mut self);

    /// Resets the downstream stream (no response is sent).
    fn reset_stream(&mut self, details: &str);

    // ----- metadata, filter state, attributes ------------------------------------------------

    /// Sets dynamic metadata `namespace.key` to a string.
    fn set_metadata_string(&mut self, namespace: &str, key: &str, value: &str);

    /// Sets dynamic metadata `namespace.key` to a number.
    fn set_metadata_number(&mut self, namespace: &str, key: &str, value: f64);

    /// Sets dynamic metadata `namespace.key` to a bool.
    fn set_metadata_bool(&mut self, namespace: &str, key: &str, value: bool);

    /// A string from metadata of `source`.
    fn metadata_string(&self, source: MetadataSource, namespace: &str, key: &str) -> Option<&str>;

    /// A number from metadata of `source`.
    fn metadata_number(&self, source: MetadataSource, namespace: &str, key: &str) -> Option<f64>;

    /// A bool from metadata of `source`.
    fn metadata_bool(&self, source: MetadataSource, namespace: &str, key: &str) -> Option<bool>;

    /// Stores bytes in the stream's filter state; false if the key is read-only.
    fn set_filter_state(&mut self, key: &str, value: &[u8]) -> bool;

    /// Bytes stored in the stream's filter state.
    fn filter_state(&self, key: &str) -> Option<&[u8]>;

    /// A string attribute (`request.path`, `source.address`, ...).
    fn attribute_string(&self, attribute: AttributeId) -> Option<&[u8]>;

    /// An integer attribute (`response.code`, `source.port`, ...).
    fn attribute_int(&self, attribute: AttributeId) -> Option<u64>;

    /// A bool attribute (`connection.mtls`, ...).
    fn attribute_bool(&self, attribute: AttributeId) -> Option<bool>;

    // ----- routing ---------------------------------------------------------------------------

    /// Makes Envoy pick the route again (after changing headers routing depends on).
    fn clear_route_cache(&mut self);

    /// This filter's most specific per-route config for the current route, type-erased. Use
    /// `host.route_config::<T>()` instead.
    fn route_config_any(&self) -> Option<&RouteConfig>;

    // ----- async work ------------------------------------------------------------------------

    /// A scheduler posting `on_scheduled` events to this stream's worker.
    fn new_scheduler(&mut self) -> Scheduler;

    /// Starts a callout; the answer arrives in `on_http_callout_done` with the returned id.
    fn http_callout(&mut self, request: &CalloutRequest<'_>) -> Result<u64, CalloutError>;

    // ----- metrics ---------------------------------------------------------------------------

    /// Adds `value` to a counter (one label value per label name).
    fn increment_counter(
        &mut self,
        counter: Counter,
        labels: &[&str],
        value: u64,
    ) -> Result<(), MetricError>;

    /// Sets a gauge.
    fn set_gauge(&mut self, gauge: Gauge, labels: &[&str], value: u64) -> Result<(), MetricError>;

    /// Adds `value` to a gauge.
    fn increment_gauge(
        &mut self,
        gauge: Gauge,
        labels: &[&str],
        value: u64,
    ) -> Result<(), MetricError>;

    /// Subtracts `value` from a gauge.
    fn decrement_gauge(
        &mut self,
        gauge: Gauge,
        labels: &[&str],
        value: u64,
    ) -> Result<(), MetricError>;

    /// Records `value` in a histogram.
    fn record_histogram(
        &mut self,
        histogram: Histogram,
        labels: &[&str],
        value: u64,
    ) -> Result<(), MetricError>;

    // ----- misc ------------------------------------------------------------------------------

    /// Index of the worker thread running this stream.
    fn worker_index(&self) -> u32;

    /// Whether `level` is enabled (see `envoy_log!`).
    fn log_enabled(&self, level: LogLevel) -> bool;

    /// Writes one line to Envoy's log.
    #[track_caller]
    fn log(&self, level: LogLevel, message: &str);
}

impl dyn HttpHost + '_ {
    /// This filter's per-route config for the current route, if there is one of type `T`.
    pub fn route_config<T: Any>(&self) -> Option<&T> {
        self.route_config_any()?.downcast_ref::<T>()
    }
}
