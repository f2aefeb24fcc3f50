//! Logging through Envoy's `dynamic_modules` logger: levels, the `envoy_log!` macro, raw emit.

use dynagate_abi as abi;

/// Envoy log level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// Finest detail.
    Trace,
    /// Debugging detail.
    Debug,
    /// Normal operation.
    Info,
    /// Something unexpected that the proxy handled.
    Warn,
    /// A failure (a rejected config, a caught panic).
    Error,
    /// A failure that endangers the process.
    Critical,
}

impl LogLevel {
    pub(crate) const fn to_abi(self) -> abi::LogLevel {
        match self {
            Self::Trace => abi::LogLevel::TRACE,
            Self::Debug => abi::LogLevel::DEBUG,
            Self::Info => abi::LogLevel::INFO,
            Self::Warn => abi::LogLevel::WARN,
            Self::Error => abi::LogLevel::ERROR,
            Self::Critical => abi::LogLevel::CRITICAL,
        }
    }
}

/// Logs through a host (`HttpHost`, `AccessLogHost`, `ConfigContext`), formatting only when the
/// level is enabled, so a disabled debug line costs one cheap level check and no allocation.
///
/// ```text
/// envoy_log!(host, Debug, "rewrote {} bytes", body.len());
/// ```
#[macro_export]
macro_rules! envoy_log {
    ($host:expr, $level:ident, $($arg:tt)+) => {{
        let level = $crate::LogLevel::$level;
        if $host.log_enabled(level) {
            $host.log(level, &::std::format!($($arg)+));
        }
    }};
}

/// Whether `level` is enabled in Envoy. Only valid inside Envoy.
pub(crate) fn envoy_log_enabled(level: LogLevel) -> bool {
    abi::envoy_dynamic_module_callback_log_enabled(level.to_abi())
}

/// Writes one line to Envoy's log, attributed to `location` (the module source line).
/// Only valid inside Envoy (the symbol lives in the Envoy binary).
pub(crate) fn envoy_emit(level: LogLevel, message: &str, location: &std::panic::Location<'_>) {
    // SAFETY: both buffers borrow data that outlives the call; Envoy only reads them.
    unsafe {
        abi::envoy_dynamic_module_callback_log_v2(
            level.to_abi(),
            abi::ModuleBuffer::from_str(message),
            abi::ModuleBuffer::from_str(location.file()),
            location.line(),
        );
    }
}
