//! Building a `FakeHttpHost` (`with_*`) and inspecting what the filter did.

use super::{
    FakeHttpHost, LocalReply, MetadataValue, RecordedCallout, body_index, direction_index,
    map_index,
};
use crate::error::{CalloutError, MetricError};
use crate::http::{BodyBuffer, Direction, HeaderMap, HttpHost, MetadataSource, RouteConfig};
use crate::log::LogLevel;
use crate::testing::config_context::FakeConfigContext;
use crate::testing::metrics::{MetricKind, Update};
use dynagate_abi::AttributeId;

impl FakeHttpHost {
    /// An empty host (no headers, 1 MiB buffer limit, worker 0).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a header value to `map`.
    #[must_use]
    pub fn with_header(mut self, map: HeaderMap, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.add_header(map, name, value.as_ref());
        self
    }

    /// Adds a request header.
    #[must_use]
    pub fn with_request_header(self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.with_header(HeaderMap::RequestHeaders, name, value)
    }

    /// Adds a response header.
    #[must_use]
    pub fn with_response_header(self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.with_header(HeaderMap::ResponseHeaders, name, value)
    }

    /// Sets the bytes of a body buffer.
    #[must_use]
    pub fn with_body(mut self, body: BodyBuffer, data: impl AsRef<[u8]>) -> Self {
        self.bodies[body_index(body)] = data.as_ref().to_vec();
        self
    }

    /// Makes the received body of `direction` report that it *is* the buffered one.
    #[must_use]
    pub fn with_received_is_buffered(mut self, direction: Direction) -> Self {
        self.received_is_buffered[direction_index(direction)] = true;
        self
    }

    /// Sets the per-route config the filter will find.
    #[must_use]
    pub fn with_route_config(mut self, config: RouteConfig) -> Self {
        self.route_config = Some(config);
        self
    }

    /// Adopts the metrics defined through `ctx`, so the filter's handles resolve.
    #[must_use]
    pub fn with_metrics(mut self, ctx: &FakeConfigContext) -> Self {
        self.metrics = ctx.metrics.clone();
        self
    }

    /// Sets a string in metadata of `source`.
    #[must_use]
    pub fn with_metadata_string(
        mut self,
        source: MetadataSource,
        ns: &str,
        key: &str,
        value: &str,
    ) -> Self {
        let entry = MetadataValue::String(value.to_owned());
        self.metadata
            .insert((source, ns.to_owned(), key.to_owned()), entry);
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

    /// Sets an integer attribute.
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

    /// Sets the worker index.
    #[must_use]
    pub fn with_worker_index(mut self, index: u32) -> Self {
        self.worker_index = index;
        self
    }

    /// Makes every `http_callout` fail with `error`.
    #[must_use]
    pub fn with_failing_callouts(mut self, error: CalloutError) -> Self {
        self.callout_error = Some(error);
        self
    }

    /// Local replies sent, in order.
    pub fn local_replies(&self) -> &[LocalReply] {
        &self.local_replies
    }

    /// Details of every `reset_stream`, in order.
    pub fn resets(&self) -> &[String] {
        &self.resets
    }

    /// How often `continue_request` / `continue_response` were called.
    pub fn continued(&self, direction: Direction) -> usize {
        self.continued[direction_index(direction)]
    }

    /// How often the route cache was cleared.
    pub fn route_cache_clears(&self) -> usize {
        self.route_cache_clears
    }

    /// Callouts started, in order.
    pub fn callouts(&self) -> &[RecordedCallout] {
        &self.callouts
    }

    /// Takes the event ids committed on schedulers from `new_scheduler`.
    pub fn take_scheduled(&self) -> Vec<u64> {
        self.scheduled
            .lock()
            .map(|mut ids| core::mem::take(&mut *ids))
            .unwrap_or_default()
    }

    /// Log lines, in order.
    pub fn logs(&self) -> Vec<(LogLevel, String)> {
        self.logs.borrow().clone()
    }

    /// Current value of counter `name` with `labels` (0 if never incremented).
    pub fn counter(&self, name: &str, labels: &[&str]) -> u64 {
        u64::try_from(self.metrics.value(MetricKind::Counter, name, labels)).unwrap_or(0)
    }

    /// Current value of gauge `name` with `labels`.
    pub fn gauge(&self, name: &str, labels: &[&str]) -> i64 {
        self.metrics.value(MetricKind::Gauge, name, labels)
    }

    /// Samples recorded in histogram `name` with `labels`.
    pub fn histogram(&self, name: &str, labels: &[&str]) -> Vec<u64> {
        self.metrics.samples(name, labels)
    }

    /// Replaces a whole header map (used by `FakeStream`).
    pub(crate) fn replace_headers(&mut self, map: HeaderMap, headers: Vec<(String, Vec<u8>)>) {
        self.headers[map_index(map)] = headers;
    }

    /// The header map as owned pairs (used by `FakeStream`).
    pub(crate) fn header_map(&self, map: HeaderMap) -> Vec<(String, Vec<u8>)> {
        self.headers[map_index(map)].clone()
    }

    /// Mutable access to a body buffer (used by `FakeStream`).
    pub(crate) fn body_mut(&mut self, body: BodyBuffer) -> &mut Vec<u8> {
        &mut self.bodies[body_index(body)]
    }

    pub(super) fn metric(
        &mut self,
        kind: MetricKind,
        id: usize,
        labels: &[&str],
        update: Update,
    ) -> Result<(), MetricError> {
        self.metrics.update(kind, id, labels, update)
    }
}
