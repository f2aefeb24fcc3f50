//! Typed errors of the SDK: config rejection, metric recording, callout start.

/// Why a filter or logger config was rejected. Envoy then rejects the listener or route.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The JSON did not match the filter's config schema.
    #[error("invalid JSON config: {0}")]
    Json(#[from] serde_json::Error),
    /// The config parsed but is semantically invalid.
    #[error("{0}")]
    Invalid(String),
    /// A route carried per-route config for a filter that has none.
    #[error("this filter does not accept per-route config")]
    RouteConfigUnsupported,
    /// Defining a metric at config load failed.
    #[error("defining a metric failed: {0}")]
    Metric(#[from] MetricError),
}

impl ConfigError {
    /// A semantic error with a message for the operator.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }
}

/// Parses a JSON config document into `T` (the usual first step of a factory).
pub fn parse_json<T: serde::de::DeserializeOwned>(config: &str) -> Result<T, ConfigError> {
    // An absent config arrives as an empty string: treat it like `{}` so defaults apply.
    let config = if config.trim().is_empty() {
        "{}"
    } else {
        config
    };
    Ok(serde_json::from_str(config)?)
}

/// Why defining or recording a metric failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    /// Envoy does not know the metric id.
    #[error("metric not found")]
    NotFound,
    /// The number of label values differs from the number of label names at definition.
    #[error("expected {expected} label values, got {got}")]
    LabelCount {
        /// Label names given at definition.
        expected: usize,
        /// Label values given now.
        got: usize,
    },
    /// Envoy rejected the labels.
    #[error("invalid labels")]
    InvalidLabels,
    /// Metrics can no longer be created (stats creation is frozen).
    #[error("stats creation is frozen")]
    Frozen,
    /// This extension point does not support labelled metrics.
    #[error("labels are not supported here")]
    LabelsUnsupported,
    /// Envoy returned a result this SDK does not know.
    #[error("unknown metrics result {0}")]
    Unknown(u32),
}

/// Why an HTTP callout could not be started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalloutError {
    /// `:method`, `:path` or `host` is missing from the request headers.
    #[error("callout request lacks :method, :path or host")]
    MissingRequiredHeaders,
    /// The target cluster is not configured.
    #[error("callout cluster not found")]
    ClusterNotFound,
    /// The callout id is already in use.
    #[error("duplicate callout id")]
    DuplicateCalloutId,
    /// Envoy could not create the request (e.g. no healthy upstream).
    #[error("callout request could not be created")]
    CannotCreateRequest,
    /// Envoy returned a result this SDK does not know.
    #[error("unknown callout init result {0}")]
    Unknown(u32),
}

/// Why a started HTTP callout produced no response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CalloutFailure {
    /// The callout stream was reset (connection failure, timeout, ...).
    #[error("callout was reset")]
    Reset,
    /// The response exceeded the callout's buffer limit.
    #[error("callout response exceeded the buffer limit")]
    ResponseTooLarge,
    /// Envoy returned a result this SDK does not know.
    #[error("unknown callout result {0}")]
    Unknown(u32),
}
