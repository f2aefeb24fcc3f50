//! The `probe_log` access logger: one JSON line per log event, appended to a file.
//!
//! Config: `{"path": "/abs/file.log", "metadata_namespace": "probe"}` (namespace optional).
//! Each line holds the event kind, method, path, response code, the probe filter's filter-state
//! value and metadata (when present), and the worker index.

use crate::filter::FILTER_STATE_KEY;
use dynagate_sdk::{
    AccessLogHost, AccessLogType, AccessLogger, AccessLoggerConfig, AccessLoggerFactory,
    AttributeId, ConfigContext, ConfigError, Counter, HeaderMap, LogLevel, envoy_log, parse_json,
};
use serde::Deserialize;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProbeLogSettings {
    path: String,
    #[serde(default)]
    metadata_namespace: Option<String>,
}

/// Parses `probe_log` configs.
#[derive(Debug, Clone, Copy)]
pub struct ProbeLogFactory;

impl AccessLoggerFactory for ProbeLogFactory {
    type Config = ProbeLogConfig;

    fn new_config(
        &self,
        config: &str,
        ctx: &mut dyn ConfigContext,
    ) -> Result<ProbeLogConfig, ConfigError> {
        let settings: ProbeLogSettings = parse_json(config)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&settings.path)
            .map_err(|e| ConfigError::invalid(format!("cannot open {}: {e}", settings.path)))?;
        let lines = ctx.define_counter("probe_log_lines", &[])?;
        Ok(ProbeLogConfig {
            file: Arc::new(file),
            namespace: settings.metadata_namespace,
            lines,
        })
    }
}

/// A compiled `probe_log` config: the open file, shared by every thread's logger.
#[derive(Debug)]
pub struct ProbeLogConfig {
    file: Arc<File>,
    namespace: Option<String>,
    lines: Counter,
}

impl AccessLoggerConfig for ProbeLogConfig {
    type Logger = ProbeLogger;

    fn new_logger(&self) -> ProbeLogger {
        ProbeLogger {
            file: Arc::clone(&self.file),
            namespace: self.namespace.clone(),
            lines: self.lines,
        }
    }
}

/// A per-thread `probe_log` logger.
#[derive(Debug)]
pub struct ProbeLogger {
    file: Arc<File>,
    namespace: Option<String>,
    lines: Counter,
}

impl ProbeLogger {
    /// The JSON line for one event.
    pub fn line(&self, entry: &dyn AccessLogHost, kind: AccessLogType) -> String {
        let text = |bytes: Option<&[u8]>| bytes.map(|b| String::from_utf8_lossy(b).into_owned());
        let namespace = self.namespace.as_deref();
        let line = serde_json::json!({
            "kind": kind.0,
            "method": text(entry.header(HeaderMap::RequestHeaders, ":method")),
            "path": text(entry.header(HeaderMap::RequestHeaders, ":path")),
            "status": entry.response_code(),
            "details": text(entry.attribute_string(AttributeId::RESPONSE_CODE_DETAILS)),
            "filter_state": text(entry.filter_state(FILTER_STATE_KEY)),
            "metadata_path": namespace.and_then(|ns| entry.metadata_string(ns, "path")),
            "metadata_worker": namespace.and_then(|ns| entry.metadata_number(ns, "worker")),
            "worker": entry.worker_index(),
        });
        line.to_string()
    }
}

impl AccessLogger for ProbeLogger {
    fn log(&mut self, entry: &dyn AccessLogHost, kind: AccessLogType) {
        let mut line = self.line(entry, kind);
        line.push('\n');
        // One write per line on an O_APPEND file: lines of concurrent workers do not interleave.
        if let Err(error) = (&*self.file).write_all(line.as_bytes()) {
            envoy_log!(entry, Error, "probe_log: write failed: {error}");
            return;
        }
        if entry.log_enabled(LogLevel::Trace) {
            entry.log(LogLevel::Trace, "probe_log: line written");
        }
        let _ = entry.increment_counter(self.lines, 1);
    }
}

#[cfg(test)]
mod tests;
