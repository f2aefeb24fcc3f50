//! One HTTP stream inside the module: the filter in a single allocation, and the guard that
//! runs every event (panic catching, fail-closed answer, poisoning, re-entrancy).
//!
//! Envoy may call `stream_complete` while another hook of the same filter is still on the stack
//! (a hook that ends the stream completes it inline). The filter lives in an `UnsafeCell` and is
//! only borrowed mutably while `in_hook` is set, so a re-entrant event never creates a second
//! `&mut` to it: `stream_complete` is deferred until the outer hook returns, anything else is
//! dropped with a log line. Envoy also runs this filter's next hooks synchronously from inside
//! `continue_decoding/encoding`; those calls are therefore deferred until the hook returned
//! (`StreamState::defer_continue`), so the nested hooks run normally.

use crate::error::CalloutFailure;
use crate::http::{
    BodyStatus, CalloutResponse, Direction, HeadersStatus, HttpFilter, HttpHost, TrailersStatus,
};
use crate::log::LogLevel;
use crate::panic::{panic_message, with_panic_quarantined};
use core::cell::{Cell, UnsafeCell};
use core::ptr::NonNull;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// `details` of the 500 local reply (and the reset) sent when a filter panics.
pub const PANIC_DETAILS: &str = "dynagate_panic";

/// An event of the stream, as delivered to the filter.
pub(crate) enum Event<'a> {
    RequestHeaders(bool),
    RequestBody(bool),
    RequestTrailers,
    ResponseHeaders(bool),
    ResponseBody(bool),
    ResponseTrailers,
    StreamComplete,
    CalloutDone(u64, Result<CalloutResponse<'a>, CalloutFailure>),
    Scheduled(u64),
    AboveHighWatermark,
    BelowLowWatermark,
}

impl Event<'_> {
    fn name(&self) -> &'static str {
        match self {
            Self::RequestHeaders(_) => "request_headers",
            Self::RequestBody(_) => "request_body",
            Self::RequestTrailers => "request_trailers",
            Self::ResponseHeaders(_) => "response_headers",
            Self::ResponseBody(_) => "response_body",
            Self::ResponseTrailers => "response_trailers",
            Self::StreamComplete => "stream_complete",
            Self::CalloutDone(..) => "http_callout_done",
            Self::Scheduled(_) => "scheduled",
            Self::AboveHighWatermark => "downstream_above_write_buffer_high_watermark",
            Self::BelowLowWatermark => "downstream_below_write_buffer_low_watermark",
        }
    }

    /// The answer when the filter is not (or no longer) run: hold everything, because a
    /// poisoned stream has already been answered or reset.
    fn held(&self) -> Outcome {
        match self {
            Self::RequestHeaders(_) | Self::ResponseHeaders(_) => {
                Outcome::Headers(HeadersStatus::StopIteration)
            }
            Self::RequestBody(_) | Self::ResponseBody(_) => {
                Outcome::Body(BodyStatus::StopIterationNoBuffer)
            }
            Self::RequestTrailers | Self::ResponseTrailers => {
                Outcome::Trailers(TrailersStatus::StopIteration)
            }
            _ => Outcome::Done,
        }
    }
}

/// What an event returns to Envoy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Headers(HeadersStatus),
    Body(BodyStatus),
    Trailers(TrailersStatus),
    Done,
}

/// Guard bookkeeping of one stream; `Cell`s because re-entrant calls see it through `&`.
#[derive(Debug, Default)]
pub(crate) struct StreamState {
    in_hook: Cell<bool>,
    poisoned: Cell<bool>,
    completed: Cell<bool>,
    complete_pending: Cell<bool>,
    response_headers_passed: Cell<bool>,
    /// Set by the Envoy host when the filter sends a local reply.
    pub(crate) local_reply_sent: Cell<bool>,
    /// `continue_request` / `continue_response` called during a hook: Envoy may run this
    /// filter's hooks synchronously from inside them, so they are performed once the hook
    /// returned (see `take_deferred_continue`).
    deferred_continue: [Cell<bool>; 2],
}

impl StreamState {
    /// Whether a filter method is running right now.
    pub(crate) fn in_hook(&self) -> bool {
        self.in_hook.get()
    }

    /// Records a continue requested by the running hook.
    pub(crate) fn defer_continue(&self, direction: Direction) {
        self.deferred_continue[direction as usize].set(true);
    }

    /// Takes a deferred continue; dropped if the stream was answered by the guard or ended.
    pub(crate) fn take_deferred_continue(&self, direction: Direction) -> bool {
        let requested = self.deferred_continue[direction as usize].replace(false);
        requested && !self.poisoned.get() && !self.completed.get()
    }
}

/// The type-erased head of a stream allocation; Envoy holds a pointer to it.
pub(crate) struct StreamHeader {
    name: &'static str,
    pub(crate) state: StreamState,
    /// Points into the same allocation (the `filter` field of `StreamSlot<F>`).
    filter: *mut dyn HttpFilter,
    drop_slot: unsafe fn(*mut StreamHeader),
}

/// One allocation per stream: the header followed by the concrete filter.
#[repr(C)]
struct StreamSlot<F> {
    header: StreamHeader,
    filter: UnsafeCell<F>,
}

/// Allocates a stream for `filter` of the filter registered as `name`.
pub(crate) fn new_stream<F: HttpFilter>(name: &'static str, filter: F) -> NonNull<StreamHeader> {
    let dangling: *mut dyn HttpFilter = core::ptr::null_mut::<F>();
    let slot = Box::into_raw(Box::new(StreamSlot {
        header: StreamHeader {
            name,
            state: StreamState::default(),
            filter: dangling,
            drop_slot: drop_slot::<F>,
        },
        filter: UnsafeCell::new(filter),
    }));
    // SAFETY: `slot` is a fresh, valid allocation; we only write the header's pointer field
    // with a pointer derived from `slot` itself (so it carries the allocation's provenance).
    unsafe {
        (*slot).header.filter = (*slot).filter.get();
        // `repr(C)` puts the header at offset 0, so the slot pointer is a header pointer.
        NonNull::new_unchecked(slot.cast::<StreamHeader>())
    }
}

/// Frees a stream created by `new_stream::<F>`.
unsafe fn drop_slot<F>(header: *mut StreamHeader) {
    // SAFETY: the caller passes a pointer from `new_stream::<F>` exactly once.
    drop(unsafe { Box::from_raw(header.cast::<StreamSlot<F>>()) });
}

/// Frees a stream. A panic in the filter's `Drop` is caught and the allocation leaked.
///
/// # Safety
/// `header` comes from `new_stream` and is not used afterwards (and no hook is running).
pub(crate) unsafe fn destroy_stream(header: NonNull<StreamHeader>) {
    let raw = header.as_ptr();
    // SAFETY: per the contract the pointer is live; `drop_slot` was set for its concrete type.
    let drop_slot = unsafe { (*raw).drop_slot };
    // SAFETY: as above; ownership ends here.
    let dropped = with_panic_quarantined(|| unsafe { drop_slot(raw) });
    let _ = dropped;
}

impl StreamHeader {
    /// Runs `event` on the filter under the guard and returns the answer for Envoy.
    pub(crate) fn handle(&self, host: &mut dyn HttpHost, event: Event<'_>) -> Outcome {
        let state = &self.state;
        if state.in_hook.get() {
            if matches!(event, Event::StreamComplete) {
                state.complete_pending.set(true);
            } else {
                host.log(
                    LogLevel::Warn,
                    &format!(
                        "dynagate filter {}: dropped re-entrant {}",
                        self.name,
                        event.name()
                    ),
                );
            }
            return event.held();
        }
        if matches!(event, Event::StreamComplete) {
            state.completed.set(true);
        }
        if state.poisoned.get() {
            return event.held();
        }
        let is_response_headers = matches!(event, Event::ResponseHeaders(_));
        let outcome = self.run(host, event);
        if is_response_headers && matches!(outcome, Outcome::Headers(s) if s.continues()) {
            state.response_headers_passed.set(true);
        }
        if state.complete_pending.replace(false) && !state.poisoned.get() {
            self.run(host, Event::StreamComplete);
        }
        outcome
    }

    fn run(&self, host: &mut dyn HttpHost, event: Event<'_>) -> Outcome {
        let event_name = event.name();
        let held = event.held();
        let is_complete = matches!(event, Event::StreamComplete);
        self.state.in_hook.set(true);
        let result = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: `filter` points into this live allocation; `in_hook` guarantees this is
            // the only `&mut` to it (re-entrant calls return before reaching here).
            let filter = unsafe { &mut *self.filter };
            deliver(filter, host, event)
        }));
        self.state.in_hook.set(false);
        match result {
            Ok(outcome) => outcome,
            Err(payload) => {
                self.state.poisoned.set(true);
                let message = panic_message(&*payload);
                let answer = if is_complete || self.state.completed.get() {
                    "nothing (stream already complete)"
                } else if self.state.response_headers_passed.get() || host.sent_local_reply() {
                    host.reset_stream(PANIC_DETAILS);
                    "stream reset"
                } else {
                    host.send_response(500, &[], b"", Some(PANIC_DETAILS));
                    "500"
                };
                host.log(
                    LogLevel::Error,
                    &format!(
                        "dynagate filter {} panicked in {event_name}: {message}; answered {answer}",
                        self.name
                    ),
                );
                with_panic_quarantined(move || drop(payload));
                held
            }
        }
    }
}

fn deliver(filter: &mut dyn HttpFilter, host: &mut dyn HttpHost, event: Event<'_>) -> Outcome {
    match event {
        Event::RequestHeaders(eos) => Outcome::Headers(filter.on_request_headers(host, eos)),
        Event::RequestBody(eos) => Outcome::Body(filter.on_request_body(host, eos)),
        Event::RequestTrailers => Outcome::Trailers(filter.on_request_trailers(host)),
        Event::ResponseHeaders(eos) => Outcome::Headers(filter.on_response_headers(host, eos)),
        Event::ResponseBody(eos) => Outcome::Body(filter.on_response_body(host, eos)),
        Event::ResponseTrailers => Outcome::Trailers(filter.on_response_trailers(host)),
        Event::StreamComplete => {
            filter.on_stream_complete(host);
            Outcome::Done
        }
        Event::CalloutDone(id, response) => {
            filter.on_http_callout_done(host, id, response);
            Outcome::Done
        }
        Event::Scheduled(id) => {
            filter.on_scheduled(host, id);
            Outcome::Done
        }
        Event::AboveHighWatermark => {
            filter.on_downstream_above_write_buffer_high_watermark(host);
            Outcome::Done
        }
        Event::BelowLowWatermark => {
            filter.on_downstream_below_write_buffer_low_watermark(host);
            Outcome::Done
        }
    }
}

/// Owns one stream allocation outside Envoy (fake-host tests drive it through the same guard).
#[cfg(any(test, feature = "testing"))]
pub(crate) struct OwnedStream(NonNull<StreamHeader>);

#[cfg(any(test, feature = "testing"))]
impl OwnedStream {
    pub(crate) fn new<F: HttpFilter>(name: &'static str, filter: F) -> Self {
        Self(new_stream(name, filter))
    }

    pub(crate) fn handle(&mut self, host: &mut dyn HttpHost, event: Event<'_>) -> Outcome {
        // SAFETY: we own the live allocation; `&mut self` rules out concurrent use.
        unsafe { self.0.as_ref() }.handle(host, event)
    }
}

#[cfg(any(test, feature = "testing"))]
impl Drop for OwnedStream {
    fn drop(&mut self) {
        // SAFETY: created by `new_stream`, released exactly once here.
        unsafe { destroy_stream(self.0) }
    }
}

#[cfg(test)]
mod tests;
