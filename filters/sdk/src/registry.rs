//! The module's registry: filter name -> factory, logger name -> factory, and the type erasure
//! that lets the FFI layer create configs, streams and loggers without knowing their types.

use crate::access_log::{AccessLogger, AccessLoggerConfig, AccessLoggerFactory};
use crate::config::ConfigContext;
use crate::error::ConfigError;
use crate::http::{HttpFilterConfig, HttpFilterFactory, RouteConfig};
use crate::panic::panic_message;
use crate::stream::{StreamHeader, new_stream};
use core::fmt;
use core::ptr::NonNull;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Why a registry lookup or config creation failed; the text is what Envoy's log shows.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// No filter or logger of that name is registered in this module.
    #[error("unknown {kind} {name:?}; this module provides: [{known}]")]
    Unknown {
        /// "HTTP filter" or "access logger".
        kind: &'static str,
        /// The requested name.
        name: String,
        /// The registered names, comma separated.
        known: String,
    },
    /// The config was rejected by the factory.
    #[error("{kind} {name:?}: {source}")]
    InvalidConfig {
        /// "HTTP filter", "per-route config of HTTP filter" or "access logger".
        kind: &'static str,
        /// The filter or logger name.
        name: String,
        /// The factory's error.
        #[source]
        source: ConfigError,
    },
    /// The config or name bytes are not UTF-8.
    #[error("{kind} {what} is not valid UTF-8")]
    NotUtf8 {
        /// "HTTP filter" or "access logger".
        kind: &'static str,
        /// "name" or "config".
        what: &'static str,
    },
    /// The factory panicked (a bug in the filter crate).
    #[error("{kind} {name:?}: factory panicked: {message}")]
    FactoryPanicked {
        /// "HTTP filter" or "access logger".
        kind: &'static str,
        /// The filter or logger name.
        name: String,
        /// The panic message.
        message: String,
    },
    /// Two registrations used the same name.
    #[error("duplicate {kind} name {name:?} in the registry")]
    Duplicate {
        /// "HTTP filter" or "access logger".
        kind: &'static str,
        /// The duplicated name.
        name: &'static str,
    },
}

pub(crate) const HTTP_FILTER: &str = "HTTP filter";
pub(crate) const ROUTE_CONFIG: &str = "per-route config of HTTP filter";
pub(crate) const ACCESS_LOGGER: &str = "access logger";

/// Every filter and logger a module provides, by the name used in Envoy config
/// (`filter_name`, `per_route_config_name`, `logger_name`).
#[derive(Default)]
pub struct Registry {
    http_filters: BTreeMap<&'static str, Box<dyn ErasedHttpFactory>>,
    access_loggers: BTreeMap<&'static str, Box<dyn ErasedLoggerFactory>>,
    duplicates: Vec<RegistryError>,
}

impl Registry {
    /// An empty registry (a module with no filters loads, and rejects every config by name).
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers an HTTP filter factory under `name`.
    #[must_use]
    pub fn http_filter<F: HttpFilterFactory>(mut self, name: &'static str, factory: F) -> Self {
        if self.http_filters.insert(name, Box::new(factory)).is_some() {
            self.duplicates.push(RegistryError::Duplicate {
                kind: HTTP_FILTER,
                name,
            });
        }
        self
    }

    /// Registers an access logger factory under `name`.
    #[must_use]
    pub fn access_logger<F: AccessLoggerFactory>(mut self, name: &'static str, factory: F) -> Self {
        if self
            .access_loggers
            .insert(name, Box::new(factory))
            .is_some()
        {
            self.duplicates.push(RegistryError::Duplicate {
                kind: ACCESS_LOGGER,
                name,
            });
        }
        self
    }

    /// Registered HTTP filter names, sorted.
    pub fn http_filter_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.http_filters.keys().copied()
    }

    /// Registered access logger names, sorted.
    pub fn access_logger_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.access_loggers.keys().copied()
    }

    /// Fails if a name was registered twice (checked when the module loads).
    pub fn validate(&self) -> Result<(), &RegistryError> {
        self.duplicates.first().map_or(Ok(()), Err)
    }

    /// Compiles the config of HTTP filter `name` (what `on_http_filter_config_new` does).
    pub fn new_http_filter_config(
        &self,
        name: &str,
        config: &str,
        ctx: &mut dyn ConfigContext,
    ) -> Result<CompiledHttpFilter, RegistryError> {
        let (&name, factory) = self
            .http_filters
            .get_key_value(name)
            .ok_or_else(|| unknown(HTTP_FILTER, name, self.http_filters.keys()))?;
        let config = guarded(HTTP_FILTER, name, || factory.new_config(config, ctx))?
            .map_err(|source| invalid(HTTP_FILTER, name, source))?;
        Ok(CompiledHttpFilter { name, config })
    }

    /// Compiles a per-route config of HTTP filter `name`.
    pub fn new_route_config(&self, name: &str, config: &str) -> Result<RouteConfig, RegistryError> {
        let factory = self
            .http_filters
            .get(name)
            .ok_or_else(|| unknown(HTTP_FILTER, name, self.http_filters.keys()))?;
        guarded(ROUTE_CONFIG, name, || factory.new_route_config(config))?
            .map_err(|source| invalid(ROUTE_CONFIG, name, source))
    }

    /// Compiles the config of access logger `name`.
    pub fn new_access_logger_config(
        &self,
        name: &str,
        config: &str,
        ctx: &mut dyn ConfigContext,
    ) -> Result<CompiledAccessLogger, RegistryError> {
        let (&name, factory) = self
            .access_loggers
            .get_key_value(name)
            .ok_or_else(|| unknown(ACCESS_LOGGER, name, self.access_loggers.keys()))?;
        let config = guarded(ACCESS_LOGGER, name, || factory.new_config(config, ctx))?
            .map_err(|source| invalid(ACCESS_LOGGER, name, source))?;
        Ok(CompiledAccessLogger { config })
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field(
                "http_filters",
                &self.http_filters.keys().collect::<Vec<_>>(),
            )
            .field(
                "access_loggers",
                &self.access_loggers.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

fn unknown<'a>(
    kind: &'static str,
    name: &str,
    known: impl Iterator<Item = &'a &'static str>,
) -> RegistryError {
    let known = known.copied().collect::<Vec<_>>().join(", ");
    RegistryError::Unknown {
        kind,
        name: name.to_owned(),
        known,
    }
}

fn invalid(kind: &'static str, name: &str, source: ConfigError) -> RegistryError {
    RegistryError::InvalidConfig {
        kind,
        name: name.to_owned(),
        source,
    }
}

/// Runs factory code, turning a panic into an error (config load must never abort Envoy).
fn guarded<R>(kind: &'static str, name: &str, f: impl FnOnce() -> R) -> Result<R, RegistryError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let message = panic_message(&*payload).to_owned();
        crate::panic::with_panic_quarantined(move || drop(payload));
        RegistryError::FactoryPanicked {
            kind,
            name: name.to_owned(),
            message,
        }
    })
}

/// A compiled HTTP filter config of some registered filter.
pub struct CompiledHttpFilter {
    name: &'static str,
    config: Box<dyn ErasedHttpConfig>,
}

impl CompiledHttpFilter {
    /// The registered filter name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub(crate) fn new_stream(&self) -> NonNull<StreamHeader> {
        self.config.new_stream(self.name)
    }

    pub(crate) fn on_scheduled(&self, event_id: u64) {
        self.config.on_scheduled(event_id);
    }
}

impl fmt::Debug for CompiledHttpFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledHttpFilter")
            .field("name", &self.name)
            .finish()
    }
}

/// A compiled access logger config of some registered logger.
pub struct CompiledAccessLogger {
    config: Box<dyn ErasedLoggerConfig>,
}

impl CompiledAccessLogger {
    pub(crate) fn new_logger(&self) -> Box<dyn AccessLogger> {
        self.config.new_logger()
    }
}

impl fmt::Debug for CompiledAccessLogger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CompiledAccessLogger")
    }
}

trait ErasedHttpFactory: Send + Sync {
    fn new_config(
        &self,
        config: &str,
        ctx: &mut dyn ConfigContext,
    ) -> Result<Box<dyn ErasedHttpConfig>, ConfigError>;
    fn new_route_config(&self, config: &str) -> Result<RouteConfig, ConfigError>;
}

impl<F: HttpFilterFactory> ErasedHttpFactory for F {
    fn new_config(
        &self,
        config: &str,
        ctx: &mut dyn ConfigContext,
    ) -> Result<Box<dyn ErasedHttpConfig>, ConfigError> {
        Ok(Box::new(HttpFilterFactory::new_config(self, config, ctx)?))
    }

    fn new_route_config(&self, config: &str) -> Result<RouteConfig, ConfigError> {
        HttpFilterFactory::new_route_config(self, config)
    }
}

trait ErasedHttpConfig: Send + Sync {
    fn new_stream(&self, name: &'static str) -> NonNull<StreamHeader>;
    fn on_scheduled(&self, event_id: u64);
}

impl<C: HttpFilterConfig> ErasedHttpConfig for C {
    fn new_stream(&self, name: &'static str) -> NonNull<StreamHeader> {
        new_stream(name, self.new_filter())
    }

    fn on_scheduled(&self, event_id: u64) {
        HttpFilterConfig::on_scheduled(self, event_id);
    }
}

trait ErasedLoggerFactory: Send + Sync {
    fn new_config(
        &self,
        config: &str,
        ctx: &mut dyn ConfigContext,
    ) -> Result<Box<dyn ErasedLoggerConfig>, ConfigError>;
}

impl<F: AccessLoggerFactory> ErasedLoggerFactory for F {
    fn new_config(
        &self,
        config: &str,
        ctx: &mut dyn ConfigContext,
    ) -> Result<Box<dyn ErasedLoggerConfig>, ConfigError> {
        Ok(Box::new(AccessLoggerFactory::new_config(
            self, config, ctx,
        )?))
    }
}

trait ErasedLoggerConfig: Send + Sync {
    fn new_logger(&self) -> Box<dyn AccessLogger>;
}

impl<C: AccessLoggerConfig> ErasedLoggerConfig for C {
    fn new_logger(&self) -> Box<dyn AccessLogger> {
        Box::new(AccessLoggerConfig::new_logger(self))
    }
}

#[cfg(test)]
mod tests;
