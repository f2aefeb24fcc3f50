//! Test-only dynamic module exercising the SDK surface in e2e tests; never shipped.
//!
//! `libdynagate_probe.so` registers:
//! * HTTP filter `probe` ([`filter`]): header edits, whole-body rewrites, per-route override,
//!   metadata and filter state writes, metrics, callouts, schedulers, local replies and panics on
//!   demand, all driven by its JSON config and by `x-probe-*` request headers.
//! * Access logger `probe_log` ([`logger`]): one JSON line per event to a file from its config.

pub mod filter;
pub mod logger;
pub mod settings;

use dynagate_sdk::Registry;

/// Name of the probe HTTP filter (`filter_name`, in the listener filter and per route).
pub const PROBE_FILTER: &str = "probe";
/// Name of the probe access logger (`logger_name`).
pub const PROBE_LOGGER: &str = "probe_log";

fn registry() -> Registry {
    Registry::new()
        .http_filter(PROBE_FILTER, filter::ProbeFactory)
        .access_logger(PROBE_LOGGER, logger::ProbeLogFactory)
}

dynagate_sdk::declare_module!(registry);
