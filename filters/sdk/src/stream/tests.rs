use super::*;
use crate::http::HeaderMap;
use crate::testing::FakeHttpHost;
use std::cell::RefCell;
use std::rc::Rc;

type Journal = Rc<RefCell<Vec<String>>>;

/// Records every call; panics in the hook named by `panic_in`.
struct Recorder {
    journal: Journal,
    panic_in: Option<&'static str>,
    reply_first: bool,
}

impl Recorder {
    fn new(panic_in: Option<&'static str>) -> (Self, Journal) {
        let journal = Journal::default();
        (
            Self {
                journal: Rc::clone(&journal),
                panic_in,
                reply_first: false,
            },
            journal,
        )
    }

    fn enter(&self, hook: &str) {
        self.journal.borrow_mut().push(hook.to_owned());
        if self.panic_in == Some(hook) {
            panic!("boom in {hook}");
        }
    }
}

impl HttpFilter for Recorder {
    fn on_request_headers(&mut self, host: &mut dyn HttpHost, _eos: bool) -> HeadersStatus {
        if self.reply_first {
            host.send_response(403, &[], b"denied", Some("test_denied"));
        }
        self.enter("request_headers");
        HeadersStatus::Continue
    }

    fn on_request_body(&mut self, _host: &mut dyn HttpHost, _eos: bool) -> BodyStatus {
        self.enter("request_body");
        BodyStatus::Continue
    }

    fn on_response_headers(&mut self, _host: &mut dyn HttpHost, _eos: bool) -> HeadersStatus {
        self.enter("response_headers");
        HeadersStatus::Continue
    }

    fn on_response_body(&mut self, _host: &mut dyn HttpHost, _eos: bool) -> BodyStatus {
        self.enter("response_body");
        BodyStatus::Continue
    }

    fn on_stream_complete(&mut self, _host: &mut dyn HttpHost) {
        self.enter("stream_complete");
    }
}

fn journal_of(journal: &Journal) -> Vec<String> {
    journal.borrow().clone()
}

#[test]
fn events_reach_the_filter_and_return_its_status() {
    let (filter, journal) = Recorder::new(None);
    let mut stream = OwnedStream::new("recorder", filter);
    let mut host = FakeHttpHost::new();
    let outcome = stream.handle(&mut host, Event::RequestHeaders(true));
    assert_eq!(outcome, Outcome::Headers(HeadersStatus::Continue));
    stream.handle(&mut host, Event::StreamComplete);
    assert_eq!(journal_of(&journal), ["request_headers", "stream_complete"]);
    assert!(host.local_replies().is_empty());
}

#[test]
fn a_panic_on_the_request_path_answers_500_and_poisons_the_filter() {
    let (filter, journal) = Recorder::new(Some("request_headers"));
    let mut stream = OwnedStream::new("recorder", filter);
    let mut host = FakeHttpHost::new();

    let outcome = stream.handle(&mut host, Event::RequestHeaders(false));
    assert_eq!(outcome, Outcome::Headers(HeadersStatus::StopIteration));
    let replies = host.local_replies();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].status, 500);
    assert_eq!(replies[0].details.as_deref(), Some(PANIC_DETAILS));
    assert!(host.resets().is_empty());

    // The filter is never called again; its events are held.
    let outcome = stream.handle(&mut host, Event::RequestBody(true));
    assert_eq!(outcome, Outcome::Body(BodyStatus::StopIterationNoBuffer));
    stream.handle(&mut host, Event::StreamComplete);
    assert_eq!(journal_of(&journal), ["request_headers"]);

    let logs = host.logs();
    let (level, line) = logs.last().expect("guard logs the panic");
    assert_eq!(*level, LogLevel::Error);
    assert!(
        line.contains("recorder panicked in request_headers: boom in request_headers"),
        "{line}"
    );
    assert!(line.ends_with("answered 500"), "{line}");
}

#[test]
fn a_panic_in_response_headers_still_answers_500() {
    let (filter, _journal) = Recorder::new(Some("response_headers"));
    let mut stream = OwnedStream::new("recorder", filter);
    let mut host = FakeHttpHost::new();
    stream.handle(&mut host, Event::RequestHeaders(true));
    stream.handle(&mut host, Event::ResponseHeaders(false));
    assert_eq!(host.local_replies().len(), 1);
    assert!(host.resets().is_empty());
}

#[test]
fn a_panic_after_response_headers_passed_resets_the_stream() {
    let (filter, _journal) = Recorder::new(Some("response_body"));
    let mut stream = OwnedStream::new("recorder", filter);
    let mut host = FakeHttpHost::new();
    stream.handle(&mut host, Event::RequestHeaders(true));
    stream.handle(&mut host, Event::ResponseHeaders(false));
    let outcome = stream.handle(&mut host, Event::ResponseBody(true));
    assert_eq!(outcome, Outcome::Body(BodyStatus::StopIterationNoBuffer));
    assert_eq!(host.resets(), [PANIC_DETAILS]);
    assert!(host.local_replies().is_empty());
}

#[test]
fn a_panic_after_the_filter_answered_itself_resets_instead_of_answering_twice() {
    let (mut filter, _journal) = Recorder::new(Some("request_headers"));
    filter.reply_first = true;
    let mut stream = OwnedStream::new("recorder", filter);
    let mut host = FakeHttpHost::new();
    stream.handle(&mut host, Event::RequestHeaders(true));
    assert_eq!(host.local_replies().len(), 1, "only the filter's own reply");
    assert_eq!(host.local_replies()[0].status, 403);
    assert_eq!(host.resets(), [PANIC_DETAILS]);
}

#[test]
fn a_panic_in_stream_complete_answers_nothing() {
    let (filter, _journal) = Recorder::new(Some("stream_complete"));
    let mut stream = OwnedStream::new("recorder", filter);
    let mut host = FakeHttpHost::new();
    stream.handle(&mut host, Event::RequestHeaders(true));
    stream.handle(&mut host, Event::StreamComplete);
    assert!(host.local_replies().is_empty());
    assert!(host.resets().is_empty());
    assert!(
        host.logs()
            .iter()
            .any(|(_, line)| line.contains("answered nothing"))
    );
}

struct PanicsOnDrop;

impl HttpFilter for PanicsOnDrop {}

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("drop bug");
    }
}

#[test]
fn a_panicking_drop_does_not_unwind_out_of_destroy() {
    let stream = OwnedStream::new("drop", PanicsOnDrop);
    // Would abort the test binary (unwinding out of `Drop`) if the guard did not catch it.
    drop(stream);
}

/// Completes the stream from inside its own hook, as Envoy does when a hook ends the stream.
struct CompletesInline {
    stream: Rc<RefCell<Option<NonNull<StreamHeader>>>>,
    journal: Journal,
}

impl HttpFilter for CompletesInline {
    fn on_request_headers(&mut self, host: &mut dyn HttpHost, _eos: bool) -> HeadersStatus {
        self.journal
            .borrow_mut()
            .push("request_headers:start".to_owned());
        let header = self.stream.borrow().expect("set before the first event");
        // SAFETY: the stream outlives this call; only its header is read here.
        let header = unsafe { header.as_ref() };
        assert_eq!(header.handle(host, Event::StreamComplete), Outcome::Done);
        let nested = header.handle(host, Event::ResponseHeaders(true));
        assert_eq!(nested, Outcome::Headers(HeadersStatus::StopIteration));
        self.journal
            .borrow_mut()
            .push("request_headers:end".to_owned());
        HeadersStatus::Continue
    }

    fn on_response_headers(&mut self, _host: &mut dyn HttpHost, _eos: bool) -> HeadersStatus {
        self.journal
            .borrow_mut()
            .push("response_headers".to_owned());
        HeadersStatus::Continue
    }

    fn on_stream_complete(&mut self, _host: &mut dyn HttpHost) {
        self.journal.borrow_mut().push("stream_complete".to_owned());
    }
}

#[test]
fn re_entrant_stream_complete_runs_after_the_outer_hook() {
    let slot = Rc::new(RefCell::new(None));
    let journal = Journal::default();
    let filter = CompletesInline {
        stream: Rc::clone(&slot),
        journal: Rc::clone(&journal),
    };
    let mut stream = OwnedStream::new("inline", filter);
    *slot.borrow_mut() = Some(stream.0);
    let mut host = FakeHttpHost::new().with_request_header(":path", "/");

    let outcome = stream.handle(&mut host, Event::RequestHeaders(true));
    assert_eq!(outcome, Outcome::Headers(HeadersStatus::Continue));
    assert_eq!(
        journal_of(&journal),
        [
            "request_headers:start",
            "request_headers:end",
            "stream_complete"
        ],
        "stream_complete deferred, re-entrant response_headers dropped"
    );
    assert!(host.logs().iter().any(|(level, line)| {
        *level == LogLevel::Warn && line.contains("dropped re-entrant response_headers")
    }));
    assert_eq!(
        host.header_str(HeaderMap::RequestHeaders, ":path"),
        Some("/")
    );
}

#[test]
fn deferred_continues_are_taken_once_and_dropped_after_a_panic() {
    let state = StreamState::default();
    state.defer_continue(Direction::Request);
    assert!(state.take_deferred_continue(Direction::Request));
    assert!(
        !state.take_deferred_continue(Direction::Request),
        "taken once"
    );
    assert!(
        !state.take_deferred_continue(Direction::Response),
        "never requested"
    );

    state.defer_continue(Direction::Response);
    state.poisoned.set(true);
    assert!(
        !state.take_deferred_continue(Direction::Response),
        "the guard already answered"
    );
}
