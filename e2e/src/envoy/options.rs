//! How to run Envoy: worker threads, log levels, startup deadline, extra flags and environment.

use std::time::Duration;

/// Command-line and environment settings for one Envoy process.
#[derive(Debug, Clone)]
pub struct EnvoyOptions {
    pub(crate) concurrency: u32,
    pub(crate) log_level: String,
    pub(crate) component_log_level: Option<String>,
    pub(crate) startup_timeout: Duration,
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
}

impl Default for EnvoyOptions {
    fn default() -> Self {
        Self {
            concurrency: 2,
            log_level: "info".to_owned(),
            component_log_level: None,
            // Envoy is ready in ~100 ms; the margin is for a machine busy compiling.
            startup_timeout: Duration::from_secs(30),
            args: Vec::new(),
            env: Vec::new(),
        }
    }
}

impl EnvoyOptions {
    /// Worker threads (`--concurrency`, default 2).
    pub fn concurrency(mut self, workers: u32) -> Self {
        self.concurrency = workers;
        self
    }

    /// `--log-level` (default `info`): `trace`, `debug`, `info`, `warning`, `error`, `critical`, `off`.
    pub fn log_level(mut self, level: &str) -> Self {
        self.log_level = level.to_owned();
        self
    }

    /// `--component-log-level`, e.g. `dynamic_modules:debug,http:debug`.
    pub fn component_log_level(mut self, levels: &str) -> Self {
        self.component_log_level = Some(levels.to_owned());
        self
    }

    /// How long to wait for readiness before giving up (default 30 s).
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// Appends a raw command-line argument (e.g. `--service-node`, then `gateway-1`).
    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }

    /// Sets an environment variable for Envoy (and so for the modules it loads).
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }
}
