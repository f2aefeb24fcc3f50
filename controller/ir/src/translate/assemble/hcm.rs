//! The HTTP connection manager of a filter chain: RDS over ADS and the HTTP filters its routes need.

use std::collections::BTreeSet;

use envoy_types::pb::envoy::config::accesslog::v3::AccessLog;
use envoy_types::pb::envoy::config::listener::v3::{Filter, filter};
use envoy_types::pb::envoy::extensions::dynamic_modules::v3::DynamicModuleConfig;
use envoy_types::pb::envoy::extensions::filters::http::dynamic_modules::v3::DynamicModuleFilter;
use envoy_types::pb::envoy::extensions::filters::http::router::v3::Router;
use envoy_types::pb::envoy::extensions::filters::network::http_connection_manager::v3::{
    HttpConnectionManager, HttpFilter, Rds, http_connection_manager, http_filter,
};
use envoy_types::pb::google::protobuf::{BoolValue, StringValue};

use crate::proxy::pack;
use crate::translate::policy::PolicyField;
use crate::translate::tls::ads_config_source;
use crate::translate::{
    DYNAMIC_MODULE_NAME, RATE_LIMIT_FILTER, RATE_LIMIT_HTTP_FILTER_NAME, TRANSFORMATION_FILTER,
    TRANSFORMATION_HTTP_FILTER_NAME,
};

/// The HTTP filter (and `typed_per_filter_config` key) implementing a policy field.
pub(crate) fn filter_name(field: PolicyField) -> &'static str {
    match field {
        PolicyField::RateLimitLocal => RATE_LIMIT_HTTP_FILTER_NAME,
        PolicyField::Transformation => TRANSFORMATION_HTTP_FILTER_NAME,
    }
}

/// The listener-level declaration of a policy filter. Declared `disabled: true`: it costs nothing on
/// routes without a policy, and a route (vhost, route configuration) enables it by carrying a per-filter
/// config wrapped in `envoy.config.route.v3.FilterConfig`. Both are module filters whose listener config
/// is `{}` (no default: everything comes per route). The order of [`PolicyField`] is the chain order:
/// rate limiting runs before transformation, as in kgateway, so a rejected request costs no rendering.
fn policy_filter(field: PolicyField) -> HttpFilter {
    let module_filter = match field {
        PolicyField::RateLimitLocal => RATE_LIMIT_FILTER,
        PolicyField::Transformation => TRANSFORMATION_FILTER,
    };
    let config = pack(&DynamicModuleFilter {
        dynamic_module_config: Some(DynamicModuleConfig {
            name: DYNAMIC_MODULE_NAME.to_owned(),
            ..DynamicModuleConfig::default()
        }),
        filter_name: module_filter.to_owned(),
        filter_config: Some(pack(&StringValue {
            value: "{}".to_owned(),
        })),
        ..DynamicModuleFilter::default()
    });
    HttpFilter {
        name: filter_name(field).to_owned(),
        disabled: true,
        config_type: Some(http_filter::ConfigType::TypedConfig(config)),
        ..HttpFilter::default()
    }
}

/// The `envoy.filters.network.http_connection_manager` network filter for a route configuration,
/// logging with `access_log` (from the listener policies).
pub(crate) fn network_filter(
    route_config_name: &str,
    used: &BTreeSet<PolicyField>,
    access_log: Vec<AccessLog>,
) -> Filter {
    let mut http_filters: Vec<HttpFilter> = used.iter().map(|f| policy_filter(*f)).collect();
    http_filters.push(HttpFilter {
        name: "envoy.filters.http.router".to_owned(),
        config_type: Some(http_filter::ConfigType::TypedConfig(pack(
            &Router::default(),
        ))),
        ..HttpFilter::default()
    });
    let hcm = HttpConnectionManager {
        stat_prefix: "http".to_owned(),
        route_specifier: Some(http_connection_manager::RouteSpecifier::Rds(Rds {
            config_source: Some(ads_config_source()),
            route_config_name: route_config_name.to_owned(),
        })),
        http_filters,
        use_remote_address: Some(BoolValue { value: true }),
        normalize_path: Some(BoolValue { value: true }),
        merge_slashes: true,
        access_log,
        ..HttpConnectionManager::default()
    };
    Filter {
        name: "envoy.filters.network.http_connection_manager".to_owned(),
        config_type: Some(filter::ConfigType::TypedConfig(pack(&hcm))),
    }
}
