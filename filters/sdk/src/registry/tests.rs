use super::*;
use crate::access_log::AccessLogHost;
use crate::testing::{FakeConfigContext, MetricKind};
use crate::{AccessLogType, Counter, HttpFilter, parse_json};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GreetingSettings {
    greeting: String,
}

struct GreetingFactory;

struct GreetingConfig {
    _greeting: String,
    _hits: Counter,
}

struct GreetingFilter;

impl HttpFilter for GreetingFilter {}

impl HttpFilterConfig for GreetingConfig {
    type Filter = GreetingFilter;

    fn new_filter(&self) -> GreetingFilter {
        GreetingFilter
    }
}

impl HttpFilterFactory for GreetingFactory {
    type Config = GreetingConfig;

    fn new_config(
        &self,
        config: &str,
        ctx: &mut dyn ConfigContext,
    ) -> Result<GreetingConfig, ConfigError> {
        let settings: GreetingSettings = parse_json(config)?;
        if settings.greeting.is_empty() {
            return Err(ConfigError::invalid("greeting must not be empty"));
        }
        let hits = ctx.define_counter("greeting_hits", &["route"])?;
        Ok(GreetingConfig {
            _greeting: settings.greeting,
            _hits: hits,
        })
    }

    fn new_route_config(&self, config: &str) -> Result<RouteConfig, ConfigError> {
        let settings: GreetingSettings = parse_json(config)?;
        Ok(RouteConfig::new(settings.greeting))
    }
}

struct PanickingFactory;

impl HttpFilterFactory for PanickingFactory {
    type Config = GreetingConfig;

    fn new_config(
        &self,
        _config: &str,
        _ctx: &mut dyn ConfigContext,
    ) -> Result<GreetingConfig, ConfigError> {
        panic!("factory bug");
    }
}

struct NullLogger;

impl AccessLogger for NullLogger {
    fn log(&mut self, _entry: &dyn AccessLogHost, _kind: AccessLogType) {}
}

struct NullLoggerConfig;

impl AccessLoggerConfig for NullLoggerConfig {
    type Logger = NullLogger;

    fn new_logger(&self) -> NullLogger {
        NullLogger
    }
}

struct NullLoggerFactory;

impl AccessLoggerFactory for NullLoggerFactory {
    type Config = NullLoggerConfig;

    fn new_config(
        &self,
        config: &str,
        _ctx: &mut dyn ConfigContext,
    ) -> Result<NullLoggerConfig, ConfigError> {
        let _: serde_json::Value = parse_json(config)?;
        Ok(NullLoggerConfig)
    }
}

fn registry() -> Registry {
    Registry::new()
        .http_filter("greeting", GreetingFactory)
        .http_filter("panicking", PanickingFactory)
        .access_logger("null", NullLoggerFactory)
}

#[test]
fn valid_config_compiles_and_defines_metrics() {
    let mut ctx = FakeConfigContext::new();
    let compiled = registry()
        .new_http_filter_config("greeting", r#"{"greeting": "hi"}"#, &mut ctx)
        .expect("valid config");
    assert_eq!(compiled.name(), "greeting");
    let defs = ctx.metric_defs();
    assert_eq!(defs.len(), 1);
    assert_eq!(defs[0].kind, MetricKind::Counter);
    assert_eq!(defs[0].name, "greeting_hits");
    assert_eq!(defs[0].labels, ["route"]);
}

#[test]
fn unknown_filter_is_rejected_with_the_registered_names() {
    let error = registry()
        .new_http_filter_config("nope", "{}", &mut FakeConfigContext::new())
        .expect_err("unknown name");
    assert!(matches!(&error, RegistryError::Unknown { name, .. } if name == "nope"));
    let message = error.to_string();
    assert!(
        message.contains(r#"unknown HTTP filter "nope""#),
        "{message}"
    );
    assert!(message.contains("greeting, panicking"), "{message}");
}

#[test]
fn empty_registry_rejects_every_name() {
    let error = Registry::new()
        .new_http_filter_config("transformation", "{}", &mut FakeConfigContext::new())
        .expect_err("nothing registered");
    assert_eq!(
        error.to_string(),
        r#"unknown HTTP filter "transformation"; this module provides: []"#
    );
}

#[test]
fn malformed_json_is_an_invalid_config_naming_the_filter() {
    let error = registry()
        .new_http_filter_config(
            "greeting",
            r#"{"greting": "typo"}"#,
            &mut FakeConfigContext::new(),
        )
        .expect_err("unknown field");
    assert!(matches!(
        &error,
        RegistryError::InvalidConfig {
            source: ConfigError::Json(_),
            ..
        }
    ));
    let message = error.to_string();
    assert!(
        message.starts_with(r#"HTTP filter "greeting": invalid JSON config"#),
        "{message}"
    );
    assert!(message.contains("greting"), "{message}");
}

#[test]
fn semantic_errors_keep_the_factory_message() {
    let error = registry()
        .new_http_filter_config(
            "greeting",
            r#"{"greeting": ""}"#,
            &mut FakeConfigContext::new(),
        )
        .expect_err("empty greeting");
    assert_eq!(
        error.to_string(),
        r#"HTTP filter "greeting": greeting must not be empty"#
    );
}

#[test]
fn a_panicking_factory_becomes_an_error() {
    let error = registry()
        .new_http_filter_config("panicking", "{}", &mut FakeConfigContext::new())
        .expect_err("factory panics");
    assert!(
        matches!(&error, RegistryError::FactoryPanicked { message, .. } if message == "factory bug"),
        "{error}"
    );
}

#[test]
fn route_configs_are_typed() {
    let route = registry()
        .new_route_config("greeting", r#"{"greeting": "route hi"}"#)
        .expect("valid");
    assert_eq!(
        route.downcast_ref::<String>().map(String::as_str),
        Some("route hi")
    );
    assert!(route.downcast_ref::<u32>().is_none());
}

#[test]
fn route_config_is_rejected_when_the_filter_has_none() {
    let error = registry()
        .new_route_config("panicking", "{}")
        .expect_err("unsupported");
    assert!(matches!(
        error,
        RegistryError::InvalidConfig {
            source: ConfigError::RouteConfigUnsupported,
            ..
        }
    ));
}

#[test]
fn loggers_are_looked_up_by_name() {
    let registry = registry();
    let mut ctx = FakeConfigContext::new();
    assert!(
        registry
            .new_access_logger_config("null", "{}", &mut ctx)
            .is_ok()
    );
    let error = registry
        .new_access_logger_config("file", "{}", &mut ctx)
        .expect_err("unknown");
    assert_eq!(
        error.to_string(),
        r#"unknown access logger "file"; this module provides: [null]"#
    );
}

#[test]
fn duplicate_names_fail_validation() {
    assert!(registry().validate().is_ok());
    let duplicated = registry().http_filter("greeting", GreetingFactory);
    let error = duplicated.validate().expect_err("duplicate");
    assert_eq!(
        error.to_string(),
        r#"duplicate HTTP filter name "greeting" in the registry"#
    );
}

#[test]
fn names_are_listed_sorted() {
    let registry = registry();
    assert_eq!(
        registry.http_filter_names().collect::<Vec<_>>(),
        ["greeting", "panicking"]
    );
    assert_eq!(registry.access_logger_names().collect::<Vec<_>>(), ["null"]);
}

#[test]
fn empty_config_text_means_defaults() {
    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default)]
    struct Defaults {
        limit: u32,
    }
    assert_eq!(
        parse_json::<Defaults>("").expect("empty is {}"),
        Defaults::default()
    );
    assert_eq!(
        parse_json::<Defaults>("  \n").expect("blank is {}"),
        Defaults::default()
    );
}
