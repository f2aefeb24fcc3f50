//! One stream of the `transformation` filter: when to render, what to hold, how to apply.
//!
//! A direction that reads or replaces its body holds the headers (`StopIteration`), buffers to end of
//! stream (or trailers), renders once and resumes; any other direction renders on its headers and
//! never touches the body, so large or streamed bodies flow through undelayed. Upgrades and CONNECT
//! pass through untouched. The request headers are snapshotted as they arrive, before the request
//! transform, when the response side (`request_header()`, `get_cookie()`) will read them.

use std::sync::Arc;

use dynagate_sdk::{
    BodyBuffer, BodyStatus, HeaderMap, HeadersStatus, HttpFilter, HttpHost, TrailersStatus,
    envoy_log,
};

use super::RouteTransformation;
use super::view::{HostView, capture};
use crate::{
    CompiledTransformation, Direction, HeaderMutation, HeaderSnapshot, LocalReply, Mutations,
};

/// The filter of one HTTP stream.
#[derive(Debug)]
pub struct TransformationFilter {
    listener: Arc<CompiledTransformation>,
    /// The config of this stream: the route's if it has one, else the listener's.
    config: Option<Arc<CompiledTransformation>>,
    /// WebSocket upgrade or CONNECT: nothing is transformed.
    tunnel: bool,
    /// The request headers as they arrived (only when a template reads them).
    request_headers: Option<Arc<HeaderSnapshot>>,
    /// Per direction (request, response): headers held, body being buffered to end of stream.
    buffering: [bool; 2],
}

impl TransformationFilter {
    pub(crate) fn new(listener: Arc<CompiledTransformation>) -> Self {
        Self {
            listener,
            config: None,
            tunnel: false,
            request_headers: None,
            buffering: [false; 2],
        }
    }

    fn config(&mut self, host: &dyn HttpHost) -> Arc<CompiledTransformation> {
        if let Some(config) = &self.config {
            return Arc::clone(config);
        }
        let chosen = match host.route_config::<RouteTransformation>() {
            Some(route) => Arc::clone(&route.0),
            None => Arc::clone(&self.listener),
        };
        self.config = Some(Arc::clone(&chosen));
        chosen
    }

    /// On the headers of `direction`: hold them when the body is needed, else transform now.
    fn on_headers(
        &mut self,
        host: &mut dyn HttpHost,
        direction: Direction,
        end_of_stream: bool,
    ) -> HeadersStatus {
        let config = self.config(host);
        let Some(plan) = config.plan(direction) else {
            return HeadersStatus::Continue;
        };
        if plan.buffers_body() && !end_of_stream {
            self.buffering[index(direction)] = true;
            return HeadersStatus::StopIteration;
        }
        // A message without body still renders `body()` as empty.
        let body = plan.buffers_body().then(Vec::new);
        if self.transform(host, &config, direction, body, Hook::Headers) {
            HeadersStatus::Continue
        } else {
            HeadersStatus::StopIteration
        }
    }

    /// On a body chunk: pass it on, or buffer it until end of stream and then transform.
    fn on_body(
        &mut self,
        host: &mut dyn HttpHost,
        direction: Direction,
        end_of_stream: bool,
    ) -> BodyStatus {
        if !self.buffering[index(direction)] {
            return BodyStatus::Continue;
        }
        if over_buffer_limit(host, direction) {
            self.buffering[index(direction)] = false;
            send_local_reply(host, &payload_too_large(direction));
            return BodyStatus::StopIterationNoBuffer;
        }
        if !end_of_stream {
            return BodyStatus::StopIterationAndBuffer;
        }
        self.buffering[index(direction)] = false;
        let body = host.whole_body(to_sdk(direction));
        let config = self.config(host);
        if self.transform(host, &config, direction, Some(body), Hook::Body) {
            BodyStatus::Continue
        } else {
            BodyStatus::StopIterationNoBuffer
        }
    }

    /// On trailers: a buffered body is complete here (no body event carried end of stream).
    fn on_trailers(&mut self, host: &mut dyn HttpHost, direction: Direction) -> TrailersStatus {
        if !self.buffering[index(direction)] {
            return TrailersStatus::Continue;
        }
        self.buffering[index(direction)] = false;
        let body = host.read_body(BodyBuffer::buffered(to_sdk(direction)));
        let config = self.config(host);
        if self.transform(host, &config, direction, Some(body), Hook::Trailers) {
            TrailersStatus::Continue
        } else {
            TrailersStatus::StopIteration
        }
    }

    /// Renders and applies; false when the stream was answered locally instead.
    fn transform(
        &mut self,
        host: &mut dyn HttpHost,
        config: &CompiledTransformation,
        direction: Direction,
        body: Option<Vec<u8>>,
        hook: Hook,
    ) -> bool {
        let (map, headers, request_headers) = match direction {
            Direction::Request => (
                HeaderMap::RequestHeaders,
                self.request_headers.clone(),
                None,
            ),
            Direction::Response => (
                HeaderMap::ResponseHeaders,
                None,
                self.request_headers.clone(),
            ),
        };
        let view = HostView {
            host: &*host,
            map,
            headers,
            request_headers,
            body,
        };
        match config.render(direction, &view) {
            Ok(mutations) => {
                apply(host, direction, map, hook, &mutations);
                true
            }
            Err(reply) => {
                send_local_reply(host, &reply);
                false
            }
        }
    }
}

impl HttpFilter for TransformationFilter {
    fn on_request_headers(
        &mut self,
        host: &mut dyn HttpHost,
        end_of_stream: bool,
    ) -> HeadersStatus {
        let config = self.config(host);
        if is_tunnel(host) {
            self.tunnel = true;
            return HeadersStatus::Continue;
        }
        let reads_request = config
            .plan(Direction::Request)
            .is_some_and(|plan| plan.reads_headers());
        if reads_request || config.response_reads_request_headers() {
            self.request_headers = Some(capture(host, HeaderMap::RequestHeaders));
        }
        self.on_headers(host, Direction::Request, end_of_stream)
    }

    fn on_request_body(&mut self, host: &mut dyn HttpHost, end_of_stream: bool) -> BodyStatus {
        self.on_body(host, Direction::Request, end_of_stream)
    }

    fn on_request_trailers(&mut self, host: &mut dyn HttpHost) -> TrailersStatus {
        self.on_trailers(host, Direction::Request)
    }

    fn on_response_headers(
        &mut self,
        host: &mut dyn HttpHost,
        end_of_stream: bool,
    ) -> HeadersStatus {
        if self.tunnel {
            return HeadersStatus::Continue;
        }
        // The request hooks did not run when an earlier filter answered locally: read them now.
        let config = self.config(host);
        if self.request_headers.is_none() && config.response_reads_request_headers() {
            self.request_headers = Some(capture(host, HeaderMap::RequestHeaders));
        }
        self.on_headers(host, Direction::Response, end_of_stream)
    }

    fn on_response_body(&mut self, host: &mut dyn HttpHost, end_of_stream: bool) -> BodyStatus {
        self.on_body(host, Direction::Response, end_of_stream)
    }

    fn on_response_trailers(&mut self, host: &mut dyn HttpHost) -> TrailersStatus {
        self.on_trailers(host, Direction::Response)
    }
}

/// WebSocket (and other) upgrades and CONNECT tunnels carry no HTTP bodies to transform.
fn is_tunnel(host: &dyn HttpHost) -> bool {
    let connect = host
        .header(HeaderMap::RequestHeaders, ":method")
        .is_some_and(|method| method == b"CONNECT");
    connect || host.header(HeaderMap::RequestHeaders, "upgrade").is_some()
}

/// Which hook a transform runs in: where a new body has to be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hook {
    Headers,
    Body,
    Trailers,
}

fn apply(
    host: &mut dyn HttpHost,
    direction: Direction,
    map: HeaderMap,
    hook: Hook,
    mutations: &Mutations<'_>,
) {
    // Trailers only travel in chunked framing (HTTP/1): a body replaced once they arrived keeps
    // `transfer-encoding` and loses `content-length`, instead of having its length fixed.
    let keeps_chunked = hook == Hook::Trailers && mutations.body.is_some();
    for mutation in &mutations.headers {
        if keeps_chunked && is_framing(mutation) {
            continue;
        }
        match mutation {
            HeaderMutation::Set { name, value } => host.set_header(map, name, value.as_bytes()),
            HeaderMutation::Append { name, value } => host.add_header(map, name, value.as_bytes()),
            HeaderMutation::Remove { name } => host.remove_header(map, name),
        };
    }
    if keeps_chunked {
        host.remove_header(map, "content-length");
    }
    if let Some(body) = &mutations.body {
        let direction = to_sdk(direction);
        if hook == Hook::Body {
            host.replace_whole_body(direction, body.as_bytes());
        } else {
            // Outside a body hook there is no received chunk: the body is the buffered one (Envoy
            // creates it when a header-only message gets a body).
            let buffered = BodyBuffer::buffered(direction);
            let held = host.body_len(buffered);
            if held > 0 {
                host.drain_body(buffered, held);
            }
            host.append_body(buffered, body.as_bytes());
        }
    }
    for write in &mutations.dynamic_metadata {
        host.set_metadata_string(write.namespace, write.key, &write.value);
    }
    if mutations.clear_route_cache {
        host.clear_route_cache();
    }
    for failure in &mutations.failures {
        envoy_log!(
            host,
            Debug,
            "transformation: {}: {}",
            failure.location,
            failure.message
        );
    }
}

/// The framing edits a body replacement adds: `content-length` set, `transfer-encoding` removed.
fn is_framing(mutation: &HeaderMutation<'_>) -> bool {
    matches!(
        mutation,
        HeaderMutation::Set { name, .. } if name.eq_ignore_ascii_case("content-length")
    ) || matches!(
        mutation,
        HeaderMutation::Remove { name } if name.eq_ignore_ascii_case("transfer-encoding")
    )
}

/// Whether the body buffered so far, with the chunk just received, exceeds the stream's limit.
fn over_buffer_limit(host: &dyn HttpHost, direction: Direction) -> bool {
    let direction = to_sdk(direction);
    let limit = host.buffer_limit();
    let mut size = host.body_len(BodyBuffer::buffered(direction));
    if !host.received_is_buffered(direction) {
        size += host.body_len(BodyBuffer::received(direction));
    }
    limit > 0 && u64::try_from(size).unwrap_or(u64::MAX) > limit
}

/// Over the buffer limit: 413 for a request; a response gets 500, as Envoy answers itself.
fn payload_too_large(direction: Direction) -> LocalReply {
    match direction {
        Direction::Request => LocalReply {
            status: 413,
            reason: "transformation: request body too large".into(),
        },
        Direction::Response => LocalReply {
            status: 500,
            reason: "transformation: response body too large".into(),
        },
    }
}

fn send_local_reply(host: &mut dyn HttpHost, reply: &LocalReply) {
    let details = match reply.status {
        400 => "transformation_bad_request",
        413 => "transformation_request_payload_too_large",
        _ => "transformation_response_payload_too_large",
    };
    let body = format!("{}\n", reply.reason);
    host.send_response(
        reply.status,
        &[("content-type", b"text/plain")],
        body.as_bytes(),
        Some(details),
    );
}

fn index(direction: Direction) -> usize {
    match direction {
        Direction::Request => 0,
        Direction::Response => 1,
    }
}

fn to_sdk(direction: Direction) -> dynagate_sdk::Direction {
    match direction {
        Direction::Request => dynagate_sdk::Direction::Request,
        Direction::Response => dynagate_sdk::Direction::Response,
    }
}
