//! Safe layer over the Envoy dynamic-module ABI: filter and logger traits, host trait, panic guard.
//!
//! A filter crate implements [`HttpFilterFactory`] (JSON -> compiled config),
//! [`HttpFilterConfig`] (config -> one filter per stream) and [`HttpFilter`] (the stream's
//! events), talking to Envoy only through [`HttpHost`]. The module cdylib lists factories in a
//! [`Registry`] and calls [`declare_module!`]. Filter logic is unit-tested against
//! `testing::FakeHttpHost` (feature `testing`), without Envoy.
//!
//! Every exported hook runs under one guard: a panic is caught, logged through Envoy, and
//! answered fail-closed (500 before the response started, stream reset after); the filter is
//! not called again and nothing unwinds into Envoy.
#![allow(
    unsafe_code,
    reason = "the FFI boundary: exported hooks and raw callbacks; each block has a SAFETY note"
)]

mod access_log;
mod config;
mod error;
mod ffi;
mod http;
mod log;
mod metrics;
mod panic;
mod registry;
mod scheduler;
mod stream;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use access_log::{
    AccessLogHost, AccessLogger, AccessLoggerConfig, AccessLoggerFactory, StreamBytes, StreamTiming,
};
pub use config::ConfigContext;
pub use dynagate_abi::{AccessLogType, AttributeId};
pub use error::{CalloutError, CalloutFailure, ConfigError, MetricError, parse_json};
pub use http::{
    BodyBuffer, BodyStatus, CalloutRequest, CalloutResponse, Direction, HeaderMap, HeadersStatus,
    HttpFilter, HttpFilterConfig, HttpFilterFactory, HttpHost, MetadataSource, RouteConfig,
    TrailersStatus,
};
pub use log::LogLevel;
pub use metrics::{Counter, Gauge, Histogram};
pub use registry::{CompiledAccessLogger, CompiledHttpFilter, Registry, RegistryError};
pub use scheduler::Scheduler;
pub use stream::PANIC_DETAILS;

#[doc(hidden)]
pub mod __private {
    pub use crate::ffi::program_init;
    pub use dynagate_abi as abi;
}

/// Declares the module: emits `envoy_dynamic_module_on_program_init`, which installs the
/// registry built by `$registry` (a `fn() -> Registry`) and reports ABI `v0.2.0`. Use it once,
/// in the cdylib crate. The other hooks come from the SDK itself.
///
/// ```text
/// fn registry() -> dynagate_sdk::Registry {
///     dynagate_sdk::Registry::new().http_filter("transformation", TransformationFactory)
/// }
/// dynagate_sdk::declare_module!(registry);
/// ```
#[macro_export]
macro_rules! declare_module {
    ($registry:path) => {
        /// Module entry point: called once by Envoy when it loads this library.
        #[unsafe(no_mangle)]
        pub extern "C" fn envoy_dynamic_module_on_program_init() -> *const ::core::ffi::c_char {
            $crate::__private::program_init($registry)
        }
        const _: $crate::__private::abi::hooks::OnProgramInit =
            envoy_dynamic_module_on_program_init;
    };
}
