//! The `aws_lambda` HTTP filter on the SDK: factory (config load), config (per worker), and the
//! per-stream filter that drives a [`LambdaTarget`] through Envoy's events.
//!
//! Placement: as an upstream (cluster) filter of the Backend's cluster, `filter_config` is the
//! Backend's [`AwsLambda`](dynagate_config::aws_lambda::AwsLambda) JSON; Envoy runs it once per
//! attempt, so retries are re-signed, and re-mapped from the client's request kept in filter
//! state (see `client_request`). In a listener's chain, an empty config (or
//! `{}`) means "only routes with per-route config call Lambda".

mod client_request;
mod invocation;
mod response;
#[cfg(test)]
mod tests;

use crate::clock::{Clock, SystemClock};
use crate::credentials::{CredentialSource, Environment, ProcessEnvironment, WebIdentityProviders};
use crate::target::LambdaTarget;
use dynagate_sdk::{
    BodyStatus, CalloutFailure, CalloutResponse, ConfigContext, ConfigError, HeadersStatus,
    HttpFilter, HttpFilterConfig, HttpFilterFactory, HttpHost, RouteConfig, TrailersStatus,
    envoy_log,
};
use invocation::Invocation;
use std::sync::Arc;

/// The filter's name in the module registry (`filter_name`, `per_route_config_name`).
pub const FILTER_NAME: &str = "aws_lambda";

/// Compiles `aws_lambda` configs. Holds what every config shares: the environment read at
/// load, the clock, and the IRSA caches (so reloads keep cached STS keys).
pub struct AwsLambdaFactory {
    env: Arc<dyn Environment + Send + Sync>,
    clock: Arc<dyn Clock>,
    providers: Arc<WebIdentityProviders>,
}

impl core::fmt::Debug for AwsLambdaFactory {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AwsLambdaFactory").finish_non_exhaustive()
    }
}

impl Default for AwsLambdaFactory {
    fn default() -> Self {
        Self::new(Arc::new(ProcessEnvironment), Arc::new(SystemClock))
    }
}

impl AwsLambdaFactory {
    /// A factory reading `env` at each config load and signing at `clock`'s time.
    pub fn new(env: Arc<dyn Environment + Send + Sync>, clock: Arc<dyn Clock>) -> Self {
        Self {
            env,
            clock,
            providers: Arc::default(),
        }
    }

    fn compile(&self, json: &str) -> Result<LambdaTarget, ConfigError> {
        LambdaTarget::from_json(json, &*self.env, Arc::clone(&self.clock), &self.providers)
            .map_err(|error| ConfigError::invalid(error.to_string()))
    }
}

impl HttpFilterFactory for AwsLambdaFactory {
    type Config = AwsLambdaConfig;

    fn new_config(
        &self,
        config: &str,
        ctx: &mut dyn ConfigContext,
    ) -> Result<AwsLambdaConfig, ConfigError> {
        let trimmed = config.trim();
        if trimmed.is_empty() || trimmed == "{}" {
            return Ok(AwsLambdaConfig { default: None });
        }
        let target = self.compile(config)?;
        if let CredentialSource::Unavailable(reason) = target.credentials() {
            envoy_log!(
                ctx,
                Warn,
                "aws_lambda {}: requests will fail with 500: {reason}",
                target.path()
            );
        }
        Ok(AwsLambdaConfig {
            default: Some(Arc::new(target)),
        })
    }

    fn new_route_config(&self, config: &str) -> Result<RouteConfig, ConfigError> {
        Ok(RouteConfig::new(Arc::new(self.compile(config)?)))
    }
}

/// A loaded `aws_lambda` filter config.
#[derive(Debug)]
pub struct AwsLambdaConfig {
    default: Option<Arc<LambdaTarget>>,
}

impl AwsLambdaConfig {
    /// The target of requests without per-route config (`None`: they pass untouched).
    pub fn default_target(&self) -> Option<&Arc<LambdaTarget>> {
        self.default.as_ref()
    }
}

impl HttpFilterConfig for AwsLambdaConfig {
    type Filter = AwsLambdaFilter;

    fn new_filter(&self) -> AwsLambdaFilter {
        AwsLambdaFilter {
            default: self.default.clone(),
            invocation: None,
        }
    }
}

/// One stream (one upstream attempt, in the cluster placement).
#[derive(Debug)]
pub struct AwsLambdaFilter {
    default: Option<Arc<LambdaTarget>>,
    invocation: Option<Invocation>,
}

impl AwsLambdaFilter {
    /// A filter for `target` (tests and embedders; Envoy goes through the factory).
    pub fn for_target(target: Arc<LambdaTarget>) -> Self {
        Self {
            default: Some(target),
            invocation: None,
        }
    }
}

impl HttpFilter for AwsLambdaFilter {
    fn on_request_headers(
        &mut self,
        host: &mut dyn HttpHost,
        end_of_stream: bool,
    ) -> HeadersStatus {
        let route = host.route_config::<Arc<LambdaTarget>>().cloned();
        let Some(target) = route.or_else(|| self.default.clone()) else {
            return HeadersStatus::Continue;
        };
        let invocation = self.invocation.insert(Invocation::new(target, host));
        invocation.on_request_headers(host, end_of_stream)
    }

    fn on_request_body(&mut self, host: &mut dyn HttpHost, end_of_stream: bool) -> BodyStatus {
        match &mut self.invocation {
            Some(invocation) => invocation.on_request_body(host, end_of_stream),
            None => BodyStatus::Continue,
        }
    }

    fn on_request_trailers(&mut self, host: &mut dyn HttpHost) -> TrailersStatus {
        match &mut self.invocation {
            Some(invocation) => invocation.on_request_trailers(host),
            None => TrailersStatus::Continue,
        }
    }

    fn on_response_headers(
        &mut self,
        host: &mut dyn HttpHost,
        end_of_stream: bool,
    ) -> HeadersStatus {
        match &mut self.invocation {
            Some(invocation) => invocation.response.on_headers(host, end_of_stream),
            None => HeadersStatus::Continue,
        }
    }

    fn on_response_body(&mut self, host: &mut dyn HttpHost, end_of_stream: bool) -> BodyStatus {
        match &mut self.invocation {
            Some(invocation) => invocation.response.on_body(host, end_of_stream),
            None => BodyStatus::Continue,
        }
    }

    fn on_response_trailers(&mut self, host: &mut dyn HttpHost) -> TrailersStatus {
        match &mut self.invocation {
            Some(invocation) => invocation.response.on_trailers(host),
            None => TrailersStatus::Continue,
        }
    }

    fn on_http_callout_done(
        &mut self,
        host: &mut dyn HttpHost,
        callout_id: u64,
        response: Result<CalloutResponse<'_>, CalloutFailure>,
    ) {
        if let Some(invocation) = &mut self.invocation {
            invocation.on_sts_answer(host, callout_id, response);
        }
    }

    fn on_scheduled(&mut self, host: &mut dyn HttpHost, event_id: u64) {
        if let Some(invocation) = &mut self.invocation {
            invocation.on_credentials_event(host, event_id);
        }
    }
}
