//! Link-level contract between our modules and the pinned Envoy binary, checked with `nm -D`.
//!
//! Envoy binds a module by symbol name only: a callback the module calls but Envoy lacks fails
//! the load (`undefined symbol`), and a hook Envoy resolves but the module lacks fails the
//! config (`Failed to resolve symbol`). This test catches both before Envoy runs. (Signatures
//! are never checked by Envoy; the SDK pins them at compile time against `dynagate_abi::hooks`.)

use dynagate_e2e::{DYNAGATE_MODULE, PROBE_MODULE, envoy_binary, module_path};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

const CALLBACK_PREFIX: &str = "envoy_dynamic_module_callback_";

/// Every hook Envoy 1.40 resolves eagerly for the extension points we implement: the module
/// entry point, the 20 HTTP filter hooks, the 2 per-route hooks and the 5 access logger hooks.
const REQUIRED_HOOKS: [&str; 28] = [
    "envoy_dynamic_module_on_program_init",
    "envoy_dynamic_module_on_http_filter_config_new",
    "envoy_dynamic_module_on_http_filter_config_destroy",
    "envoy_dynamic_module_on_http_filter_new",
    "envoy_dynamic_module_on_http_filter_request_headers",
    "envoy_dynamic_module_on_http_filter_request_body",
    "envoy_dynamic_module_on_http_filter_request_trailers",
    "envoy_dynamic_module_on_http_filter_response_headers",
    "envoy_dynamic_module_on_http_filter_response_body",
    "envoy_dynamic_module_on_http_filter_response_trailers",
    "envoy_dynamic_module_on_http_filter_stream_complete",
    "envoy_dynamic_module_on_http_filter_destroy",
    "envoy_dynamic_module_on_http_filter_http_callout_done",
    "envoy_dynamic_module_on_http_filter_http_stream_headers",
    "envoy_dynamic_module_on_http_filter_http_stream_data",
    "envoy_dynamic_module_on_http_filter_http_stream_trailers",
    "envoy_dynamic_module_on_http_filter_http_stream_complete",
    "envoy_dynamic_module_on_http_filter_http_stream_reset",
    "envoy_dynamic_module_on_http_filter_scheduled",
    "envoy_dynamic_module_on_http_filter_downstream_above_write_buffer_high_watermark",
    "envoy_dynamic_module_on_http_filter_downstream_below_write_buffer_low_watermark",
    "envoy_dynamic_module_on_http_filter_per_route_config_new",
    "envoy_dynamic_module_on_http_filter_per_route_config_destroy",
    "envoy_dynamic_module_on_access_logger_config_new",
    "envoy_dynamic_module_on_access_logger_config_destroy",
    "envoy_dynamic_module_on_access_logger_new",
    "envoy_dynamic_module_on_access_logger_log",
    "envoy_dynamic_module_on_access_logger_destroy",
];

/// Dynamic symbols of `binary` (`defined` or undefined ones), without version suffixes.
fn dynamic_symbols(binary: &Path, defined: bool) -> BTreeSet<String> {
    let filter = if defined {
        "--defined-only"
    } else {
        "--undefined-only"
    };
    let output = Command::new("nm")
        .args(["-D", filter])
        .arg(binary)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `nm` (binutils) on {}: {e}", binary.display()));
    assert!(
        output.status.success(),
        "nm -D {filter} {} failed: {}",
        binary.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().last())
        .map(|symbol| symbol.split('@').next().unwrap_or(symbol).to_owned())
        .collect()
}

fn envoy_callbacks() -> BTreeSet<String> {
    let envoy = envoy_binary().unwrap_or_else(|e| panic!("{e}"));
    let callbacks: BTreeSet<String> = dynamic_symbols(&envoy, true)
        .into_iter()
        .filter(|s| s.starts_with(CALLBACK_PREFIX))
        .collect();
    // 1.40.0 exports 781; far fewer means we are not reading the binary we think we are.
    assert!(
        callbacks.len() > 500,
        "{} exports only {} dynamic-module callbacks; is it Envoy 1.40?",
        envoy.display(),
        callbacks.len()
    );
    callbacks
}

fn check_module(name: &str) {
    let module = module_path(name).unwrap_or_else(|e| panic!("{e}"));

    let called: BTreeSet<String> = dynamic_symbols(&module, false)
        .into_iter()
        .filter(|s| s.starts_with(CALLBACK_PREFIX))
        .collect();
    assert!(
        !called.is_empty(),
        "{} imports no Envoy callbacks: the SDK is not linked in?",
        module.display()
    );
    let available = envoy_callbacks();
    let missing: Vec<_> = called.difference(&available).collect();
    assert!(
        missing.is_empty(),
        "{} calls callbacks the pinned Envoy does not export (the load would fail with \
         `undefined symbol`): {missing:#?}",
        module.display()
    );

    let exported = dynamic_symbols(&module, true);
    let absent: Vec<_> = REQUIRED_HOOKS
        .iter()
        .filter(|hook| !exported.contains(**hook))
        .collect();
    assert!(
        absent.is_empty(),
        "{} does not export hooks Envoy resolves (config would fail with `Failed to resolve \
         symbol`): {absent:#?}",
        module.display()
    );
}

#[test]
fn dynagate_module_matches_the_pinned_envoy() {
    check_module(DYNAGATE_MODULE);
}

#[test]
fn probe_module_matches_the_pinned_envoy() {
    check_module(PROBE_MODULE);
}
