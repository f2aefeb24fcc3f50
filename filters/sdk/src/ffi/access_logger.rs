//! The exported access logger hooks and `AccessLogHost` over Envoy's logger callbacks.

use super::buffers::{envoy_bytes, envoy_header};
use super::config_context::LoggerConfigContext;
use super::program::{emit_error, registry};
use super::stream_info::{stream_bytes, stream_timing};
use crate::access_log::{AccessLogHost, AccessLogger, StreamBytes, StreamTiming};
use crate::error::MetricError;
use crate::http::HeaderMap;
use crate::log::{LogLevel, envoy_emit, envoy_log_enabled};
use crate::metrics::{Counter, Gauge, Histogram, check};
use crate::panic::with_panic_quarantined;
use crate::registry::{ACCESS_LOGGER, CompiledAccessLogger, RegistryError};
use core::ptr::null;
use dynagate_abi::{self as abi, AccessLogType, AttributeId, EnvoyBuffer, ModuleBuffer, hooks};

/// Our logger config: the compiled config plus Envoy's config pointer (for metrics).
struct LoggerConfigSlot {
    compiled: CompiledAccessLogger,
    envoy: abi::AccessLoggerConfigEnvoyPtr,
}

/// One per-thread logger.
struct LoggerSlot {
    logger: Box<dyn AccessLogger>,
    config_envoy: abi::AccessLoggerConfigEnvoyPtr,
    poisoned: bool,
}

/// Creates a logger config (main thread).
///
/// # Safety
/// Called by Envoy with valid buffers and config pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_access_logger_config_new(
    config_envoy: abi::AccessLoggerConfigEnvoyPtr,
    name: EnvoyBuffer,
    config: EnvoyBuffer,
) -> abi::AccessLoggerConfigModulePtr {
    let created = with_panic_quarantined(
        || -> Result<abi::AccessLoggerConfigModulePtr, RegistryError> {
            // SAFETY: the buffers are valid for this hook.
            let (name, config) = unsafe { (envoy_bytes(name), envoy_bytes(config)) };
            let utf8 = |bytes, what| {
                core::str::from_utf8(bytes).map_err(|_| RegistryError::NotUtf8 {
                    kind: ACCESS_LOGGER,
                    what,
                })
            };
            let (name, config) = (utf8(name, "name")?, utf8(config, "config")?);
            let Some(registry) = registry() else {
                emit_error("dynagate: access logger config before module init");
                return Ok(null());
            };
            let mut ctx = LoggerConfigContext {
                envoy: config_envoy,
            };
            let compiled = registry.new_access_logger_config(name, config, &mut ctx)?;
            let slot = LoggerConfigSlot {
                compiled,
                envoy: config_envoy,
            };
            Ok(Box::into_raw(Box::new(slot)).cast_const().cast())
        },
    );
    match created {
        Some(Ok(ptr)) => ptr,
        Some(Err(error)) => {
            emit_error(&format!("dynagate: config rejected: {error}"));
            null()
        }
        None => null(),
    }
}
const _: hooks::OnAccessLoggerConfigNew = envoy_dynamic_module_on_access_logger_config_new;

/// Releases a logger config.
///
/// # Safety
/// `config` comes from `on_access_logger_config_new` and is released once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_access_logger_config_destroy(
    config: abi::AccessLoggerConfigModulePtr,
) {
    // SAFETY: per the contract we own the box.
    let boxed = unsafe { Box::from_raw(config.cast::<LoggerConfigSlot>().cast_mut()) };
    with_panic_quarantined(move || drop(boxed));
}
const _: hooks::OnAccessLoggerConfigDestroy = envoy_dynamic_module_on_access_logger_config_destroy;

/// Creates the logger of one thread. Null drops that thread's events.
///
/// # Safety
/// `config` comes from `on_access_logger_config_new` and is alive.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_access_logger_new(
    config: abi::AccessLoggerConfigModulePtr,
    _logger_envoy: abi::AccessLoggerEnvoyPtr,
) -> abi::AccessLoggerModulePtr {
    // SAFETY: per the contract the config is alive.
    let slot = unsafe { &*config.cast::<LoggerConfigSlot>() };
    let created = with_panic_quarantined(|| {
        let logger = slot.compiled.new_logger();
        Box::new(LoggerSlot {
            logger,
            config_envoy: slot.envoy,
            poisoned: false,
        })
    });
    match created {
        Some(logger) => Box::into_raw(logger).cast_const().cast(),
        None => {
            emit_error(
                "dynagate: access logger new_logger panicked; events of this thread dropped",
            );
            null()
        }
    }
}
const _: hooks::OnAccessLoggerNew = envoy_dynamic_module_on_access_logger_new;

/// One log event; `logger_envoy` is valid for this call only.
///
/// # Safety
/// `logger` comes from `on_access_logger_new`; Envoy does not run two hooks of it at once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_access_logger_log(
    logger_envoy: abi::AccessLoggerEnvoyPtr,
    logger: abi::AccessLoggerModulePtr,
    log_type: AccessLogType,
) {
    // SAFETY: per the contract we have exclusive use of the slot during this hook.
    let slot = unsafe { &mut *logger.cast::<LoggerSlot>().cast_mut() };
    if slot.poisoned {
        return;
    }
    let host = EnvoyAccessLogHost {
        envoy: logger_envoy,
        config_envoy: slot.config_envoy,
    };
    let logger = &mut slot.logger;
    if with_panic_quarantined(|| logger.log(&host, log_type)).is_none() {
        // The logger's state may be inconsistent: stop using it (events are dropped).
        slot.poisoned = true;
        emit_error("dynagate: access logger panicked; further events of this thread dropped");
    }
}
const _: hooks::OnAccessLoggerLog = envoy_dynamic_module_on_access_logger_log;

/// Flushes a logger before it is destroyed.
///
/// # Safety
/// `logger` comes from `on_access_logger_new` and is alive.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_access_logger_flush(
    logger: abi::AccessLoggerModulePtr,
) {
    // SAFETY: per the contract we have exclusive use of the slot during this hook.
    let slot = unsafe { &mut *logger.cast::<LoggerSlot>().cast_mut() };
    if !slot.poisoned && with_panic_quarantined(|| slot.logger.flush()).is_none() {
        slot.poisoned = true;
        emit_error("dynagate: access logger flush panicked");
    }
}
const _: hooks::OnAccessLoggerDestroy = envoy_dynamic_module_on_access_logger_flush;

/// Releases a logger.
///
/// # Safety
/// `logger` comes from `on_access_logger_new` and is released once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_access_logger_destroy(
    logger: abi::AccessLoggerModulePtr,
) {
    // SAFETY: per the contract we own the box.
    let boxed = unsafe { Box::from_raw(logger.cast::<LoggerSlot>().cast_mut()) };
    with_panic_quarantined(move || drop(boxed));
}
const _: hooks::OnAccessLoggerDestroy = envoy_dynamic_module_on_access_logger_destroy;

/// The host of one log event.
struct EnvoyAccessLogHost {
    envoy: abi::AccessLoggerEnvoyPtr,
    config_envoy: abi::AccessLoggerConfigEnvoyPtr,
}

impl EnvoyAccessLogHost {
    fn string_out(&self, read: impl FnOnce(*mut EnvoyBuffer) -> bool) -> Option<&[u8]> {
        let mut value = EnvoyBuffer::EMPTY;
        // SAFETY: Envoy fills `value` with bytes valid during this log event, which outlives
        // `&self` (the host lives on the hook's stack).
        read(&raw mut value).then(|| unsafe { envoy_bytes(value) })
    }
}

impl AccessLogHost for EnvoyAccessLogHost {
    fn header_value(&self, map: HeaderMap, name: &str, index: usize) -> Option<&[u8]> {
        let mut value = EnvoyBuffer::EMPTY;
        let mut count = 0usize;
        // SAFETY: live log context; valid out-parameters; `name` outlives the call.
        unsafe {
            abi::envoy_dynamic_module_callback_access_logger_get_header_value(
                self.envoy,
                map.to_abi(),
                ModuleBuffer::from_str(name),
                &raw mut value,
                index,
                &raw mut count,
            );
        }
        // SAFETY: valid during this log event (tied to `&self`).
        (index < count).then(|| unsafe { envoy_bytes(value) })
    }

    fn header_count(&self, map: HeaderMap, name: &str) -> usize {
        let mut value = EnvoyBuffer::EMPTY;
        let mut count = 0usize;
        // SAFETY: live log context; valid out-parameters.
        unsafe {
            abi::envoy_dynamic_module_callback_access_logger_get_header_value(
                self.envoy,
                map.to_abi(),
                ModuleBuffer::from_str(name),
                &raw mut value,
                0,
                &raw mut count,
            );
        }
        count
    }

    fn headers(&self, map: HeaderMap) -> Vec<(&[u8], &[u8])> {
        // SAFETY: live log context.
        let size = unsafe {
            abi::envoy_dynamic_module_callback_access_logger_get_headers_size(
                self.envoy,
                map.to_abi(),
            )
        };
        if size == 0 {
            return Vec::new();
        }
        let mut raw = vec![abi::EnvoyHttpHeader::EMPTY; size];
        // SAFETY: `raw` has room for `size` headers.
        let ok = unsafe {
            abi::envoy_dynamic_module_callback_access_logger_get_headers(
                self.envoy,
                map.to_abi(),
                raw.as_mut_ptr(),
            )
        };
        if !ok {
            return Vec::new();
        }
        // SAFETY: valid during this log event (tied to `&self`).
        raw.into_iter()
            .map(|h| unsafe { envoy_header(h) })
            .collect()
    }

    fn attribute_string(&self, attribute: AttributeId) -> Option<&[u8]> {
        self.string_out(|out| {
            // SAFETY: live log context; valid out-parameter.
            unsafe {
                abi::envoy_dynamic_module_callback_access_logger_get_attribute_string(
                    self.envoy, attribute, out,
                )
            }
        })
    }

    fn attribute_int(&self, attribute: AttributeId) -> Option<u64> {
        let mut value = 0u64;
        // SAFETY: live log context; valid out-parameter.
        let found = unsafe {
            abi::envoy_dynamic_module_callback_access_logger_get_attribute_int(
                self.envoy,
                attribute,
                &raw mut value,
            )
        };
        found.then_some(value)
    }

    fn attribute_bool(&self, attribute: AttributeId) -> Option<bool> {
        let mut value = false;
        // SAFETY: live log context; valid out-parameter.
        let found = unsafe {
            abi::envoy_dynamic_module_callback_access_logger_get_attribute_bool(
                self.envoy,
                attribute,
                &raw mut value,
            )
        };
        found.then_some(value)
    }

    fn response_flags(&self) -> u64 {
        // SAFETY: live log context.
        unsafe { abi::envoy_dynamic_module_callback_access_logger_get_response_flags(self.envoy) }
    }

    fn timing(&self) -> StreamTiming {
        let mut raw = abi::TimingInfoV2::UNAVAILABLE;
        // SAFETY: live log context; `raw` is a valid out-parameter of the declared layout.
        unsafe {
            abi::envoy_dynamic_module_callback_access_logger_get_timing_info_v2(
                self.envoy,
                &raw mut raw,
            );
        }
        stream_timing(&raw)
    }

    fn bytes(&self) -> StreamBytes {
        let mut raw = abi::BytesInfo::default();
        // SAFETY: live log context; `raw` is a valid out-parameter of the declared layout.
        unsafe {
            abi::envoy_dynamic_module_callback_access_logger_get_bytes_info(
                self.envoy,
                &raw mut raw,
            );
        }
        stream_bytes(&raw)
    }

    fn metadata_string(&self, namespace: &str, path: &str) -> Option<&str> {
        self.string_out(|out| {
            // SAFETY: live log context; valid out-parameter; buffers outlive the call.
            unsafe {
                abi::envoy_dynamic_module_callback_access_logger_get_dynamic_metadata(
                    self.envoy,
                    ModuleBuffer::from_str(namespace),
                    ModuleBuffer::from_str(path),
                    out,
                )
            }
        })
        .and_then(|bytes| core::str::from_utf8(bytes).ok())
    }

    fn metadata_number(&self, namespace: &str, path: &str) -> Option<f64> {
        let mut value = 0f64;
        // SAFETY: live log context; valid out-parameter; buffers outlive the call.
        let found = unsafe {
            abi::envoy_dynamic_module_callback_access_logger_get_dynamic_metadata_number(
                self.envoy,
                ModuleBuffer::from_str(namespace),
                ModuleBuffer::from_str(path),
                &raw mut value,
            )
        };
        found.then_some(value)
    }

    fn metadata_bool(&self, namespace: &str, path: &str) -> Option<bool> {
        let mut value = false;
        // SAFETY: live log context; valid out-parameter; buffers outlive the call.
        let found = unsafe {
            abi::envoy_dynamic_module_callback_access_logger_get_dynamic_metadata_bool(
                self.envoy,
                ModuleBuffer::from_str(namespace),
                ModuleBuffer::from_str(path),
                &raw mut value,
            )
        };
        found.then_some(value)
    }

    fn filter_state(&self, key: &str) -> Option<&[u8]> {
        self.string_out(|out| {
            // SAFETY: live log context; valid out-parameter; `key` outlives the call.
            unsafe {
                abi::envoy_dynamic_module_callback_access_logger_get_filter_state(
                    self.envoy,
                    ModuleBuffer::from_str(key),
                    out,
                )
            }
        })
    }

    fn local_reply_body(&self) -> Option<&[u8]> {
        self.string_out(|out| {
            // SAFETY: live log context; valid out-parameter.
            unsafe {
                abi::envoy_dynamic_module_callback_access_logger_get_local_reply_body(
                    self.envoy, out,
                )
            }
        })
    }

    fn worker_index(&self) -> u32 {
        // SAFETY: live log context.
        unsafe { abi::envoy_dynamic_module_callback_access_logger_get_worker_index(self.envoy) }
    }

    fn increment_counter(&self, counter: Counter, value: u64) -> Result<(), MetricError> {
        // SAFETY: the config pointer outlives its loggers; metric callbacks are thread-safe.
        check(unsafe {
            abi::envoy_dynamic_module_callback_access_logger_increment_counter(
                self.config_envoy,
                counter.id(),
                value,
            )
        })
    }

    fn set_gauge(&self, gauge: Gauge, value: u64) -> Result<(), MetricError> {
        // SAFETY: as for `increment_counter`.
        check(unsafe {
            abi::envoy_dynamic_module_callback_access_logger_set_gauge(
                self.config_envoy,
                gauge.id(),
                value,
            )
        })
    }

    fn record_histogram(&self, histogram: Histogram, value: u64) -> Result<(), MetricError> {
        // SAFETY: as for `increment_counter`.
        check(unsafe {
            abi::envoy_dynamic_module_callback_access_logger_record_histogram_value(
                self.config_envoy,
                histogram.id(),
                value,
            )
        })
    }

    fn log_enabled(&self, level: LogLevel) -> bool {
        envoy_log_enabled(level)
    }

    #[track_caller]
    fn log(&self, level: LogLevel, message: &str) {
        envoy_emit(level, message, core::panic::Location::caller());
    }
}
