//! `accessLog[]` of `HTTPListenerPolicy` and `ListenerPolicy ... httpSettings`: the `access_log`
//! logger's own config types from `dynagate-config`, so the controller emits exactly what the
//! logger parses (kgateway's `AccessLog` JSON, camelCase, unknown keys rejected).

pub use dynagate_config::access_log::{
    AccessLog, AccessLogFilter, CelFilter, ComparisonFilter, ComparisonOp, FileSink, GrpcStatus,
    GrpcStatusFilter, HeaderFilter, HeaderMatch, HeaderMatchType, ResponseFlagFilter,
};
