//! Access logger with Envoy's format language, filters and a non-blocking file sink.
//!
//! Two layers:
//! * a host-agnostic core: [`LineFormat`] (Envoy's command operators, text and JSON formats,
//!   compiled once), [`LogFilter`] (kgateway's access log filters), [`FileSink`] (bounded queue,
//!   writer thread, reopen on `SIGHUP`), all driven by the [`LogEntry`] trait so they are
//!   unit-tested with [`RecordedEntry`];
//! * the Envoy wiring ([`AccessLogFactory`]): the SDK's access-logger traits, reading each
//!   request through the SDK's `AccessLogHost`.
//!
//! The config is `dynagate_config::access_log::AccessLog` (one kgateway `accessLog[]` entry);
//! [`CompiledAccessLog`] validates it, so the controller can reject what Envoy would.

mod config;
mod entry;
mod filter;
mod flags;
mod format;
#[cfg(feature = "logger")]
mod logger;
mod sink;

pub use config::{CompiledAccessLog, ConfigError};
pub use entry::{
    ByteCounts, HeaderSource, LogEntry, MetadataValue, RecordedEntry, RecordedMetadata,
    ResponseFlags, SocketAddress, Timing, TraceReason,
};
pub use filter::{FilterError, LogFilter};
pub use flags::{RESPONSE_FLAGS, ResponseFlag};
pub use format::{ENVOY_DEFAULT_FORMAT, FormatContext, FormatError, LineFormat};
#[cfg(feature = "logger")]
pub use logger::{AccessLogConfig, AccessLogFactory, AccessLogWorker, HostEntry, LOGGER_NAME};
pub use sink::{Destination, FileSink, SinkOptions, SinkRegistry, SinkStats};
