//! `accessLog[]` of HTTPListenerPolicy and ListenerPolicy `httpSettings` -> the HTTP connection
//! manager's `access_log` list: one `access_log` logger of `libdynagate.so` per entry, its config
//! the entry's JSON. Each entry is compiled with the logger's own compiler first, so a config the
//! logger would reject (and Envoy with it, NACKing the listener) marks the policy Invalid instead.
//!
//! Which policy applies to a listener: ListenerPolicies before HTTPListenerPolicies (the newer API
//! wins), each kind in namespace/name order; the first valid one with an `accessLog` for the
//! listener's port (a ListenerPolicy's `perPort` entry replaces its `default`) is used, whole.

use dynagate_accesslog::{CompiledAccessLog, FormatContext};
use dynagate_api::gateway::GROUP as GATEWAY_GROUP;
use dynagate_api::kgateway::{AccessLog as AccessLogEntry, ListenerConfig};
use dynagate_api::kgateway::{LocalPolicyTargetRef, LocalPolicyTargetSelector};
use envoy_types::pb::envoy::config::accesslog::v3::{AccessLog, access_log};
use envoy_types::pb::envoy::extensions::access_loggers::dynamic_modules::v3::DynamicModuleAccessLog;
use envoy_types::pb::envoy::extensions::dynamic_modules::v3::DynamicModuleConfig;
use envoy_types::pb::google::protobuf::StringValue;

use crate::proxy::pack;
use crate::resources::{NsName, Resources};
use crate::translate::DYNAMIC_MODULE_NAME;

/// The module's access logger (`dynagate-accesslog`).
pub const ACCESS_LOG_LOGGER: &str = "access_log";
/// Envoy's extension that hosts module loggers.
const DYNAMIC_MODULE_ACCESS_LOGGER: &str = "envoy.access_loggers.dynamic_modules";

/// An `accessLog` list, translated.
#[derive(Debug, Default)]
pub(crate) struct TranslatedAccessLogs {
    /// One Envoy access logger per supported, valid entry.
    pub(crate) loggers: Vec<AccessLog>,
    /// Entries whose sink is not supported yet (gRPC, OpenTelemetry), by field path.
    pub(crate) unsupported: Vec<String>,
    /// Why entries were rejected, by field path.
    pub(crate) invalid: Vec<String>,
}

impl TranslatedAccessLogs {
    /// The loggers, unless an entry is invalid: a policy applies whole or not at all.
    fn usable(self) -> Option<Vec<AccessLog>> {
        (self.invalid.is_empty() && !self.loggers.is_empty()).then_some(self.loggers)
    }
}

/// Translates the entries of `field` (`accessLog`, `default.httpSettings.accessLog`, ...).
pub(crate) fn translate(entries: &[AccessLogEntry], field: &str) -> TranslatedAccessLogs {
    let mut out = TranslatedAccessLogs::default();
    for (index, entry) in entries.iter().enumerate() {
        let path = format!("{field}[{index}]");
        if entry.file_sink.is_none() {
            if entry.grpc_service.is_some() {
                out.unsupported.push(format!("{path}.grpcService"));
                continue;
            }
            if entry.open_telemetry.is_some() {
                out.unsupported.push(format!("{path}.openTelemetry"));
                continue;
            }
        }
        match compile(entry) {
            Ok(json) => out.loggers.push(module_logger(json)),
            Err(error) => out.invalid.push(format!("{path}: {error}")),
        }
    }
    out
}

/// The entry's JSON, once the logger's compiler accepts the entry. The entry already is the
/// logger's config type, so it is compiled as is; the host name only matters when formatting.
fn compile(entry: &AccessLogEntry) -> Result<String, String> {
    CompiledAccessLog::compile(entry, &FormatContext::default()).map_err(|e| e.to_string())?;
    Ok(entry.to_json())
}

fn module_logger(config_json: String) -> AccessLog {
    let config = pack(&DynamicModuleAccessLog {
        dynamic_module_config: Some(DynamicModuleConfig {
            name: DYNAMIC_MODULE_NAME.to_owned(),
            ..DynamicModuleConfig::default()
        }),
        logger_name: ACCESS_LOG_LOGGER.to_owned(),
        logger_config: Some(pack(&StringValue { value: config_json })),
    });
    AccessLog {
        name: DYNAMIC_MODULE_ACCESS_LOGGER.to_owned(),
        config_type: Some(access_log::ConfigType::TypedConfig(config)),
        ..AccessLog::default()
    }
}

/// The access loggers of Gateway `gateway`'s listener on `port`.
pub(crate) fn for_listener(resources: &Resources, gateway: &NsName, port: u16) -> Vec<AccessLog> {
    let labels = resources
        .gateways
        .get(gateway)
        .and_then(|g| g.metadata.labels.clone())
        .unwrap_or_default();
    let targeted =
        |namespace: &str,
         refs: &Option<Vec<LocalPolicyTargetRef>>,
         selectors: &Option<Vec<LocalPolicyTargetSelector>>| {
            namespace == gateway.0
                && (refs.iter().flatten().any(|r| {
                    r.group == GATEWAY_GROUP && r.kind == "Gateway" && r.name == gateway.1
                }) || selectors.iter().flatten().any(|s| {
                    s.group == GATEWAY_GROUP
                        && s.kind == "Gateway"
                        && s.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
                }))
        };
    let from_listener_policies = resources
        .listener_policies
        .iter()
        .filter(|((ns, _), p)| targeted(ns, &p.spec.target_refs, &p.spec.target_selectors))
        .filter_map(|(_, p)| {
            let per_port = p.spec.per_port.iter().flatten().find(|pp| pp.port == port);
            let config = per_port
                .map(|pp| &pp.listener)
                .or(p.spec.default.as_ref())?;
            listener_config_logs(config)
        });
    let from_http_listener_policies = resources
        .http_listener_policies
        .iter()
        .filter(|((ns, _), p)| targeted(ns, &p.spec.target_refs, &p.spec.target_selectors))
        .filter_map(|(_, p)| {
            let entries = p.spec.access_log.as_deref()?;
            translate(entries, "accessLog").usable()
        });
    from_listener_policies
        .chain(from_http_listener_policies)
        .next()
        .unwrap_or_default()
}

fn listener_config_logs(config: &ListenerConfig) -> Option<Vec<AccessLog>> {
    let entries = config.http_settings.as_ref()?.access_log.as_deref()?;
    translate(entries, "httpSettings.accessLog").usable()
}

#[cfg(test)]
mod tests;
