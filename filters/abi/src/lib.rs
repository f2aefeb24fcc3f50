//! Raw `extern "C"` declarations for the Envoy 1.40 dynamic-module ABI (`v0.2.0`), written by us.
//!
//! Only what dynagate uses is declared. Envoy resolves callbacks by name and never checks their
//! signatures, so every declaration here was written against the `v0.2.0` interface text and is
//! guarded by the `abi_symbols` e2e test (names) and by the SDK's compile-time hook checks
//! (`hooks` aliases). Conventions of the C interface:
//!
//! * `*_envoy_ptr` are `*mut c_void`, `*_module_ptr` are `*const c_void`.
//! * Buffers are `{ptr, length}` structs passed **by value**; Envoy-owned buffers are valid only
//!   for the duration of the event hook that produced them.
//! * C enums are 32-bit integers; they are modelled as `#[repr(transparent)]` newtypes over `u32`
//!   with associated constants, so a value Envoy adds later is never undefined behaviour.
#![allow(
    unsafe_code,
    reason = "this crate is the raw FFI surface; every item is an extern declaration"
)]

mod access_logger;
mod common;
pub mod hooks;
mod http_filter;
mod stream_info;
mod types;

pub use access_logger::*;
pub use common::*;
pub use http_filter::*;
pub use stream_info::*;
pub use types::*;

/// The ABI version this crate declares; returned from `envoy_dynamic_module_on_program_init`.
pub const ABI_VERSION: &core::ffi::CStr = c"v0.2.0";
