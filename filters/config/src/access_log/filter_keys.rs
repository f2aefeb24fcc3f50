//! The `filter` object read as optional keys, then checked to hold exactly one: the same JSON as
//! an externally tagged [`AccessLogFilter`], readable by any serde format (serde_yaml 0.9 only
//! reads enums written as YAML tags).

use super::{
    AccessLogFilter, CelFilter, ComparisonFilter, GrpcStatusFilter, HeaderFilter,
    ResponseFlagFilter,
};
use serde::{Deserialize, Deserializer};

/// Every key a `filter` may hold; unknown keys are errors, as for an enum's unknown variant.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FilterKeys {
    status_code_filter: Option<ComparisonFilter>,
    duration_filter: Option<ComparisonFilter>,
    not_health_check_filter: Option<bool>,
    traceable_filter: Option<bool>,
    header_filter: Option<HeaderFilter>,
    response_flag_filter: Option<ResponseFlagFilter>,
    grpc_status_filter: Option<GrpcStatusFilter>,
    cel_filter: Option<CelFilter>,
    runtime_filter: Option<serde_json::Value>,
    and_filter: Option<Vec<AccessLogFilter>>,
    or_filter: Option<Vec<AccessLogFilter>>,
}

impl<'de> Deserialize<'de> for AccessLogFilter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::try_from(FilterKeys::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// A `filter` object without exactly one key.
#[derive(Debug, thiserror::Error)]
#[error("filter takes exactly one filter key, got {0}")]
struct NotOneFilter(usize);

impl TryFrom<FilterKeys> for AccessLogFilter {
    type Error = NotOneFilter;

    fn try_from(keys: FilterKeys) -> Result<Self, NotOneFilter> {
        let FilterKeys {
            status_code_filter,
            duration_filter,
            not_health_check_filter,
            traceable_filter,
            header_filter,
            response_flag_filter,
            grpc_status_filter,
            cel_filter,
            runtime_filter,
            and_filter,
            or_filter,
        } = keys;
        let mut set: Vec<Self> = [
            status_code_filter.map(Self::StatusCodeFilter),
            duration_filter.map(Self::DurationFilter),
            not_health_check_filter.map(Self::NotHealthCheckFilter),
            traceable_filter.map(Self::TraceableFilter),
            header_filter.map(Self::HeaderFilter),
            response_flag_filter.map(Self::ResponseFlagFilter),
            grpc_status_filter.map(Self::GrpcStatusFilter),
            cel_filter.map(Self::CelFilter),
            runtime_filter.map(Self::RuntimeFilter),
            and_filter.map(Self::AndFilter),
            or_filter.map(Self::OrFilter),
        ]
        .into_iter()
        .flatten()
        .collect();
        if set.len() != 1 {
            return Err(NotOneFilter(set.len()));
        }
        set.pop().ok_or(NotOneFilter(0))
    }
}
