//! The exported per-stream event hooks: recover the stream, build a stack host, run the event
//! under the guard, perform deferred continues, map the answer to the ABI status.

use super::buffers::{envoy_buffer_array, envoy_header_array};
use super::http_host::{EnvoyHttpHost, continue_now};
use crate::error::CalloutFailure;
use crate::http::{BodyStatus, CalloutResponse, Direction, HeadersStatus, TrailersStatus};
use crate::panic::with_panic_quarantined;
use crate::stream::{Event, Outcome, StreamHeader};
use dynagate_abi::{self as abi, EnvoyBuffer, EnvoyHttpHeader, hooks};

/// Runs one event of a stream under the guard.
///
/// # Safety
/// `envoy` and `module` are the pointers Envoy passed to the running hook; `module` comes from
/// `on_http_filter_new` and has not been destroyed.
unsafe fn dispatch(
    envoy: abi::HttpFilterEnvoyPtr,
    module: abi::HttpFilterModulePtr,
    event: Event<'_>,
    held: Outcome,
) -> Outcome {
    // SAFETY: per the contract the stream is alive; only shared access to the header is made
    // here, the filter itself is reached through the guard.
    let stream = unsafe { &*module.cast::<StreamHeader>() };
    // SAFETY: `envoy` is the running hook's filter pointer.
    let mut host = unsafe { EnvoyHttpHost::new(envoy, &stream.state) };
    let outcome = with_panic_quarantined(|| stream.handle(&mut host, event)).unwrap_or(held);
    // Continues requested by the filter run now that it is no longer borrowed; Envoy may call
    // back into this stream's hooks from inside them.
    for direction in [Direction::Request, Direction::Response] {
        if stream.state.take_deferred_continue(direction) {
            // SAFETY: the filter pointer is still the running hook's; no filter borrow is live.
            unsafe { continue_now(envoy, direction) };
        }
    }
    outcome
}

macro_rules! status_hook {
    ($(#[$doc:meta])* $hook:ident, $check:ty, $variant:ident, $abi:ty, $held:expr, |$eos:ident| $event:expr) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// Called by Envoy with the stream's pointers.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $hook(
            envoy: abi::HttpFilterEnvoyPtr,
            module: abi::HttpFilterModulePtr,
            $eos: bool,
        ) -> $abi {
            let held = Outcome::$variant($held);
            // SAFETY: forwarded hook contract.
            match unsafe { dispatch(envoy, module, $event, held) } {
                Outcome::$variant(status) => status.to_abi(),
                _ => $held.to_abi(),
            }
        }
        const _: $check = $hook;
    };
}

status_hook!(
    /// Request headers.
    envoy_dynamic_module_on_http_filter_request_headers, hooks::OnHttpFilterHeaders, Headers,
    abi::HeadersStatus, HeadersStatus::StopIteration, |eos| Event::RequestHeaders(eos)
);
status_hook!(
    /// A request body chunk.
    envoy_dynamic_module_on_http_filter_request_body, hooks::OnHttpFilterBody, Body,
    abi::BodyStatus, BodyStatus::StopIterationNoBuffer, |eos| Event::RequestBody(eos)
);
status_hook!(
    /// Response headers.
    envoy_dynamic_module_on_http_filter_response_headers, hooks::OnHttpFilterHeaders, Headers,
    abi::HeadersStatus, HeadersStatus::StopIteration, |eos| Event::ResponseHeaders(eos)
);
status_hook!(
    /// A response body chunk.
    envoy_dynamic_module_on_http_filter_response_body, hooks::OnHttpFilterBody, Body,
    abi::BodyStatus, BodyStatus::StopIterationNoBuffer, |eos| Event::ResponseBody(eos)
);

macro_rules! trailers_hook {
    ($(#[$doc:meta])* $hook:ident, $event:expr) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// Called by Envoy with the stream's pointers.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $hook(
            envoy: abi::HttpFilterEnvoyPtr,
            module: abi::HttpFilterModulePtr,
        ) -> abi::TrailersStatus {
            let held = Outcome::Trailers(TrailersStatus::StopIteration);
            // SAFETY: forwarded hook contract.
            match unsafe { dispatch(envoy, module, $event, held) } {
                Outcome::Trailers(status) => status.to_abi(),
                _ => TrailersStatus::StopIteration.to_abi(),
            }
        }
        const _: hooks::OnHttpFilterTrailers = $hook;
    };
}

trailers_hook!(
    /// Request trailers.
    envoy_dynamic_module_on_http_filter_request_trailers, Event::RequestTrailers
);
trailers_hook!(
    /// Response trailers.
    envoy_dynamic_module_on_http_filter_response_trailers, Event::ResponseTrailers
);

macro_rules! event_hook {
    ($(#[$doc:meta])* $hook:ident, $event:expr) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// Called by Envoy with the stream's pointers.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $hook(envoy: abi::HttpFilterEnvoyPtr, module: abi::HttpFilterModulePtr) {
            // SAFETY: forwarded hook contract.
            unsafe { dispatch(envoy, module, $event, Outcome::Done) };
        }
        const _: hooks::OnHttpFilterEvent = $hook;
    };
}

event_hook!(
    /// The stream completed (may arrive while another hook is on the stack).
    envoy_dynamic_module_on_http_filter_stream_complete, Event::StreamComplete
);
event_hook!(
    /// Downstream write buffer above its high watermark.
    envoy_dynamic_module_on_http_filter_downstream_above_write_buffer_high_watermark,
    Event::AboveHighWatermark
);
event_hook!(
    /// Downstream write buffer back below its low watermark.
    envoy_dynamic_module_on_http_filter_downstream_below_write_buffer_low_watermark,
    Event::BelowLowWatermark
);

/// A stream scheduler event.
///
/// # Safety
/// Called by Envoy with the stream's pointers.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_scheduled(
    envoy: abi::HttpFilterEnvoyPtr,
    module: abi::HttpFilterModulePtr,
    event_id: u64,
) {
    // SAFETY: forwarded hook contract.
    unsafe { dispatch(envoy, module, Event::Scheduled(event_id), Outcome::Done) };
}
const _: hooks::OnHttpFilterIdEvent = envoy_dynamic_module_on_http_filter_scheduled;

/// A callout finished; headers and body are valid for this call only.
///
/// # Safety
/// Called by Envoy with the stream's pointers and arrays of the given sizes (or null).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_http_callout_done(
    envoy: abi::HttpFilterEnvoyPtr,
    module: abi::HttpFilterModulePtr,
    callout_id: u64,
    result: abi::HttpCalloutResult,
    headers: *mut EnvoyHttpHeader,
    headers_size: usize,
    body_chunks: *mut EnvoyBuffer,
    body_chunks_size: usize,
) {
    let response = match result {
        abi::HttpCalloutResult::SUCCESS => {
            // SAFETY: Envoy passes arrays of the given sizes, valid for this hook.
            let headers = unsafe { envoy_header_array(headers, headers_size) };
            // SAFETY: as above.
            let body = unsafe { envoy_buffer_array(body_chunks, body_chunks_size) };
            Ok(CalloutResponse::new(headers, body))
        }
        abi::HttpCalloutResult::RESET => Err(CalloutFailure::Reset),
        abi::HttpCalloutResult::EXCEED_RESPONSE_BUFFER_LIMIT => {
            Err(CalloutFailure::ResponseTooLarge)
        }
        other => Err(CalloutFailure::Unknown(other.0)),
    };
    // SAFETY: forwarded hook contract.
    unsafe {
        dispatch(
            envoy,
            module,
            Event::CalloutDone(callout_id, response),
            Outcome::Done,
        )
    };
}
const _: hooks::OnHttpFilterHttpCalloutDone = envoy_dynamic_module_on_http_filter_http_callout_done;
