//! The Envoy side: every exported event hook, and the host/context traits implemented over the
//! raw callbacks. Raw pointers are only touched here and in `stream` (the stream allocation).
//!
//! The hooks are `#[no_mangle]` functions in this rlib; a cdylib that links the SDK exports them
//! (verified with `nm -D` by the `abi_symbols` e2e test). Only `envoy_dynamic_module_on_program_init`
//! is emitted by `declare_module!` in the cdylib, because it names the module's registry.

mod access_logger;
mod buffers;
mod config_context;
mod http_events;
mod http_filter;
mod http_host;
mod program;
mod stream_info;

#[doc(hidden)]
pub use program::program_init;
