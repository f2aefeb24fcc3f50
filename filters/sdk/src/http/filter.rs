//! The traits a filter crate implements: factory, config, per-stream filter, per-route config.

use super::callout::CalloutResponse;
use super::host::HttpHost;
use super::types::{BodyStatus, HeadersStatus, TrailersStatus};
use crate::config::ConfigContext;
use crate::error::{CalloutFailure, ConfigError};
use core::any::Any;
use core::fmt;

/// Turns the JSON of a filter config into a compiled, immutable config. Registered by name in
/// the module's `Registry`; runs on Envoy's main thread when a listener (or route) loads.
pub trait HttpFilterFactory: Send + Sync + 'static {
    /// The compiled listener-level config.
    type Config: HttpFilterConfig;

    /// Parses and validates `config` (JSON text; empty when absent). Define metrics and
    /// schedulers through `ctx`. An error rejects the config (and with it the listener).
    fn new_config(
        &self,
        config: &str,
        ctx: &mut dyn ConfigContext,
    ) -> Result<Self::Config, ConfigError>;

    /// Parses a per-route config (`typed_per_filter_config`). Filters read it per request with
    /// `host.route_config::<T>()`. The default rejects per-route config.
    fn new_route_config(&self, config: &str) -> Result<RouteConfig, ConfigError> {
        let _ = config;
        Err(ConfigError::RouteConfigUnsupported)
    }
}

/// A compiled filter config shared by every worker; creates one filter per HTTP stream.
pub trait HttpFilterConfig: Send + Sync + 'static {
    /// The per-stream filter.
    type Filter: HttpFilter;

    /// Creates the filter of a new stream (per request: keep it cheap, clone `Arc`s).
    fn new_filter(&self) -> Self::Filter;

    /// An event committed through a scheduler obtained from `ConfigContext::new_scheduler`,
    /// delivered on the main thread.
    fn on_scheduled(&self, event_id: u64) {
        let _ = event_id;
    }
}

/// A compiled per-route config, type-erased; read back with `host.route_config::<T>()`.
pub struct RouteConfig(Box<dyn Any + Send + Sync>);

impl RouteConfig {
    /// Wraps a compiled per-route config value.
    pub fn new<T: Any + Send + Sync>(value: T) -> Self {
        Self(Box::new(value))
    }

    /// The value, if it is a `T`.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }
}

impl fmt::Debug for RouteConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RouteConfig")
    }
}

/// One HTTP stream's filter. Every event has a no-op default, so a filter implements only what
/// it needs. Each method gets the host for the duration of the call: data borrowed from it
/// cannot outlive the call. A panic in any method is caught by the SDK, which answers 500
/// before the response started and resets the stream after; the filter is not called again.
pub trait HttpFilter: 'static {
    /// Request headers arrived (`end_of_stream`: no body follows).
    fn on_request_headers(
        &mut self,
        host: &mut dyn HttpHost,
        end_of_stream: bool,
    ) -> HeadersStatus {
        let _ = (host, end_of_stream);
        HeadersStatus::Continue
    }

    /// A request body chunk arrived (read it as `BodyBuffer::ReceivedRequest`).
    fn on_request_body(&mut self, host: &mut dyn HttpHost, end_of_stream: bool) -> BodyStatus {
        let _ = (host, end_of_stream);
        BodyStatus::Continue
    }

    /// Request trailers arrived.
    fn on_request_trailers(&mut self, host: &mut dyn HttpHost) -> TrailersStatus {
        let _ = host;
        TrailersStatus::Continue
    }

    /// Response headers arrived (`end_of_stream`: no body follows).
    fn on_response_headers(
        &mut self,
        host: &mut dyn HttpHost,
        end_of_stream: bool,
    ) -> HeadersStatus {
        let _ = (host, end_of_stream);
        HeadersStatus::Continue
    }

    /// A response body chunk arrived (read it as `BodyBuffer::ReceivedResponse`).
    fn on_response_body(&mut self, host: &mut dyn HttpHost, end_of_stream: bool) -> BodyStatus {
        let _ = (host, end_of_stream);
        BodyStatus::Continue
    }

    /// Response trailers arrived.
    fn on_response_trailers(&mut self, host: &mut dyn HttpHost) -> TrailersStatus {
        let _ = host;
        TrailersStatus::Continue
    }

    /// The stream finished (before access logs are written); the filter is dropped later.
    fn on_stream_complete(&mut self, host: &mut dyn HttpHost) {
        let _ = host;
    }

    /// A callout started with `HttpHost::http_callout` finished.
    fn on_http_callout_done(
        &mut self,
        host: &mut dyn HttpHost,
        callout_id: u64,
        response: Result<CalloutResponse<'_>, CalloutFailure>,
    ) {
        let _ = (host, callout_id, response);
    }

    /// An event committed through a scheduler from `HttpHost::new_scheduler` arrived.
    fn on_scheduled(&mut self, host: &mut dyn HttpHost, event_id: u64) {
        let _ = (host, event_id);
    }

    /// The downstream write buffer went above its high watermark.
    fn on_downstream_above_write_buffer_high_watermark(&mut self, host: &mut dyn HttpHost) {
        let _ = host;
    }

    /// The downstream write buffer went back below its low watermark.
    fn on_downstream_below_write_buffer_low_watermark(&mut self, host: &mut dyn HttpHost) {
        let _ = host;
    }
}
