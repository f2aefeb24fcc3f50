//! The `probe` HTTP filter: every SDK capability, switched on by config and request headers.
//!
//! Request headers understood (all optional):
//! * `x-probe-panic: <hook>`: panic in `request_headers`, `request_body`, `response_headers`,
//!   `response_body`, `stream_complete` or `scheduled`.
//! * `x-probe-local-reply: <status>`: answer locally (body `probe local reply`).
//! * `x-probe-reroute: <path>`: rewrite `:path` and clear the route cache.
//! * `x-probe-callout: <cluster>`: GET `/probe-callout` on the cluster before going upstream;
//!   the status comes back as response header `x-probe-callout-status`.
//! * `x-probe-schedule: <id>`: hold the request until a background thread posts event `<id>`;
//!   it comes back as response header `x-probe-scheduled`.
//!
//! Always added to the response: `x-probe-count` (a process-wide request count shared by all
//! workers), `x-probe-worker` (worker index), `x-probe-config` (the config `tag`, if any),
//! `x-probe-filter-state` (the request path, read back from filter state).

use crate::settings::{BodyWrap, HeaderEdits, ProbeSettings};
use dynagate_sdk::{
    BodyStatus, CalloutFailure, CalloutRequest, CalloutResponse, ConfigContext, ConfigError,
    Counter, Direction, HeaderMap, HeadersStatus, HttpFilter, HttpFilterConfig, HttpFilterFactory,
    HttpHost, RouteConfig, envoy_log, parse_json,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Requests seen by every probe filter of the process (shared by all workers).
static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// Filter-state key the probe writes the request path to.
pub const FILTER_STATE_KEY: &str = "dynagate.probe.path";

/// Parses probe configs.
#[derive(Debug, Clone, Copy)]
pub struct ProbeFactory;

impl HttpFilterFactory for ProbeFactory {
    type Config = ProbeConfig;

    fn new_config(
        &self,
        config: &str,
        ctx: &mut dyn ConfigContext,
    ) -> Result<ProbeConfig, ConfigError> {
        let settings: ProbeSettings = parse_json(config)?;
        assert!(!settings.panic_on_load, "probe: panic_on_load requested");
        let requests = ctx.define_counter("probe_requests", &[])?;
        let by_method = ctx.define_counter("probe_requests_by_method", &["method"])?;
        envoy_log!(ctx, Debug, "probe config loaded (tag {:?})", settings.tag);
        Ok(ProbeConfig {
            settings: Arc::new(settings),
            requests,
            by_method,
        })
    }

    fn new_route_config(&self, config: &str) -> Result<RouteConfig, ConfigError> {
        let settings: ProbeSettings = parse_json(config)?;
        Ok(RouteConfig::new(Arc::new(settings)))
    }
}

/// A compiled probe config.
#[derive(Debug)]
pub struct ProbeConfig {
    settings: Arc<ProbeSettings>,
    requests: Counter,
    by_method: Counter,
}

impl HttpFilterConfig for ProbeConfig {
    type Filter = ProbeFilter;

    fn new_filter(&self) -> ProbeFilter {
        ProbeFilter {
            settings: Arc::clone(&self.settings),
            requests: self.requests,
            by_method: self.by_method,
            panic_at: None,
            count: 0,
            worker: 0,
            callout_status: None,
            scheduled: None,
        }
    }
}

/// One stream of the probe.
#[derive(Debug)]
pub struct ProbeFilter {
    settings: Arc<ProbeSettings>,
    requests: Counter,
    by_method: Counter,
    panic_at: Option<String>,
    count: u64,
    worker: u32,
    callout_status: Option<String>,
    scheduled: Option<u64>,
}

impl ProbeFilter {
    fn maybe_panic(&self, hook: &str) {
        if self.panic_at.as_deref() == Some(hook) {
            panic!("probe: panic requested in {hook}");
        }
    }

    /// Request phase work after the panic check; returns early answers.
    fn request_headers(&mut self, host: &mut dyn HttpHost, end_of_stream: bool) -> HeadersStatus {
        if let Some(route) = host.route_config::<Arc<ProbeSettings>>() {
            self.settings = Arc::clone(route);
        }
        self.count = REQUESTS.fetch_add(1, Ordering::Relaxed) + 1;
        self.worker = host.worker_index();
        if let Some(limit) = self.settings.buffer_limit {
            host.set_buffer_limit(limit);
        }
        let method = host
            .header_str(HeaderMap::RequestHeaders, ":method")
            .unwrap_or("")
            .to_owned();
        let _ = host.increment_counter(self.requests, &[], 1);
        let _ = host.increment_counter(self.by_method, &[&method], 1);

        if let Some(status) = host.header_str(HeaderMap::RequestHeaders, "x-probe-local-reply") {
            let status = status.parse().unwrap_or(418);
            host.send_response(
                status,
                &[("x-probe-local", b"1")],
                b"probe local reply",
                Some("probe_local_reply"),
            );
            return HeadersStatus::StopIteration;
        }
        apply_edits(
            host,
            HeaderMap::RequestHeaders,
            &self.settings.request_headers,
        );

        let path = host
            .header(HeaderMap::RequestHeaders, ":path")
            .unwrap_or_default()
            .to_vec();
        host.set_filter_state(FILTER_STATE_KEY, &path);
        if let Some(namespace) = &self.settings.metadata_namespace {
            host.set_metadata_string(namespace, "path", &String::from_utf8_lossy(&path));
            host.set_metadata_number(namespace, "worker", f64::from(self.worker));
        }
        if let Some(new_path) = host
            .header(HeaderMap::RequestHeaders, "x-probe-reroute")
            .map(<[u8]>::to_vec)
        {
            host.set_header(HeaderMap::RequestHeaders, ":path", &new_path);
            host.clear_route_cache();
        }
        if let Some(cluster) = host
            .header_str(HeaderMap::RequestHeaders, "x-probe-callout")
            .map(str::to_owned)
        {
            return self.start_callout(host, &cluster);
        }
        if let Some(id) = host.header_str(HeaderMap::RequestHeaders, "x-probe-schedule") {
            let id = id.parse().unwrap_or(1);
            let scheduler = host.new_scheduler();
            // Commit from a foreign thread: the event must come back on this stream's worker.
            std::thread::spawn(move || scheduler.commit(id));
            return HeadersStatus::StopIteration;
        }
        if self.settings.request_body.is_some() && !end_of_stream {
            // Hold the headers so content-length can be fixed once the body is rewritten.
            return HeadersStatus::StopIteration;
        }
        HeadersStatus::Continue
    }

    fn start_callout(&mut self, host: &mut dyn HttpHost, cluster: &str) -> HeadersStatus {
        let request = CalloutRequest {
            cluster,
            headers: &[
                (":method", b"GET"),
                (":path", b"/probe-callout"),
                ("host", b"probe"),
            ],
            body: b"",
            timeout: Duration::from_secs(5),
        };
        match host.http_callout(&request) {
            Ok(_) => HeadersStatus::StopIteration,
            Err(error) => {
                let body = format!("callout failed: {error}");
                host.send_response(503, &[], body.as_bytes(), Some("probe_callout_failed"));
                HeadersStatus::StopIteration
            }
        }
    }
}

impl HttpFilter for ProbeFilter {
    fn on_request_headers(
        &mut self,
        host: &mut dyn HttpHost,
        end_of_stream: bool,
    ) -> HeadersStatus {
        self.panic_at = host
            .header_str(HeaderMap::RequestHeaders, "x-probe-panic")
            .map(str::to_owned);
        self.maybe_panic("request_headers");
        self.request_headers(host, end_of_stream)
    }

    fn on_request_body(&mut self, host: &mut dyn HttpHost, end_of_stream: bool) -> BodyStatus {
        self.maybe_panic("request_body");
        match &self.settings.request_body {
            Some(wrap) => rewrite_body(host, Direction::Request, wrap, end_of_stream),
            None => BodyStatus::Continue,
        }
    }

    fn on_response_headers(
        &mut self,
        host: &mut dyn HttpHost,
        end_of_stream: bool,
    ) -> HeadersStatus {
        self.maybe_panic("response_headers");
        apply_edits(
            host,
            HeaderMap::ResponseHeaders,
            &self.settings.response_headers,
        );
        let map = HeaderMap::ResponseHeaders;
        host.set_header(map, "x-probe-count", self.count.to_string().as_bytes());
        host.set_header(map, "x-probe-worker", self.worker.to_string().as_bytes());
        if let Some(tag) = &self.settings.tag {
            host.set_header(map, "x-probe-config", tag.as_bytes());
        }
        if let Some(state) = host.filter_state(FILTER_STATE_KEY).map(<[u8]>::to_vec) {
            host.set_header(map, "x-probe-filter-state", &state);
        }
        if let Some(status) = &self.callout_status {
            host.set_header(map, "x-probe-callout-status", status.as_bytes());
        }
        if let Some(id) = self.scheduled {
            host.set_header(map, "x-probe-scheduled", id.to_string().as_bytes());
        }
        if self.settings.response_body.is_some() && !end_of_stream {
            return HeadersStatus::StopIteration;
        }
        HeadersStatus::Continue
    }

    fn on_response_body(&mut self, host: &mut dyn HttpHost, end_of_stream: bool) -> BodyStatus {
        self.maybe_panic("response_body");
        match &self.settings.response_body {
            Some(wrap) => rewrite_body(host, Direction::Response, wrap, end_of_stream),
            None => BodyStatus::Continue,
        }
    }

    fn on_stream_complete(&mut self, _host: &mut dyn HttpHost) {
        self.maybe_panic("stream_complete");
    }

    fn on_http_callout_done(
        &mut self,
        host: &mut dyn HttpHost,
        _callout_id: u64,
        response: Result<CalloutResponse<'_>, CalloutFailure>,
    ) {
        let status = match response {
            Ok(response) => response
                .status()
                .map_or_else(|| "none".to_owned(), |s| s.to_string()),
            Err(failure) => format!("failed: {failure}"),
        };
        self.callout_status = Some(status);
        host.continue_request();
    }

    fn on_scheduled(&mut self, host: &mut dyn HttpHost, event_id: u64) {
        self.maybe_panic("scheduled");
        self.scheduled = Some(event_id);
        host.continue_request();
    }
}

fn apply_edits(host: &mut dyn HttpHost, map: HeaderMap, edits: &HeaderEdits) {
    for name in &edits.remove {
        host.remove_header(map, name);
    }
    for (name, value) in &edits.set {
        host.set_header(map, name, value.as_bytes());
    }
    for (name, value) in &edits.add {
        host.add_header(map, name, value.as_bytes());
    }
}

/// Buffers the whole body, then replaces it and fixes `content-length` (headers were held).
fn rewrite_body(
    host: &mut dyn HttpHost,
    direction: Direction,
    wrap: &BodyWrap,
    end_of_stream: bool,
) -> BodyStatus {
    if !end_of_stream {
        return BodyStatus::StopIterationAndBuffer;
    }
    let body = wrap.apply(&host.whole_body(direction));
    host.replace_whole_body(direction, &body);
    let map = match direction {
        Direction::Request => HeaderMap::RequestHeaders,
        Direction::Response => HeaderMap::ResponseHeaders,
    };
    host.set_header(map, "content-length", body.len().to_string().as_bytes());
    BodyStatus::Continue
}

#[cfg(test)]
mod tests;
