//! One Invoke call, request side: render the event head, collect the body, get keys
//! (possibly through an STS callout), then rewrite, map and sign, and let the request go.

use super::client_request;
use super::response::ResponseSide;
use crate::credentials::{
    Lookup, RefreshTicket, SigningCredentials, StsError, parse_assume_role_response,
};
use crate::event::{EventHead, content_length};
use crate::target::LambdaTarget;
use dynagate_config::aws_lambda::PayloadTransformMode;
use dynagate_sdk::{
    BodyBuffer, BodyStatus, CalloutFailure, CalloutRequest, CalloutResponse, Direction, HeaderMap,
    HeadersStatus, HttpHost, TrailersStatus, envoy_log,
};
use std::sync::Arc;

/// Scheduler event: the credential fetch this stream waited for has ended.
pub(super) const CREDENTIALS_EVENT: u64 = 1;
/// How many fetch rounds a request waits through before giving up (a fetch abandoned by its
/// stream wakes the waiters, and one of them fetches again).
const MAX_CREDENTIAL_ROUNDS: u8 = 3;

#[derive(Debug)]
enum Keys {
    /// Not asked yet.
    Unknown,
    Ready(Arc<SigningCredentials>),
    /// This stream's STS callout is in flight.
    Fetching,
    /// Another stream's fetch is in flight; a scheduler event will come.
    Waiting,
    /// A local reply was sent.
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    /// Still collecting the body or waiting for keys.
    Collecting,
    /// Rewritten and signed; the request is on its way.
    Sent,
    /// Answered locally.
    Failed,
}

/// The request side of one Invoke call, plus its response side.
#[derive(Debug)]
pub(super) struct Invocation {
    target: Arc<LambdaTarget>,
    /// The Envoy-mode event head (`None` in passthrough mode).
    event: Option<EventHead>,
    body: Option<Vec<u8>>,
    keys: Keys,
    sts: Option<(u64, RefreshTicket)>,
    rounds: u8,
    /// A request hook returned a stop status while keys were pending: resume when they come.
    held: bool,
    progress: Progress,
    pub(super) response: ResponseSide,
}

impl Invocation {
    pub(super) fn new(target: Arc<LambdaTarget>, host: &mut dyn HttpHost) -> Self {
        let event = (target.transform() == PayloadTransformMode::Envoy)
            .then(|| client_request::event_head(host, &target));
        let response = ResponseSide::new(target.transform(), target.mode());
        Self {
            target,
            event,
            body: None,
            keys: Keys::Unknown,
            sts: None,
            rounds: 0,
            held: false,
            progress: Progress::Collecting,
            response,
        }
    }

    pub(super) fn on_request_headers(
        &mut self,
        host: &mut dyn HttpHost,
        end_of_stream: bool,
    ) -> HeadersStatus {
        self.acquire_keys(host);
        if self.progress == Progress::Failed {
            return HeadersStatus::StopIteration;
        }
        if !end_of_stream {
            // Hold the headers: the body decides content-length and the signature.
            return HeadersStatus::StopIteration;
        }
        let body = match &self.event {
            Some(event) => event.finish(None),
            None => Vec::new(),
        };
        if !body.is_empty() {
            // During the headers hook this turns the header-only request into one with a body.
            host.append_body(BodyBuffer::BufferedRequest, &body);
        }
        self.body = Some(body);
        if self.try_send(host) {
            return HeadersStatus::Continue;
        }
        self.held = true;
        HeadersStatus::StopIteration
    }

    pub(super) fn on_request_body(
        &mut self,
        host: &mut dyn HttpHost,
        end_of_stream: bool,
    ) -> BodyStatus {
        if self.progress != Progress::Collecting {
            return BodyStatus::Continue;
        }
        if !end_of_stream {
            return BodyStatus::StopIterationAndBuffer;
        }
        self.complete_body(host, Hook::Body);
        if self.try_send(host) {
            return BodyStatus::Continue;
        }
        self.held = true;
        BodyStatus::StopIterationAndBuffer
    }

    pub(super) fn on_request_trailers(&mut self, host: &mut dyn HttpHost) -> TrailersStatus {
        if self.progress != Progress::Collecting {
            return TrailersStatus::Continue;
        }
        if self.body.is_none() {
            self.complete_body(host, Hook::Other);
        }
        if self.try_send(host) {
            return TrailersStatus::Continue;
        }
        self.held = true;
        TrailersStatus::StopIteration
    }

    /// The STS answer of this stream's fetch (or refresh).
    pub(super) fn on_sts_answer(
        &mut self,
        host: &mut dyn HttpHost,
        callout_id: u64,
        response: Result<CalloutResponse<'_>, CalloutFailure>,
    ) {
        let Some((_, ticket)) = self.sts.take_if(|(id, _)| *id == callout_id) else {
            return;
        };
        let outcome = match response {
            Ok(response) => {
                parse_assume_role_response(response.status().unwrap_or(0), &response.body())
            }
            Err(failure) => Err(StsError::Callout(failure.to_string())),
        };
        match &outcome {
            Ok(credentials) => envoy_log!(
                host,
                Debug,
                "aws_lambda: STS keys refreshed, expiring {:?}",
                credentials.expiration
            ),
            Err(error) => envoy_log!(
                host,
                Warn,
                "aws_lambda: STS AssumeRoleWithWebIdentity failed: {error}"
            ),
        }
        ticket.complete(outcome);
        if matches!(self.keys, Keys::Fetching) {
            self.retry_keys(host);
        }
    }

    /// A scheduler event: the fetch this stream waited for has ended.
    pub(super) fn on_credentials_event(&mut self, host: &mut dyn HttpHost, event_id: u64) {
        if event_id == CREDENTIALS_EVENT && matches!(self.keys, Keys::Waiting) {
            self.retry_keys(host);
        }
    }

    fn retry_keys(&mut self, host: &mut dyn HttpHost) {
        self.rounds += 1;
        if self.rounds > MAX_CREDENTIAL_ROUNDS {
            self.fail_keys(host, "gave up waiting for STS credentials");
            return;
        }
        self.acquire_keys(host);
        if self.try_send(host) && self.held {
            host.continue_request();
        }
    }

    fn acquire_keys(&mut self, host: &mut dyn HttpHost) {
        match self.target.credentials().lookup() {
            Lookup::Ready {
                credentials,
                refresh,
            } => {
                self.keys = Keys::Ready(credentials);
                if let Some(ticket) = refresh
                    && let Err(error) = self.start_sts(host, ticket)
                {
                    envoy_log!(
                        host,
                        Warn,
                        "aws_lambda: cannot refresh STS credentials: {error}"
                    );
                }
            }
            Lookup::Fetch(ticket) => {
                self.keys = Keys::Fetching;
                if let Err(error) = self.start_sts(host, ticket) {
                    self.fail_keys(host, &error.to_string());
                }
            }
            Lookup::Wait { generation } => {
                self.keys = Keys::Waiting;
                let scheduler = host.new_scheduler();
                self.target.credentials().wait(
                    generation,
                    Box::new(move || scheduler.commit(CREDENTIALS_EVENT)),
                );
            }
            Lookup::Unavailable { reason } => self.fail_keys(host, &reason),
        }
    }

    fn start_sts(
        &mut self,
        host: &mut dyn HttpHost,
        mut ticket: RefreshTicket,
    ) -> Result<(), StsError> {
        let callout = ticket.callout()?;
        let headers = callout.headers();
        let request = CalloutRequest {
            cluster: &callout.cluster,
            headers: &headers,
            body: callout.body.as_bytes(),
            timeout: callout.timeout,
        };
        match host.http_callout(&request) {
            Ok(id) => {
                self.sts = Some((id, ticket));
                Ok(())
            }
            Err(error) => {
                let error = StsError::Callout(format!("{error} (cluster {:?})", callout.cluster));
                ticket.complete(Err(error.clone()));
                Err(error)
            }
        }
    }

    fn fail_keys(&mut self, host: &mut dyn HttpHost, reason: &str) {
        envoy_log!(
            host,
            Warn,
            "aws_lambda: no AWS credentials to sign {}: {reason}",
            self.target.path()
        );
        self.keys = Keys::Failed;
        self.fail(
            host,
            b"aws_lambda: AWS credentials are unavailable\n",
            "aws_lambda_credentials_unavailable",
        );
    }

    fn fail(&mut self, host: &mut dyn HttpHost, body: &[u8], details: &str) {
        self.progress = Progress::Failed;
        host.send_response(500, &[("content-type", b"text/plain")], body, Some(details));
    }

    /// The whole body is in: map it (Envoy mode) and keep the final bytes for signing.
    fn complete_body(&mut self, host: &mut dyn HttpHost, hook: Hook) {
        let received = host.whole_body(Direction::Request);
        let body = match &self.event {
            Some(head) => {
                let event = head.finish(Some(&received));
                replace_body(host, Direction::Request, hook, &event);
                event
            }
            None => received,
        };
        self.body = Some(body);
    }

    /// Rewrites and signs once both the body and the keys are there; true when sent.
    fn try_send(&mut self, host: &mut dyn HttpHost) -> bool {
        if self.progress != Progress::Collecting {
            return false;
        }
        let (Some(body), Keys::Ready(credentials)) = (&self.body, &self.keys) else {
            return false;
        };
        rewrite_request(host, &self.target, body.len());
        let content_type = host
            .header_str(HeaderMap::RequestHeaders, "content-type")
            .map(str::to_owned);
        let signature = self.target.sign(content_type.as_deref(), body, credentials);
        for (name, value) in signature.iter() {
            host.set_header(HeaderMap::RequestHeaders, name, value.as_bytes());
        }
        self.progress = Progress::Sent;
        true
    }
}

/// Which hook is running: only a body hook has a *received* buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hook {
    Body,
    Other,
}

/// Replaces the whole body of `direction`. Outside a body hook (trailers) Envoy has no received
/// buffer, so the buffered one is rewritten directly.
pub(super) fn replace_body(host: &mut dyn HttpHost, direction: Direction, hook: Hook, data: &[u8]) {
    if hook == Hook::Body {
        host.replace_whole_body(direction, data);
        return;
    }
    let buffered = BodyBuffer::buffered(direction);
    let length = host.body_len(buffered);
    if length > 0 {
        host.drain_body(buffered, length);
    }
    host.append_body(buffered, data);
}

/// Turns the request into `POST <invocation path>` on the Lambda authority. The client's own
/// `authorization` and `x-amz-*` headers are dropped: Lambda would read them as ours (a stale
/// `x-amz-security-token`, or `x-amz-log-type: Tail` exposing function logs).
fn rewrite_request(host: &mut dyn HttpHost, target: &LambdaTarget, body_len: usize) {
    let map = HeaderMap::RequestHeaders;
    let mut foreign: Vec<String> = host
        .headers(map)
        .into_iter()
        .filter(|(name, _)| {
            name.starts_with(b"x-amz-") || name.eq_ignore_ascii_case(b"authorization")
        })
        .map(|(name, _)| String::from_utf8_lossy(name).into_owned())
        .collect();
    foreign.dedup();
    for name in &foreign {
        host.remove_header(map, name);
    }
    host.set_header(map, ":method", b"POST");
    host.set_header(map, ":path", target.path().as_bytes());
    host.set_header(map, ":authority", target.authority().as_bytes());
    host.set_header(
        map,
        "x-amz-invocation-type",
        target.invocation_type().as_bytes(),
    );
    if target.transform() == PayloadTransformMode::Envoy {
        host.set_header(map, "content-type", b"application/json");
    }
    // The body was buffered whole, so its length is known: no chunked framing upstream.
    host.remove_header(map, "transfer-encoding");
    host.set_header(map, "content-length", &content_length(body_len));
}
