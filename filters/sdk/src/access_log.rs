//! The access logger model: factory -> immutable config -> one logger per worker thread, which
//! receives every finished stream through a read-only `AccessLogHost`.

use crate::config::ConfigContext;
use crate::error::{ConfigError, MetricError};
use crate::http::HeaderMap;
use crate::log::LogLevel;
use crate::metrics::{Counter, Gauge, Histogram};
use dynagate_abi::{AccessLogType, AttributeId};
use std::time::{Duration, SystemTime};

/// Turns the JSON of a logger config into a compiled config. Registered by name.
pub trait AccessLoggerFactory: Send + Sync + 'static {
    /// The compiled config.
    type Config: AccessLoggerConfig;

    /// Parses and validates `config`; define metrics through `ctx` (no labels for loggers).
    fn new_config(
        &self,
        config: &str,
        ctx: &mut dyn ConfigContext,
    ) -> Result<Self::Config, ConfigError>;
}

/// A compiled logger config; creates one logger per Envoy thread that logs.
pub trait AccessLoggerConfig: Send + Sync + 'static {
    /// The per-thread logger.
    type Logger: AccessLogger;

    /// Creates the logger of one thread.
    fn new_logger(&self) -> Self::Logger;
}

/// A per-thread access logger. `Send` because Envoy may create it on one thread and use it on
/// another. A panic is caught and logged; the event is lost.
pub trait AccessLogger: Send + 'static {
    /// One log event (`DownstreamEnd` for a finished HTTP stream).
    fn log(&mut self, entry: &dyn AccessLogHost, kind: AccessLogType);

    /// Flushes buffered output (called before the logger is destroyed).
    fn flush(&mut self) {}
}

/// Read access to the logged stream, valid for one `log` call. Implemented over Envoy by the
/// SDK and by `testing::FakeAccessLogHost`.
pub trait AccessLogHost {
    /// Value number `index` of header `name` (request/response headers, response trailers).
    fn header_value(&self, map: HeaderMap, name: &str, index: usize) -> Option<&[u8]>;

    /// Number of values of header `name`.
    fn header_count(&self, map: HeaderMap, name: &str) -> usize;

    /// Every header of `map`, in order.
    fn headers(&self, map: HeaderMap) -> Vec<(&[u8], &[u8])>;

    /// A string attribute (`request.path`, `response.code_details`, `request.id`, ...).
    fn attribute_string(&self, attribute: AttributeId) -> Option<&[u8]>;

    /// An integer attribute (`response.code`, `request.duration`, ...).
    fn attribute_int(&self, attribute: AttributeId) -> Option<u64>;

    /// A bool attribute.
    fn attribute_bool(&self, attribute: AttributeId) -> Option<bool>;

    /// Bitmask of the stream's response flags.
    fn response_flags(&self) -> u64;

    /// The stream's start time and the offsets of its milestones.
    fn timing(&self) -> StreamTiming;

    /// The stream's body byte counts.
    fn bytes(&self) -> StreamBytes;

    /// A string in dynamic metadata at `namespace` / `path` (dotted).
    fn metadata_string(&self, namespace: &str, path: &str) -> Option<&str>;

    /// A number in dynamic metadata at `namespace` / `path`.
    fn metadata_number(&self, namespace: &str, path: &str) -> Option<f64>;

    /// A bool in dynamic metadata at `namespace` / `path`.
    fn metadata_bool(&self, namespace: &str, path: &str) -> Option<bool>;

    /// Serialized filter state under `key`.
    fn filter_state(&self, key: &str) -> Option<&[u8]>;

    /// Body of the local reply, when the response was one.
    fn local_reply_body(&self) -> Option<&[u8]>;

    /// Index of the thread emitting the event.
    fn worker_index(&self) -> u32;

    /// Adds `value` to a logger counter.
    fn increment_counter(&self, counter: Counter, value: u64) -> Result<(), MetricError>;

    /// Sets a logger gauge.
    fn set_gauge(&self, gauge: Gauge, value: u64) -> Result<(), MetricError>;

    /// Records `value` in a logger histogram.
    fn record_histogram(&self, histogram: Histogram, value: u64) -> Result<(), MetricError>;

    /// Whether `level` is enabled (see `envoy_log!`).
    fn log_enabled(&self, level: LogLevel) -> bool;

    /// Writes one line to Envoy's log.
    #[track_caller]
    fn log(&self, level: LogLevel, message: &str);

    /// First value of header `name`.
    fn header(&self, map: HeaderMap, name: &str) -> Option<&[u8]> {
        self.header_value(map, name, 0)
    }

    /// The response status code, when a response was produced.
    fn response_code(&self) -> Option<u16> {
        self.attribute_int(AttributeId::RESPONSE_CODE)
            .and_then(|c| u16::try_from(c).ok())
    }
}

/// A stream's timeline: wall-clock start and offsets from it (monotonic). `None` means the
/// milestone did not happen (e.g. no upstream byte for a local reply).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamTiming {
    /// When the stream started (first request byte).
    pub start: Option<SystemTime>,
    /// Until the stream completed (`%DURATION%`).
    pub request_complete: Option<Duration>,
    /// Until the last request byte arrived from downstream (`%REQUEST_DURATION%`).
    pub last_downstream_rx_byte_received: Option<Duration>,
    /// Until the first response byte arrived from upstream (`%RESPONSE_DURATION%`).
    pub first_upstream_rx_byte_received: Option<Duration>,
    /// Until the last response byte was sent downstream.
    pub last_downstream_tx_byte_sent: Option<Duration>,
}

/// A stream's body byte counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamBytes {
    /// Request body bytes received from downstream.
    pub received: u64,
    /// Response body bytes sent downstream.
    pub sent: u64,
}
