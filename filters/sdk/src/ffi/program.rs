//! Module load: install the panic hook, build and check the registry, report the ABI version.

use crate::log::LogLevel;
use crate::panic::{install_envoy_panic_hook, with_panic_quarantined};
use crate::registry::Registry;
use core::ffi::c_char;
use dynagate_abi as abi;
use std::panic::Location;
use std::sync::OnceLock;

static REGISTRY: OnceLock<Registry> = OnceLock::new();

/// The registry installed at module load; `None` before `program_init` (or if it failed).
pub(super) fn registry() -> Option<&'static Registry> {
    REGISTRY.get()
}

/// Body of `envoy_dynamic_module_on_program_init` (emitted by `declare_module!`): installs the
/// panic hook, builds the registry, and returns the ABI version, or null (Envoy then refuses
/// the module) when the registry is invalid or building it panicked.
#[doc(hidden)]
pub fn program_init(build: fn() -> Registry) -> *const c_char {
    with_panic_quarantined(|| init(build)).unwrap_or(core::ptr::null())
}

fn init(build: fn() -> Registry) -> *const c_char {
    install_envoy_panic_hook();
    let Some(registry) = with_panic_quarantined(build) else {
        emit_error("dynagate: building the filter registry panicked; module not loaded");
        return core::ptr::null();
    };
    if let Err(error) = registry.validate() {
        emit_error(&format!(
            "dynagate: invalid registry: {error}; module not loaded"
        ));
        return core::ptr::null();
    }
    // A second program_init (Envoy loads a module once per process) keeps the first registry.
    let _ = REGISTRY.set(registry);
    abi::ABI_VERSION.as_ptr()
}

#[track_caller]
pub(super) fn emit_error(message: &str) {
    crate::log::envoy_emit(LogLevel::Error, message, Location::caller());
}
