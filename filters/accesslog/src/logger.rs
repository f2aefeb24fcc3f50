//! The Envoy wiring: the SDK's access-logger traits over the core. One compiled config per
//! `logger_config`, one worker per Envoy thread; workers format into a fresh line buffer and hand
//! it to the shared sink, never waiting.

mod host_entry;

use crate::config::CompiledAccessLog;
use crate::format::FormatContext;
use crate::sink::{FileSink, SinkOptions, SinkRegistry};
use dynagate_sdk::{
    AccessLogHost, AccessLogType, AccessLogger, AccessLoggerConfig, AccessLoggerFactory,
    ConfigContext, ConfigError, Counter,
};
use std::sync::Arc;

pub use host_entry::HostEntry;

/// The `logger_name` this logger is registered under in `libdynagate.so`.
pub const LOGGER_NAME: &str = "access_log";

/// Counter of lines dropped because the sink's queue was full.
const DROPPED_LINES: &str = "dynagate.access_log.dropped_lines";

/// Parses and compiles `logger_config`; registered as [`LOGGER_NAME`].
#[derive(Clone, Debug, Default)]
pub struct AccessLogFactory {
    sink_options: SinkOptions,
}

impl AccessLogFactory {
    /// A factory whose sinks use `options` (the default factory uses `SinkOptions::default()`).
    pub fn with_sink_options(sink_options: SinkOptions) -> Self {
        Self { sink_options }
    }
}

impl AccessLoggerFactory for AccessLogFactory {
    type Config = AccessLogConfig;

    fn new_config(
        &self,
        config: &str,
        ctx: &mut dyn ConfigContext,
    ) -> Result<AccessLogConfig, ConfigError> {
        let compiled = CompiledAccessLog::from_json(config, &FormatContext::from_system())
            .map_err(|error| ConfigError::invalid(error.to_string()))?;
        let dropped = ctx.define_counter(DROPPED_LINES, &[])?;
        // `--mode validate` checks the config without creating the log file.
        let sink = if ctx.is_validation_mode() {
            None
        } else {
            let sink = SinkRegistry::global()
                .get_or_open(&compiled.path, &self.sink_options)
                .map_err(|error| {
                    ConfigError::invalid(format!(
                        "cannot open access log {}: {error}",
                        compiled.path.display()
                    ))
                })?;
            Some(sink)
        };
        Ok(AccessLogConfig {
            shared: Arc::new(Shared {
                compiled,
                sink,
                dropped,
            }),
        })
    }
}

#[derive(Debug)]
struct Shared {
    compiled: CompiledAccessLog,
    sink: Option<Arc<FileSink>>,
    dropped: Counter,
}

/// A compiled logger config: format, filter and the sink shared by every worker.
#[derive(Clone, Debug)]
pub struct AccessLogConfig {
    shared: Arc<Shared>,
}

impl AccessLogConfig {
    /// The sink (absent in validation mode).
    pub fn sink(&self) -> Option<&Arc<FileSink>> {
        self.shared.sink.as_ref()
    }
}

impl AccessLoggerConfig for AccessLogConfig {
    type Logger = AccessLogWorker;

    fn new_logger(&self) -> AccessLogWorker {
        AccessLogWorker {
            shared: Arc::clone(&self.shared),
            line_capacity: 256,
        }
    }
}

/// The logger of one Envoy worker thread.
#[derive(Debug)]
pub struct AccessLogWorker {
    shared: Arc<Shared>,
    /// The longest line so far, so a line's buffer is allocated once at the right size.
    line_capacity: usize,
}

impl AccessLogger for AccessLogWorker {
    fn log(&mut self, host: &dyn AccessLogHost, _kind: AccessLogType) {
        // Envoy's file logger logs every event it is handed (end of stream, and the periodic or
        // new-request flushes when the HCM enables them); so does this one.
        let Some(sink) = &self.shared.sink else {
            return;
        };
        let entry = HostEntry::new(host);
        let compiled = &self.shared.compiled;
        if compiled
            .filter
            .as_ref()
            .is_some_and(|filter| !filter.accepts(&entry))
        {
            return;
        }
        let mut line = Vec::with_capacity(self.line_capacity);
        compiled.format.write(&entry, &mut line);
        self.line_capacity = self.line_capacity.max(line.len()).min(64 * 1024);
        if !sink.submit(line) {
            // A full queue means the disk is slower than the traffic: drop, count, move on.
            let _ = host.increment_counter(self.shared.dropped, 1);
        }
    }

    fn flush(&mut self) {
        if let Some(sink) = &self.shared.sink {
            sink.request_flush();
        }
    }
}

#[cfg(test)]
mod tests;
