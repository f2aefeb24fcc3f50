//! `FakeAccessLogHost`: a canned log event for access logger unit tests.

use super::config_context::FakeConfigContext;
use super::metrics::{FakeMetrics, MetricKind, Update};
use crate::access_log::{AccessLogHost, StreamBytes, StreamTiming};
use crate::error::MetricError;
use crate::http::HeaderMap;
use crate::log::LogLevel;
use crate::metrics::{Counter, Gauge, Histogram};
use dynagate_abi::AttributeId;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// The stream an access logger sees, built with the `with_*` methods.
#[derive(Debug, Default)]
pub struct FakeAccessLogHost {
    headers: BTreeMap<u8, Vec<(String, Vec<u8>)>>,
    attributes_string: BTreeMap<u32, Vec<u8>>,
    attributes_int: BTreeMap<u32, u64>,
    attributes_bool: BTreeMap<u32, bool>,
    response_flags: u64,
    timing: StreamTiming,
    bytes: StreamBytes,
    metadata_string: BTreeMap<(String, String), String>,
    metadata_number: BTreeMap<(String, String), f64>,
    filter_state: BTreeMap<String, Vec<u8>>,
    local_reply_body: Option<Vec<u8>>,
    worker_index: u32,
    metrics: RefCell<FakeMetrics>,
    logs: RefCell<Vec<(LogLevel, String)>>,
}

const fn map_key(map: HeaderMap) -> u8 {
    match map {
        HeaderMap::RequestHeaders => 0,
        HeaderMap::RequestTrailers => 1,
        HeaderMap::ResponseHeaders => 2,
        HeaderMap::ResponseTrailers => 3,
    }
}

impl FakeAccessLogHost {
    /// An event with nothing set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a header value.
    #[must_use]
    pub fn with_header(mut self, map: HeaderMap, name: &str, value: impl AsRef<[u8]>) -> Self {
        let entry = (name.to_ascii_lowercase(), value.as_ref().to_vec());
        self.headers.entry(map_key(map)).or_default().push(entry);
        self
    }

    /// Sets a string attribute.
    #[must_use]
    pub fn with_attribute_string(
        mut self,
        attribute: AttributeId,
        value: impl AsRef<[u8]>,
    ) -> Self {
        self.attributes_string
            .insert(attribute.0, value.as_ref().to_vec());
        self
    }

    /// Sets an integer attribute (e.g. `AttributeId::RESPONSE_CODE`).
    #[must_use]
    pub fn with_attribute_int(mut self, attribute: AttributeId, value: u64) -> Self {
        self.attributes_int.insert(attribute.0, value);
        self
    }

    /// Sets a bool attribute.
    #[must_use]
    pub fn with_attribute_bool(mut self, attribute: AttributeId, value: bool) -> Self {
        self.attributes_bool.insert(attribute.0, value);
        self
    }

    /// Sets the response flags bitmask.
    #[must_use]
    pub fn with_response_flags(mut self, flags: u64) -> Self {
        self.response_flags = flags;
        self
    }

    /// Sets the stream's timeline.
    #[must_use]
    pub fn with_timing(mut self, timing: StreamTiming) -> Self {
        self.timing = timing;
        self
    }

    /// Sets the stream's body byte counts.
    #[must_use]
    pub fn with_bytes(mut self, bytes: StreamBytes) -> Self {
        self.bytes = bytes;
        self
    }

    /// Sets a string in dynamic metadata.
    #[must_use]
    pub fn with_metadata_string(mut self, namespace: &str, path: &str, value: &str) -> Self {
        self.metadata_string
            .insert((namespace.to_owned(), path.to_owned()), value.to_owned());
        self
    }

    /// Sets a number in dynamic metadata.
    #[must_use]
    pub fn with_metadata_number(mut self, namespace: &str, path: &str, value: f64) -> Self {
        self.metadata_number
            .insert((namespace.to_owned(), path.to_owned()), value);
        self
    }

    /// Sets a filter state value.
    #[must_use]
    pub fn with_filter_state(mut self, key: &str, value: impl AsRef<[u8]>) -> Self {
        self.filter_state
            .insert(key.to_owned(), value.as_ref().to_vec());
        self
    }

    /// Marks the response as a local reply with `body`.
    #[must_use]
    pub fn with_local_reply_body(mut self, body: impl AsRef<[u8]>) -> Self {
        self.local_reply_body = Some(body.as_ref().to_vec());
        self
    }

    /// Sets the worker index.
    #[must_use]
    pub fn with_worker_index(mut self, index: u32) -> Self {
        self.worker_index = index;
        self
    }

    /// Adopts the metrics defined through `ctx`.
    #[must_use]
    pub fn with_metrics(self, ctx: &FakeConfigContext) -> Self {
        *self.metrics.borrow_mut() = ctx.metrics.clone();
        self
    }

    /// Current value of counter `name`.
    pub fn counter(&self, name: &str) -> u64 {
        u64::try_from(self.metrics.borrow().value(MetricKind::Counter, name, &[])).unwrap_or(0)
    }

    /// Current value of gauge `name`.
    pub fn gauge(&self, name: &str) -> i64 {
        self.metrics.borrow().value(MetricKind::Gauge, name, &[])
    }

    /// Samples of histogram `name`.
    pub fn histogram(&self, name: &str) -> Vec<u64> {
        self.metrics.borrow().samples(name, &[])
    }

    /// Log lines, in order.
    pub fn logs(&self) -> Vec<(LogLevel, String)> {
        self.logs.borrow().clone()
    }

    fn map(&self, map: HeaderMap) -> &[(String, Vec<u8>)] {
        self.headers.get(&map_key(map)).map_or(&[], Vec::as_slice)
    }
}

impl AccessLogHost for FakeAccessLogHost {
    fn header_value(&self, map: HeaderMap, name: &str, index: usize) -> Option<&[u8]> {
        self.map(map)
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .nth(index)
            .map(|(_, value)| value.as_slice())
    }

    fn header_count(&self, map: HeaderMap, name: &str) -> usize {
        self.map(map)
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .count()
    }

    fn headers(&self, map: HeaderMap) -> Vec<(&[u8], &[u8])> {
        self.map(map)
            .iter()
            .map(|(k, v)| (k.as_bytes(), v.as_slice()))
            .collect()
    }

    fn attribute_string(&self, attribute: AttributeId) -> Option<&[u8]> {
        self.attributes_string.get(&attribute.0).map(Vec::as_slice)
    }

    fn attribute_int(&self, attribute: AttributeId) -> Option<u64> {
        self.attributes_int.get(&attribute.0).copied()
    }

    fn attribute_bool(&self, attribute: AttributeId) -> Option<bool> {
        self.attributes_bool.get(&attribute.0).copied()
    }

    fn response_flags(&self) -> u64 {
        self.response_flags
    }

    fn timing(&self) -> StreamTiming {
        self.timing
    }

    fn bytes(&self) -> StreamBytes {
        self.bytes
    }

    fn metadata_string(&self, namespace: &str, path: &str) -> Option<&str> {
        self.metadata_string
            .get(&(namespace.to_owned(), path.to_owned()))
            .map(String::as_str)
    }

    fn metadata_number(&self, namespace: &str, path: &str) -> Option<f64> {
        self.metadata_number
            .get(&(namespace.to_owned(), path.to_owned()))
            .copied()
    }

    fn metadata_bool(&self, _namespace: &str, _path: &str) -> Option<bool> {
        None
    }

    fn filter_state(&self, key: &str) -> Option<&[u8]> {
        self.filter_state.get(key).map(Vec::as_slice)
    }

    fn local_reply_body(&self) -> Option<&[u8]> {
        self.local_reply_body.as_deref()
    }

    fn worker_index(&self) -> u32 {
        self.worker_index
    }

    fn increment_counter(&self, counter: Counter, value: u64) -> Result<(), MetricError> {
        self.metrics
            .borrow_mut()
            .update(MetricKind::Counter, counter.id(), &[], Update::Add(value))
    }

    fn set_gauge(&self, gauge: Gauge, value: u64) -> Result<(), MetricError> {
        self.metrics
            .borrow_mut()
            .update(MetricKind::Gauge, gauge.id(), &[], Update::Set(value))
    }

    fn record_histogram(&self, histogram: Histogram, value: u64) -> Result<(), MetricError> {
        let update = Update::Record(value);
        self.metrics
            .borrow_mut()
            .update(MetricKind::Histogram, histogram.id(), &[], update)
    }

    fn log_enabled(&self, _level: LogLevel) -> bool {
        true
    }

    fn log(&self, level: LogLevel, message: &str) {
        self.logs.borrow_mut().push((level, message.to_owned()));
    }
}
