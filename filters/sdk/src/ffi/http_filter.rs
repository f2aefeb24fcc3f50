//! The exported HTTP filter hooks for configs, per-route configs and stream lifetime (the
//! per-event hooks are in `http_events`). Each is a thin shim around the registry or stream.

use super::buffers::envoy_bytes;
use super::config_context::HttpConfigContext;
use super::program::{emit_error, registry};
use crate::http::RouteConfig;
use crate::panic::with_panic_quarantined;
use crate::registry::{CompiledHttpFilter, HTTP_FILTER, ROUTE_CONFIG, RegistryError};
use crate::stream::{StreamHeader, destroy_stream};
use core::ptr::{NonNull, null};
use dynagate_abi::{self as abi, EnvoyBuffer, EnvoyHttpHeader, hooks};

/// Reads a name/config buffer as UTF-8.
///
/// # Safety
/// `buffer` is valid for the running hook.
unsafe fn utf8_arg<'a>(
    buffer: EnvoyBuffer,
    kind: &'static str,
    what: &'static str,
) -> Result<&'a str, RegistryError> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { envoy_bytes(buffer) };
    core::str::from_utf8(bytes).map_err(|_| RegistryError::NotUtf8 { kind, what })
}

fn rejected(error: &RegistryError) {
    emit_error(&format!("dynagate: config rejected: {error}"));
}

/// Creates the compiled config of one `DynamicModuleFilter` (main thread).
///
/// # Safety
/// Called by Envoy with valid buffers and config pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_config_new(
    config_envoy: abi::HttpFilterConfigEnvoyPtr,
    name: EnvoyBuffer,
    config: EnvoyBuffer,
) -> abi::HttpFilterConfigModulePtr {
    let created = with_panic_quarantined(|| {
        // SAFETY: the buffers are valid for this hook.
        let name = unsafe { utf8_arg(name, HTTP_FILTER, "name") }?;
        // SAFETY: as above.
        let config = unsafe { utf8_arg(config, HTTP_FILTER, "config") }?;
        let Some(registry) = registry() else {
            emit_error("dynagate: HTTP filter config before module init");
            return Ok(null());
        };
        let mut ctx = HttpConfigContext {
            envoy: config_envoy,
        };
        let compiled = registry.new_http_filter_config(name, config, &mut ctx)?;
        Ok(Box::into_raw(Box::new(compiled)).cast_const().cast())
    });
    match created {
        Some(Ok(ptr)) => ptr,
        Some(Err(error)) => {
            rejected(&error);
            null()
        }
        None => null(),
    }
}
const _: hooks::OnHttpFilterConfigNew = envoy_dynamic_module_on_http_filter_config_new;

/// Releases a compiled config.
///
/// # Safety
/// `config` comes from `on_http_filter_config_new` and is released once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_config_destroy(
    config: abi::HttpFilterConfigModulePtr,
) {
    // SAFETY: per the contract we own the box.
    let boxed = unsafe { Box::from_raw(config.cast::<CompiledHttpFilter>().cast_mut()) };
    with_panic_quarantined(move || drop(boxed));
}
const _: hooks::OnHttpFilterConfigDestroy = envoy_dynamic_module_on_http_filter_config_destroy;

/// Delivers a config scheduler event (main thread).
///
/// # Safety
/// `config` comes from `on_http_filter_config_new` and is alive.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_config_scheduled(
    _config_envoy: abi::HttpFilterConfigEnvoyPtr,
    config: abi::HttpFilterConfigModulePtr,
    event_id: u64,
) {
    // SAFETY: per the contract the config is alive for this call.
    let compiled = unsafe { &*config.cast::<CompiledHttpFilter>() };
    if with_panic_quarantined(|| compiled.on_scheduled(event_id)).is_none() {
        emit_error(&format!(
            "dynagate filter {}: config on_scheduled panicked",
            compiled.name()
        ));
    }
}
const _: hooks::OnHttpFilterConfigScheduled = envoy_dynamic_module_on_http_filter_config_scheduled;

/// Compiles a per-route config (main thread).
///
/// # Safety
/// Called by Envoy with valid buffers.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_per_route_config_new(
    name: EnvoyBuffer,
    config: EnvoyBuffer,
) -> abi::HttpFilterPerRouteConfigModulePtr {
    let created = with_panic_quarantined(|| {
        // SAFETY: the buffers are valid for this hook.
        let name = unsafe { utf8_arg(name, ROUTE_CONFIG, "name") }?;
        // SAFETY: as above.
        let config = unsafe { utf8_arg(config, ROUTE_CONFIG, "config") }?;
        let Some(registry) = registry() else {
            emit_error("dynagate: per-route config before module init");
            return Ok(null());
        };
        let route_config = registry.new_route_config(name, config)?;
        Ok(Box::into_raw(Box::new(route_config)).cast_const().cast())
    });
    match created {
        Some(Ok(ptr)) => ptr,
        Some(Err(error)) => {
            rejected(&error);
            null()
        }
        None => null(),
    }
}
const _: hooks::OnHttpFilterPerRouteConfigNew =
    envoy_dynamic_module_on_http_filter_per_route_config_new;

/// Releases a per-route config.
///
/// # Safety
/// `config` comes from `on_http_filter_per_route_config_new` and is released once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_per_route_config_destroy(
    config: abi::HttpFilterPerRouteConfigModulePtr,
) {
    // SAFETY: per the contract we own the box.
    let boxed = unsafe { Box::from_raw(config.cast::<RouteConfig>().cast_mut()) };
    with_panic_quarantined(move || drop(boxed));
}
const _: hooks::OnHttpFilterPerRouteConfigDestroy =
    envoy_dynamic_module_on_http_filter_per_route_config_destroy;

/// Creates the filter of a new stream (worker thread). Null closes the stream.
///
/// # Safety
/// `config` comes from `on_http_filter_config_new` and is alive.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_new(
    config: abi::HttpFilterConfigModulePtr,
    _filter_envoy: abi::HttpFilterEnvoyPtr,
) -> abi::HttpFilterModulePtr {
    // SAFETY: per the contract the config is alive for this call.
    let compiled = unsafe { &*config.cast::<CompiledHttpFilter>() };
    match with_panic_quarantined(|| compiled.new_stream()) {
        Some(stream) => stream.as_ptr().cast_const().cast(),
        None => {
            emit_error(&format!(
                "dynagate filter {}: new_filter panicked; stream closed",
                compiled.name()
            ));
            null()
        }
    }
}
const _: hooks::OnHttpFilterNew = envoy_dynamic_module_on_http_filter_new;

/// Releases the stream (deferred by Envoy: never while another hook of it runs).
///
/// # Safety
/// `module` comes from `on_http_filter_new` and is released once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_destroy(
    module: abi::HttpFilterModulePtr,
) {
    if let Some(stream) = NonNull::new(module.cast::<StreamHeader>().cast_mut()) {
        // SAFETY: per the contract the stream is released exactly once, with no hook running.
        unsafe { destroy_stream(stream) };
    }
}
const _: hooks::OnHttpFilterDestroy = envoy_dynamic_module_on_http_filter_destroy;

// The async stream API (start_http_stream) is not offered by the SDK, so these events cannot
// occur; Envoy still requires the symbols.

/// Unused: async stream response headers.
///
/// # Safety
/// Never dereferences its arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_http_stream_headers(
    _envoy: abi::HttpFilterEnvoyPtr,
    _module: abi::HttpFilterModulePtr,
    _stream_id: u64,
    _headers: *mut EnvoyHttpHeader,
    _headers_size: usize,
    _end_stream: bool,
) {
}
const _: hooks::OnHttpFilterHttpStreamHeaders =
    envoy_dynamic_module_on_http_filter_http_stream_headers;

/// Unused: async stream response data.
///
/// # Safety
/// Never dereferences its arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_http_stream_data(
    _envoy: abi::HttpFilterEnvoyPtr,
    _module: abi::HttpFilterModulePtr,
    _stream_id: u64,
    _data: *const EnvoyBuffer,
    _data_count: usize,
    _end_stream: bool,
) {
}
const _: hooks::OnHttpFilterHttpStreamData = envoy_dynamic_module_on_http_filter_http_stream_data;

/// Unused: async stream response trailers.
///
/// # Safety
/// Never dereferences its arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_http_stream_trailers(
    _envoy: abi::HttpFilterEnvoyPtr,
    _module: abi::HttpFilterModulePtr,
    _stream_id: u64,
    _trailers: *mut EnvoyHttpHeader,
    _trailers_size: usize,
) {
}
const _: hooks::OnHttpFilterHttpStreamTrailers =
    envoy_dynamic_module_on_http_filter_http_stream_trailers;

/// Unused: async stream completed.
///
/// # Safety
/// Never dereferences its arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_http_stream_complete(
    _envoy: abi::HttpFilterEnvoyPtr,
    _module: abi::HttpFilterModulePtr,
    _stream_id: u64,
) {
}
const _: hooks::OnHttpFilterIdEvent = envoy_dynamic_module_on_http_filter_http_stream_complete;

/// Unused: async stream reset.
///
/// # Safety
/// Never dereferences its arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_http_stream_reset(
    _envoy: abi::HttpFilterEnvoyPtr,
    _module: abi::HttpFilterModulePtr,
    _stream_id: u64,
    _reason: abi::HttpStreamResetReason,
) {
}
const _: hooks::OnHttpFilterHttpStreamReset = envoy_dynamic_module_on_http_filter_http_stream_reset;
