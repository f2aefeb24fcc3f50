//! `ConfigContext` over Envoy for HTTP filter and access logger configs, and the Envoy-backed
//! scheduler handle.

use crate::config::ConfigContext;
use crate::error::MetricError;
use crate::log::{LogLevel, envoy_emit, envoy_log_enabled};
use crate::metrics::{Counter, Gauge, Histogram, LabelBuffers, check};
use crate::scheduler::Scheduler;
use core::ffi::c_void;
use dynagate_abi as abi;

/// Signature shared by the define-metric callbacks of the HTTP filter config.
type DefineLabelled = unsafe extern "C" fn(
    abi::HttpFilterConfigEnvoyPtr,
    abi::ModuleBuffer,
    *mut abi::ModuleBuffer,
    usize,
    *mut usize,
) -> abi::MetricsResult;

/// Signature shared by the define-metric callbacks of the access logger config.
type DefinePlain = unsafe extern "C" fn(
    abi::AccessLoggerConfigEnvoyPtr,
    abi::ModuleBuffer,
    *mut usize,
) -> abi::MetricsResult;

/// Config-load context of an HTTP filter config (main thread, during `config_new`).
pub(super) struct HttpConfigContext {
    pub(super) envoy: abi::HttpFilterConfigEnvoyPtr,
}

impl HttpConfigContext {
    fn define(
        &self,
        define: DefineLabelled,
        name: &str,
        labels: &[&str],
    ) -> Result<usize, MetricError> {
        let mut label_buffers = LabelBuffers::new(labels);
        let (labels_ptr, labels_len) = label_buffers.as_raw();
        let mut id = 0usize;
        // SAFETY: `envoy` is the live config pointer of this `config_new`; buffers borrow data
        // that outlives the call; `id` is a valid out-parameter.
        let result = unsafe {
            define(
                self.envoy,
                abi::ModuleBuffer::from_str(name),
                labels_ptr,
                labels_len,
                &raw mut id,
            )
        };
        check(result).map(|()| id)
    }
}

impl ConfigContext for HttpConfigContext {
    fn define_counter(&mut self, name: &str, labels: &[&str]) -> Result<Counter, MetricError> {
        let define = abi::envoy_dynamic_module_callback_http_filter_config_define_counter;
        self.define(define, name, labels)
            .map(|id| Counter::from_raw(id, labels.len()))
    }

    fn define_gauge(&mut self, name: &str, labels: &[&str]) -> Result<Gauge, MetricError> {
        let define = abi::envoy_dynamic_module_callback_http_filter_config_define_gauge;
        self.define(define, name, labels)
            .map(|id| Gauge::from_raw(id, labels.len()))
    }

    fn define_histogram(&mut self, name: &str, labels: &[&str]) -> Result<Histogram, MetricError> {
        let define = abi::envoy_dynamic_module_callback_http_filter_config_define_histogram;
        self.define(define, name, labels)
            .map(|id| Histogram::from_raw(id, labels.len()))
    }

    fn new_scheduler(&mut self) -> Option<Scheduler> {
        // SAFETY: `envoy` is the live config pointer; Envoy allocates the scheduler.
        let ptr = unsafe {
            abi::envoy_dynamic_module_callback_http_filter_config_scheduler_new(self.envoy)
        };
        EnvoyScheduler::wrap(
            ptr,
            abi::envoy_dynamic_module_callback_http_filter_config_scheduler_commit,
            abi::envoy_dynamic_module_callback_http_filter_config_scheduler_delete,
        )
    }

    fn is_validation_mode(&self) -> bool {
        // SAFETY: called from `config_new`, i.e. on the main thread, as the callback requires.
        unsafe { abi::envoy_dynamic_module_callback_is_validation_mode() }
    }

    fn log_enabled(&self, level: LogLevel) -> bool {
        envoy_log_enabled(level)
    }

    #[track_caller]
    fn log(&self, level: LogLevel, message: &str) {
        envoy_emit(level, message, core::panic::Location::caller());
    }
}

/// Config-load context of an access logger config (main thread, during `config_new`).
pub(super) struct LoggerConfigContext {
    pub(super) envoy: abi::AccessLoggerConfigEnvoyPtr,
}

impl LoggerConfigContext {
    fn define(
        &self,
        define: DefinePlain,
        name: &str,
        labels: &[&str],
    ) -> Result<usize, MetricError> {
        if !labels.is_empty() {
            return Err(MetricError::LabelsUnsupported);
        }
        let mut id = 0usize;
        // SAFETY: live config pointer; `name` outlives the call; `id` is a valid out-parameter.
        let result = unsafe { define(self.envoy, abi::ModuleBuffer::from_str(name), &raw mut id) };
        check(result).map(|()| id)
    }
}

impl ConfigContext for LoggerConfigContext {
    fn define_counter(&mut self, name: &str, labels: &[&str]) -> Result<Counter, MetricError> {
        let define = abi::envoy_dynamic_module_callback_access_logger_config_define_counter;
        self.define(define, name, labels)
            .map(|id| Counter::from_raw(id, 0))
    }

    fn define_gauge(&mut self, name: &str, labels: &[&str]) -> Result<Gauge, MetricError> {
        let define = abi::envoy_dynamic_module_callback_access_logger_config_define_gauge;
        self.define(define, name, labels)
            .map(|id| Gauge::from_raw(id, 0))
    }

    fn define_histogram(&mut self, name: &str, labels: &[&str]) -> Result<Histogram, MetricError> {
        let define = abi::envoy_dynamic_module_callback_access_logger_config_define_histogram;
        self.define(define, name, labels)
            .map(|id| Histogram::from_raw(id, 0))
    }

    fn new_scheduler(&mut self) -> Option<Scheduler> {
        None
    }

    fn is_validation_mode(&self) -> bool {
        // SAFETY: called from `config_new`, i.e. on the main thread, as the callback requires.
        unsafe { abi::envoy_dynamic_module_callback_is_validation_mode() }
    }

    fn log_enabled(&self, level: LogLevel) -> bool {
        envoy_log_enabled(level)
    }

    #[track_caller]
    fn log(&self, level: LogLevel, message: &str) {
        envoy_emit(level, message, core::panic::Location::caller());
    }
}

/// An Envoy-allocated scheduler (filter or config); deleted on drop.
pub(super) struct EnvoyScheduler {
    ptr: *mut c_void,
    commit: unsafe extern "C" fn(*mut c_void, u64),
    delete: unsafe extern "C" fn(*mut c_void),
}

// SAFETY: Envoy documents scheduler commit as callable from any thread; delete only releases
// the Envoy object, which holds no thread affinity for the module.
unsafe impl Send for EnvoyScheduler {}
// SAFETY: see `Send`; `commit` takes the pointer by value and Envoy synchronises internally.
unsafe impl Sync for EnvoyScheduler {}

impl EnvoyScheduler {
    pub(super) fn wrap(
        ptr: *mut c_void,
        commit: unsafe extern "C" fn(*mut c_void, u64),
        delete: unsafe extern "C" fn(*mut c_void),
    ) -> Option<Scheduler> {
        if ptr.is_null() {
            return None;
        }
        let handle = Self {
            ptr,
            commit,
            delete,
        };
        Some(Scheduler::from_fn(move |event_id| handle.commit(event_id)))
    }

    fn commit(&self, event_id: u64) {
        // SAFETY: `ptr` is a live scheduler until `drop`.
        unsafe { (self.commit)(self.ptr, event_id) }
    }
}

impl Drop for EnvoyScheduler {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from the matching `*_scheduler_new` and is deleted exactly once.
        unsafe { (self.delete)(self.ptr) }
    }
}
