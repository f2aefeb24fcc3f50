//! Panic plumbing: message extraction, a catch-all for cleanup code, and the process panic hook
//! that reports panics through Envoy's log instead of stderr.

use crate::log::{LogLevel, envoy_emit};
use core::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

/// The text of a panic payload (`panic!` with a literal or a formatted message).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "non-string panic payload"
    }
}

/// Runs cleanup code (drops, payload disposal) that must never unwind into Envoy: a panic is
/// swallowed (its payload leaked, since dropping it could panic again) and `None` returned.
pub(crate) fn with_panic_quarantined<R>(f: impl FnOnce() -> R) -> Option<R> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => Some(value),
        Err(payload) => {
            core::mem::forget(payload);
            None
        }
    }
}

/// Replaces the default panic hook (stderr, optional backtrace symbolisation on the request
/// path) with one line in Envoy's log. Installed once, at module load.
pub(crate) fn install_envoy_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let message = panic_message(info.payload());
            let location = info
                .location()
                .unwrap_or_else(|| std::panic::Location::caller());
            envoy_emit(
                LogLevel::Error,
                &format!("dynagate: panic: {message} at {location}"),
                location,
            );
        }));
    });
}
