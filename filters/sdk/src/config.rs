//! What a factory may do while a config loads (main thread): define metrics, get a scheduler.

use crate::error::MetricError;
use crate::log::LogLevel;
use crate::metrics::{Counter, Gauge, Histogram};
use crate::scheduler::Scheduler;

/// The config-load context handed to factories. Implemented by Envoy and by
/// `testing::FakeConfigContext`.
pub trait ConfigContext {
    /// Defines a counter with `labels` names (may be empty). Keep the handle in the config.
    fn define_counter(&mut self, name: &str, labels: &[&str]) -> Result<Counter, MetricError>;

    /// Defines a gauge with `labels` names (may be empty).
    fn define_gauge(&mut self, name: &str, labels: &[&str]) -> Result<Gauge, MetricError>;

    /// Defines a histogram with `labels` names (may be empty).
    fn define_histogram(&mut self, name: &str, labels: &[&str]) -> Result<Histogram, MetricError>;

    /// A scheduler whose events arrive on the main thread as the config's `on_scheduled`.
    /// `None` where the extension point has no config scheduler (access loggers).
    fn new_scheduler(&mut self) -> Option<Scheduler>;

    /// Whether Envoy only validates the config (`--mode validate`): skip expensive side effects.
    fn is_validation_mode(&self) -> bool;

    /// Whether `level` is enabled (see `envoy_log!`).
    fn log_enabled(&self, level: LogLevel) -> bool;

    /// Writes one line to Envoy's log.
    #[track_caller]
    fn log(&self, level: LogLevel, message: &str);
}
