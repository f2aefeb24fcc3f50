//! Dynamic modules in a bootstrap: which `.so`, the filter and logger configs that name it, and the
//! built-in HTTP filters they sit beside.

use std::path::PathBuf;

use serde::Serialize;
use serde_json::{Value, json};

use crate::HarnessError;
use crate::locate::{DYNAGATE_MODULE, PROBE_MODULE, module_path};

pub(crate) const MODULE_FILTER_TYPE: &str =
    "type.googleapis.com/envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter";
pub(crate) const MODULE_PER_ROUTE_TYPE: &str = "type.googleapis.com/envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilterPerRoute";
pub(crate) const MODULE_ACCESS_LOG_TYPE: &str =
    "type.googleapis.com/envoy.extensions.access_loggers.dynamic_modules.v3.DynamicModuleAccessLog";
const FILE_ACCESS_LOG_TYPE: &str =
    "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog";
const STRING_VALUE_TYPE: &str = "type.googleapis.com/google.protobuf.StringValue";

/// Which shared object Envoy loads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum DynamicModule {
    /// `lib<name>.so`, found through `ENVOY_DYNAMIC_MODULES_SEARCH_PATH` (set to [`crate::module_dir`]).
    Named(String),
    /// An explicit file (`dynamic_module_config.module.local.filename`).
    File(PathBuf),
}

impl DynamicModule {
    /// `libdynagate.so`, the product module.
    pub fn dynagate() -> Self {
        Self::Named(DYNAGATE_MODULE.to_owned())
    }

    /// `libdynagate_probe.so`, the test-only module of `e2e/probe`.
    pub fn probe() -> Self {
        Self::Named(PROBE_MODULE.to_owned())
    }

    /// The `dynamic_module_config` message.
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Self::Named(name) => json!({ "name": name }),
            Self::File(path) => json!({ "module": { "local": { "filename": path } } }),
        }
    }

    /// Fails with a "run `make modules`" error when the `.so` has not been built.
    pub(crate) fn check_present(&self) -> Result<(), HarnessError> {
        match self {
            Self::Named(name) => module_path(name).map(drop),
            Self::File(path) if path.is_file() => Ok(()),
            Self::File(path) => Err(HarnessError::ModuleMissing { path: path.clone() }),
        }
    }
}

/// The text a module receives as its config (`filter_config`, `logger_config`), sent as a
/// `google.protobuf.StringValue`. Usually JSON; [`ModuleConfig::text`] sends anything, e.g. invalid JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleConfig(String);

impl ModuleConfig {
    /// Arbitrary text, sent verbatim.
    pub fn text(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// Any serialisable value (e.g. a `dynagate-config` type) as JSON.
    pub fn serialize(value: &impl Serialize) -> Result<Self, HarnessError> {
        serde_json::to_string(value)
            .map(Self)
            .map_err(|err| HarnessError::Unexpected {
                what: "module config".to_owned(),
                detail: err.to_string(),
            })
    }

    /// The text Envoy hands to the module.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn to_json(&self) -> Value {
        json!({ "@type": STRING_VALUE_TYPE, "value": self.0 })
    }
}

impl From<Value> for ModuleConfig {
    fn from(value: Value) -> Self {
        Self(value.to_string())
    }
}

/// One of our HTTP filters inside a module, placed in a listener's filter chain.
#[derive(Debug, Clone)]
pub struct ModuleFilter {
    name: String,
    module: DynamicModule,
    filter_name: String,
    config: ModuleConfig,
}

impl ModuleFilter {
    /// Filter `filter_name` of `module`; its HCM filter name (the `typed_per_filter_config` key) defaults to
    /// `filter_name`.
    pub fn new(module: DynamicModule, filter_name: &str, config: impl Into<ModuleConfig>) -> Self {
        Self {
            name: filter_name.to_owned(),
            module,
            filter_name: filter_name.to_owned(),
            config: config.into(),
        }
    }

    /// Filter `filter_name` of `libdynagate.so`.
    pub fn dynagate(filter_name: &str, config: impl Into<ModuleConfig>) -> Self {
        Self::new(DynamicModule::dynagate(), filter_name, config)
    }

    /// Filter `filter_name` of the test-only `libdynagate_probe.so`.
    pub fn probe(filter_name: &str, config: impl Into<ModuleConfig>) -> Self {
        Self::new(DynamicModule::probe(), filter_name, config)
    }

    /// Sets the HCM filter name (needed when the same filter appears twice in one chain).
    pub fn named(mut self, name: &str) -> Self {
        self.name = name.to_owned();
        self
    }

    /// The HCM filter name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The module it lives in.
    pub fn module(&self) -> &DynamicModule {
        &self.module
    }

    /// The `DynamicModuleFilterPerRoute` for this filter (the value under its name in `typed_per_filter_config`).
    /// The name goes in `filter_name`: Envoy 1.40 reads it and deprecates `per_route_config_name`.
    pub(crate) fn per_route_json(&self, filter_name: &str, config: &ModuleConfig) -> Value {
        json!({
            "@type": MODULE_PER_ROUTE_TYPE,
            "dynamic_module_config": self.module.to_json(),
            "filter_name": filter_name,
            "filter_config": config.to_json(),
        })
    }
}

/// An entry of an HTTP connection manager's (or a cluster's upstream) filter chain.
#[derive(Debug, Clone)]
pub struct HttpFilter {
    name: String,
    typed_config: Value,
    module: Option<DynamicModule>,
}

impl HttpFilter {
    /// Any Envoy HTTP filter by name and `typed_config` (e.g. Lua or header mutation, for comparisons).
    pub fn typed(name: &str, typed_config: Value) -> Self {
        Self {
            name: name.to_owned(),
            typed_config,
            module: None,
        }
    }

    /// The HCM filter name.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn module(&self) -> Option<&DynamicModule> {
        self.module.as_ref()
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({ "name": self.name, "typed_config": self.typed_config })
    }
}

impl From<ModuleFilter> for HttpFilter {
    fn from(filter: ModuleFilter) -> Self {
        let typed_config = json!({
            "@type": MODULE_FILTER_TYPE,
            "dynamic_module_config": filter.module.to_json(),
            "filter_name": filter.filter_name,
            "filter_config": filter.config.to_json(),
        });
        Self {
            name: filter.name,
            typed_config,
            module: Some(filter.module),
        }
    }
}

/// An HCM access logger: ours (a module logger) or Envoy's file logger, for side-by-side comparisons.
#[derive(Debug, Clone)]
pub struct AccessLog {
    json: Value,
    module: Option<DynamicModule>,
}

impl AccessLog {
    /// Logger `logger_name` of `module` (`envoy.access_loggers.dynamic_modules`).
    pub fn module(
        module: DynamicModule,
        logger_name: &str,
        config: impl Into<ModuleConfig>,
    ) -> Self {
        let json = json!({
            "name": "envoy.access_loggers.dynamic_modules",
            "typed_config": {
                "@type": MODULE_ACCESS_LOG_TYPE,
                "dynamic_module_config": module.to_json(),
                "logger_name": logger_name,
                "logger_config": config.into().to_json(),
            },
        });
        Self {
            json,
            module: Some(module),
        }
    }

    /// Logger `logger_name` of `libdynagate.so`.
    pub fn dynagate(logger_name: &str, config: impl Into<ModuleConfig>) -> Self {
        Self::module(DynamicModule::dynagate(), logger_name, config)
    }

    /// Envoy's file logger in its default format. A relative `path` lands in [`crate::Envoy::work_dir`].
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self::file_logger(path.into(), None)
    }

    /// Envoy's file logger with a text format (`%REQ(:PATH)% %RESPONSE_CODE%\n`).
    pub fn file_with_format(path: impl Into<PathBuf>, format: &str) -> Self {
        let format = json!({ "text_format_source": { "inline_string": format } });
        Self::file_logger(path.into(), Some(format))
    }

    /// Envoy's file logger writing one JSON object per line (`{"path": "%REQ(:PATH)%"}`).
    pub fn file_json(path: impl Into<PathBuf>, json_format: Value) -> Self {
        Self::file_logger(path.into(), Some(json!({ "json_format": json_format })))
    }

    /// Any access logger by name and `typed_config`.
    pub fn typed(name: &str, typed_config: Value) -> Self {
        Self {
            json: json!({ "name": name, "typed_config": typed_config }),
            module: None,
        }
    }

    fn file_logger(path: PathBuf, log_format: Option<Value>) -> Self {
        let mut typed_config = json!({ "@type": FILE_ACCESS_LOG_TYPE, "path": path });
        if let (Some(format), Some(config)) = (log_format, typed_config.as_object_mut()) {
            config.insert("log_format".to_owned(), format);
        }
        Self::typed("envoy.access_loggers.file", typed_config)
    }

    pub(crate) fn module_ref(&self) -> Option<&DynamicModule> {
        self.module.as_ref()
    }

    pub(crate) fn to_json(&self) -> Value {
        self.json.clone()
    }
}
