//! `FakeStream`: drives a filter through stream events under the SDK's real guard, emulating
//! how Envoy buffers and forwards body data for each `BodyStatus`.

use super::http_host::FakeHttpHost;
use super::message::{Exchange, FakeMessage};
use crate::error::CalloutFailure;
use crate::http::{
    BodyBuffer, BodyStatus, CalloutResponse, Direction, HeaderMap, HeadersStatus, HttpFilter,
    HttpHost, TrailersStatus,
};
use crate::stream::{Event, Outcome, OwnedStream};

/// One stream of one filter, on a `FakeHttpHost`.
///
/// Body emulation per direction: each chunk is placed in the *received* buffer; after the hook,
/// `Continue` forwards buffered + received data, `StopIterationAndBuffer`/`Watermark` move it
/// into the *buffered* buffer, `StopIterationNoBuffer` drops it. Data still buffered is
/// forwarded when the filter calls `continue_request`/`continue_response`.
pub struct FakeStream {
    stream: OwnedStream,
    host: FakeHttpHost,
    forwarded: [Vec<u8>; 2],
    continued_seen: [usize; 2],
}

impl core::fmt::Debug for FakeStream {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FakeStream")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

const fn index(direction: Direction) -> usize {
    match direction {
        Direction::Request => 0,
        Direction::Response => 1,
    }
}

impl FakeStream {
    /// A stream of `filter` on an empty host.
    pub fn new<F: HttpFilter>(filter: F) -> Self {
        Self::with_host(filter, FakeHttpHost::new())
    }

    /// A stream of `filter` on `host` (prepared with headers, route config, metrics, ...).
    pub fn with_host<F: HttpFilter>(filter: F, host: FakeHttpHost) -> Self {
        Self {
            stream: OwnedStream::new("under_test", filter),
            host,
            forwarded: [Vec::new(), Vec::new()],
            continued_seen: [0, 0],
        }
    }

    /// The host, for assertions.
    pub fn host(&self) -> &FakeHttpHost {
        &self.host
    }

    /// The host, e.g. to set response headers before `response_headers`.
    pub fn host_mut(&mut self) -> &mut FakeHttpHost {
        &mut self.host
    }

    /// Body bytes passed on so far in `direction` (upstream for requests).
    pub fn forwarded_body(&self, direction: Direction) -> &[u8] {
        &self.forwarded[index(direction)]
    }

    fn run(&mut self, event: Event<'_>) -> Outcome {
        let outcome = self.stream.handle(&mut self.host, event);
        for direction in [Direction::Request, Direction::Response] {
            let now = self.host.continued(direction);
            if now != self.continued_seen[index(direction)] {
                self.continued_seen[index(direction)] = now;
                let buffered = core::mem::take(self.host.body_mut(BodyBuffer::buffered(direction)));
                self.forwarded[index(direction)].extend_from_slice(&buffered);
            }
        }
        outcome
    }

    fn headers_event(&mut self, event: Event<'_>) -> HeadersStatus {
        match self.run(event) {
            Outcome::Headers(status) => status,
            _ => HeadersStatus::StopIteration,
        }
    }

    fn trailers_event(&mut self, event: Event<'_>) -> TrailersStatus {
        match self.run(event) {
            Outcome::Trailers(status) => status,
            _ => TrailersStatus::StopIteration,
        }
    }

    fn body_event(
        &mut self,
        direction: Direction,
        chunk: &[u8],
        end_of_stream: bool,
    ) -> BodyStatus {
        let received = BodyBuffer::received(direction);
        *self.host.body_mut(received) = chunk.to_vec();
        let event = match direction {
            Direction::Request => Event::RequestBody(end_of_stream),
            Direction::Response => Event::ResponseBody(end_of_stream),
        };
        let status = match self.run(event) {
            Outcome::Body(status) => status,
            _ => BodyStatus::StopIterationNoBuffer,
        };
        let data = core::mem::take(self.host.body_mut(received));
        let buffered = BodyBuffer::buffered(direction);
        match status {
            BodyStatus::Continue => {
                let held = core::mem::take(self.host.body_mut(buffered));
                self.forwarded[index(direction)].extend_from_slice(&held);
                self.forwarded[index(direction)].extend_from_slice(&data);
            }
            BodyStatus::StopIterationAndBuffer | BodyStatus::StopIterationAndWatermark => {
                self.host.body_mut(buffered).extend_from_slice(&data);
            }
            BodyStatus::StopIterationNoBuffer => {}
        }
        status
    }

    /// Runs `on_request_headers` on the host's current request headers.
    pub fn request_headers(&mut self, end_of_stream: bool) -> HeadersStatus {
        self.headers_event(Event::RequestHeaders(end_of_stream))
    }

    /// Runs `on_request_body` with `chunk` as the received data.
    pub fn request_body(&mut self, chunk: &[u8], end_of_stream: bool) -> BodyStatus {
        self.body_event(Direction::Request, chunk, end_of_stream)
    }

    /// Runs `on_request_trailers` on the host's current request trailers.
    pub fn request_trailers(&mut self) -> TrailersStatus {
        self.trailers_event(Event::RequestTrailers)
    }

    /// Runs `on_response_headers` on the host's current response headers.
    pub fn response_headers(&mut self, end_of_stream: bool) -> HeadersStatus {
        self.headers_event(Event::ResponseHeaders(end_of_stream))
    }

    /// Runs `on_response_body` with `chunk` as the received data.
    pub fn response_body(&mut self, chunk: &[u8], end_of_stream: bool) -> BodyStatus {
        self.body_event(Direction::Response, chunk, end_of_stream)
    }

    /// Runs `on_response_trailers` on the host's current response trailers.
    pub fn response_trailers(&mut self) -> TrailersStatus {
        self.trailers_event(Event::ResponseTrailers)
    }

    /// Runs `on_stream_complete`.
    pub fn complete(&mut self) {
        self.run(Event::StreamComplete);
    }

    /// Delivers the result of callout `callout_id`.
    pub fn callout_done(
        &mut self,
        callout_id: u64,
        response: Result<CalloutResponse<'_>, CalloutFailure>,
    ) {
        self.run(Event::CalloutDone(callout_id, response));
    }

    /// Delivers a scheduler event.
    pub fn scheduled(&mut self, event_id: u64) {
        self.run(Event::Scheduled(event_id));
    }

    fn answered(&self) -> bool {
        self.host.sent_local_reply() || !self.host.resets().is_empty()
    }

    fn outcome(&self, upstream: Option<FakeMessage>, downstream: Option<FakeMessage>) -> Exchange {
        Exchange {
            upstream,
            downstream,
            local_reply: self.host.local_replies().first().cloned(),
            reset: self.host.resets().first().cloned(),
        }
    }

    /// Sends one message through the filter in `direction`; false if the filter answered.
    fn pass(&mut self, direction: Direction, message: FakeMessage) -> bool {
        let (header_map, trailer_map) = match direction {
            Direction::Request => (HeaderMap::RequestHeaders, HeaderMap::RequestTrailers),
            Direction::Response => (HeaderMap::ResponseHeaders, HeaderMap::ResponseTrailers),
        };
        let has_trailers = !message.trailers.is_empty();
        let ends_at_headers = message.chunks.is_empty() && !has_trailers;
        self.host.replace_headers(header_map, message.headers);
        match direction {
            Direction::Request => self.request_headers(ends_at_headers),
            Direction::Response => self.response_headers(ends_at_headers),
        };
        let count = message.chunks.len();
        for (i, chunk) in message.chunks.iter().enumerate() {
            if self.answered() {
                return false;
            }
            self.body_event(direction, chunk, i + 1 == count && !has_trailers);
        }
        if has_trailers && !self.answered() {
            self.host.replace_headers(trailer_map, message.trailers);
            match direction {
                Direction::Request => self.request_trailers(),
                Direction::Response => self.response_trailers(),
            };
        }
        !self.answered()
    }

    fn forwarded_message(&self, direction: Direction) -> FakeMessage {
        let (header_map, trailer_map) = match direction {
            Direction::Request => (HeaderMap::RequestHeaders, HeaderMap::RequestTrailers),
            Direction::Response => (HeaderMap::ResponseHeaders, HeaderMap::ResponseTrailers),
        };
        let body = &self.forwarded[index(direction)];
        FakeMessage {
            headers: self.host.header_map(header_map),
            chunks: if body.is_empty() {
                Vec::new()
            } else {
                vec![body.clone()]
            },
            trailers: self.host.header_map(trailer_map),
        }
    }

    /// Runs a whole exchange: `request` through the request hooks, then (unless the filter
    /// answered) `response` through the response hooks, then `on_stream_complete`.
    pub fn exchange(&mut self, request: FakeMessage, response: FakeMessage) -> Exchange {
        let passed = self.pass(Direction::Request, request);
        if !passed {
            self.complete();
            return self.outcome(None, None);
        }
        let upstream = self.forwarded_message(Direction::Request);
        let passed = self.pass(Direction::Response, response);
        self.complete();
        let downstream = passed.then(|| self.forwarded_message(Direction::Response));
        self.outcome(Some(upstream), downstream)
    }
}
