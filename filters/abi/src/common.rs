//! Callbacks shared by every extension point: logging, concurrency, validation mode.

use crate::types::{LogLevel, ModuleBuffer};

unsafe extern "C" {
    /// Logs `message` under Envoy's `dynamic_modules` logger id (deprecated in favour of `log_v2`).
    pub fn envoy_dynamic_module_callback_log(level: LogLevel, message: ModuleBuffer);

    /// Logs `message`, reporting the module source location instead of one inside Envoy.
    pub fn envoy_dynamic_module_callback_log_v2(
        level: LogLevel,
        message: ModuleBuffer,
        source_file: ModuleBuffer,
        source_line: u32,
    );

    /// Whether `level` is enabled for the `dynamic_modules` logger id (cheap).
    pub safe fn envoy_dynamic_module_callback_log_enabled(level: LogLevel) -> bool;

    /// The current effective level of the `dynamic_modules` logger id.
    pub safe fn envoy_dynamic_module_callback_get_log_level() -> LogLevel;

    /// Configured worker count. Main thread only.
    pub fn envoy_dynamic_module_callback_get_concurrency() -> u32;

    /// Whether Envoy runs with `--mode validate`. Main thread only.
    pub fn envoy_dynamic_module_callback_is_validation_mode() -> bool;
}
