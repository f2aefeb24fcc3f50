//! The logger config (`dynagate_config::access_log::AccessLog`) compiled into what the logger
//! runs: one line format, an optional filter, the sink path. Everything is checked here, at
//! config load; unsupported sinks and operators are rejected by name, never dropped.

use crate::filter::{FilterError, LogFilter};
use crate::format::{FormatContext, FormatError, LineFormat};
use dynagate_config::access_log::{AccessLog, ParseError};
use std::path::PathBuf;

/// Why a logger config was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The JSON does not match the contract (unknown keys are named).
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// No sink at all.
    #[error("no access log sink specified (fileSink, grpcService or openTelemetry)")]
    NoSink,
    /// More than one sink in one entry.
    #[error("an access log entry takes exactly one sink, got {0}")]
    SeveralSinks(String),
    /// A sink kind this logger does not implement yet.
    #[error("{0} access log sink is not supported yet")]
    SinkNotSupported(&'static str),
    /// `fileSink.path` is empty.
    #[error("fileSink.path is empty")]
    EmptyPath,
    /// Both `stringFormat` and `jsonFormat`.
    #[error("fileSink takes stringFormat or jsonFormat, not both")]
    BothFormats,
    /// The format does not compile.
    #[error("fileSink format: {0}")]
    Format(#[from] FormatError),
    /// The filter does not compile.
    #[error("filter: {0}")]
    Filter(#[from] FilterError),
}

/// A validated, compiled access log.
#[derive(Debug)]
pub struct CompiledAccessLog {
    /// Where lines go.
    pub path: PathBuf,
    /// How a line looks.
    pub format: LineFormat,
    /// Which requests are logged (`None`: all).
    pub filter: Option<LogFilter>,
}

impl CompiledAccessLog {
    /// Parses and compiles the logger config JSON.
    pub fn from_json(json: &str, context: &FormatContext) -> Result<Self, ConfigError> {
        Self::compile(&AccessLog::from_json(json)?, context)
    }

    /// Compiles a parsed config.
    pub fn compile(config: &AccessLog, context: &FormatContext) -> Result<Self, ConfigError> {
        let sinks: Vec<&str> = [
            config.file_sink.as_ref().map(|_| "fileSink"),
            config.grpc_service.as_ref().map(|_| "grpcService"),
            config.open_telemetry.as_ref().map(|_| "openTelemetry"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if sinks.len() > 1 {
            return Err(ConfigError::SeveralSinks(sinks.join(", ")));
        }
        if config.grpc_service.is_some() {
            return Err(ConfigError::SinkNotSupported("grpcService"));
        }
        if config.open_telemetry.is_some() {
            return Err(ConfigError::SinkNotSupported("openTelemetry"));
        }
        let sink = config.file_sink.as_ref().ok_or(ConfigError::NoSink)?;
        if sink.path.is_empty() {
            return Err(ConfigError::EmptyPath);
        }
        let format = match (&sink.string_format, &sink.json_format) {
            (Some(_), Some(_)) => return Err(ConfigError::BothFormats),
            (Some(text), None) => LineFormat::text(text, context)?,
            (None, Some(json)) => LineFormat::json(json, context)?,
            (None, None) => LineFormat::envoy_default(context)?,
        };
        let filter = config.filter.as_ref().map(LogFilter::compile).transpose()?;
        Ok(Self {
            path: PathBuf::from(&sink.path),
            format,
            filter,
        })
    }
}

#[cfg(test)]
mod tests;
