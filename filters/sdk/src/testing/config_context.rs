//! `FakeConfigContext`: the config-load context for factory unit tests.

use super::metrics::{FakeMetrics, MetricDef, MetricKind};
use crate::config::ConfigContext;
use crate::error::MetricError;
use crate::log::LogLevel;
use crate::metrics::{Counter, Gauge, Histogram};
use crate::scheduler::Scheduler;
use std::cell::RefCell;
use std::sync::{Arc, Mutex};

/// Records metric definitions, config scheduler events and log lines of a factory.
#[derive(Debug, Default)]
pub struct FakeConfigContext {
    pub(crate) metrics: FakeMetrics,
    scheduled: Arc<Mutex<Vec<u64>>>,
    validation_mode: bool,
    logs: RefCell<Vec<(LogLevel, String)>>,
}

impl FakeConfigContext {
    /// A context outside validation mode.
    pub fn new() -> Self {
        Self::default()
    }

    /// Pretends Envoy runs with `--mode validate`.
    #[must_use]
    pub fn validation_mode(mut self) -> Self {
        self.validation_mode = true;
        self
    }

    /// Metrics defined so far, in definition order.
    pub fn metric_defs(&self) -> &[MetricDef] {
        &self.metrics.defs
    }

    /// Takes the event ids committed on config schedulers.
    pub fn take_scheduled(&self) -> Vec<u64> {
        self.scheduled
            .lock()
            .map(|mut ids| core::mem::take(&mut *ids))
            .unwrap_or_default()
    }

    /// Log lines written by the factory.
    pub fn logs(&self) -> Vec<(LogLevel, String)> {
        self.logs.borrow().clone()
    }
}

impl ConfigContext for FakeConfigContext {
    fn define_counter(&mut self, name: &str, labels: &[&str]) -> Result<Counter, MetricError> {
        let id = self.metrics.define(MetricKind::Counter, name, labels);
        Ok(Counter::from_raw(id, labels.len()))
    }

    fn define_gauge(&mut self, name: &str, labels: &[&str]) -> Result<Gauge, MetricError> {
        let id = self.metrics.define(MetricKind::Gauge, name, labels);
        Ok(Gauge::from_raw(id, labels.len()))
    }

    fn define_histogram(&mut self, name: &str, labels: &[&str]) -> Result<Histogram, MetricError> {
        let id = self.metrics.define(MetricKind::Histogram, name, labels);
        Ok(Histogram::from_raw(id, labels.len()))
    }

    fn new_scheduler(&mut self) -> Option<Scheduler> {
        let sink = Arc::clone(&self.scheduled);
        Some(Scheduler::from_fn(move |id| {
            if let Ok(mut ids) = sink.lock() {
                ids.push(id);
            }
        }))
    }

    fn is_validation_mode(&self) -> bool {
        self.validation_mode
    }

    fn log_enabled(&self, _level: LogLevel) -> bool {
        true
    }

    fn log(&self, level: LogLevel, message: &str) {
        self.logs.borrow_mut().push((level, message.to_owned()));
    }
}
