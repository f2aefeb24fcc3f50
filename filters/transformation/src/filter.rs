//! The Envoy wiring: the `transformation` HTTP filter of `libdynagate.so` over `dynagate-sdk`.
//!
//! The listener-level config and each route's `typed_per_filter_config` are the same JSON, compiled
//! once; a stream uses the route's config when it has one, else the listener's (the most specific
//! config wins, as in kgateway). Per direction the [`DirectionPlan`](crate::DirectionPlan) decides:
//! no plan, pass through; no body read or written, render on the headers and let the body stream;
//! otherwise hold the headers, buffer to end of stream, render once, apply.

mod stream;
mod view;

use std::sync::Arc;

use dynagate_sdk::{
    ConfigContext, ConfigError, HttpFilterConfig, HttpFilterFactory, LogLevel, RouteConfig,
};

use crate::{CompileOptions, CompiledTransformation, Direction};

pub use stream::TransformationFilter;

/// The filter name in Envoy config (`filter_name`, `per_route_config_name`).
pub const FILTER_NAME: &str = "transformation";

/// Compiles `transformation` configs; register it in the module's registry under [`FILTER_NAME`].
#[derive(Clone, Copy, Debug, Default)]
pub struct TransformationFactory;

/// A route's compiled config, read per stream with `host.route_config::<RouteTransformation>()`.
#[derive(Debug)]
pub struct RouteTransformation(pub Arc<CompiledTransformation>);

/// The listener-level config: creates one [`TransformationFilter`] per stream.
#[derive(Debug)]
pub struct TransformationConfig {
    listener: Arc<CompiledTransformation>,
}

impl HttpFilterFactory for TransformationFactory {
    type Config = TransformationConfig;

    fn new_config(
        &self,
        config: &str,
        ctx: &mut dyn ConfigContext,
    ) -> Result<TransformationConfig, ConfigError> {
        let listener = compile(config)?;
        for direction in [Direction::Request, Direction::Response] {
            if let Some(reply) = listener
                .plan(direction)
                .and_then(|plan| plan.always_rejects())
            {
                let message =
                    format!("transformation: every {direction:?} will be answered {reply}");
                ctx.log(LogLevel::Warn, &message);
            }
        }
        Ok(TransformationConfig { listener })
    }

    fn new_route_config(&self, config: &str) -> Result<RouteConfig, ConfigError> {
        Ok(RouteConfig::new(RouteTransformation(compile(config)?)))
    }
}

impl HttpFilterConfig for TransformationConfig {
    type Filter = TransformationFilter;

    fn new_filter(&self) -> TransformationFilter {
        TransformationFilter::new(Arc::clone(&self.listener))
    }
}

/// Compiles a filter config; an absent config (empty text) transforms nothing.
fn compile(config: &str) -> Result<Arc<CompiledTransformation>, ConfigError> {
    let config = if config.trim().is_empty() {
        "{}"
    } else {
        config
    };
    CompiledTransformation::from_json(config, &CompileOptions::from_process())
        .map_err(|error| ConfigError::invalid(error.to_string()))
}

#[cfg(test)]
mod tests;
