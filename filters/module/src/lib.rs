//! libdynagate.so: the cdylib Envoy loads; registration of filters and loggers by name.
//!
//! No logic lives here. Each filter crate exposes a factory; this file maps the names used in
//! Envoy config (`filter_name`, `per_route_config_name`, `logger_name`) to those factories.
//! A name that is not registered is rejected at config load with a log line listing the
//! registered names.

use dynagate_sdk::Registry;

/// Every filter and logger `libdynagate.so` provides.
fn registry() -> Registry {
    Registry::new()
        .http_filter(
            dynagate_transformation::FILTER_NAME,
            dynagate_transformation::TransformationFactory,
        )
        .http_filter(
            dynagate_ratelimit::FILTER_NAME,
            dynagate_ratelimit::RateLimitFactory::new(),
        )
        .http_filter(
            dynagate_aws_lambda::FILTER_NAME,
            dynagate_aws_lambda::AwsLambdaFactory::default(),
        )
        .access_logger(
            dynagate_accesslog::LOGGER_NAME,
            dynagate_accesslog::AccessLogFactory::default(),
        )
}

dynagate_sdk::declare_module!(registry);
