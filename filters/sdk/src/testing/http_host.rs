//! `FakeHttpHost`: an in-memory `HttpHost` that records everything a filter does.

mod setup;

use super::metrics::{FakeMetrics, MetricKind, Update};
use crate::error::{CalloutError, MetricError};
use crate::http::{
    BodyBuffer, CalloutRequest, Direction, HeaderMap, HttpHost, MetadataSource, RouteConfig,
};
use crate::log::LogLevel;
use crate::metrics::{Counter, Gauge, Histogram};
use crate::scheduler::Scheduler;
use dynagate_abi::AttributeId;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A local reply sent with `send_response`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalReply {
    /// HTTP status.
    pub status: u16,
    /// Headers, as given.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Body.
    pub body: Vec<u8>,
    /// Response code details.
    pub details: Option<String>,
}

/// A callout started with `http_callout`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedCallout {
    /// The id handed back to the filter.
    pub id: u64,
    /// Target cluster.
    pub cluster: String,
    /// Request headers.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Request body.
    pub body: Vec<u8>,
    /// Timeout.
    pub timeout: Duration,
}

type MetadataKey = (MetadataSource, String, String);

#[derive(Debug, Clone)]
enum MetadataValue {
    String(String),
    Number(f64),
    Bool(bool),
}

/// An in-memory host. Build it with the `with_*` methods, run a filter against it (directly or
/// through `FakeStream`), then assert on the trait getters and the inspectors below.
#[derive(Debug)]
pub struct FakeHttpHost {
    headers: [Vec<(String, Vec<u8>)>; 4],
    bodies: [Vec<u8>; 4],
    received_is_buffered: [bool; 2],
    buffer_limit: u64,
    local_replies: Vec<LocalReply>,
    resets: Vec<String>,
    continued: [usize; 2],
    metadata: BTreeMap<MetadataKey, MetadataValue>,
    filter_state: BTreeMap<String, Vec<u8>>,
    attributes_string: BTreeMap<u32, Vec<u8>>,
    attributes_int: BTreeMap<u32, u64>,
    attributes_bool: BTreeMap<u32, bool>,
    route_cache_clears: usize,
    route_config: Option<RouteConfig>,
    scheduled: Arc<Mutex<Vec<u64>>>,
    callouts: Vec<RecordedCallout>,
    callout_error: Option<CalloutError>,
    metrics: FakeMetrics,
    worker_index: u32,
    logs: RefCell<Vec<(LogLevel, String)>>,
}

impl Default for FakeHttpHost {
    fn default() -> Self {
        Self {
            headers: Default::default(),
            bodies: Default::default(),
            received_is_buffered: [false; 2],
            buffer_limit: 1 << 20,
            local_replies: Vec::new(),
            resets: Vec::new(),
            continued: [0; 2],
            metadata: BTreeMap::new(),
            filter_state: BTreeMap::new(),
            attributes_string: BTreeMap::new(),
            attributes_int: BTreeMap::new(),
            attributes_bool: BTreeMap::new(),
            route_cache_clears: 0,
            route_config: None,
            scheduled: Arc::default(),
            callouts: Vec::new(),
            callout_error: None,
            metrics: FakeMetrics::default(),
            worker_index: 0,
            logs: RefCell::default(),
        }
    }
}

const fn map_index(map: HeaderMap) -> usize {
    match map {
        HeaderMap::RequestHeaders => 0,
        HeaderMap::RequestTrailers => 1,
        HeaderMap::ResponseHeaders => 2,
        HeaderMap::ResponseTrailers => 3,
    }
}

const fn body_index(body: BodyBuffer) -> usize {
    match body {
        BodyBuffer::ReceivedRequest => 0,
        BodyBuffer::BufferedRequest => 1,
        BodyBuffer::ReceivedResponse => 2,
        BodyBuffer::BufferedResponse => 3,
    }
}

const fn direction_index(direction: Direction) -> usize {
    match direction {
        Direction::Request => 0,
        Direction::Response => 1,
    }
}

impl HttpHost for FakeHttpHost {
    fn header_value(&self, map: HeaderMap, name: &str, index: usize) -> Option<&[u8]> {
        self.headers[map_index(map)]
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .nth(index)
            .map(|(_, value)| value.as_slice())
    }

    fn header_count(&self, map: HeaderMap, name: &str) -> usize {
        self.headers[map_index(map)]
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .count()
    }

    fn headers(&self, map: HeaderMap) -> Vec<(&[u8], &[u8])> {
        self.headers[map_index(map)]
            .iter()
            .map(|(k, v)| (k.as_bytes(), v.as_slice()))
            .collect()
    }

    fn set_header(&mut self, map: HeaderMap, name: &str, value: &[u8]) -> bool {
        let headers = &mut self.headers[map_index(map)];
        match headers
            .iter()
            .position(|(key, _)| key.eq_ignore_ascii_case(name))
        {
            Some(first) => {
                headers[first].1 = value.to_vec();
                let mut index = 0;
                headers.retain(|(key, _)| {
                    index += 1;
                    index - 1 == first || !key.eq_ignore_ascii_case(name)
                });
            }
            None => headers.push((name.to_ascii_lowercase(), value.to_vec())),
        }
        true
    }

    fn add_header(&mut self, map: HeaderMap, name: &str, value: &[u8]) -> bool {
        self.headers[map_index(map)].push((name.to_ascii_lowercase(), value.to_vec()));
        true
    }

    fn remove_header(&mut self, map: HeaderMap, name: &str) -> bool {
        self.headers[map_index(map)].retain(|(key, _)| !key.eq_ignore_ascii_case(name));
        true
    }

    fn body_chunks(&self, body: BodyBuffer) -> Vec<&[u8]> {
        let data = &self.bodies[body_index(body)];
        if data.is_empty() {
            Vec::new()
        } else {
            vec![data.as_slice()]
        }
    }

    fn body_len(&self, body: BodyBuffer) -> usize {
        self.bodies[body_index(body)].len()
    }

    fn drain_body(&mut self, body: BodyBuffer, bytes: usize) -> bool {
        let data = &mut self.bodies[body_index(body)];
        data.drain(..bytes.min(data.len()));
        true
    }

    fn append_body(&mut self, body: BodyBuffer, data: &[u8]) -> bool {
        self.bodies[body_index(body)].extend_from_slice(data);
        true
    }

    fn received_is_buffered(&self, direction: Direction) -> bool {
        self.received_is_buffered[direction_index(direction)]
    }

    fn buffer_limit(&self) -> u64 {
        self.buffer_limit
    }

    fn set_buffer_limit(&mut self, limit: u64) {
        self.buffer_limit = limit;
    }

    fn send_response(
        &mut self,
        status: u16,
        headers: &[(&str, &[u8])],
        body: &[u8],
        details: Option<&str>,
    ) {
        self.local_replies.push(LocalReply {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.to_vec()))
                .collect(),
            body: body.to_vec(),
            details: details.map(str::to_owned),
        });
    }

    fn sent_local_reply(&self) -> bool {
        !self.local_replies.is_empty()
    }

    fn continue_request(&mut self) {
        self.continued[0] += 1;
    }

    fn continue_response(&mut self) {
        self.continued[1] += 1;
    }

    fn reset_stream(&mut self, details: &str) {
        self.resets.push(details.to_owned());
    }

    fn set_metadata_string(&mut self, namespace: &str, key: &str, value: &str) {
        let entry = MetadataValue::String(value.to_owned());
        self.metadata.insert(
            (
                MetadataSource::Dynamic,
                namespace.to_owned(),
                key.to_owned(),
            ),
            entry,
        );
    }

    fn set_metadata_number(&mut self, namespace: &str, key: &str, value: f64) {
        let entry = MetadataValue::Number(value);
        self.metadata.insert(
            (
                MetadataSource::Dynamic,
                namespace.to_owned(),
                key.to_owned(),
            ),
            entry,
        );
    }

    fn set_metadata_bool(&mut self, namespace: &str, key: &str, value: bool) {
        let entry = MetadataValue::Bool(value);
        self.metadata.insert(
            (
                MetadataSource::Dynamic,
                namespace.to_owned(),
                key.to_owned(),
            ),
            entry,
        );
    }

    fn metadata_string(&self, source: MetadataSource, namespace: &str, key: &str) -> Option<&str> {
        match self
            .metadata
            .get(&(source, namespace.to_owned(), key.to_owned()))?
        {
            MetadataValue::String(value) => Some(value),
            _ => None,
        }
    }

    fn metadata_number(&self, source: MetadataSource, namespace: &str, key: &str) -> Option<f64> {
        match self
            .metadata
            .get(&(source, namespace.to_owned(), key.to_owned()))?
        {
            MetadataValue::Number(value) => Some(*value),
            _ => None,
        }
    }

    fn metadata_bool(&self, source: MetadataSource, namespace: &str, key: &str) -> Option<bool> {
        match self
            .metadata
            .get(&(source, namespace.to_owned(), key.to_owned()))?
        {
            MetadataValue::Bool(value) => Some(*value),
            _ => None,
        }
    }

    fn set_filter_state(&mut self, key: &str, value: &[u8]) -> bool {
        self.filter_state.insert(key.to_owned(), value.to_vec());
        true
    }

    fn filter_state(&self, key: &str) -> Option<&[u8]> {
        self.filter_state.get(key).map(Vec::as_slice)
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

    fn clear_route_cache(&mut self) {
        self.route_cache_clears += 1;
    }

    fn route_config_any(&self) -> Option<&RouteConfig> {
        self.route_config.as_ref()
    }

    fn new_scheduler(&mut self) -> Scheduler {
        let sink = Arc::clone(&self.scheduled);
        Scheduler::from_fn(move |id| {
            if let Ok(mut ids) = sink.lock() {
                ids.push(id);
            }
        })
    }

    fn http_callout(&mut self, request: &CalloutRequest<'_>) -> Result<u64, CalloutError> {
        if let Some(error) = &self.callout_error {
            return Err(error.clone());
        }
        let id = self.callouts.len() as u64 + 1;
        self.callouts.push(RecordedCallout {
            id,
            cluster: request.cluster.to_owned(),
            headers: request
                .headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.to_vec()))
                .collect(),
            body: request.body.to_vec(),
            timeout: request.timeout,
        });
        Ok(id)
    }

    fn increment_counter(
        &mut self,
        counter: Counter,
        labels: &[&str],
        value: u64,
    ) -> Result<(), MetricError> {
        counter.check_labels(labels)?;
        self.metric(
            MetricKind::Counter,
            counter.id(),
            labels,
            Update::Add(value),
        )
    }

    fn set_gauge(&mut self, gauge: Gauge, labels: &[&str], value: u64) -> Result<(), MetricError> {
        gauge.check_labels(labels)?;
        self.metric(MetricKind::Gauge, gauge.id(), labels, Update::Set(value))
    }

    fn increment_gauge(
        &mut self,
        gauge: Gauge,
        labels: &[&str],
        value: u64,
    ) -> Result<(), MetricError> {
        gauge.check_labels(labels)?;
        self.metric(MetricKind::Gauge, gauge.id(), labels, Update::Add(value))
    }

    fn decrement_gauge(
        &mut self,
        gauge: Gauge,
        labels: &[&str],
        value: u64,
    ) -> Result<(), MetricError> {
        gauge.check_labels(labels)?;
        self.metric(MetricKind::Gauge, gauge.id(), labels, Update::Sub(value))
    }

    fn record_histogram(
        &mut self,
        histogram: Histogram,
        labels: &[&str],
        value: u64,
    ) -> Result<(), MetricError> {
        histogram.check_labels(labels)?;
        self.metric(
            MetricKind::Histogram,
            histogram.id(),
            labels,
            Update::Record(value),
        )
    }

    fn worker_index(&self) -> u32 {
        self.worker_index
    }

    fn log_enabled(&self, _level: LogLevel) -> bool {
        true
    }

    fn log(&self, level: LogLevel, message: &str) {
        self.logs.borrow_mut().push((level, message.to_owned()));
    }
}
